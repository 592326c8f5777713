//! Profiles: the people on this device, sealed under the standing epoch.

use rusqlite::params;

use super::rows::{decode, encode};
use super::{STANDING_EPOCH, Store};
use crate::crypto::random_id;
use crate::error::{Error, Result};
use crate::model::{Profile, ProfileId, ValidatedProfile};

const TABLE: &str = "profiles";

impl Store {
    /// Stores a new profile under a fresh random id.
    pub fn add_profile(&self, profile: ValidatedProfile) -> Result<Profile> {
        let id = ProfileId::from_random_bytes(random_id()?);
        let profile = profile.into_profile(id);
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
        let sealed: Vec<u8> = inner
            .conn
            .prepare_cached("SELECT sealed FROM profiles WHERE id = ?1")?
            .query_row([id.as_str()], |row| row.get(0))
            .map_err(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => Error::NotFound {
                    what: "profile",
                    id: id.to_string(),
                },
                other => other.into(),
            })?;
        let plaintext =
            inner
                .keys
                .open_row(&inner.conn, TABLE, id.as_str(), STANDING_EPOCH, &sealed)?;
        decode(TABLE, id.as_str(), &plaintext)
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
