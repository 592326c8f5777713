//! [`SelfReportError`]: the one error type apps see, with the core's stable codes.

use selfreport_core::Error as CoreError;
use selfreport_core::enrollment_code::EnrollmentCodeError;

/// Everything that can fail, grouped the way an app reacts to it. Every variant carries
/// `code`, the core's stable error code (`"WrongKey"`, `"PolicyBadSignature"`,
/// `"InvalidTemperature"`...) that apps map to localized text, and `detail`, an English
/// explanation for logs and developers. No variant carries an answer's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SelfReportError {
    /// An answer, profile attribute or argument is invalid; `field` names it and `rule`
    /// says which rule it broke, so apps can show a localized hint next to the field.
    #[error("{code}: {detail}")]
    InvalidInput {
        /// Stable code.
        code: String,
        /// The field or argument at fault, when there is one.
        field: Option<String>,
        /// The broken rule's stable code (`"Required"`, `"OutOfRange"`, `"TooPrecise"`,
        /// `"Format"`, `"FutureDate"`...), when a validation rule was broken.
        rule: Option<String>,
        /// What is wrong.
        detail: String,
    },
    /// A policy was refused at install or update; the installed policy is untouched.
    #[error("{code}: {detail}")]
    PolicyRefused {
        /// Stable code naming the failed check.
        code: String,
        /// What is wrong.
        detail: String,
    },
    /// The key source's key does not open this store (wrong passphrase, other device).
    #[error("{code}: {detail}")]
    WrongKey {
        /// Stable code.
        code: String,
        /// What is wrong.
        detail: String,
    },
    /// The platform lost the store key (keystore reset, restored backup). The store can
    /// only be reset with [`crate::erase_store`]; see the integration guides.
    #[error("{code}: {detail}")]
    KeyUnavailable {
        /// Stable code.
        code: String,
        /// What the key source reported.
        detail: String,
    },
    /// The key source failed for a reason that may pass (an exception it threw, a keystore
    /// that needs the person to authenticate). Nothing changed; retrying may succeed.
    #[error("{code}: {detail}")]
    KeySourceFailed {
        /// Stable code.
        code: String,
        /// What the key source reported.
        detail: String,
    },
    /// Stored data failed an integrity check, or was written by a newer version.
    #[error("{code}: {detail}")]
    Integrity {
        /// Stable code.
        code: String,
        /// What was damaged.
        detail: String,
    },
    /// Nothing with the given id exists.
    #[error("{code}: {detail}")]
    NotFound {
        /// Stable code.
        code: String,
        /// What was looked for.
        detail: String,
    },
    /// The request contradicts the store's state (no consent, an overlapping period...).
    #[error("{code}: {detail}")]
    Conflict {
        /// Stable code.
        code: String,
        /// What conflicts.
        detail: String,
    },
    /// The endpoint could not be reached or answered outside the protocol (refused pin,
    /// timeout, oversized reply). Queued submissions stay queued.
    #[error("{code}: {detail}")]
    Network {
        /// Stable code naming the transport failure.
        code: String,
        /// What happened.
        detail: String,
    },
    /// The device's storage or a cryptographic primitive failed.
    #[error("{code}: {detail}")]
    Internal {
        /// Stable code.
        code: String,
        /// What happened.
        detail: String,
    },
    /// The store was erased through this object; open a new one.
    #[error("{code}: {detail}")]
    Closed {
        /// Stable code (`"Closed"`).
        code: String,
        /// What happened.
        detail: String,
    },
    /// The bindings (the generated Kotlin, Swift or Python) and the native library come
    /// from different releases: ship them together, as the packages do.
    #[error("{code}: {detail}")]
    Incompatible {
        /// Stable code (`"BindingsVersion"`).
        code: String,
        /// Both versions, in English, for developers.
        detail: String,
    },
}

impl SelfReportError {
    /// The stable code of this error.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidInput { code, .. }
            | Self::PolicyRefused { code, .. }
            | Self::WrongKey { code, .. }
            | Self::KeyUnavailable { code, .. }
            | Self::KeySourceFailed { code, .. }
            | Self::Integrity { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. }
            | Self::Network { code, .. }
            | Self::Internal { code, .. }
            | Self::Closed { code, .. }
            | Self::Incompatible { code, .. } => code,
        }
    }

    /// An invalid argument of the binding itself (a malformed date, an unknown id form).
    pub(crate) fn invalid_argument(field: &str, detail: impl Into<String>) -> Self {
        Self::InvalidInput {
            code: "InvalidArgument".to_owned(),
            field: Some(field.to_owned()),
            rule: Some("Format".to_owned()),
            detail: detail.into(),
        }
    }

    /// Bindings generated for another release than this library's.
    pub(crate) fn bindings_version(bindings: &str) -> Self {
        Self::Incompatible {
            code: "BindingsVersion".to_owned(),
            detail: format!(
                "the bindings were generated for selfreport {bindings} but the native library is \
                 selfreport {}: ship the bindings and the library of one release together",
                crate::LIBRARY_VERSION
            ),
        }
    }

    /// The object's store was erased.
    pub(crate) fn closed() -> Self {
        Self::Closed {
            code: "Closed".to_owned(),
            detail: "the store was erased; open a new one".to_owned(),
        }
    }
}

impl From<CoreError> for SelfReportError {
    fn from(error: CoreError) -> Self {
        let code = error.code().to_owned();
        let detail = error.to_string();
        match error {
            CoreError::Invalid(validation) => Self::InvalidInput {
                code,
                rule: Some(validation.rule.code().to_owned()),
                field: Some(validation.field),
                detail,
            },
            CoreError::Minimize(_) => Self::InvalidInput {
                code,
                field: None,
                rule: None,
                detail,
            },
            CoreError::Policy(_) => Self::PolicyRefused { code, detail },
            CoreError::WrongKey => Self::WrongKey { code, detail },
            CoreError::KeyUnavailable { .. } => Self::KeyUnavailable { code, detail },
            CoreError::KeySourceFailed { .. } => Self::KeySourceFailed { code, detail },
            CoreError::Corrupt { .. } | CoreError::SchemaTooNew { .. } => {
                Self::Integrity { code, detail }
            }
            CoreError::NotFound { .. } | CoreError::NotInitialized { .. } => {
                Self::NotFound { code, detail }
            }
            CoreError::Conflict(_) => Self::Conflict { code, detail },
            CoreError::Transport(_) => Self::Network { code, detail },
            CoreError::EnrollmentCode(refusal) => match refusal {
                EnrollmentCodeError::Malformed(_) => Self::InvalidInput {
                    code,
                    field: Some("code".to_owned()),
                    rule: None,
                    detail,
                },
                EnrollmentCodeError::Unknown => Self::NotFound { code, detail },
                EnrollmentCodeError::RateLimited { .. }
                | EnrollmentCodeError::Unavailable { .. } => Self::Network { code, detail },
            },
            _ => Self::Internal { code, detail },
        }
    }
}

#[cfg(test)]
mod tests {
    use selfreport_core::model::{Rule, ValidationError};

    use super::*;

    #[test]
    fn core_errors_keep_their_stable_code_and_field() {
        let invalid: SelfReportError =
            CoreError::from(ValidationError::new("temperature", Rule::TooPrecise)).into();
        match &invalid {
            SelfReportError::InvalidInput {
                code, field, rule, ..
            } => {
                assert_eq!(code, invalid.code());
                assert_eq!(field.as_deref(), Some("temperature"));
                assert_eq!(rule.as_deref(), Some("TooPrecise"));
            }
            other => panic!("expected InvalidInput, got {other:?}"),
        }
        let wrong: SelfReportError = CoreError::WrongKey.into();
        assert_eq!(wrong.code(), "WrongKey");
        assert!(matches!(wrong, SelfReportError::WrongKey { .. }));
        let lost: SelfReportError = CoreError::KeyUnavailable {
            reason: "reset".into(),
        }
        .into();
        assert!(matches!(lost, SelfReportError::KeyUnavailable { .. }));
    }
}
