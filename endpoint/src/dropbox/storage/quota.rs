//! The disk quota: how many bytes the drop box may store, and what each submission
//! counts for.
//!
//! A submission counts for the bytes the drop box keeps that a client chose or caused:
//! its body exactly as received and the receipt reply kept for its resends. The other
//! columns (ids, hashes, times: under 200 bytes a row), indexes and the database's own
//! overhead are not counted; docs/deployment.md gives the disk a quota needs. Both
//! backends check the quota in the transaction that stores, so nothing is stored past
//! it, and a submission is stored whole or not at all. Deletion requests and retention
//! give the bytes back.

/// The quota when the operator sets none: 10 GiB (about three million daily reports of
/// the example policies, each ~3.6 KB counted).
pub const DEFAULT_QUOTA_BYTES: u64 = 10 * 1024 * 1024 * 1024;

/// What a submission counts for against the quota: its body and its kept receipt (each
/// backend computes the same in SQL for rows already stored).
pub(crate) fn counted_bytes(body: &[u8], receipt: &[u8]) -> u64 {
    u64::try_from(body.len().saturating_add(receipt.len())).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_counts_its_body_and_its_receipt() {
        assert_eq!(counted_bytes(b"body", b"receipt"), 11);
        assert_eq!(counted_bytes(b"", b""), 0);
    }
}
