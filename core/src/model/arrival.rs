//! The planned arrival a registration declares: the answer to its form's `arrival_date`
//! field (kind `date`, answered in the form). Travel legs may end in the future up to
//! it; when such a record is saved, monitoring starts from it; daily reports of the
//! same person dated before it are refused.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{AnswerInput, Answers, FieldKind, FieldValue, parse_answer};
use crate::policy::{FieldSource, FieldSpec, Form};

/// The field id a form's planned arrival date goes by (`"arrival_date"`).
pub const ARRIVAL_DATE_FIELD: &str = "arrival_date";

/// The form's arrival-date field: a `date` field answered in the form with the id
/// [`ARRIVAL_DATE_FIELD`]. `None` when the form has none (or one of another kind).
pub fn arrival_field(form: &Form) -> Option<&FieldSpec> {
    form.field(ARRIVAL_DATE_FIELD).filter(|field| {
        matches!(field.kind, FieldKind::Date { .. }) && field.source == FieldSource::Answer
    })
}

/// The planned arrival among a form's answers, if the form has an arrival-date field
/// and its answer is a valid date; an invalid answer is reported by the answer's own
/// validation, not here.
pub fn answered_arrival(form: &Form, answers: &Answers, today: NaiveDate) -> Option<NaiveDate> {
    let field = arrival_field(form)?;
    let value = match answers.get(ARRIVAL_DATE_FIELD)? {
        AnswerInput::Text(text) => {
            parse_answer(ARRIVAL_DATE_FIELD, &field.kind, text, today).ok()?
        }
        AnswerInput::Value(value) => value.clone(),
    };
    match value {
        FieldValue::Date(date) => Some(date),
        _ => None,
    }
}

/// The planned arrival a stored record's values hold for `form`, if any.
pub fn stored_arrival(form: &Form, values: &BTreeMap<String, FieldValue>) -> Option<NaiveDate> {
    arrival_field(form)?;
    match values.get(ARRIVAL_DATE_FIELD)? {
        FieldValue::Date(date) => Some(*date),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        NewProfile, ProfileId, Record, RecordId, record_corrections, validate_answers,
    };
    use crate::policy::{OncePer, Transform};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn today() -> NaiveDate {
        date("2026-11-28")
    }

    fn field(id: &str, kind: FieldKind) -> FieldSpec {
        FieldSpec {
            id: id.into(),
            kind,
            required: false,
            source: FieldSource::Answer,
            upload: Transform::Omit,
            to: None,
            label: Default::default(),
        }
    }

    fn arrival_form() -> Form {
        Form {
            id: "arrival".into(),
            once_per: OncePer::Registration,
            requires_monitoring: false,
            enrollment: Default::default(),
            title: Default::default(),
            fields: vec![
                field("travel", FieldKind::TravelHistory),
                field(ARRIVAL_DATE_FIELD, FieldKind::Date { allow_future: true }),
            ],
            padded_bytes: Default::default(),
        }
    }

    fn validate(form: &Form, answers: Answers) -> Result<BTreeMap<String, FieldValue>, String> {
        let profile = NewProfile {
            display_name: "Me".into(),
            ..NewProfile::default()
        }
        .validate(today())
        .unwrap()
        .into_profile(ProfileId::from_random_bytes([1; 16]));
        validate_answers(form, &profile, answers, today(), today())
            .map_err(|error| format!("{}:{}", error.field, error.rule.code()))
    }

    #[test]
    fn a_trip_still_under_way_is_registered_with_legs_up_to_the_planned_arrival() {
        // Wuhan since the 20th, then Shanghai until the day before arrival on 3 December.
        let answers = Answers::new()
            .text(
                "travel",
                "420102:2026-11-20:2026-11-29;310104:2026-11-29:2026-12-02",
            )
            .text(ARRIVAL_DATE_FIELD, "2026-12-03");
        let values = validate(&arrival_form(), answers).unwrap();
        assert_eq!(
            stored_arrival(&arrival_form(), &values),
            Some(date("2026-12-03"))
        );
        // The same legs are not flagged later as being in the future.
        let record = Record {
            id: RecordId::from_random_bytes([2; 16]),
            profile_id: ProfileId::from_random_bytes([1; 16]),
            policy_id: "sh-arrivals".into(),
            policy_version: 1,
            form_id: "arrival".into(),
            date: today(),
            values,
            revision: 1,
            amends: None,
            saved_at: chrono::DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap(),
        };
        assert_eq!(record_corrections(&record, &arrival_form(), today()), []);
    }

    #[test]
    fn a_leg_may_end_on_the_arrival_day_but_not_after_it() {
        let on_arrival = Answers::new()
            .text("travel", "310104:2026-11-29:2026-12-03")
            .text(ARRIVAL_DATE_FIELD, "2026-12-03");
        assert!(validate(&arrival_form(), on_arrival).is_ok());
        let after = Answers::new()
            .text("travel", "310104:2026-11-29:2026-12-04")
            .value(ARRIVAL_DATE_FIELD, FieldValue::Date(date("2026-12-03")));
        assert_eq!(
            validate(&arrival_form(), after).unwrap_err(),
            "travel:LegAfterArrival"
        );
    }

    #[test]
    fn without_a_planned_arrival_a_leg_still_ends_by_today() {
        let unanswered = Answers::new().text("travel", "310104:2026-11-20:2026-11-29");
        assert_eq!(
            validate(&arrival_form(), unanswered).unwrap_err(),
            "travel:FutureDate"
        );
        // A form whose `arrival_date` is not a date field plans no arrival.
        let mut form = arrival_form();
        form.fields[1] = field(ARRIVAL_DATE_FIELD, FieldKind::Text { max_len: 10 });
        assert!(arrival_field(&form).is_none());
        let answers = Answers::new()
            .text("travel", "310104:2026-11-20:2026-11-29")
            .text(ARRIVAL_DATE_FIELD, "2026-12-03");
        assert_eq!(validate(&form, answers).unwrap_err(), "travel:FutureDate");
        // Nor does an arrival date that is not a date.
        let bad = Answers::new()
            .text("travel", "310104:2026-11-20:2026-11-21")
            .text(ARRIVAL_DATE_FIELD, "soon");
        assert_eq!(
            validate(&arrival_form(), bad).unwrap_err(),
            "arrival_date:Format"
        );
    }
}
