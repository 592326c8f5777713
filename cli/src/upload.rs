//! The upload commands: preview, consent, sync, outbox, ledger, deletion requests and
//! policy updates.
//!
//! A sync that cannot reach an endpoint is not an error: each item's outcome is
//! reported and the command exits 0. It fails (exit 1, after the summary) when an
//! endpoint's certificate was refused, untrusted or not pinned, since waiting will not
//! mend that; and when the store fails.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;

use chrono::DateTime;
use selfreport_core::minimize::{Preview, PreviewField};
use selfreport_core::model::RecordId;
use selfreport_core::store::{OutboxItem, OutboxItemState, OutboxState, StoredRecord};
use selfreport_core::sync::{CancelToken, SyncEvent, SyncOptions, SyncReport};
use selfreport_core::{ConsentStatus, DeletionOutcome, SelfReport};
use serde::Serialize;
use serde_json::{Value, json};

use crate::args::{
    ConsentArgs, ConsentCommand, DeleteRequestArgs, GlobalOptions, ListArgs, PolicyUpdateArgs,
    PreviewArgs, SyncArgs,
};
use crate::commands::{describe_policy, emit, emit_json, open};
use crate::failure::{EXIT_OTHER, Failure};
use crate::i18n::{tr, tr_count, tr_with};
use crate::network;

/// `preview RECORD_ID`.
pub fn preview(global: &GlobalOptions, args: &PreviewArgs) -> Result<(), Failure> {
    let id = RecordId::parse(&args.record)?;
    let report = open(global)?;
    let stored = report.record(&id)?;
    let preview = report.preview(&id)?;
    if args.json {
        return emit_json(&preview_json(&stored, &preview));
    }
    emit(&preview_text(&stored, &preview))
}

/// The preview as the person reads it.
pub fn preview_text(stored: &StoredRecord, preview: &Preview) -> String {
    let record = &stored.record;
    let mut out = tr_with(
        "preview.heading",
        &[
            ("id", &record.id),
            ("policy", &record.policy_id),
            ("form", &record.form_id),
            ("date", &record.date),
            ("version", &record.policy_version),
        ],
    );
    out.push('\n');
    for field in &preview.fields {
        out.push_str(&format!("  {}\n", field_line(field)));
    }
    out.push_str(tr("preview.parts"));
    out.push('\n');
    for part in &preview.parts {
        out.push_str(&format!(
            "  {}\n    {}\n",
            tr_with(
                "preview.part",
                &[("recipient", &part.recipient), ("bytes", &part.padded_size)],
            ),
            part.json
        ));
    }
    if preview.parts.is_empty() {
        out.push_str(&format!("  {}\n", tr("preview.nothing")));
    }
    out
}

/// One field: `name: before -> after (transform, to recipient)`.
pub fn field_line(field: &PreviewField) -> String {
    let before = field
        .before
        .as_deref()
        .unwrap_or_else(|| tr("preview.no_answer"));
    let name = &field.field;
    let how = &field.transform;
    match (&field.recipient, &field.after) {
        (None, _) => tr_with("preview.stays", &[("field", name), ("before", &before)]),
        (Some(recipient), Some(after)) => tr_with(
            "preview.sent",
            &[
                ("field", name),
                ("before", &before),
                ("after", after),
                ("how", how),
                ("to", recipient),
            ],
        ),
        (Some(recipient), None) => tr_with(
            "preview.nothing_sent",
            &[
                ("field", name),
                ("before", &before),
                ("how", how),
                ("to", recipient),
            ],
        ),
    }
}

fn preview_json(stored: &StoredRecord, preview: &Preview) -> Value {
    let record = &stored.record;
    let fields: Vec<Value> = preview
        .fields
        .iter()
        .map(|field| {
            json!({
                "field": field.field,
                "label": field.label,
                "before": field.before,
                "after": field
                    .after
                    .as_deref()
                    .map(|after| serde_json::from_str::<Value>(after).unwrap_or_else(|_| Value::String(after.to_owned()))),
                "transform": field.transform,
                "recipient": field.recipient,
                "leaves_device": field.recipient.is_some() && field.after.is_some(),
            })
        })
        .collect();
    let parts: Vec<Value> = preview
        .parts
        .iter()
        .map(|part| {
            json!({
                "recipient": part.recipient,
                "json": part.json,
                "padded_size": part.padded_size,
            })
        })
        .collect();
    json!({
        "record_id": record.id.as_str(),
        "profile_id": record.profile_id.as_str(),
        "policy_id": record.policy_id,
        "policy_version": record.policy_version,
        "form_id": record.form_id,
        "date": record.date,
        "fields": fields,
        "parts": parts,
    })
}

/// `consent grant|withdraw --policy PID`.
pub fn consent(global: &GlobalOptions, command: &ConsentCommand) -> Result<(), Failure> {
    let report = open(global)?;
    match command {
        ConsentCommand::Grant(ConsentArgs { policy }) => {
            report.grant_consent(policy)?;
            emit(&tr_with("consent.granted", &[("policy", policy)]))
        }
        ConsentCommand::Status(ConsentArgs { policy }) => emit(&consent_status_text(
            policy,
            &report.consent_status(policy)?,
        )),
        ConsentCommand::Withdraw(ConsentArgs { policy }) => {
            let dropped = report.withdraw_consent(policy)?;
            emit(&tr_count(
                dropped,
                "consent.withdrawn_one",
                "consent.withdrawn_other",
                &[("policy", policy), ("dropped", &dropped)],
            ))
        }
    }
}

/// `consent status`: one line, and each widening on a line of its own.
fn consent_status_text(policy: &str, status: &ConsentStatus) -> String {
    match status {
        ConsentStatus::NotAsked => tr_with("consent.not_asked", &[("policy", &policy)]),
        ConsentStatus::Withdrawn => tr_with("consent.status_withdrawn", &[("policy", &policy)]),
        ConsentStatus::Granted {
            consented_version,
            version,
        } if consented_version == version => tr_with(
            "consent.status_granted",
            &[("policy", &policy), ("version", version)],
        ),
        ConsentStatus::Granted {
            consented_version,
            version,
        } => tr_with(
            "consent.status_carried",
            &[
                ("policy", &policy),
                ("consented", consented_version),
                ("version", version),
            ],
        ),
        ConsentStatus::Widened {
            consented_version,
            version,
            widened,
        } => format!(
            "{}\n  {}",
            tr_with(
                "consent.status_widened",
                &[
                    ("policy", &policy),
                    ("consented", consented_version),
                    ("version", version),
                ],
            ),
            widened.join("\n  ")
        ),
    }
}

/// What `sync --json` prints.
#[derive(Debug, Serialize)]
struct SyncSummary<'a> {
    #[serde(flatten)]
    report: &'a SyncReport,
    /// Saved records waiting for consent to their policy.
    awaiting_consent: usize,
    /// Saved records under a policy its root revoked: never sent.
    under_revoked_policy: usize,
    /// Every item's outcome, in order.
    events: &'a [SyncEvent],
}

/// `sync`.
pub fn sync(global: &GlobalOptions, args: &SyncArgs) -> Result<(), Failure> {
    let options = SyncOptions {
        transport: network::transport_config(&global.extra_roots, &args.network)?,
        retry: network::retry_policy(args.retry_base, args.retry_cap),
    };
    let report = open(global)?;
    let show_progress = args.progress || std::io::stderr().is_terminal();
    let events = Mutex::new(Vec::new());
    let progress = |event: &SyncEvent| {
        if show_progress {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "{}", event_line(event));
        }
        if let Ok(mut events) = events.lock() {
            events.push(event.clone());
        }
    };
    let cancel = CancelToken::new();
    let outcome = network::block_on(async {
        let watcher = tokio::spawn(stop_on_interrupt(cancel.clone()));
        let outcome = report.sync(&options, &progress, &cancel).await;
        watcher.abort();
        outcome
    })??;
    let events = events.into_inner().unwrap_or_default();
    let (awaiting_consent, under_revoked_policy) = unsent(&report)?;
    let refused = certificate_failure(&events);
    if args.json {
        emit_json(&SyncSummary {
            report: &outcome,
            awaiting_consent,
            under_revoked_policy,
            events: &events,
        })?;
        return refused.map_or(Ok(()), Err);
    }
    let mut text = sync_text(&outcome, &events, awaiting_consent);
    if outcome.queued + outcome.delivered + outcome.retry_later + outcome.failed == 0 {
        text.push_str(&waiting_text(
            &report.outbox()?,
            chrono::Utc::now().timestamp(),
        ));
    }
    if under_revoked_policy > 0 {
        text.push('\n');
        text.push_str(&tr_count(
            under_revoked_policy as u64,
            "sync.under_revoked_one",
            "sync.under_revoked_other",
            &[("count", &under_revoked_policy)],
        ));
    }
    emit(&text)?;
    refused.map_or(Ok(()), Err)
}

/// The failure a sync ends with when an endpoint's certificate was refused: nothing was
/// sent to it, and retrying as it is will not help, so the command fails (the items stay
/// in the outbox) and says where to look.
fn certificate_failure(events: &[SyncEvent]) -> Option<Failure> {
    events.iter().find_map(|event| {
        let SyncEvent::RetryLater { reason, .. } = event else {
            return None;
        };
        let (code, hint) = match event.certificate_refusal()? {
            "PinMismatch" => ("PinMismatch", tr("sync.hint_pin")),
            _ => ("CertificateRefused", tr("sync.hint_certificate")),
        };
        let detail = reason
            .split_once(": ")
            .map_or(reason.as_str(), |(_, detail)| detail);
        Some(Failure::new(code, detail, EXIT_OTHER).with_hint(hint))
    })
}

/// When a sync found nothing due: what waits in the outbox for a later attempt, the
/// earliest first, with the error it last met.
fn waiting_text(items: &[OutboxItem], now: i64) -> String {
    let waiting: Vec<&OutboxItem> = items
        .iter()
        .filter(|item| item.state == OutboxItemState::Pending && item.next_attempt_at > now)
        .collect();
    let Some(next) = waiting.iter().min_by_key(|item| item.next_attempt_at) else {
        return String::new();
    };
    let mut out = String::from("\n");
    out.push_str(&tr_count(
        waiting.len() as u64,
        "sync.waiting_one",
        "sync.waiting_other",
        &[
            ("count", &waiting.len()),
            ("at", &unix_time(next.next_attempt_at)),
        ],
    ));
    if let Some(error) = &next.payload.last_error {
        out.push_str(&tr_with("sync.waiting_error", &[("error", error)]));
    }
    out
}

/// The first Ctrl-C stops the sync after the item in flight; a second one exits at once
/// (safe: the outbox is on disk and a retry sends the same bytes).
async fn stop_on_interrupt(cancel: CancelToken) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    eprintln!("stopping after the submission in flight (Ctrl-C again to stop now)");
    cancel.cancel();
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}

/// How many saved records wait for consent to their policy, and how many are under a
/// policy its root revoked (whatever the consent).
fn unsent(report: &SelfReport) -> Result<(usize, usize), Failure> {
    let (mut waiting, mut revoked) = (0, 0);
    let mut standing: std::collections::HashMap<String, (bool, bool)> = Default::default();
    for stored in report.records()?.records {
        if stored.state != OutboxState::Saved {
            continue;
        }
        let policy_id = &stored.record.policy_id;
        let (is_revoked, consented) = match standing.get(policy_id) {
            Some(known) => *known,
            None => {
                let known = (
                    report.revocation_status(policy_id)?.is_revoked(),
                    report.has_consent(policy_id)?,
                );
                standing.insert(policy_id.clone(), known);
                known
            }
        };
        if is_revoked {
            revoked += 1;
        } else if !consented {
            waiting += 1;
        }
    }
    Ok((waiting, revoked))
}

/// One progress line.
pub fn event_line(event: &SyncEvent) -> String {
    match event {
        SyncEvent::Queued {
            submission_id,
            policy_id,
            form_id,
        } => tr_with(
            "sync.event_queued",
            &[
                ("id", submission_id),
                ("policy", policy_id),
                ("form", form_id),
            ],
        ),
        SyncEvent::Delivered {
            submission_id,
            received_at,
        } => tr_with(
            "sync.event_delivered",
            &[("id", submission_id), ("at", received_at)],
        ),
        SyncEvent::RetryLater {
            submission_id,
            after_seconds,
            reason,
        } => tr_with(
            "sync.event_retry",
            &[
                ("id", submission_id),
                ("seconds", after_seconds),
                ("reason", reason),
            ],
        ),
        SyncEvent::Failed {
            submission_id,
            reason,
        } => tr_with(
            "sync.event_failed",
            &[("id", submission_id), ("reason", reason)],
        ),
    }
}

fn sync_text(report: &SyncReport, events: &[SyncEvent], awaiting_consent: usize) -> String {
    let mut out = if report.queued + report.delivered + report.retry_later + report.failed == 0 {
        tr("sync.nothing").to_owned()
    } else {
        tr_with(
            "sync.summary",
            &[
                ("queued", &report.queued),
                ("delivered", &report.delivered),
                ("retry", &report.retry_later),
                ("failed", &report.failed),
            ],
        )
    };
    if report.cancelled {
        out.push_str(tr("sync.cancelled"));
    }
    if report.notices > 0 {
        out.push('\n');
        out.push_str(&tr_count(
            u64::from(report.notices),
            "sync.notices_one",
            "sync.notices_other",
            &[("count", &report.notices)],
        ));
    }
    for event in events {
        if matches!(
            event,
            SyncEvent::RetryLater { .. } | SyncEvent::Failed { .. }
        ) {
            out.push_str(&format!("\n  {}", event_line(event)));
        }
    }
    if awaiting_consent > 0 {
        out.push('\n');
        out.push_str(&tr_count(
            awaiting_consent as u64,
            "sync.awaiting_consent_one",
            "sync.awaiting_consent_other",
            &[("count", &awaiting_consent)],
        ));
    }
    out
}

/// `outbox`.
pub fn outbox(global: &GlobalOptions, args: &ListArgs) -> Result<(), Failure> {
    let items = open(global)?.outbox()?;
    if args.json {
        let list: Vec<Value> = items.iter().map(outbox_json).collect();
        return emit_json(&list);
    }
    if items.is_empty() {
        return emit(tr("outbox.empty"));
    }
    let lines: Vec<String> = items.iter().map(outbox_line).collect();
    emit(&lines.join("\n"))
}

fn state_name(state: OutboxItemState) -> &'static str {
    match state {
        OutboxItemState::Pending => "pending",
        OutboxItemState::Delivered => "delivered",
        OutboxItemState::Failed => "failed",
    }
}

fn unix_time(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0).map_or_else(
        || seconds.to_string(),
        |at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

fn outbox_line(item: &OutboxItem) -> String {
    let payload = &item.payload;
    let mut line = format!(
        "{}  {:<9}  {}/{}  {} attempt{}",
        payload.submission_id,
        state_name(item.state),
        payload.policy_id,
        payload.form_id,
        item.attempts,
        plural(u64::from(item.attempts))
    );
    match (&item.state, &payload.receipt) {
        (OutboxItemState::Delivered, Some(receipt)) => {
            line.push_str(&format!("  received {}", receipt.received_at));
        }
        (OutboxItemState::Pending, _) => {
            line.push_str(&format!(
                "  next attempt {}",
                unix_time(item.next_attempt_at)
            ));
        }
        _ => {}
    }
    if let Some(error) = &payload.last_error {
        if item.state != OutboxItemState::Delivered {
            line.push_str(&format!("  last error: {error}"));
        }
    }
    line
}

/// An outbox item as JSON: never the deletion token (a bearer secret) nor the body.
fn outbox_json(item: &OutboxItem) -> Value {
    let payload = &item.payload;
    json!({
        "submission_id": payload.submission_id,
        "state": item.state,
        "attempts": item.attempts,
        "next_attempt_at": unix_time(item.next_attempt_at),
        "policy_id": payload.policy_id,
        "policy_version": payload.policy_version,
        "form_id": payload.form_id,
        "record_id": payload.record_id,
        "endpoint": payload.endpoint,
        "fields": payload.fields,
        "last_error": payload.last_error,
        "receipt": payload.receipt,
    })
}

/// `delete-request SUBMISSION_ID`.
pub fn delete_request(global: &GlobalOptions, args: &DeleteRequestArgs) -> Result<(), Failure> {
    let config = network::transport_config(&global.extra_roots, &args.network)?;
    let report = open(global)?;
    let outcome = network::block_on(report.request_deletion(&args.submission, &config))??;
    let what = tr(match outcome {
        DeletionOutcome::Deleted => "deletion.deleted",
        DeletionOutcome::NotFound => "deletion.not_found",
        DeletionOutcome::DroppedUnsent => "deletion.dropped_unsent",
    });
    emit(&tr_with(
        "deletion.outcome",
        &[("id", &args.submission), ("what", &what)],
    ))
}

/// `policy update PID`.
pub fn policy_update(global: &GlobalOptions, args: &PolicyUpdateArgs) -> Result<(), Failure> {
    let config = network::transport_config(&global.extra_roots, &args.network)?;
    let report = open(global)?;
    match network::block_on(report.update_policy(&args.policy, &config))?? {
        Some(summary) => emit(&format!(
            "{}\n{}{}",
            tr_with(
                "policy.updated",
                &[
                    ("id", &summary.id),
                    ("version", &summary.version),
                    ("purpose", &summary.purpose_code),
                ],
            ),
            describe_policy(&summary),
            crate::revocations::standing_line(&report, &summary.id)
        )),
        None => {
            let installed = report.policy(&args.policy)?;
            emit(&format!(
                "{}{}",
                tr_with(
                    "policy.up_to_date",
                    &[("id", &args.policy), ("version", &installed.version())],
                ),
                crate::revocations::standing_line(&report, &args.policy)
            ))
        }
    }
}

pub(crate) fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_status_says_exactly_what_widened() {
        let widened = consent_status_text(
            "sh",
            &ConsentStatus::Widened {
                consented_version: 1,
                version: 2,
                widened: vec![
                    "field daily/temperature: threshold 37.3 -> keep".into(),
                    "endpoint: https://a.example:443 -> https://b.example:443".into(),
                ],
            },
        );
        assert!(
            widened.contains("version 2 lets more leave than version 1"),
            "{widened}"
        );
        assert!(
            widened.contains("\n  field daily/temperature: threshold 37.3 -> keep\n  endpoint:")
        );
        let carried = consent_status_text(
            "sh",
            &ConsentStatus::Granted {
                consented_version: 1,
                version: 3,
            },
        );
        assert!(
            carried.contains("version 3, installed, lets no more leave"),
            "{carried}"
        );
        assert!(consent_status_text("sh", &ConsentStatus::NotAsked).contains("consent grant"));
    }

    fn field(recipient: Option<&str>, before: Option<&str>, after: Option<&str>) -> PreviewField {
        PreviewField {
            field: "temperature".into(),
            label: Default::default(),
            recipient: recipient.map(str::to_owned),
            transform: if recipient.is_some() {
                "threshold"
            } else {
                "omit"
            }
            .into(),
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn field_lines_say_what_leaves_and_what_stays() {
        assert_eq!(
            field_line(&field(Some("health"), Some("37.6"), Some("true"))),
            "temperature: 37.6 -> true (threshold, to health)"
        );
        assert_eq!(
            field_line(&field(None, Some("37.6"), None)),
            "temperature: 37.6 -> stays on this device"
        );
        assert_eq!(
            field_line(&field(Some("health"), None, None)),
            "temperature: (no answer) -> nothing sent (threshold, to health)"
        );
    }

    #[test]
    fn sync_summaries_list_what_was_not_delivered() {
        let report = SyncReport {
            queued: 2,
            delivered: 1,
            retry_later: 1,
            ..SyncReport::default()
        };
        let events = vec![SyncEvent::RetryLater {
            submission_id: "ab".into(),
            after_seconds: 3,
            reason: "Network: refused".into(),
        }];
        let text = sync_text(&report, &events, 1);
        assert!(text.starts_with("sync: 2 queued, 1 delivered, 1 to retry later, 0 failed"));
        assert!(
            text.contains("retry      ab in 3 s: Network: refused"),
            "{text}"
        );
        assert!(text.contains("1 saved record waits for consent"), "{text}");
        assert_eq!(
            sync_text(&SyncReport::default(), &[], 0),
            "sync: nothing to send"
        );
    }
}
