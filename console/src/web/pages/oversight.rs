//! Oversight: supervisors see the reveals in their scope, auditors read the audit log.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Html as HtmlResponse;
use chrono::SecondsFormat;

use super::super::ConsoleState;
use super::super::html::{Html, document};
use super::super::viewer::{PageError, Viewer};
use super::record;
use crate::audit::{AuditAction, AuditEntry};
use crate::audit_log::latest_entries;
use crate::officers::Role;
use crate::scope::{Scope, ScopedCases};

/// Entries the audit page shows (the latest).
const AUDIT_PAGE_ENTRIES: i64 = 200;

/// `GET /reveals`: supervisors only.
pub(in super::super) async fn reveals(
    State(state): State<Arc<ConsoleState>>,
    viewer: Viewer,
) -> Result<HtmlResponse<String>, PageError> {
    if viewer.officer.role != Role::Supervisor {
        return Err(PageError::Forbidden);
    }
    let scope = Scope::of(&viewer.officer);
    let reveals = {
        let db = state.db.get().await?;
        ScopedCases::new(&*db, &scope).reveals().await?
    };
    record(
        &state,
        &viewer.officer.username,
        AuditAction::RevealList,
        None,
        Some(&format!("{} reveals shown", reveals.len())),
    )
    .await?;
    let mut page = Html::new();
    if reveals.is_empty() {
        page.raw("<p>No identity has been revealed in your districts.</p>");
    } else {
        page.raw("<table class=\"reveals\"><thead><tr><th>When</th><th>Officer</th><th>Case</th><th>Reason</th><th>Note</th></tr></thead><tbody>");
        for reveal in &reveals {
            page.raw("<tr>")
                .element("td", &reveal.at.to_rfc3339_opts(SecondsFormat::Secs, true))
                .element(
                    "td",
                    &format!("no. {} ({})", reveal.officer.0, reveal.officer.1),
                )
                .element("td", &reveal.pseudonym)
                .element("td", &reveal.reason)
                .element("td", &reveal.note)
                .raw("</tr>");
        }
        page.raw("</tbody></table>");
    }
    Ok(HtmlResponse(document(
        "Reveals",
        Some(&viewer.nav()),
        &page.into_body(),
    )))
}

/// `GET /audit`: auditors only.
pub(in super::super) async fn audit(
    State(state): State<Arc<ConsoleState>>,
    viewer: Viewer,
) -> Result<HtmlResponse<String>, PageError> {
    if viewer.officer.role != Role::Auditor {
        return Err(PageError::Forbidden);
    }
    record(
        &state,
        &viewer.officer.username,
        AuditAction::AuditRead,
        None,
        None,
    )
    .await?;
    let entries = {
        let db = state.db.get().await?;
        latest_entries(&db, AUDIT_PAGE_ENTRIES).await?
    };
    let mut page = Html::new();
    page.raw("<table class=\"audit\"><thead><tr><th>No.</th><th>When</th><th>Who</th><th>What</th><th>On</th><th>Detail</th></tr></thead><tbody>");
    for stored in &entries {
        match serde_json::from_slice::<AuditEntry>(&stored.bytes) {
            Ok(entry) => {
                let action = serde_json::to_value(entry.action)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default();
                page.raw("<tr>")
                    .element("td", &entry.seq.to_string())
                    .element("td", &entry.at)
                    .element("td", &entry.actor)
                    .element("td", &action)
                    .element("td", entry.subject.as_deref().unwrap_or(""))
                    .element("td", entry.detail.as_deref().unwrap_or(""))
                    .raw("</tr>");
            }
            Err(_) => {
                page.raw("<tr class=\"damaged\">")
                    .element("td", &stored.seq.to_string())
                    .raw("<td colspan=\"5\">this entry is not one the console writes (run `audit verify`)</td></tr>");
            }
        }
    }
    page.raw("</tbody></table>");
    Ok(HtmlResponse(document(
        "Audit log",
        Some(&viewer.nav()),
        &page.into_body(),
    )))
}
