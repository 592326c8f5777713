//! The disk quota in PostgreSQL, shared by every drop box process on the database and
//! race-free without one lock that every commit waits for.
//!
//! The quota is split into `K` equal slots (`dropbox_quota`, one row each, slots `0` to
//! `K - 1`; `K` from the quota: [`slots_for`]). A transaction that stores reserves its
//! bytes in one slot with one conditional `UPDATE`: the slot's row lock, held to the
//! commit, serializes only the transactions that picked the same slot, so commits of
//! different slots proceed (and share disk flushes) together. A slot never passes its
//! share, `(quota - base) / K`, where `base` is every byte counted outside slots `0..K`:
//! slot `-1` holds what was stored before the quota existed (schema version 2's
//! migration), and slots at or past `K` what a larger quota's slots hold. So the stored
//! total, `base` plus the slots, never passes the quota. Those bytes only ever shrink
//! while every process runs with the same quota, so a transaction reading an older value
//! of them only refuses more.
//!
//! `dropbox_usage` keeps the same bytes per (expiry day, slot), so dropping a day's
//! partition gives exactly its bytes back, slot by slot, in the same transaction. A
//! deletion gives its bytes back to one slot (a slot's count may go below zero then: the
//! sum stays exact). Near the quota a submission may be refused while another slot still
//! has less room than it needs in total: at most about `K` times the largest submission
//! goes unused.
//!
//! Lock order, so no two transactions wait for each other: a transaction holding no slot
//! tries every slot, starting at one picked from its first submission's id; once it holds
//! a slot, its later submissions try only that slot and higher ones (ascending), and
//! deletions hold one slot. Partition drops take their slots only after `DROP TABLE`,
//! which waits for every transaction writing rows.

use chrono::NaiveDate;
use deadpool_postgres::Transaction;

/// The most slots the quota is split into.
pub(crate) const MAX_SLOTS: i16 = 16;

/// Each slot holds at least this much of the quota: a smaller quota has fewer slots (one
/// below 128 MiB), so a submission never finds every slot's share too small for it.
const MIN_SLOT_BYTES: u64 = 64 * 1024 * 1024;

/// Reserves `$2` bytes in slot `$1` if it stays within its share of quota `$3` split in
/// `$4` slots, and adds them to expiry day `$5`'s usage of that slot; returns a row when
/// it did.
const RESERVE: &str = "WITH reserved AS (
         UPDATE dropbox_quota SET bytes = bytes + $2::bigint
         WHERE slot = $1::smallint
           AND bytes + $2::bigint <= ($3::bigint
               - (SELECT coalesce(sum(bytes), 0)::bigint FROM dropbox_quota
                  WHERE slot < 0 OR slot >= $4::smallint)) / $4::smallint
         RETURNING slot
     )
     INSERT INTO dropbox_usage (expiry_day, slot, bytes)
         SELECT $5::date, slot, $2::bigint FROM reserved
     ON CONFLICT (expiry_day, slot) DO UPDATE SET bytes = dropbox_usage.bytes + EXCLUDED.bytes
     RETURNING slot";

/// Gives `$3` bytes of expiry day `$2` back to slot `$1`.
const RELEASE: &str = "WITH released AS (
         UPDATE dropbox_quota SET bytes = bytes - $3::bigint WHERE slot = $1::smallint
         RETURNING slot
     )
     INSERT INTO dropbox_usage (expiry_day, slot, bytes)
         SELECT $2::date, slot, -($3::bigint) FROM released
     ON CONFLICT (expiry_day, slot) DO UPDATE SET bytes = dropbox_usage.bytes + EXCLUDED.bytes";

/// Gives every slot's bytes of expiry day `$1` back.
const FORGET_DAY: &str = "UPDATE dropbox_quota q SET bytes = q.bytes - u.bytes
     FROM dropbox_usage u WHERE u.expiry_day = $1 AND u.slot = q.slot";
const DELETE_DAY: &str = "DELETE FROM dropbox_usage WHERE expiry_day = $1";

/// How many slots a quota of `quota_bytes` is split into: one per [`MIN_SLOT_BYTES`],
/// from one to [`MAX_SLOTS`].
pub(crate) fn slots_for(quota_bytes: u64) -> i16 {
    let slots = (quota_bytes / MIN_SLOT_BYTES).clamp(1, u64::from(MAX_SLOTS.unsigned_abs()));
    i16::try_from(slots).unwrap_or(1)
}

/// The quota as the database compares it (a larger one is no limit anyway).
pub(crate) fn quota_sql(quota_bytes: u64) -> i64 {
    i64::try_from(quota_bytes).unwrap_or(i64::MAX)
}

/// Tries to reserve `bytes` of expiry day `day` in `slot`; whether it did. Holds the
/// slot's row lock to the transaction's end when it did.
pub(crate) async fn reserve(
    transaction: &Transaction<'_>,
    slot: i16,
    bytes: i64,
    quota_bytes: u64,
    slots: i16,
    day: NaiveDate,
) -> Result<bool, tokio_postgres::Error> {
    let statement = transaction.prepare_cached(RESERVE).await?;
    let quota = quota_sql(quota_bytes);
    Ok(transaction
        .query_opt(&statement, &[&slot, &bytes, &quota, &slots, &day])
        .await?
        .is_some())
}

/// Gives `bytes` of expiry day `day` back to `slot` (a deletion).
pub(crate) async fn release(
    transaction: &Transaction<'_>,
    slot: i16,
    day: NaiveDate,
    bytes: i64,
) -> Result<(), tokio_postgres::Error> {
    let statement = transaction.prepare_cached(RELEASE).await?;
    transaction
        .execute(&statement, &[&slot, &day, &bytes])
        .await
        .map(drop)
}

/// Gives every byte of expiry day `day` back (its partition was dropped in this
/// transaction).
pub(crate) async fn forget_day(
    transaction: &Transaction<'_>,
    day: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    transaction.execute(FORGET_DAY, &[&day]).await?;
    transaction.execute(DELETE_DAY, &[&day]).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_is_split_into_slots_of_at_least_64_mib() {
        assert_eq!(slots_for(1), 1);
        assert_eq!(slots_for(128 * 1024 * 1024 - 1), 1);
        assert_eq!(slots_for(128 * 1024 * 1024), 2);
        assert_eq!(slots_for(10 * 1024 * 1024 * 1024), MAX_SLOTS);
        assert_eq!(slots_for(u64::MAX), MAX_SLOTS);
        assert_eq!(quota_sql(u64::MAX), i64::MAX);
    }
}
