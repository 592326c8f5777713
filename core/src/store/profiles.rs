//! Profiles: the people on this device, sealed under the standing epoch.

use rusqlite::params;
use serde::Serialize;

use super::monitoring::profile_index;
use super::rows::{decode, encode};
use super::{MAX_OPENED_PROFILES, STANDING_EPOCH, Store, checkpoint_truncate};
use crate::crypto::random_id;
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::model::{Profile, ProfileId, ValidatedProfile};

const TABLE: &str = "profiles";

/// What removing a profile deleted with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ProfileRemoval {
    /// Records never queued or sent, deleted.
    pub records: usize,
    /// Monitoring periods deleted.
    pub monitoring_periods: usize,
}

impl Store {
    /// Stores a new profile under a fresh random id.
    pub fn add_profile(&self, profile: ValidatedProfile) -> Result<Profile> {
        let id = ProfileId::from_random_bytes(random_id()?);
        self.insert_profile(profile.into_profile(id))
    }

    /// Stores `profile` as it is under a fresh id, unchecked: what an older version,
    /// under older rules, may have stored.
    #[cfg(test)]
    pub(crate) fn insert_profile_as_stored(&self, profile: Profile) -> Result<Profile> {
        let id = ProfileId::from_random_bytes(random_id()?);
        self.insert_profile(Profile { id, ..profile })
    }

    fn insert_profile(&self, profile: Profile) -> Result<Profile> {
        let plaintext = encode(&profile)?;
        let mut guard = self.lock();
        let inner = &mut *guard;
        let sealed = inner.keys.seal_row(
            &inner.conn,
            TABLE,
            profile.id.as_str(),
            STANDING_EPOCH,
            &plaintext,
        )?;
        inner.conn.execute(
            "INSERT INTO profiles (id, sealed) VALUES (?1, ?2)",
            params![profile.id.as_str(), sealed],
        )?;
        Ok(profile)
    }

    /// The profile with this id.
    pub fn profile(&self, id: &ProfileId) -> Result<Profile> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Some(plaintext) = inner.opened_profiles.get(id.as_str()) {
            return decode(TABLE, id.as_str(), plaintext);
        }
        let sealed: Vec<u8> = inner
            .conn
            .prepare_cached("SELECT sealed FROM profiles WHERE id = ?1")?
            .query_row([id.as_str()], |row| row.get(0))
            .map_err(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => not_found(id),
                other => other.into(),
            })?;
        let plaintext =
            inner
                .keys
                .open_row(&inner.conn, TABLE, id.as_str(), STANDING_EPOCH, &sealed)?;
        let profile = decode(TABLE, id.as_str(), &plaintext)?;
        if inner.opened_profiles.len() >= MAX_OPENED_PROFILES {
            inner.opened_profiles.clear();
        }
        inner
            .opened_profiles
            .insert(id.as_str().to_owned(), plaintext);
        Ok(profile)
    }

    /// Replaces the attributes of the profile `id` (its id stays). `NotFound` when there
    /// is no such profile. The old row's cells are zeroed (`secure_delete`) and the WAL
    /// truncated, so the attributes it replaced leave no copy in the files.
    pub fn update_profile(&self, id: &ProfileId, profile: ValidatedProfile) -> Result<Profile> {
        let profile = profile.into_profile(id.clone());
        let plaintext = encode(&profile)?;
        let mut guard = self.lock();
        let inner = &mut *guard;
        let sealed = inner.keys.seal_row(
            &inner.conn,
            TABLE,
            profile.id.as_str(),
            STANDING_EPOCH,
            &plaintext,
        )?;
        let changed = inner.conn.execute(
            "UPDATE profiles SET sealed = ?2 WHERE id = ?1",
            params![profile.id.as_str(), sealed],
        )?;
        inner.opened_profiles.remove(id.as_str());
        if changed == 0 {
            return Err(not_found(id));
        }
        checkpoint_truncate(&inner.conn)?;
        Ok(profile)
    }

    /// Removes the profile `id` with its monitoring periods, its records never queued or
    /// sent, and its pseudonyms under `policy_ids` (the installed policies), in one
    /// transaction; then truncates the WAL and vacuums, as a purge does, so the files keep
    /// no copy of them.
    ///
    /// Refused (`Conflict`, nothing changed) while the profile has a record queued or
    /// sent: the outbox holds its sealed submission and the deletion token only this
    /// device has, and the ledger refers to it; those stay until their retention ends
    /// (`purge`), so the person can still ask the drop box to delete what it holds.
    /// Epoch keys are shared by every profile's rows of the same days and are shredded by
    /// the purge, not here.
    pub fn remove_profile(&self, id: &ProfileId, policy_ids: &[String]) -> Result<ProfileRemoval> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let profile_idx = profile_index(inner, id);
        let pseudonym_ids: Vec<String> = policy_ids
            .iter()
            .map(|policy| {
                hex(&inner
                    .keys
                    .blind_index("pseudonym", &[id.as_str().as_bytes(), policy.as_bytes()])
                    .0)
            })
            .collect();
        let tx = inner.conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM profiles WHERE id = ?1)",
            [id.as_str()],
            |row| row.get(0),
        )?;
        if !exists {
            return Err(not_found(id));
        }
        let held: i64 = tx.query_row(
            "SELECT COUNT(*) FROM records WHERE profile_idx = ?1 AND state != 'saved'",
            [&profile_idx],
            |row| row.get(0),
        )?;
        if held > 0 {
            return Err(Error::Conflict(format!(
                "profile {id} has {held} report(s) queued or sent; they are kept, with the \
                 token to ask the drop box to delete them, until their retention ends \
                 (`purge`), and the profile with them"
            )));
        }
        let records = tx.execute("DELETE FROM records WHERE profile_idx = ?1", [&profile_idx])?;
        let monitoring_periods = tx.execute(
            "DELETE FROM monitoring_periods WHERE profile_idx = ?1",
            [&profile_idx],
        )?;
        for pseudonym in &pseudonym_ids {
            tx.execute("DELETE FROM pseudonyms WHERE id = ?1", [pseudonym])?;
        }
        tx.execute("DELETE FROM profiles WHERE id = ?1", [id.as_str()])?;
        tx.commit()?;
        inner.opened_profiles.remove(id.as_str());
        checkpoint_truncate(&inner.conn)?;
        inner.conn.execute_batch("PRAGMA incremental_vacuum;")?;
        checkpoint_truncate(&inner.conn)?;
        Ok(ProfileRemoval {
            records,
            monitoring_periods,
        })
    }

    /// Every profile, ordered by display name.
    pub fn profiles(&self) -> Result<Vec<Profile>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let rows: Vec<(String, Vec<u8>)> = {
            let mut statement = inner
                .conn
                .prepare_cached("SELECT id, sealed FROM profiles")?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut profiles = Vec::with_capacity(rows.len());
        for (id, sealed) in rows {
            let plaintext =
                inner
                    .keys
                    .open_row(&inner.conn, TABLE, &id, STANDING_EPOCH, &sealed)?;
            profiles.push(decode::<Profile>(TABLE, &id, &plaintext)?);
        }
        profiles.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.id.cmp(&b.id)));
        Ok(profiles)
    }
}

fn not_found(id: &ProfileId) -> Error {
    Error::NotFound {
        what: "profile",
        id: id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::model::NewProfile;
    use crate::store::test_support::{key_source, new_store};

    fn add(store: &Store, name: &str) -> Profile {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let validated = NewProfile {
            display_name: name.to_owned(),
            ..NewProfile::default()
        }
        .validate(today)
        .unwrap();
        store.add_profile(validated).unwrap()
    }

    fn opened(store: &Store) -> usize {
        store.lock().opened_profiles.len()
    }

    #[test]
    fn a_profile_read_again_comes_from_its_opened_row_and_equals_the_stored_one() {
        let (dir, store) = new_store(1);
        let added = add(&store, "Grandma");
        assert_eq!(opened(&store), 0);
        assert_eq!(store.profile(&added.id).unwrap(), added);
        assert_eq!(opened(&store), 1);
        // The second read does not touch the row: with the row gone it still answers.
        store
            .lock()
            .conn
            .execute("DELETE FROM profiles WHERE id = ?1", [added.id.as_str()])
            .unwrap();
        assert_eq!(store.profile(&added.id).unwrap(), added);
        drop(store);
        // A reopened store starts with nothing opened and reads the row again.
        let store = Store::open(dir.path(), &key_source(1)).unwrap();
        assert_eq!(opened(&store), 0);
        assert!(matches!(
            store.profile(&added.id),
            Err(Error::NotFound {
                what: "profile",
                ..
            })
        ));
    }

    #[test]
    fn changing_the_key_forgets_opened_profiles() {
        let (_dir, store) = new_store(1);
        let added = add(&store, "Grandma");
        store.profile(&added.id).unwrap();
        assert_eq!(opened(&store), 1);
        store.change_key(&key_source(2)).unwrap();
        assert_eq!(opened(&store), 0);
        assert_eq!(store.profile(&added.id).unwrap(), added);
        assert_eq!(opened(&store), 1);
    }

    #[test]
    fn opened_profiles_stay_bounded() {
        let (_dir, store) = new_store(1);
        let added: Vec<Profile> = (0..MAX_OPENED_PROFILES + 3)
            .map(|n| add(&store, &format!("Member {n}")))
            .collect();
        for profile in &added {
            assert_eq!(&store.profile(&profile.id).unwrap(), profile);
            assert!(opened(&store) <= MAX_OPENED_PROFILES);
        }
        for profile in &added {
            assert_eq!(&store.profile(&profile.id).unwrap(), profile);
        }
    }
}
