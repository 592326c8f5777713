//! The audit log's witness, as both backends keep it: every checkpoint of the case
//! console's audit log the drop box accepted, append-only (a trigger refuses updates and
//! deletes), in the order accepted, with its entry count, its SHA-256 (unique: posting the
//! same checkpoint again finds it) and when it arrived. A new checkpoint must count more
//! entries than the last one kept.

/// A checkpoint to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewCheckpoint {
    /// Its entry count.
    pub(crate) count: i64,
    /// Its JSON, as the drop box re-serialized it after checking it.
    pub(crate) checkpoint: Vec<u8>,
    /// Lowercase hex SHA-256 of `checkpoint`.
    pub(crate) checkpoint_sha256: String,
    /// When it arrived, RFC 3339 UTC.
    pub(crate) received_at: String,
}

/// What keeping a checkpoint did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckpointKept {
    /// Kept now.
    New,
    /// The same checkpoint was kept before.
    Again,
    /// Refused: it counts no more entries than the last one kept.
    NotAfterLast,
}
