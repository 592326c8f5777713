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

    /// A policy-wide or form-wide setting is out of range.
    #[error("{what}: {detail}")]
    BadSetting {
        /// The setting (`retention.device_days`, `form daily`...).
        what: String,
        /// What is wrong.
        detail: String,
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
            PolicyError::BadSetting { .. } => "PolicyBadSetting",
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
