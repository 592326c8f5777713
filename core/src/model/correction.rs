//! Stored values that today's rules refuse. Rules grow stricter (a phone number's trunk
//! prefix, a region code that never existed); what a person saved under older rules is
//! kept as it was and flagged for them to correct, never dropped or silently rewritten.

use chrono::NaiveDate;
use serde::Serialize;

use super::profile::check_birth_date_matches_id;
use super::resident_id::birth_date as resident_id_birth_date;
use super::{
    DateBounds, FieldKind, FieldValue, Profile, ProfileAttribute, Record, ValidationError,
    check_value_within, parse_answer_within, stored_arrival,
};
use crate::policy::Form;

/// A stored value that today's rules refuse, kept as it was for the person to correct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// The field and the rule its stored value breaks.
    pub error: ValidationError,
    /// What today's rules make of the stored value when it only needs normalizing (a
    /// phone number saved with its trunk prefix: `+8602156748728` → `+862156748728`);
    /// `None` when the person has to give a new value.
    pub suggested: Option<FieldValue>,
}

impl Serialize for Correction {
    /// `{"field", "rule", "message", "suggested"}`: the rule as its stable code.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Correction", 4)?;
        out.serialize_field("field", &self.error.field)?;
        out.serialize_field("rule", self.error.rule.code())?;
        out.serialize_field("message", &self.error.to_string())?;
        out.serialize_field("suggested", &self.suggested)?;
        out.end()
    }
}

/// Checks a stored value of `field_id` against today's rules for `kind`: `None` when it
/// passes, the correction it needs otherwise.
pub fn recheck(
    field_id: &str,
    kind: &FieldKind,
    value: &FieldValue,
    today: NaiveDate,
) -> Option<Correction> {
    recheck_within(field_id, kind, value, DateBounds::today(today))
}

/// [`recheck`] within `bounds`: a stored travel history's legs up to its record's
/// planned arrival pass.
pub fn recheck_within(
    field_id: &str,
    kind: &FieldKind,
    value: &FieldValue,
    bounds: DateBounds,
) -> Option<Correction> {
    let error = check_value_within(field_id, kind, value, bounds).err()?;
    // The value's text form parsed again: a normalization that now passes is offered.
    let suggested = parse_answer_within(field_id, kind, &value.to_string(), bounds)
        .ok()
        .filter(|normalized| normalized != value);
    Some(Correction { error, suggested })
}

/// The corrections a stored profile's attributes need under today's rules, in attribute
/// order.
pub fn profile_corrections(profile: &Profile, today: NaiveDate) -> Vec<Correction> {
    let kind_of = |attribute| match attribute {
        ProfileAttribute::Name => Some(FieldKind::PersonName),
        ProfileAttribute::IdNumber => Some(FieldKind::ResidentId),
        ProfileAttribute::Phone => Some(FieldKind::Phone),
        ProfileAttribute::PassportNumber => Some(FieldKind::PassportNumber),
        // Checked below, against the ID number: no rule about a date alone has changed.
        ProfileAttribute::BirthDate => None,
    };
    let mut corrections: Vec<Correction> = ProfileAttribute::ALL
        .into_iter()
        .filter_map(|attribute| {
            let kind = kind_of(attribute)?;
            let value = profile.attribute(attribute)?;
            recheck(attribute.field_id(), &kind, &value, today)
        })
        .collect();
    // A birth date that disagrees with the ID number it was stored beside (saved before
    // the two were compared): kept, flagged, and the ID's date offered.
    if let Some(birth_date) = profile.birth_date {
        if let Err(error) = check_birth_date_matches_id(birth_date, profile.id_number.as_deref()) {
            let suggested = profile
                .id_number
                .as_deref()
                .and_then(resident_id_birth_date)
                .map(FieldValue::Date);
            corrections.push(Correction { error, suggested });
        }
    }
    corrections
}

/// The corrections a stored record's values need under today's rules for `form` (the
/// installed version of its form), in field-id order. Values of fields the form no
/// longer has, or has with another kind, are not rechecked: they were checked against
/// the form they were saved under.
pub fn record_corrections(record: &Record, form: &Form, today: NaiveDate) -> Vec<Correction> {
    let bounds = DateBounds {
        today,
        planned_arrival: stored_arrival(form, &record.values),
    };
    record
        .values
        .iter()
        .filter_map(|(field_id, value)| {
            let field = form.field(field_id)?;
            if field.kind.name() != value.kind_name() {
                return None;
            }
            recheck_within(field_id, &field.kind, value, bounds)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProfileId, Rule};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn stored_profile() -> Profile {
        // As saved under the older rules: the trunk 0 kept, an ID whose check digit is
        // right but whose region code (110199) never existed.
        let profile = crate::model::NewProfile {
            display_name: "Mum".into(),
            name: Some("王芳".into()),
            ..Default::default()
        }
        .validate(today())
        .unwrap()
        .into_profile(ProfileId::from_random_bytes([1; 16]));
        Profile {
            id_number: Some("110199199001010029".into()),
            phone: Some("+8602156748728".into()),
            ..profile
        }
    }

    #[test]
    fn a_profile_saved_under_older_rules_is_flagged_attribute_by_attribute() {
        let corrections = profile_corrections(&stored_profile(), today());
        let found: Vec<_> = corrections
            .iter()
            .map(|c| (c.error.field.as_str(), c.error.rule.clone()))
            .collect();
        assert_eq!(
            found,
            [
                ("id_number", Rule::UnknownDistrict),
                (
                    "phone",
                    Rule::Format {
                        expected: "an international phone number: + and the country code, then the number"
                    }
                ),
            ]
        );
        // The phone only needs its trunk prefix dropped; the ID needs the person.
        assert_eq!(corrections[0].suggested, None);
        assert_eq!(
            corrections[1].suggested,
            Some(FieldValue::Phone("+862156748728".into()))
        );
        let json = serde_json::to_value(&corrections[1]).unwrap();
        assert_eq!(json["field"], "phone");
        assert_eq!(json["rule"], "Format");
        assert_eq!(json["suggested"]["value"], "+862156748728");
    }

    #[test]
    fn a_stored_birth_date_the_resident_id_contradicts_is_kept_and_flagged() {
        let profile = Profile {
            id_number: Some("11010519491231002X".into()),
            phone: None,
            birth_date: Some(NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()),
            ..stored_profile()
        };
        let corrections = profile_corrections(&profile, today());
        assert_eq!(corrections.len(), 1, "{corrections:?}");
        assert_eq!(corrections[0].error.field, "birth_date");
        assert_eq!(corrections[0].error.rule, Rule::ResidentIdBirthDateMismatch);
        assert_eq!(
            corrections[0].suggested,
            Some(FieldValue::Date(
                NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
            ))
        );
        // Kept: the profile still says what was stored.
        assert_eq!(profile.birth_date, NaiveDate::from_ymd_opt(1950, 1, 1));
    }

    #[test]
    fn a_valid_profile_needs_nothing() {
        let profile = Profile {
            id_number: Some("11010519491231002X".into()),
            phone: Some("+862156748728".into()),
            ..stored_profile()
        };
        assert_eq!(profile_corrections(&profile, today()), []);
    }

    #[test]
    fn record_values_are_rechecked_against_the_form() {
        let district = FieldKind::District;
        // Beijing Chongwen, abolished in 2010.
        let flagged = recheck(
            "district",
            &district,
            &FieldValue::District("110103".into()),
            today(),
        )
        .unwrap();
        assert_eq!(
            flagged.error.rule,
            Rule::DistrictAbolished { last_year: 2010 }
        );
        assert_eq!(flagged.suggested, None);
        assert_eq!(
            recheck(
                "district",
                &district,
                &FieldValue::District("110101".into()),
                today()
            ),
            None
        );
    }
}
