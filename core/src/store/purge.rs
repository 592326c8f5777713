//! Purge with crypto-shredding: expired epochs lose their rows and their keys.

use chrono::NaiveDate;
use serde::Serialize;

use super::{STANDING_EPOCH, Store, checkpoint_truncate};
use crate::clock::day_number;
use crate::error::Result;

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Records deleted.
    pub records: usize,
    /// Monitoring periods deleted.
    pub monitoring_periods: usize,
    /// Epoch keys shredded.
    pub epoch_keys: usize,
}

impl Store {
    /// Deletes every row whose retention ended on or before `today`, shreds the epoch keys
    /// that sealed them, then checkpoints the WAL (TRUNCATE) and vacuums incrementally so
    /// the database files keep no copy of either.
    pub fn purge(&self, today: NaiveDate) -> Result<PurgeReport> {
        let last_expired = day_number(today);
        let mut inner = self.lock();
        let inner = &mut *inner;
        let tx = inner.conn.transaction()?;
        let range = (STANDING_EPOCH + 1, last_expired);
        let records = tx.execute(
            "DELETE FROM records WHERE epoch BETWEEN ?1 AND ?2",
            [range.0, range.1],
        )?;
        let monitoring_periods = tx.execute(
            "DELETE FROM monitoring_periods WHERE epoch BETWEEN ?1 AND ?2",
            [range.0, range.1],
        )?;
        tx.execute(
            "DELETE FROM outbox WHERE epoch BETWEEN ?1 AND ?2",
            [range.0, range.1],
        )?;
        // If the commit fails, the keys this dropped from memory are read again from their
        // pages when a row needs them: the rollback left those untouched.
        let epoch_keys = inner.keys.shred_epochs(&tx, range.0, range.1)?;
        tx.commit()?;
        inner
            .keys
            .forget_epochs(|epoch| epoch > STANDING_EPOCH && epoch <= last_expired);
        // secure_delete zeroed the cells in the pages written to the WAL; the checkpoint
        // moves them into the database, the vacuum returns freed pages, and the final
        // truncation leaves no old frame behind.
        checkpoint_truncate(&inner.conn)?;
        inner.conn.execute_batch("PRAGMA incremental_vacuum;")?;
        checkpoint_truncate(&inner.conn)?;
        Ok(PurgeReport {
            records,
            monitoring_periods,
            epoch_keys,
        })
    }
}
