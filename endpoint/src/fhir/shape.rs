//! How one uploaded field is written in FHIR R4: the Questionnaire item's type and the
//! shape of its answers, decided by the field's kind and transform in the signed policy,
//! never by the value that arrived. The Questionnaire and the responses both read it,
//! so they agree item for item.

use selfreport_core::model::FieldKind;
use selfreport_core::policy::{DateGranularity, DistrictLevel, FieldSpec, Transform};

/// The shape of an uploaded field in FHIR.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// `boolean`: yes/no kept, a threshold.
    Boolean,
    /// `integer`: counts, integers whose every possible value fits 32 bits.
    Integer,
    /// `decimal`: temperatures, integers that may not fit 32 bits.
    Decimal,
    /// `date`: a kept date (`YYYY-MM-DD`) or a month (`YYYY-MM`).
    Date,
    /// `string`, optionally constrained by a regular expression.
    String {
        /// What every value matches (the R4 `regex` extension).
        regex: Option<&'static str>,
    },
    /// `text`: free text of a bounded length.
    Text {
        /// The policy's `max_len`.
        max_len: u32,
    },
    /// `choice`: codes of the policy's code system, one or (`repeats`) several.
    Codes {
        /// The allowed codes, in policy order.
        codes: Vec<String>,
        /// Whether several may be chosen (multi_choice).
        repeats: bool,
    },
    /// `choice`: an age band from the project's code system for bands this wide.
    AgeBand {
        /// Band width in years.
        width: u32,
    },
    /// A repeating `group` per travel leg: place (string), from and to (dates).
    Legs {
        /// What every place matches: six digits, zeroed below the level kept.
        place_regex: &'static str,
    },
    /// `boolean` (a listed area visited), with the ISO week of the last visit as a
    /// child item enabled when true.
    RiskArea,
}

/// An ISO 8601 week, `2026-W48`: FHIR has no week type, so a string that says its form.
pub(crate) const WEEK_REGEX: &str = "[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])";
/// A pseudonym: 32 lowercase hex characters.
pub(crate) const PSEUDONYM_REGEX: &str = "[0-9a-f]{32}";
/// A county-level district code.
pub(crate) const DISTRICT_REGEX: &str = "[0-9]{6}";
/// A district code generalized to its city.
pub(crate) const CITY_REGEX: &str = "[0-9]{4}00";
/// A district code generalized to its province.
pub(crate) const PROVINCE_REGEX: &str = "[0-9]{2}0000";

/// The shape of `field` as uploaded, or `None` when it never leaves the device.
pub(crate) fn shape_of(field: &FieldSpec) -> Option<Shape> {
    let shape = match (&field.upload, &field.kind) {
        (Transform::Omit, _) => return None,
        (Transform::Keep, kind) => kept(kind),
        (Transform::Round { step }, FieldKind::Integer { min, max }) => {
            // Rounding can move a value by up to a step past its bounds.
            let step = step.abs().ceil();
            let step = if step.is_finite() {
                step as i64
            } else {
                i64::MAX
            };
            integer(min.saturating_sub(step), max.saturating_add(step))
        }
        (Transform::Round { .. }, _) => Shape::Decimal,
        (Transform::Threshold { .. }, _) => Shape::Boolean,
        (Transform::Generalize { level }, FieldKind::TravelHistory) => Shape::Legs {
            place_regex: district_regex(*level),
        },
        (Transform::Generalize { level }, _) => Shape::String {
            regex: Some(district_regex(*level)),
        },
        (Transform::AgeBand { width }, _) => Shape::AgeBand { width: *width },
        (Transform::CoarsenDate { granularity }, _) => match granularity {
            DateGranularity::Month => Shape::Date,
            DateGranularity::Week => Shape::String {
                regex: Some(WEEK_REGEX),
            },
        },
        (Transform::Window { .. }, _) => Shape::Legs {
            place_regex: DISTRICT_REGEX,
        },
        (Transform::RiskAreaVisited { .. }, _) => Shape::RiskArea,
        (Transform::Count, _) => Shape::Integer,
        (Transform::Pseudonym, _) => Shape::String {
            regex: Some(PSEUDONYM_REGEX),
        },
    };
    Some(shape)
}

/// A kept value: the kind's own type.
fn kept(kind: &FieldKind) -> Shape {
    match kind {
        FieldKind::YesNo => Shape::Boolean,
        FieldKind::Choice { codes } => Shape::Codes {
            codes: codes.clone(),
            repeats: false,
        },
        FieldKind::MultiChoice { codes } => Shape::Codes {
            codes: codes.clone(),
            repeats: true,
        },
        FieldKind::TemperatureC => Shape::Decimal,
        FieldKind::Integer { min, max } => integer(*min, *max),
        FieldKind::Date { .. } => Shape::Date,
        FieldKind::District => Shape::String {
            regex: Some(DISTRICT_REGEX),
        },
        FieldKind::TravelHistory => Shape::Legs {
            place_regex: DISTRICT_REGEX,
        },
        FieldKind::Text { max_len } => Shape::Text { max_len: *max_len },
        FieldKind::PersonName
        | FieldKind::ResidentId
        | FieldKind::PassportNumber
        | FieldKind::Phone
        | FieldKind::TransportNumber => Shape::String { regex: None },
    }
}

/// FHIR's `integer` is 32 bits: a field that may hold more is a `decimal`.
fn integer(min: i64, max: i64) -> Shape {
    let fits = |value: i64| i32::try_from(value).is_ok();
    if fits(min) && fits(max) {
        Shape::Integer
    } else {
        Shape::Decimal
    }
}

fn district_regex(level: DistrictLevel) -> &'static str {
    match level {
        DistrictLevel::District => DISTRICT_REGEX,
        DistrictLevel::City => CITY_REGEX,
        DistrictLevel::Province => PROVINCE_REGEX,
    }
}

impl Shape {
    /// The Questionnaire item type.
    pub(crate) fn item_type(&self) -> &'static str {
        match self {
            Shape::Boolean | Shape::RiskArea => "boolean",
            Shape::Integer => "integer",
            Shape::Decimal => "decimal",
            Shape::Date => "date",
            Shape::String { .. } => "string",
            Shape::Text { .. } => "text",
            Shape::Codes { .. } | Shape::AgeBand { .. } => "choice",
            Shape::Legs { .. } => "group",
        }
    }
}

/// The age band code for `[from, to]` in the code system of `width`-year bands: bands
/// are enumerated up to [`AGE_BAND_OPEN_FROM`] years, after which one open band holds
/// every older age (an age past it is a typing error more often than a person).
pub(crate) fn age_band_code(width: u32, from: u64, to: u64) -> String {
    let open_from = age_band_open_from(width);
    if from >= open_from {
        format!("{open_from}+")
    } else {
        format!("{from}-{to}")
    }
}

/// Ages from which bands are no longer enumerated one by one.
pub(crate) const AGE_BAND_OPEN_FROM: u64 = 150;

/// The first band start at or past [`AGE_BAND_OPEN_FROM`]: where the open band begins.
pub(crate) fn age_band_open_from(width: u32) -> u64 {
    let width = u64::from(width.max(1));
    AGE_BAND_OPEN_FROM.div_ceil(width) * width
}

/// Every code of the `width`-year band code system, with its display, in order.
pub(crate) fn age_band_concepts(width: u32) -> Vec<(String, String)> {
    let step = u64::from(width.max(1));
    let open_from = age_band_open_from(width);
    let mut concepts: Vec<(String, String)> = (0..open_from)
        .step_by(usize::try_from(step).unwrap_or(usize::MAX))
        .map(|from| {
            let to = from + step - 1;
            (
                format!("{from}-{to}"),
                if from == to {
                    format!("{from} years")
                } else {
                    format!("{from} to {to} years")
                },
            )
        })
        .collect();
    concepts.push((
        format!("{open_from}+"),
        format!("{open_from} years or older"),
    ));
    concepts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_are_enumerated_to_an_open_band() {
        let tens = age_band_concepts(10);
        assert_eq!(tens.len(), 16);
        assert_eq!(tens[0], ("0-9".to_owned(), "0 to 9 years".to_owned()));
        assert_eq!(tens[14].0, "140-149");
        assert_eq!(tens[15].0, "150+");
        let sevens = age_band_concepts(7);
        assert_eq!(sevens.last().unwrap().0, "154+");
        assert_eq!(sevens[sevens.len() - 2].0, "147-153");
        assert_eq!(age_band_concepts(1)[3].1, "3 years");
        assert_eq!(age_band_concepts(1).len(), 151);
        assert_eq!(age_band_code(10, 60, 69), "60-69");
        assert_eq!(age_band_code(10, 150, 159), "150+");
        assert_eq!(age_band_code(7, 147, 153), "147-153");
        assert_eq!(age_band_code(7, 2009, 2015), "154+");
        assert_eq!(
            age_band_concepts(200),
            vec![
                ("0-199".to_owned(), "0 to 199 years".to_owned()),
                ("200+".to_owned(), "200 years or older".to_owned()),
            ]
        );
    }
}
