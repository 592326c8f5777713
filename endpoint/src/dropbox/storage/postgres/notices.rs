//! The access-notice mailbox in PostgreSQL (schema version 3), shared by every drop box
//! process on the database.
//!
//! A device polls from the last sequence number it saw, so a number must never become
//! visible after a higher one: with an identity alone, two processes inserting at once
//! could commit out of order (the higher number first), and a device polling between the
//! two commits would skip the lower one for ever. So each inserting transaction first
//! takes `LOCK TABLE notices IN SHARE ROW EXCLUSIVE MODE`, which conflicts with itself
//! (and deletions) but not with reads: inserts take turns, each gets its number after the
//! one before committed, and readers never wait. Notices are rare (one per reveal), so
//! the turns cost nothing that matters. Moving a SQLite drop box in keeps each notice's
//! number and restarts the identity above the highest the old drop box gave.

use chrono::NaiveDate;

use super::super::StoreFailed;
use super::super::notices::{NewNotice, NoticePage, NoticeStored};
use super::PostgresStore;

const LOCK: &str = "LOCK TABLE notices IN SHARE ROW EXCLUSIVE MODE";
const FIND: &str = "SELECT seq FROM notices WHERE slot_sha256 = $1";
const INSERT: &str = "INSERT INTO notices (slot, slot_sha256, posted_day, expires_at)
     VALUES ($1, $2, $3, $4) RETURNING seq";
const AFTER: &str = "SELECT seq, slot FROM notices WHERE seq > $1 ORDER BY seq LIMIT $2";
const PURGE: &str = "DELETE FROM notices WHERE expires_at <= $1";

impl PostgresStore {
    /// Stores `notice` unless the same slot is stored; either way its sequence number.
    pub(crate) async fn insert_notice(
        &self,
        notice: &NewNotice,
    ) -> Result<NoticeStored, StoreFailed> {
        let posted_day =
            NaiveDate::parse_from_str(&notice.posted_day, "%Y-%m-%d").map_err(|_| StoreFailed)?;
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        transaction
            .batch_execute(LOCK)
            .await
            .map_err(|_| StoreFailed)?;
        let find = transaction
            .prepare_cached(FIND)
            .await
            .map_err(|_| StoreFailed)?;
        if let Some(row) = transaction
            .query_opt(&find, &[&notice.slot_sha256])
            .await
            .map_err(|_| StoreFailed)?
        {
            let seq: i64 = row.try_get(0).map_err(|_| StoreFailed)?;
            return Ok(NoticeStored::Again(seq));
        }
        let insert = transaction
            .prepare_cached(INSERT)
            .await
            .map_err(|_| StoreFailed)?;
        let seq: i64 = transaction
            .query_one(
                &insert,
                &[
                    &notice.slot,
                    &notice.slot_sha256,
                    &posted_day,
                    &notice.expires_at,
                ],
            )
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|_| StoreFailed)?;
        transaction.commit().await.map_err(|_| StoreFailed)?;
        Ok(NoticeStored::New(seq))
    }

    /// Moves notices in with the numbers they had (`selfreport-endpoint migrate`), and
    /// makes every number given after them higher than `high_water` (the highest the old
    /// drop box ever gave), so a device keeping its place misses none. Returns how many
    /// were moved now and how many were there already.
    pub(crate) async fn move_notices_in(
        &self,
        notices: &[(i64, NewNotice)],
        high_water: i64,
    ) -> Result<(u64, u64), StoreFailed> {
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        transaction
            .batch_execute(LOCK)
            .await
            .map_err(|_| StoreFailed)?;
        let insert = transaction
            .prepare(
                "INSERT INTO notices (seq, slot, slot_sha256, posted_day, expires_at)
                 OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(|_| StoreFailed)?;
        let (mut moved, mut there) = (0, 0);
        for (seq, notice) in notices {
            let posted_day = NaiveDate::parse_from_str(&notice.posted_day, "%Y-%m-%d")
                .map_err(|_| StoreFailed)?;
            let inserted = transaction
                .execute(
                    &insert,
                    &[
                        seq,
                        &notice.slot,
                        &notice.slot_sha256,
                        &posted_day,
                        &notice.expires_at,
                    ],
                )
                .await
                .map_err(|_| StoreFailed)?;
            if inserted == 1 {
                moved += 1;
            } else {
                there += 1;
            }
        }
        // The identity's next number above the old drop box's and its own (taking one
        // leaves a gap, which devices never notice).
        let next: i64 = transaction
            .query_one(
                "SELECT nextval(pg_get_serial_sequence('notices', 'seq'))",
                &[],
            )
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|_| StoreFailed)?;
        transaction
            .execute(
                "SELECT setval(pg_get_serial_sequence('notices', 'seq'), $1)",
                &[&next.max(high_water)],
            )
            .await
            .map_err(|_| StoreFailed)?;
        transaction.commit().await.map_err(|_| StoreFailed)?;
        Ok((moved, there))
    }

    /// Up to `limit` slots with a sequence number above `after`, oldest first.
    pub(crate) async fn notices_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<NoticePage, StoreFailed> {
        let client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let statement = client
            .prepare_cached(AFTER)
            .await
            .map_err(|_| StoreFailed)?;
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
        let rows = client
            .query(&statement, &[&after, &fetch])
            .await
            .map_err(|_| StoreFailed)?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<(i64, Vec<u8>)>, tokio_postgres::Error>>()
            .map_err(|_| StoreFailed)?;
        Ok(NoticePage::of(rows, limit))
    }

    /// Deletes every notice whose retention ended at or before `now`; returns how many.
    pub(crate) async fn purge_expired_notices(&self, now: i64) -> Result<u64, StoreFailed> {
        let client = self.pool.get().await.map_err(|_| StoreFailed)?;
        client
            .execute(PURGE, &[&now])
            .await
            .map_err(|_| StoreFailed)
    }
}
