//! Retention and deletion reach the authority (issue 16 item 7).
//!
//! - **Retention.** A stored report (its reduced answers and the submission as received,
//!   identity part included, sealed) is deleted once `retention.server_days` of the policy
//!   version it was sealed under have passed since the drop box received it: the same rule
//!   the drop box applies to its own copy. [`retention`] runs from `selfreport-console
//!   retention`, once when `serve` starts and daily while it serves.
//! - **Deletion requests.** A device's deletion request deletes the drop box's row; ingest
//!   then finds reports whose submission the drop box no longer holds, and deletes them
//!   ([`delete_reports`], from [`crate::ingest`]).
//!
//! - **Access notices.** An outbox row the drop box stored is kept
//!   [`crate::notices::POSTED_NOTICES_KEPT_DAYS`] days after it was posted (as long as
//!   the drop box keeps the notice by default), then deleted.
//!
//! A case left with no report is deleted too, with its reveals (who revealed it, why, the
//! note). The audit log records that a deletion happened — how many reports and cases,
//! under which policy, on which day — and never what was deleted: no pseudonym, no
//! submission id.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Utc};
use selfreport_endpoint::policy_file::PolicyFile;
use tokio_postgres::{Client, Transaction};

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::case_summary::refresh;
use crate::error::ConsoleError;
use crate::notices::forget_posted_notices;

/// Who retention acts as in the audit log.
pub const RETENTION_ACTOR: &str = "retention";

/// How many reports and cases a deletion removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted {
    /// Reports deleted.
    pub reports: u64,
    /// Cases left without a report, deleted.
    pub cases: u64,
}

/// What one retention run deleted, per policy id and version (with its `server_days`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Per (policy id, version): its server days and the reports deleted.
    pub by_policy: BTreeMap<(String, i64), (u32, u64)>,
    /// The totals.
    pub deleted: Deleted,
}

/// Deletes the reports past their policy's `retention.server_days` at `now`, and the
/// cases left without a report; one audit entry per run that deleted anything (the day,
/// and per policy its days and how many reports; how many cases).
pub async fn retention(
    client: &mut Client,
    now: DateTime<Utc>,
) -> Result<RetentionReport, ConsoleError> {
    let tx = client.transaction().await?;
    forget_posted_notices(&tx, now).await?;
    let policies = tx
        .query("SELECT policy_id, version, envelope FROM policies", &[])
        .await?;
    let mut report = RetentionReport::default();
    let mut expired_ids: Vec<String> = Vec::new();
    for row in &policies {
        let (policy_id, version): (String, i64) = (row.get(0), row.get(1));
        let envelope: Vec<u8> = row.get(2);
        let file = PolicyFile::parse(&envelope, None, now.date_naive()).map_err(|_| {
            ConsoleError::Corrupt(format!("the stored policy {policy_id} version {version}"))
        })?;
        let days = file.document().retention.server_days;
        let Some(cutoff) = now.checked_sub_days(Days::new(u64::from(days))) else {
            continue;
        };
        let ids: Vec<String> = tx
            .query(
                "SELECT r.submission_id FROM case_reports r JOIN cases c ON c.pseudonym = r.pseudonym
                 WHERE c.policy_id = $1 AND r.policy_version = $2 AND r.received_at <= $3",
                &[&policy_id, &version, &cutoff],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        if !ids.is_empty() {
            report
                .by_policy
                .insert((policy_id, version), (days, ids.len() as u64));
            expired_ids.extend(ids);
        }
    }
    if expired_ids.is_empty() {
        tx.commit().await?;
        return Ok(report);
    }
    report.deleted = delete_reports(&tx, &expired_ids).await?;
    let detail = format!(
        "day {}: {} report(s) past retention ({}), {} case(s) left without a report",
        now.date_naive(),
        report.deleted.reports,
        report
            .by_policy
            .iter()
            .map(|((policy, version), (days, count))| {
                format!("{policy} v{version} server_days {days}: {count}")
            })
            .collect::<Vec<_>>()
            .join("; "),
        report.deleted.cases,
    );
    append(
        &tx,
        now,
        Recorded {
            actor: RETENTION_ACTOR,
            action: AuditAction::Retention,
            subject: None,
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// Deletes the reports `submission_ids` (their answers and sealed submissions), then the
/// cases they leave without a report, with those cases' reveals. Writes no audit entry:
/// the caller records the counts.
pub(crate) async fn delete_reports(
    tx: &Transaction<'_>,
    submission_ids: &[String],
) -> Result<Deleted, ConsoleError> {
    let touched: Vec<String> = tx
        .query(
            "DELETE FROM case_reports WHERE submission_id = ANY($1) RETURNING pseudonym",
            &[&submission_ids],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let reports = touched.len() as u64;
    let emptied: Vec<String> = tx
        .query(
            "SELECT c.pseudonym FROM cases c WHERE c.pseudonym = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM case_reports r WHERE r.pseudonym = c.pseudonym)",
            &[&touched],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    tx.execute("DELETE FROM reveals WHERE pseudonym = ANY($1)", &[&emptied])
        .await?;
    let cases = tx
        .execute("DELETE FROM cases WHERE pseudonym = ANY($1)", &[&emptied])
        .await?;
    // A case that keeps reports takes its dates, district and latest report from them.
    refresh(tx, &touched).await?;
    Ok(Deleted { reports, cases })
}
