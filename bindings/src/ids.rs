//! Ids as types of their own in the generated languages, so a profile id cannot be
//! passed where a record id is expected: each is a record holding the id's text
//! (a Kotlin data class, a Python class, a Swift struct, all comparable and hashable).

use selfreport_core::model;

use crate::error::SelfReportError;

macro_rules! id_record {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
        pub struct $name {
            /// The id's text, as the core wrote it.
            pub value: String,
        }

        impl $name {
            /// An id holding `value` as it is.
            pub(crate) fn new(value: impl Into<String>) -> Self {
                Self { value: value.into() }
            }

        }
    };
}

id_record!(
    /// Identifies a household member's profile on this device.
    ProfileId,
    "profile_id"
);
id_record!(
    /// Identifies a saved record.
    RecordId,
    "record_id"
);
id_record!(
    /// Identifies a monitoring period.
    MonitoringId,
    "monitoring_id"
);
id_record!(
    /// Identifies a sealed submission (the id the drop box and its receipt know).
    SubmissionId,
    "submission_id"
);

impl ProfileId {
    /// The core's id.
    pub(crate) fn core(&self) -> Result<model::ProfileId, SelfReportError> {
        model::ProfileId::parse(&self.value)
            .map_err(|error| selfreport_core::Error::from(error).into())
    }
}

impl RecordId {
    /// The core's id.
    pub(crate) fn core(&self) -> Result<model::RecordId, SelfReportError> {
        model::RecordId::parse(&self.value)
            .map_err(|error| selfreport_core::Error::from(error).into())
    }
}

impl MonitoringId {
    /// The core's id.
    pub(crate) fn core(&self) -> Result<model::MonitoringId, SelfReportError> {
        model::MonitoringId::parse(&self.value)
            .map_err(|error| selfreport_core::Error::from(error).into())
    }
}

impl SubmissionId {
    /// The id's text, refused as `InvalidInput` unless it has a submission id's form
    /// (32 lowercase hex characters).
    pub(crate) fn core(&self) -> Result<&str, SelfReportError> {
        let well_formed = self.value.len() == 32
            && self
                .value
                .bytes()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
        if well_formed {
            Ok(&self.value)
        } else {
            Err(SelfReportError::invalid_argument(
                "submission_id",
                "a submission id is 32 lowercase hex characters",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_the_wrong_form_are_refused_with_the_argument_named() {
        let good = "0123456789abcdef0123456789abcdef";
        assert!(ProfileId::new(good).core().is_ok());
        assert!(RecordId::new(good).core().is_ok());
        assert!(SubmissionId::new(good).core().is_ok());
        assert!(SubmissionId::new(&good[1..]).core().is_err());
        for bad in [
            "",
            "0123456789ABCDEF0123456789ABCDEF",
            "../../etc/passwd",
            &good[1..],
        ] {
            match ProfileId::new(bad).core() {
                Err(SelfReportError::InvalidInput { field, .. }) => {
                    assert_eq!(field.as_deref(), Some("profile_id"));
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
