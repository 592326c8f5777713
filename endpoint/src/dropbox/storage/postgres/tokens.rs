//! The PostgreSQL tables of upload tokens ([`super::super::tokens`]): schema version 4,
//! and 6 for the last day of each issuance row's order.
//!
//! `token_issuance` holds, per enrollment (the SHA-256 of its order's secret), the SHA-256
//! of each blinded message signed, the day and the last day of the order's period (from
//! migration 6; `NULL` for the rows a database held before it, which the retention job
//! forgets once the served policy's `valid_until` has passed); `spent_tokens` the SHA-256 of each spent
//! token, of the body it paid for, the day and the expiry day of that body's partition, so
//! the retention job deletes a partition's spent tokens in the transaction that drops it.
//! Neither table has an identity or a timestamp: nothing orders rows finer than the day.
//!
//! Concurrency: a spending transaction takes the advisory lock of each token hash with
//! those of the submission ids (one statement, ascending), so two processes spending one
//! token are serialized and the second sees the first's row. An issuing transaction
//! takes the advisory lock of its enrollment, so two requests of one enrollment cannot
//! both fit the last of its allowance.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::super::tokens::{Issuance, IssueOutcome, Spend};
use super::super::{NewSubmission, StoreFailed};
use super::{PostgresStore, lock_key, partition};

/// Migration 4.
pub(super) const MIGRATION: &str = "
CREATE TABLE token_issuance (
    enrollment_sha256 text NOT NULL,
    blinded_sha256    text NOT NULL,
    day               date NOT NULL,
    PRIMARY KEY (enrollment_sha256, blinded_sha256)
);
CREATE TABLE spent_tokens (
    token_sha256 text PRIMARY KEY,
    body_sha256  text NOT NULL,
    day          date NOT NULL,
    expiry_day   date NOT NULL
);
CREATE INDEX spent_tokens_expiry_day ON spent_tokens (expiry_day);
";

/// Migration 6: the last day of each issuance row's order (`NULL` for the rows there).
pub(super) const LAST_DAY_MIGRATION: &str = "
ALTER TABLE token_issuance ADD COLUMN last_day date;
CREATE INDEX token_issuance_last_day ON token_issuance (last_day);
";

const COUNT_ISSUED: &str = "SELECT count(*) FROM token_issuance WHERE enrollment_sha256 = $1";
const FIND_ISSUED: &str = "SELECT blinded_sha256 FROM token_issuance
     WHERE enrollment_sha256 = $1 AND blinded_sha256 = ANY($2::text[])";
const INSERT_ISSUED: &str =
    "INSERT INTO token_issuance (enrollment_sha256, blinded_sha256, day, last_day)
     SELECT $1, unnest($2::text[]), $3, $4";
const FIND_SPENT: &str = "SELECT body_sha256 FROM spent_tokens WHERE token_sha256 = $1";
const INSERT_SPENT: &str = "INSERT INTO spent_tokens (token_sha256, body_sha256, day, expiry_day)
     VALUES ($1, $2, $3, $4) ON CONFLICT (token_sha256) DO NOTHING";

/// A day as written in a row (`YYYY-MM-DD`), read back.
fn day(text: &str) -> Result<NaiveDate, StoreFailed> {
    text.parse().map_err(|_| StoreFailed)
}

impl PostgresStore {
    /// Records an issuance against its enrollment's allowance (see
    /// [`super::super::Storage::record_issuance`]).
    pub(crate) async fn record_issuance(
        &self,
        issuance: &Issuance,
    ) -> Result<IssueOutcome, StoreFailed> {
        let on_day = day(&issuance.day)?;
        let last_day = day(&issuance.last_day)?;
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        let lock = lock_key(&format!("issuance {}", issuance.enrollment_sha256));
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
            .await
            .map_err(|_| StoreFailed)?;
        let count: i64 = transaction
            .query_one(COUNT_ISSUED, &[&issuance.enrollment_sha256])
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|_| StoreFailed)?;
        let asked: Vec<String> = issuance
            .blinded_sha256
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let known: BTreeSet<String> = transaction
            .query(FIND_ISSUED, &[&issuance.enrollment_sha256, &asked])
            .await
            .map_err(|_| StoreFailed)?
            .iter()
            .filter_map(|row| row.try_get::<_, String>(0).ok())
            .collect();
        let new: Vec<String> = asked
            .into_iter()
            .filter(|blinded| !known.contains(blinded))
            .collect();
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        if count.saturating_add(new.len() as u64) > issuance.allowance {
            return Ok(IssueOutcome::Exhausted);
        }
        if !new.is_empty() {
            transaction
                .execute(
                    INSERT_ISSUED,
                    &[&issuance.enrollment_sha256, &new, &on_day, &last_day],
                )
                .await
                .map_err(|_| StoreFailed)?;
        }
        transaction.commit().await.map_err(|_| StoreFailed)?;
        Ok(IssueOutcome::Recorded)
    }

    /// Forgets the issuance rows of enrollments whose period ended before `before`, and
    /// those without a last day when `unknown_ended` (see
    /// [`super::super::Storage::purge_ended_issuance`]); returns how many. One
    /// transaction; an enrollment's rows share their last day, so none is left half.
    pub(crate) async fn purge_ended_issuance(
        &self,
        before: NaiveDate,
        unknown_ended: bool,
    ) -> Result<u64, StoreFailed> {
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        let mut count = transaction
            .execute("DELETE FROM token_issuance WHERE last_day < $1", &[&before])
            .await
            .map_err(|_| StoreFailed)?;
        if unknown_ended {
            count += transaction
                .execute("DELETE FROM token_issuance WHERE last_day IS NULL", &[])
                .await
                .map_err(|_| StoreFailed)?;
        }
        transaction.commit().await.map_err(|_| StoreFailed)?;
        Ok(count)
    }
}

/// The advisory lock key of a spent token, taken with the submission ids'.
pub(super) fn spend_lock_key(spend: &Spend) -> i64 {
    lock_key(&format!("token {}", spend.token_sha256))
}

/// The body a token paid for, if it was spent.
pub(super) async fn spent_body(
    transaction: &deadpool_postgres::Transaction<'_>,
    spend: &Spend,
) -> Result<Option<String>, tokio_postgres::Error> {
    let find = transaction.prepare_cached(FIND_SPENT).await?;
    match transaction.query_opt(&find, &[&spend.token_sha256]).await? {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}

/// Keeps `spend` as paying for `submission`, stored in the same transaction.
pub(super) async fn record_spend(
    transaction: &deadpool_postgres::Transaction<'_>,
    spend: &Spend,
    submission: &NewSubmission,
) -> Result<(), tokio_postgres::Error> {
    let insert = transaction.prepare_cached(INSERT_SPENT).await?;
    // A day the drop box wrote itself; the epoch only if it were ever unreadable.
    let spent_on = spend.day.parse::<NaiveDate>().unwrap_or_default();
    let expiry_day = partition::day_of(submission.expires_at);
    transaction
        .execute(
            &insert,
            &[
                &spend.token_sha256,
                &submission.body_sha256,
                &spent_on,
                &expiry_day,
            ],
        )
        .await?;
    Ok(())
}

/// Forgets `spend` again: the row it paid for was refused in the same transaction.
pub(super) async fn unspend(
    transaction: &deadpool_postgres::Transaction<'_>,
    spend: &Spend,
) -> Result<(), tokio_postgres::Error> {
    transaction
        .execute(
            "DELETE FROM spent_tokens WHERE token_sha256 = $1",
            &[&spend.token_sha256],
        )
        .await?;
    Ok(())
}

/// Forgets the spent tokens of the partition of `expiry_day`, in the transaction that
/// drops it.
pub(super) async fn forget_spent_day(
    transaction: &deadpool_postgres::Transaction<'_>,
    expiry_day: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    transaction
        .execute(
            "DELETE FROM spent_tokens WHERE expiry_day <= $1",
            &[&expiry_day],
        )
        .await?;
    Ok(())
}

impl PostgresStore {
    /// Stores moved token rows (see `moving_tokens`), leaving those already there; returns
    /// how many were new.
    pub(crate) async fn move_tokens_in(
        &self,
        rows: &super::super::sqlite_tokens::TokenRows,
    ) -> Result<u64, StoreFailed> {
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        let mut moved = 0u64;
        for (enrollment, blinded, on, last) in &rows.issuance {
            let last_day = last.as_deref().map(day).transpose()?;
            moved += transaction
                .execute(
                    "INSERT INTO token_issuance (enrollment_sha256, blinded_sha256, day, last_day)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[enrollment, blinded, &day(on)?, &last_day],
                )
                .await
                .map_err(|_| StoreFailed)?;
        }
        for (token, body, on, expires_at) in &rows.spent {
            moved += transaction
                .execute(
                    INSERT_SPENT,
                    &[token, body, &day(on)?, &partition::day_of(*expires_at)],
                )
                .await
                .map_err(|_| StoreFailed)?;
        }
        transaction.commit().await.map_err(|_| StoreFailed)?;
        Ok(moved)
    }
}
