//! The console's pages, one module per area, and what they share.

pub(super) mod aggregates;
pub(super) mod cases;
pub(super) mod login;
pub(super) mod oversight;
pub(super) mod reveal;

use std::collections::BTreeMap;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde_json::Value;

use super::ConsoleState;
use super::html::Html;
use super::viewer::PageError;
use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};

/// The stylesheet, served from the binary.
const STYLESHEET: &str = include_str!("../console.css");

/// `GET /static/console.css`.
pub(super) async fn stylesheet() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLESHEET).into_response()
}

/// Any other path.
pub(super) async fn not_found() -> PageError {
    PageError::NotFound
}

/// Today in China Standard Time (UTC+8), the day reports are dated in.
pub(super) fn today(now: DateTime<Utc>) -> NaiveDate {
    FixedOffset::east_opt(8 * 3600).map_or(now.date_naive(), |offset| {
        now.with_timezone(&offset).date_naive()
    })
}

/// Appends an audit entry on its own.
pub(super) async fn record(
    state: &ConsoleState,
    actor: &str,
    action: AuditAction,
    subject: Option<&str>,
    detail: Option<&str>,
) -> Result<(), PageError> {
    let mut db = state.db.get().await?;
    let tx = db
        .transaction()
        .await
        .map_err(|error| PageError::Failed(error.into()))?;
    append(
        &tx,
        Utc::now(),
        Recorded {
            actor,
            action,
            subject,
            detail,
        },
    )
    .await?;
    tx.commit()
        .await
        .map_err(|error| PageError::Failed(error.into()))?;
    Ok(())
}

/// Reduced answers as a definition list (every key and value escaped).
pub(super) fn answers_html(page: &mut Html, answers: &BTreeMap<String, Value>) {
    page.raw("<dl class=\"answers\">");
    for (field, value) in answers {
        let shown = match value {
            Value::String(text) => text.clone(),
            Value::Bool(true) => "yes".to_owned(),
            Value::Bool(false) => "no".to_owned(),
            Value::Array(items) if items.is_empty() => "none".to_owned(),
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        page.element("dt", field).element("dd", &shown);
    }
    page.raw("</dl>");
}

/// Whether `text` is the form of a case pseudonym (32 lowercase hex).
pub(super) fn is_pseudonym(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
