//! Typed field values: what a validated answer holds.
//!
//! Values are stored inside encrypted records and fed to the minimization transforms, so
//! their serde form is explicit and stable: `{"type": "<tag>", "value": ...}` with the
//! tags spelled out on each variant below. Renaming a variant in Rust changes nothing
//! on disk; changing a tag would be a storage migration.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A body temperature in tenths of a degree Celsius (`373` is 37.3 °C).
///
/// An integer, so values are exact and compare, round and threshold without
/// floating-point surprises. Serialized as the bare number of tenths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Temperature(i32);

impl Temperature {
    /// The temperature of `tenths` tenths of a degree Celsius.
    pub const fn from_tenths(tenths: i32) -> Self {
        Self(tenths)
    }

    /// The temperature in tenths of a degree Celsius.
    pub const fn tenths(self) -> i32 {
        self.0
    }

    /// The temperature in degrees Celsius, for display and arithmetic that tolerates
    /// rounding; comparisons should use [`Temperature::tenths`].
    pub fn celsius(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for Temperature {
    /// Degrees Celsius with exactly one decimal (`37.3`, `-0.5`), the form answers use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        write!(f, "{sign}{}.{}", magnitude / 10, magnitude % 10)
    }
}

/// One leg of a travel history: where, and the first and last day there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TravelLeg {
    /// GB/T 2260 six-digit district code of the place.
    pub place: String,
    /// First day there.
    pub from: NaiveDate,
    /// Last day there (on or after `from`).
    pub to: NaiveDate,
}

impl fmt::Display for TravelLeg {
    /// `PLACE:FROM:TO`, the form answers use (`420106:2026-11-01:2026-11-03`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.place, self.from, self.to)
    }
}

/// The typed value of one field of a record or profile.
///
/// Constructing a value does not validate it; [`super::check_value`] does, and
/// [`super::parse_answer`] parses text into a checked value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value")]
pub enum FieldValue {
    /// `yes_no`.
    #[serde(rename = "yes_no")]
    YesNo(bool),
    /// `choice`: one code.
    #[serde(rename = "choice")]
    Choice(String),
    /// `multi_choice`: the codes chosen, in the order given; empty means none.
    #[serde(rename = "multi_choice")]
    MultiChoice(Vec<String>),
    /// `temperature_c`, in tenths of a degree.
    #[serde(rename = "temperature_tenths_c")]
    Temperature(Temperature),
    /// `integer`.
    #[serde(rename = "integer")]
    Integer(i64),
    /// `date`.
    #[serde(rename = "date")]
    Date(NaiveDate),
    /// `district`: a GB/T 2260 six-digit code.
    #[serde(rename = "district")]
    District(String),
    /// `travel_history`: the legs, in the order given; empty means no travel.
    #[serde(rename = "travel_history")]
    TravelHistory(Vec<TravelLeg>),
    /// `person_name`.
    #[serde(rename = "person_name")]
    PersonName(String),
    /// `resident_id`: 18 characters, check character `X` in upper case.
    #[serde(rename = "resident_id")]
    ResidentId(String),
    /// `passport_number`: upper-case letters and digits.
    #[serde(rename = "passport_number")]
    PassportNumber(String),
    /// `phone`: E.164, `+` and digits only.
    #[serde(rename = "phone")]
    Phone(String),
    /// `transport_number`: a flight or train number, upper case, no spaces.
    #[serde(rename = "transport_number")]
    TransportNumber(String),
    /// `text`.
    #[serde(rename = "text")]
    Text(String),
}

impl FieldValue {
    /// The name of the field kind this value belongs to (`"temperature_c"`), as
    /// [`super::FieldKind::name`] spells it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            FieldValue::YesNo(_) => "yes_no",
            FieldValue::Choice(_) => "choice",
            FieldValue::MultiChoice(_) => "multi_choice",
            FieldValue::Temperature(_) => "temperature_c",
            FieldValue::Integer(_) => "integer",
            FieldValue::Date(_) => "date",
            FieldValue::District(_) => "district",
            FieldValue::TravelHistory(_) => "travel_history",
            FieldValue::PersonName(_) => "person_name",
            FieldValue::ResidentId(_) => "resident_id",
            FieldValue::PassportNumber(_) => "passport_number",
            FieldValue::Phone(_) => "phone",
            FieldValue::TransportNumber(_) => "transport_number",
            FieldValue::Text(_) => "text",
        }
    }
}

impl fmt::Display for FieldValue {
    /// The value in the text form [`super::parse_answer`] accepts, so a displayed valid
    /// value parses back to itself: `yes`/`no`, codes joined by `,`, `37.3`, dates as
    /// `YYYY-MM-DD`, travel legs as `PLACE:FROM:TO` joined by `;`, strings as they are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::YesNo(true) => f.write_str("yes"),
            FieldValue::YesNo(false) => f.write_str("no"),
            FieldValue::MultiChoice(codes) => f.write_str(&codes.join(",")),
            FieldValue::Temperature(temperature) => temperature.fmt(f),
            FieldValue::Integer(number) => number.fmt(f),
            FieldValue::Date(date) => date.fmt(f),
            FieldValue::TravelHistory(legs) => {
                for (index, leg) in legs.iter().enumerate() {
                    if index > 0 {
                        f.write_str(";")?;
                    }
                    leg.fmt(f)?;
                }
                Ok(())
            }
            FieldValue::Choice(text)
            | FieldValue::District(text)
            | FieldValue::PersonName(text)
            | FieldValue::ResidentId(text)
            | FieldValue::PassportNumber(text)
            | FieldValue::Phone(text)
            | FieldValue::TransportNumber(text)
            | FieldValue::Text(text) => f.write_str(text),
        }
    }
}

/// Values are what people typed: `Debug` names the kind only, so a value can never reach
/// a log line through `{:?}`.
impl std::fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldValue::{}(<redacted>)", self.kind_name())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn temperatures_display_with_one_decimal() {
        assert_eq!(Temperature::from_tenths(373).to_string(), "37.3");
        assert_eq!(Temperature::from_tenths(370).to_string(), "37.0");
        assert_eq!(Temperature::from_tenths(-5).to_string(), "-0.5");
        assert_eq!(
            Temperature::from_tenths(i32::MIN).to_string(),
            "-214748364.8"
        );
        assert!((Temperature::from_tenths(373).celsius() - 37.3).abs() < 1e-9);
    }

    #[test]
    fn serde_form_is_pinned() {
        // These exact documents are what encrypted records hold; changing any of them
        // needs a storage migration.
        let leg = TravelLeg {
            place: "420106".into(),
            from: date("2026-11-01"),
            to: date("2026-11-03"),
        };
        let cases = [
            (
                FieldValue::YesNo(true),
                json!({"type": "yes_no", "value": true}),
            ),
            (
                FieldValue::Choice("home".into()),
                json!({"type": "choice", "value": "home"}),
            ),
            (
                FieldValue::MultiChoice(vec!["cough".into(), "fatigue".into()]),
                json!({"type": "multi_choice", "value": ["cough", "fatigue"]}),
            ),
            (
                FieldValue::Temperature(Temperature::from_tenths(373)),
                json!({"type": "temperature_tenths_c", "value": 373}),
            ),
            (
                FieldValue::Integer(-3),
                json!({"type": "integer", "value": -3}),
            ),
            (
                FieldValue::Date(date("2026-11-28")),
                json!({"type": "date", "value": "2026-11-28"}),
            ),
            (
                FieldValue::District("310104".into()),
                json!({"type": "district", "value": "310104"}),
            ),
            (
                FieldValue::TravelHistory(vec![leg]),
                json!({"type": "travel_history", "value": [
                    {"place": "420106", "from": "2026-11-01", "to": "2026-11-03"}
                ]}),
            ),
            (
                FieldValue::PersonName("张三".into()),
                json!({"type": "person_name", "value": "张三"}),
            ),
            (
                FieldValue::ResidentId("11010519491231002X".into()),
                json!({"type": "resident_id", "value": "11010519491231002X"}),
            ),
            (
                FieldValue::PassportNumber("E12345678".into()),
                json!({"type": "passport_number", "value": "E12345678"}),
            ),
            (
                FieldValue::Phone("+8613800138000".into()),
                json!({"type": "phone", "value": "+8613800138000"}),
            ),
            (
                FieldValue::TransportNumber("MU5101".into()),
                json!({"type": "transport_number", "value": "MU5101"}),
            ),
            (
                FieldValue::Text("fine".into()),
                json!({"type": "text", "value": "fine"}),
            ),
        ];
        for (value, expected) in cases {
            let encoded = serde_json::to_value(&value).unwrap();
            assert_eq!(encoded, expected, "{value:?}");
            let decoded: FieldValue = serde_json::from_value(expected).unwrap();
            assert_eq!(decoded, value);
        }
    }

    #[test]
    fn unknown_tags_are_rejected() {
        let result: Result<FieldValue, _> =
            serde_json::from_value(json!({"type": "temperature", "value": 37.3}));
        assert!(result.is_err());
    }

    #[test]
    fn values_display_in_answer_form() {
        let legs = FieldValue::TravelHistory(vec![
            TravelLeg {
                place: "420106".into(),
                from: date("2026-11-01"),
                to: date("2026-11-03"),
            },
            TravelLeg {
                place: "310104".into(),
                from: date("2026-11-04"),
                to: date("2026-11-04"),
            },
        ]);
        assert_eq!(
            legs.to_string(),
            "420106:2026-11-01:2026-11-03;310104:2026-11-04:2026-11-04"
        );
        assert_eq!(FieldValue::TravelHistory(vec![]).to_string(), "");
        assert_eq!(FieldValue::YesNo(false).to_string(), "no");
        assert_eq!(
            FieldValue::MultiChoice(vec!["cough".into(), "fatigue".into()]).to_string(),
            "cough,fatigue"
        );
        assert_eq!(
            FieldValue::Date(date("2026-01-05")).to_string(),
            "2026-01-05"
        );
        assert_eq!(FieldValue::Integer(42).to_string(), "42");
        assert_eq!(
            FieldValue::Phone("+8613800138000".into()).to_string(),
            "+8613800138000"
        );
    }

    #[test]
    fn kind_names_match_field_kinds() {
        use crate::model::FieldKind;
        let pairs = [
            (FieldValue::YesNo(true), FieldKind::YesNo),
            (
                FieldValue::Temperature(Temperature::from_tenths(370)),
                FieldKind::TemperatureC,
            ),
            (
                FieldValue::Text(String::new()),
                FieldKind::Text { max_len: 1 },
            ),
            (
                FieldValue::Date(date("2026-01-01")),
                FieldKind::Date {
                    allow_future: false,
                },
            ),
            (FieldValue::TravelHistory(vec![]), FieldKind::TravelHistory),
        ];
        for (value, kind) in pairs {
            assert_eq!(value.kind_name(), kind.name());
        }
    }
}
