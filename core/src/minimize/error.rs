//! Why a record could not be minimized or a disclosure could not be encoded.

/// A failure of minimization, padding or preview. None of these should happen for a
/// record validated against an installed policy; each is reported instead of guessed
/// around, and none carries a value the person entered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MinimizeError {
    /// The record was filed under another policy than the one given.
    #[error("the record belongs to policy `{record_policy}`, not `{policy}`")]
    PolicyMismatch {
        /// The record's policy id.
        record_policy: String,
        /// The id of the policy given.
        policy: String,
    },

    /// The profile given is not the record's profile.
    #[error("the profile given is not the record's profile")]
    ProfileMismatch,

    /// The policy has no form with this id.
    #[error("the policy has no form `{form}`")]
    UnknownForm {
        /// The form id asked for.
        form: String,
    },

    /// A field is uploaded but names no recipient.
    #[error("field `{field}` is uploaded but names no recipient")]
    MissingRecipient {
        /// The field id.
        field: String,
    },

    /// A recipient is not declared by the policy, or has no part in this disclosure.
    #[error("no recipient `{recipient}` here")]
    UnknownRecipient {
        /// The recipient name.
        recipient: String,
    },

    /// A field's value is of another kind than the field.
    #[error("field `{field}` holds a `{found}` value but is declared `{expected}`")]
    WrongKind {
        /// The field id.
        field: String,
        /// The field's declared kind.
        expected: &'static str,
        /// The kind of the value found.
        found: &'static str,
    },

    /// A field's transform does not apply to its kind.
    #[error("transform `{transform}` does not apply to field `{field}` of kind `{kind}`")]
    NotApplicable {
        /// The field id.
        field: String,
        /// The transform's name.
        transform: &'static str,
        /// The field's kind.
        kind: &'static str,
    },

    /// A transform parameter cannot be applied exactly (a temperature rounding step that
    /// is not a whole number of tenths, say).
    #[error("transform `{transform}` of field `{field}`: {reason}")]
    UnsupportedParameter {
        /// The field id.
        field: String,
        /// The transform's name.
        transform: &'static str,
        /// What is wrong with the parameter.
        reason: &'static str,
    },

    /// A stored value breaks a rule its transform relies on (a code the policy does not
    /// list, a malformed district code, a birth date after the record's date).
    #[error("field `{field}`: {reason}")]
    InvalidValue {
        /// The field id.
        field: String,
        /// The rule broken.
        reason: &'static str,
    },

    /// A submission id or pseudonym is not 32 lowercase hexadecimal characters.
    #[error("the {what} is not 32 lowercase hexadecimal characters")]
    InvalidId {
        /// `"submission id"` or `"pseudonym"`.
        what: &'static str,
    },

    /// A part's canonical JSON would be longer than its padded size. The bound is
    /// computed to make this impossible; sending anyway would leak the length.
    #[error("the part for `{recipient}` does not fit its padded size of {padded_size} bytes")]
    TooLarge {
        /// The recipient of the part.
        recipient: String,
        /// The fixed size every part for this recipient and form has.
        padded_size: usize,
    },

    /// A window transform is measured back from a `reference` date field the record has
    /// no date for (saved under a version of the form without it).
    #[error("field `{field}`: the record has no date in its reference field `{reference}`")]
    MissingReference {
        /// The field id.
        field: String,
        /// The reference field's id.
        reference: String,
    },

    /// A part of the form carries a header key the submission was not given: the
    /// monitoring district of an enrollment order (a form filed under orders, filed on a
    /// day no order covers), or the person's notice key (a policy with access notices).
    #[error("the submission needs its `{key}`, which it was not given")]
    MissingHeader {
        /// The header key (`monitoring_district`, `notice_key`).
        key: &'static str,
    },

    /// The size bound of a form overflowed the machine's address range.
    #[error("the size bound of form `{form}` overflows")]
    SizeOverflow {
        /// The form id.
        form: String,
    },
}

impl MinimizeError {
    /// The stable code of this error, for logs, UI and localization.
    pub fn code(&self) -> &'static str {
        match self {
            MinimizeError::PolicyMismatch { .. } => "MinimizePolicyMismatch",
            MinimizeError::ProfileMismatch => "MinimizeProfileMismatch",
            MinimizeError::UnknownForm { .. } => "MinimizeUnknownForm",
            MinimizeError::MissingRecipient { .. } => "MinimizeMissingRecipient",
            MinimizeError::UnknownRecipient { .. } => "MinimizeUnknownRecipient",
            MinimizeError::WrongKind { .. } => "MinimizeWrongKind",
            MinimizeError::NotApplicable { .. } => "MinimizeNotApplicable",
            MinimizeError::UnsupportedParameter { .. } => "MinimizeUnsupportedParameter",
            MinimizeError::InvalidValue { .. } => "MinimizeInvalidValue",
            MinimizeError::InvalidId { .. } => "MinimizeInvalidId",
            MinimizeError::TooLarge { .. } => "MinimizeTooLarge",
            MinimizeError::SizeOverflow { .. } => "MinimizeSizeOverflow",
            MinimizeError::MissingReference { .. } => "MinimizeMissingReference",
            MinimizeError::MissingHeader { .. } => "MinimizeMissingHeader",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_prefixed() {
        let errors = [
            MinimizeError::PolicyMismatch {
                record_policy: "a".into(),
                policy: "b".into(),
            },
            MinimizeError::ProfileMismatch,
            MinimizeError::UnknownForm { form: "f".into() },
            MinimizeError::MissingRecipient { field: "f".into() },
            MinimizeError::UnknownRecipient {
                recipient: "r".into(),
            },
            MinimizeError::WrongKind {
                field: "f".into(),
                expected: "date",
                found: "text",
            },
            MinimizeError::NotApplicable {
                field: "f".into(),
                transform: "round",
                kind: "text",
            },
            MinimizeError::UnsupportedParameter {
                field: "f".into(),
                transform: "round",
                reason: "r",
            },
            MinimizeError::InvalidValue {
                field: "f".into(),
                reason: "r",
            },
            MinimizeError::InvalidId { what: "pseudonym" },
            MinimizeError::TooLarge {
                recipient: "r".into(),
                padded_size: 512,
            },
            MinimizeError::SizeOverflow { form: "f".into() },
            MinimizeError::MissingReference {
                field: "f".into(),
                reference: "arrival_date".into(),
            },
            MinimizeError::MissingHeader { key: "notice_key" },
        ];
        let codes: std::collections::BTreeSet<&str> =
            errors.iter().map(MinimizeError::code).collect();
        assert_eq!(codes.len(), errors.len());
        assert!(codes.iter().all(|code| code.starts_with("Minimize")));
    }
}
