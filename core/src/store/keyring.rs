//! The store's keys on disk and in memory: the wrapped store key, the canary that tells a
//! wrong key from damage, and the epoch keys that seal rows and are shredded at purge.
//!
//! On disk (`meta` table): `store_key` (the key source's blob) with `store_key_digest`
//! (SHA-256 of the blob) and `canary` (a constant sealed under a key derived from the store
//! key) with `canary_digest`. The digests are not secrets; they only tell accidental or
//! deliberate damage (`Corrupt`) apart from a key that does not match (`WrongKey`).
//!
//! Epoch keys live in pages of consecutive epochs, also in `meta` (`epoch_page/<n>`, see
//! [`super::epoch_pages`]), sealed under the wrapping key (before schema version 3, one
//! wrapped key per row of an `epoch_keys` table). Unlocking reads `meta` whole with one
//! statement and opens every page, so reading rows afterwards finds their keys in memory.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{Connection, OptionalExtension, params};

use super::epoch_key_set::EpochKeySet;
use super::epoch_pages::{DamagedPage, epochs_of, open_page, page_of, seal_page};

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
    /// Every epoch key of the store, opened from its page at unlock (or created since):
    /// each opened row finds its key here with a binary search.
    epochs: EpochKeySet,
    /// Pages that did not open at unlock or since: the rows of their epochs report
    /// `Corrupt` (naming the epoch key) instead of being looked up again and again.
    damaged_pages: BTreeSet<i64>,
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

/// What `unlock` reads from `meta`, with one statement: on a fresh connection every
/// statement is compiled and takes its own read lock, and this runs at every app start.
#[derive(Default)]
struct UnlockMeta {
    store_key: Option<Vec<u8>>,
    store_key_digest: Option<Vec<u8>>,
    canary: Option<Vec<u8>>,
    canary_digest: Option<Vec<u8>>,
    /// Sealed pages of epoch keys, by page number.
    pages: Vec<(i64, Vec<u8>)>,
}

fn read_unlock_meta(conn: &Connection) -> Result<UnlockMeta> {
    let mut meta = UnlockMeta::default();
    // `meta` holds the key material only: reading it whole is one walk over a few pages.
    let mut statement = conn.prepare("SELECT name, value FROM meta")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        // The column is `TEXT` in a `STRICT` table: anything else is damage.
        let name = row
            .get_ref(0)?
            .as_str()
            .map_err(|_| Error::corrupt("meta"))?;
        let slot = match name {
            "store_key" => &mut meta.store_key,
            "store_key_digest" => &mut meta.store_key_digest,
            "canary" => &mut meta.canary,
            "canary_digest" => &mut meta.canary_digest,
            other => {
                // A name this version does not know is left alone (not ours to judge).
                if let Some(page) = page_number(other) {
                    meta.pages.push((page, row.get(1)?));
                }
                continue;
            }
        };
        *slot = Some(row.get(1)?);
    }
    Ok(meta)
}

/// The `meta` name of a page of epoch keys.
fn page_name(page: i64) -> String {
    format!("{PAGE_PREFIX}{page}")
}

/// The page number in a `meta` name, if it names a page.
fn page_number(name: &str) -> Option<i64> {
    name.strip_prefix(PAGE_PREFIX)?.parse().ok()
}

const PAGE_PREFIX: &str = "epoch_page/";

fn write_meta(conn: &Connection, name: &str, value: &[u8]) -> Result<()> {
    // Cached: a window of new epoch keys rewrites a page or two every couple of weeks.
    conn.prepare_cached(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![name, value])?;
    Ok(())
}

/// A blob read from `meta`, checked against its stored digest.
fn checked(value: Option<Vec<u8>>, digest: Option<Vec<u8>>, name: &str) -> Result<Vec<u8>> {
    let (Some(value), Some(digest)) = (value, digest) else {
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
            epochs: EpochKeySet::default(),
            damaged_pages: BTreeSet::new(),
            profile_indexes: HashMap::new(),
        };
        keyring.ensure_epoch(conn, STANDING_EPOCH)?;
        Ok(keyring)
    }

    /// Unwraps the store key, checks the canary and opens every page of epoch keys. Reads
    /// only; writes nothing. A page that does not open is remembered as damaged: the rows
    /// it keys report `Corrupt`, everything else reads.
    pub(crate) fn unlock(conn: &Connection, source: &dyn KeySource) -> Result<Self> {
        let meta = read_unlock_meta(conn)?;
        let wrapped = checked(meta.store_key, meta.store_key_digest, "store_key")?;
        let material = source.unwrap(&wrapped).map_err(key_source_error)?;
        let store_key = StoreKey::new(material)?;
        let canary = checked(meta.canary, meta.canary_digest, "canary")?;
        // The canary's bytes are intact (digest checked), so a failure here means the key
        // source returned a key that is not this store's.
        match open(store_key.canary_key(), &canary_ad()?, &canary) {
            Ok(plaintext) if plaintext.as_slice() == CANARY_PLAINTEXT => {}
            _ => return Err(Error::WrongKey),
        }
        // Every page's keys, in one ordered collection built at once rather than key by key.
        let mut keys = Vec::new();
        let mut damaged_pages = BTreeSet::new();
        for (page, sealed) in meta.pages {
            match open_page(store_key.wrapping_key(), page, sealed) {
                Ok(opened) => keys.extend(opened),
                Err(DamagedPage) => {
                    damaged_pages.insert(page);
                }
            }
        }
        Ok(Self {
            store_key,
            epochs: EpochKeySet::from_keys(keys),
            damaged_pages,
            profile_indexes: HashMap::new(),
        })
    }

    /// Puts the keys of one page, as read from disk, in memory in place of those held.
    fn take_page(&mut self, page: i64, sealed: Vec<u8>) {
        match open_page(self.store_key.wrapping_key(), page, sealed) {
            Ok(keys) => {
                self.damaged_pages.remove(&page);
                self.epochs.replace_range(epochs_of(page), keys);
            }
            Err(DamagedPage) => {
                self.damaged_pages.insert(page);
            }
        }
    }

    /// Reads one page again (another connection may have written it since unlock). A page
    /// not on disk is not damaged either; keys held in memory are left as they are then.
    fn reload_page(&mut self, conn: &Connection, page: i64) -> Result<()> {
        let sealed: Option<Vec<u8>> = conn
            .prepare_cached("SELECT value FROM meta WHERE name = ?1")?
            .query_row([page_name(page)], |row| row.get(0))
            .optional()?;
        match sealed {
            Some(sealed) => self.take_page(page, sealed),
            None => {
                self.damaged_pages.remove(&page);
            }
        }
        Ok(())
    }

    /// Seals the keys held for `page` and writes the page (or deletes it if none is left).
    fn write_page(&self, conn: &Connection, page: i64) -> Result<()> {
        let mut keys = self.epochs.range(epochs_of(page)).peekable();
        if keys.peek().is_none() {
            conn.prepare_cached("DELETE FROM meta WHERE name = ?1")?
                .execute([page_name(page)])?;
            return Ok(());
        }
        let sealed = seal_page(self.store_key.wrapping_key(), page, keys)?;
        write_meta(conn, &page_name(page), &sealed)
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
    /// held in memory as soon as its page is written.
    pub(crate) fn ensure_epoch(&mut self, conn: &Connection, epoch: i64) -> Result<&DataKey> {
        if !self.epochs.contains(epoch) {
            let mut created = Vec::new();
            if let Err(error) = self.ensure_epochs_from(conn, epoch, 0, &mut created) {
                self.forget_epochs(|epoch| created.contains(&epoch));
                return Err(error);
            }
        }
        self.epochs
            .get(epoch)
            .ok_or_else(|| Error::corrupt(format!("epoch_key:{epoch}")))
    }

    /// Makes sure the keys of `epoch` and the `ahead` epochs after it exist, creating the
    /// missing ones. Daily reports move forward a day at a time, so the next days' saves
    /// find their key ready instead of each rewriting a page. Keys that end up sealing
    /// nothing are shredded at purge like any other. Pushes the epochs it creates onto
    /// `created`, for the caller to forget if its transaction fails (even when this call
    /// fails part-way); its own writes are all or nothing (one savepoint).
    pub(crate) fn ensure_epochs_from(
        &mut self,
        conn: &Connection,
        epoch: i64,
        ahead: i64,
        created: &mut Vec<i64>,
    ) -> Result<()> {
        if self.epochs.contains(epoch) {
            return Ok(());
        }
        let last = epoch.saturating_add(ahead.max(0));
        conn.execute_batch("SAVEPOINT ensure_epochs")?;
        let mut written = Vec::new();
        let result = self.create_missing(conn, epoch, last, &mut written);
        created.extend_from_slice(&written);
        match result {
            Ok(()) => {
                conn.execute_batch("RELEASE ensure_epochs")?;
                Ok(())
            }
            Err(error) => {
                // Undo this call's writes whether or not the caller's transaction goes on.
                let _ = conn.execute_batch("ROLLBACK TO ensure_epochs; RELEASE ensure_epochs");
                Err(error)
            }
        }
    }

    /// [`Keyring::ensure_epochs_from`]'s work, page by page: each page is read again
    /// inside the savepoint (what another connection wrote is kept), the missing keys are
    /// added and the page is written back.
    fn create_missing(
        &mut self,
        conn: &Connection,
        first: i64,
        last: i64,
        created: &mut Vec<i64>,
    ) -> Result<()> {
        for page in page_of(first)..=page_of(last) {
            let span = epochs_of(page);
            let (low, high) = (first.max(*span.start()), last.min(*span.end()));
            self.reload_page(conn, page)?;
            if self.damaged_pages.contains(&page) {
                // Rewriting it would throw away the keys it holds: report it for the save.
                return Err(Error::corrupt(format!("epoch_key:{low}")));
            }
            let missing: Vec<i64> = (low..=high)
                .filter(|epoch| !self.epochs.contains(*epoch))
                .collect();
            if missing.is_empty() {
                continue;
            }
            for &epoch in &missing {
                self.epochs.insert(epoch, DataKey::generate()?);
                created.push(epoch);
            }
            self.write_page(conn, page)?;
        }
        Ok(())
    }

    /// The key of an existing epoch; `Corrupt` if it is missing or damaged.
    pub(crate) fn epoch(&mut self, conn: &Connection, epoch: i64) -> Result<&DataKey> {
        if !self.epochs.contains(epoch) {
            // Not held since unlock: another connection may have written it since.
            let page = page_of(epoch);
            if !self.damaged_pages.contains(&page) {
                self.reload_page(conn, page)?;
            }
        }
        self.epochs
            .get(epoch)
            .ok_or_else(|| Error::corrupt(format!("epoch_key:{epoch}")))
    }

    /// Shreds the keys of `low..=high` in the transaction `conn` is in: each page holding
    /// some is rewritten without them, or deleted when none is left. A damaged page is
    /// deleted once all of its epochs are in the range (its keys no longer open anyway);
    /// before that it is left for the rows it keys to report. Returns the keys shredded.
    /// Call [`Keyring::forget_epochs`] once the transaction has committed.
    pub(crate) fn shred_epochs(&mut self, conn: &Connection, low: i64, high: i64) -> Result<usize> {
        let (first, last) = (page_of(low), page_of(high));
        let pages: Vec<(String, Vec<u8>)> = conn
            .prepare("SELECT name, value FROM meta WHERE name LIKE 'epoch!_page/%' ESCAPE '!'")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let pages = pages.into_iter().filter_map(|(name, sealed)| {
            page_number(&name)
                .filter(|page| (first..=last).contains(page))
                .map(|page| (page, sealed))
        });
        let mut shredded = 0;
        for (page, sealed) in pages {
            let span = epochs_of(page);
            match open_page(self.store_key.wrapping_key(), page, sealed) {
                Ok(keys) => {
                    let held = keys.len();
                    // What stays is taken from the page as read, not from memory; the
                    // keys left out are dropped here (zeroized).
                    let kept: Vec<(i64, DataKey)> = keys
                        .into_iter()
                        .filter(|(epoch, _)| !(low..=high).contains(epoch))
                        .collect();
                    if kept.len() == held {
                        continue;
                    }
                    shredded += held - kept.len();
                    self.epochs.replace_range(span, kept);
                    self.write_page(conn, page)?;
                }
                Err(DamagedPage) => {
                    if low <= *span.start() && *span.end() <= high {
                        conn.execute("DELETE FROM meta WHERE name = ?1", [page_name(page)])?;
                        self.damaged_pages.remove(&page);
                    }
                }
            }
        }
        Ok(shredded)
    }

    /// Moves the keys of a version 2 store (one wrapped key per `epoch_keys` row) into
    /// pages, in the transaction of the migration to version 3 (which then drops the
    /// table), and holds them in memory. A key that does not unwrap was lost before: the
    /// rows it sealed report `Corrupt` naming it, as they did.
    pub(crate) fn adopt_wrapped_epoch_keys(&mut self, conn: &Connection) -> Result<()> {
        let wrapped: Vec<(i64, Vec<u8>)> = conn
            .prepare("SELECT epoch, wrapped FROM epoch_keys")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut pages = BTreeSet::new();
        for (epoch, wrapped) in wrapped {
            let Ok(key) = unwrap_epoch(&self.store_key, epoch, &wrapped) else {
                continue;
            };
            self.epochs.insert(epoch, key);
            pages.insert(page_of(epoch));
        }
        for page in pages {
            self.write_page(conn, page)?;
        }
        Ok(())
    }

    /// Forgets the in-memory copies of epoch keys that were shredded (dropping zeroizes).
    pub(crate) fn forget_epochs(&mut self, shredded: impl Fn(i64) -> bool) {
        self.epochs.retain(|epoch| !shredded(epoch));
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

/// Opens one key wrapped the version 2 way (one AEAD value per epoch).
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
    use crate::store::test_support::{key_source, new_store};
    use crate::store::{Inner, Store};

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
    fn a_key_not_held_is_read_from_its_page_and_a_missing_one_is_corrupt() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        let key = *inner.keys.ensure_epoch(&inner.conn, EPOCH).unwrap().bytes();
        // Forgotten in memory (as if another connection had written it after unlock):
        // read again from its page.
        inner.keys.forget_epochs(|epoch| epoch == EPOCH);
        assert_eq!(inner.keys.epoch(&inner.conn, EPOCH).unwrap().bytes(), &key);
        // An epoch without a key anywhere: the row that needs it reports it.
        assert_eq!(
            corrupt_name(inner.keys.open_row_in_place(
                &inner.conn,
                "records",
                "r",
                EPOCH + 1,
                vec![1; 40]
            )),
            format!("epoch_key:{}", EPOCH + 1)
        );
    }

    /// The sealed bytes of `page` on disk.
    fn sealed_page(inner: &Inner, page: i64) -> Vec<u8> {
        inner
            .conn
            .query_row(
                "SELECT value FROM meta WHERE name = ?1",
                [page_name(page)],
                |row| row.get(0),
            )
            .unwrap()
    }

    /// The keys of `page` as sealed on disk, opened.
    fn page_on_disk(inner: &Inner, page: i64) -> Vec<(i64, [u8; 32])> {
        open_page(
            inner.keys.store_key.wrapping_key(),
            page,
            sealed_page(inner, page),
        )
        .unwrap()
        .iter()
        .map(|(epoch, key)| (*epoch, *key.bytes()))
        .collect()
    }

    fn held(keys: &Keyring, epochs: std::ops::RangeInclusive<i64>) -> Vec<(i64, [u8; 32])> {
        keys.epochs
            .range(epochs)
            .map(|(epoch, key)| (epoch, *key.bytes()))
            .collect()
    }

    #[test]
    fn a_window_of_epoch_keys_is_created_once_each_in_its_pages() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        inner.keys.ensure_epoch(&inner.conn, 105).unwrap();
        // 41 epochs over two pages (96..=127 and 128..=159), one present: 40 new keys.
        let mut created = Vec::new();
        inner
            .keys
            .ensure_epochs_from(&inner.conn, 100, 40, &mut created)
            .unwrap();
        let expected: Vec<i64> = (100..=140).filter(|epoch| *epoch != 105).collect();
        assert_eq!(created, expected);
        // Each page on disk holds exactly the keys held in memory.
        assert_eq!(page_on_disk(inner, 3), held(&inner.keys, 96..=127));
        assert_eq!(page_on_disk(inner, 4), held(&inner.keys, 128..=159));
        assert_eq!(held(&inner.keys, 100..=140).len(), 41);
        // Forgotten in memory, the window is found complete on disk: nothing is written.
        inner.keys.forget_epochs(|epoch| epoch >= 100);
        let mut again = Vec::new();
        inner
            .keys
            .ensure_epochs_from(&inner.conn, 100, 40, &mut again)
            .unwrap();
        assert!(again.is_empty());
        assert_eq!(held(&inner.keys, 100..=140).len(), 41);
    }

    #[test]
    fn a_key_added_through_another_connection_is_kept_when_its_page_is_written_again() {
        let (dir, first) = store();
        let second = Store::open(dir.path(), &key_source(1)).unwrap();
        // The first connection makes day 100's key after the second one unlocked.
        let key_100 = {
            let mut guard = first.lock();
            let inner = &mut *guard;
            *inner.keys.ensure_epoch(&inner.conn, 100).unwrap().bytes()
        };
        // The second makes day 101's, in the same page: it reads the page again first.
        {
            let mut guard = second.lock();
            let inner = &mut *guard;
            inner.keys.ensure_epoch(&inner.conn, 101).unwrap();
            assert_eq!(
                inner.keys.epoch(&inner.conn, 100).unwrap().bytes(),
                &key_100
            );
        }
        drop((first, second));
        let reopened = Store::open(dir.path(), &key_source(1)).unwrap();
        let mut guard = reopened.lock();
        let inner = &mut *guard;
        assert_eq!(
            inner.keys.epoch(&inner.conn, 100).unwrap().bytes(),
            &key_100
        );
        assert!(inner.keys.epochs.contains(101));
    }

    #[test]
    fn a_window_whose_second_page_fails_to_write_leaves_nothing_behind() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        inner
            .conn
            .execute_batch(
                "CREATE TEMP TRIGGER fail_page_4 BEFORE INSERT ON meta
                 WHEN NEW.name = 'epoch_page/4'
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
            )
            .unwrap();
        // 100..=140: page 3 is written first, then page 4 fails.
        let mut created = Vec::new();
        let result = inner
            .keys
            .ensure_epochs_from(&inner.conn, 100, 40, &mut created);
        assert!(result.is_err());
        assert_eq!(created, (100..=140).collect::<Vec<_>>(), "all reported");
        // The savepoint undid page 3's write too.
        let pages: i64 = inner
            .conn
            .query_row(
                "SELECT count(*) FROM meta WHERE name IN ('epoch_page/3', 'epoch_page/4')",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(pages, 0);
        inner.keys.forget_epochs(|epoch| created.contains(&epoch));
        assert!(held(&inner.keys, 96..=159).is_empty());
        // Once the failure is gone, the same window is made whole.
        inner
            .conn
            .execute_batch("DROP TRIGGER fail_page_4")
            .unwrap();
        let mut again = Vec::new();
        inner
            .keys
            .ensure_epochs_from(&inner.conn, 100, 40, &mut again)
            .unwrap();
        assert_eq!(again, created);
        assert_eq!(page_on_disk(inner, 3), held(&inner.keys, 96..=127));
        assert_eq!(page_on_disk(inner, 4), held(&inner.keys, 128..=159));
    }

    #[test]
    fn shredding_rewrites_a_page_without_the_range_and_deletes_an_emptied_one() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        let mut created = Vec::new();
        inner
            .keys
            .ensure_epochs_from(&inner.conn, 100, 40, &mut created)
            .unwrap();
        let before = page_on_disk(inner, 4);
        // 100..=127 (the whole of page 3 that has keys) and 128..=130 of page 4.
        let shredded = inner.keys.shred_epochs(&inner.conn, 1, 130).unwrap();
        assert_eq!(shredded, 31);
        let mut pages: Vec<i64> = inner
            .conn
            .prepare("SELECT name FROM meta")
            .unwrap()
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap()
            .filter_map(|name| page_number(&name.unwrap()))
            .collect();
        pages.sort_unstable();
        assert_eq!(
            pages,
            [0, 4],
            "page 3 emptied and deleted; the standing page kept"
        );
        let after = page_on_disk(inner, 4);
        assert_eq!(after, before[3..].to_vec());
        assert_eq!(held(&inner.keys, 96..=159), after);
        // The standing epoch (0) is outside the range and stays.
        assert!(inner.keys.epochs.contains(STANDING_EPOCH));
        // Nothing left in the range: a second pass shreds nothing and writes nothing.
        assert_eq!(inner.keys.shred_epochs(&inner.conn, 1, 130).unwrap(), 0);
        assert_eq!(page_on_disk(inner, 4), after);
    }

    #[test]
    fn a_damaged_page_is_reported_for_its_epochs_and_never_rewritten() {
        let (_dir, store) = store();
        let mut guard = store.lock();
        let inner = &mut *guard;
        inner.keys.ensure_epoch(&inner.conn, 100).unwrap();
        let mut damaged = sealed_page(inner, 3);
        damaged[20] ^= 0x01;
        inner
            .conn
            .execute(
                "UPDATE meta SET value = ?1 WHERE name = 'epoch_page/3'",
                params![damaged],
            )
            .unwrap();
        inner.keys = Keyring::unlock(&inner.conn, &key_source(1)).unwrap();
        assert!(inner.keys.damaged_pages.contains(&3));
        // The standing page still opened.
        assert!(inner.keys.epochs.contains(STANDING_EPOCH));
        let read = inner.keys.epoch(&inner.conn, 100).map(|_| ());
        assert!(matches!(read, Err(Error::Corrupt { record }) if record == "epoch_key:100"));
        // A new key in that page would mean rewriting it: refused, the bytes stay.
        let made = inner.keys.ensure_epoch(&inner.conn, 101).map(|_| ());
        assert!(matches!(made, Err(Error::Corrupt { record }) if record == "epoch_key:101"));
        // A purge through part of the page leaves it; through all of it deletes it.
        assert_eq!(inner.keys.shred_epochs(&inner.conn, 1, 110).unwrap(), 0);
        let on_disk = |conn: &Connection| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM meta WHERE name = 'epoch_page/3'",
                [],
                |row| row.get(0),
            )
            .unwrap()
        };
        assert_eq!(on_disk(&inner.conn), 1);
        inner.keys.shred_epochs(&inner.conn, 1, 127).unwrap();
        assert_eq!(on_disk(&inner.conn), 0);
        // With the page gone, the epoch gets a fresh key.
        inner.keys.ensure_epoch(&inner.conn, 101).unwrap();
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
