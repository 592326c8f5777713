//! Why a policy was refused: one variant per rejection, each with a stable code.

use chrono::NaiveDate;

/// A signed policy was refused at install, update or signing. The installed policy, if any,
/// is untouched.
///
/// Messages are plain English and name the form and field concerned; [`PolicyError::code`]
/// is stable and is what apps translate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The envelope or the policy document is not well-formed JSON of the expected shape.
    #[error("the policy is malformed: {detail}")]
    Malformed {
        /// What is wrong, with the position when the JSON parser knows it.
        detail: String,
    },

    /// The envelope's `format` is not `selfreport.signed/1`.
    #[error("the signed policy envelope has an unknown format `{found}`")]
    UnknownEnvelopeFormat {
        /// The format found (truncated).
        found: String,
    },

    /// The document's `format` is not `selfreport.policy/1`.
    #[error("the policy document has an unknown format `{found}`")]
    UnknownFormat {
        /// The format found (truncated).
        found: String,
    },

    /// The signature does not verify with the key the envelope names.
    #[error("the policy's signature is not valid")]
    BadSignature,

    /// The envelope names a key that is not a trust anchor of this app.
    #[error("the policy is signed by key {key_id}, which this app does not trust")]
    UnknownKey {
        /// The key id the envelope names.
        key_id: String,
    },

    /// The signing key is trusted, but not today: outside its validity window.
    #[error("the policy is signed by key {key_id}, which is not valid today")]
    KeyOutsideWindow {
        /// The key id.
        key_id: String,
    },

    /// The policy's validity window starts after today.
    #[error("the policy is not valid before {valid_from}")]
    NotYetValid {
        /// The first day the policy is valid.
        valid_from: NaiveDate,
    },

    /// The policy's validity window ended before today.
    #[error("the policy expired after {valid_until}")]
    Expired {
        /// The last day the policy was valid.
        valid_until: NaiveDate,
    },

    /// The offered version is not newer than the installed one.
    #[error("policy `{id}` version {offered} is not newer than the installed version {installed}")]
    Rollback {
        /// The policy id.
        id: String,
        /// The installed version.
        installed: u64,
        /// The offered version.
        offered: u64,
    },

    /// The offered version of an installed policy id is not its owner's: its chain starts
    /// at another root, or its signer's namespace is neither the installed version's nor
    /// an ancestor of it.
    #[error("policy `{id}` belongs to {owner}; a version signed under {offered} cannot replace it")]
    NotOwner {
        /// The policy id.
        id: String,
        /// Who signed the installed version.
        owner: String,
        /// Who signed the offered one.
        offered: String,
    },

    /// The offered version is further above the installed one (or above zero, on a first
    /// install) than one update may go.
    #[error("policy `{id}` version {offered} is more than {limit} above version {installed}")]
    VersionJump {
        /// The policy id.
        id: String,
        /// The installed version (0 when none is).
        installed: u64,
        /// The offered version.
        offered: u64,
        /// The largest step allowed.
        limit: u64,
    },

    /// The endpoint URL does not use `https`.
    #[error("the endpoint `{url}` does not use https")]
    EndpointNotHttps {
        /// The URL given.
        url: String,
    },

    /// The endpoint URL uses `https` but is otherwise unacceptable.
    #[error("the endpoint `{url}` is not acceptable: {detail}")]
    BadEndpoint {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        detail: &'static str,
    },

    /// A field's kind is not in the vocabulary of field kinds.
    #[error("field `{field}` of form `{form}` has unknown kind `{kind}`")]
    UnknownKind {
        /// The form.
        form: String,
        /// The field.
        field: String,
        /// The kind given.
        kind: String,
    },

    /// A field's upload transform is not in the closed set of transforms.
    #[error("field `{field}` of form `{form}` has unknown upload transform `{transform}`")]
    UnknownTransform {
        /// The form.
        form: String,
        /// The field.
        field: String,
        /// The transform given.
        transform: String,
    },

    /// A field's upload transform does not apply to its kind.
    #[error(
        "field `{field}` of form `{form}`: transform `{transform}` does not apply to kind `{kind}`"
    )]
    TransformNotApplicable {
        /// The form.
        form: String,
        /// The field.
        field: String,
        /// The transform's name.
        transform: &'static str,
        /// The kind's name.
        kind: &'static str,
    },

    /// A field that is uploaded names no recipient (`to`).
    #[error("field `{field}` of form `{form}` is uploaded but names no recipient")]
    MissingRecipient {
        /// The form.
        form: String,
        /// The field.
        field: String,
    },

    /// A field names a recipient the policy does not declare.
    #[error("field `{field}` of form `{form}` names undeclared recipient `{recipient}`")]
    UnknownRecipient {
        /// The form.
        form: String,
        /// The field.
        field: String,
        /// The recipient named.
        recipient: String,
    },

    /// A recipient uses an HPKE suite this app does not support.
    #[error("recipient `{recipient}` uses unsupported suite `{suite}`")]
    UnsupportedSuite {
        /// The recipient.
        recipient: String,
        /// The suite given.
        suite: String,
    },

    /// A key or pin is not standard base64 of 32 bytes.
    #[error("{what} is not standard base64 of 32 bytes")]
    BadKey {
        /// Which key or pin.
        what: String,
    },

    /// The envelope or document is larger than allowed.
    #[error("the policy is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Its size in bytes (for an encoded payload, the encoded length).
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },

    /// A count or length exceeds its bound.
    #[error("too many {what}: the limit is {limit}")]
    Limit {
        /// What was counted.
        what: String,
        /// The bound.
        limit: usize,
    },

    /// An identifier is empty, too long or uses characters outside `a-z 0-9 - _`.
    #[error("{what} `{id}` must be 1 to 64 characters of a-z, 0-9, `-` and `_`")]
    InvalidId {
        /// What the identifier names.
        what: String,
        /// The identifier given (truncated).
        id: String,
    },

    /// An identifier appears twice where it must be unique.
    #[error("duplicate {what} `{id}`")]
    Duplicate {
        /// What kind of identifier, and where.
        what: String,
        /// The identifier.
        id: String,
    },

    /// The validity window ends before it starts.
    #[error("the policy's validity window ends ({valid_until}) before it starts ({valid_from})")]
    InvalidWindow {
        /// The first day.
        valid_from: NaiveDate,
        /// The last day.
        valid_until: NaiveDate,
    },

    /// A form requires monitoring but the policy has no `monitoring` settings.
    #[error("form `{form}` requires monitoring but the policy declares no monitoring period")]
    MissingMonitoring {
        /// The form.
        form: String,
    },

    /// A `source: profile` field is not a profile attribute, or not of the attribute's kind.
    #[error(
        "field `{field}` of form `{form}` takes its value from the profile, but is not a profile attribute of a matching kind"
    )]
    BadProfileSource {
        /// The form.
        form: String,
        /// The field.
        field: String,
    },

    /// A field's kind or transform parameter is out of range or inconsistent.
    #[error("field `{field}` of form `{form}`: {detail}")]
    BadParameter {
        /// The form.
        form: String,
        /// The field.
        field: String,
        /// What is wrong.
        detail: String,
    },

    /// A window transform's `reference` does not name a required, answered `date` field
    /// of the same form (or the field itself).
    #[error("field `{field}` of form `{form}`: `reference` `{reference}`: {detail}")]
    BadReference {
        /// The form.
        form: String,
        /// The field whose transform has the reference.
        field: String,
        /// The field id it names (an identifier: checked before this error can arise).
        reference: String,
        /// What is wrong.
        detail: String,
    },

    /// A `/2` recipient declares no role, or one that is neither `identity` nor `health`.
    #[error("recipient `{recipient}` must declare `role`: \"identity\" or \"health\"{}", role.as_ref().map(|r| format!(" (found `{r}`)")).unwrap_or_default())]
    BadRecipientRole {
        /// The recipient.
        recipient: String,
        /// The role given, if any (truncated).
        role: Option<String>,
    },

    /// A delegation is malformed or breaks a content rule (checked before any signature).
    #[error("the delegation is not acceptable: {detail}")]
    BadDelegation {
        /// What is wrong.
        detail: String,
    },

    /// An enrollment order is malformed or breaks a content rule (checked before any
    /// signature).
    #[error("the enrollment order is not acceptable: {detail}")]
    BadEnrollment {
        /// What is wrong.
        detail: String,
    },

    /// An enrollment order is not signed by the key that signed its policy.
    #[error("the enrollment order's signature is not acceptable: {detail}")]
    EnrollmentBadSignature {
        /// What is wrong.
        detail: String,
    },

    /// An enrollment order reaches beyond its policy: another policy, a district outside
    /// its regions, a form open to anyone or unknown, a period longer or outside its
    /// validity.
    #[error("the enrollment order lies outside its policy: {detail}")]
    EnrollmentOutsidePolicy {
        /// What is wrong.
        detail: String,
    },

    /// The chain from a trust anchor to the policy's signer does not hold together: a link
    /// signed by the wrong key, a policy not signed by the last subject, too many links.
    #[error("the delegation chain is broken at link {link}: {detail}")]
    ChainBroken {
        /// The link, from 1 (0: the policy itself).
        link: usize,
        /// What is wrong.
        detail: String,
    },

    /// A delegation of the chain is not valid today.
    #[error("delegation {link} of the chain is valid only from {valid_from} to {valid_until}")]
    DelegationNotValid {
        /// The link, from 1.
        link: usize,
        /// Its first day.
        valid_from: NaiveDate,
        /// Its last day.
        valid_until: NaiveDate,
    },

    /// A delegation of the chain allows more than its parent does.
    #[error("delegation {link} of the chain widens its parent's {constraint}: {detail}")]
    DelegationWidens {
        /// The link, from 1.
        link: usize,
        /// The constraint widened (`namespace`, `purposes`, `regions`, `max_device_days`,
        /// `max_server_days`, `endpoint_hosts`, `kinds`, `validity window`, `depth`).
        constraint: &'static str,
        /// How.
        detail: String,
    },

    /// The policy lies outside the constraints of the delegation that authorizes its signer.
    #[error("the policy is outside its delegation's {constraint}: {detail}")]
    OutsideDelegation {
        /// The constraint (names as for [`PolicyError::DelegationWidens`]).
        constraint: &'static str,
        /// How.
        detail: String,
    },

    /// The policy id is not in a namespace its root owns (configured with the anchor).
    #[error("policy id `{id}` is not in a namespace root {root_key_id} owns")]
    NamespaceNotOwned {
        /// The policy id.
        id: String,
        /// The root's key id.
        root_key_id: String,
    },

    /// Guardrail: the purpose is not one of the closed set the core accepts.
    #[error("purpose `{purpose}` is not one this app accepts (epidemic control only)")]
    PurposeNotAllowed {
        /// The purpose code given.
        purpose: String,
    },

    /// Guardrail: a retention above the core's maximum.
    #[error("{what} retention of {days} days is above the maximum of {limit}")]
    RetentionAboveLimit {
        /// `device` or `server`.
        what: &'static str,
        /// The days declared.
        days: u32,
        /// The maximum.
        limit: u32,
    },

    /// Guardrail: the identity and the health recipient use the same key, so one key would
    /// open who someone is and how they are.
    #[error("the identity and health recipients use the same public key")]
    RolesShareKey,

    /// Guardrail: travel history uploaded whole.
    #[error(
        "field `{field}` of form `{form}`: travel history leaves only reduced (risk_area_visited, window, count, generalize), never kept"
    )]
    TravelHistoryKept {
        /// The form.
        form: String,
        /// The field.
        field: String,
    },

    /// Guardrail: free text uploaded without a delegation's explicit permission, or to an
    /// identity recipient.
    #[error(
        "field `{field}` of form `{form}`: free text is never uploaded unless a delegation allows it, and then only to the health recipient"
    )]
    FreeTextUploaded {
        /// The form.
        form: String,
        /// The field.
        field: String,
    },

    /// Guardrail: an identity field (not reduced to a pseudonym) sent to a recipient that is
    /// not of the identity role.
    #[error(
        "field `{field}` of form `{form}` says who someone is and goes to `{recipient}`, which is not the identity recipient"
    )]
    IdentityNotToIdentity {
        /// The form.
        form: String,
        /// The field.
        field: String,
        /// The recipient named.
        recipient: String,
    },

    /// Guardrail: a health answer sent to a recipient that is not of the health role.
    #[error(
        "field `{field}` of form `{form}` is a health answer and goes to `{recipient}`, which is not the health recipient"
    )]
    HealthNotToHealth {
        /// The form.
        form: String,
        /// The field.
        field: String,
        /// The recipient named.
        recipient: String,
    },

    /// A `selfreport.policy/2` form's declared padded size for a recipient is missing,
    /// names a recipient the form does not send to, or is not a size the core accepts.
    #[error("form `{form}`, recipient `{recipient}`: {problem}")]
    PaddedSize {
        /// The form.
        form: String,
        /// The recipient.
        recipient: String,
        /// What is wrong; its code is the error's code.
        problem: super::padded_size::PaddedSizeProblem,
    },

    /// A policy-wide or form-wide setting is out of range.
    #[error("{what}: {detail}")]
    BadSetting {
        /// The setting (`retention.device_days`, `form daily`...).
        what: String,
        /// What is wrong.
        detail: String,
    },

    /// A revocation list is malformed or breaks a content rule (checked before its
    /// signature).
    #[error("the revocation list is not acceptable: {detail}")]
    BadRevocations {
        /// What is wrong.
        detail: String,
    },

    /// A revocation list is older than the one the device holds for its root: lists only
    /// move forward.
    #[error("revocation list {offered} is older than list {held} already held for this root")]
    RevocationsStale {
        /// The sequence number of the list held.
        held: u64,
        /// The sequence number of the list offered.
        offered: u64,
    },

    /// A revocation list has the sequence number of the list held for its root but other
    /// content: the root signed two different lists under one number.
    #[error("revocation list {sequence} differs from the list with that number already held")]
    RevocationsConflict {
        /// The sequence number both lists carry.
        sequence: u64,
    },

    /// The root revoked this version of the policy: nothing is sealed or sent under it.
    #[error("version {version} of policy {id} was revoked by its root ({reason})")]
    Revoked {
        /// The policy id.
        id: String,
        /// The version revoked.
        version: u64,
        /// Why, as its code (`key-compromise`...).
        reason: &'static str,
    },

    /// The root revoked a delegation of the policy's chain: nothing is sealed or sent under
    /// any policy its subject (or anyone it delegated to) signed.
    #[error(
        "the delegation to key {subject_key_id} in the policy's chain was revoked by its root ({reason})"
    )]
    DelegationRevoked {
        /// The key id of the revoked delegation's subject.
        subject_key_id: String,
        /// Why, as its code.
        reason: &'static str,
    },
}

impl PolicyError {
    /// The stable code of this rejection, for logs, UI and localization.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::Malformed { .. } => "PolicyMalformed",
            PolicyError::UnknownEnvelopeFormat { .. } => "PolicyUnknownEnvelopeFormat",
            PolicyError::UnknownFormat { .. } => "PolicyUnknownFormat",
            PolicyError::BadSignature => "PolicyBadSignature",
            PolicyError::UnknownKey { .. } => "PolicyUnknownKey",
            PolicyError::KeyOutsideWindow { .. } => "PolicyKeyNotValid",
            PolicyError::NotYetValid { .. } => "PolicyNotYetValid",
            PolicyError::Expired { .. } => "PolicyExpired",
            PolicyError::Rollback { .. } => "PolicyRollback",
            PolicyError::NotOwner { .. } => "PolicyNotOwner",
            PolicyError::VersionJump { .. } => "PolicyVersionJump",
            PolicyError::EndpointNotHttps { .. } => "PolicyEndpointNotHttps",
            PolicyError::BadEndpoint { .. } => "PolicyBadEndpoint",
            PolicyError::UnknownKind { .. } => "PolicyUnknownKind",
            PolicyError::UnknownTransform { .. } => "PolicyUnknownTransform",
            PolicyError::TransformNotApplicable { .. } => "PolicyTransformNotApplicable",
            PolicyError::MissingRecipient { .. } => "PolicyMissingRecipient",
            PolicyError::UnknownRecipient { .. } => "PolicyUnknownRecipient",
            PolicyError::UnsupportedSuite { .. } => "PolicyUnsupportedSuite",
            PolicyError::BadKey { .. } => "PolicyBadKey",
            PolicyError::TooLarge { .. } => "PolicyTooLarge",
            PolicyError::Limit { .. } => "PolicyLimit",
            PolicyError::InvalidId { .. } => "PolicyInvalidId",
            PolicyError::Duplicate { .. } => "PolicyDuplicate",
            PolicyError::InvalidWindow { .. } => "PolicyInvalidWindow",
            PolicyError::MissingMonitoring { .. } => "PolicyMissingMonitoring",
            PolicyError::BadProfileSource { .. } => "PolicyBadProfileSource",
            PolicyError::BadParameter { .. } => "PolicyBadParameter",
            PolicyError::BadReference { .. } => "PolicyBadReference",
            PolicyError::BadSetting { .. } => "PolicyBadSetting",
            PolicyError::BadRecipientRole { .. } => "PolicyBadRecipientRole",
            PolicyError::BadDelegation { .. } => "PolicyBadDelegation",
            PolicyError::BadEnrollment { .. } => "EnrollmentMalformed",
            PolicyError::EnrollmentBadSignature { .. } => "EnrollmentBadSignature",
            PolicyError::EnrollmentOutsidePolicy { .. } => "EnrollmentOutsidePolicy",
            PolicyError::ChainBroken { .. } => "PolicyChainBroken",
            PolicyError::DelegationNotValid { .. } => "PolicyDelegationNotValid",
            PolicyError::DelegationWidens { .. } => "PolicyDelegationWidens",
            PolicyError::OutsideDelegation { .. } => "PolicyOutsideDelegation",
            PolicyError::NamespaceNotOwned { .. } => "PolicyNamespaceNotOwned",
            PolicyError::PurposeNotAllowed { .. } => "PolicyPurposeNotAllowed",
            PolicyError::RetentionAboveLimit { .. } => "PolicyRetentionAboveLimit",
            PolicyError::RolesShareKey => "PolicyRolesShareKey",
            PolicyError::TravelHistoryKept { .. } => "PolicyTravelHistoryKept",
            PolicyError::FreeTextUploaded { .. } => "PolicyFreeTextUploaded",
            PolicyError::IdentityNotToIdentity { .. } => "PolicyIdentityNotToIdentity",
            PolicyError::HealthNotToHealth { .. } => "PolicyHealthNotToHealth",
            PolicyError::BadRevocations { .. } => "PolicyBadRevocations",
            PolicyError::RevocationsStale { .. } => "PolicyRevocationsStale",
            PolicyError::RevocationsConflict { .. } => "PolicyRevocationsConflict",
            PolicyError::Revoked { .. } => "PolicyRevoked",
            PolicyError::DelegationRevoked { .. } => "PolicyDelegationRevoked",
            PolicyError::PaddedSize { problem, .. } => problem.code(),
        }
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        PolicyError::Malformed {
            detail: detail.into(),
        }
    }
}

/// At most `max` characters of `text`, for echoing untrusted strings in messages.
pub(crate) fn truncated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_short_text_and_cuts_on_char_boundaries() {
        assert_eq!(truncated("abc", 5), "abc");
        assert_eq!(truncated("abcdef", 3), "abc…");
        assert_eq!(truncated("健康申报表", 2), "健康…");
    }

    #[test]
    fn messages_name_the_form_and_field() {
        let error = PolicyError::TransformNotApplicable {
            form: "daily".into(),
            field: "notes".into(),
            transform: "round",
            kind: "text",
        };
        let message = error.to_string();
        assert!(message.contains("daily") && message.contains("notes"));
        assert!(message.contains("round") && message.contains("text"));
        assert_eq!(error.code(), "PolicyTransformNotApplicable");
    }
}
