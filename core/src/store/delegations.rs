//! The delegations of installed policies' chains, each stored once, sealed under the
//! standing epoch and found by a blind index of its SHA-256 (see [`super::policy_row`]).
//!
//! Delegations are public documents; they are sealed all the same, as every row is, so the
//! file does not say which offices a device's policies come from. A delegation that no
//! installed version names any more stays until the store is erased.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension};

use super::STANDING_EPOCH;
use super::keyring::Keyring;
use crate::error::{Error, Result};
use crate::hex::hex;

const TABLE: &str = "delegations";

fn row_id(keys: &Keyring, digest: &[u8; 32]) -> String {
    hex(&keys.blind_index("delegation", &[digest]).0)
}

/// Stores each of `links` (digest and bytes) not stored yet, in `conn`'s transaction;
/// `known` are digests this open store has seen stored already. Returns the digests it
/// wrote or found, to remember once the transaction commits.
pub(super) fn store_links(
    keys: &mut Keyring,
    conn: &Connection,
    known: &HashSet<[u8; 32]>,
    links: &[([u8; 32], &[u8])],
) -> Result<Vec<[u8; 32]>> {
    let mut stored = Vec::with_capacity(links.len());
    for (digest, bytes) in links {
        if known.contains(digest) {
            continue;
        }
        let id = row_id(keys, digest);
        let present = conn
            .query_row("SELECT 1 FROM delegations WHERE id = ?1", [&id], |_| Ok(()))
            .optional()?
            .is_some();
        if !present {
            let sealed = keys.seal_row(conn, TABLE, &id, STANDING_EPOCH, bytes)?;
            conn.execute(
                "INSERT INTO delegations (id, sealed) VALUES (?1, ?2)",
                rusqlite::params![id, sealed],
            )?;
        }
        stored.push(*digest);
    }
    Ok(stored)
}

/// The bytes of the delegation whose SHA-256 is `digest`, if it is stored. A row that
/// does not open is `Corrupt`.
pub(super) fn link(
    keys: &mut Keyring,
    conn: &Connection,
    digest: &[u8; 32],
) -> Result<Option<Vec<u8>>> {
    let id = row_id(keys, digest);
    let sealed: Option<Vec<u8>> = conn
        .query_row(
            "SELECT sealed FROM delegations WHERE id = ?1",
            [&id],
            |row| row.get(0),
        )
        .optional()?;
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let plaintext = keys
        .open_row(conn, TABLE, &id, STANDING_EPOCH, &sealed)
        .map_err(|_| Error::corrupt(format!("{TABLE}/{id}")))?;
    Ok(Some(plaintext.to_vec()))
}
