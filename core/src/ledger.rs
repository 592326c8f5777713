//! The disclosure ledger: an append-only, hash-chained account of everything that left the
//! device (and of consent given and withdrawn, and deletion requests), which the person can
//! read and verify.
//!
//! Each entry's hash is `SHA-256(previous hash || entry bytes)`, the first entry chaining
//! from 32 zero bytes; entry bytes are the entry's canonical JSON carrying
//! `"format":"selfreport.ledger/2"` ([`encoding`]; entries written before that are
//! compact JSON without a format, hashed as stored). Entries are stored sealed;
//! the chain hashes sit beside them so a removed, reordered or altered entry breaks
//! [`verify_chain`]. Disclosure entries carry the drop box's signed receipt, which
//! verification checks against the receipt key the policy named.

use serde::{Deserialize, Serialize};

use crate::crypto::sha256;
use crate::sync::wire::Receipt;

pub mod chain_view;
pub mod encoding;
mod reading;

pub use chain_view::{ChainedEntry, chained_entries};
pub use encoding::{EntryFormat, LEDGER_FORMAT_V1, LEDGER_FORMAT_V2};

/// One field that left the device, and how it was reduced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosedFieldEntry {
    /// Field id.
    pub field: String,
    /// Transform name (`"threshold"`, `"keep"`...).
    pub transform: String,
    /// Recipient name.
    pub recipient: String,
}

/// What happened. Written as an internally tagged object (`"event":"disclosure"` beside
/// the event's keys); read by [`reading`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LedgerEvent {
    /// A submission was delivered and its receipt verified.
    Disclosure {
        /// Policy id.
        policy_id: String,
        /// Policy version.
        policy_version: u64,
        /// Purpose code of the policy.
        purpose: String,
        /// Endpoint URL it went to.
        endpoint: String,
        /// Form id.
        form: String,
        /// Submission id.
        submission_id: String,
        /// The record it carried.
        record_id: String,
        /// Fields disclosed with their transforms.
        fields: Vec<DisclosedFieldEntry>,
        /// SHA-256 of the body sent, lowercase hex.
        body_sha256: String,
        /// The receipt key of the policy, standard base64.
        receipt_key: String,
        /// The drop box's signed receipt.
        receipt: Box<Receipt>,
        /// Whether this was a cover-traffic dummy (no field of the person's).
        #[serde(default)]
        cover: bool,
    },
    /// The person consented to a policy.
    ConsentGranted {
        /// Policy id.
        policy_id: String,
        /// Purpose code.
        purpose: String,
        /// The version consented to (absent in entries written before consent was bound
        /// to what leaves).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<u64>,
        /// The digest of what that version lets leave
        /// ([`crate::policy::disclosure_scope::disclosure_digest`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disclosure_sha256: Option<String>,
    },
    /// A new version of a consented policy lets no more leave than what the person
    /// consented to: consent carries over. Keys rotated on the way are listed.
    ConsentCarriedOver {
        /// Policy id.
        policy_id: String,
        /// The version consented to.
        from_version: u64,
        /// The version now installed.
        to_version: u64,
        /// The digest of what the new version lets leave.
        disclosure_sha256: String,
        /// Keys rotated since the previous version (`recipient health key`, `receipt key`,
        /// `TLS pins`).
        rotated: Vec<String>,
    },
    /// A new version lets more leave than the person consented to: nothing is sealed or
    /// sent under it until they consent again.
    ConsentNeeded {
        /// Policy id.
        policy_id: String,
        /// The version installed.
        version: u64,
        /// Each way it discloses more.
        widened: Vec<String>,
    },
    /// A queued submission was dropped unsent.
    SubmissionDropped {
        /// Policy id.
        policy_id: String,
        /// Submission id.
        submission_id: String,
        /// Why, for the person.
        reason: String,
    },
    /// The root revoked the installed version of a policy, or a delegation it was signed
    /// under: nothing more is sealed or sent under it; queued submissions were dropped.
    PolicyRevoked {
        /// Policy id.
        policy_id: String,
        /// The version installed.
        version: u64,
        /// What was revoked: `"version"`, or `"delegation <key id>"`.
        revoked: String,
        /// The reason's code (`key-compromise`...).
        reason: String,
        /// The sequence number of the list that revoked it.
        sequence: u64,
        /// Queued submissions dropped unsent.
        dropped: u64,
    },
    /// The person withdrew consent; queued submissions were dropped.
    ConsentWithdrawn {
        /// Policy id.
        policy_id: String,
        /// Purpose code.
        purpose: String,
        /// Queued submissions dropped unsent.
        dropped: u64,
    },
    /// The person asked the drop box to delete a submission.
    DeletionRequested {
        /// Policy id.
        policy_id: String,
        /// Submission id.
        submission_id: String,
        /// Endpoint URL.
        endpoint: String,
        /// `"deleted"`, `"not_found"` or the failure code.
        outcome: String,
    },
    /// An officer of the collector saw the identity sent with one of the person's
    /// submissions, and the authority told the person (an access notice, crate::notice).
    AccessNotice {
        /// Policy id.
        policy_id: String,
        /// The submission whose identity part was opened.
        submission_id: String,
        /// The office whose case console showed it.
        office: String,
        /// The officer's number in that office.
        officer: String,
        /// The reason the officer gave (`follow-up-symptoms`, `missed-reports`,
        /// `arrange-care`, `confirm-intake`).
        reason: String,
        /// When it was shown (RFC 3339, UTC), as the notice says.
        revealed_at: String,
    },
}

/// A ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// When, local time, RFC 3339.
    pub at: String,
    /// What.
    #[serde(flatten)]
    pub event: LedgerEvent,
}

impl LedgerEntry {
    /// The bytes that are hashed into the chain: `selfreport.ledger/2`
    /// ([`encoding::encode_entry`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        encoding::encode_entry(self)
    }
}

/// The chain hash that follows `previous` for `entry_bytes`.
pub fn chain_hash(previous: &[u8; 32], entry_bytes: &[u8]) -> [u8; 32] {
    let mut input = Vec::with_capacity(32 + entry_bytes.len());
    input.extend_from_slice(previous);
    input.extend_from_slice(entry_bytes);
    sha256(&input)
}

/// Where a ledger stopped verifying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerProblem {
    /// Sequence number of the first bad entry.
    pub seq: u64,
    /// What is wrong (`"chain"`, `"receipt"`, `"sequence"`, `"unreadable"`, `"encoding"`:
    /// a `selfreport.ledger/2` entry not in canonical form).
    pub problem: &'static str,
}

/// The result of verifying the whole ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerVerification {
    /// Entries checked.
    pub entries: u64,
    /// Receipts whose signature verified.
    pub receipts_verified: u64,
    /// The first problem found, if any.
    pub problem: Option<LedgerProblem>,
}

impl LedgerVerification {
    /// Whether every link and every receipt verified.
    pub fn is_valid(&self) -> bool {
        self.problem.is_none()
    }
}

/// A stored ledger row: sequence number, chain hash, entry bytes.
pub type LedgerRow = (u64, [u8; 32], Vec<u8>);

/// Verifies a ledger given as rows in order.
pub fn verify_chain(rows: &[LedgerRow]) -> LedgerVerification {
    use base64::Engine as _;
    let mut previous = [0u8; 32];
    let mut receipts_verified = 0;
    for (index, (seq, stored, bytes)) in rows.iter().enumerate() {
        let fail = |problem| LedgerVerification {
            entries: index as u64,
            receipts_verified,
            problem: Some(LedgerProblem { seq: *seq, problem }),
        };
        if *seq != index as u64 + 1 {
            return fail("sequence");
        }
        if chain_hash(&previous, bytes) != *stored {
            return fail("chain");
        }
        let entry = match encoding::decode_entry(bytes) {
            Ok((_, entry)) => entry,
            Err(error) => return fail(error.code()),
        };
        if let LedgerEvent::Disclosure {
            receipt,
            receipt_key,
            submission_id,
            policy_id,
            policy_version,
            body_sha256,
            ..
        } = &entry.event
        {
            let key: Option<[u8; 32]> = base64::engine::general_purpose::STANDARD
                .decode(receipt_key)
                .ok()
                .and_then(|bytes| bytes.try_into().ok());
            let matches = receipt.submission_id == *submission_id
                && receipt.policy_id == *policy_id
                && receipt.policy_version == *policy_version
                && receipt.body_sha256 == *body_sha256;
            if !(matches && key.is_some_and(|key| receipt.verify_signature(&key))) {
                return fail("receipt");
            }
            receipts_verified += 1;
        }
        previous = *stored;
    }
    LedgerVerification {
        entries: rows.len() as u64,
        receipts_verified,
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(policy: &str) -> LedgerEntry {
        LedgerEntry {
            at: "2026-11-28T08:00:00+08:00".to_owned(),
            event: LedgerEvent::ConsentGranted {
                policy_id: policy.to_owned(),
                purpose: "epidemic-control".to_owned(),
                version: None,
                disclosure_sha256: None,
            },
        }
    }

    /// An entry written before consent carried a version, and before entries carried a
    /// format, still verifies by its stored bytes.
    #[test]
    fn an_old_consent_entry_keeps_its_bytes() {
        let old = br#"{"at":"2026-11-28T08:00:00+08:00","event":"consent_granted","policy_id":"sh","purpose":"epidemic-control"}"#;
        let hash = chain_hash(&[0u8; 32], old);
        let new = consent("b").to_bytes();
        let rows = vec![(1, hash, old.to_vec()), (2, chain_hash(&hash, &new), new)];
        assert!(verify_chain(&rows).is_valid());
        let view = chained_entries(&rows).unwrap();
        assert_eq!(view[0].entry, consent("sh"));
        assert_eq!(view[0].format, EntryFormat::V1);
        assert_eq!(view[1].format, EntryFormat::V2);
        assert_eq!(view[1].prev_hash, hash);
    }

    #[test]
    fn a_new_entry_rewritten_in_another_form_is_an_encoding_problem() {
        let spaced = String::from_utf8(consent("a").to_bytes())
            .unwrap()
            .replace(",", ", ")
            .into_bytes();
        let rows = vec![(1, chain_hash(&[0u8; 32], &spaced), spaced)];
        assert_eq!(
            verify_chain(&rows).problem,
            Some(LedgerProblem {
                seq: 1,
                problem: "encoding"
            })
        );
    }

    fn chain(entries: &[LedgerEntry]) -> Vec<LedgerRow> {
        let mut previous = [0u8; 32];
        entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let bytes = entry.to_bytes();
                previous = chain_hash(&previous, &bytes);
                (i as u64 + 1, previous, bytes)
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(&[consent("a"), consent("b"), consent("c")]);
        let result = verify_chain(&rows);
        assert!(result.is_valid());
        assert_eq!(result.entries, 3);
    }

    #[test]
    fn removing_reordering_or_altering_an_entry_is_detected() {
        let rows = chain(&[consent("a"), consent("b"), consent("c")]);
        let mut removed = rows.clone();
        removed.remove(1);
        assert!(!verify_chain(&removed).is_valid());
        let mut swapped = rows.clone();
        swapped.swap(0, 1);
        assert!(!verify_chain(&swapped).is_valid());
        let mut altered = rows.clone();
        altered[1].2 = consent("x").to_bytes();
        let result = verify_chain(&altered);
        assert_eq!(
            result.problem,
            Some(LedgerProblem {
                seq: 2,
                problem: "chain"
            })
        );
    }
}
