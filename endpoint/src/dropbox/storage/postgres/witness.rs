//! The audit log's witness in PostgreSQL (schema version 3), shared by every drop box
//! process on the database: each inserting transaction takes `LOCK TABLE
//! audit_checkpoints IN SHARE ROW EXCLUSIVE MODE` first, so two processes cannot both
//! find the same last count and keep two checkpoints out of order.

use super::super::StoreFailed;
use super::super::witness::{CheckpointKept, NewCheckpoint};
use super::PostgresStore;

const LOCK: &str = "LOCK TABLE audit_checkpoints IN SHARE ROW EXCLUSIVE MODE";
const FIND: &str = "SELECT seq FROM audit_checkpoints WHERE checkpoint_sha256 = $1";
const LAST: &str = "SELECT count FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";
const INSERT: &str =
    "INSERT INTO audit_checkpoints (count, checkpoint, checkpoint_sha256, received_at)
     VALUES ($1, $2, $3, $4)";
const ALL: &str = "SELECT checkpoint FROM audit_checkpoints ORDER BY seq";

impl PostgresStore {
    /// Keeps `checkpoint` if it is new and counts more entries than the last one kept.
    pub(crate) async fn insert_checkpoint(
        &self,
        checkpoint: &NewCheckpoint,
    ) -> Result<CheckpointKept, StoreFailed> {
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        transaction
            .batch_execute(LOCK)
            .await
            .map_err(|_| StoreFailed)?;
        if transaction
            .query_opt(FIND, &[&checkpoint.checkpoint_sha256])
            .await
            .map_err(|_| StoreFailed)?
            .is_some()
        {
            return Ok(CheckpointKept::Again);
        }
        let last: Option<i64> = transaction
            .query_opt(LAST, &[])
            .await
            .map_err(|_| StoreFailed)?
            .map(|row| row.try_get(0))
            .transpose()
            .map_err(|_| StoreFailed)?;
        if last.is_some_and(|last| checkpoint.count <= last) {
            return Ok(CheckpointKept::NotAfterLast);
        }
        transaction
            .execute(
                INSERT,
                &[
                    &checkpoint.count,
                    &checkpoint.checkpoint,
                    &checkpoint.checkpoint_sha256,
                    &checkpoint.received_at,
                ],
            )
            .await
            .map_err(|_| StoreFailed)?;
        transaction.commit().await.map_err(|_| StoreFailed)?;
        Ok(CheckpointKept::New)
    }

    /// Every checkpoint kept, in the order accepted.
    pub(crate) async fn checkpoints(&self) -> Result<Vec<Vec<u8>>, StoreFailed> {
        let client = self.pool.get().await.map_err(|_| StoreFailed)?;
        client
            .query(ALL, &[])
            .await
            .map_err(|_| StoreFailed)?
            .iter()
            .map(|row| row.try_get(0).map_err(|_| StoreFailed))
            .collect()
    }
}
