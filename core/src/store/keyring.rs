//! The store's keys on disk and in memory: the wrapped store key, the canary that tells a
//! wrong key from damage, and the epoch keys that seal rows and are shredded at purge.
//!
//! On disk (`meta` table): `store_key` (the key source's blob) with `store_key_digest`
//! (SHA-256 of the blob) and `canary` (a constant sealed under a key derived from the store
//! key) with `canary_digest`. The digests are not secrets; they only tell accidental or
//! deliberate damage (`Corrupt`) apart from a key that does not match (`WrongKey`).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, params};

use crate::crypto::{
    AssociatedData, AssociatedDataTooLong, BlindIndex, DataKey, KeyMaterial, KeySource,
    KeySourceError, Plaintext, StoreKey, open, open_in_place, seal, sha256,
};
use crate::error::{Error, Result};

const CANARY_PLAINTEXT: &[u8] = b"selfreport.canary/1: this key opens this store";

/// Epoch 0 holds what does not expire with a policy: profiles and installed policies.
pub(crate) const STANDING_EPOCH: i64 = 0;

/// The unwrapped store key and the epoch keys opened so far.
pub(crate) struct Keyring {
    store_key: StoreKey,
    /// Ordered, so that a listing checks a run of days with one range walk, and a lookup
    /// (every opened row makes one) is a few comparisons instead of a SipHash.
    epochs: BTreeMap<i64, DataKey>,
    /// Profile blind indexes already computed, by profile id: every save and listing needs
    /// its profile's, and each costs an HMAC key setup. The values are what the
    /// `profile_idx` columns hold on disk, derived from this keyring's store key, so they
    /// live and die with it. At most [`MAX_PROFILE_INDEXES`] entries.
    profile_indexes: HashMap<String, BlindIndex>,
}

/// A household has a handful of profiles; past this many remembered profile indexes the
/// memo starts over, so ids passed in from outside cannot grow it without bound.
const MAX_PROFILE_INDEXES: usize = 64;

fn canary_ad() -> std::result::Result<AssociatedData, AssociatedDataTooLong> {
    AssociatedData::new("selfreport.canary/1")
}

fn epoch_ad(epoch: i64) -> std::result::Result<AssociatedData, AssociatedDataTooLong> {
    AssociatedData::new("selfreport.epoch-key/1")?.part(&epoch.to_be_bytes())
}

fn key_source_error(error: KeySourceError) -> Error {
    match error {
        KeySourceError::WrongKey => Error::WrongKey,
        KeySourceError::Unavailable { reason } => Error::KeyUnavailable { reason },
        KeySourceError::Failed { reason } => Error::KeySourceFailed { reason },
    }
}

/// The blobs `unlock` needs, read with one statement: on a fresh connection every
/// statement is compiled and takes its own read lock, and this runs at every app start.
fn read_unlock_meta(conn: &Connection) -> Result<HashMap<String, Vec<u8>>> {
    Ok(conn
        .prepare(
            "SELECT name, value FROM meta
             WHERE name IN ('store_key', 'store_key_digest', 'canary', 'canary_digest')",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

fn write_meta(conn: &Connection, name: &str, value: &[u8]) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

/// Takes a blob out of `meta` and checks it against its stored digest.
fn take_checked(meta: &mut HashMap<String, Vec<u8>>, name: &str) -> Result<Vec<u8>> {
    let digest = meta.remove(&format!("{name}_digest"));
    let (Some(value), Some(digest)) = (meta.remove(name), digest) else {
        return Err(Error::corrupt(name));
    };
    if sha256(&value).as_slice() != digest.as_slice() {
        return Err(Error::corrupt(name));
    }
    Ok(value)
}

fn write_checked(conn: &Connection, name: &str, value: &[u8]) -> Result<()> {
    write_meta(conn, name, value)?;
    write_meta(conn, &format!("{name}_digest"), &sha256(value))
}

impl Keyring {
    /// Makes a new store key, wraps it with `source` and writes it with a fresh canary.
    /// Runs inside the creating transaction.
    pub(crate) fn create(conn: &Connection, source: &dyn KeySource) -> Result<Self> {
        let material = KeyMaterial::generate()?;
        let wrapped = source.wrap(&material).map_err(key_source_error)?;
        let store_key = StoreKey::new(material)?;
        let canary = seal(store_key.canary_key(), &canary_ad()?, CANARY_PLAINTEXT)?;
        write_checked(conn, "store_key", &wrapped)?;
        write_checked(conn, "canary", &canary)?;
        let mut keyring = Self {
            store_key,
            epochs: BTreeMap::new(),
            profile_indexes: HashMap::new(),
        };
        keyring.ensure_epoch(conn, STANDING_EPOCH)?;
        Ok(keyring)
    }

    /// Unwraps the store key and checks the canary. Reads only; writes nothing.
    pub(crate) fn unlock(conn: &Connection, source: &dyn KeySource) -> Result<Self> {
        let mut meta = read_unlock_meta(conn)?;
        let wrapped = take_checked(&mut meta, "store_key")?;
        let material = source.unwrap(&wrapped).map_err(key_source_error)?;
        let store_key = StoreKey::new(material)?;
        let canary = take_checked(&mut meta, "canary")?;
        // The canary's bytes are intact (digest checked), so a failure here means the key
        // source returned a key that is not this store's.
        match open(store_key.canary_key(), &canary_ad()?, &canary) {
            Ok(plaintext) if plaintext.as_slice() == CANARY_PLAINTEXT => {}
            _ => return Err(Error::WrongKey),
        }
        Ok(Self {
            store_key,
            epochs: BTreeMap::new(),
            profile_indexes: HashMap::new(),
        })
    }

    /// Wraps the same store key with another key source; records are not re-encrypted.
    pub(crate) fn rewrap(&self, conn: &Connection, source: &dyn KeySource) -> Result<()> {
        let wrapped = source
            .wrap(self.store_key.material())
            .map_err(key_source_error)?;
        // Check the new source can open what it wrapped before replacing the old blob.
        let check = source.unwrap(&wrapped).map_err(key_source_error)?;
        if &check != self.store_key.material() {
            return Err(Error::KeyUnavailable {
                reason: "the new key source did not return the key it wrapped".to_owned(),
            });
        }
        write_checked(conn, "store_key", &wrapped)
    }

    /// The blind index of `parts` in `domain`.
    pub(crate) fn blind_index(&self, domain: &str, parts: &[&[u8]]) -> BlindIndex {
        self.store_key.blind_index_key().index(domain, parts)
    }

    /// The blind index of a profile's rows (`blind_index("profile", [id])`), remembered.
    pub(crate) fn profile_index(&mut self, profile_id: &str) -> BlindIndex {
        if let Some(index) = self.profile_indexes.get(profile_id) {
            return *index;
        }
        let index = self.blind_index("profile", &[profile_id.as_bytes()]);
        if self.profile_indexes.len() >= MAX_PROFILE_INDEXES {
            self.profile_indexes.clear();
        }
        self.profile_indexes.insert(profile_id.to_owned(), index);
        index
    }

    /// The key of `epoch`, creating and storing it if it does not exist yet.
    ///
    /// Call it outside a transaction that may roll back, or in the same one as the rows it
    /// seals and `forget_epochs` the key if that transaction fails: a key created here is
    /// cached in memory as soon as its row is written.
    pub(crate) fn ensure_epoch(&mut self, conn: &Connection, epoch: i64) -> Result<&DataKey> {
        if !self.epochs.contains_key(&epoch) {
            let key = match self.load_epoch(conn, epoch)? {
                Some(key) => key,
                None => {
                    let key = DataKey::generate()?;
                    let wrapped = seal(
                        self.store_key.wrapping_key(),
                        &epoch_ad(epoch)?,
                        &key.to_wrappable(),
                    )?;
                    conn.prepare_cached("INSERT INTO epoch_keys (epoch, wrapped) VALUES (?1, ?2)")?
                        .execute(params![epoch, wrapped])?;
                    key
                }
            };
            self.epochs.insert(epoch, key);
        }
        self.epochs
            .get(&epoch)
            .ok_or_else(|| Error::corrupt(format!("epoch_key:{epoch}")))
    }

    /// Makes sure the keys of `epoch` and the `ahead` epochs after it exist, creating the
    /// missing ones (one range query to find them). Daily reports move forward a day at a
    /// time, so the next days' saves find their key ready instead of each paying for a new
    /// one. Keys that end up sealing nothing are shredded at purge like any other. Pushes
    /// the epochs it creates onto `created`, for the caller to forget if its transaction
    /// fails (even when this call fails part-way).
    pub(crate) fn ensure_epochs_from(
        &mut self,
        conn: &Connection,
        epoch: i64,
        ahead: i64,
        created: &mut Vec<i64>,
    ) -> Result<()> {
        if self.epochs.contains_key(&epoch) {
            return Ok(());
        }
        let last = epoch.saturating_add(ahead);
        let present = self.load_range(conn, epoch, last)?;
        if present.contains(&epoch) && !self.epochs.contains_key(&epoch) {
            // On disk but it did not open: report it now, as the save needs it.
            return Err(Error::corrupt(format!("epoch_key:{epoch}")));
        }
        for candidate in epoch..=last {
            if present.contains(&candidate) {
                continue;
            }
            let key = DataKey::generate()?;
            let wrapped = seal(
                self.store_key.wrapping_key(),
                &epoch_ad(candidate)?,
                &key.to_wrappable(),
            )?;
            created.push(candidate);
            conn.prepare_cached("INSERT INTO epoch_keys (epoch, wrapped) VALUES (?1, ?2)")?
                .execute(params![candidate, wrapped])?;
            self.epochs.insert(candidate, key);
        }
        Ok(())
    }

    /// Loads the keys of `low..=high` not in memory yet and returns every epoch of the
    /// range that has a row (whether or not its key opened).
    fn load_range(&mut self, conn: &Connection, low: i64, high: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64, Vec<u8>)> = conn
            .prepare_cached("SELECT epoch, wrapped FROM epoch_keys WHERE epoch BETWEEN ?1 AND ?2")?
            .query_map([low, high], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut present = Vec::with_capacity(rows.len());
        for (epoch, wrapped) in rows {
            present.push(epoch);
            if !self.epochs.contains_key(&epoch) {
                if let Ok(key) = self.unwrap_epoch(epoch, &wrapped) {
                    self.epochs.insert(epoch, key);
                }
            }
        }
        Ok(present)
    }

    /// Loads, with one query, the keys among `epochs` that are not in memory yet. A listing
    /// calls it first so that it does not look keys up row by row; a key that is missing
    /// or does not open is left out, for the row that needs it to report.
    pub(crate) fn preload_epochs(
        &mut self,
        conn: &Connection,
        epochs: impl Iterator<Item = i64> + Clone,
    ) -> Result<()> {
        // The usual listing is a run of days whose keys are all in memory already: if the
        // keys held for `low..=high` are as many as the days in it, none of them is missing,
        // and one walk over that range replaces a lookup per row.
        let bounds = epochs.clone().fold(None, |bounds, epoch| match bounds {
            None => Some((epoch, epoch)),
            Some((low, high)) => Some((i64::min(low, epoch), i64::max(high, epoch))),
        });
        let Some((low, high)) = bounds else {
            return Ok(());
        };
        let days = high
            .checked_sub(low)
            .and_then(|span| usize::try_from(span).ok())
            .and_then(|span| span.checked_add(1));
        if days == Some(self.epochs.range(low..=high).count()) {
            return Ok(());
        }
        let mut missing = epochs
            .filter(|epoch| !self.epochs.contains_key(epoch))
            .peekable();
        let Some(&first) = missing.peek() else {
            return Ok(());
        };
        // The epochs of a listing are a run of days, so one range covers them.
        let (low, high) = missing.fold((first, first), |(low, high), epoch| {
            (low.min(epoch), high.max(epoch))
        });
        self.load_range(conn, low, high)?;
        Ok(())
    }

    /// The key of an existing epoch; `Corrupt` if it is missing or damaged.
    pub(crate) fn epoch(&mut self, conn: &Connection, epoch: i64) -> Result<&DataKey> {
        // One search on the path every opened row takes (the key in memory).
        match self.epochs.entry(epoch) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => {
                let key = load_epoch(&self.store_key, conn, epoch)?
                    .ok_or_else(|| Error::corrupt(format!("epoch_key:{epoch}")))?;
                Ok(entry.insert(key))
            }
        }
    }

    fn load_epoch(&self, conn: &Connection, epoch: i64) -> Result<Option<DataKey>> {
        load_epoch(&self.store_key, conn, epoch)
    }

    fn unwrap_epoch(&self, epoch: i64, wrapped: &[u8]) -> Result<DataKey> {
        unwrap_epoch(&self.store_key, epoch, wrapped)
    }

    /// Forgets the in-memory copies of epoch keys that were shredded (dropping zeroizes).
    pub(crate) fn forget_epochs(&mut self, shredded: impl Fn(i64) -> bool) {
        self.epochs.retain(|epoch, _| !shredded(*epoch));
    }

    /// Seals a row's plaintext under its epoch key, bound to table, id and epoch.
    pub(crate) fn seal_row(
        &mut self,
        conn: &Connection,
        table: &str,
        id: &str,
        epoch: i64,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let ad = AssociatedData::record(table, id, epoch)?;
        let key = self.ensure_epoch(conn, epoch)?;
        seal(key, &ad, plaintext)
    }

    /// Opens a sealed row; `Corrupt` names the row (`records/<id>`) when it does not open.
    pub(crate) fn open_row(
        &mut self,
        conn: &Connection,
        table: &str,
        id: &str,
        epoch: i64,
        sealed: &[u8],
    ) -> Result<Plaintext> {
        self.open_row_in_place(conn, table, id, epoch, sealed.to_vec())
    }

    /// [`Keyring::open_row`] in the row's own buffer, without a copy: for rows read only to
    /// be opened. The buffer is zeroed when the plaintext is dropped, or at once on failure.
    pub(crate) fn open_row_in_place(
        &mut self,
        conn: &Connection,
        table: &str,
        id: &str,
        epoch: i64,
        sealed: Vec<u8>,
    ) -> Result<Plaintext> {
        let corrupt = || Error::corrupt(format!("{table}/{id}"));
        // An id too long to be one of ours was not written by this store.
        let ad = AssociatedData::record(table, id, epoch).map_err(|_| corrupt())?;
        let key = self.epoch(conn, epoch)?;
        open_in_place(key, &ad, sealed).map_err(|_| corrupt())
    }
}

fn load_epoch(store_key: &StoreKey, conn: &Connection, epoch: i64) -> Result<Option<DataKey>> {
    let wrapped: Option<Vec<u8>> = conn
        .prepare_cached("SELECT wrapped FROM epoch_keys WHERE epoch = ?1")?
        .query_row([epoch], |row| row.get(0))
        .optional()?;
    match wrapped {
        Some(wrapped) => unwrap_epoch(store_key, epoch, &wrapped).map(Some),
        None => Ok(None),
    }
}

fn unwrap_epoch(store_key: &StoreKey, epoch: i64, wrapped: &[u8]) -> Result<DataKey> {
    let corrupt = || Error::corrupt(format!("epoch_key:{epoch}"));
    let plaintext =
        open(store_key.wrapping_key(), &epoch_ad(epoch)?, wrapped).map_err(|_| corrupt())?;
    let bytes: [u8; 32] = plaintext.as_slice().try_into().map_err(|_| corrupt())?;
    Ok(DataKey::from_bytes(bytes))
}

/// Overwrites the wrapped store key and canary so the files cannot be opened even if
/// their blocks are recovered after deletion (crypto-shredding of the whole store).
pub(crate) fn shred_store_key(conn: &Connection) -> Result<()> {
    for name in ["store_key", "canary"] {
        conn.execute(
            "UPDATE meta SET value = zeroblob(length(value)) WHERE name = ?1",
            [name],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::test_support::new_store;

    const EPOCH: i64 = 20_800;

    fn store() -> (tempfile::TempDir, Store) {
        new_store(1)
    }

    fn corrupt_name(result: Result<Plaintext>) -> String {
        match result {
            Err(Error::Corrupt { record }) => record,
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn remembered_profile_indexes_are_the_blind_indexes_and_stay_bounded() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let keys = &mut guard.keys;
        let fresh = |keys: &Keyring, id: &str| keys.blind_index("profile", &[id.as_bytes()]);
        let first = keys.profile_index("p-0");
        assert_eq!(first, fresh(keys, "p-0"));
        // A second call is answered from memory, with the same value.
        assert_eq!(keys.profile_index("p-0"), first);
        assert_ne!(keys.profile_index("p-1"), first);
        for n in 0..3 * MAX_PROFILE_INDEXES {
            let id = format!("p-{n}");
            assert_eq!(keys.profile_index(&id), fresh(keys, &id));
            assert!(keys.profile_indexes.len() <= MAX_PROFILE_INDEXES);
        }
        assert_eq!(keys.profile_index("p-0"), first);
    }

    #[test]
    fn a_row_opens_in_place_and_from_a_copy_alike() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        let sealed = inner
            .keys
            .seal_row(&inner.conn, "records", "r1", EPOCH, b"{\"a\":1}")
            .unwrap();
        let copied = inner
            .keys
            .open_row(&inner.conn, "records", "r1", EPOCH, &sealed)
            .unwrap();
        let in_place = inner
            .keys
            .open_row_in_place(&inner.conn, "records", "r1", EPOCH, sealed)
            .unwrap();
        assert_eq!(copied.as_slice(), b"{\"a\":1}");
        assert_eq!(in_place.as_slice(), copied.as_slice());
    }

    #[test]
    fn a_tampered_or_moved_row_is_corrupt_and_names_the_row() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        let sealed = inner
            .keys
            .seal_row(&inner.conn, "records", "r1", EPOCH, b"value")
            .unwrap();
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x80;
            let opened =
                inner
                    .keys
                    .open_row_in_place(&inner.conn, "records", "r1", EPOCH, tampered);
            assert_eq!(corrupt_name(opened), "records/r1", "byte {i}");
        }
        let moved =
            inner
                .keys
                .open_row_in_place(&inner.conn, "records", "r2", EPOCH, sealed.clone());
        assert_eq!(corrupt_name(moved), "records/r2");
        let other_table =
            inner
                .keys
                .open_row_in_place(&inner.conn, "profiles", "r1", EPOCH, sealed);
        assert_eq!(corrupt_name(other_table), "profiles/r1");
    }

    #[test]
    fn preloading_a_listing_loads_the_keys_missing_from_memory_and_only_those() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        for epoch in 10..=13 {
            inner.keys.ensure_epoch(&inner.conn, epoch).unwrap();
        }
        let held = |keys: &Keyring| keys.epochs.keys().copied().collect::<Vec<_>>();
        // Every key in memory: nothing changes.
        inner
            .keys
            .preload_epochs(&inner.conn, [12, 10, 11].into_iter())
            .unwrap();
        assert_eq!(held(&inner.keys), [STANDING_EPOCH, 10, 11, 12, 13]);
        // A key forgotten in memory, inside the run of days: loaded again.
        inner.keys.forget_epochs(|epoch| epoch == 11);
        inner
            .keys
            .preload_epochs(&inner.conn, [10, 11, 12].into_iter())
            .unwrap();
        assert_eq!(held(&inner.keys), [STANDING_EPOCH, 10, 11, 12, 13]);
        // Rows of days 10 and 13 while 11 and 12 are not in memory: nothing to load, as
        // no row needs them.
        inner.keys.forget_epochs(|epoch| epoch == 11 || epoch == 12);
        inner
            .keys
            .preload_epochs(&inner.conn, [13, 10].into_iter())
            .unwrap();
        assert_eq!(held(&inner.keys), [STANDING_EPOCH, 10, 13]);
        // A row of an epoch without a key anywhere: left for the row to report.
        inner
            .keys
            .preload_epochs(&inner.conn, [10, 40].into_iter())
            .unwrap();
        assert_eq!(held(&inner.keys), [STANDING_EPOCH, 10, 13]);
        assert_eq!(
            corrupt_name(inner.keys.open_row_in_place(
                &inner.conn,
                "records",
                "r",
                40,
                vec![1; 40]
            )),
            "epoch_key:40"
        );
        inner
            .keys
            .preload_epochs(&inner.conn, [].into_iter())
            .unwrap();
    }

    #[test]
    fn a_window_of_epoch_keys_is_created_once_each_and_opens_from_disk() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        inner.keys.ensure_epoch(&inner.conn, 105).unwrap();
        // 41 epochs, one present: 40 new keys.
        let mut created = Vec::new();
        inner
            .keys
            .ensure_epochs_from(&inner.conn, 100, 40, &mut created)
            .unwrap();
        let expected: Vec<i64> = (100..=140).filter(|epoch| *epoch != 105).collect();
        assert_eq!(created, expected);
        let on_disk: Vec<i64> = inner
            .conn
            .prepare("SELECT epoch FROM epoch_keys WHERE epoch >= 100 ORDER BY epoch")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(on_disk, (100..=140).collect::<Vec<_>>());
        // Each row unwraps to the key held in memory.
        for epoch in 100..=140 {
            let loaded = inner.keys.load_epoch(&inner.conn, epoch).unwrap().unwrap();
            assert_eq!(loaded.bytes(), inner.keys.epochs[&epoch].bytes(), "{epoch}");
        }
        // Forgotten in memory, the window is found complete on disk: nothing is written.
        inner.keys.forget_epochs(|epoch| epoch >= 100);
        let mut again = Vec::new();
        inner
            .keys
            .ensure_epochs_from(&inner.conn, 100, 40, &mut again)
            .unwrap();
        assert!(again.is_empty());
        assert!(inner.keys.epochs.contains_key(&100));
    }

    #[test]
    fn an_id_too_long_for_associated_data_is_corrupt_not_a_panic() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        let sealed = inner
            .keys
            .seal_row(&inner.conn, "records", "r1", EPOCH, b"value")
            .unwrap();
        let long_id = "f".repeat(300);
        let opened = inner
            .keys
            .open_row_in_place(&inner.conn, "records", &long_id, EPOCH, sealed);
        assert_eq!(corrupt_name(opened), format!("records/{long_id}"));
        // Sealing under such an id is refused with a typed error too.
        assert!(matches!(
            inner
                .keys
                .seal_row(&inner.conn, "records", &long_id, EPOCH, b"value"),
            Err(Error::Crypto(_))
        ));
    }
}
