//! The JSON shapes a policy document is read into: unknown fields, duplicate keys and
//! wrong types are refused here, before any value is checked.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::super::error::truncated;
use super::ECHO_LEN;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    #[allow(
        dead_code,
        reason = "checked by `check_format` before this shape is read"
    )]
    pub(super) format: String,
    pub(super) id: String,
    pub(super) version: u64,
    pub(super) issuer: RawIssuer,
    pub(super) purpose: RawPurpose,
    pub(super) valid_from: NaiveDate,
    pub(super) valid_until: NaiveDate,
    /// `/2` only.
    #[serde(default)]
    pub(super) region: Option<Vec<String>>,
    pub(super) endpoint: RawEndpoint,
    #[serde(default)]
    pub(super) recipients: UniqueMap<RawRecipient>,
    #[serde(default)]
    pub(super) monitoring: Option<RawMonitoring>,
    pub(super) retention: RawRetention,
    #[serde(default)]
    pub(super) padding: Option<RawPadding>,
    #[serde(default)]
    pub(super) cover_traffic: Option<RawCoverTraffic>,
    /// `/2` only.
    #[serde(default)]
    pub(super) access_notices: Option<bool>,
    pub(super) forms: Vec<RawForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIssuer {
    pub(super) name: UniqueMap<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPurpose {
    pub(super) code: String,
    #[serde(default)]
    pub(super) text: UniqueMap<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEndpoint {
    pub(super) url: String,
    pub(super) spki_sha256: Vec<String>,
    pub(super) receipt_key: String,
    /// `/2` only; read by hand (`token_keys.rs`), which costs the mobile library less
    /// than a derived reader.
    #[serde(default)]
    pub(super) token_keys: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecipient {
    pub(super) suite: String,
    pub(super) public_key: String,
    /// `/2` only.
    #[serde(default)]
    pub(super) role: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMonitoring {
    pub(super) days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    pub(super) device_days: u32,
    pub(super) server_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCoverTraffic {
    pub(super) daily: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPadding {
    pub(super) block_bytes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawForm {
    pub(super) id: String,
    pub(super) once_per: RawOncePer,
    #[serde(default)]
    pub(super) requires_monitoring: bool,
    /// `/2` only; absent means `open`.
    #[serde(default)]
    pub(super) enrollment: Option<RawEnrollment>,
    #[serde(default)]
    pub(super) title: UniqueMap<String>,
    pub(super) fields: Vec<RawField>,
    /// `/2` only (required there).
    #[serde(default)]
    pub(super) padded_bytes: Option<UniqueMap<u64>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawEnrollment {
    Required,
    Open,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawOncePer {
    Day,
    Registration,
}

#[derive(Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawSource {
    #[default]
    Answer,
    Profile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    pub(super) id: String,
    pub(super) kind: String,
    #[serde(default)]
    pub(super) required: bool,
    #[serde(default)]
    pub(super) source: RawSource,
    #[serde(default)]
    pub(super) upload: Option<RawUpload>,
    #[serde(default)]
    pub(super) to: Option<String>,
    #[serde(default)]
    pub(super) label: UniqueMap<String>,
    // Kind parameters; which ones a kind takes is checked in `build_kind`.
    #[serde(default)]
    pub(super) codes: Option<Vec<String>>,
    #[serde(default)]
    pub(super) min: Option<i64>,
    #[serde(default)]
    pub(super) max: Option<i64>,
    #[serde(default)]
    pub(super) max_len: Option<u32>,
    #[serde(default)]
    pub(super) allow_future: Option<bool>,
}

/// An `upload` value: a bare transform name, or an object whose entries are kept in order
/// (duplicates included) so "exactly one key" can be checked with the field's name at hand.
pub(super) enum RawUpload {
    Name(String),
    Object(Vec<(String, RawParameter)>),
}

/// A transform parameter. `risk_area_visited` takes an object read strictly; `window`
/// a number or (`/2`) an object read strictly; the others take a scalar checked when the
/// transform is built.
pub(super) enum RawParameter {
    Scalar(Value),
    RiskArea(RawRiskArea),
    Window(RawWindow),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRiskArea {
    pub(super) areas: Vec<String>,
    pub(super) window_days: u32,
    /// `/2` only; `Null` when absent (read as a JSON value, checked when built).
    #[serde(default)]
    pub(super) reference: Value,
}

/// `{"window": 14}` or, with a reference date (`/2`), `{"window": {"days": 14,
/// "reference": "arrival_date"}}`.
pub(super) enum RawWindow {
    Days(Value),
    Object(RawWindowObject),
}

/// The `/2` object form of a `window` parameter.
pub(super) struct RawWindowObject {
    pub(super) days: Value,
    pub(super) reference: String,
}

impl<'de> Deserialize<'de> for RawWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WindowVisitor;

        impl<'de> Visitor<'de> for WindowVisitor {
            type Value = RawWindow;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of days, or an object with `days` and `reference`")
            }

            fn visit_u64<E: de::Error>(self, days: u64) -> Result<RawWindow, E> {
                Ok(RawWindow::Days(Value::from(days)))
            }

            fn visit_i64<E: de::Error>(self, days: i64) -> Result<RawWindow, E> {
                Ok(RawWindow::Days(Value::from(days)))
            }

            fn visit_f64<E: de::Error>(self, days: f64) -> Result<RawWindow, E> {
                Ok(RawWindow::Days(Value::from(days)))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawWindow, A::Error> {
                // Exactly `days` and `reference`, each once: anything else is refused.
                let (mut days, mut reference) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "days" if days.is_none() => days = Some(map.next_value::<Value>()?),
                        "reference" if reference.is_none() => {
                            reference = Some(map.next_value::<String>()?);
                        }
                        other => {
                            return Err(de::Error::custom(format!(
                                "the window object takes `days` and `reference` once each, not `{}`",
                                truncated(other, ECHO_LEN)
                            )));
                        }
                    }
                }
                match (days, reference) {
                    (Some(days), Some(reference)) => {
                        Ok(RawWindow::Object(RawWindowObject { days, reference }))
                    }
                    _ => Err(de::Error::custom(
                        "the window object needs both `days` and `reference`",
                    )),
                }
            }
        }

        deserializer.deserialize_any(WindowVisitor)
    }
}

impl<'de> Deserialize<'de> for RawUpload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UploadVisitor;

        impl<'de> Visitor<'de> for UploadVisitor {
            type Value = RawUpload;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a transform name or a one-key transform object")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<RawUpload, E> {
                Ok(RawUpload::Name(name.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawUpload, A::Error> {
                let mut entries = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let parameter = match name.as_str() {
                        "risk_area_visited" => RawParameter::RiskArea(map.next_value()?),
                        "window" => RawParameter::Window(map.next_value()?),
                        _ => RawParameter::Scalar(map.next_value()?),
                    };
                    entries.push((name, parameter));
                }
                Ok(RawUpload::Object(entries))
            }
        }

        deserializer.deserialize_any(UploadVisitor)
    }
}

/// A JSON object read into a map, refusing duplicate keys (serde's maps keep the last one
/// silently, which would let two readers of the same signed bytes disagree).
pub(crate) struct UniqueMap<V>(pub(crate) BTreeMap<String, V>);

impl<V> Default for UniqueMap<V> {
    fn default() -> Self {
        Self(BTreeMap::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for UniqueMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UniqueMapVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueMapVisitor<V> {
            type Value = UniqueMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueMap<V>, A::Error> {
                let mut entries = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value()?;
                    if entries.contains_key(&key) {
                        return Err(de::Error::custom(format!(
                            "duplicate key `{}`",
                            truncated(&key, ECHO_LEN)
                        )));
                    }
                    entries.insert(key, value);
                }
                Ok(UniqueMap(entries))
            }
        }

        deserializer.deserialize_map(UniqueMapVisitor(PhantomData))
    }
}
