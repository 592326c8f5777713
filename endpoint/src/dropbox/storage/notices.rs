//! The access-notice mailbox's rows, as both backends keep them (docs/protocol.md,
//! "Access notices").
//!
//! A row is one sealed slot (512 bytes the drop box cannot read), its SHA-256 (unique:
//! posting the same slot again finds its row), the UTC day it was posted, when the
//! retention job deletes it, and its sequence number. Sequence numbers only grow and are
//! never reused after deletion (SQLite `AUTOINCREMENT`, a PostgreSQL identity), and become
//! visible in order, so a device that keeps the last one it saw misses none.

/// A slot to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewNotice {
    /// The sealed slot as posted.
    pub(crate) slot: Vec<u8>,
    /// Lowercase hex SHA-256 of the slot.
    pub(crate) slot_sha256: String,
    /// The UTC day it was posted (`YYYY-MM-DD`).
    pub(crate) posted_day: String,
    /// Unix seconds after which the retention job deletes it.
    pub(crate) expires_at: i64,
}

/// What storing a slot did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoticeStored {
    /// Stored now under this sequence number.
    New(i64),
    /// The same slot was stored before, under this sequence number.
    Again(i64),
}

/// Stored slots after a sequence number, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoticePage {
    /// Each slot with its sequence number, at most the number asked for.
    pub(crate) slots: Vec<(i64, Vec<u8>)>,
    /// Whether more slots follow the last one.
    pub(crate) more: bool,
}

impl NoticePage {
    /// The page of `limit` slots from `rows`, which hold up to `limit + 1` (the one past
    /// the page only says there are more).
    pub(crate) fn of(mut rows: Vec<(i64, Vec<u8>)>, limit: usize) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        Self { slots: rows, more }
    }
}
