//! `ledger`: everything disclosed, consented to or withdrawn, as the person reads it —
//! each entry naming the household member it is about by the profile's local nickname
//! (which never leaves the device) — or as JSON with the exact hashed bytes.
//!
//! The JSON form stays exactly the chain's entries (`docs/protocol.md`): the nickname is
//! resolved for human output only, from the record (or outbox item) an entry names.

use std::collections::HashMap;

use selfreport_core::SelfReport;
use selfreport_core::ledger::{DisclosedFieldEntry, LedgerEntry, LedgerEvent, LedgerVerification};
use serde_json::json;

use crate::args::{GlobalOptions, LedgerArgs};
use crate::commands::{emit, emit_json, open};
use crate::failure::{EXIT_INTEGRITY, Failure};
use crate::i18n::{tr, tr_with};
use crate::upload::plural;

/// Which household member each record and submission is about, by nickname.
#[derive(Debug, Default)]
pub struct Members {
    by_record: HashMap<String, String>,
    by_submission: HashMap<String, String>,
}

impl Members {
    /// Reads the profiles, records and outbox of the store.
    pub fn of(report: &SelfReport) -> Result<Self, Failure> {
        let nicknames = crate::monitoring::nicknames(report)?;
        let by_record: HashMap<String, String> = report
            .records()?
            .records
            .into_iter()
            .filter_map(|stored| {
                let nickname = nicknames.get(stored.record.profile_id.as_str())?;
                Some((stored.record.id.as_str().to_owned(), nickname.clone()))
            })
            .collect();
        let by_submission = report
            .store()
            .outbox()?
            .into_iter()
            .filter_map(|item| {
                let record = item.payload.record_id.as_ref()?;
                let nickname = by_record.get(record)?;
                Some((item.payload.submission_id.clone(), nickname.clone()))
            })
            .collect();
        Ok(Self {
            by_record,
            by_submission,
        })
    }

    /// Builds the lookup from pairs (for tests).
    #[cfg(test)]
    pub fn from_pairs(records: &[(&str, &str)], submissions: &[(&str, &str)]) -> Self {
        let owned = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(id, nickname)| ((*id).to_owned(), (*nickname).to_owned()))
                .collect()
        };
        Self {
            by_record: owned(records),
            by_submission: owned(submissions),
        }
    }

    /// The line naming who an entry is about; `None` for entries about a policy
    /// (consent, revocation) rather than a person.
    pub fn about(&self, event: &LedgerEvent) -> Option<String> {
        let named = |nickname: Option<&String>| {
            Some(match nickname {
                Some(nickname) => tr_with("ledger.about", &[("nickname", nickname)]),
                None => tr("ledger.about_unknown").to_owned(),
            })
        };
        match event {
            LedgerEvent::Disclosure { cover: true, .. } => Some(tr("ledger.cover").to_owned()),
            LedgerEvent::Disclosure { record_id, .. } => named(self.by_record.get(record_id)),
            LedgerEvent::SubmissionDropped { submission_id, .. }
            | LedgerEvent::DeletionRequested { submission_id, .. } => self
                .by_submission
                .get(submission_id)
                .map(|nickname| tr_with("ledger.about", &[("nickname", nickname)])),
            _ => None,
        }
    }
}

/// `ledger`.
pub fn ledger(global: &GlobalOptions, args: &LedgerArgs) -> Result<(), Failure> {
    let report = open(global)?;
    let verification = if args.verify {
        Some(report.verify_ledger()?)
    } else {
        None
    };
    if args.json {
        // Each entry with its format, exact hashed bytes, hash and predecessor's hash:
        // enough to verify the chain with any SHA-256 tool (docs/protocol.md).
        let entries = report.ledger_chain()?;
        emit_json(&json!({ "entries": entries, "verification": verification }))?;
    } else {
        let members = Members::of(&report)?;
        emit(&ledger_text(
            &report.ledger()?,
            verification.as_ref(),
            &members,
        ))?;
    }
    match verification.and_then(|verification| verification.problem) {
        Some(problem) => Err(Failure::new(
            "LedgerInvalid",
            format!(
                "the ledger does not verify: entry {} ({})",
                problem.seq,
                problem_text(problem.problem)
            ),
            EXIT_INTEGRITY,
        )),
        None => Ok(()),
    }
}

fn problem_text(problem: &str) -> &'static str {
    match problem {
        "chain" => "its hash does not follow from the entries before it",
        "receipt" => "its receipt's signature does not verify",
        "sequence" => "an entry is missing or out of order",
        "unreadable" => "it cannot be read",
        "encoding" => "its bytes are not the canonical form its format requires",
        _ => "it failed verification",
    }
}

/// The ledger as the person reads it; with a verification, each receipt checked is
/// marked.
pub fn ledger_text(
    entries: &[(u64, LedgerEntry)],
    verification: Option<&LedgerVerification>,
    members: &Members,
) -> String {
    if entries.is_empty() {
        return "the ledger is empty: nothing was disclosed, consented to or withdrawn".to_owned();
    }
    let verified_below = verification.map(|verification| {
        verification
            .problem
            .as_ref()
            .map_or(u64::MAX, |problem| problem.seq)
    });
    let mut out = String::new();
    for (seq, entry) in entries {
        out.push_str(&format!(
            "#{seq} {}  {}\n",
            entry.at,
            event_text(entry, *seq, verified_below)
        ));
        if let Some(member) = members.about(&entry.event) {
            out.push_str(&format!("    {member}\n"));
        }
    }
    if let Some(verification) = verification {
        match &verification.problem {
            None => out.push_str(&format!(
                "verified: {} entr{}, hash chain intact, {} receipt{} signed by the policies' receipt keys\n",
                verification.entries,
                if verification.entries == 1 { "y" } else { "ies" },
                verification.receipts_verified,
                plural(verification.receipts_verified)
            )),
            Some(problem) => out.push_str(&format!(
                "NOT verified: entry {} {}\n",
                problem.seq,
                problem_text(problem.problem)
            )),
        }
    }
    out
}

fn fields_text(fields: &[DisclosedFieldEntry]) -> String {
    fields
        .iter()
        .map(|field| {
            format!(
                "{} ({}, to {})",
                field.field, field.transform, field.recipient
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn event_text(entry: &LedgerEntry, seq: u64, verified_below: Option<u64>) -> String {
    match &entry.event {
        LedgerEvent::Disclosure {
            policy_id,
            policy_version,
            purpose,
            endpoint,
            form,
            submission_id,
            fields,
            receipt,
            ..
        } => {
            let checked = match verified_below {
                Some(first_bad) if seq < first_bad => "signature verified",
                Some(_) => "NOT verified",
                None => "signature not checked; use --verify",
            };
            format!(
                "sent {policy_id} v{policy_version} {form} for {purpose} to {endpoint}\n    submission {submission_id}\n    fields: {}\n    receipt: received {}, body sha256 {}, {checked}",
                fields_text(fields),
                receipt.received_at,
                receipt.body_sha256
            )
        }
        LedgerEvent::ConsentGranted {
            policy_id,
            purpose,
            version,
            disclosure_sha256,
        } => match (version, disclosure_sha256) {
            (Some(version), Some(digest)) => format!(
                "consent granted for {policy_id} v{version} ({purpose}); disclosure sha256 {digest}"
            ),
            _ => format!("consent granted for {policy_id} ({purpose})"),
        },
        LedgerEvent::ConsentCarriedOver {
            policy_id,
            from_version,
            to_version,
            rotated,
            ..
        } => {
            let rotated = if rotated.is_empty() {
                String::new()
            } else {
                format!("; rotated: {}", rotated.join(", "))
            };
            format!(
                "consent carried over from {policy_id} v{from_version} to v{to_version}: it discloses no more{rotated}"
            )
        }
        LedgerEvent::ConsentNeeded {
            policy_id,
            version,
            widened,
        } => format!(
            "{policy_id} v{version} discloses more than you consented to; nothing is sent until you consent again\n    {}",
            widened.join("\n    ")
        ),
        LedgerEvent::SubmissionDropped {
            policy_id,
            submission_id,
            reason,
        } => format!("submission {submission_id} ({policy_id}) dropped unsent: {reason}"),
        LedgerEvent::PolicyRevoked {
            policy_id,
            version,
            revoked,
            reason,
            sequence,
            dropped,
        } => format!(
            "{policy_id} v{version} stopped: its root revoked the {revoked} ({reason}; list {sequence}); nothing more is sealed or sent under it; {dropped} queued submission{} dropped unsent",
            plural(*dropped)
        ),
        LedgerEvent::ConsentWithdrawn {
            policy_id,
            purpose,
            dropped,
        } => format!(
            "consent withdrawn for {policy_id} ({purpose}); {dropped} queued submission{} dropped unsent",
            plural(*dropped)
        ),
        LedgerEvent::DeletionRequested {
            policy_id,
            submission_id,
            endpoint,
            outcome,
        } => format!(
            "deletion requested for submission {submission_id} ({policy_id}) at {endpoint}: {outcome}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use selfreport_core::ledger::LedgerProblem;

    use super::*;

    #[test]
    fn a_broken_ledger_is_said_to_be_broken() {
        let entries = vec![(
            1,
            LedgerEntry {
                at: "2026-11-28T12:00:00+08:00".into(),
                event: LedgerEvent::ConsentGranted {
                    policy_id: "sh".into(),
                    purpose: "epidemic-control".into(),
                    version: None,
                    disclosure_sha256: None,
                },
            },
        )];
        let broken = LedgerVerification {
            entries: 0,
            receipts_verified: 0,
            problem: Some(LedgerProblem {
                seq: 1,
                problem: "chain",
            }),
        };
        let text = ledger_text(&entries, Some(&broken), &Members::default());
        assert!(text.contains("#1 2026-11-28T12:00:00+08:00  consent granted for sh"));
        assert!(text.contains("NOT verified: entry 1"), "{text}");
    }

    #[test]
    fn each_entry_about_a_person_names_them_by_nickname() {
        let members = Members::from_pairs(&[("rec-mum", "Mum")], &[("sub-mum", "Mum")]);
        let receipt: selfreport_core::sync::wire::Receipt = serde_json::from_value(json!({
            "submission_id": "sub-mum", "policy_id": "sh", "policy_version": 1,
            "body_sha256": "00", "received_at": "2026-11-28T12:00:00Z", "signature": "s"
        }))
        .unwrap();
        let disclosure = |record: &str, cover: bool| LedgerEvent::Disclosure {
            policy_id: "sh".into(),
            policy_version: 1,
            purpose: "epidemic-control".into(),
            endpoint: "https://report.example.org/v1".into(),
            form: "daily".into(),
            submission_id: "sub-mum".into(),
            record_id: record.into(),
            fields: vec![],
            body_sha256: "00".into(),
            receipt_key: "k".into(),
            receipt: Box::new(receipt.clone()),
            cover,
        };
        assert_eq!(
            members.about(&disclosure("rec-mum", false)).as_deref(),
            Some("about Mum")
        );
        assert!(
            members
                .about(&disclosure("rec-gone", false))
                .unwrap()
                .contains("no longer")
        );
        assert!(
            members
                .about(&disclosure("", true))
                .unwrap()
                .contains("no one")
        );
        let dropped = LedgerEvent::SubmissionDropped {
            policy_id: "sh".into(),
            submission_id: "sub-mum".into(),
            reason: "consent withdrawn".into(),
        };
        assert_eq!(members.about(&dropped).as_deref(), Some("about Mum"));
        let consent = LedgerEvent::ConsentWithdrawn {
            policy_id: "sh".into(),
            purpose: "epidemic-control".into(),
            dropped: 0,
        };
        assert_eq!(members.about(&consent), None);
        let text = ledger_text(
            &[(
                1,
                LedgerEntry {
                    at: "2026-11-28T12:00:00+08:00".into(),
                    event: disclosure("rec-mum", false),
                },
            )],
            None,
            &members,
        );
        assert!(text.contains("\n    about Mum\n"), "{text}");
    }
}
