//! Typed enrollment codes in PostgreSQL (schema version 5), shared by every drop box
//! process on the database. Registrations are rare (one per order given as a code): each
//! takes `LOCK TABLE enrollment_codes IN SHARE ROW EXCLUSIVE MODE` first, so two processes
//! cannot both find a code or an order free and store it twice. A redemption is one
//! `DELETE ... RETURNING`: of two processes redeeming the same code at once, one gets the
//! row and the other nothing.

use super::super::StoreFailed;
use super::super::enrollment_codes::{CodeRegistered, NewEnrollmentCode};
use super::PostgresStore;

const LOCK: &str = "LOCK TABLE enrollment_codes IN SHARE ROW EXCLUSIVE MODE";
const FIND: &str = "SELECT order_sha256 FROM enrollment_codes WHERE code_hash = $1";
const REPLACE: &str = "DELETE FROM enrollment_codes WHERE order_sha256 = $1";
const INSERT: &str =
    "INSERT INTO enrollment_codes (code_hash, order_sha256, signed_order, expires_at)
     VALUES ($1, $2, $3, $4)";
const REDEEM: &str =
    "DELETE FROM enrollment_codes WHERE code_hash = $1 RETURNING signed_order, expires_at";
const PURGE: &str = "DELETE FROM enrollment_codes WHERE expires_at <= $1";

impl PostgresStore {
    /// Registers `code` (see [`super::super::Storage::register_enrollment_code`]).
    pub(crate) async fn register_enrollment_code(
        &self,
        code: &NewEnrollmentCode,
    ) -> Result<CodeRegistered, StoreFailed> {
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        transaction
            .batch_execute(LOCK)
            .await
            .map_err(|_| StoreFailed)?;
        let registered: Option<String> = transaction
            .query_opt(FIND, &[&code.code_hash])
            .await
            .map_err(|_| StoreFailed)?
            .map(|row| row.try_get(0))
            .transpose()
            .map_err(|_| StoreFailed)?;
        match registered {
            Some(order) if order == code.order_sha256 => return Ok(CodeRegistered::Again),
            Some(_) => return Ok(CodeRegistered::Conflict),
            None => {}
        }
        transaction
            .execute(REPLACE, &[&code.order_sha256])
            .await
            .map_err(|_| StoreFailed)?;
        transaction
            .execute(
                INSERT,
                &[
                    &code.code_hash,
                    &code.order_sha256,
                    &code.signed_order,
                    &code.expires_at,
                ],
            )
            .await
            .map_err(|_| StoreFailed)?;
        transaction.commit().await.map_err(|_| StoreFailed)?;
        Ok(CodeRegistered::New)
    }

    /// Deletes the row of `code_hash`; its order if it had not expired at `now`.
    pub(crate) async fn redeem_enrollment_code(
        &self,
        code_hash: &str,
        now: i64,
    ) -> Result<Option<Vec<u8>>, StoreFailed> {
        let client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let Some(row) = client
            .query_opt(REDEEM, &[&code_hash])
            .await
            .map_err(|_| StoreFailed)?
        else {
            return Ok(None);
        };
        let order: Vec<u8> = row.try_get(0).map_err(|_| StoreFailed)?;
        let expires_at: i64 = row.try_get(1).map_err(|_| StoreFailed)?;
        Ok((now < expires_at).then_some(order))
    }

    /// Deletes every code expired at `now`; how many.
    pub(crate) async fn purge_expired_enrollment_codes(
        &self,
        now: i64,
    ) -> Result<u64, StoreFailed> {
        let client = self.pool.get().await.map_err(|_| StoreFailed)?;
        client
            .execute(PURGE, &[&now])
            .await
            .map_err(|_| StoreFailed)
    }
}
