//! The preview a person sees before anything is sent: each field before and after its
//! transform, and the exact JSON each recipient will receive.

use std::fmt;

use super::MinimizeError;
use super::carried::Carried;
use super::disclosure::{field_value, find_form, minimize_carrying};
use crate::model::{Profile, Record};
use crate::policy::{Labels, PolicyDocument};

/// One field of the form, before and after its transform.
#[derive(Clone, PartialEq, Eq)]
pub struct PreviewField {
    /// The field id.
    pub field: String,
    /// The field's label in the policy's languages.
    pub label: Labels,
    /// Who receives it; `None` when it stays on the device.
    pub recipient: Option<String>,
    /// The transform's name (`"omit"` for a field that stays on the device).
    pub transform: String,
    /// The stored value as the person entered it (the answer text form), `None` when the
    /// field has no value.
    pub before: Option<String>,
    /// The canonical JSON of what is disclosed, `None` when nothing is (omitted or
    /// unanswered).
    pub after: Option<String>,
}

/// One recipient's part exactly as it will be sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct PreviewPart {
    /// The recipient.
    pub recipient: String,
    /// The canonical JSON that will be sealed, before padding.
    pub json: String,
    /// The size it is padded to with spaces before sealing.
    pub padded_size: usize,
}

/// What a record would disclose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Every field of the form, in form order, including those that stay on the device.
    pub fields: Vec<PreviewField>,
    /// The parts, by recipient name.
    pub parts: Vec<PreviewPart>,
}

/// Previews `record` under `policy`: the [`super::minimize`] result for the same
/// arguments, shown field by field and part by part.
///
/// The JSON shown includes `submission_id`, so to show the bytes that will really be
/// sealed the caller passes the id it will use for the submission (sealing does not
/// change it afterwards).
pub fn preview(
    policy: &PolicyDocument,
    record: &Record,
    profile: &Profile,
    pseudonym: &str,
    submission_id: &str,
) -> Result<Preview, MinimizeError> {
    preview_carrying(
        policy,
        record,
        profile,
        pseudonym,
        submission_id,
        Carried::default(),
    )
}

/// [`preview`] of what [`super::minimize_carrying`] seals with `carried`.
pub fn preview_carrying(
    policy: &PolicyDocument,
    record: &Record,
    profile: &Profile,
    pseudonym: &str,
    submission_id: &str,
    carried: Carried,
) -> Result<Preview, MinimizeError> {
    let disclosure = minimize_carrying(policy, record, profile, pseudonym, submission_id, carried)?;
    let form = find_form(policy, &record.form_id)?;
    let fields = form
        .fields
        .iter()
        .map(|field| {
            let uploads = field.upload.uploads();
            let after = field
                .to
                .as_deref()
                .filter(|_| uploads)
                .and_then(|recipient| {
                    disclosure
                        .parts()
                        .get(recipient)?
                        .fields()
                        .get(&field.id)
                        .map(|value| value.canonical_json())
                });
            PreviewField {
                field: field.id.clone(),
                label: field.label.clone(),
                recipient: field.to.clone().filter(|_| uploads),
                transform: field.upload.name().to_owned(),
                before: field_value(field, record, profile).map(|value| value.to_string()),
                after,
            }
        })
        .collect();
    let parts = disclosure
        .parts()
        .iter()
        .map(|(recipient, part)| {
            Ok(PreviewPart {
                recipient: recipient.clone(),
                json: disclosure.canonical_json(recipient)?,
                padded_size: part.padded_size(),
            })
        })
        .collect::<Result<_, MinimizeError>>()?;
    Ok(Preview { fields, parts })
}

/// Names the field and its route; values stay out of logs.
impl fmt::Debug for PreviewField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreviewField")
            .field("field", &self.field)
            .field("recipient", &self.recipient)
            .field("transform", &self.transform)
            .field("answered", &self.before.is_some())
            .finish_non_exhaustive()
    }
}

/// Names the recipient and size; the JSON stays out of logs.
impl fmt::Debug for PreviewPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreviewPart")
            .field("recipient", &self.recipient)
            .field("padded_size", &self.padded_size)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::disclosure::minimize;
    use super::super::test_support::{
        PSEUDONYM, SUBMISSION_ID, example_policy, leg, profile, record,
    };
    use super::*;
    use crate::model::{FieldValue, Temperature};

    #[test]
    fn shows_every_field_before_and_after_and_the_exact_json() {
        let policy = example_policy();
        let daily = record(
            "daily",
            "2026-11-28",
            vec![
                (
                    "temperature",
                    FieldValue::Temperature(Temperature::from_tenths(372)),
                ),
                ("district", FieldValue::District("420106".into())),
                ("notes", FieldValue::Text("headache".into())),
            ],
        );
        let preview = preview(&policy, &daily, &profile(), PSEUDONYM, SUBMISSION_ID).unwrap();
        let rows: Vec<_> = preview
            .fields
            .iter()
            .map(|field| {
                (
                    field.field.as_str(),
                    field.recipient.as_deref(),
                    field.transform.as_str(),
                    field.before.as_deref(),
                    field.after.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "temperature",
                    Some("health"),
                    "threshold",
                    Some("37.2"),
                    Some("false")
                ),
                ("symptoms", Some("health"), "keep", None, None),
                (
                    "district",
                    Some("health"),
                    "generalize",
                    Some("420106"),
                    Some("\"420100\"")
                ),
                ("notes", None, "omit", Some("headache"), None),
            ]
        );
        assert_eq!(preview.fields[0].label["en"], "label of temperature");

        let disclosure = minimize(&policy, &daily, &profile(), PSEUDONYM, SUBMISSION_ID).unwrap();
        assert_eq!(preview.parts.len(), 1);
        let part = &preview.parts[0];
        assert_eq!(part.recipient, "health");
        assert_eq!(part.json, disclosure.canonical_json("health").unwrap());
        assert_eq!(
            part.padded_size,
            disclosure.plaintext("health").unwrap().len()
        );
        assert!(
            disclosure
                .plaintext("health")
                .unwrap()
                .starts_with(part.json.as_bytes())
        );
    }

    #[test]
    fn profile_fields_show_the_profile_value() {
        let arrival = record(
            "arrival",
            "2026-11-28",
            vec![(
                "travel",
                FieldValue::TravelHistory(vec![leg("310104", "2026-11-01", "2026-11-02")]),
            )],
        );
        let preview = preview(
            &example_policy(),
            &arrival,
            &profile(),
            PSEUDONYM,
            SUBMISSION_ID,
        )
        .unwrap();
        let birth = preview
            .fields
            .iter()
            .find(|field| field.field == "birth_date")
            .unwrap();
        assert_eq!(birth.before.as_deref(), Some("1952-07-08"));
        assert_eq!(birth.after.as_deref(), Some(r#"{"from":70,"to":79}"#));
        let travel = preview
            .fields
            .iter()
            .find(|field| field.field == "travel")
            .unwrap();
        assert_eq!(
            travel.after.as_deref(),
            Some(r#"{"last_visit_week":null,"visited":false}"#)
        );
        assert_eq!(
            preview
                .parts
                .iter()
                .map(|part| part.recipient.as_str())
                .collect::<Vec<_>>(),
            ["health", "identity"]
        );
        let debug = format!("{preview:?}");
        assert!(
            !debug.contains("1952") && !debug.contains("张三"),
            "{debug}"
        );
    }

    #[test]
    fn errors_are_those_of_minimize() {
        let mut daily = record("daily", "2026-11-28", vec![]);
        daily.form_id = "weekly".into();
        assert_eq!(
            preview(
                &example_policy(),
                &daily,
                &profile(),
                PSEUDONYM,
                SUBMISSION_ID
            )
            .unwrap_err()
            .code(),
            "MinimizeUnknownForm"
        );
    }
}
