//! The ledger as a person verifies it by hand: each entry with its sequence number,
//! format, exact hashed bytes, its hash and its predecessor's, so any SHA-256 tool can
//! recompute the chain (`selfreport ledger --json`, the export).

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::encoding::{EntryDecodeError, EntryFormat, read_entry};
use super::{LedgerEntry, LedgerRow};
use crate::hex::hex;

/// Keys the view adds beside an entry's own fields; no entry field may use them.
pub const VIEW_KEYS: [&str; 5] = ["seq", "format", "prev_hash", "hash", "bytes_hex"];

/// One ledger entry with what it takes to check its link in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// The rule its bytes follow.
    pub format: EntryFormat,
    /// The hash of the entry before (32 zero bytes for the first).
    pub prev_hash: [u8; 32],
    /// SHA-256(`prev_hash` || `bytes`), as stored.
    pub hash: [u8; 32],
    /// The exact bytes hashed.
    pub bytes: Vec<u8>,
    /// The entry those bytes hold.
    pub entry: LedgerEntry,
}

impl ChainedEntry {
    /// The printed form: the entry's own fields with `seq`, `format` (its format's name),
    /// `prev_hash`, `hash` (lowercase hex) and `bytes_hex` (the exact hashed bytes).
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(&self.entry).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("seq".to_owned(), Value::from(self.seq));
            map.insert("format".to_owned(), Value::from(self.format.name()));
            map.insert("prev_hash".to_owned(), Value::from(hex(&self.prev_hash)));
            map.insert("hash".to_owned(), Value::from(hex(&self.hash)));
            map.insert("bytes_hex".to_owned(), Value::from(hex(&self.bytes)));
        }
        value
    }
}

impl Serialize for ChainedEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// The view of stored rows in order. Each row's predecessor hash is the stored hash of
/// the row before it, whether or not the chain holds (verification says that). Fails on
/// the first row whose bytes are not a ledger entry, with its sequence number.
pub fn chained_entries(rows: &[LedgerRow]) -> Result<Vec<ChainedEntry>, (u64, EntryDecodeError)> {
    let mut previous = [0u8; 32];
    let mut out = Vec::with_capacity(rows.len());
    for (seq, hash, bytes) in rows {
        let (format, entry) = read_entry(bytes).map_err(|error| (*seq, error))?;
        out.push(ChainedEntry {
            seq: *seq,
            format,
            prev_hash: previous,
            hash: *hash,
            bytes: bytes.clone(),
            entry,
        });
        previous = *hash;
    }
    Ok(out)
}
