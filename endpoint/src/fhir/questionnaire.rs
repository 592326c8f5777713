//! A policy's forms as FHIR R4 `Questionnaire` resources, with the code systems their
//! answers draw on, in one `collection` Bundle.
//!
//! A Questionnaire describes what the authority receives, not what the person types: a
//! field that never leaves the device is not in it, and a transformed field has the
//! type of its transformed value (a temperature under `threshold` is a `boolean`). No
//! item is `required`: a response holds only the parts whose recipient keys opened it,
//! and FHIR has no empty answer, so "no symptoms" is an item left out. The device
//! enforces the form's own required rule; `open` flags a required field missing.

use std::collections::BTreeSet;

use selfreport_core::model::FieldKind;
use selfreport_core::policy::{FieldSpec, Form, PolicyDocument};
use serde_json::{Value, json};

use super::shape::{Shape, WEEK_REGEX, age_band_concepts, shape_of};
use super::{
    AGE_BAND_VERSION, age_band_id, age_band_url, policy_codes_url, pretty, primary_language,
    questionnaire_id, questionnaire_url, set_localized,
};
use crate::error::Result;

/// A FHIR R4 `Bundle` (type `collection`): one `Questionnaire` per form of `policy`
/// (canonical URL [`questionnaire_url`], version the policy's), the `CodeSystem` of the
/// policy's choice codes when a form uploads any, and the project's age band
/// `CodeSystem` of each band width the policy uses.
pub fn questionnaire_bundle(policy: &PolicyDocument) -> Result<String> {
    let mut entries = Vec::new();
    for form in &policy.forms {
        entries.push(entry(questionnaire(policy, form)?));
    }
    let mut codes: Vec<&str> = Vec::new();
    let mut widths = BTreeSet::new();
    for field in policy.forms.iter().flat_map(|form| &form.fields) {
        match (shape_of(field), &field.kind) {
            (
                Some(Shape::Codes { .. }),
                FieldKind::Choice { codes: listed } | FieldKind::MultiChoice { codes: listed },
            ) => {
                for code in listed {
                    if !codes.contains(&code.as_str()) {
                        codes.push(code);
                    }
                }
            }
            (Some(Shape::AgeBand { width }), _) => {
                widths.insert(width);
            }
            _ => {}
        }
    }
    if !codes.is_empty() {
        entries.push(entry(policy_code_system(policy, &codes)?));
    }
    for width in widths {
        entries.push(entry(age_band_code_system(width)));
    }
    Ok(pretty(&json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
    })))
}

/// A bundle entry whose `fullUrl` is the resource's canonical URL, which ends in
/// `Type/id` as FHIR asks.
fn entry(resource: Value) -> Value {
    json!({"fullUrl": resource["url"].clone(), "resource": resource})
}

/// The Questionnaire of one form.
fn questionnaire(policy: &PolicyDocument, form: &Form) -> Result<Value> {
    let mut resource = json!({
        "resourceType": "Questionnaire",
        "id": questionnaire_id(policy, &form.id)?,
        "url": questionnaire_url(policy, &form.id)?,
        "version": policy.version.to_string(),
        "name": computable_name(&[&policy.id, &form.id]),
        "status": "active",
        "effectivePeriod": {
            "start": policy.valid_from.to_string(),
            "end": policy.valid_until.to_string(),
        },
    });
    let language = primary_language(&form.title)
        .or_else(|| primary_language(&policy.purpose.text))
        .unwrap_or("en")
        .to_owned();
    resource["language"] = json!(language);
    set_localized(&mut resource, "title", &form.title, &language);
    set_localized(&mut resource, "publisher", &policy.issuer.name, &language);
    set_localized(&mut resource, "purpose", &policy.purpose.text, &language);
    let mut items = Vec::new();
    for field in &form.fields {
        if let Some(shape) = shape_of(field) {
            items.push(item(policy, field, &shape, &language)?);
        }
    }
    resource["item"] = Value::Array(items);
    Ok(resource)
}

/// The item of one uploaded field.
fn item(
    policy: &PolicyDocument,
    field: &FieldSpec,
    shape: &Shape,
    language: &str,
) -> Result<Value> {
    let mut item = json!({"linkId": field.id, "type": shape.item_type()});
    set_localized(&mut item, "text", &field.label, language);
    if item.get("text").is_none() {
        item["text"] = json!(field.id);
    }
    match shape {
        Shape::String { regex: Some(regex) } => item["extension"] = regex_extension(regex),
        Shape::Text { max_len } => item["maxLength"] = json!(max_len),
        Shape::Codes { codes, repeats } => {
            let system = policy_codes_url(policy)?;
            item["answerOption"] = codes
                .iter()
                .map(|code| json!({"valueCoding": {"system": system, "code": code}}))
                .collect();
            if *repeats {
                item["repeats"] = json!(true);
            }
        }
        Shape::AgeBand { width } => {
            let system = age_band_url(*width);
            item["answerOption"] = age_band_concepts(*width)
                .into_iter()
                .map(|(code, display)| {
                    json!({"valueCoding": {"system": system, "code": code, "display": display}})
                })
                .collect();
        }
        Shape::Legs { place_regex } => {
            item["repeats"] = json!(true);
            item["item"] = json!([
                {"linkId": format!("{}.place", field.id), "text": "place (GB/T 2260)",
                 "type": "string", "extension": regex_extension(place_regex)},
                {"linkId": format!("{}.from", field.id), "text": "from", "type": "date"},
                {"linkId": format!("{}.to", field.id), "text": "to", "type": "date"},
            ]);
        }
        Shape::RiskArea => {
            item["item"] = json!([{
                "linkId": format!("{}.last_visit_week", field.id),
                "text": "ISO week of the last visit",
                "type": "string",
                "extension": regex_extension(WEEK_REGEX),
                "enableWhen": [{"question": field.id, "operator": "=", "answerBoolean": true}],
            }]);
        }
        Shape::Boolean
        | Shape::Integer
        | Shape::Decimal
        | Shape::Date
        | Shape::String { regex: None } => {}
    }
    Ok(item)
}

/// The R4 `regex` extension: what every answer matches.
fn regex_extension(regex: &str) -> Value {
    json!([{"url": "http://hl7.org/fhir/StructureDefinition/regex", "valueString": regex}])
}

/// The code system of every choice code the policy uploads (codes are the policy's
/// own; each item's answer options say which apply to it).
fn policy_code_system(policy: &PolicyDocument, codes: &[&str]) -> Result<Value> {
    let url = policy_codes_url(policy)?;
    let id = url.rsplit('/').next().unwrap_or_default().to_owned();
    let mut resource = json!({
        "resourceType": "CodeSystem",
        "id": id,
        "url": url,
        "version": policy.version.to_string(),
        "name": computable_name(&[&policy.id, "codes"]),
        "status": "active",
        "caseSensitive": true,
        "content": "complete",
        "count": codes.len(),
        "concept": codes.iter().map(|code| json!({"code": code})).collect::<Vec<_>>(),
    });
    if let Some(language) = primary_language(&policy.issuer.name) {
        let language = language.to_owned();
        set_localized(&mut resource, "publisher", &policy.issuer.name, &language);
    }
    resource["description"] = json!(format!(
        "The choice codes of collection policy {} version {}.",
        policy.id, policy.version
    ));
    Ok(resource)
}

/// The project's code system of age bands `width` years wide.
fn age_band_code_system(width: u32) -> Value {
    let concepts: Vec<Value> = age_band_concepts(width)
        .into_iter()
        .map(|(code, display)| json!({"code": code, "display": display}))
        .collect();
    json!({
        "resourceType": "CodeSystem",
        "id": age_band_id(width),
        "url": age_band_url(width),
        "version": AGE_BAND_VERSION,
        "name": format!("SelfreportAgeBand{width}y"),
        "title": format!("Age bands {width} years wide (selfreport)"),
        "status": "active",
        "publisher": "selfreport",
        "description": format!(
            "Age in whole years on the record date, in bands {width} years wide from 0 (the `age_band` transform of selfreport policies); the last band is open."
        ),
        "caseSensitive": true,
        "content": "complete",
        "count": concepts.len(),
        "concept": concepts,
    })
}

/// A name fit for code generation (`ShDailyHealthDaily`): FHIR's `name` starts with a
/// capital and holds letters, digits and `_` only.
fn computable_name(parts: &[&str]) -> String {
    let mut name = String::new();
    for word in parts.iter().flat_map(|part| part.split(['-', '_'])) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        name.insert(0, 'Q');
    }
    name
}

#[cfg(test)]
mod tests {
    use selfreport_core::policy::parse_policy_document;

    use super::*;

    fn bundle(bytes: &[u8]) -> Value {
        let policy = parse_policy_document(bytes).unwrap();
        serde_json::from_str(&questionnaire_bundle(&policy).unwrap()).unwrap()
    }

    #[test]
    fn each_form_is_a_questionnaire_of_what_leaves_typed_by_its_transform() {
        let bundle = bundle(include_bytes!(
            "../../../examples/policies/daily-report.json"
        ));
        let entries = bundle["entry"].as_array().unwrap();
        let daily = &entries[0]["resource"];
        assert_eq!(
            entries[0]["fullUrl"],
            "https://selfreport.example.org/fhir/Questionnaire/sh-daily-health.daily"
        );
        assert_eq!(daily["url"], entries[0]["fullUrl"]);
        assert_eq!(daily["id"], "sh-daily-health.daily");
        assert_eq!(daily["version"], "1");
        assert_eq!(daily["name"], "ShDailyHealthDaily");
        assert_eq!(daily["language"], "zh");
        assert_eq!(daily["title"], "每日健康报告");
        assert_eq!(
            daily["_title"]["extension"][0]["extension"][1]["valueString"],
            "Daily health report"
        );
        let items = daily["item"].as_array().unwrap();
        let shape: Vec<(&str, &str)> = items
            .iter()
            .map(|item| {
                (
                    item["linkId"].as_str().unwrap(),
                    item["type"].as_str().unwrap(),
                )
            })
            .collect();
        // `notes` never leaves the device, so it is not asked for; the temperature
        // arrives as a threshold, a boolean.
        assert_eq!(
            shape,
            [
                ("name", "string"),
                ("phone", "string"),
                ("temperature", "boolean"),
                ("symptoms", "choice"),
                ("district", "string"),
                ("contact_with_case", "boolean"),
            ]
        );
        assert!(items.iter().all(|item| item.get("required").is_none()));
        let symptoms = &items[3];
        assert_eq!(symptoms["repeats"], true);
        assert_eq!(symptoms["answerOption"].as_array().unwrap().len(), 7);
        assert_eq!(
            symptoms["answerOption"][1]["valueCoding"],
            json!({"system": "https://selfreport.example.org/fhir/CodeSystem/sh-daily-health", "code": "cough"})
        );
        assert_eq!(items[4]["extension"][0]["valueString"], "[0-9]{4}00");
        let codes = &entries[1]["resource"];
        assert_eq!(codes["resourceType"], "CodeSystem");
        assert_eq!(
            codes["url"],
            symptoms["answerOption"][0]["valueCoding"]["system"]
        );
        assert_eq!(codes["count"], 7);
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn arrivals_carry_the_age_band_code_system_and_the_risk_week_child() {
        let bundle = bundle(include_bytes!(
            "../../../examples/policies/traveler-preregistration.json"
        ));
        let entries = bundle["entry"].as_array().unwrap();
        let ids: Vec<&str> = entries
            .iter()
            .map(|entry| entry["resource"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "sh-arrivals.arrival",
                "sh-arrivals.daily",
                "sh-arrivals",
                "age-band-10y"
            ]
        );
        let arrival = &entries[0]["resource"]["item"];
        let birth = arrival
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["linkId"] == "birth_date")
            .unwrap();
        assert_eq!(birth["type"], "choice");
        assert_eq!(birth["answerOption"].as_array().unwrap().len(), 16);
        let travel = arrival
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["linkId"] == "travel")
            .unwrap();
        assert_eq!(travel["type"], "boolean");
        assert_eq!(travel["item"][0]["linkId"], "travel.last_visit_week");
        assert_eq!(travel["item"][0]["enableWhen"][0]["answerBoolean"], true);
        let bands = &entries[3]["resource"];
        assert_eq!(
            bands["url"],
            "https://selfreport.example.org/fhir/CodeSystem/age-band-10y"
        );
        assert_eq!(bands["concept"][15]["code"], "150+");
    }

    #[test]
    fn ids_past_64_characters_are_refused_by_name() {
        let mut policy = parse_policy_document(include_bytes!(
            "../../../examples/policies/daily-report.json"
        ))
        .unwrap();
        policy.forms[0].id = "f".repeat(60);
        let error = questionnaire_bundle(&policy).unwrap_err();
        assert_eq!(error.code(), "FhirIdTooLong");
        assert_eq!(error.exit_code(), 3);
    }
}
