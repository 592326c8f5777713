//! Access notices, the console's side (docs/console.md, "Access notices"): when an
//! officer reveals an identity whose identity part carried the device's notice key, a
//! sealed notice ([`selfreport_core::notice`]) goes into the outbox (`notice_outbox`,
//! schema version 5) in the reveal's own transaction, with an audit entry saying a notice
//! was queued (never the key or the slot). [`crate::notice_poster`] posts what is pending
//! to the drop box's mailbox, so a reveal never waits for, or fails with, the drop box.
//!
//! A notice names the office (`serve --office NAME`), the officer's number (never the
//! name), the reason's code, when, the policy and the submission whose identity part was
//! opened.

use chrono::{DateTime, SecondsFormat, Utc};
use selfreport_core::notice::{AccessNotice, MAX_NOTICE_TEXT_BYTES, NoticeKey, seal_notice};
use tokio_postgres::Transaction;

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::error::ConsoleError;

/// The office name notices carry: a short line of text, as `--office` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office(String);

impl Office {
    /// `name`, if it is 1 to 96 bytes of text without control characters.
    pub fn new(name: &str) -> Result<Self, ConsoleError> {
        let name = name.trim();
        if name.is_empty()
            || name.len() > MAX_NOTICE_TEXT_BYTES
            || name.chars().any(char::is_control)
        {
            return Err(ConsoleError::Invalid(format!(
                "the office name must be 1 to {MAX_NOTICE_TEXT_BYTES} bytes of text on one line"
            )));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a notice tells about one reveal.
#[derive(Debug, Clone)]
pub struct RevealFacts<'a> {
    /// The office.
    pub office: &'a Office,
    /// The officer's number in the console (`officers.id`).
    pub officer_id: i64,
    /// The reason's code.
    pub reason: &'a str,
    /// The policy the submission was sent under.
    pub policy_id: &'a str,
    /// The submission whose identity part was opened.
    pub submission_id: &'a str,
    /// The case, for the audit entry.
    pub pseudonym: &'a str,
    /// Who revealed, for the audit entry.
    pub actor: &'a str,
    /// When.
    pub at: DateTime<Utc>,
}

/// Seals the notice of `facts` to `key` and queues it in the outbox within `tx` (the
/// reveal's transaction), with an audit entry; returns the outbox row's id.
pub async fn queue_notice(
    tx: &Transaction<'_>,
    key: &NoticeKey,
    facts: &RevealFacts<'_>,
) -> Result<i64, ConsoleError> {
    let notice = AccessNotice::new(
        facts.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        facts.office.as_str().to_owned(),
        facts.officer_id.to_string(),
        facts.policy_id.to_owned(),
        facts.reason.to_owned(),
        facts.submission_id.to_owned(),
    );
    let slot = seal_notice(key, &notice)
        .map_err(|error| ConsoleError::Invalid(format!("the access notice: {error}")))?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO notice_outbox (slot, queued_at, next_attempt_at)
             VALUES ($1, $2, $2) RETURNING id",
            &[&slot.as_slice(), &facts.at],
        )
        .await?
        .get(0);
    let detail = format!("outbox {id}");
    append(
        tx,
        facts.at,
        Recorded {
            actor: facts.actor,
            action: AuditAction::NoticeQueued,
            subject: Some(facts.pseudonym),
            detail: Some(&detail),
        },
    )
    .await?;
    Ok(id)
}

/// Days an outbox row is kept after the drop box stored its notice: as long as the drop
/// box keeps the notice by default (`serve --notice-days`, 30).
pub const POSTED_NOTICES_KEPT_DAYS: i64 = 30;

/// Deletes the outbox rows posted more than [`POSTED_NOTICES_KEPT_DAYS`] days before
/// `now` (part of retention); returns how many.
pub async fn forget_posted_notices(
    tx: &Transaction<'_>,
    now: DateTime<Utc>,
) -> Result<u64, ConsoleError> {
    let cutoff = now - chrono::Duration::days(POSTED_NOTICES_KEPT_DAYS);
    Ok(tx
        .execute(
            "DELETE FROM notice_outbox WHERE posted_at <= $1",
            &[&cutoff],
        )
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_names_are_one_short_line() {
        assert_eq!(
            Office::new(" Wuchang CDC ").unwrap().as_str(),
            "Wuchang CDC"
        );
        assert!(Office::new("").is_err());
        assert!(Office::new("a\nb").is_err());
        assert!(Office::new(&"x".repeat(97)).is_err());
        assert!(Office::new(&"x".repeat(96)).is_ok());
    }
}
