//! `policy revocations [FILE]`: install a root's revocation list, or list those held; and
//! the line `policy list` and `policy update` add for a revoked policy.

use std::io::Read;
use std::path::Path;

use selfreport_core::policy::RevocationReason;
use selfreport_core::policy::revocation::MAX_SIGNED_REVOCATIONS_BYTES;
use selfreport_core::{RevocationListInfo, RevocationStatus, SelfReport};

use crate::args::GlobalOptions;
use crate::commands::{emit, open};
use crate::failure::Failure;
use crate::i18n::{label, tr, tr_count, tr_with};

/// `policy revocations [FILE]`.
pub fn policy_revocations(global: &GlobalOptions, file: Option<&Path>) -> Result<(), Failure> {
    let report = open(global)?;
    let Some(file) = file else {
        let lists = report.revocation_lists()?;
        if lists.is_empty() {
            return emit(tr("revocation.none"));
        }
        let lines: Vec<String> = lists.iter().map(list_line).collect();
        return emit(&lines.join("\n"));
    };
    let update = report.install_revocations(&read_list(file)?)?;
    let mut lines = vec![if update.changed {
        tr_with(
            "revocation.installed",
            &[("list", &list_line(&update.list))],
        )
    } else {
        tr_with(
            "revocation.already_held",
            &[("list", &list_line(&update.list))],
        )
    }];
    for policy in &update.revoked_policies {
        lines.push(tr_with(
            "revocation.stopped",
            &[
                ("policy", policy),
                (
                    "standing",
                    &standing_line(&report, policy).trim_start_matches("\n  "),
                ),
            ],
        ));
    }
    if update.dropped > 0 {
        lines.push(tr_count(
            update.dropped,
            "revocation.dropped_one",
            "revocation.dropped_other",
            &[("count", &update.dropped)],
        ));
    }
    emit(&lines.join("\n"))
}

/// One list, for the person: root, sequence, dates, what it revokes.
fn list_line(list: &RevocationListInfo) -> String {
    let delegations = tr_count(
        list.revoked_delegations,
        "revocation.delegations_one",
        "revocation.delegations_other",
        &[("count", &list.revoked_delegations)],
    );
    let versions = tr_count(
        list.revoked_policies,
        "revocation.versions_one",
        "revocation.versions_other",
        &[("count", &list.revoked_policies)],
    );
    tr_with(
        "revocation.list",
        &[
            ("sequence", &list.sequence),
            ("root", &list.root_key_id),
            ("issued", &list.issued_at),
            ("next", &list.next_update),
            (
                "overdue",
                &if list.stale {
                    tr("revocation.overdue")
                } else {
                    ""
                },
            ),
            ("delegations", &delegations),
            ("versions", &versions),
        ],
    )
}

/// `"\n  REVOKED ..."` when the installed policy is revoked, else nothing (also when its
/// status cannot be read: the listing goes on).
pub(crate) fn standing_line(report: &SelfReport, policy_id: &str) -> String {
    match report.revocation_status(policy_id) {
        Ok(RevocationStatus::VersionRevoked {
            version,
            reason,
            list,
        }) => format!(
            "\n  {}",
            tr_with(
                "revocation.version_revoked",
                &[
                    ("version", &version),
                    ("reason", &reason_text(reason)),
                    ("list", &list.sequence),
                ],
            )
        ),
        Ok(RevocationStatus::DelegationRevoked {
            subject_key_id,
            reason,
            list,
        }) => format!(
            "\n  {}",
            tr_with(
                "revocation.delegation_revoked",
                &[
                    ("key", &subject_key_id),
                    ("reason", &reason_text(reason)),
                    ("list", &list.sequence),
                ],
            )
        ),
        _ => String::new(),
    }
}

fn reason_text(reason: RevocationReason) -> String {
    let labels = reason.labels();
    let text = label(&labels);
    if text.is_empty() {
        reason.code().to_owned()
    } else {
        text.to_owned()
    }
}

/// Reads at most one byte more than the largest list accepted, so an oversized file is
/// refused by the core's size check without being read whole.
fn read_list(file: &Path) -> Result<Vec<u8>, Failure> {
    let cannot_read = |error: std::io::Error| {
        Failure::io(
            tr_with("io.cannot_read", &[("path", &file.display())]),
            &error,
        )
    };
    let handle = std::fs::File::open(file).map_err(cannot_read)?;
    let mut bytes = Vec::new();
    handle
        .take(MAX_SIGNED_REVOCATIONS_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    Ok(bytes)
}
