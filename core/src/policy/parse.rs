//! Strict parsing of `selfreport.policy/1` documents, with every content check of DESIGN §5.
//!
//! The JSON is read into private `Raw*` shapes (unknown fields, duplicate keys and wrong
//! types are refused), then each value is checked and turned into the plain
//! [`PolicyDocument`] types. Checks that need a date (validity today) or a key (signature,
//! trust) live in [`super::envelope`]; rollback lives in [`super::install`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::model::{FieldKind, ProfileAttribute};

use super::error::truncated;
use super::limits::*;
use super::trust::decode_key_32;
use super::{
    CoverTraffic, DateGranularity, DistrictLevel, Endpoint, FieldSource, FieldSpec, Form, Issuer,
    Labels, Monitoring, OncePer, POLICY_FORMAT, Padding, PolicyDocument, PolicyError, Purpose,
    Recipient, Retention, Transform,
};

/// HPKE suites a recipient may use (DESIGN §7).
pub const SUPPORTED_SUITES: [&str; 2] =
    ["x25519-sha256-chacha20poly1305", "x25519-sha256-aes128gcm"];

/// Longest untrusted string echoed back in an error message.
const ECHO_LEN: usize = 64;

/// Parses and checks a policy document.
///
/// This checks content only: it says nothing about who wrote the document or whether it
/// is valid today. Anything the app acts on must come from
/// [`SignedPolicy::verify`](super::SignedPolicy::verify).
pub fn parse_policy_document(payload: &[u8]) -> Result<PolicyDocument, PolicyError> {
    if payload.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge {
            size: payload.len(),
            limit: MAX_POLICY_BYTES,
        });
    }
    check_format(payload)?;
    let raw: RawPolicy = serde_json::from_slice(payload).map_err(json_error)?;
    let document = build_policy(raw)?;
    check_disclosures(&document)?;
    Ok(document)
}

/// Every upload must be one the minimization engine can produce exactly, and every form's
/// sealed submission must fit the drop box's body limit, so a policy that installs can
/// always be sent.
fn check_disclosures(document: &PolicyDocument) -> Result<(), PolicyError> {
    for form in &document.forms {
        for field in form.fields.iter().filter(|field| field.upload.uploads()) {
            crate::minimize::check_field(field).map_err(|error| PolicyError::BadParameter {
                form: form.id.clone(),
                field: field.id.clone(),
                detail: error.to_string(),
            })?;
        }
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
fn check_format(payload: &[u8]) -> Result<(), PolicyError> {
    let value: Value = serde_json::from_slice(payload).map_err(json_error)?;
    let object = value
        .as_object()
        .ok_or_else(|| PolicyError::malformed("the policy document is not a JSON object"))?;
    match object.get("format") {
        Some(Value::String(format)) if format == POLICY_FORMAT => Ok(()),
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

// ---------------------------------------------------------------------------------------
// The JSON shapes.
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[allow(
        dead_code,
        reason = "checked by `check_format` before this shape is read"
    )]
    format: String,
    id: String,
    version: u64,
    issuer: RawIssuer,
    purpose: RawPurpose,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    endpoint: RawEndpoint,
    #[serde(default)]
    recipients: UniqueMap<RawRecipient>,
    #[serde(default)]
    monitoring: Option<RawMonitoring>,
    retention: RawRetention,
    #[serde(default)]
    padding: Option<RawPadding>,
    #[serde(default)]
    cover_traffic: Option<RawCoverTraffic>,
    forms: Vec<RawForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    name: UniqueMap<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPurpose {
    code: String,
    #[serde(default)]
    text: UniqueMap<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    url: String,
    spki_sha256: Vec<String>,
    receipt_key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    suite: String,
    public_key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitoring {
    days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    device_days: u32,
    server_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoverTraffic {
    daily: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPadding {
    block_bytes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    id: String,
    once_per: RawOncePer,
    #[serde(default)]
    requires_monitoring: bool,
    #[serde(default)]
    title: UniqueMap<String>,
    fields: Vec<RawField>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RawOncePer {
    Day,
    Registration,
}

#[derive(Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
enum RawSource {
    #[default]
    Answer,
    Profile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: String,
    kind: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    source: RawSource,
    #[serde(default)]
    upload: Option<RawUpload>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    label: UniqueMap<String>,
    // Kind parameters; which ones a kind takes is checked in `build_kind`.
    #[serde(default)]
    codes: Option<Vec<String>>,
    #[serde(default)]
    min: Option<i64>,
    #[serde(default)]
    max: Option<i64>,
    #[serde(default)]
    max_len: Option<u32>,
    #[serde(default)]
    allow_future: Option<bool>,
}

/// An `upload` value: a bare transform name, or an object whose entries are kept in order
/// (duplicates included) so "exactly one key" can be checked with the field's name at hand.
enum RawUpload {
    Name(String),
    Object(Vec<(String, RawParameter)>),
}

/// A transform parameter. `risk_area_visited` takes an object read strictly; the others
/// take a scalar checked when the transform is built.
enum RawParameter {
    Scalar(Value),
    RiskArea(RawRiskArea),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRiskArea {
    areas: Vec<String>,
    window_days: u32,
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
                    let parameter = if name == "risk_area_visited" {
                        RawParameter::RiskArea(map.next_value()?)
                    } else {
                        RawParameter::Scalar(map.next_value()?)
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
struct UniqueMap<V>(BTreeMap<String, V>);

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

// ---------------------------------------------------------------------------------------
// Checks, from the document down to its fields.
// ---------------------------------------------------------------------------------------

fn build_policy(raw: RawPolicy) -> Result<PolicyDocument, PolicyError> {
    check_id("policy id", &raw.id)?;
    // Versions are compared and stored as SQLite integers, so they stay within i64.
    if raw.version == 0 || raw.version > i64::MAX as u64 {
        return Err(setting("version", "must be between 1 and 2^63 - 1"));
    }
    if raw.valid_until < raw.valid_from {
        return Err(PolicyError::InvalidWindow {
            valid_from: raw.valid_from,
            valid_until: raw.valid_until,
        });
    }

    let issuer = Issuer {
        name: check_labels("the issuer's name", raw.issuer.name, MAX_LABEL_CHARS)?,
    };
    check_id("purpose code", &raw.purpose.code)?;
    let purpose = Purpose {
        code: raw.purpose.code,
        text: check_labels("the purpose statement", raw.purpose.text, MAX_PURPOSE_CHARS)?,
    };
    let endpoint = build_endpoint(raw.endpoint)?;
    let recipients = build_recipients(raw.recipients)?;

    let monitoring = match raw.monitoring {
        Some(RawMonitoring { days }) => {
            check_range("monitoring.days", days, 1, MAX_MONITORING_DAYS)?;
            Some(Monitoring { days })
        }
        None => None,
    };
    let retention = Retention {
        device_days: check_range(
            "retention.device_days",
            raw.retention.device_days,
            1,
            MAX_RETENTION_DAYS,
        )?,
        server_days: check_range(
            "retention.server_days",
            raw.retention.server_days,
            1,
            MAX_RETENTION_DAYS,
        )?,
    };
    let padding = Padding {
        block_bytes: check_range(
            "padding.block_bytes",
            raw.padding
                .map_or(DEFAULT_PADDING_BLOCK_BYTES, |p| p.block_bytes),
            MIN_PADDING_BLOCK_BYTES,
            MAX_PADDING_BLOCK_BYTES,
        )?,
    };

    let cover_traffic = CoverTraffic {
        daily: check_range(
            "cover_traffic.daily",
            raw.cover_traffic.map_or(0, |cover| cover.daily),
            0,
            MAX_COVER_DAILY,
        )?,
    };

    if raw.forms.is_empty() {
        return Err(setting("forms", "a policy declares at least one form"));
    }
    check_count("forms in the policy", raw.forms.len(), MAX_FORMS)?;
    let mut forms: Vec<Form> = Vec::with_capacity(raw.forms.len());
    for raw_form in raw.forms {
        let form = build_form(raw_form, &recipients, monitoring.is_some())?;
        if forms.iter().any(|existing| existing.id == form.id) {
            return Err(PolicyError::Duplicate {
                what: "form id".into(),
                id: form.id,
            });
        }
        forms.push(form);
    }

    Ok(PolicyDocument {
        id: raw.id,
        version: raw.version,
        issuer,
        purpose,
        valid_from: raw.valid_from,
        valid_until: raw.valid_until,
        endpoint,
        recipients,
        monitoring,
        retention,
        padding,
        cover_traffic,
        forms,
    })
}

fn build_endpoint(raw: RawEndpoint) -> Result<Endpoint, PolicyError> {
    check_endpoint_url(&raw.url)?;
    if raw.spki_sha256.is_empty() {
        return Err(setting(
            "endpoint.spki_sha256",
            "at least one pin is required",
        ));
    }
    check_count("endpoint pins", raw.spki_sha256.len(), MAX_PINS)?;
    let mut seen = BTreeSet::new();
    for (index, pin) in raw.spki_sha256.iter().enumerate() {
        let bytes = decode_key_32(pin).ok_or_else(|| PolicyError::BadKey {
            what: format!("endpoint pin {} (spki_sha256)", index + 1),
        })?;
        if !seen.insert(bytes) {
            return Err(PolicyError::Duplicate {
                what: "endpoint pin".into(),
                id: pin.clone(),
            });
        }
    }
    if decode_key_32(&raw.receipt_key).is_none() {
        return Err(PolicyError::BadKey {
            what: "the endpoint's receipt_key".into(),
        });
    }
    Ok(Endpoint {
        url: raw.url,
        spki_sha256: raw.spki_sha256,
        receipt_key: raw.receipt_key,
    })
}

/// The endpoint must be an absolute `https` URL with a host, and nothing that could make
/// two clients reach different places or leak credentials: no user info, query or fragment.
fn check_endpoint_url(url: &str) -> Result<(), PolicyError> {
    if url.len() > MAX_URL_LEN {
        return Err(limit("characters in the endpoint URL", MAX_URL_LEN));
    }
    let shown = || truncated(url, 200);
    let bad = |detail| PolicyError::BadEndpoint {
        url: shown(),
        detail,
    };
    let rest = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        _ => return Err(PolicyError::EndpointNotHttps { url: shown() }),
    };
    if !url.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(bad("it contains spaces, control or non-ASCII characters"));
    }
    if rest.contains('#') {
        return Err(bad("it has a fragment"));
    }
    if rest.contains('?') {
        return Err(bad("it has a query"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad("it has user info"));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| bad("its IPv6 host is not closed by `]`"))?;
        if !host
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(bad("its IPv6 host is not an address"));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| bad("its host is followed by something other than a port"))?,
            ),
        };
        (host, port)
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(bad("its host has characters a host name cannot have"));
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|n| (1..=65_535).contains(&n));
        if !valid {
            return Err(bad("its port is not a number from 1 to 65535"));
        }
    }
    Ok(())
}

fn build_recipients(
    raw: UniqueMap<RawRecipient>,
) -> Result<BTreeMap<String, Recipient>, PolicyError> {
    check_count("recipients", raw.0.len(), MAX_RECIPIENTS)?;
    let mut recipients = BTreeMap::new();
    for (name, recipient) in raw.0 {
        check_id("recipient name", &name)?;
        if !SUPPORTED_SUITES.contains(&recipient.suite.as_str()) {
            return Err(PolicyError::UnsupportedSuite {
                recipient: name,
                suite: truncated(&recipient.suite, ECHO_LEN),
            });
        }
        if decode_key_32(&recipient.public_key).is_none() {
            return Err(PolicyError::BadKey {
                what: format!("the public key of recipient `{name}`"),
            });
        }
        recipients.insert(
            name,
            Recipient {
                suite: recipient.suite,
                public_key: recipient.public_key,
            },
        );
    }
    Ok(recipients)
}

fn build_form(
    raw: RawForm,
    recipients: &BTreeMap<String, Recipient>,
    has_monitoring: bool,
) -> Result<Form, PolicyError> {
    check_id("form id", &raw.id)?;
    if raw.requires_monitoring && !has_monitoring {
        return Err(PolicyError::MissingMonitoring { form: raw.id });
    }
    let title = check_labels(
        &format!("the title of form `{}`", raw.id),
        raw.title,
        MAX_LABEL_CHARS,
    )?;
    if raw.fields.is_empty() {
        return Err(setting(
            format!("form `{}`", raw.id),
            "a form declares at least one field",
        ));
    }
    check_count(
        &format!("fields in form `{}`", raw.id),
        raw.fields.len(),
        MAX_FIELDS_PER_FORM,
    )?;
    let mut fields: Vec<FieldSpec> = Vec::with_capacity(raw.fields.len());
    for raw_field in raw.fields {
        let field = build_field(&raw.id, raw_field, recipients)?;
        if fields.iter().any(|existing| existing.id == field.id) {
            return Err(PolicyError::Duplicate {
                what: format!("field id in form `{}`", raw.id),
                id: field.id,
            });
        }
        fields.push(field);
    }
    Ok(Form {
        id: raw.id,
        once_per: match raw.once_per {
            RawOncePer::Day => OncePer::Day,
            RawOncePer::Registration => OncePer::Registration,
        },
        requires_monitoring: raw.requires_monitoring,
        title,
        fields,
    })
}

/// The form and field a check is about, to name them in errors.
struct FieldContext<'a> {
    form: &'a str,
    field: &'a str,
}

impl FieldContext<'_> {
    fn bad(&self, detail: impl Into<String>) -> PolicyError {
        PolicyError::BadParameter {
            form: self.form.to_owned(),
            field: self.field.to_owned(),
            detail: detail.into(),
        }
    }

    fn describe(&self) -> String {
        format!("field `{}` of form `{}`", self.field, self.form)
    }
}

fn build_field(
    form: &str,
    raw: RawField,
    recipients: &BTreeMap<String, Recipient>,
) -> Result<FieldSpec, PolicyError> {
    check_id(&format!("field id in form `{form}`"), &raw.id)?;
    let context = FieldContext {
        form,
        field: &raw.id,
    };
    let kind = build_kind(&context, &raw)?;
    let label = check_labels(
        &format!("the label of {}", context.describe()),
        raw.label,
        MAX_LABEL_CHARS,
    )?;

    let source = match raw.source {
        RawSource::Answer => FieldSource::Answer,
        RawSource::Profile => {
            let attribute_fits = ProfileAttribute::from_field_id(&raw.id)
                .is_some_and(|attribute| attribute.accepts(&kind));
            if !attribute_fits {
                return Err(PolicyError::BadProfileSource {
                    form: form.to_owned(),
                    field: raw.id,
                });
            }
            FieldSource::Profile
        }
    };

    let upload = match raw.upload {
        None => Transform::Omit,
        Some(upload) => build_transform(&context, upload)?,
    };
    if !upload.applies_to(&kind) {
        return Err(PolicyError::TransformNotApplicable {
            form: form.to_owned(),
            field: raw.id,
            transform: upload.name(),
            kind: kind.name(),
        });
    }
    if let (Transform::Round { step }, FieldKind::Integer { .. }) = (&upload, &kind) {
        if step.fract() != 0.0 {
            return Err(context.bad("the rounding step of an integer field must be a whole number"));
        }
    }

    match &raw.to {
        Some(recipient) if !recipients.contains_key(recipient) => {
            return Err(PolicyError::UnknownRecipient {
                form: form.to_owned(),
                field: raw.id,
                recipient: truncated(recipient, ECHO_LEN),
            });
        }
        None if upload.uploads() => {
            return Err(PolicyError::MissingRecipient {
                form: form.to_owned(),
                field: raw.id,
            });
        }
        _ => {}
    }

    Ok(FieldSpec {
        id: raw.id,
        kind,
        required: raw.required,
        source,
        upload,
        to: raw.to,
        label,
    })
}

/// The field's kind from its name and parameters; a parameter the kind does not take is
/// refused rather than ignored.
fn build_kind(context: &FieldContext<'_>, raw: &RawField) -> Result<FieldKind, PolicyError> {
    let (kind, takes): (FieldKind, &[&str]) = match raw.kind.as_str() {
        "yes_no" => (FieldKind::YesNo, &[]),
        "temperature_c" => (FieldKind::TemperatureC, &[]),
        "district" => (FieldKind::District, &[]),
        "travel_history" => (FieldKind::TravelHistory, &[]),
        "person_name" => (FieldKind::PersonName, &[]),
        "resident_id" => (FieldKind::ResidentId, &[]),
        "passport_number" => (FieldKind::PassportNumber, &[]),
        "phone" => (FieldKind::Phone, &[]),
        "transport_number" => (FieldKind::TransportNumber, &[]),
        "choice" => (
            FieldKind::Choice {
                codes: build_codes(context, raw.codes.as_deref())?,
            },
            &["codes"],
        ),
        "multi_choice" => (
            FieldKind::MultiChoice {
                codes: build_codes(context, raw.codes.as_deref())?,
            },
            &["codes"],
        ),
        "integer" => {
            let (Some(min), Some(max)) = (raw.min, raw.max) else {
                return Err(context.bad("an integer field needs `min` and `max`"));
            };
            if min > max {
                return Err(context.bad(format!("`min` ({min}) is greater than `max` ({max})")));
            }
            (FieldKind::Integer { min, max }, &["min", "max"])
        }
        "date" => (
            FieldKind::Date {
                allow_future: raw.allow_future.unwrap_or(false),
            },
            &["allow_future"],
        ),
        "text" => {
            let Some(max_len) = raw.max_len else {
                return Err(context.bad("a text field needs `max_len`"));
            };
            if !(1..=MAX_TEXT_CHARS).contains(&max_len) {
                return Err(
                    context.bad(format!("`max_len` must be between 1 and {MAX_TEXT_CHARS}"))
                );
            }
            (FieldKind::Text { max_len }, &["max_len"])
        }
        other => {
            return Err(PolicyError::UnknownKind {
                form: context.form.to_owned(),
                field: context.field.to_owned(),
                kind: truncated(other, ECHO_LEN),
            });
        }
    };
    let given = [
        ("codes", raw.codes.is_some()),
        ("min", raw.min.is_some()),
        ("max", raw.max.is_some()),
        ("max_len", raw.max_len.is_some()),
        ("allow_future", raw.allow_future.is_some()),
    ];
    if let Some((parameter, _)) = given
        .iter()
        .find(|(parameter, present)| *present && !takes.contains(parameter))
    {
        return Err(context.bad(format!(
            "`{parameter}` does not apply to kind `{}`",
            kind.name()
        )));
    }
    Ok(kind)
}

fn build_codes(
    context: &FieldContext<'_>,
    codes: Option<&[String]>,
) -> Result<Vec<String>, PolicyError> {
    let codes = match codes {
        Some(codes) if !codes.is_empty() => codes,
        _ => return Err(context.bad("a choice field needs at least one code in `codes`")),
    };
    check_count(
        &format!("codes in {}", context.describe()),
        codes.len(),
        MAX_CODES,
    )?;
    let mut seen = BTreeSet::new();
    for code in codes {
        check_id(&format!("code in {}", context.describe()), code)?;
        if !seen.insert(code.as_str()) {
            return Err(PolicyError::Duplicate {
                what: format!("code in {}", context.describe()),
                id: code.clone(),
            });
        }
    }
    Ok(codes.to_vec())
}

/// The transform an `upload` value declares; the parameters are checked here, the fit
/// with the field's kind by [`Transform::applies_to`].
fn build_transform(
    context: &FieldContext<'_>,
    upload: RawUpload,
) -> Result<Transform, PolicyError> {
    let unknown = |name: &str| PolicyError::UnknownTransform {
        form: context.form.to_owned(),
        field: context.field.to_owned(),
        transform: truncated(name, ECHO_LEN),
    };
    let (name, parameter) = match upload {
        RawUpload::Name(name) => {
            return match name.as_str() {
                "keep" => Ok(Transform::Keep),
                "omit" => Ok(Transform::Omit),
                "count" => Ok(Transform::Count),
                "pseudonym" => Ok(Transform::Pseudonym),
                "round" | "threshold" | "generalize" | "age_band" | "coarsen_date" | "window"
                | "risk_area_visited" => Err(context.bad(format!(
                    "transform `{name}` needs a parameter, written {{\"{name}\": ...}}"
                ))),
                other => Err(unknown(other)),
            };
        }
        RawUpload::Object(mut entries) => {
            if entries.len() != 1 {
                return Err(context.bad("an upload transform object has exactly one key"));
            }
            match entries.pop() {
                Some(entry) => entry,
                None => return Err(context.bad("an upload transform object has exactly one key")),
            }
        }
    };
    let scalar = match parameter {
        RawParameter::RiskArea(risk) => return build_risk_area(context, risk),
        RawParameter::Scalar(value) => value,
    };
    match name.as_str() {
        "round" => match scalar.as_f64() {
            Some(step) if step.is_finite() && step > 0.0 => Ok(Transform::Round { step }),
            _ => Err(context.bad("the `round` step must be a positive number")),
        },
        "threshold" => match scalar.as_f64() {
            Some(at) if at.is_finite() => Ok(Transform::Threshold { at }),
            _ => Err(context.bad("the `threshold` must be a number")),
        },
        "generalize" => match scalar.as_str() {
            Some("district") => Ok(Transform::Generalize {
                level: DistrictLevel::District,
            }),
            Some("city") => Ok(Transform::Generalize {
                level: DistrictLevel::City,
            }),
            Some("province") => Ok(Transform::Generalize {
                level: DistrictLevel::Province,
            }),
            _ => Err(context.bad("`generalize` takes \"district\", \"city\" or \"province\"")),
        },
        "age_band" => Ok(Transform::AgeBand {
            width: whole_number(context, &scalar, "age_band width", MAX_AGE_BAND_YEARS)?,
        }),
        "coarsen_date" => match scalar.as_str() {
            Some("week") => Ok(Transform::CoarsenDate {
                granularity: DateGranularity::Week,
            }),
            Some("month") => Ok(Transform::CoarsenDate {
                granularity: DateGranularity::Month,
            }),
            _ => Err(context.bad("`coarsen_date` takes \"week\" or \"month\"")),
        },
        "window" => Ok(Transform::Window {
            days: whole_number(context, &scalar, "window", MAX_WINDOW_DAYS)?,
        }),
        "keep" | "omit" | "count" | "pseudonym" => Err(context.bad(format!(
            "transform `{name}` takes no parameter; write \"{name}\""
        ))),
        other => Err(unknown(other)),
    }
}

fn whole_number(
    context: &FieldContext<'_>,
    value: &Value,
    what: &str,
    max: u32,
) -> Result<u32, PolicyError> {
    value
        .as_u64()
        .filter(|n| (1..=u64::from(max)).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| context.bad(format!("the {what} must be a whole number from 1 to {max}")))
}

fn build_risk_area(context: &FieldContext<'_>, raw: RawRiskArea) -> Result<Transform, PolicyError> {
    if raw.areas.is_empty() {
        return Err(context.bad("`risk_area_visited` needs at least one area"));
    }
    check_count(
        &format!("risk areas in {}", context.describe()),
        raw.areas.len(),
        MAX_RISK_AREAS,
    )?;
    let mut seen = BTreeSet::new();
    for area in &raw.areas {
        let is_prefix = matches!(area.len(), 2 | 4 | 6) && area.bytes().all(|b| b.is_ascii_digit());
        if !is_prefix {
            return Err(context.bad(format!(
                "risk area `{}` is not a district code prefix of 2, 4 or 6 digits",
                truncated(area, ECHO_LEN)
            )));
        }
        if !seen.insert(area.as_str()) {
            return Err(PolicyError::Duplicate {
                what: format!("risk area in {}", context.describe()),
                id: area.clone(),
            });
        }
    }
    if !(1..=MAX_WINDOW_DAYS).contains(&raw.window_days) {
        return Err(context.bad(format!(
            "`window_days` must be a whole number from 1 to {MAX_WINDOW_DAYS}"
        )));
    }
    Ok(Transform::RiskAreaVisited {
        areas: raw.areas,
        window_days: raw.window_days,
    })
}

// ---------------------------------------------------------------------------------------
// Small shared checks.
// ---------------------------------------------------------------------------------------

/// Identifiers are 1 to [`MAX_ID_LEN`] characters of `a-z 0-9 - _`.
fn check_id(what: &str, id: &str) -> Result<(), PolicyError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(PolicyError::InvalidId {
            what: what.to_owned(),
            id: truncated(id, ECHO_LEN),
        })
    }
}

fn check_labels(
    what: &str,
    labels: UniqueMap<String>,
    max_chars: usize,
) -> Result<Labels, PolicyError> {
    check_count(
        &format!("languages in {what}"),
        labels.0.len(),
        MAX_LABEL_LANGUAGES,
    )?;
    for (language, text) in &labels.0 {
        let is_tag = !language.is_empty()
            && language.len() <= MAX_LANGUAGE_TAG_LEN
            && language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !is_tag {
            return Err(setting(
                what,
                format!("`{}` is not a language tag", truncated(language, ECHO_LEN)),
            ));
        }
        if text.chars().count() > max_chars {
            return Err(limit(
                &format!("characters in {what} ({language})"),
                max_chars,
            ));
        }
    }
    Ok(labels.0)
}

fn check_count(what: &str, count: usize, max: usize) -> Result<(), PolicyError> {
    if count > max {
        Err(limit(what, max))
    } else {
        Ok(())
    }
}

fn check_range(what: &str, value: u32, min: u32, max: u32) -> Result<u32, PolicyError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(setting(what, format!("must be between {min} and {max}")))
    }
}

fn limit(what: &str, limit: usize) -> PolicyError {
    PolicyError::Limit {
        what: what.to_owned(),
        limit,
    }
}

fn setting(what: impl Into<String>, detail: impl Into<String>) -> PolicyError {
    PolicyError::BadSetting {
        what: what.into(),
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::SignedPolicy;
    use crate::policy::test_support::{
        anchor_for, fake_key, signed_unchecked, test_key, test_policy_value, today,
    };

    /// The example policy with `change` applied, taken through the whole install path
    /// (signed by a trusted key, verified today).
    fn install(change: impl FnOnce(&mut Value)) -> Result<PolicyDocument, PolicyError> {
        let mut value = test_policy_value("sh-arrivals", 3, today());
        change(&mut value);
        let key = test_key();
        let envelope = signed_unchecked(&key, &serde_json::to_vec(&value).unwrap());
        SignedPolicy::parse(&envelope)?
            .verify(&anchor_for(&key), today())
            .map(|verified| verified.document().clone())
    }

    /// One edit of the example policy, for tables of cases.
    type Change = Box<dyn FnOnce(&mut Value)>;

    fn refused(change: impl FnOnce(&mut Value)) -> PolicyError {
        install(change).expect_err("the policy should be refused")
    }

    /// Sets the value at `pointer`, adding the last key to its object when missing.
    fn set(value: &mut Value, pointer: &str, new: Value) {
        if let Some(slot) = value.pointer_mut(pointer) {
            *slot = new;
            return;
        }
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let object = value.pointer_mut(parent).and_then(Value::as_object_mut);
        object
            .unwrap_or_else(|| panic!("no {parent}"))
            .insert(key.to_owned(), new);
    }

    fn remove(value: &mut Value, pointer: &str) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        value
            .pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(key)
            .unwrap();
    }

    fn bad_parameter(error: PolicyError) -> String {
        match error {
            PolicyError::BadParameter { detail, .. } => detail,
            other => panic!("expected BadParameter, got {other:?}"),
        }
    }

    #[test]
    fn the_example_policy_parses_with_every_declaration() {
        let document = install(|_| {}).unwrap();
        assert_eq!(document.id, "sh-arrivals");
        assert_eq!(document.version, 3);
        assert_eq!(document.purpose.code, "epidemic-control");
        assert_eq!(
            document.issuer.name["en"],
            "Shanghai Center for Disease Control"
        );
        assert_eq!(document.monitoring, Some(Monitoring { days: 14 }));
        assert_eq!(
            document.retention,
            Retention {
                device_days: 28,
                server_days: 28
            }
        );
        assert_eq!(document.padding, Padding { block_bytes: 512 });
        assert_eq!(document.recipients.len(), 2);
        let daily = document.form("daily").unwrap();
        assert_eq!(daily.once_per, OncePer::Day);
        assert!(daily.requires_monitoring);
        let temperature = daily.field("temperature").unwrap();
        assert_eq!(temperature.kind, FieldKind::TemperatureC);
        assert_eq!(temperature.upload, Transform::Threshold { at: 37.3 });
        assert_eq!(temperature.to.as_deref(), Some("health"));
        assert!(temperature.required);
        assert_eq!(temperature.label["zh"], "体温（℃）");
        let notes = daily.field("notes").unwrap();
        assert_eq!(notes.kind, FieldKind::Text { max_len: 200 });
        assert_eq!(notes.upload, Transform::Omit);
        assert!(!notes.required);
        assert_eq!(notes.source, FieldSource::Answer);
        assert_eq!(
            daily.field("district").unwrap().upload,
            Transform::Generalize {
                level: DistrictLevel::City
            }
        );
        let arrival = document.form("arrival").unwrap();
        assert_eq!(arrival.once_per, OncePer::Registration);
        assert!(!arrival.requires_monitoring);
        assert_eq!(
            arrival.field("id_number").unwrap().source,
            FieldSource::Profile
        );
        assert_eq!(arrival.field("phone").unwrap().upload, Transform::Pseudonym);
        assert_eq!(
            arrival.field("birth_date").unwrap().upload,
            Transform::AgeBand { width: 10 }
        );
        assert_eq!(
            arrival.field("travel").unwrap().upload,
            Transform::RiskAreaVisited {
                areas: vec!["4201".into(), "31".into()],
                window_days: 14
            }
        );
        assert_eq!(
            arrival.field("arrival_date").unwrap().kind,
            FieldKind::Date { allow_future: true }
        );
        assert_eq!(
            arrival.field("household_size").unwrap().kind,
            FieldKind::Integer { min: 1, max: 20 }
        );
        assert_eq!(arrival.field("flight").unwrap().upload, Transform::Omit);
    }

    #[test]
    fn omitted_settings_take_their_defaults() {
        let document = install(|policy| {
            remove(policy, "/padding");
            remove(policy, "/forms/0/fields/3/upload");
            remove(policy, "/forms/0/fields/3/label");
            remove(policy, "/forms/1/title");
            remove(policy, "/purpose/text");
        })
        .unwrap();
        assert_eq!(document.padding.block_bytes, DEFAULT_PADDING_BLOCK_BYTES);
        let notes = document.form("daily").unwrap().field("notes").unwrap();
        assert_eq!(notes.upload, Transform::Omit);
        assert!(notes.label.is_empty());
        assert!(document.form("arrival").unwrap().title.is_empty());
        assert!(document.purpose.text.is_empty());
    }

    #[test]
    fn every_transform_form_parses() {
        let cases = [
            (json!("keep"), "yes_no", Transform::Keep),
            (json!("omit"), "yes_no", Transform::Omit),
            (json!("count"), "travel_history", Transform::Count),
            (json!("pseudonym"), "resident_id", Transform::Pseudonym),
            (
                json!({"round": 0.5}),
                "temperature_c",
                Transform::Round { step: 0.5 },
            ),
            (
                json!({"threshold": 37.3}),
                "temperature_c",
                Transform::Threshold { at: 37.3 },
            ),
            (
                json!({"generalize": "province"}),
                "district",
                Transform::Generalize {
                    level: DistrictLevel::Province,
                },
            ),
            (
                json!({"generalize": "district"}),
                "travel_history",
                Transform::Generalize {
                    level: DistrictLevel::District,
                },
            ),
            (
                json!({"age_band": 5}),
                "date",
                Transform::AgeBand { width: 5 },
            ),
            (
                json!({"coarsen_date": "week"}),
                "date",
                Transform::CoarsenDate {
                    granularity: DateGranularity::Week,
                },
            ),
            (
                json!({"coarsen_date": "month"}),
                "date",
                Transform::CoarsenDate {
                    granularity: DateGranularity::Month,
                },
            ),
            (
                json!({"window": 14}),
                "travel_history",
                Transform::Window { days: 14 },
            ),
        ];
        for (upload, kind, expected) in cases {
            let document = install(|policy| {
                set(
                    policy,
                    "/forms/0/fields/3",
                    json!({"id": "x", "kind": kind, "upload": upload, "to": "health"}),
                );
            })
            .unwrap_or_else(|error| panic!("{expected:?}: {error}"));
            assert_eq!(document.forms[0].fields[3].upload, expected);
        }
    }

    #[test]
    fn applicability_table() {
        let every_kind = [
            FieldKind::YesNo,
            FieldKind::Choice {
                codes: vec!["a".into()],
            },
            FieldKind::MultiChoice {
                codes: vec!["a".into()],
            },
            FieldKind::TemperatureC,
            FieldKind::Integer { min: 0, max: 9 },
            FieldKind::Date {
                allow_future: false,
            },
            FieldKind::District,
            FieldKind::TravelHistory,
            FieldKind::PersonName,
            FieldKind::ResidentId,
            FieldKind::PassportNumber,
            FieldKind::Phone,
            FieldKind::TransportNumber,
            FieldKind::Text { max_len: 9 },
        ];
        let table: [(Transform, &[&str]); 11] = [
            (
                Transform::Round { step: 1.0 },
                &["temperature_c", "integer"],
            ),
            (
                Transform::Threshold { at: 1.0 },
                &["temperature_c", "integer"],
            ),
            (
                Transform::Generalize {
                    level: DistrictLevel::City,
                },
                &["district", "travel_history"],
            ),
            (Transform::AgeBand { width: 10 }, &["date"]),
            (
                Transform::CoarsenDate {
                    granularity: DateGranularity::Week,
                },
                &["date"],
            ),
            (Transform::Window { days: 1 }, &["travel_history"]),
            (
                Transform::RiskAreaVisited {
                    areas: vec!["42".into()],
                    window_days: 1,
                },
                &["travel_history"],
            ),
            (Transform::Count, &["multi_choice", "travel_history"]),
            (
                Transform::Pseudonym,
                &["person_name", "resident_id", "passport_number", "phone"],
            ),
            (Transform::Keep, &[]),
            (Transform::Omit, &[]),
        ];
        for (transform, kinds) in table {
            for kind in &every_kind {
                let expected = matches!(transform, Transform::Keep | Transform::Omit)
                    || kinds.contains(&kind.name());
                assert_eq!(
                    transform.applies_to(kind),
                    expected,
                    "{} on {}",
                    transform.name(),
                    kind.name()
                );
            }
        }
    }

    #[test]
    fn rejects_unknown_format() {
        assert_eq!(
            refused(|policy| set(policy, "/format", json!("selfreport.policy/2"))),
            PolicyError::UnknownFormat {
                found: "selfreport.policy/2".into()
            }
        );
        // A later format is reported as such even when its shape is different.
        let error = install(|policy| {
            set(policy, "/format", json!("selfreport.policy/9"));
            policy
                .as_object_mut()
                .unwrap()
                .insert("new_thing".into(), json!(true));
        })
        .unwrap_err();
        assert!(matches!(error, PolicyError::UnknownFormat { .. }));
    }

    #[test]
    fn rejects_malformed_payload_json() {
        let key = test_key();
        for payload in [
            &b"{\"format\": \"selfreport.policy/1\", "[..],
            b"[]",
            b"",
            b"{}",
            b"\xff\xfe",
        ] {
            let envelope = signed_unchecked(&key, payload);
            let error = SignedPolicy::parse(&envelope)
                .unwrap()
                .verify(&anchor_for(&key), today())
                .unwrap_err();
            assert!(
                matches!(error, PolicyError::Malformed { .. }),
                "{payload:?}: {error:?}"
            );
        }
    }

    #[test]
    fn rejects_unknown_fields_wrong_types_and_missing_fields_as_malformed() {
        let changes: [Change; 7] = [
            Box::new(|p| {
                p.as_object_mut().unwrap().insert("extra".into(), json!(1));
            }),
            Box::new(|p| {
                p.pointer_mut("/forms/0/fields/0")
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .insert("colour".into(), json!("red"));
            }),
            Box::new(|p| set(p, "/version", json!("3"))),
            Box::new(|p| set(p, "/version", json!(-1))),
            Box::new(|p| set(p, "/valid_from", json!("2026-13-01"))),
            Box::new(|p| remove(p, "/endpoint")),
            Box::new(|p| set(p, "/forms/0/once_per", json!("hour"))),
        ];
        for change in changes {
            assert!(matches!(refused(change), PolicyError::Malformed { .. }));
        }
    }

    #[test]
    fn rejects_duplicate_json_keys_as_malformed() {
        let key = test_key();
        let mut json = serde_json::to_string(&test_policy_value("p", 1, today())).unwrap();
        // Two `health` recipients: a reader keeping either one would see a different key.
        let second_health = format!(
            r#""health":{{"suite":"x25519-sha256-aes128gcm","public_key":"{}"}},"#,
            fake_key(9)
        );
        json = json.replacen(
            r#""recipients":{"#,
            &format!(r#""recipients":{{{second_health}"#),
            1,
        );
        let envelope = signed_unchecked(&key, json.as_bytes());
        let error = SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&anchor_for(&key), today())
            .unwrap_err();
        match error {
            PolicyError::Malformed { detail } => {
                assert!(detail.contains("duplicate key `health`"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
        // The same for a duplicate struct field and a duplicate key in a transform object.
        let twice = serde_json::to_string(&test_policy_value("p", 1, today()))
            .unwrap()
            .replacen("\"version\":1", "\"version\":1,\"version\":2", 1);
        assert!(matches!(
            parse_policy_document(twice.as_bytes()),
            Err(PolicyError::Malformed { .. })
        ));
        let transform_twice = serde_json::to_string(&test_policy_value("p", 1, today()))
            .unwrap()
            .replacen(
                "{\"threshold\":37.3}",
                "{\"threshold\":37.3,\"threshold\":39.0}",
                1,
            );
        assert!(
            bad_parameter(parse_policy_document(transform_twice.as_bytes()).unwrap_err())
                .contains("exactly one key")
        );
    }

    #[test]
    fn rejects_oversized_document() {
        let mut value = test_policy_value("p", 1, today());
        set(
            &mut value,
            "/purpose/code",
            json!("x".repeat(MAX_POLICY_BYTES)),
        );
        let payload = serde_json::to_vec(&value).unwrap();
        assert_eq!(
            parse_policy_document(&payload),
            Err(PolicyError::TooLarge {
                size: payload.len(),
                limit: MAX_POLICY_BYTES
            })
        );
    }

    #[test]
    fn rejects_non_https_endpoint() {
        for url in [
            "http://report.example.org/v1",
            "ftp://report.example.org",
            "report.example.org/v1",
            "//report.example.org",
            "",
        ] {
            assert_eq!(
                refused(|policy| set(policy, "/endpoint/url", json!(url))),
                PolicyError::EndpointNotHttps { url: url.into() },
                "{url}"
            );
        }
    }

    #[test]
    fn accepts_https_endpoints_whatever_the_scheme_case() {
        for url in [
            "HTTPS://report.example.org/v1",
            "https://report.example.org:8443",
            "https://[::1]:443/v1",
            "https://127.0.0.1/x/y",
        ] {
            let document = install(|policy| set(policy, "/endpoint/url", json!(url)))
                .unwrap_or_else(|error| panic!("{url}: {error}"));
            assert_eq!(document.endpoint.url, url);
        }
    }

    #[test]
    fn rejects_bad_endpoint() {
        for url in [
            "https://user:pass@report.example.org/v1",
            "https://report.example.org/v1#top",
            "https://report.example.org/v1?token=1",
            "https:///v1",
            "https://:443/v1",
            "https://report.example.org:0/v1",
            "https://report.example.org:99999/v1",
            "https://report.example.org:/v1",
            "https://report example.org/v1",
            "https://repört.example.org/v1",
            "https://[::1/v1",
        ] {
            assert!(
                matches!(
                    refused(|policy| set(policy, "/endpoint/url", json!(url))),
                    PolicyError::BadEndpoint { .. }
                ),
                "{url}"
            );
        }
        assert_eq!(
            refused(|policy| set(
                policy,
                "/endpoint/url",
                json!(format!("https://a.org/{}", "x".repeat(MAX_URL_LEN)))
            )),
            PolicyError::Limit {
                what: "characters in the endpoint URL".into(),
                limit: MAX_URL_LEN
            }
        );
    }

    #[test]
    fn rejects_unknown_kind() {
        assert_eq!(
            refused(|policy| set(policy, "/forms/0/fields/0/kind", json!("blood_type"))),
            PolicyError::UnknownKind {
                form: "daily".into(),
                field: "temperature".into(),
                kind: "blood_type".into()
            }
        );
    }

    #[test]
    fn rejects_unknown_transform() {
        assert_eq!(
            refused(|policy| set(policy, "/forms/0/fields/1/upload", json!("hash"))),
            PolicyError::UnknownTransform {
                form: "daily".into(),
                field: "symptoms".into(),
                transform: "hash".into()
            }
        );
        assert_eq!(
            refused(|policy| set(policy, "/forms/0/fields/1/upload", json!({"encrypt": true}))),
            PolicyError::UnknownTransform {
                form: "daily".into(),
                field: "symptoms".into(),
                transform: "encrypt".into()
            }
        );
    }

    #[test]
    fn rejects_transform_not_applicable_to_its_kind() {
        assert_eq!(
            refused(|policy| {
                set(policy, "/forms/0/fields/3/upload", json!({"round": 1}));
                set(policy, "/forms/0/fields/3/to", json!("health"));
            }),
            PolicyError::TransformNotApplicable {
                form: "daily".into(),
                field: "notes".into(),
                transform: "round",
                kind: "text",
            }
        );
        assert_eq!(
            refused(|policy| set(policy, "/forms/0/fields/0/upload", json!("pseudonym"))),
            PolicyError::TransformNotApplicable {
                form: "daily".into(),
                field: "temperature".into(),
                transform: "pseudonym",
                kind: "temperature_c",
            }
        );
    }

    #[test]
    fn rejects_uploaded_field_without_recipient() {
        assert_eq!(
            refused(|policy| remove(policy, "/forms/0/fields/0/to")),
            PolicyError::MissingRecipient {
                form: "daily".into(),
                field: "temperature".into()
            }
        );
    }

    #[test]
    fn rejects_unknown_recipient() {
        assert_eq!(
            refused(|policy| set(policy, "/forms/0/fields/1/to", json!("police"))),
            PolicyError::UnknownRecipient {
                form: "daily".into(),
                field: "symptoms".into(),
                recipient: "police".into(),
            }
        );
        // Even a field that is never uploaded may only name a declared recipient.
        assert!(matches!(
            refused(|policy| set(policy, "/forms/0/fields/3/to", json!("police"))),
            PolicyError::UnknownRecipient { .. }
        ));
    }

    #[test]
    fn rejects_unsupported_suite() {
        assert_eq!(
            refused(|policy| set(policy, "/recipients/health/suite", json!("rsa-oaep"))),
            PolicyError::UnsupportedSuite {
                recipient: "health".into(),
                suite: "rsa-oaep".into()
            }
        );
    }

    #[test]
    fn rejects_bad_keys_and_pins() {
        let short = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode([1u8; 31])
        };
        let cases: [(&str, Value, &str); 5] = [
            (
                "/recipients/identity/public_key",
                json!(short),
                "the public key of recipient `identity`",
            ),
            (
                "/recipients/identity/public_key",
                json!("not base64!"),
                "the public key of recipient `identity`",
            ),
            (
                "/endpoint/receipt_key",
                json!(short),
                "the endpoint's receipt_key",
            ),
            (
                "/endpoint/spki_sha256/1",
                json!(short),
                "endpoint pin 2 (spki_sha256)",
            ),
            // URL-safe base64 is not the standard alphabet.
            (
                "/endpoint/spki_sha256/0",
                json!("-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8="),
                "endpoint pin 1 (spki_sha256)",
            ),
        ];
        for (pointer, value, what) in cases {
            assert_eq!(
                refused(|policy| set(policy, pointer, value)),
                PolicyError::BadKey { what: what.into() },
                "{pointer}"
            );
        }
    }

    #[test]
    fn rejects_too_many_forms_fields_codes_and_languages() {
        let error = refused(|policy| {
            let form = policy.pointer("/forms/1").unwrap().clone();
            let forms: Vec<Value> = (0..=MAX_FORMS)
                .map(|i| {
                    let mut form = form.clone();
                    set(&mut form, "/id", json!(format!("form-{i}")));
                    form
                })
                .collect();
            set(policy, "/forms", json!(forms));
        });
        assert_eq!(
            error,
            PolicyError::Limit {
                what: "forms in the policy".into(),
                limit: MAX_FORMS
            }
        );

        let error = refused(|policy| {
            let fields: Vec<Value> = (0..=MAX_FIELDS_PER_FORM)
                .map(|i| json!({"id": format!("f{i}"), "kind": "yes_no"}))
                .collect();
            set(policy, "/forms/1/fields", json!(fields));
        });
        assert_eq!(
            error,
            PolicyError::Limit {
                what: "fields in form `arrival`".into(),
                limit: MAX_FIELDS_PER_FORM
            }
        );

        let error = refused(|policy| {
            let codes: Vec<String> = (0..=MAX_CODES).map(|i| format!("c{i}")).collect();
            set(policy, "/forms/0/fields/1/codes", json!(codes));
        });
        assert_eq!(
            error,
            PolicyError::Limit {
                what: "codes in field `symptoms` of form `daily`".into(),
                limit: MAX_CODES
            }
        );

        let error = refused(|policy| {
            let labels: serde_json::Map<String, Value> = (0..=MAX_LABEL_LANGUAGES)
                .map(|i| (format!("l{i}"), json!("x")))
                .collect();
            set(policy, "/forms/0/title", Value::Object(labels));
        });
        assert_eq!(
            error,
            PolicyError::Limit {
                what: "languages in the title of form `daily`".into(),
                limit: MAX_LABEL_LANGUAGES
            }
        );

        let error = refused(|policy| {
            set(
                policy,
                "/forms/0/fields/0/label/zh",
                json!("体".repeat(MAX_LABEL_CHARS + 1)),
            )
        });
        assert_eq!(
            error,
            PolicyError::Limit {
                what: "characters in the label of field `temperature` of form `daily` (zh)".into(),
                limit: MAX_LABEL_CHARS
            }
        );
        // Exactly at the bound is fine.
        assert!(
            install(|policy| set(
                policy,
                "/forms/0/fields/0/label/zh",
                json!("体".repeat(MAX_LABEL_CHARS))
            ))
            .is_ok()
        );
    }

    #[test]
    fn rejects_invalid_ids() {
        let long = "a".repeat(MAX_ID_LEN + 1);
        let cases: [(&str, &str, &str); 6] = [
            ("/id", "SH-Arrivals", "policy id"),
            ("/id", "", "policy id"),
            ("/id", &long, "policy id"),
            ("/forms/0/id", "daily report", "form id"),
            ("/forms/0/fields/0/id", "temp/c", "field id in form `daily`"),
            ("/purpose/code", "Epidemic", "purpose code"),
        ];
        for (pointer, id, what) in cases {
            assert_eq!(
                refused(|policy| set(policy, pointer, json!(id))),
                PolicyError::InvalidId {
                    what: what.into(),
                    id: truncated(id, 64)
                },
                "{pointer} = {id:?}"
            );
        }
        assert!(matches!(
            refused(|policy| set(policy, "/forms/0/fields/1/codes/0", json!("Cough"))),
            PolicyError::InvalidId { .. }
        ));
        assert!(install(|policy| set(policy, "/id", json!("a".repeat(MAX_ID_LEN)))).is_ok());
    }

    #[test]
    fn rejects_duplicates() {
        let cases: [(Change, PolicyError); 5] = [
            (
                Box::new(|p| set(p, "/forms/1/id", json!("daily"))),
                PolicyError::Duplicate {
                    what: "form id".into(),
                    id: "daily".into(),
                },
            ),
            (
                Box::new(|p| set(p, "/forms/0/fields/1/id", json!("temperature"))),
                PolicyError::Duplicate {
                    what: "field id in form `daily`".into(),
                    id: "temperature".into(),
                },
            ),
            (
                Box::new(|p| set(p, "/forms/0/fields/1/codes/1", json!("cough"))),
                PolicyError::Duplicate {
                    what: "code in field `symptoms` of form `daily`".into(),
                    id: "cough".into(),
                },
            ),
            (
                Box::new(|p| set(p, "/endpoint/spki_sha256/1", json!(fake_key(0x51)))),
                PolicyError::Duplicate {
                    what: "endpoint pin".into(),
                    id: fake_key(0x51),
                },
            ),
            (
                Box::new(|p| {
                    set(
                        p,
                        "/forms/1/fields/4/upload/risk_area_visited/areas/1",
                        json!("4201"),
                    )
                }),
                PolicyError::Duplicate {
                    what: "risk area in field `travel` of form `arrival`".into(),
                    id: "4201".into(),
                },
            ),
        ];
        for (change, expected) in cases {
            assert_eq!(refused(change), expected);
        }
    }

    #[test]
    fn rejects_validity_window_ending_before_it_starts() {
        assert_eq!(
            refused(|policy| {
                set(policy, "/valid_from", json!("2026-12-01"));
                set(policy, "/valid_until", json!("2026-11-30"));
            }),
            PolicyError::InvalidWindow {
                valid_from: "2026-12-01".parse().unwrap(),
                valid_until: "2026-11-30".parse().unwrap(),
            }
        );
    }

    #[test]
    fn rejects_form_requiring_monitoring_without_monitoring_settings() {
        assert_eq!(
            refused(|policy| remove(policy, "/monitoring")),
            PolicyError::MissingMonitoring {
                form: "daily".into()
            }
        );
        // Without a form that needs it, monitoring is optional.
        assert!(
            install(|policy| {
                remove(policy, "/monitoring");
                set(policy, "/forms/0/requires_monitoring", json!(false));
            })
            .is_ok()
        );
    }

    #[test]
    fn rejects_bad_profile_source() {
        // Not a profile attribute.
        assert_eq!(
            refused(|policy| set(policy, "/forms/0/fields/0/source", json!("profile"))),
            PolicyError::BadProfileSource {
                form: "daily".into(),
                field: "temperature".into()
            }
        );
        // A profile attribute, but of another kind.
        assert_eq!(
            refused(|policy| {
                set(policy, "/forms/1/fields/1/kind", json!("passport_number"));
            }),
            PolicyError::BadProfileSource {
                form: "arrival".into(),
                field: "id_number".into()
            }
        );
    }

    #[test]
    fn rejects_bad_parameters() {
        let cases: [(&str, &str, Value); 22] = [
            (
                "round step zero",
                "/forms/0/fields/0/upload",
                json!({"round": 0}),
            ),
            (
                "round step negative",
                "/forms/0/fields/0/upload",
                json!({"round": -0.5}),
            ),
            (
                "round step not a number",
                "/forms/0/fields/0/upload",
                json!({"round": "half"}),
            ),
            (
                "threshold not a number",
                "/forms/0/fields/0/upload",
                json!({"threshold": null}),
            ),
            (
                "integer round not whole",
                "/forms/1/fields/7/upload",
                json!({"round": 0.5}),
            ),
            ("integer min > max", "/forms/1/fields/7/min", json!(21)),
            ("empty codes", "/forms/0/fields/1/codes", json!([])),
            (
                "age band zero",
                "/forms/1/fields/3/upload",
                json!({"age_band": 0}),
            ),
            (
                "age band too wide",
                "/forms/1/fields/3/upload",
                json!({"age_band": 101}),
            ),
            (
                "age band fractional",
                "/forms/1/fields/3/upload",
                json!({"age_band": 2.5}),
            ),
            (
                "window zero",
                "/forms/1/fields/4/upload",
                json!({"window": 0}),
            ),
            (
                "window too long",
                "/forms/1/fields/4/upload",
                json!({"window": 367}),
            ),
            (
                "areas empty",
                "/forms/1/fields/4/upload/risk_area_visited/areas",
                json!([]),
            ),
            (
                "area three digits",
                "/forms/1/fields/4/upload/risk_area_visited/areas/0",
                json!("420"),
            ),
            (
                "area not digits",
                "/forms/1/fields/4/upload/risk_area_visited/areas/0",
                json!("42ab"),
            ),
            (
                "risk window zero",
                "/forms/1/fields/4/upload/risk_area_visited/window_days",
                json!(0),
            ),
            (
                "generalize level",
                "/forms/0/fields/2/upload",
                json!({"generalize": "street"}),
            ),
            (
                "coarsen granularity",
                "/forms/1/fields/6/upload",
                json!({"coarsen_date": "day"}),
            ),
            (
                "transform missing its parameter",
                "/forms/0/fields/0/upload",
                json!("threshold"),
            ),
            (
                "parameter on a bare transform",
                "/forms/0/fields/1/upload",
                json!({"keep": true}),
            ),
            (
                "two-key transform",
                "/forms/0/fields/0/upload",
                json!({"threshold": 37.3, "round": 0.5}),
            ),
            ("text max_len zero", "/forms/0/fields/3/max_len", json!(0)),
        ];
        for (case, pointer, value) in cases {
            let error = refused(|policy| set(policy, pointer, value));
            assert!(
                matches!(error, PolicyError::BadParameter { .. }),
                "{case}: {error:?}"
            );
        }
        // Parameters a kind does not take, or a kind missing its parameter.
        let cases: [(&str, Change); 5] = [
            (
                "codes on temperature",
                Box::new(|p| set(p, "/forms/0/fields/0/codes", json!(["a"]))),
            ),
            (
                "max_len on choice",
                Box::new(|p| set(p, "/forms/1/fields/9/max_len", json!(5))),
            ),
            (
                "integer without max",
                Box::new(|p| remove(p, "/forms/1/fields/7/max")),
            ),
            (
                "text without max_len",
                Box::new(|p| remove(p, "/forms/0/fields/3/max_len")),
            ),
            (
                "choice without codes",
                Box::new(|p| remove(p, "/forms/1/fields/9/codes")),
            ),
        ];
        for (case, change) in cases {
            let error = refused(change);
            assert!(
                matches!(error, PolicyError::BadParameter { .. }),
                "{case}: {error:?}"
            );
        }
        let detail = bad_parameter(refused(|policy| {
            set(policy, "/forms/1/fields/7/min", json!(21))
        }));
        assert!(
            detail.contains("`min` (21) is greater than `max` (20)"),
            "{detail}"
        );
        let error = refused(|policy| set(policy, "/forms/1/fields/7/min", json!(21)));
        assert!(
            error.to_string().contains("household_size") && error.to_string().contains("arrival")
        );
    }

    #[test]
    fn rejects_bad_settings() {
        let cases: [(&str, Value, &str); 9] = [
            ("/version", json!(0), "version"),
            ("/version", json!(u64::MAX), "version"),
            ("/retention/device_days", json!(0), "retention.device_days"),
            (
                "/retention/device_days",
                json!(MAX_RETENTION_DAYS + 1),
                "retention.device_days",
            ),
            ("/retention/server_days", json!(0), "retention.server_days"),
            ("/padding/block_bytes", json!(8), "padding.block_bytes"),
            (
                "/padding/block_bytes",
                json!(MAX_PADDING_BLOCK_BYTES + 1),
                "padding.block_bytes",
            ),
            ("/monitoring/days", json!(0), "monitoring.days"),
            ("/endpoint/spki_sha256", json!([]), "endpoint.spki_sha256"),
        ];
        for (pointer, value, what) in cases {
            match refused(|policy| set(policy, pointer, value)) {
                PolicyError::BadSetting { what: found, .. } => assert_eq!(found, what, "{pointer}"),
                other => panic!("{pointer}: {other:?}"),
            }
        }
        assert!(matches!(
            refused(|p| set(p, "/forms", json!([]))),
            PolicyError::BadSetting { .. }
        ));
        assert!(matches!(
            refused(|p| set(p, "/forms/1/fields", json!([]))),
            PolicyError::BadSetting { .. }
        ));
        assert!(matches!(
            refused(|p| set(p, "/forms/0/title", json!({"zh_CN!": "x"}))),
            PolicyError::BadSetting { .. }
        ));
    }
}
