//! Consent per policy and pseudonyms per (profile, policy), sealed, found by blind index.

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::ledger::append;
use super::rows::{decode, encode};
use super::{Inner, STANDING_EPOCH, Store};
use zeroize::Zeroizing;

use crate::arrival_pass::pseudonym_of_key;
use crate::crypto::random_array;
use crate::crypto::signature::{ED25519_SEED_LEN, SigningKey};
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::ledger::LedgerEntry;
use crate::model::ProfileId;
use crate::notice::NoticeKey;

/// The person's decision about one policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Policy id.
    pub policy_id: String,
    /// Whether sending is allowed.
    pub granted: bool,
    /// When it was decided, local time.
    pub at: DateTime<FixedOffset>,
    /// The version consented to and what it lets leave; `None` for a consent recorded
    /// before consent was bound to a version (it is bound at the next install).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ConsentScope>,
}

/// The policy version a consent was given for, kept so later versions can be compared
/// with exactly what the person agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentScope {
    /// The version.
    pub version: u64,
    /// The digest of what it lets leave.
    pub disclosure_sha256: String,
    /// Its document bytes as signed, standard base64.
    pub document: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct Pseudonym {
    value: String,
    /// The notice key, 64 hex, once a policy with access notices needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notice_key: Option<String>,
    /// The seed (64 hex) of the arrival key the pseudonym commits to
    /// ([`crate::arrival_pass`]); absent from rows made before arrival passes, whose
    /// pseudonyms are random.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arrival_seed: Option<String>,
}

pub(crate) fn policy_index(inner: &Inner, policy_id: &str) -> [u8; 32] {
    inner
        .keys
        .blind_index("policy-rows", &[policy_id.as_bytes()])
        .0
}

impl Store {
    /// Records a consent decision and its ledger entry in one transaction. When consent is
    /// withdrawn, the policy's queued submissions are withdrawn in the same transaction
    /// (never sent while withdrawn, their deletion tokens kept) and their count is returned.
    pub(crate) fn set_consent(
        &self,
        consent: &Consent,
        entry: impl FnOnce(u64) -> LedgerEntry,
    ) -> Result<u64> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = hex(&inner
            .keys
            .blind_index("consent", &[consent.policy_id.as_bytes()])
            .0);
        let policy_idx = policy_index(inner, &consent.policy_id);
        let plaintext = encode(consent)?;
        let tx = inner.conn.transaction()?;
        let sealed = inner
            .keys
            .seal_row(&tx, "consents", &id, STANDING_EPOCH, &plaintext)?;
        tx.execute(
            "INSERT INTO consents (id, sealed) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed",
            params![id, sealed],
        )?;
        let mut dropped = 0u64;
        if !consent.granted {
            let records: Vec<Option<String>> = tx
                .prepare(
                    "SELECT record_id FROM outbox WHERE policy_idx = ?1 AND state = 'pending'",
                )?
                .query_map([&policy_idx], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for record in records.iter().flatten() {
                tx.execute(
                    "UPDATE records SET state = 'saved' WHERE id = ?1 AND state = 'queued'",
                    [record],
                )?;
            }
            // Kept, never sent while withdrawn, with their deletion tokens: an earlier
            // attempt may have reached the drop box even if its reply was lost.
            dropped = super::outbox::withdraw_pending(&tx, &mut inner.keys, &policy_idx)?;
        }
        append(&tx, &mut inner.keys, &entry(dropped))?;
        tx.commit()?;
        Ok(dropped)
    }

    /// The person's decision about a policy, if any.
    pub fn consent(&self, policy_id: &str) -> Result<Option<Consent>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = hex(&inner.keys.blind_index("consent", &[policy_id.as_bytes()]).0);
        let sealed: Option<Vec<u8>> = inner
            .conn
            .query_row("SELECT sealed FROM consents WHERE id = ?1", [&id], |row| {
                row.get(0)
            })
            .optional()?;
        match sealed {
            Some(sealed) => {
                let plaintext =
                    inner
                        .keys
                        .open_row(&inner.conn, "consents", &id, STANDING_EPOCH, &sealed)?;
                Ok(Some(decode("consents", &id, &plaintext)?))
            }
            None => Ok(None),
        }
    }

    /// The pseudonym of a profile under a policy, made on first use: the commitment to a
    /// fresh random arrival key ([`crate::arrival_pass::pseudonym_of_key`]), unlinkable to
    /// the profile's identity or to its pseudonyms under other policies.
    pub fn pseudonym(&self, profile: &ProfileId, policy_id: &str) -> Result<String> {
        Ok(self.pseudonym_row(profile, policy_id, false)?.value)
    }

    /// The profile's notice key under a policy (crate::notice): random, made with its
    /// pseudonym's row on first use when `create`, deleted with it. `None` when it was never
    /// made and `create` is false.
    pub fn notice_key(
        &self,
        profile: &ProfileId,
        policy_id: &str,
        create: bool,
    ) -> Result<Option<NoticeKey>> {
        let row = self.pseudonym_row(profile, policy_id, create)?;
        row.notice_key
            .as_deref()
            .map(|hex| {
                NoticeKey::from_hex(hex).map_err(|_| Error::Corrupt {
                    record: "pseudonyms/notice_key".to_owned(),
                })
            })
            .transpose()
    }

    /// The arrival key the profile's pseudonym under a policy commits to (made with the
    /// pseudonym on first use); `None` for a pseudonym made before arrival passes.
    pub(crate) fn arrival_key(
        &self,
        profile: &ProfileId,
        policy_id: &str,
    ) -> Result<Option<SigningKey>> {
        let row = self.pseudonym_row(profile, policy_id, false)?;
        row.arrival_seed
            .as_deref()
            .map(|text| {
                arrival_key_of(text).ok_or_else(|| Error::Corrupt {
                    record: "pseudonyms/arrival_seed".to_owned(),
                })
            })
            .transpose()
    }

    /// The sealed `pseudonyms` row of (profile, policy), made on first use; with
    /// `notice_key`, also given a notice key if it has none.
    fn pseudonym_row(
        &self,
        profile: &ProfileId,
        policy_id: &str,
        notice_key: bool,
    ) -> Result<Pseudonym> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = hex(&inner
            .keys
            .blind_index(
                "pseudonym",
                &[profile.as_str().as_bytes(), policy_id.as_bytes()],
            )
            .0);
        let stored: Option<Pseudonym> = read_pseudonyms_row(inner, &id)?;
        let missing_key = notice_key && stored.as_ref().is_none_or(|row| row.notice_key.is_none());
        if let (Some(row), false) = (&stored, missing_key) {
            return Ok(row.clone());
        }
        let mut row = match stored {
            Some(row) => row,
            None => new_pseudonym()?,
        };
        if missing_key {
            let key = NoticeKey::generate()
                .map_err(|_| Error::Crypto("the system random generator failed"))?;
            row.notice_key = Some(key.to_hex().to_string());
        }
        let sealed = inner.keys.seal_row(
            &inner.conn,
            "pseudonyms",
            &id,
            STANDING_EPOCH,
            &encode(&row)?,
        )?;
        inner.conn.execute(
            "INSERT INTO pseudonyms (id, sealed) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed",
            params![id, sealed],
        )?;
        Ok(row)
    }
}

/// A new pseudonym row: a fresh arrival key and the pseudonym committing to it.
fn new_pseudonym() -> Result<Pseudonym> {
    let seed = Zeroizing::new(random_array::<ED25519_SEED_LEN>()?);
    let seed_hex = hex(seed.as_slice());
    let key = SigningKey::from_seed(seed)
        .map_err(|_| Error::Crypto("an arrival key could not be made"))?;
    Ok(Pseudonym {
        value: pseudonym_of_key(&key.public_key()),
        notice_key: None,
        arrival_seed: Some(seed_hex),
    })
}

/// The arrival key whose seed is the 64 hex `text`.
fn arrival_key_of(text: &str) -> Option<SigningKey> {
    let mut seed = Zeroizing::new([0u8; ED25519_SEED_LEN]);
    if text.len() != 2 * ED25519_SEED_LEN {
        return None;
    }
    for (byte, pair) in seed.iter_mut().zip(text.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    SigningKey::from_seed(seed).ok()
}

/// The sealed row `id` of the `pseudonyms` table (per-policy values the device keeps for
/// its submissions: pseudonyms with their notice keys, and notice cursors), opened.
pub(super) fn read_pseudonyms_row<T: serde::de::DeserializeOwned>(
    inner: &mut Inner,
    id: &str,
) -> Result<Option<T>> {
    match read_pseudonyms_bytes(inner, id)? {
        Some(plaintext) => Ok(Some(decode::<T>("pseudonyms", id, &plaintext)?)),
        None => Ok(None),
    }
}

/// The plaintext of the sealed row `id` of the `pseudonyms` table, for rows not in JSON.
pub(super) fn read_pseudonyms_bytes(
    inner: &mut Inner,
    id: &str,
) -> Result<Option<crate::crypto::Plaintext>> {
    let sealed: Option<Vec<u8>> = inner
        .conn
        .query_row("SELECT sealed FROM pseudonyms WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .optional()?;
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    Ok(Some(inner.keys.open_row_in_place(
        &inner.conn,
        "pseudonyms",
        id,
        STANDING_EPOCH,
        sealed,
    )?))
}
