//! What the drop box checks before storing a submission. It cannot read the sealed
//! parts, so it checks everything around them: the format, the policy, the ids, the
//! recipients and that each part is well-formed HPKE output.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use selfreport_core::policy::PolicyDocument;
use selfreport_core::policy::limits::MAX_RECIPIENTS;
use selfreport_core::sync::wire::{SEALED_FORMAT, SealedSubmission};

use super::error::ApiError;

/// Length of an X25519 encapsulated key.
const ENC_LEN: usize = 32;
/// Length of the AEAD tag every HPKE ciphertext ends with.
const TAG_LEN: usize = 16;

/// What the drop box needs to know of the policy it serves.
#[derive(Debug, Clone)]
pub(crate) struct AcceptedPolicy {
    pub(crate) id: String,
    pub(crate) version: u64,
    pub(crate) recipients: BTreeSet<String>,
}

impl AcceptedPolicy {
    pub(crate) fn of(document: &PolicyDocument) -> Self {
        Self {
            id: document.id.clone(),
            version: document.version,
            recipients: document.recipients.keys().cloned().collect(),
        }
    }
}

/// Parses and checks a request body. Error messages never repeat what was sent.
pub(crate) fn check_submission(
    body: &[u8],
    policy: &AcceptedPolicy,
) -> Result<SealedSubmission, ApiError> {
    let submission: SealedSubmission = serde_json::from_slice(body).map_err(|_| {
        ApiError::malformed("the body is not a selfreport.sealed/1 JSON object with exactly the fields of the format")
    })?;
    if submission.format != SEALED_FORMAT {
        return Err(ApiError::malformed("`format` is not selfreport.sealed/1"));
    }
    if submission.policy_id != policy.id {
        return Err(ApiError::malformed(
            "`policy_id` is not the policy this endpoint serves",
        ));
    }
    if submission.policy_version == 0 || submission.policy_version > policy.version {
        return Err(ApiError::malformed(
            "`policy_version` is not a version of the policy this endpoint serves",
        ));
    }
    if !is_lower_hex(&submission.submission_id, 32) {
        return Err(ApiError::malformed(
            "`submission_id` is not 32 lowercase hex characters",
        ));
    }
    if !is_lower_hex(&submission.deletion_hash, 64) {
        return Err(ApiError::malformed(
            "`deletion_hash` is not 64 lowercase hex characters",
        ));
    }
    check_parts(&submission, policy)?;
    Ok(submission)
}

fn check_parts(submission: &SealedSubmission, policy: &AcceptedPolicy) -> Result<(), ApiError> {
    if submission.parts.is_empty() || submission.parts.len() > MAX_RECIPIENTS {
        return Err(ApiError::malformed(
            "`parts` must hold one to sixteen sealed parts",
        ));
    }
    let mut previous: Option<&str> = None;
    for part in &submission.parts {
        if !policy.recipients.contains(&part.to) {
            return Err(ApiError::malformed(
                "a part is addressed to a recipient the policy does not name",
            ));
        }
        if previous.is_some_and(|previous| previous >= part.to.as_str()) {
            return Err(ApiError::malformed(
                "`parts` must be sorted by recipient, one part per recipient",
            ));
        }
        previous = Some(&part.to);
        match STANDARD.decode(&part.enc) {
            Ok(enc) if enc.len() == ENC_LEN => {}
            _ => {
                return Err(ApiError::malformed(
                    "a part's `enc` is not standard base64 of 32 bytes",
                ));
            }
        }
        match STANDARD.decode(&part.ct) {
            Ok(ct) if ct.len() >= TAG_LEN => {}
            _ => {
                return Err(ApiError::malformed(
                    "a part's `ct` is not standard base64 of an HPKE ciphertext",
                ));
            }
        }
    }
    Ok(())
}

/// Whether `text` is exactly `len` lowercase hex digits.
pub(crate) fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use selfreport_core::sync::wire::{SealedPart, deletion_hash};

    use super::*;

    fn policy() -> AcceptedPolicy {
        AcceptedPolicy {
            id: "sh".to_owned(),
            version: 3,
            recipients: ["health".to_owned(), "identity".to_owned()].into(),
        }
    }

    fn part(to: &str) -> SealedPart {
        SealedPart {
            to: to.to_owned(),
            enc: STANDARD.encode([7u8; 32]),
            ct: STANDARD.encode([9u8; 80]),
        }
    }

    fn valid() -> SealedSubmission {
        SealedSubmission {
            format: SEALED_FORMAT.to_owned(),
            policy_id: "sh".to_owned(),
            policy_version: 3,
            submission_id: "0123456789abcdef0123456789abcdef".to_owned(),
            deletion_hash: deletion_hash("token"),
            parts: vec![part("health"), part("identity")],
        }
    }

    fn refused(change: impl FnOnce(&mut SealedSubmission)) -> ApiError {
        let mut submission = valid();
        change(&mut submission);
        check_submission(&submission.to_body(), &policy()).unwrap_err()
    }

    #[test]
    fn a_well_formed_submission_passes_and_older_versions_too() {
        assert_eq!(
            check_submission(&valid().to_body(), &policy()).unwrap(),
            valid()
        );
        let mut older = valid();
        older.policy_version = 1;
        older.parts.truncate(1);
        assert!(check_submission(&older.to_body(), &policy()).is_ok());
    }

    #[test]
    fn every_rule_is_enforced() {
        type Change = Box<dyn FnOnce(&mut SealedSubmission)>;
        let cases: Vec<Change> = vec![
            Box::new(|s| s.format = "selfreport.sealed/2".into()),
            Box::new(|s| s.policy_id = "other".into()),
            Box::new(|s| s.policy_version = 4),
            Box::new(|s| s.policy_version = 0),
            Box::new(|s| s.submission_id = "0123456789ABCDEF0123456789ABCDEF".into()),
            Box::new(|s| s.submission_id.push('0')),
            Box::new(|s| s.deletion_hash = "token".into()),
            Box::new(|s| s.parts.clear()),
            Box::new(|s| s.parts[0].to = "police".into()),
            Box::new(|s| s.parts.reverse()),
            Box::new(|s| s.parts[1].to = "health".into()),
            Box::new(|s| s.parts[0].enc = STANDARD.encode([1u8; 31])),
            Box::new(|s| s.parts[0].enc = "not base64".into()),
            Box::new(|s| s.parts[1].ct = STANDARD.encode([1u8; 15])),
            Box::new(|s| s.parts = vec![part("health"); 17]),
        ];
        for change in cases {
            let error = refused(change);
            assert_eq!(error.code(), "Malformed");
            assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn unknown_fields_and_non_json_are_malformed() {
        let body = String::from_utf8(valid().to_body()).unwrap();
        for bad in [
            body.replace("\"parts\"", "\"extra\":1,\"parts\""),
            "not json".to_owned(),
            "[]".to_owned(),
            body.replace("\"policy_version\":3", "\"policy_version\":\"3\""),
        ] {
            assert!(
                check_submission(bad.as_bytes(), &policy()).is_err(),
                "{bad}"
            );
        }
    }
}
