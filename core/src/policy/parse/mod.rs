//! Strict parsing of `selfreport.policy/1` and `/2` documents, with every content check of DESIGN §5.
//!
//! The JSON is read into private `Raw*` shapes (unknown fields, duplicate keys and wrong
//! types are refused), then each value is checked and turned into the plain
//! [`PolicyDocument`] types. Checks that need a date (validity today) or a key (signature,
//! trust) live in [`super::envelope`]; rollback lives in [`super::install`].

#[cfg(test)]
mod bound_tests;
mod build;
mod checks;
mod field;
mod raw;
#[cfg(test)]
mod reference_tests;
#[cfg(test)]
mod tests;
mod token_keys;

use serde_json::Value;

use super::error::truncated;
use super::limits::*;
use super::padded_size::padded_size_refusals;
use super::{POLICY_FORMAT, POLICY_FORMAT_V2, PolicyDocument, PolicyError, PolicyFormat};
use build::build_policy;
pub(crate) use checks::{check_count, check_id, check_labels};
use raw::RawPolicy;
pub(crate) use raw::UniqueMap;

/// HPKE suites a recipient may use (DESIGN §7).
pub const SUPPORTED_SUITES: [&str; 2] =
    ["x25519-sha256-chacha20poly1305", "x25519-sha256-aes128gcm"];

/// Longest untrusted string echoed back in an error message.
pub(super) const ECHO_LEN: usize = 64;

/// Parses and checks a policy document.
///
/// This checks content only: it says nothing about who wrote the document or whether it
/// is valid today. Anything the app acts on must come from
/// [`SignedPolicy::verify`](super::SignedPolicy::verify).
pub fn parse_policy_document(payload: &[u8]) -> Result<PolicyDocument, PolicyError> {
    let document = parse_policy_draft(payload)?;
    if let Some(refusal) = padded_size_refusals(&document).into_iter().next() {
        return Err(refusal);
    }
    check_sealed_size(&document)?;
    Ok(document)
}

/// A draft read with every check of [`parse_policy_document`] except those on sizes:
/// the declared padded sizes of `/2` forms ([`padded_size_refusals`] lists their
/// problems) and the sealed body limit. For an authority's `check-policy`, which reports
/// every problem at once; never install what this returns.
pub fn parse_policy_draft(payload: &[u8]) -> Result<PolicyDocument, PolicyError> {
    if payload.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge {
            size: payload.len(),
            limit: MAX_POLICY_BYTES,
        });
    }
    let format = check_format(payload)?;
    let raw: RawPolicy = serde_json::from_slice(payload).map_err(json_error)?;
    let document = build_policy(raw, format)?;
    check_transforms(&document)?;
    Ok(document)
}

/// Every upload must be one the minimization engine can produce exactly.
fn check_transforms(document: &PolicyDocument) -> Result<(), PolicyError> {
    for form in &document.forms {
        for field in form.fields.iter().filter(|field| field.upload.uploads()) {
            crate::minimize::check_field(field).map_err(|error| PolicyError::BadParameter {
                form: form.id.clone(),
                field: field.id.clone(),
                detail: error.to_string(),
            })?;
        }
    }
    Ok(())
}

/// Every form's sealed submission must fit the drop box's body limit, so a policy that
/// installs can always be sent.
pub(crate) fn check_sealed_size(document: &PolicyDocument) -> Result<(), PolicyError> {
    for form in &document.forms {
        let recipients: std::collections::BTreeSet<&str> = form
            .fields
            .iter()
            .filter(|field| field.upload.uploads())
            .filter_map(|field| field.to.as_deref())
            .collect();
        let mut body = 512usize;
        for recipient in recipients {
            let padded =
                crate::minimize::padded_size(document, &form.id, recipient).map_err(|_| {
                    PolicyError::Limit {
                        what: format!("sealed size of form {}", form.id),
                        limit: crate::sync::wire::MAX_SUBMISSION_BYTES,
                    }
                })?;
            // HPKE adds a 16-byte tag; base64 adds a third; each part has its JSON frame.
            body = body
                .saturating_add((padded.saturating_add(16)).div_ceil(3).saturating_mul(4) + 128);
        }
        if body > crate::sync::wire::MAX_SUBMISSION_BYTES {
            return Err(PolicyError::Limit {
                what: format!("sealed size of form {}", form.id),
                limit: crate::sync::wire::MAX_SUBMISSION_BYTES,
            });
        }
    }
    Ok(())
}

/// Reads only `format` first, so a document of a later format is reported as such
/// rather than as a pile of unknown fields.
fn check_format(payload: &[u8]) -> Result<PolicyFormat, PolicyError> {
    let value: Value = serde_json::from_slice(payload).map_err(json_error)?;
    let object = value
        .as_object()
        .ok_or_else(|| PolicyError::malformed("the policy document is not a JSON object"))?;
    match object.get("format") {
        Some(Value::String(format)) if format == POLICY_FORMAT => Ok(PolicyFormat::V1),
        Some(Value::String(format)) if format == POLICY_FORMAT_V2 => Ok(PolicyFormat::V2),
        Some(Value::String(format)) => Err(PolicyError::UnknownFormat {
            found: truncated(format, ECHO_LEN),
        }),
        Some(_) => Err(PolicyError::malformed("`format` is not a string")),
        None => Err(PolicyError::malformed(
            "the policy document has no `format`",
        )),
    }
}

pub(crate) fn json_error(error: serde_json::Error) -> PolicyError {
    PolicyError::malformed(error.to_string())
}
