//! The outbox: sealed submissions stored once and sent until a valid receipt arrives.
//!
//! A row holds the exact body bytes (so every retry sends the same bytes and the drop box
//! can deduplicate), the deletion token, and the disclosure summary for the ledger — all
//! sealed under the epoch of the record's retention. Plaintext columns: the submission id,
//! a blind index of the policy id, the record id, the state, the attempt count and the
//! next attempt time.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::consent::policy_index;
use super::ledger::append;
use super::rows::{decode, encode};
use super::{Inner, Store};
use crate::error::{Error, Result};
use crate::ledger::{DisclosedFieldEntry, LedgerEntry};
use crate::sync::wire::Receipt;

const TABLE: &str = "outbox";

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxItemState {
    /// Waiting to be sent (again).
    Pending,
    /// Delivered; the receipt verified.
    Delivered,
    /// Refused for good by the server; the reason is kept.
    Failed,
}

impl OutboxItemState {
    fn as_str(self) -> &'static str {
        match self {
            OutboxItemState::Pending => "pending",
            OutboxItemState::Delivered => "delivered",
            OutboxItemState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(OutboxItemState::Pending),
            "delivered" => Some(OutboxItemState::Delivered),
            "failed" => Some(OutboxItemState::Failed),
            _ => None,
        }
    }
}

/// The sealed part of an outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxPayload {
    /// Submission id.
    pub submission_id: String,
    /// Policy id.
    pub policy_id: String,
    /// Policy version it was sealed under.
    pub policy_version: u64,
    /// Form id.
    pub form_id: String,
    /// The record it carries; `None` for cover traffic.
    pub record_id: Option<String>,
    /// Endpoint URL at sealing time.
    pub endpoint: String,
    /// The exact body bytes, standard base64.
    pub body: String,
    /// The deletion token (the drop box keeps only its hash).
    pub deletion_token: String,
    /// Fields disclosed and how, for the ledger.
    pub fields: Vec<DisclosedFieldEntry>,
    /// The verified receipt, once delivered.
    pub receipt: Option<Receipt>,
    /// The last error, for the person to see.
    pub last_error: Option<String>,
    /// For cover traffic: the local day it covers (`record_id` is then `None`).
    #[serde(default)]
    pub cover_date: Option<chrono::NaiveDate>,
}

/// An outbox row, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// State.
    pub state: OutboxItemState,
    /// Attempts made so far.
    pub attempts: u32,
    /// Earliest time of the next attempt, Unix seconds.
    pub next_attempt_at: i64,
    /// The sealed payload, opened.
    pub payload: OutboxPayload,
}

type Row = (String, i64, String, i64, i64, Vec<u8>);

fn open_item(inner: &mut Inner, row: &Row) -> Result<OutboxItem> {
    let (id, epoch, state, attempts, next, sealed) = row;
    let plaintext = inner
        .keys
        .open_row(&inner.conn, TABLE, id, *epoch, sealed)?;
    let payload: OutboxPayload = decode(TABLE, id, &plaintext)?;
    Ok(OutboxItem {
        state: OutboxItemState::parse(state)
            .ok_or_else(|| Error::corrupt(format!("{TABLE}/{id}")))?,
        attempts: u32::try_from(*attempts).unwrap_or(u32::MAX),
        next_attempt_at: *next,
        payload,
    })
}

const SELECT: &str = "SELECT id, epoch, state, attempts, next_attempt_at, sealed FROM outbox";

fn map_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

impl Store {
    /// Stores a sealed submission as pending and marks its record queued, in one
    /// transaction.
    pub fn enqueue(&self, payload: &OutboxPayload, epoch: i64, now: i64) -> Result<()> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        inner.keys.ensure_epoch(&inner.conn, epoch)?;
        let policy_idx = policy_index(inner, &payload.policy_id);
        let plaintext = encode(payload)?;
        let tx = inner.conn.transaction()?;
        let sealed = inner
            .keys
            .seal_row(&tx, TABLE, &payload.submission_id, epoch, &plaintext)?;
        tx.prepare_cached(
            "INSERT INTO outbox (id, epoch, policy_idx, record_id, state, attempts, next_attempt_at, sealed)
             VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6)",
        )?
        .execute(params![payload.submission_id, epoch, policy_idx, payload.record_id, now, sealed],
        )?;
        if let Some(record) = &payload.record_id {
            tx.prepare_cached("UPDATE records SET state = 'queued' WHERE id = ?1")?
                .execute([record])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The submission ids of the pending items whose next attempt is due at `now` (Unix
    /// seconds), oldest first. Ids only: a sync opens each item when it sends it, so it
    /// holds a few opened items at a time, not every queued body (and an item dropped
    /// meanwhile is not sent).
    pub fn due_submission_ids(&self, now: i64) -> Result<Vec<String>> {
        let guard = self.lock();
        let ids = guard
            .conn
            .prepare_cached(
                "SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1
                 ORDER BY next_attempt_at, rowid",
            )?
            .query_map([now], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// Every outbox item, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let rows: Vec<Row> = inner
            .conn
            .prepare_cached(&format!("{SELECT} ORDER BY rowid"))?
            .query_map([], map_row)?
            .collect::<rusqlite::Result<_>>()?;
        rows.iter().map(|row| open_item(inner, row)).collect()
    }

    /// The cover-traffic items (those carrying no record), oldest first.
    pub fn cover_items(&self) -> Result<Vec<OutboxItem>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let rows: Vec<Row> = inner
            .conn
            .prepare_cached(&format!("{SELECT} WHERE record_id IS NULL ORDER BY rowid"))?
            .query_map([], map_row)?
            .collect::<rusqlite::Result<_>>()?;
        rows.iter().map(|row| open_item(inner, row)).collect()
    }

    /// The outbox item of a submission.
    pub fn outbox_item(&self, submission_id: &str) -> Result<OutboxItem> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let row: Option<Row> = inner
            .conn
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
            .query_row([submission_id], map_row)
            .optional()?;
        match row {
            Some(row) => open_item(inner, &row),
            None => Err(Error::NotFound {
                what: "submission",
                id: submission_id.chars().take(64).collect(),
            }),
        }
    }

    /// Marks an item delivered with its verified receipt, its record sent, and appends
    /// the ledger entry — one transaction.
    pub fn mark_delivered(
        &self,
        submission_id: &str,
        receipt: Receipt,
        entry: &LedgerEntry,
    ) -> Result<()> {
        self.update_item(
            submission_id,
            OutboxItemState::Delivered,
            None,
            Some(entry),
            |payload| {
                payload.receipt = Some(receipt);
                payload.last_error = None;
            },
        )
    }

    /// Schedules another attempt.
    pub fn mark_retry(
        &self,
        submission_id: &str,
        next_attempt_at: i64,
        error: String,
    ) -> Result<()> {
        self.update_item(
            submission_id,
            OutboxItemState::Pending,
            Some(next_attempt_at),
            None,
            |payload| payload.last_error = Some(error),
        )
    }

    /// Gives up on an item the server refused for good, keeping the reason.
    pub fn mark_failed(&self, submission_id: &str, reason: String) -> Result<()> {
        self.update_item(
            submission_id,
            OutboxItemState::Failed,
            None,
            None,
            |payload| payload.last_error = Some(reason),
        )
    }

    fn update_item(
        &self,
        submission_id: &str,
        state: OutboxItemState,
        next_attempt_at: Option<i64>,
        entry: Option<&LedgerEntry>,
        change: impl FnOnce(&mut OutboxPayload),
    ) -> Result<()> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let row: Option<Row> = inner
            .conn
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
            .query_row([submission_id], map_row)
            .optional()?;
        let Some(row) = row else {
            return Err(Error::NotFound {
                what: "submission",
                id: submission_id.to_owned(),
            });
        };
        let mut item = open_item(inner, &row)?;
        change(&mut item.payload);
        let plaintext = encode(&item.payload)?;
        let tx = inner.conn.transaction()?;
        let sealed = inner
            .keys
            .seal_row(&tx, TABLE, submission_id, row.1, &plaintext)?;
        tx.prepare_cached(
            "UPDATE outbox SET state = ?1, attempts = attempts + ?2,
                    next_attempt_at = COALESCE(?3, next_attempt_at), sealed = ?4
             WHERE id = ?5",
        )?
        .execute(params![
            state.as_str(),
            i64::from(state != OutboxItemState::Delivered),
            next_attempt_at,
            sealed,
            submission_id
        ])?;
        if state == OutboxItemState::Delivered {
            if let Some(record) = &item.payload.record_id {
                tx.prepare_cached("UPDATE records SET state = 'sent' WHERE id = ?1")?
                    .execute([record])?;
            }
        }
        if let Some(entry) = entry {
            append(&tx, &mut inner.keys, entry)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Appends a ledger entry on its own (deletion requests).
    pub fn append_ledger(&self, entry: &LedgerEntry) -> Result<u64> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let tx = inner.conn.transaction()?;
        let seq = append(&tx, &mut inner.keys, entry)?;
        tx.commit()?;
        Ok(seq)
    }
}
