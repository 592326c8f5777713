//! FHIR R4 (4.0.1) for what the authority opens: each form of a policy as a
//! `Questionnaire` ([`questionnaire_bundle`], `selfreport-authority questionnaire`), each
//! opened submission as a `QuestionnaireResponse` answering it ([`response_bundle`],
//! `selfreport-authority open --format fhir`).
//!
//! Every canonical URL is under [`BASE_URL`], the project's: `example.org` is reserved
//! (RFC 2606), so the identifiers can never name someone else's resources, and a
//! canonical URL is an identity, not an address that must answer. docs/fhir.md has the
//! mapping field by field.

mod questionnaire;
mod response;
mod shape;

use std::path::Path;

use selfreport_core::policy::{Labels, PolicyDocument};
use serde_json::{Value, json};

pub use questionnaire::questionnaire_bundle;
pub use response::response_bundle;

use crate::error::{AuthorityError, Result};
use crate::policy_file::policy_document_of;

/// Where the project's FHIR artifacts live: `{BASE_URL}/Questionnaire/...`,
/// `{BASE_URL}/CodeSystem/...`.
pub const BASE_URL: &str = "https://selfreport.example.org/fhir";

/// The longest resource id FHIR allows.
const MAX_ID_LEN: usize = 64;

/// A FHIR id from policy identifiers (`a-z 0-9 - _`): `_` becomes `.`, which FHIR ids
/// allow and policy ids never hold.
fn fhir_id(parts: &[&str]) -> Result<String> {
    let id = parts.join(".").replace('_', ".");
    if id.len() > MAX_ID_LEN {
        return Err(AuthorityError::FhirIdTooLong { id });
    }
    Ok(id)
}

/// The id of `form`'s Questionnaire: `{policy id}.{form id}`.
pub fn questionnaire_id(policy: &PolicyDocument, form: &str) -> Result<String> {
    fhir_id(&[&policy.id, form])
}

/// The canonical URL of `form`'s Questionnaire (its version is the policy's).
pub fn questionnaire_url(policy: &PolicyDocument, form: &str) -> Result<String> {
    Ok(format!(
        "{BASE_URL}/Questionnaire/{}",
        questionnaire_id(policy, form)?
    ))
}

/// The canonical URL of the code system of a policy's choice codes (its version is the
/// policy's).
pub fn policy_codes_url(policy: &PolicyDocument) -> Result<String> {
    Ok(format!("{BASE_URL}/CodeSystem/{}", fhir_id(&[&policy.id])?))
}

/// The id of the project's code system of age bands `width` years wide.
fn age_band_id(width: u32) -> String {
    format!("age-band-{width}y")
}

/// The canonical URL of the project's code system of age bands `width` years wide.
pub fn age_band_url(width: u32) -> String {
    format!("{BASE_URL}/CodeSystem/{}", age_band_id(width))
}

/// The version of the age band code systems; bumped if their codes ever change.
pub const AGE_BAND_VERSION: &str = "1";

/// The language a resource is written in: Chinese when the policy has it (the forms'
/// own language), else English, else the first given.
fn primary_language(labels: &Labels) -> Option<&str> {
    ["zh", "en"]
        .into_iter()
        .find(|language| labels.contains_key(*language))
        .or_else(|| labels.keys().next().map(String::as_str))
}

/// `labels` in `language`, with the R4 `translation` extension for each other language
/// (as the `_element` beside it), or `None` when there are no labels.
fn localized(labels: &Labels, language: &str) -> Option<(Value, Option<Value>)> {
    let text = labels
        .get(language)
        .or_else(|| labels.values().next())?
        .clone();
    let translations: Vec<Value> = labels
        .iter()
        .filter(|(other, _)| other.as_str() != language)
        .map(|(other, content)| {
            json!({
                "url": "http://hl7.org/fhir/StructureDefinition/translation",
                "extension": [
                    {"url": "lang", "valueCode": other},
                    {"url": "content", "valueString": content},
                ],
            })
        })
        .collect();
    let extension = (!translations.is_empty()).then(|| json!({ "extension": translations }));
    Some((Value::String(text), extension))
}

/// Sets `object[key]` to `labels` in `language`, and `_key` to the other languages.
fn set_localized(object: &mut Value, key: &str, labels: &Labels, language: &str) {
    if let Some((text, translations)) = localized(labels, language) {
        object[key] = text;
        if let Some(translations) = translations {
            object[format!("_{key}")] = translations;
        }
    }
}

/// A rendering of `resource` as pretty JSON with a trailing newline.
fn pretty(resource: &Value) -> String {
    let mut text = serde_json::to_string_pretty(resource).unwrap_or_default();
    text.push('\n');
    text
}

/// `selfreport-authority questionnaire`: the Questionnaire bundle of the policy at
/// `policy_path`, a signed envelope (with `trust_path`, its signature must verify) or a
/// plain policy document (a draft, or an example), checked in full either way.
pub fn questionnaire_command(policy_path: &Path, trust_path: Option<&Path>) -> Result<String> {
    questionnaire_bundle(&policy_document_of(policy_path, trust_path)?)
}
