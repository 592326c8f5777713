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
use crate::upload::plural;

/// `policy revocations [FILE]`.
pub fn policy_revocations(global: &GlobalOptions, file: Option<&Path>) -> Result<(), Failure> {
    let report = open(global)?;
    let Some(file) = file else {
        let lists = report.revocation_lists()?;
        if lists.is_empty() {
            return emit("no revocation lists held");
        }
        let lines: Vec<String> = lists.iter().map(list_line).collect();
        return emit(&lines.join("\n"));
    };
    let update = report.install_revocations(&read_list(file)?)?;
    let mut lines = vec![if update.changed {
        format!("installed {}", list_line(&update.list))
    } else {
        format!("already held: {}", list_line(&update.list))
    }];
    for policy in &update.revoked_policies {
        lines.push(format!(
            "stopped {policy}:{}",
            standing_line(&report, policy).trim_start_matches("\n  ")
        ));
    }
    if update.dropped > 0 {
        lines.push(format!(
            "{} queued submission{} dropped unsent (recorded in the ledger)",
            update.dropped,
            plural(update.dropped)
        ));
    }
    emit(&lines.join("\n"))
}

/// One list, for the person: root, sequence, dates, what it revokes.
fn list_line(list: &RevocationListInfo) -> String {
    format!(
        "revocation list {} of root {} (issued {}, next by {}{}): {} delegation{}, {} policy version{} revoked",
        list.sequence,
        list.root_key_id,
        list.issued_at,
        list.next_update,
        if list.stale {
            ", OVERDUE: ask the authority for the latest"
        } else {
            ""
        },
        list.revoked_delegations,
        plural(list.revoked_delegations),
        list.revoked_policies,
        plural(list.revoked_policies)
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
            "\n  REVOKED: its root revoked version {version} because {} (list {}); nothing is sealed or sent under it",
            reason_text(reason),
            list.sequence
        ),
        Ok(RevocationStatus::DelegationRevoked {
            subject_key_id,
            reason,
            list,
        }) => format!(
            "\n  REVOKED: its root revoked the delegation to key {subject_key_id} it was signed under, because {} (list {}); nothing is sealed or sent under it",
            reason_text(reason),
            list.sequence
        ),
        _ => String::new(),
    }
}

fn reason_text(reason: RevocationReason) -> String {
    reason
        .labels()
        .get("en")
        .cloned()
        .unwrap_or_else(|| reason.code().to_owned())
}

/// Reads at most one byte more than the largest list accepted, so an oversized file is
/// refused by the core's size check without being read whole.
fn read_list(file: &Path) -> Result<Vec<u8>, Failure> {
    let cannot_read =
        |error: std::io::Error| Failure::io(format!("cannot read {}", file.display()), &error);
    let handle = std::fs::File::open(file).map_err(cannot_read)?;
    let mut bytes = Vec::new();
    handle
        .take(MAX_SIGNED_REVOCATIONS_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    Ok(bytes)
}
