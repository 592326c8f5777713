//! Checks from the document down to its forms: ids, window, endpoint, recipients,
//! retention, padding, cover traffic, forms.

use std::collections::{BTreeMap, BTreeSet};

use super::super::error::truncated;
use super::super::limits::*;
use super::super::region::RegionCode;
use super::super::trust::decode_key_32;
use super::super::{
    CoverTraffic, Endpoint, FieldSpec, Form, FormEnrollment, Issuer, Monitoring, OncePer, Padding,
    PolicyDocument, PolicyError, PolicyFormat, Purpose, Recipient, RecipientRole, Retention,
};
use super::checks::{check_count, check_id, check_labels, check_range, limit, setting};
use super::field::{build_field, check_references};
use super::raw::*;
use super::{ECHO_LEN, SUPPORTED_SUITES};

pub(super) fn build_policy(
    raw: RawPolicy,
    format: PolicyFormat,
) -> Result<PolicyDocument, PolicyError> {
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
    let region = build_region(format, raw.region)?;
    let endpoint = build_endpoint(raw.endpoint, format, raw.valid_from, raw.valid_until)?;
    let recipients = build_recipients(format, raw.recipients)?;

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

    let access_notices = match (format, raw.access_notices) {
        (PolicyFormat::V1, Some(_)) => return Err(not_in_v1("access_notices")),
        (_, None | Some(false)) => false,
        (_, Some(true)) => {
            let identity = recipients
                .values()
                .any(|recipient| recipient.role == Some(RecipientRole::Identity));
            if !identity {
                return Err(setting(
                    "access_notices",
                    "access notices need a recipient with role identity: the notice key \
                     travels in its part",
                ));
            }
            true
        }
    };

    if raw.forms.is_empty() {
        return Err(setting("forms", "a policy declares at least one form"));
    }
    check_count("forms in the policy", raw.forms.len(), MAX_FORMS)?;
    let mut forms: Vec<Form> = Vec::with_capacity(raw.forms.len());
    for raw_form in raw.forms {
        let form = build_form(raw_form, format, &recipients, monitoring.is_some())?;
        if forms.iter().any(|existing| existing.id == form.id) {
            return Err(PolicyError::Duplicate {
                what: "form id".into(),
                id: form.id,
            });
        }
        forms.push(form);
    }

    Ok(PolicyDocument {
        format,
        id: raw.id,
        version: raw.version,
        issuer,
        purpose,
        valid_from: raw.valid_from,
        valid_until: raw.valid_until,
        region,
        endpoint,
        recipients,
        monitoring,
        retention,
        padding,
        cover_traffic,
        access_notices,
        forms,
    })
}

pub(super) fn build_endpoint(
    raw: RawEndpoint,
    format: PolicyFormat,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
) -> Result<Endpoint, PolicyError> {
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
    let token_keys = match (format, raw.token_keys) {
        (_, None) => Vec::new(),
        (PolicyFormat::V1, Some(_)) => return Err(not_in_v1("endpoint.token_keys")),
        (_, Some(keys)) => super::token_keys::build_token_keys(&keys, valid_from, valid_until)?,
    };
    Ok(Endpoint {
        url: raw.url,
        spki_sha256: raw.spki_sha256,
        receipt_key: raw.receipt_key,
        token_keys,
    })
}

/// The endpoint must be an absolute `https` URL with a host, and nothing that could make
/// two clients reach different places or leak credentials: no user info, query or fragment.
pub(super) fn check_endpoint_url(url: &str) -> Result<(), PolicyError> {
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

pub(super) fn build_recipients(
    format: PolicyFormat,
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
        let role = match (format, recipient.role.as_deref()) {
            (PolicyFormat::V1, None) => None,
            (PolicyFormat::V1, Some(_)) => {
                return Err(not_in_v1(&format!("recipients.{name}.role")));
            }
            (PolicyFormat::V2, Some("identity")) => Some(RecipientRole::Identity),
            (PolicyFormat::V2, Some("health")) => Some(RecipientRole::Health),
            (PolicyFormat::V2, other) => {
                return Err(PolicyError::BadRecipientRole {
                    recipient: name,
                    role: other.map(|role| truncated(role, ECHO_LEN)),
                });
            }
        };
        recipients.insert(
            name,
            Recipient {
                suite: recipient.suite,
                public_key: recipient.public_key,
                role,
            },
        );
    }
    Ok(recipients)
}

/// The regions a policy serves: none in `/1` (which has no such field), one to
/// [`MAX_REGIONS`] distinct GB/T 2260 codes in `/2`.
pub(super) fn build_region(
    format: PolicyFormat,
    raw: Option<Vec<String>>,
) -> Result<Vec<String>, PolicyError> {
    let codes = match (format, raw) {
        (PolicyFormat::V1, None) => return Ok(Vec::new()),
        (PolicyFormat::V1, Some(_)) => return Err(not_in_v1("region")),
        (PolicyFormat::V2, None) => {
            return Err(setting(
                "region",
                "a selfreport.policy/2 document names the regions it serves",
            ));
        }
        (PolicyFormat::V2, Some(codes)) => codes,
    };
    if codes.is_empty() {
        return Err(setting("region", "at least one region code is required"));
    }
    check_count("region codes", codes.len(), MAX_REGIONS)?;
    let mut seen = BTreeSet::new();
    for code in &codes {
        if RegionCode::parse(code).is_none() {
            return Err(setting(
                "region",
                format!(
                    "`{}` is not a GB/T 2260 code (six digits, a province `310000`, a city `310100` or a county `310104`)",
                    truncated(code, ECHO_LEN)
                ),
            ));
        }
        if !seen.insert(code.as_str()) {
            return Err(PolicyError::Duplicate {
                what: "region code".into(),
                id: code.clone(),
            });
        }
    }
    Ok(codes)
}

/// The error for a `/2` field found in a `/1` document.
fn not_in_v1(field: &str) -> PolicyError {
    setting(
        field,
        "is a selfreport.policy/2 field; a selfreport.policy/1 document cannot have it",
    )
}

pub(super) fn build_form(
    raw: RawForm,
    format: PolicyFormat,
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
        let field = build_field(&raw.id, format, raw_field, recipients)?;
        if fields.iter().any(|existing| existing.id == field.id) {
            return Err(PolicyError::Duplicate {
                what: format!("field id in form `{}`", raw.id),
                id: field.id,
            });
        }
        fields.push(field);
    }
    check_references(&raw.id, &fields)?;
    // Whether each size fits the form is checked once the whole document is built
    // (`super::super::padded_size`): the minimum comes from the policy's padding block.
    let padded_bytes = match (format, raw.padded_bytes) {
        (PolicyFormat::V1, None) => BTreeMap::new(),
        (PolicyFormat::V1, Some(_)) => return Err(not_in_v1("padded_bytes")),
        (PolicyFormat::V2, sizes) => sizes.map(|sizes| sizes.0).unwrap_or_default(),
    };
    let enrollment = match (format, raw.enrollment) {
        (_, None) => FormEnrollment::Open,
        (PolicyFormat::V1, Some(_)) => return Err(not_in_v1("enrollment")),
        (PolicyFormat::V2, Some(RawEnrollment::Open)) => FormEnrollment::Open,
        (PolicyFormat::V2, Some(RawEnrollment::Required)) => {
            // An order sets a monitoring period: a form that needs one is filed in it.
            if !raw.requires_monitoring {
                return Err(setting(
                    format!("form `{}`", raw.id),
                    "a form with `enrollment: required` also has `requires_monitoring: true` \
                     (an enrollment order sets the monitoring period it is filed in)",
                ));
            }
            FormEnrollment::Required
        }
    };
    Ok(Form {
        id: raw.id,
        once_per: match raw.once_per {
            RawOncePer::Day => OncePer::Day,
            RawOncePer::Registration => OncePer::Registration,
        },
        requires_monitoring: raw.requires_monitoring,
        enrollment,
        title,
        fields,
        padded_bytes,
    })
}
