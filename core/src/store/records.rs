//! Records: one filled form for one profile, sealed under the epoch in which its retention
//! ends, with blind indexes for "records of this profile" and "the record of this slot".
//!
//! A slot is (profile, policy, form, day) for daily forms and (profile, policy, form) for
//! registrations. Saving into a slot whose latest record is unsent amends it in place;
//! once sent, a new revision is added that references the one it amends.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::monitoring::{expiry_epoch, profile_index};
use super::rows::{decode, encode};
use super::{Inner, Store};
use crate::crypto::random_id;
use crate::error::{Error, Result};
use crate::model::{FieldValue, MonitoringPeriod, ProfileId, Record, RecordId, RegistrationFiling};
use crate::policy::OncePer;

const TABLE: &str = "records";

/// Epoch keys made ahead of the one a save needs: the next two weeks of daily reports find
/// their key ready.
const EPOCHS_AHEAD: i64 = 14;

/// Where a record stands on its way out of the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Saved on the device; may still be amended in place.
    Saved,
    /// Sealed and waiting in the outbox.
    Queued,
    /// Delivered, receipt verified.
    Sent,
}

impl OutboxState {
    #[cfg(test)]
    fn as_str(self) -> &'static str {
        match self {
            OutboxState::Saved => "saved",
            OutboxState::Queued => "queued",
            OutboxState::Sent => "sent",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "saved" => Some(OutboxState::Saved),
            "queued" => Some(OutboxState::Queued),
            "sent" => Some(OutboxState::Sent),
            _ => None,
        }
    }
}

/// A validated record to be stored.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// Whose record.
    pub profile_id: ProfileId,
    /// Policy id.
    pub policy_id: String,
    /// Installed policy version at save time.
    pub policy_version: u64,
    /// Form id.
    pub form_id: String,
    /// How often the form may be filed.
    pub once_per: OncePer,
    /// The record's local date.
    pub date: NaiveDate,
    /// Validated answers.
    pub values: BTreeMap<String, FieldValue>,
    /// When it was saved, local time.
    pub saved_at: DateTime<FixedOffset>,
    /// Device retention of the policy in days.
    pub retention_days: u32,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedRecord {
    /// The record's id (unchanged when an unsent record was amended in place).
    pub id: RecordId,
    /// Whether an unsent record of the same slot was amended in place.
    pub amended: bool,
    /// Revision within the slot (1 for the first submission).
    pub revision: u32,
    /// The monitoring period the save started: a registration's arrival starts its
    /// policy's period (see `SelfReport::save_record`).
    pub monitoring_started: Option<MonitoringPeriod>,
}

/// A stored record with its outbox state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRecord {
    /// The record.
    pub record: Record,
    /// Its outbox state.
    pub state: OutboxState,
}

/// Every readable record, and the ids of rows that failed their integrity check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecordListing {
    /// Records that opened, ordered by date, then profile, form and revision.
    pub records: Vec<StoredRecord>,
    /// `records/<id>` or `epoch_key:<n>` for each row that did not open.
    pub damaged: Vec<String>,
}

fn slot_parts(once_per: OncePer, date: NaiveDate) -> String {
    match once_per {
        OncePer::Day => day_slot(date),
        OncePer::Registration => "registration".to_owned(),
    }
}

/// `format!("day:{date}")` without the formatter for the years people report in (every
/// save computes one); other years take the formatter, so the bytes never differ.
fn day_slot(date: NaiveDate) -> String {
    let (Ok(year), Ok(month), Ok(day)) = (
        u16::try_from(date.year()),
        u8::try_from(date.month()),
        u8::try_from(date.day()),
    ) else {
        return format!("day:{date}");
    };
    if year > 9999 {
        return format!("day:{date}");
    }
    let digit = |value: u16| char::from(b'0' + (value % 10) as u8);
    let mut out = String::with_capacity(14);
    out.push_str("day:");
    for place in [1000, 100, 10, 1] {
        out.push(digit(year / place));
    }
    out.push('-');
    out.push(digit(u16::from(month / 10)));
    out.push(digit(u16::from(month)));
    out.push('-');
    out.push(digit(u16::from(day / 10)));
    out.push(digit(u16::from(day)));
    out
}

fn slot_index(
    inner: &Inner,
    profile: &ProfileId,
    policy_id: &str,
    form_id: &str,
    once_per: OncePer,
    date: NaiveDate,
) -> [u8; 32] {
    let when = slot_parts(once_per, date);
    inner
        .keys
        .blind_index(
            "slot",
            &[
                profile.as_str().as_bytes(),
                policy_id.as_bytes(),
                form_id.as_bytes(),
                when.as_bytes(),
            ],
        )
        .0
}

fn kind_str(once_per: OncePer) -> &'static str {
    match once_per {
        OncePer::Day => "day",
        OncePer::Registration => "registration",
    }
}

type Row = (String, i64, String, Vec<u8>);

/// The `(id, epoch, state, sealed)` rows `sql` selects with `params`.
fn record_rows(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Row>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_map(params, |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// Opens a row's sealed bytes in their own buffer (the row is read only to be opened).
fn open_record(
    inner: &mut Inner,
    id: &str,
    epoch: i64,
    state: &str,
    sealed: Vec<u8>,
) -> Result<StoredRecord> {
    let plaintext = inner
        .keys
        .open_row_in_place(&inner.conn, TABLE, id, epoch, sealed)?;
    let record: Record = decode(TABLE, id, &plaintext)?;
    let state = OutboxState::parse(state).ok_or_else(|| Error::corrupt(format!("{TABLE}/{id}")))?;
    if record.id.as_str() != id {
        return Err(Error::corrupt(format!("{TABLE}/{id}")));
    }
    Ok(StoredRecord { record, state })
}

fn listing(inner: &mut Inner, rows: Vec<Row>) -> RecordListing {
    // Every epoch key was opened at unlock: each row's key is looked up in memory.
    let mut out = RecordListing::default();
    for (id, epoch, state, sealed) in rows {
        match open_record(inner, &id, epoch, &state, sealed) {
            Ok(record) => out.records.push(record),
            Err(Error::Corrupt { record }) => out.damaged.push(record),
            Err(other) => out.damaged.push(format!("{TABLE}/{id}: {}", other.code())),
        }
    }
    out.records.sort_by(|a, b| {
        (
            a.record.date,
            &a.record.profile_id,
            &a.record.form_id,
            a.record.revision,
        )
            .cmp(&(
                b.record.date,
                &b.record.profile_id,
                &b.record.form_id,
                b.record.revision,
            ))
    });
    out
}

/// [`Store::save_record`]'s work, in one transaction that also creates the epoch key.
fn save_in_transaction(
    inner: &mut Inner,
    new: NewRecord,
    epoch: i64,
    created: &mut Vec<i64>,
) -> Result<SavedRecord> {
    let slot = slot_index(
        inner,
        &new.profile_id,
        &new.policy_id,
        &new.form_id,
        new.once_per,
        new.date,
    );
    let profile_idx = profile_index(inner, &new.profile_id);
    let tx = inner.conn.transaction()?;
    inner
        .keys
        .ensure_epochs_from(&tx, epoch, EPOCHS_AHEAD, created)?;
    let latest: Option<Row> = tx
        .prepare_cached(
            "SELECT id, epoch, state, sealed FROM records WHERE slot_idx = ?1
             ORDER BY revision DESC LIMIT 1",
        )?
        .query_row([&slot], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    let latest = match latest {
        Some(row) => {
            let plaintext = inner
                .keys
                .open_row_in_place(&tx, TABLE, &row.0, row.1, row.3)?;
            let record: Record = decode(TABLE, &row.0, &plaintext)?;
            let state = OutboxState::parse(&row.2)
                .ok_or_else(|| Error::corrupt(format!("{TABLE}/{}", row.0)))?;
            Some((record, state))
        }
        None => None,
    };
    let (id, revision, amends, amended) = match latest {
        Some((record, OutboxState::Saved)) => (record.id, record.revision, record.amends, true),
        Some((record, _)) => (
            RecordId::from_random_bytes(random_id()?),
            record.revision.saturating_add(1),
            Some(record.id),
            false,
        ),
        None => (RecordId::from_random_bytes(random_id()?), 1, None, false),
    };
    let record = Record {
        id: id.clone(),
        profile_id: new.profile_id,
        policy_id: new.policy_id,
        policy_version: new.policy_version,
        form_id: new.form_id,
        date: new.date,
        values: new.values,
        revision,
        amends,
        saved_at: new.saved_at,
    };
    let plaintext = encode(&record)?;
    let sealed = inner
        .keys
        .seal_row(&tx, TABLE, id.as_str(), epoch, &plaintext)?;
    if amended {
        tx.prepare_cached("UPDATE records SET epoch = ?1, sealed = ?2 WHERE id = ?3")?
            .execute(params![epoch, sealed, id.as_str()])?;
    } else {
        tx.prepare_cached(
            "INSERT INTO records (id, kind, epoch, state, profile_idx, slot_idx, revision, sealed)
             VALUES (?1, ?2, ?3, 'saved', ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            id.as_str(),
            kind_str(new.once_per),
            epoch,
            profile_idx,
            slot,
            revision,
            sealed
        ])?;
    }
    tx.commit()?;
    Ok(SavedRecord {
        id,
        amended,
        revision,
        monitoring_started: None,
    })
}

impl Store {
    /// Saves a record into its slot: amends the latest unsent record of the slot in place,
    /// or adds a new revision after a sent one, or starts the slot.
    pub fn save_record(&self, new: NewRecord) -> Result<SavedRecord> {
        let epoch = expiry_epoch(new.date, new.retention_days);
        let mut guard = self.lock();
        let inner = &mut *guard;
        // The day's first save creates its epoch key in the record's own transaction (one
        // commit, not two). If that transaction fails, the key's row is rolled back, so
        // its in-memory copy is forgotten too.
        let mut created = Vec::new();
        let saved = save_in_transaction(inner, new, epoch, &mut created);
        if saved.is_err() {
            inner
                .keys
                .forget_epochs(|forgotten| created.contains(&forgotten));
        }
        saved
    }

    /// The record with this id; `Corrupt` naming it if its bytes were altered.
    pub fn record(&self, id: &RecordId) -> Result<StoredRecord> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let row: Option<Row> = inner
            .conn
            .prepare_cached("SELECT id, epoch, state, sealed FROM records WHERE id = ?1")?
            .query_row([id.as_str()], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .optional()?;
        match row {
            Some((id, epoch, state, sealed)) => open_record(inner, &id, epoch, &state, sealed),
            None => Err(Error::NotFound {
                what: "record",
                id: id.to_string(),
            }),
        }
    }

    /// Every record; damaged rows are listed by id instead of failing the whole listing.
    pub fn records(&self) -> Result<RecordListing> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let rows = record_rows(
            &inner.conn,
            "SELECT id, epoch, state, sealed FROM records",
            [],
        )?;
        Ok(listing(inner, rows))
    }

    /// The records still to be sealed (state `Saved`), oldest first. A row that does not
    /// open is left out here; [`Store::records`] names it.
    pub fn saved_records(&self) -> Result<Vec<Record>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let rows = record_rows(
            &inner.conn,
            "SELECT id, epoch, state, sealed FROM records WHERE state = 'saved'",
            [],
        )?;
        Ok(listing(inner, rows)
            .records
            .into_iter()
            .map(|stored| stored.record)
            .collect())
    }

    /// The records of one profile dated within `from..=to`.
    pub fn records_of_profile(
        &self,
        profile: &ProfileId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<RecordListing> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let profile_idx = profile_index(inner, profile);
        let rows = record_rows(
            &inner.conn,
            "SELECT id, epoch, state, sealed FROM records WHERE profile_idx = ?1",
            [&profile_idx],
        )?;
        let mut out = listing(inner, rows);
        out.records
            .retain(|stored| stored.record.date >= from && stored.record.date <= to);
        Ok(out)
    }

    /// The submission id a record's current content is sent under: a keyed hash of the
    /// record id, revision and save time (and a counter, past ids of dead items: see
    /// below). It is stable until the record is amended (so a preview shows the exact bytes
    /// that will be sealed) and unlinkable to the record id without the store key.
    pub fn submission_id_for(&self, record: &Record) -> String {
        let guard = self.lock();
        let saved_at = record.saved_at.to_rfc3339();
        let mut attempt: u32 = 0;
        loop {
            let counter = attempt.to_be_bytes();
            let revision = record.revision.to_be_bytes();
            let first = [
                record.id.as_str().as_bytes(),
                &revision[..],
                saved_at.as_bytes(),
            ];
            let next = [
                record.id.as_str().as_bytes(),
                &revision[..],
                saved_at.as_bytes(),
                &counter[..],
            ];
            // The first candidate is the id every earlier version of the store used.
            let pieces: &[&[u8]] = if attempt == 0 { &first } else { &next };
            let index = guard.keys.blind_index("submission", pieces);
            let id = crate::hex::hex(&index.0[..16]);
            // An id held by a dead item (withdrawn, or dropped at the person's request)
            // belongs to bytes that must never be sent as this record: take the next one.
            // So is any id held while the record is still only saved (not queued): its own
            // sealed item would have made it queued, whatever the row's plaintext state
            // column says. Deterministic for a given outbox, so a seal repeated after a
            // crash finds the same id.
            let dead: bool = guard
                .conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1 AND (state = 'failed'
                        OR (SELECT state FROM records WHERE id = ?2) = 'saved'))",
                )
                .and_then(|mut statement| {
                    statement
                        .query_row(rusqlite::params![&id, record.id.as_str()], |row| row.get(0))
                })
                .unwrap_or(false);
            if !dead || attempt == u32::MAX {
                return id;
            }
            attempt += 1;
        }
    }

    /// Every revision in a profile's registration slot of a policy's form (a few rows at
    /// most, found by their blind index: nothing else is decrypted).
    pub fn registration_records(
        &self,
        profile: &ProfileId,
        policy_id: &str,
        form_id: &str,
    ) -> Result<Vec<Record>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let slot = slot_index(
            inner,
            profile,
            policy_id,
            form_id,
            OncePer::Registration,
            NaiveDate::MIN,
        );
        let rows = record_rows(
            &inner.conn,
            "SELECT id, epoch, state, sealed FROM records WHERE slot_idx = ?1",
            [&slot],
        )?;
        Ok(listing(inner, rows)
            .records
            .into_iter()
            .map(|stored| stored.record)
            .collect())
    }

    /// How far a profile's registration under a policy's form has gone: sent when any
    /// revision was delivered, unsent when one is saved or queued.
    pub fn registration_filing(
        &self,
        profile: &ProfileId,
        policy_id: &str,
        form_id: &str,
    ) -> Result<RegistrationFiling> {
        let guard = self.lock();
        let slot = slot_index(
            &guard,
            profile,
            policy_id,
            form_id,
            OncePer::Registration,
            NaiveDate::MIN,
        );
        let mut statement = guard
            .conn
            .prepare_cached("SELECT state FROM records WHERE slot_idx = ?1")?;
        let states = statement.query_map([&slot], |row| row.get::<_, String>(0))?;
        let mut filing = RegistrationFiling::NotFiled;
        for state in states {
            match OutboxState::parse(&state?) {
                Some(OutboxState::Sent) => return Ok(RegistrationFiling::Sent),
                // A state this version does not know counts as not yet delivered.
                _ => filing = RegistrationFiling::Unsent,
            }
        }
        Ok(filing)
    }

    /// Whether a record exists in the slot of (profile, policy, form, date).
    pub fn is_filed(
        &self,
        profile: &ProfileId,
        policy_id: &str,
        form_id: &str,
        once_per: OncePer,
        date: NaiveDate,
    ) -> Result<bool> {
        let guard = self.lock();
        let slot = slot_index(&guard, profile, policy_id, form_id, once_per, date);
        Ok(guard
            .conn
            .prepare_cached("SELECT 1 FROM records WHERE slot_idx = ?1 LIMIT 1")?
            .query_row([&slot], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Sets a record's outbox state directly; tests use it to stand for a delivery (the
    /// outbox changes states inside its own transactions).
    #[cfg(test)]
    pub(crate) fn set_record_state(&self, id: &RecordId, state: OutboxState) -> Result<()> {
        let guard = self.lock();
        let changed = guard.conn.execute(
            "UPDATE records SET state = ?1 WHERE id = ?2",
            params![state.as_str(), id.as_str()],
        )?;
        if changed == 0 {
            return Err(Error::NotFound {
                what: "record",
                id: id.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_slots_are_the_formatted_date() {
        // Slot indexes on disk hash these bytes: they must equal `format!("day:{date}")`.
        let mut date = NaiveDate::from_ymd_opt(1999, 12, 25).unwrap();
        for _ in 0..800 {
            assert_eq!(day_slot(date), format!("day:{date}"));
            date = date.succ_opt().unwrap();
        }
        for (year, month, day) in [
            (0, 1, 1),
            (9, 2, 3),
            (999, 10, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 15),
        ] {
            let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
            assert_eq!(day_slot(date), format!("day:{date}"), "{year}");
        }
    }
}
