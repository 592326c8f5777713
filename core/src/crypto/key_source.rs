//! Key sources: what wraps the store key. Apps implement [`KeySource`] over the platform
//! key store (Android Keystore, iOS Keychain); the core provides a passphrase source for
//! desktops and the CLI, and an in-memory source for tests and benchmarks.

use std::num::NonZeroU32;

use ring::pbkdf2;
use zeroize::Zeroizing;

use super::keys::{DataKey, KeyMaterial};
use super::random::random_array;
use super::sealing::{AssociatedData, AssociatedDataTooLong, OpenError, open, seal};

/// Why a key source could not wrap or unwrap the store key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySourceError {
    /// The blob does not open with this source's key (wrong passphrase, other device).
    #[error("the key does not match")]
    WrongKey,
    /// The platform cannot provide its key now or ever (keystore reset, locked device).
    #[error("key unavailable: {reason}")]
    Unavailable {
        /// What the platform reported.
        reason: String,
    },
    /// Anything else the key source reports.
    #[error("key source failed: {reason}")]
    Failed {
        /// What went wrong.
        reason: String,
    },
}

/// Wraps and unwraps the store key. Implementations must be deterministic in what they
/// accept: `unwrap(wrap(k)) == k`, and a blob from another key gives `WrongKey`.
pub trait KeySource: Send + Sync {
    /// Wraps the store key into an opaque blob the store keeps.
    fn wrap(&self, key: &KeyMaterial) -> Result<Vec<u8>, KeySourceError>;
    /// Recovers the store key from a blob made by `wrap`.
    fn unwrap(&self, blob: &[u8]) -> Result<KeyMaterial, KeySourceError>;
}

/// Default PBKDF2-HMAC-SHA256 iteration count (OWASP 2023 guidance).
pub const DEFAULT_PBKDF2_ITERATIONS: u32 = 600_000;
/// Largest iteration count accepted from a stored blob, so a damaged count cannot hang the app.
const MAX_PBKDF2_ITERATIONS: u32 = 20_000_000;
const PASSPHRASE_MAGIC: &[u8; 4] = b"SRPW";
const PASSPHRASE_VERSION: u8 = 1;
const SALT_LEN: usize = 16;
const HEADER_LEN: usize = 4 + 1 + 4 + SALT_LEN;

/// A key source deriving its wrapping key from a passphrase with PBKDF2-HMAC-SHA256.
///
/// Blob: `"SRPW" || version || iterations (u32 BE) || salt (16) || sealed store key`. The
/// iteration count and salt are stored with the blob, so a changed default never locks
/// anyone out.
pub struct PassphraseKeySource {
    passphrase: Zeroizing<String>,
    iterations: NonZeroU32,
}

impl PassphraseKeySource {
    /// A source for `passphrase` using [`DEFAULT_PBKDF2_ITERATIONS`] for new blobs.
    pub fn new(passphrase: Zeroizing<String>) -> Self {
        Self {
            passphrase,
            iterations: NonZeroU32::MIN.saturating_add(DEFAULT_PBKDF2_ITERATIONS - 1),
        }
    }

    /// Sets the iteration count used when wrapping. Only tests and benchmarks should lower
    /// it; unwrapping always uses the count stored in the blob.
    pub fn with_iterations(mut self, iterations: NonZeroU32) -> Self {
        self.iterations = iterations;
        self
    }

    fn derive(&self, iterations: NonZeroU32, salt: &[u8]) -> DataKey {
        let mut out = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations,
            salt,
            self.passphrase.as_bytes(),
            &mut out,
        );
        let key = DataKey::from_bytes(out);
        zeroize::Zeroize::zeroize(&mut out);
        key
    }
}

fn passphrase_ad(header: &[u8]) -> Result<AssociatedData, AssociatedDataTooLong> {
    AssociatedData::new("selfreport.passphrase-wrap/1")?.part(header)
}

fn memory_ad() -> Result<AssociatedData, AssociatedDataTooLong> {
    AssociatedData::new("selfreport.memory-wrap/1")
}

fn failed(error: impl std::fmt::Display) -> KeySourceError {
    KeySourceError::Failed {
        reason: error.to_string(),
    }
}

impl KeySource for PassphraseKeySource {
    fn wrap(&self, key: &KeyMaterial) -> Result<Vec<u8>, KeySourceError> {
        let salt = random_array::<SALT_LEN>().map_err(|error| KeySourceError::Failed {
            reason: error.to_string(),
        })?;
        let mut blob = Vec::with_capacity(HEADER_LEN + 64);
        blob.extend_from_slice(PASSPHRASE_MAGIC);
        blob.push(PASSPHRASE_VERSION);
        blob.extend_from_slice(&self.iterations.get().to_be_bytes());
        blob.extend_from_slice(&salt);
        let wrapping = self.derive(self.iterations, &salt);
        let ad = passphrase_ad(&blob).map_err(failed)?;
        let sealed = seal(&wrapping, &ad, key.expose()).map_err(failed)?;
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    fn unwrap(&self, blob: &[u8]) -> Result<KeyMaterial, KeySourceError> {
        // A blob of another format was made by another key source: not this key.
        if blob.len() < HEADER_LEN
            || &blob[..4] != PASSPHRASE_MAGIC
            || blob[4] != PASSPHRASE_VERSION
        {
            return Err(KeySourceError::WrongKey);
        }
        let header = &blob[..HEADER_LEN];
        let count = u32::from_be_bytes([blob[5], blob[6], blob[7], blob[8]]);
        let iterations = NonZeroU32::new(count)
            .filter(|n| n.get() <= MAX_PBKDF2_ITERATIONS)
            .ok_or(KeySourceError::WrongKey)?;
        let wrapping = self.derive(iterations, &blob[9..HEADER_LEN]);
        let ad = passphrase_ad(header).map_err(failed)?;
        let plaintext = open(&wrapping, &ad, &blob[HEADER_LEN..])
            .map_err(|_: OpenError| KeySourceError::WrongKey)?;
        KeyMaterial::from_slice(&plaintext).ok_or(KeySourceError::WrongKey)
    }
}

impl std::fmt::Debug for PassphraseKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassphraseKeySource")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

/// A key source holding its wrapping key in memory, standing in for a platform key store
/// in tests and benchmarks (and usable by platforms that hand out a raw key).
pub struct MemoryKeySource {
    wrapping: DataKey,
}

impl MemoryKeySource {
    /// A source wrapping with `key`.
    pub fn new(key: KeyMaterial) -> Self {
        Self {
            wrapping: DataKey::from_bytes(*key.expose()),
        }
    }
}

impl std::fmt::Debug for MemoryKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryKeySource(<redacted>)")
    }
}

impl KeySource for MemoryKeySource {
    fn wrap(&self, key: &KeyMaterial) -> Result<Vec<u8>, KeySourceError> {
        seal(&self.wrapping, &memory_ad().map_err(failed)?, key.expose()).map_err(failed)
    }

    fn unwrap(&self, blob: &[u8]) -> Result<KeyMaterial, KeySourceError> {
        let plaintext = open(&self.wrapping, &memory_ad().map_err(failed)?, blob)
            .map_err(|_| KeySourceError::WrongKey)?;
        KeyMaterial::from_slice(&plaintext).ok_or(KeySourceError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(passphrase: &str) -> PassphraseKeySource {
        PassphraseKeySource::new(Zeroizing::new(passphrase.to_owned()))
            .with_iterations(NonZeroU32::new(1_000).unwrap())
    }

    #[test]
    fn passphrase_round_trip_and_wrong_passphrase() {
        let key = KeyMaterial::generate().unwrap();
        let blob = fast("correct horse").wrap(&key).unwrap();
        assert_eq!(fast("correct horse").unwrap(&blob).unwrap(), key);
        assert_eq!(
            fast("wrong horse").unwrap(&blob),
            Err(KeySourceError::WrongKey)
        );
    }

    #[test]
    fn iteration_count_is_stored_with_the_salt() {
        let key = KeyMaterial::generate().unwrap();
        let blob = fast("p").wrap(&key).unwrap();
        assert_eq!(&blob[5..9], &1_000u32.to_be_bytes());
        // A source configured with another count still opens the blob: the blob decides.
        let other = PassphraseKeySource::new(Zeroizing::new("p".to_owned()))
            .with_iterations(NonZeroU32::new(2_000).unwrap());
        assert_eq!(other.unwrap(&blob).unwrap(), key);
        // Tampering with the count or salt fails authentication instead of opening.
        let mut tampered = blob.clone();
        tampered[8] ^= 1;
        assert!(fast("p").unwrap(&tampered).is_err());
    }

    #[test]
    fn default_iterations_are_600k() {
        let source = PassphraseKeySource::new(Zeroizing::new("p".to_owned()));
        assert_eq!(source.iterations.get(), 600_000);
        assert!(!format!("{source:?}").contains('p') || !format!("{source:?}").contains("\"p\""));
    }

    #[test]
    fn memory_source_round_trip() {
        let source = MemoryKeySource::new(KeyMaterial::generate().unwrap());
        let key = KeyMaterial::generate().unwrap();
        let blob = source.wrap(&key).unwrap();
        assert_eq!(source.unwrap(&blob).unwrap(), key);
        let other = MemoryKeySource::new(KeyMaterial::generate().unwrap());
        assert_eq!(other.unwrap(&blob), Err(KeySourceError::WrongKey));
    }
}
