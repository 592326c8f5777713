//! The outbox: sealed submissions stored once and sent until a valid receipt arrives.
//!
//! A row holds the exact body bytes (so every retry sends the same bytes and the drop box
//! can deduplicate), the deletion token, and the disclosure summary for the ledger — all
//! sealed under the epoch of the record's retention. Plaintext columns: the submission id,
//! a blind index of the policy id, the record id, the state, the attempt count and the
//! next attempt time.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
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
    /// The exact body bytes, standard base64, until the item is delivered. Sealed to the
    /// recipients, they mean nothing to the device, and once a receipt acknowledges them
    /// its `body_sha256` stands for them: a delivered item keeps no body (`None`).
    pub body: Option<String>,
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
    /// The endpoint's TLS pins at sealing time (empty for items sealed before they were
    /// kept): the item goes only to an endpoint with these pins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spki_sha256: Vec<String>,
    /// The endpoint's receipt key at sealing time (`None` for items sealed before it was
    /// kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_key: Option<String>,
    /// The last day the version it was sealed under is valid: it is not sent after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<chrono::NaiveDate>,
    /// How long the drop box keeps it, in days from its receipt (the policy's
    /// `server_days`): a delivered item, with its deletion token, is kept as long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_days: Option<u32>,
    /// Set, inside the sealed payload, when the person withdrew consent before it was
    /// sent: it is never sent while set, whatever the plaintext `state` column says, and
    /// it keeps its deletion token in case an earlier attempt reached the drop box.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withdrawn: bool,
    /// SHA-256 (lowercase hex) of exactly what was sealed (each recipient's padded
    /// plaintext): a withdrawn item is sent again on a new consent only if its record would
    /// still seal to the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_sha256: Option<String>,
    /// The upload token (base64url) this item spends, taken from the policy's pool at its
    /// first attempt and sent with every resend, so a lost reply is answered with the kept
    /// receipt (docs/protocol.md, "Spending a token").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_token: Option<String>,
}

impl OutboxPayload {
    /// Why this item may not be sent under `policy` (the installed version) on `today`:
    /// it goes only to the endpoint, pins and receipt key of the version it was sealed
    /// under, and only while that version is valid. `None` when it may be sent.
    pub fn unsendable_under(
        &self,
        policy: &crate::policy::VerifiedPolicy,
        today: chrono::NaiveDate,
    ) -> Option<String> {
        let endpoint = &policy.document().endpoint;
        if self.valid_until.is_some_and(|until| today > until) {
            return Some(format!(
                "version {} it was sealed under expired",
                self.policy_version
            ));
        }
        let pins_changed = !self.spki_sha256.is_empty() && {
            let mut sealed = self.spki_sha256.clone();
            let mut now = endpoint.spki_sha256.clone();
            sealed.sort();
            now.sort();
            sealed != now
        };
        let receipt_key_changed = self
            .receipt_key
            .as_ref()
            .is_some_and(|key| *key != endpoint.receipt_key);
        if self.endpoint != endpoint.url || pins_changed || receipt_key_changed {
            return Some(format!(
                "sealed under version {} for an endpoint that version {} no longer names",
                self.policy_version,
                policy.version()
            ));
        }
        None
    }
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

/// How one attempt at an opened outbox item ended, for [`Store::record_attempts`].
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    /// Delivered: the verified receipt, and the ledger entry of the disclosure.
    Delivered {
        /// The verified receipt.
        receipt: Receipt,
        /// The ledger entry appended with it.
        entry: Box<LedgerEntry>,
    },
    /// To be sent again, not before `next_attempt_at` (Unix seconds).
    Retry {
        /// Earliest time of the next attempt, Unix seconds.
        next_attempt_at: i64,
        /// Why, for the person to see.
        error: String,
    },
    /// Refused for good.
    Failed {
        /// Why, for the person to see.
        reason: String,
    },
}

/// What [`Store::record_attempts`] did with one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The item was still pending: its new state is stored (and, when delivered, its
    /// record marked sent and its ledger entry appended).
    Applied,
    /// Delivered, but the item was no longer pending and not delivered (dropped, withdrawn
    /// or purged since it was opened): the ledger entry is appended, because the
    /// disclosure happened, and the outbox row is left as it is.
    LedgerOnly,
    /// Nothing to do: the item was delivered already (by another sync), or it is gone or
    /// no longer pending and this attempt did not deliver it.
    Skipped,
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

/// The row of `submission_id`, if there is one.
fn find_row(inner: &Inner, submission_id: &str) -> Result<Option<Row>> {
    Ok(inner
        .conn
        .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([submission_id], map_row)
        .optional()?)
}

/// The epoch and payload of `submission_id`, if it is in the outbox (and pending, when
/// `pending_only`).
pub(super) fn find_payload(
    inner: &mut Inner,
    submission_id: &str,
    pending_only: bool,
) -> Result<Option<(i64, OutboxPayload)>> {
    let Some(row) = find_row(inner, submission_id)? else {
        return Ok(None);
    };
    let item = open_item(inner, &row)?;
    if pending_only && item.state != OutboxItemState::Pending {
        return Ok(None);
    }
    Ok(Some((row.1, item.payload)))
}

/// Rewrites the sealed payload of `submission_id`, leaving its state and schedule.
pub(super) fn write_payload(
    keys: &mut super::Keyring,
    conn: &Connection,
    submission_id: &str,
    epoch: i64,
    payload: &OutboxPayload,
) -> Result<()> {
    let sealed = keys.seal_row(conn, TABLE, submission_id, epoch, &encode(payload)?)?;
    conn.prepare_cached("UPDATE outbox SET sealed = ?1 WHERE id = ?2")?
        .execute(params![sealed, submission_id])?;
    Ok(())
}

/// The error for a submission id the outbox does not hold.
fn not_found(submission_id: &str) -> Error {
    Error::NotFound {
        what: "submission",
        id: submission_id.chars().take(64).collect(),
    }
}

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

/// Stores an item's new state and sealed payload; a delivery does not count as an attempt
/// that failed.
fn write_item(
    conn: &Connection,
    id: &str,
    state: OutboxItemState,
    next_attempt_at: Option<i64>,
    sealed: &[u8],
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = ?1, attempts = attempts + ?2,
                next_attempt_at = COALESCE(?3, next_attempt_at), sealed = ?4
         WHERE id = ?5",
    )?
    .execute(params![
        state.as_str(),
        i64::from(state != OutboxItemState::Delivered),
        next_attempt_at,
        sealed,
        id
    ])?;
    Ok(())
}

fn mark_record_sent(conn: &Connection, record_id: Option<&str>) -> Result<()> {
    if let Some(record) = record_id {
        conn.prepare_cached("UPDATE records SET state = 'sent' WHERE id = ?1")?
            .execute([record])?;
    }
    Ok(())
}

/// Marks every pending item of the policy with blind index `policy_idx` withdrawn (inside
/// its sealed payload) and failed, in the caller's transaction; their deletion tokens stay,
/// in case an earlier attempt reached the drop box. Returns how many.
pub(crate) fn withdraw_pending(
    tx: &Connection,
    keys: &mut super::keyring::Keyring,
    policy_idx: &[u8; 32],
) -> Result<u64> {
    let rows: Vec<(String, i64, Vec<u8>)> = tx
        .prepare(
            "SELECT id, epoch, sealed FROM outbox WHERE policy_idx = ?1 AND state = 'pending'",
        )?
        .query_map([policy_idx], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, epoch, sealed) in &rows {
        let plaintext = keys.open_row(tx, TABLE, id, *epoch, sealed)?;
        let mut payload: OutboxPayload = decode(TABLE, id, &plaintext)?;
        payload.withdrawn = true;
        payload.last_error = Some("consent withdrawn before it was sent".to_owned());
        let plaintext = encode(&payload)?;
        let sealed = keys.seal_row(tx, TABLE, id, *epoch, &plaintext)?;
        tx.prepare_cached("UPDATE outbox SET state = 'failed', sealed = ?1 WHERE id = ?2")?
            .execute(params![sealed, id])?;
    }
    Ok(rows.len() as u64)
}

impl Store {
    /// Sends again an item withdrawn with consent ([`withdraw_pending`]): pending from
    /// `now`, its record queued. Only an item still withdrawn is changed; returns whether
    /// it was.
    pub(crate) fn revive_withdrawn(&self, submission_id: &str, now: i64) -> Result<bool> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let Some(row) = find_row(inner, submission_id)? else {
            return Ok(false);
        };
        let mut item = open_item(inner, &row)?;
        if !item.payload.withdrawn || item.payload.body.is_none() {
            return Ok(false);
        }
        item.payload.withdrawn = false;
        item.payload.last_error = None;
        let plaintext = encode(&item.payload)?;
        let tx = inner.conn.transaction()?;
        let sealed = inner
            .keys
            .seal_row(&tx, TABLE, submission_id, row.1, &plaintext)?;
        tx.prepare_cached(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?1, sealed = ?2 WHERE id = ?3",
        )?
        .execute(params![now, sealed, submission_id])?;
        if let Some(record) = &item.payload.record_id {
            tx.prepare_cached("UPDATE records SET state = 'queued' WHERE id = ?1")?
                .execute([record])?;
        }
        tx.commit()?;
        Ok(true)
    }

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
        match find_row(inner, submission_id)? {
            Some(row) => open_item(inner, &row),
            None => Err(not_found(submission_id)),
        }
    }

    /// Gives up on an item for good, keeping the reason (a person withdrawing a queued
    /// submission). A sync records its attempts with [`Store::record_attempts`].
    pub fn mark_failed(&self, submission_id: &str, reason: String) -> Result<()> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let Some(row) = find_row(inner, submission_id)? else {
            return Err(not_found(submission_id));
        };
        let mut item = open_item(inner, &row)?;
        item.payload.last_error = Some(reason);
        // Never to be sent: the body goes, so no edit of the plaintext state column can
        // send it. The deletion token stays.
        item.payload.body = None;
        let plaintext = encode(&item.payload)?;
        let tx = inner.conn.transaction()?;
        let sealed = inner
            .keys
            .seal_row(&tx, TABLE, submission_id, row.1, &plaintext)?;
        write_item(&tx, submission_id, OutboxItemState::Failed, None, &sealed)?;
        tx.commit()?;
        Ok(())
    }

    /// Records how attempts at items the caller opened (with [`Store::outbox_item`]) ended,
    /// all in ONE transaction: a batch commits whole or not at all, so a failure (or a
    /// crash) part-way leaves every item of it pending, to be sent again (the same bytes,
    /// which the drop box deduplicates). Returns what was done with each outcome, in order.
    ///
    /// Each opened payload is written back with its change (receipt, last error) rather
    /// than read and decrypted again: apart from those two, a payload never changes after
    /// it is queued. The row is only changed while it is still pending; see [`Recorded`].
    pub fn record_attempts(
        &self,
        attempts: &[(&OutboxItem, AttemptOutcome)],
    ) -> Result<Vec<Recorded>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        // IMMEDIATE: the state read below and the writes that depend on it see no other
        // writer in between.
        let tx = inner
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut done = Vec::with_capacity(attempts.len());
        for (item, outcome) in attempts {
            let id = item.payload.submission_id.as_str();
            let row: Option<(i64, String)> = tx
                .prepare_cached("SELECT epoch, state FROM outbox WHERE id = ?1")?
                .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            let state = row
                .as_ref()
                .map(|(_, state)| {
                    OutboxItemState::parse(state)
                        .ok_or_else(|| Error::corrupt(format!("{TABLE}/{id}")))
                })
                .transpose()?;
            let epoch = match (row, state) {
                (Some((epoch, _)), Some(OutboxItemState::Pending)) => epoch,
                (_, Some(OutboxItemState::Delivered)) => {
                    done.push(Recorded::Skipped);
                    continue;
                }
                _ => {
                    if let AttemptOutcome::Delivered { entry, .. } = outcome {
                        append(&tx, &mut inner.keys, entry)?;
                        done.push(Recorded::LedgerOnly);
                    } else {
                        done.push(Recorded::Skipped);
                    }
                    continue;
                }
            };
            let mut payload = item.payload.clone();
            let (state, next_attempt_at) = match outcome {
                AttemptOutcome::Delivered { receipt, .. } => {
                    payload.receipt = Some(receipt.clone());
                    payload.last_error = None;
                    // The receipt's digest stands for the bytes from now on.
                    payload.body = None;
                    (OutboxItemState::Delivered, None)
                }
                AttemptOutcome::Retry {
                    next_attempt_at,
                    error,
                } => {
                    payload.last_error = Some(error.clone());
                    (OutboxItemState::Pending, Some(*next_attempt_at))
                }
                AttemptOutcome::Failed { reason } => {
                    payload.last_error = Some(reason.clone());
                    // Failed for good: the body goes (see `mark_failed`).
                    payload.body = None;
                    (OutboxItemState::Failed, None)
                }
            };
            // A delivered item, with its deletion token, stays as long as the drop box keeps
            // it: its retention counts from the receipt, which may be days after the
            // record's date (a backdated report, a slow retry).
            let epoch = match (outcome, payload.server_days) {
                (AttemptOutcome::Delivered { receipt, .. }, Some(days)) => {
                    let received = chrono::DateTime::parse_from_rfc3339(&receipt.received_at)
                        .map(|at| at.date_naive());
                    match received {
                        Ok(day) => epoch.max(super::expiry_epoch(day, days)),
                        Err(_) => epoch,
                    }
                }
                _ => epoch,
            };
            inner.keys.ensure_epoch(&tx, epoch)?;
            let plaintext = encode(&payload)?;
            let sealed = inner.keys.seal_row(&tx, TABLE, id, epoch, &plaintext)?;
            tx.prepare_cached("UPDATE outbox SET epoch = ?1 WHERE id = ?2")?
                .execute(params![epoch, id])?;
            write_item(&tx, id, state, next_attempt_at, &sealed)?;
            if let AttemptOutcome::Delivered { entry, .. } = outcome {
                mark_record_sent(&tx, payload.record_id.as_deref())?;
                append(&tx, &mut inner.keys, entry)?;
            }
            done.push(Recorded::Applied);
        }
        tx.commit()?;
        Ok(done)
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

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
