//! Revocation lists, one per root: the highest sequence seen, sealed under the standing
//! epoch and found by a blind index of the root's key id.

use rusqlite::{OptionalExtension, params};

use super::{Inner, STANDING_EPOCH, Store};
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::policy::{PolicyError, RevocationList};

const TABLE: &str = "revocation_lists";

/// What installing a list did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationsInstalled {
    /// It replaced an older list of its root, or was the first.
    Newer,
    /// The very list held already.
    Unchanged,
}

fn row_id(inner: &Inner, root_key_id: &str) -> String {
    hex(&inner
        .keys
        .blind_index("revocations", &[root_key_id.as_bytes()])
        .0)
}

fn load(inner: &mut Inner, id: &str, sealed: &[u8]) -> Result<RevocationList> {
    let Inner { conn, keys, .. } = inner;
    let plaintext = keys.open_row(conn, TABLE, id, STANDING_EPOCH, sealed)?;
    RevocationList::from_stored(&plaintext).map_err(|_| Error::corrupt(format!("{TABLE}/{id}")))
}

impl Store {
    /// Keeps `list` if its sequence is above the one held for its root. An older list is
    /// refused ([`PolicyError::RevocationsStale`]), another list under the same number too
    /// ([`PolicyError::RevocationsConflict`]); either leaves the held list untouched.
    pub fn install_revocations(&self, list: &RevocationList) -> Result<RevocationsInstalled> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = row_id(inner, list.root_key_id());
        let tx = inner.conn.transaction()?;
        let existing: Option<Vec<u8>> = tx
            .query_row(
                "SELECT sealed FROM revocation_lists WHERE id = ?1",
                [&id],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(sealed) = existing {
            let plaintext = inner
                .keys
                .open_row(&tx, TABLE, &id, STANDING_EPOCH, &sealed)?;
            let held = RevocationList::from_stored(&plaintext)
                .map_err(|_| Error::corrupt(format!("{TABLE}/{id}")))?;
            if held.root_key_id() != list.root_key_id() {
                return Err(Error::corrupt(format!("{TABLE}/{id}")));
            }
            let (held_sequence, offered) = (held.document().sequence, list.document().sequence);
            if offered < held_sequence {
                return Err(PolicyError::RevocationsStale {
                    held: held_sequence,
                    offered,
                }
                .into());
            }
            if offered == held_sequence {
                return if held.envelope_bytes() == list.envelope_bytes()
                    || held.document() == list.document()
                {
                    Ok(RevocationsInstalled::Unchanged)
                } else {
                    Err(PolicyError::RevocationsConflict { sequence: offered }.into())
                };
            }
        }
        let sealed = inner
            .keys
            .seal_row(&tx, TABLE, &id, STANDING_EPOCH, list.envelope_bytes())?;
        tx.execute(
            "INSERT INTO revocation_lists (id, sealed) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed",
            params![id, sealed],
        )?;
        tx.commit()?;
        Ok(RevocationsInstalled::Newer)
    }

    /// The list held for the root with this key id, if any.
    pub fn revocations_of(&self, root_key_id: &str) -> Result<Option<RevocationList>> {
        let mut guard = self.lock();
        let id = row_id(&guard, root_key_id);
        let sealed: Option<Vec<u8>> = guard
            .conn
            .query_row(
                "SELECT sealed FROM revocation_lists WHERE id = ?1",
                [&id],
                |row| row.get(0),
            )
            .optional()?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let list = load(&mut guard, &id, &sealed)?;
        // Found by the blind index of the root's key id: a swapped row names another root.
        if list.root_key_id() != root_key_id {
            return Err(Error::corrupt(format!("{TABLE}/{id}")));
        }
        Ok(Some(list))
    }

    /// Every list held, ordered by root key id.
    pub fn revocation_lists(&self) -> Result<Vec<RevocationList>> {
        let mut guard = self.lock();
        let rows: Vec<(String, Vec<u8>)> = {
            let mut statement = guard
                .conn
                .prepare_cached("SELECT id, sealed FROM revocation_lists")?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut lists = rows
            .iter()
            .map(|(id, sealed)| load(&mut guard, id, sealed))
            .collect::<Result<Vec<_>>>()?;
        lists.sort_by(|a, b| a.root_key_id().cmp(b.root_key_id()));
        Ok(lists)
    }
}
