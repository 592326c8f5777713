//! Enrollment orders (`selfreport.enrollment/1`, issue 14): a collector's signed word that
//! one person — unnamed — is to be monitored under a policy. The order names no person: it
//! carries the policy, the monitoring period, a reason from a closed set, the county the
//! person is monitored in, the forms it allows and how often, a random secret the device
//! later proves enrollment with, and when it was issued.
//!
//! It is signed in the shared envelope (`selfreport.signed/1`, context
//! `"selfreport.enrollment/1\n"`) by the key that signed the policy: the root itself, or the
//! collector at the end of the policy's delegation chain, so an order can reach no further
//! than the policy's (and so the delegation's) regions and forms.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use zeroize::Zeroizing;

use super::PolicyError;
use super::VerifiedPolicy;
use super::document::FormEnrollment;
use super::region::RegionCode;
use super::signed::{Envelope, envelope_bytes};
use super::trust::TrustAnchors;
use crate::crypto::signature::{ED25519_PUBLIC_KEY_LEN, SigningKey};

/// The format string of enrollment documents.
pub const ENROLLMENT_FORMAT: &str = "selfreport.enrollment/1";

/// What an enrollment's signature covers before the payload: the format, so a signature
/// over a policy or delegation can never pass for an order.
pub const ENROLLMENT_SIGNATURE_CONTEXT: &[u8] = b"selfreport.enrollment/1\n";

/// Largest signed order accepted, in bytes.
pub const MAX_SIGNED_ENROLLMENT_BYTES: usize = 4 * 1024;

/// Largest order document, in bytes.
pub const MAX_ENROLLMENT_BYTES: usize = 2 * 1024;

/// Most forms one order may name.
const MAX_ORDER_FORMS: usize = 16;

/// Most submissions a day an order may allow for one form.
pub const MAX_PER_DAY: u32 = 24;

/// Longest monitoring period an order may set, in days (as a policy's `monitoring.days`).
const MAX_ORDER_DAYS: u32 = 366;

/// Fewest and most bytes of an order's secret.
const SECRET_BYTES: std::ops::RangeInclusive<usize> = 16..=64;

/// Why a person is under an order: the closed set collectors choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderReason {
    /// Arrived from a place under measures.
    Arrival,
    /// A close contact of a confirmed case.
    CloseContact,
    /// A contact of a close contact.
    SecondaryContact,
}

/// An enrollment order's content, checked for form (not yet against a policy).
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentOrder {
    /// The policy it enrolls under.
    pub policy_id: String,
    /// First day of the monitoring period.
    pub start: NaiveDate,
    /// Length of the period in days.
    pub days: u32,
    /// Why.
    pub reason: OrderReason,
    /// The county-level GB/T 2260 code of the district the person is monitored in.
    pub district: String,
    /// The forms it allows, each with how many submissions a day.
    pub forms: BTreeMap<String, u32>,
    /// The random secret (at least 128 bits) the device proves enrollment with; never
    /// printed.
    pub secret: Zeroizing<Vec<u8>>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// For an order a checkpoint issued on confirming a pre-registration in person
    /// (`selfreport-authority confirm-arrival`): the registration's pseudonym (32 hex).
    /// A device enrolls such an order only for the profile with that pseudonym under the
    /// policy.
    pub pseudonym: Option<String>,
}

impl fmt::Debug for EnrollmentOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollmentOrder")
            .field("policy_id", &self.policy_id)
            .field("start", &self.start)
            .field("days", &self.days)
            .field("reason", &self.reason)
            .field("district", &self.district)
            .field("forms", &self.forms)
            .field("secret", &"<redacted>")
            .field("issued_at", &self.issued_at)
            .field("pseudonym", &self.pseudonym)
            .finish()
    }
}

impl EnrollmentOrder {
    /// The period's last day (`start + days - 1`).
    pub fn last_day(&self) -> NaiveDate {
        self.start
            .checked_add_days(chrono::Days::new(u64::from(self.days.saturating_sub(1))))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// The order's JSON object, every member taken exactly once: an unknown or missing member
/// is refused. Read through `serde_json::Value` rather than a derived reader: the policy
/// reader already links the `Value` code, and a derived one costs the library it ships in.
struct Members(serde_json::Map<String, Value>);

impl Members {
    fn take(&mut self, name: &str) -> Result<Value, PolicyError> {
        self.0
            .remove(name)
            .ok_or_else(|| bad(format!("`{name}` is missing")))
    }

    fn text(&mut self, name: &str) -> Result<String, PolicyError> {
        match self.take(name)? {
            Value::String(text) => Ok(text),
            _ => Err(bad(format!("`{name}` is not a string"))),
        }
    }

    fn optional_text(&mut self, name: &str) -> Result<Option<String>, PolicyError> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(bad(format!("`{name}` is not a string"))),
        }
    }

    fn finish(self) -> Result<(), PolicyError> {
        match self.0.keys().next() {
            Some(unknown) => Err(bad(format!(
                "unknown member `{}`",
                super::error::truncated(unknown, 40)
            ))),
            None => Ok(()),
        }
    }
}

fn object(value: Value, what: &str) -> Result<Members, PolicyError> {
    match value {
        Value::Object(members) => Ok(Members(members)),
        _ => Err(bad(format!("{what} is not a JSON object"))),
    }
}

fn whole_number(value: Value, what: &str) -> Result<u32, PolicyError> {
    value
        .as_u64()
        .and_then(|number| u32::try_from(number).ok())
        .ok_or_else(|| bad(format!("{what} is not a whole number")))
}

fn bad(detail: impl Into<String>) -> PolicyError {
    PolicyError::BadEnrollment {
        detail: detail.into(),
    }
}

fn outside(detail: impl Into<String>) -> PolicyError {
    PolicyError::EnrollmentOutsidePolicy {
        detail: detail.into(),
    }
}

/// Parses and checks an order document (content only; no signature or policy).
pub fn parse_enrollment_document(payload: &[u8]) -> Result<EnrollmentOrder, PolicyError> {
    if payload.len() > MAX_ENROLLMENT_BYTES {
        return Err(bad(format!(
            "the order is {} bytes, more than the limit of {MAX_ENROLLMENT_BYTES}",
            payload.len()
        )));
    }
    let value: Value = serde_json::from_slice(payload)
        .map_err(|error| bad(super::parse::json_error(error).to_string()))?;
    let mut members = object(value, "the order")?;
    let format = members.text("format")?;
    if format != ENROLLMENT_FORMAT {
        return Err(bad(format!(
            "the format is `{}`, not `{ENROLLMENT_FORMAT}`",
            super::error::truncated(&format, 40)
        )));
    }
    let policy_id = members.text("policy_id")?;
    let mut monitoring = object(members.take("monitoring")?, "monitoring")?;
    let start: NaiveDate = monitoring
        .text("start")?
        .parse()
        .map_err(|_| bad("monitoring.start is not a YYYY-MM-DD date"))?;
    let days = whole_number(monitoring.take("days")?, "monitoring.days")?;
    monitoring.finish()?;
    let reason = match members.text("reason")?.as_str() {
        "arrival" => OrderReason::Arrival,
        "close_contact" => OrderReason::CloseContact,
        "secondary_contact" => OrderReason::SecondaryContact,
        other => {
            return Err(bad(format!(
                "reason `{}` is not arrival, close_contact or secondary_contact",
                super::error::truncated(other, 40)
            )));
        }
    };
    let district = members.text("district")?;
    let Value::Object(raw_forms) = members.take("forms")? else {
        return Err(bad("forms is not a JSON object"));
    };
    let secret_text = members.text("secret")?;
    let issued_at_text = members.text("issued_at")?;
    let pseudonym = members.optional_text("pseudonym")?;
    members.finish()?;
    let is_pseudonym = |text: &str| {
        text.len() == 32
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    };
    if pseudonym.as_deref().is_some_and(|text| !is_pseudonym(text)) {
        return Err(bad("pseudonym is not 32 lowercase hex characters"));
    }
    if !(1..=MAX_ORDER_DAYS).contains(&days) {
        return Err(bad(format!(
            "monitoring.days is {days}, not 1 to {MAX_ORDER_DAYS}"
        )));
    }
    let county = RegionCode::parse(&district).filter(|_| !district.ends_with("00"));
    if county.is_none() {
        return Err(bad(
            "district is not a county-level GB/T 2260 code (six digits, not ending in 00)",
        ));
    }
    if raw_forms.is_empty() || raw_forms.len() > MAX_ORDER_FORMS {
        return Err(bad(format!("an order names 1 to {MAX_ORDER_FORMS} forms")));
    }
    let mut forms = BTreeMap::new();
    for (form, allowance) in raw_forms {
        let mut allowance = object(allowance, "a form's allowance")?;
        let per_day = whole_number(allowance.take("per_day")?, "per_day")?;
        allowance.finish()?;
        if !(1..=MAX_PER_DAY).contains(&per_day) {
            return Err(bad(format!(
                "form `{}` allows {per_day} submissions a day, not 1 to {MAX_PER_DAY}",
                super::error::truncated(&form, 40),
            )));
        }
        forms.insert(form, per_day);
    }
    let secret = Zeroizing::new(
        base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &secret_text,
        )
        .map_err(|_| bad("secret is not base64url without padding"))?,
    );
    if !SECRET_BYTES.contains(&secret.len()) {
        return Err(bad(format!(
            "secret is {} bytes, not {} to {} (at least 128 bits)",
            secret.len(),
            SECRET_BYTES.start(),
            SECRET_BYTES.end()
        )));
    }
    let issued_at = DateTime::parse_from_rfc3339(&issued_at_text)
        .map_err(|_| bad("issued_at is not an RFC 3339 time"))?
        .with_timezone(&Utc);
    Ok(EnrollmentOrder {
        policy_id,
        start,
        days,
        reason,
        district,
        forms,
        secret,
        issued_at,
        pseudonym,
    })
}

/// A signed order as received: its envelope and document read, nothing verified.
pub struct SignedEnrollment {
    envelope: Envelope,
    order: EnrollmentOrder,
}

impl fmt::Debug for SignedEnrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedEnrollment")
            .field("key_id", &self.envelope.key_id)
            .field("order", &self.order)
            .finish()
    }
}

impl SignedEnrollment {
    /// Parses an order's envelope and document.
    pub fn parse(bytes: &[u8]) -> Result<Self, PolicyError> {
        if bytes.len() > MAX_SIGNED_ENROLLMENT_BYTES {
            return Err(bad(format!(
                "the signed order is {} bytes, more than the limit of {MAX_SIGNED_ENROLLMENT_BYTES}",
                bytes.len()
            )));
        }
        let envelope =
            Envelope::parse(bytes, MAX_ENROLLMENT_BYTES).map_err(|error| match error {
                PolicyError::BadEnrollment { .. } => error,
                other => bad(other.to_string()),
            })?;
        if envelope.chain.is_some() {
            return Err(bad("an order's envelope carries no `chain`"));
        }
        let order = parse_enrollment_document(&envelope.payload)?;
        Ok(Self { envelope, order })
    }

    /// What it says (not yet verified: see [`SignedEnrollment::verify`]).
    pub fn order(&self) -> &EnrollmentOrder {
        &self.order
    }

    /// Checks the order against the installed `policy` on `today`: signed by the key that
    /// signed the policy (the root in `anchors`, or the last subject of its chain), for
    /// that policy, in one of its regions, for forms it declares `enrollment: required`, a
    /// period inside the policy's validity no longer than its `monitoring.days`, issued
    /// no later than tomorrow. Returns the order.
    pub fn verify(
        self,
        policy: &VerifiedPolicy,
        anchors: &TrustAnchors,
        today: NaiveDate,
    ) -> Result<EnrollmentOrder, PolicyError> {
        let signer =
            signer_key(policy, anchors).ok_or_else(|| PolicyError::EnrollmentBadSignature {
                detail: "the policy's signing key is not known here".to_owned(),
            })?;
        if self.envelope.key_id != policy.key_id() {
            return Err(PolicyError::EnrollmentBadSignature {
                detail: format!(
                    "signed by key {}, not by {}, which signed the policy",
                    super::error::truncated(&self.envelope.key_id, 16),
                    policy.key_id()
                ),
            });
        }
        if !self
            .envelope
            .verifies(ENROLLMENT_SIGNATURE_CONTEXT, &signer)
        {
            return Err(PolicyError::EnrollmentBadSignature {
                detail: "the signature does not verify".to_owned(),
            });
        }
        let order = self.order;
        let document = policy.document();
        if order.policy_id != document.id {
            return Err(outside(format!(
                "the order is for policy `{}`, not `{}`",
                super::error::truncated(&order.policy_id, 64),
                document.id
            )));
        }
        let Some(district) = RegionCode::parse(&order.district) else {
            return Err(bad("district is not a GB/T 2260 code"));
        };
        let within = document
            .region
            .iter()
            .any(|region| RegionCode::parse(region).is_some_and(|region| region.covers(&district)));
        if !within {
            return Err(outside(format!(
                "district {} lies outside the policy's regions",
                order.district
            )));
        }
        for form_id in order.forms.keys() {
            match document.form(form_id) {
                Some(form) if form.enrollment == FormEnrollment::Required => {}
                Some(_) => {
                    return Err(outside(format!(
                        "form `{form_id}` is open to anyone: an order names only forms with \
                         `enrollment: required`"
                    )));
                }
                None => {
                    return Err(outside(format!(
                        "the policy has no form `{}`",
                        super::error::truncated(form_id, 40)
                    )));
                }
            }
        }
        let Some(monitoring) = document.monitoring else {
            return Err(outside("the policy sets no monitoring period"));
        };
        if order.days > monitoring.days {
            return Err(outside(format!(
                "the order sets {} days of monitoring, more than the policy's {}",
                order.days, monitoring.days
            )));
        }
        if order.start < document.valid_from || order.last_day() > document.valid_until {
            return Err(outside(format!(
                "the period {} to {} is not inside the policy's validity ({} to {})",
                order.start,
                order.last_day(),
                document.valid_from,
                document.valid_until
            )));
        }
        if order.issued_at.date_naive() > today.succ_opt().unwrap_or(today) {
            return Err(bad("issued_at is in the future"));
        }
        Ok(order)
    }
}

/// The public key that signed `policy`: the last subject of its chain, or the root.
fn signer_key(
    policy: &VerifiedPolicy,
    anchors: &TrustAnchors,
) -> Option<[u8; ED25519_PUBLIC_KEY_LEN]> {
    match policy.chain_subject_keys().last() {
        Some(subject) => Some(*subject),
        None => anchors
            .find(policy.key_id())
            .map(|anchor| *anchor.public_key()),
    }
}

/// Signs an order document: checks it is one a device would read, then returns the
/// envelope bytes.
pub fn sign_enrollment(key: &SigningKey, payload: &[u8]) -> Result<Vec<u8>, PolicyError> {
    parse_enrollment_document(payload)?;
    Ok(envelope_bytes(
        key,
        ENROLLMENT_SIGNATURE_CONTEXT,
        payload,
        &[],
    ))
}

#[cfg(test)]
#[path = "enrollment_tests.rs"]
mod tests;
