//! The ledger table: entries sealed under the standing epoch, chain hashes beside them.

use rusqlite::{Connection, OptionalExtension, params};

use super::keyring::Keyring;
use super::{STANDING_EPOCH, Store};
use crate::error::{Error, Result};
use crate::ledger::{
    ChainedEntry, LedgerEntry, LedgerRow, LedgerVerification, chain_hash, chained_entries,
    verify_chain,
};

const TABLE: &str = "ledger";

/// Appends an entry inside the caller's transaction, so the entry and the change it
/// records commit together or not at all.
pub(crate) fn append(conn: &Connection, keys: &mut Keyring, entry: &LedgerEntry) -> Result<u64> {
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (seq, previous) = match last {
        Some((seq, hash)) => {
            let previous: [u8; 32] = hash
                .try_into()
                .map_err(|_| Error::corrupt(format!("{TABLE}/{seq}")))?;
            (seq + 1, previous)
        }
        None => (1, [0u8; 32]),
    };
    let bytes = entry.to_bytes();
    let hash = chain_hash(&previous, &bytes);
    let sealed = keys.seal_row(conn, TABLE, &seq.to_string(), STANDING_EPOCH, &bytes)?;
    conn.prepare_cached("INSERT INTO ledger (seq, hash, sealed) VALUES (?1, ?2, ?3)")?
        .execute(params![seq, hash.as_slice(), sealed])?;
    u64::try_from(seq).map_err(|_| Error::corrupt(format!("{TABLE}/{seq}")))
}

impl Store {
    /// Every ledger entry in order, with its sequence number.
    pub fn ledger(&self) -> Result<Vec<(u64, LedgerEntry)>> {
        let rows = self.ledger_rows()?;
        rows.into_iter()
            .map(|(seq, _, bytes)| {
                crate::ledger::encoding::read_entry(&bytes)
                    .map(|(_, entry)| (seq, entry))
                    .map_err(|_| Error::corrupt(format!("{TABLE}/{seq}")))
            })
            .collect()
    }

    /// Every ledger entry in order with its format, exact hashed bytes, hash and
    /// predecessor's hash, for verifying the chain by hand.
    pub fn ledger_chain(&self) -> Result<Vec<ChainedEntry>> {
        chained_entries(&self.ledger_rows()?)
            .map_err(|(seq, _)| Error::corrupt(format!("{TABLE}/{seq}")))
    }

    /// Verifies the chain and every receipt in it. A row that does not decrypt stops the
    /// verification there, reported as `unreadable`.
    pub fn verify_ledger(&self) -> Result<LedgerVerification> {
        match self.ledger_rows() {
            Ok(rows) => Ok(verify_chain(&rows)),
            Err(Error::Corrupt { record }) => {
                let seq = record
                    .strip_prefix("ledger/")
                    .and_then(|seq| seq.parse::<u64>().ok())
                    .unwrap_or(0);
                Ok(LedgerVerification {
                    entries: seq.saturating_sub(1),
                    receipts_verified: 0,
                    problem: Some(crate::ledger::LedgerProblem {
                        seq,
                        problem: "unreadable",
                    }),
                })
            }
            Err(other) => Err(other),
        }
    }

    fn ledger_rows(&self) -> Result<Vec<LedgerRow>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = inner
            .conn
            .prepare_cached("SELECT seq, hash, sealed FROM ledger ORDER BY seq")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (seq, hash, sealed) in rows {
            let id = seq.to_string();
            let bytes = inner
                .keys
                .open_row(&inner.conn, TABLE, &id, STANDING_EPOCH, &sealed)?;
            let hash: [u8; 32] = hash
                .try_into()
                .map_err(|_| Error::corrupt(format!("{TABLE}/{seq}")))?;
            let seq = u64::try_from(seq).map_err(|_| Error::corrupt(format!("{TABLE}/{seq}")))?;
            out.push((seq, hash, bytes.to_vec()));
        }
        Ok(out)
    }
}
