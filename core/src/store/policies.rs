//! Installed policies, sealed under the standing epoch and found by a blind index of their
//! id. A policy signed under a delegation chain is stored without its delegations, which
//! are stored once each ([`super::policy_row`], [`super::delegations`]).

use rusqlite::{Connection, OptionalExtension, params};

use super::keyring::Keyring;
use super::policy_row::{self, PolicyRow};
use super::{Inner, STANDING_EPOCH, Store, delegations};
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::policy::{PolicyError, VerifiedPolicy, check_update};

const TABLE: &str = "policies";

fn row_id(inner: &Inner, policy_id: &str) -> String {
    hex(&inner.keys.blind_index("policy", &[policy_id.as_bytes()]).0)
}

fn load(inner: &mut Inner, id: &str, sealed: &[u8]) -> Result<VerifiedPolicy> {
    let Inner { conn, keys, .. } = inner;
    load_in(keys, conn, id, sealed)
}

/// Opens a policy row, its delegations put back, and reads the policy in it.
fn load_in(
    keys: &mut Keyring,
    conn: &Connection,
    id: &str,
    sealed: &[u8],
) -> Result<VerifiedPolicy> {
    let corrupt = || Error::corrupt(format!("{TABLE}/{id}"));
    let plaintext = keys.open_row(conn, TABLE, id, STANDING_EPOCH, sealed)?;
    let envelope = match policy_row::read(&plaintext).ok_or_else(corrupt)? {
        PolicyRow::Envelope(envelope) => envelope.to_vec(),
        PolicyRow::Compact { links, rest } => {
            let mut failure = None;
            let rebuilt = policy_row::rebuild(&links, rest, |digest| {
                match delegations::link(keys, conn, digest) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        failure = Some(error);
                        None
                    }
                }
            });
            if let Some(error) = failure {
                return Err(error);
            }
            rebuilt.ok_or_else(corrupt)?
        }
    };
    VerifiedPolicy::from_stored(&envelope).map_err(|_: PolicyError| corrupt())
}

impl Store {
    /// Installs a verified policy, replacing an older version of the same id. A refusal
    /// (a version not newer than the installed one, or not its owner's: see
    /// [`check_update`]) leaves the installed policy untouched.
    pub fn install_policy(&self, policy: &VerifiedPolicy) -> Result<()> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = row_id(inner, policy.id());
        let tx = inner.conn.transaction()?;
        // The installed version, from the cache when this store opened it already (only
        // this function writes policies, and it keeps the cache in step).
        let cached = inner.policies.get(policy.id()).cloned();
        let existing: Option<Vec<u8>> = match cached {
            Some(_) => None,
            None => tx
                .query_row("SELECT sealed FROM policies WHERE id = ?1", [&id], |row| {
                    row.get(0)
                })
                .optional()?,
        };
        let installed = match existing {
            None => cached,
            Some(sealed) => Some(load_in(&mut inner.keys, &tx, &id, &sealed)?),
        };
        check_update(installed.as_ref(), policy)?;
        let (row, links) = policy_row::compact(policy.envelope_bytes(), policy.chain_links())
            .ok_or_else(|| Error::Storage("a policy's chain does not lie within it".into()))?;
        let stored_links =
            delegations::store_links(&mut inner.keys, &tx, &inner.stored_links, &links)?;
        let sealed = inner.keys.seal_row(&tx, TABLE, &id, STANDING_EPOCH, &row)?;
        tx.execute(
            "INSERT INTO policies (id, sealed) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed",
            params![id, sealed],
        )?;
        tx.commit()?;
        inner.stored_links.extend(stored_links);
        inner
            .policies
            .insert(policy.id().to_owned(), policy.clone());
        Ok(())
    }

    /// The installed policy with this id.
    pub fn policy(&self, policy_id: &str) -> Result<VerifiedPolicy> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Some(policy) = inner.policies.get(policy_id) {
            return Ok(policy.clone());
        }
        let id = row_id(inner, policy_id);
        let sealed: Option<Vec<u8>> = inner
            .conn
            .query_row("SELECT sealed FROM policies WHERE id = ?1", [&id], |row| {
                row.get(0)
            })
            .optional()?;
        match sealed {
            Some(sealed) => {
                let policy = load(inner, &id, &sealed)?;
                // The row is found by the blind index of `policy_id`, so the document in
                // it is that policy's unless the row was swapped: check before caching.
                if policy.id() != policy_id {
                    return Err(Error::corrupt(format!("{TABLE}/{id}")));
                }
                inner.policies.insert(policy_id.to_owned(), policy.clone());
                Ok(policy)
            }
            None => Err(Error::NotFound {
                what: "policy",
                id: policy_id.to_owned(),
            }),
        }
    }

    /// Every installed policy, ordered by id.
    pub fn policies(&self) -> Result<Vec<VerifiedPolicy>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let rows: Vec<(String, Vec<u8>)> = {
            let mut statement = inner
                .conn
                .prepare_cached("SELECT id, sealed FROM policies")?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut policies = rows
            .iter()
            .map(|(id, sealed)| load(inner, id, sealed))
            .collect::<Result<Vec<_>>>()?;
        policies.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(policies)
    }
}
