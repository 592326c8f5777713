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
use crate::i18n::{tr, tr_count, tr_with};

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
            | LedgerEvent::DeletionRequested { submission_id, .. }
            | LedgerEvent::AccessNotice { submission_id, .. } => self
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
    tr(match problem {
        "chain" => "ledger.problem.chain",
        "receipt" => "ledger.problem.receipt",
        "sequence" => "ledger.problem.sequence",
        "unreadable" => "ledger.problem.unreadable",
        "encoding" => "ledger.problem.encoding",
        _ => "ledger.problem.other",
    })
}

/// The ledger as the person reads it; with a verification, each receipt checked is
/// marked.
pub fn ledger_text(
    entries: &[(u64, LedgerEntry)],
    verification: Option<&LedgerVerification>,
    members: &Members,
) -> String {
    if entries.is_empty() {
        return tr("ledger.empty").to_owned();
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
            None => {
                let entries = tr_count(
                    verification.entries,
                    "ledger.entries_one",
                    "ledger.entries_other",
                    &[("count", &verification.entries)],
                );
                let receipts = tr_count(
                    verification.receipts_verified,
                    "ledger.receipts_one",
                    "ledger.receipts_other",
                    &[("count", &verification.receipts_verified)],
                );
                out.push_str(&tr_with(
                    "ledger.verified",
                    &[("entries", &entries), ("receipts", &receipts)],
                ));
                out.push('\n');
            }
            Some(problem) => {
                out.push_str(&tr_with(
                    "ledger.not_verified",
                    &[
                        ("seq", &problem.seq),
                        ("problem", &problem_text(problem.problem)),
                    ],
                ));
                out.push('\n');
            }
        }
    }
    out
}

fn fields_text(fields: &[DisclosedFieldEntry]) -> String {
    fields
        .iter()
        .map(|field| {
            tr_with(
                "ledger.field",
                &[
                    ("field", &field.field),
                    ("how", &field.transform),
                    ("to", &field.recipient),
                ],
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
            let checked = tr(match verified_below {
                Some(first_bad) if seq < first_bad => "ledger.signature_verified",
                Some(_) => "ledger.signature_not_verified",
                None => "ledger.signature_unchecked",
            });
            tr_with(
                "ledger.disclosure",
                &[
                    ("policy", policy_id),
                    ("version", policy_version),
                    ("form", form),
                    ("purpose", purpose),
                    ("endpoint", endpoint),
                    ("submission", submission_id),
                    ("fields", &fields_text(fields)),
                    ("received", &receipt.received_at),
                    ("sha256", &receipt.body_sha256),
                    ("checked", &checked),
                ],
            )
        }
        LedgerEvent::ConsentGranted {
            policy_id,
            purpose,
            version,
            disclosure_sha256,
        } => match (version, disclosure_sha256) {
            (Some(version), Some(digest)) => tr_with(
                "ledger.consent_granted_version",
                &[
                    ("policy", policy_id),
                    ("version", version),
                    ("purpose", purpose),
                    ("digest", digest),
                ],
            ),
            _ => tr_with(
                "ledger.consent_granted",
                &[("policy", policy_id), ("purpose", purpose)],
            ),
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
                tr_with("ledger.rotated", &[("keys", &rotated.join(", "))])
            };
            tr_with(
                "ledger.consent_carried",
                &[
                    ("policy", policy_id),
                    ("from", from_version),
                    ("to", to_version),
                    ("rotated", &rotated),
                ],
            )
        }
        LedgerEvent::ConsentNeeded {
            policy_id,
            version,
            widened,
        } => format!(
            "{}\n    {}",
            tr_with(
                "ledger.consent_needed",
                &[("policy", policy_id), ("version", version)],
            ),
            widened.join("\n    ")
        ),
        LedgerEvent::SubmissionDropped {
            policy_id,
            submission_id,
            reason,
        } => tr_with(
            "ledger.dropped",
            &[
                ("submission", submission_id),
                ("policy", policy_id),
                ("reason", reason),
            ],
        ),
        LedgerEvent::PolicyRevoked {
            policy_id,
            version,
            revoked,
            reason,
            sequence,
            dropped,
        } => tr_count(
            *dropped,
            "ledger.revoked_one",
            "ledger.revoked_other",
            &[
                ("policy", policy_id),
                ("version", version),
                ("revoked", revoked),
                ("reason", reason),
                ("sequence", sequence),
                ("dropped", dropped),
            ],
        ),
        LedgerEvent::ConsentWithdrawn {
            policy_id,
            purpose,
            dropped,
        } => tr_count(
            *dropped,
            "ledger.withdrawn_one",
            "ledger.withdrawn_other",
            &[
                ("policy", policy_id),
                ("purpose", purpose),
                ("dropped", dropped),
            ],
        ),
        LedgerEvent::DeletionRequested {
            policy_id,
            submission_id,
            endpoint,
            outcome,
        } => tr_with(
            "ledger.deletion_requested",
            &[
                ("submission", submission_id),
                ("policy", policy_id),
                ("endpoint", endpoint),
                ("outcome", outcome),
            ],
        ),
        LedgerEvent::AccessNotice {
            policy_id,
            submission_id,
            office,
            officer,
            reason,
            revealed_at,
        } => tr_with(
            "ledger.access_notice",
            &[
                ("office", office),
                ("officer", officer),
                ("revealed_at", revealed_at),
                ("reason", reason),
                ("submission", submission_id),
                ("policy", policy_id),
            ],
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
