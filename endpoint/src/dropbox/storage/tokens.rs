//! What the drop box keeps of upload tokens (issue 14, docs/protocol.md "Upload
//! tokens"), on either backend: per enrollment, the SHA-256 of each blinded message it
//! signed, the UTC day and the last day of the order's period ([`Issuance`]), forgotten
//! [`ISSUANCE_GRACE_DAYS`] after that last day; per spent token, its SHA-256, the SHA-256
//! of the body it paid for and the day ([`Spend`]), written in the transaction that
//! stores that body and forgotten with it at retention. No value is common to both kinds
//! of rows, and neither holds a time finer than the day.

use chrono::{Days, NaiveDate};

use super::{InsertOutcome, NewSubmission, Storage, StoreFailed};

/// Days an enrollment's issuance rows are kept after the last day of its order's
/// period. Issuance refuses an order after its last day (on the drop box's UTC day), so
/// the rows count nothing after it; the one day covers drop box processes sharing a
/// PostgreSQL database whose clocks straddle midnight.
pub(crate) const ISSUANCE_GRACE_DAYS: u64 = 1;

/// The day before which an order's period must have ended for its enrollment's
/// issuance rows to be forgotten on `today`: `today − ISSUANCE_GRACE_DAYS`.
pub(crate) fn issuance_ended_before(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_days(Days::new(ISSUANCE_GRACE_DAYS))
        .unwrap_or(NaiveDate::MIN)
}

/// A token that pays for one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spend {
    /// Lowercase hex SHA-256 of the encoded token.
    pub(crate) token_sha256: String,
    /// The UTC day it was spent (`YYYY-MM-DD`).
    pub(crate) day: String,
}

/// Blinded messages an enrollment asks to have signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issuance {
    /// Lowercase hex SHA-256 of the order's secret.
    pub(crate) enrollment_sha256: String,
    /// Lowercase hex SHA-256 of each blinded message, in request order (repeats allowed).
    pub(crate) blinded_sha256: Vec<String>,
    /// The UTC day (`YYYY-MM-DD`).
    pub(crate) day: String,
    /// The last day of the order's monitoring period (`YYYY-MM-DD`), from the verified
    /// order: the rows are forgotten [`ISSUANCE_GRACE_DAYS`] after it.
    pub(crate) last_day: String,
    /// Blinded messages the enrollment may have signed over its whole period.
    pub(crate) allowance: u64,
}

/// What recording an issuance did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IssueOutcome {
    /// Recorded (messages signed before were not counted again): sign them all.
    Recorded,
    /// The new messages would take the enrollment past its allowance: nothing recorded.
    Exhausted,
}

impl Storage {
    /// Records the blinded messages of `issuance` against its enrollment's allowance, in
    /// one transaction: those recorded before are not counted again; if the new ones do not
    /// fit, nothing is recorded.
    pub(crate) async fn record_issuance(
        &self,
        issuance: Issuance,
    ) -> Result<IssueOutcome, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| {
                        super::sqlite_tokens::record_issuance(transaction, &issuance)
                            .map(|outcome| (outcome, false))
                    })
                    .await
            }
            Storage::Postgres(store) => store.record_issuance(&issuance).await,
        }
    }

    /// Forgets the issuance rows of every enrollment whose order's period ended before
    /// [`issuance_ended_before`] `today`; rows kept before the drop box stored the period's
    /// end (no last day) count as ending on `unknown_last_day` (the served policy's
    /// `valid_until`). Returns how many rows went.
    pub(crate) async fn purge_ended_issuance(
        &self,
        today: NaiveDate,
        unknown_last_day: NaiveDate,
    ) -> Result<u64, StoreFailed> {
        let before = issuance_ended_before(today);
        let unknown_ended = unknown_last_day < before;
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| {
                        super::sqlite_tokens::purge_ended_issuance(
                            transaction,
                            before,
                            unknown_ended,
                        )
                        .map(|count| (u64::try_from(count).unwrap_or(u64::MAX), count > 0))
                    })
                    .await
            }
            Storage::Postgres(store) => store.purge_ended_issuance(before, unknown_ended).await,
        }
    }

    /// Stores a submission, idempotently by its id: an identical body stored before is
    /// a [`InsertOutcome::Duplicate`] with the receipt kept then (whatever the quota),
    /// another body a [`InsertOutcome::Conflict`]; a new one that would take the stored
    /// bytes past the quota is [`InsertOutcome::OverQuota`] and not stored. Under a
    /// policy with token keys it is paid for by `spend`: a token spent on another body is
    /// [`InsertOutcome::TokenSpent`] and nothing is stored; a submission stored now keeps
    /// the token spent in the same transaction.
    pub(crate) async fn insert_paid(
        &self,
        submission: NewSubmission,
        spend: Option<Spend>,
    ) -> Result<InsertOutcome, StoreFailed> {
        let mut outcomes = self.insert_all_paid(vec![(submission, spend)]).await;
        outcomes.pop().unwrap_or(Err(StoreFailed))
    }

    /// Stores several submissions in one transaction, each as [`Storage::insert_paid`]
    /// would, in order (a later one with the id of an earlier one is a duplicate or a
    /// conflict; each new one is checked against the quota after those before it, so
    /// one too large for what is left is refused and a later smaller one may fit); one
    /// outcome per submission, in the same order. Every outcome is known only once the
    /// transaction committed.
    pub(crate) async fn insert_all_paid(
        &self,
        submissions: Vec<(NewSubmission, Option<Spend>)>,
    ) -> Vec<Result<InsertOutcome, StoreFailed>> {
        match self {
            Storage::Sqlite(writer) => writer.insert_all_paid(submissions).await,
            Storage::Postgres(store) => store.insert_all_paid(submissions).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuance_rows_are_kept_through_the_day_after_the_period() {
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        // On the 22nd, periods that ended before the 21st are over: the 20th's go.
        assert_eq!(issuance_ended_before(day("2026-12-22")), day("2026-12-21"));
        assert_eq!(issuance_ended_before(NaiveDate::MIN), NaiveDate::MIN);
    }
}
