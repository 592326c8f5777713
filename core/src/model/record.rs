//! Records: one filled form for one profile under one policy, and the validation of the
//! answers that make it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::id::random_id;
use super::{
    DateBounds, FieldValue, Profile, ProfileAttribute, ProfileId, Rule, ValidationError,
    answered_arrival, check_value_within, parse_answer_within,
};
use crate::policy::{FieldSource, Form};

random_id!(
    /// Identifies a record: 32 lowercase hex characters from 16 random bytes.
    RecordId,
    field = "record_id"
);

/// Field name used in errors about the record's own date.
const DATE_FIELD: &str = "date";

/// One answer as given: text to parse (the CLI, simple forms) or a typed value (apps).
#[derive(Clone, PartialEq, Eq)]
pub enum AnswerInput {
    /// Text in the form [`super::parse_answer`] accepts.
    Text(String),
    /// A typed value, checked with [`super::check_value`].
    Value(FieldValue),
}

/// The answers to a form, by field id, in field-id order. A later answer to the same
/// field replaces the earlier one ([`Answers::insert`] returns it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    by_field: BTreeMap<String, AnswerInput>,
}

impl Answers {
    /// No answers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `field` answered by `text`.
    #[must_use]
    pub fn text(mut self, field: impl Into<String>, text: impl Into<String>) -> Self {
        self.insert(field, AnswerInput::Text(text.into()));
        self
    }

    /// With `field` answered by the typed `value`.
    #[must_use]
    pub fn value(mut self, field: impl Into<String>, value: FieldValue) -> Self {
        self.insert(field, AnswerInput::Value(value));
        self
    }

    /// Answers `field`, returning the answer it replaces, if any (the CLI uses this to
    /// refuse a field given twice).
    pub fn insert(&mut self, field: impl Into<String>, answer: AnswerInput) -> Option<AnswerInput> {
        self.by_field.insert(field.into(), answer)
    }

    /// The answer to `field`, if given.
    pub fn get(&self, field: &str) -> Option<&AnswerInput> {
        self.by_field.get(field)
    }

    /// The answers in field-id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AnswerInput)> {
        self.by_field
            .iter()
            .map(|(field, answer)| (field.as_str(), answer))
    }

    /// How many fields are answered.
    pub fn len(&self) -> usize {
        self.by_field.len()
    }

    /// Whether no field is answered.
    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty()
    }
}

/// A saved record: one filled form for one profile under one policy. Stored encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Random id.
    pub id: RecordId,
    /// Whose record it is.
    pub profile_id: ProfileId,
    /// The policy it was filed under.
    pub policy_id: String,
    /// The policy version in force when it was saved.
    pub policy_version: u64,
    /// The form it fills.
    pub form_id: String,
    /// The local day it reports on.
    pub date: NaiveDate,
    /// The answered fields' values, by field id. Profile-sourced fields are not here:
    /// they are read from the profile when the record is disclosed, so an identity is
    /// stored once, in the profile, not copied into every daily record.
    pub values: BTreeMap<String, FieldValue>,
    /// 1 for a first record. Saving again before sending rewrites the record in place;
    /// an amendment made after sending is a new record whose revision is one more than
    /// that of the record it amends.
    pub revision: u32,
    /// The sent record this one amends, for an amendment made after sending.
    pub amends: Option<RecordId>,
    /// When it was last saved, in the person's local time.
    pub saved_at: DateTime<FixedOffset>,
}

impl Record {
    /// The value of `field`, if answered.
    pub fn value(&self, field: &str) -> Option<&FieldValue> {
        self.values.get(field)
    }
}

/// Validates `answers` to `form` for `profile`, for a record dated `date`; `today` is
/// the person's local date. Returns the values to store, or the first problem
/// [`check_answers`] would list.
///
/// Rules, reported in this order:
/// - the record's date may not be after today ([`Rule::FutureDate`] on field `"date"`);
/// - each answer, in field-id order: the form must have the field
///   ([`Rule::UnknownField`]); a `source: profile` field may not be answered
///   ([`Rule::ProfileSourced`]); text is parsed and values checked by the field's kind
///   (a travel leg may end after today up to the planned arrival the answers give,
///   see [`super::arrival_field`]: [`Rule::LegAfterArrival`] beyond it);
/// - each form field, in form order: a required profile-sourced field needs the
///   attribute in the profile ([`Rule::MissingFromProfile`], naming the attribute's
///   field id), a required answered field needs an answer ([`Rule::Required`]).
///
/// Blank text answers count as not given, except for `multi_choice` and
/// `travel_history`, where blank means none. Profile-sourced values are not returned:
/// they stay in the profile (see [`Record::values`]).
pub fn validate_answers(
    form: &Form,
    profile: &Profile,
    answers: Answers,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<BTreeMap<String, FieldValue>, ValidationError> {
    let (values, problems) = read_answers(form, profile, answers, date, today);
    match problems.into_iter().next() {
        Some(problem) => Err(problem),
        None => Ok(values),
    }
}

/// Every problem with `answers`, for a form a person is filling: the rules and order of
/// [`validate_answers`], but checking on past a problem, with at most one problem per
/// field (a field whose answer was refused is not also reported as missing). Empty when
/// the answers would be saved.
pub fn check_answers(
    form: &Form,
    profile: &Profile,
    answers: Answers,
    date: NaiveDate,
    today: NaiveDate,
) -> Vec<ValidationError> {
    read_answers(form, profile, answers, date, today).1
}

/// The values `answers` give and every problem found, in the documented order.
fn read_answers(
    form: &Form,
    profile: &Profile,
    answers: Answers,
    date: NaiveDate,
    today: NaiveDate,
) -> (BTreeMap<String, FieldValue>, Vec<ValidationError>) {
    let mut problems = Vec::new();
    if date > today {
        problems.push(ValidationError::new(DATE_FIELD, Rule::FutureDate));
    }
    // Travel legs may end after today, up to the arrival the same answers plan.
    let bounds = DateBounds {
        today,
        planned_arrival: answered_arrival(form, &answers, today),
    };
    let mut values = BTreeMap::new();
    // Fields whose answer was refused: not reported a second time as missing.
    let mut refused = BTreeSet::new();
    for (field_id, answer) in answers.by_field {
        let Some(field) = form.field(&field_id) else {
            problems.push(ValidationError::new(&field_id, Rule::UnknownField));
            continue;
        };
        if field.source == FieldSource::Profile {
            problems.push(ValidationError::new(&field_id, Rule::ProfileSourced));
            refused.insert(field_id);
            continue;
        }
        let value = match answer {
            AnswerInput::Text(text) if text.trim().is_empty() && !blank_is_a_value(field) => {
                continue;
            }
            AnswerInput::Text(text) => parse_answer_within(&field_id, &field.kind, &text, bounds),
            AnswerInput::Value(value) => {
                check_value_within(&field_id, &field.kind, &value, bounds).map(|()| value)
            }
        };
        match value {
            Ok(value) => {
                values.insert(field_id, value);
            }
            Err(problem) => {
                problems.push(problem);
                refused.insert(field_id);
            }
        }
    }
    for field in form.fields.iter().filter(|field| field.required) {
        if refused.contains(&field.id) {
            continue;
        }
        match field.source {
            FieldSource::Profile => {
                let present = ProfileAttribute::from_field_id(&field.id)
                    .and_then(|attribute| profile.attribute(attribute))
                    .is_some();
                if !present {
                    problems.push(ValidationError::new(&field.id, Rule::MissingFromProfile));
                }
            }
            FieldSource::Answer => {
                if !values.contains_key(&field.id) {
                    problems.push(ValidationError::new(&field.id, Rule::Required));
                }
            }
        }
    }
    (values, problems)
}

/// Whether blank text is itself an answer for this field (an empty list).
fn blank_is_a_value(field: &crate::policy::FieldSpec) -> bool {
    matches!(
        field.kind,
        super::FieldKind::MultiChoice { .. } | super::FieldKind::TravelHistory
    )
}

/// Typed answers are redacted like every [`FieldValue`]; raw text is not shown at all.
impl std::fmt::Debug for AnswerInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnswerInput::Text(_) => f.write_str("AnswerInput::Text(<redacted>)"),
            AnswerInput::Value(value) => write!(f, "AnswerInput::Value({value:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldKind, NewProfile, Temperature};
    use crate::policy::{FieldSpec, OncePer, Transform};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn today() -> NaiveDate {
        date("2026-11-28")
    }

    fn field(id: &str, kind: FieldKind, required: bool, source: FieldSource) -> FieldSpec {
        FieldSpec {
            id: id.into(),
            kind,
            required,
            source,
            upload: Transform::Omit,
            to: None,
            label: Default::default(),
        }
    }

    fn daily() -> Form {
        Form {
            id: "daily".into(),
            once_per: OncePer::Day,
            requires_monitoring: true,
            enrollment: Default::default(),
            title: Default::default(),
            fields: vec![
                field(
                    "temperature",
                    FieldKind::TemperatureC,
                    true,
                    FieldSource::Answer,
                ),
                field(
                    "symptoms",
                    FieldKind::MultiChoice {
                        codes: vec!["cough".into(), "fatigue".into()],
                    },
                    true,
                    FieldSource::Answer,
                ),
                field("district", FieldKind::District, false, FieldSource::Answer),
                field(
                    "notes",
                    FieldKind::Text { max_len: 200 },
                    false,
                    FieldSource::Answer,
                ),
                field("name", FieldKind::PersonName, true, FieldSource::Profile),
                field(
                    "birth_date",
                    FieldKind::Date {
                        allow_future: false,
                    },
                    false,
                    FieldSource::Profile,
                ),
            ],
            padded_bytes: Default::default(),
        }
    }

    fn profile(name: Option<&str>) -> Profile {
        NewProfile {
            display_name: "Me".into(),
            name: name.map(str::to_owned),
            ..NewProfile::default()
        }
        .validate(today())
        .unwrap()
        .into_profile(ProfileId::from_random_bytes([1; 16]))
    }

    fn validate(answers: Answers) -> Result<BTreeMap<String, FieldValue>, ValidationError> {
        validate_answers(&daily(), &profile(Some("张三")), answers, today(), today())
    }

    fn rejected(answers: Answers) -> (String, &'static str) {
        let error = validate(answers).unwrap_err();
        (error.field, error.rule.code())
    }

    fn minimal() -> Answers {
        Answers::new()
            .text("temperature", "37.3")
            .text("symptoms", "")
    }

    #[test]
    fn text_and_typed_answers_become_values_without_profile_fields() {
        let values = validate(
            minimal()
                .value("district", FieldValue::District("310104".into()))
                .text("notes", "  "),
        )
        .unwrap();
        assert_eq!(
            values.get("temperature"),
            Some(&FieldValue::Temperature(Temperature::from_tenths(373)))
        );
        assert_eq!(
            values.get("symptoms"),
            Some(&FieldValue::MultiChoice(vec![]))
        );
        assert_eq!(
            values.get("district"),
            Some(&FieldValue::District("310104".into()))
        );
        // A blank optional answer is not stored; profile fields are never copied in.
        assert!(!values.contains_key("notes"));
        assert!(!values.contains_key("name"));
        assert_eq!(values.len(), 3);
    }

    #[test]
    fn each_rule_names_its_field() {
        assert_eq!(
            rejected(minimal().text("weight", "70")),
            ("weight".into(), "UnknownField")
        );
        assert_eq!(
            rejected(minimal().text("name", "李四")),
            ("name".into(), "ProfileSourced")
        );
        assert_eq!(
            rejected(Answers::new().text("symptoms", "cough")),
            ("temperature".into(), "Required")
        );
        assert_eq!(
            rejected(Answers::new().text("temperature", " ").text("symptoms", "")),
            ("temperature".into(), "Required")
        );
        assert_eq!(
            rejected(minimal().text("temperature", "45")),
            ("temperature".into(), "OutOfRange")
        );
        assert_eq!(
            rejected(minimal().text("symptoms", "cough,cough")),
            ("symptoms".into(), "DuplicateCode")
        );
        assert_eq!(
            rejected(minimal().value("district", FieldValue::Integer(3))),
            ("district".into(), "WrongKind")
        );
    }

    #[test]
    fn required_profile_attributes_must_be_in_the_profile() {
        let error =
            validate_answers(&daily(), &profile(None), minimal(), today(), today()).unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.rule.code()),
            ("name", "MissingFromProfile")
        );
        // birth_date is optional in this form, so its absence is fine.
        assert!(validate(minimal()).is_ok());
    }

    #[test]
    fn the_record_date_may_not_be_in_the_future() {
        let error = validate_answers(
            &daily(),
            &profile(Some("张三")),
            minimal(),
            date("2026-11-29"),
            today(),
        )
        .unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.rule.code()),
            ("date", "FutureDate")
        );
        // Yesterday's report may be filed late.
        assert!(
            validate_answers(
                &daily(),
                &profile(Some("张三")),
                minimal(),
                date("2026-11-27"),
                today()
            )
            .is_ok()
        );
    }

    #[test]
    fn answers_keep_the_last_value_per_field() {
        let mut answers = Answers::new().text("temperature", "37.0");
        let replaced = answers.insert("temperature", AnswerInput::Text("37.5".into()));
        assert_eq!(replaced, Some(AnswerInput::Text("37.0".into())));
        assert_eq!(answers.len(), 1);
        assert!(!answers.is_empty());
        assert_eq!(
            answers.get("temperature"),
            Some(&AnswerInput::Text("37.5".into()))
        );
        let minimal = minimal();
        let fields: Vec<&str> = minimal.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["symptoms", "temperature"]);
    }

    #[test]
    fn records_round_trip_through_json() {
        let values = validate(minimal()).unwrap();
        let record = Record {
            id: RecordId::from_random_bytes([2; 16]),
            profile_id: ProfileId::from_random_bytes([1; 16]),
            policy_id: "sh-daily".into(),
            policy_version: 3,
            form_id: "daily".into(),
            date: today(),
            values,
            revision: 2,
            amends: Some(RecordId::from_random_bytes([3; 16])),
            saved_at: DateTime::parse_from_rfc3339("2026-11-28T21:15:00+08:00").unwrap(),
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["saved_at"], "2026-11-28T21:15:00+08:00");
        assert_eq!(
            json["values"]["temperature"]["type"],
            "temperature_tenths_c"
        );
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
        assert_eq!(
            back.value("temperature"),
            Some(&FieldValue::Temperature(Temperature::from_tenths(373)))
        );
        assert_eq!(RecordId::parse("x").unwrap_err().field, "record_id");
    }

    #[test]
    fn a_required_birth_date_comes_from_the_resident_id_when_the_profile_has_no_other() {
        // A returning traveler entered only his resident ID: the form's birth date is the
        // one it holds, not a `MissingFromProfile` refusal asking him to type it again.
        let mut form = daily();
        for field in &mut form.fields {
            if field.id == "birth_date" {
                field.required = true;
            }
        }
        let traveler = NewProfile {
            display_name: "Me".into(),
            name: Some("张三".into()),
            id_number: Some("11010519491231002X".into()),
            ..NewProfile::default()
        }
        .validate(today())
        .unwrap()
        .into_profile(ProfileId::from_random_bytes([1; 16]));
        assert!(validate_answers(&form, &traveler, minimal(), today(), today()).is_ok());
        let without_id = profile(Some("张三"));
        let error = validate_answers(&form, &without_id, minimal(), today(), today()).unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.rule.code()),
            ("birth_date", "MissingFromProfile")
        );
    }

    fn problems(
        answers: Answers,
        date: NaiveDate,
        name: Option<&str>,
    ) -> Vec<(String, &'static str)> {
        check_answers(&daily(), &profile(name), answers, date, today())
            .into_iter()
            .map(|problem| (problem.field, problem.rule.code()))
            .collect()
    }

    #[test]
    fn checking_lists_every_problem_once_per_field_in_validation_order() {
        let answers = Answers::new()
            .text("weight", "70")
            .text("temperature", "45")
            .text("district", "31010");
        assert_eq!(
            problems(answers, date("2026-11-29"), None),
            [
                ("date".to_owned(), "FutureDate"),
                ("district".to_owned(), "Format"),
                ("temperature".to_owned(), "OutOfRange"),
                ("weight".to_owned(), "UnknownField"),
                // The refused temperature is not also reported missing.
                ("symptoms".to_owned(), "Required"),
                ("name".to_owned(), "MissingFromProfile"),
            ]
        );
        // Saving refuses with the first of them.
        let error = validate_answers(
            &daily(),
            &profile(None),
            Answers::new()
                .text("weight", "70")
                .text("temperature", "45"),
            date("2026-11-29"),
            today(),
        )
        .unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.rule.code()),
            ("date", "FutureDate")
        );
    }

    #[test]
    fn answers_a_save_accepts_have_no_problem() {
        assert_eq!(problems(minimal(), today(), Some("张三")), []);
        assert!(validate(minimal()).is_ok());
    }
}
