//! Guardrails no signer can lift: rules every policy must keep, whoever signed it and
//! whatever its delegation says. Each broken rule is a refusal with a code of its own.
//!
//! - the purpose is one of the closed set ([`super::purpose::PURPOSES`]);
//! - retention is within the core's maximum ([`CORE_MAX_DEVICE_DAYS`],
//!   [`CORE_MAX_SERVER_DAYS`]) (a delegation may only lower it);
//! - travel history never leaves whole: only through `risk_area_visited`, `window`,
//!   `count` or `generalize`, never `keep`;
//! - free text never leaves, unless the delegation that authorizes the signer lists
//!   `text` among its kinds, and then only to a health recipient;
//! - in `selfreport.policy/2`, which gives recipients roles: identity kinds go only to the
//!   identity role (unless reduced to a pseudonym), health answers only to the health role,
//!   and the identity and health recipients use different keys.

use super::{FieldSpec, Form, PolicyDocument, PolicyError, RecipientRole, Transform};
use crate::model::FieldKind;

/// Longest device retention any policy may declare, in days: a monitoring period of up
/// to a month with the weeks after it in which a person may still want their records.
pub const CORE_MAX_DEVICE_DAYS: u32 = 90;
/// Longest server retention any policy may declare, in days.
pub const CORE_MAX_SERVER_DAYS: u32 = 180;

/// Whether the signer's delegation permits uploading free text at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeText {
    /// No delegation said so (the default, and always for a root-signed policy).
    Refused,
    /// The delegation lists `text` among the kinds its subject may upload.
    Permitted,
}

/// Every guardrail `policy` breaks, in document order; empty when it keeps them all.
pub fn guardrail_refusals(policy: &PolicyDocument, free_text: FreeText) -> Vec<PolicyError> {
    let mut refusals = Vec::new();
    if super::purpose::purpose(&policy.purpose.code).is_none() {
        refusals.push(PolicyError::PurposeNotAllowed {
            purpose: policy.purpose.code.clone(),
        });
    }
    for (what, days, limit) in [
        ("device", policy.retention.device_days, CORE_MAX_DEVICE_DAYS),
        ("server", policy.retention.server_days, CORE_MAX_SERVER_DAYS),
    ] {
        if days > limit {
            refusals.push(PolicyError::RetentionAboveLimit { what, days, limit });
        }
    }
    let roles: Vec<(&str, RecipientRole, &str)> = policy
        .recipients
        .iter()
        .filter_map(|(name, r)| Some((name.as_str(), r.role?, r.public_key.as_str())))
        .collect();
    let shared_key = roles.iter().any(|(_, role, key)| {
        roles
            .iter()
            .any(|(_, other, other_key)| other != role && other_key == key)
    });
    if shared_key {
        refusals.push(PolicyError::RolesShareKey);
    }
    for form in &policy.forms {
        for field in form.fields.iter().filter(|field| field.upload.uploads()) {
            if let Some(refusal) = field_refusal(policy, form, field, free_text) {
                refusals.push(refusal);
            }
        }
    }
    refusals
}

/// The first guardrail `policy` breaks.
pub fn check_guardrails(policy: &PolicyDocument, free_text: FreeText) -> Result<(), PolicyError> {
    match guardrail_refusals(policy, free_text).into_iter().next() {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

fn field_refusal(
    policy: &PolicyDocument,
    form: &Form,
    field: &FieldSpec,
    free_text: FreeText,
) -> Option<PolicyError> {
    let named = || (form.id.clone(), field.id.clone());
    if field.kind == FieldKind::TravelHistory && field.upload == Transform::Keep {
        let (form, field) = named();
        return Some(PolicyError::TravelHistoryKept { form, field });
    }
    let recipient = field.to.as_deref()?;
    let role = policy.recipients.get(recipient).and_then(|r| r.role);
    if matches!(field.kind, FieldKind::Text { .. })
        && (free_text == FreeText::Refused || role == Some(RecipientRole::Identity))
    {
        let (form, field) = named();
        return Some(PolicyError::FreeTextUploaded { form, field });
    }
    let role = role?;
    let identity_value = field.kind.is_identity() && field.upload != Transform::Pseudonym;
    if identity_value && role != RecipientRole::Identity {
        let (form, field) = named();
        return Some(PolicyError::IdentityNotToIdentity {
            form,
            field,
            recipient: recipient.to_owned(),
        });
    }
    if !field.kind.is_identity() && role != RecipientRole::Health {
        let (form, field) = named();
        return Some(PolicyError::HealthNotToHealth {
            form,
            field,
            recipient: recipient.to_owned(),
        });
    }
    None
}
