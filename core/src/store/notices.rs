//! Where the device stands in each policy's notice mailbox: the `next` the drop box last
//! gave, kept so every notice is fetched once (docs/protocol.md, "Access notices").
//!
//! The cursor of a policy is a sealed row of the `pseudonyms` table (the table of the
//! per-policy values the device keeps for its submissions, the notice keys among them),
//! found by a blind index of the policy id under its own label; it is not personal and
//! names no profile. Notices found and the cursor after them are written in one
//! transaction, so a notice is ledgered once, even when the app stops half-way.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::consent::read_pseudonyms_row;
use super::ledger::append;
use super::rows::encode;
use super::{Inner, STANDING_EPOCH, Store};
use crate::error::Result;
use crate::hex::hex;
use crate::ledger::LedgerEntry;

#[derive(Serialize, Deserialize)]
struct NoticeCursor {
    next: u64,
}

fn cursor_id(inner: &Inner, policy_id: &str) -> String {
    hex(&inner
        .keys
        .blind_index("notice-cursor", &[policy_id.as_bytes()])
        .0)
}

impl Store {
    /// The `after` to poll the policy's mailbox from: 0 before the first poll.
    pub fn notice_cursor(&self, policy_id: &str) -> Result<u64> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = cursor_id(inner, policy_id);
        Ok(read_pseudonyms_row::<NoticeCursor>(inner, &id)?.map_or(0, |cursor| cursor.next))
    }

    /// Ledgers `entries` (the notices of one batch) and moves the policy's cursor to
    /// `next`, together.
    pub fn record_notices(
        &self,
        policy_id: &str,
        entries: &[LedgerEntry],
        next: u64,
    ) -> Result<()> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = cursor_id(inner, policy_id);
        let tx = inner.conn.transaction()?;
        for entry in entries {
            append(&tx, &mut inner.keys, entry)?;
        }
        let sealed = inner.keys.seal_row(
            &tx,
            "pseudonyms",
            &id,
            STANDING_EPOCH,
            &encode(&NoticeCursor { next })?,
        )?;
        tx.execute(
            "INSERT INTO pseudonyms (id, sealed) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed",
            params![id, sealed],
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::{LedgerEntry, LedgerEvent};
    use crate::store::test_support::new_store;

    #[test]
    fn the_cursor_starts_at_zero_and_moves_with_the_notices_it_ledgers() {
        let (_dir, store) = new_store(1);
        assert_eq!(store.notice_cursor("sh").unwrap(), 0);
        let entry = LedgerEntry {
            at: "2026-12-07T10:00:00+08:00".to_owned(),
            event: LedgerEvent::AccessNotice {
                policy_id: "sh".to_owned(),
                submission_id: "00".repeat(16),
                office: "Wuchang CDC".to_owned(),
                officer: "0042".to_owned(),
                reason: "arrange-care".to_owned(),
                revealed_at: "2026-12-07T02:00:00Z".to_owned(),
            },
        };
        store
            .record_notices("sh", std::slice::from_ref(&entry), 7)
            .unwrap();
        store.record_notices("sh", &[], 9).unwrap();
        assert_eq!(store.notice_cursor("sh").unwrap(), 9);
        assert_eq!(store.notice_cursor("other").unwrap(), 0);
        let ledger = store.ledger().unwrap();
        assert_eq!(ledger.len(), 1);
        assert_eq!(ledger[0].1, entry);
        assert!(store.verify_ledger().unwrap().is_valid());
    }
}
