//! The app's key store, seen by the core: [`KeySource`] is implemented in Kotlin over the
//! Android Keystore and in Swift over the Keychain, and wraps the 32-byte store key.

use std::num::NonZeroU32;
use std::sync::Arc;

use selfreport_core::crypto::{
    KeyMaterial, KeySource as CoreKeySource, KeySourceError as CoreKeySourceError,
    PassphraseKeySource,
};
use zeroize::{Zeroize, Zeroizing};

/// Why a key source could not wrap or unwrap the store key. Thrown by the app's
/// [`KeySource`]; any other exception it throws arrives as `Failed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum KeySourceError {
    /// The blob does not open with this source's key (wrong passphrase, other device).
    #[error("the key does not match")]
    WrongKey,
    /// The platform key is gone for good (keystore reset, app data restored elsewhere).
    #[error("key unavailable: {reason}")]
    Unavailable {
        /// What the platform reported.
        reason: String,
    },
    /// Anything else; the operation may succeed later.
    #[error("key source failed: {reason}")]
    Failed {
        /// What went wrong.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeySourceError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // Foreign bindings pass the whole exception text (Kotlin: its stack trace); the
        // first line names the exception and its message, which is what a log needs.
        let first_line = error.reason.lines().next().unwrap_or_default();
        KeySourceError::Failed {
            reason: format!("the key source threw: {first_line}"),
        }
    }
}

impl From<KeySourceError> for CoreKeySourceError {
    fn from(error: KeySourceError) -> Self {
        match error {
            KeySourceError::WrongKey => CoreKeySourceError::WrongKey,
            KeySourceError::Unavailable { reason } => CoreKeySourceError::Unavailable { reason },
            KeySourceError::Failed { reason } => CoreKeySourceError::Failed { reason },
        }
    }
}

impl From<CoreKeySourceError> for KeySourceError {
    fn from(error: CoreKeySourceError) -> Self {
        match error {
            CoreKeySourceError::WrongKey => KeySourceError::WrongKey,
            CoreKeySourceError::Unavailable { reason } => KeySourceError::Unavailable { reason },
            CoreKeySourceError::Failed { reason } => KeySourceError::Failed { reason },
        }
    }
}

/// Wraps and unwraps the store key with a key the platform keeps (Android Keystore,
/// iOS Keychain). `unwrap(wrap(k))` must give `k` back; a blob made by another key must
/// throw `WrongKey`, a key the platform lost `Unavailable`.
///
/// The core calls it when a store is created or opened and when the key is changed,
/// always on one of its own threads (never the caller's), never in a loop.
/// Implementations should zero the bytes they are given once done.
#[uniffi::export(with_foreign)]
pub trait KeySource: Send + Sync {
    /// Wraps the 32-byte store key into an opaque blob the store keeps.
    fn wrap(&self, key: Vec<u8>) -> Result<Vec<u8>, KeySourceError>;
    /// Recovers the 32-byte store key from a blob made by `wrap`.
    fn unwrap(&self, blob: Vec<u8>) -> Result<Vec<u8>, KeySourceError>;
}

/// A key source deriving its key from a passphrase (PBKDF2-HMAC-SHA256, 600,000
/// iterations): for desktop tools, tests and apps that ask for a passphrase.
struct Passphrase(PassphraseKeySource);

impl KeySource for Passphrase {
    fn wrap(&self, key: Vec<u8>) -> Result<Vec<u8>, KeySourceError> {
        let key = Zeroizing::new(key);
        let material = KeyMaterial::from_slice(&key).ok_or_else(|| KeySourceError::Failed {
            reason: "the store key must be 32 bytes".to_owned(),
        })?;
        Ok(self.0.wrap(&material)?)
    }

    fn unwrap(&self, blob: Vec<u8>) -> Result<Vec<u8>, KeySourceError> {
        Ok(self.0.unwrap(&blob)?.expose().to_vec())
    }
}

/// A passphrase key source. `iterations` 0 means the default (600,000); lower counts
/// are for tests only.
#[uniffi::export]
pub fn passphrase_key_source(passphrase: String, iterations: u32) -> Arc<dyn KeySource> {
    let mut source = PassphraseKeySource::new(Zeroizing::new(passphrase));
    if let Some(iterations) = NonZeroU32::new(iterations) {
        source = source.with_iterations(iterations);
    }
    Arc::new(Passphrase(source))
}

/// The app's key source as the core's: copies the store key into a zeroized buffer on
/// the way out and checks the length of what comes back.
pub(crate) struct Bridge(pub(crate) Arc<dyn KeySource>);

impl CoreKeySource for Bridge {
    fn wrap(&self, key: &KeyMaterial) -> Result<Vec<u8>, CoreKeySourceError> {
        Ok(self.0.wrap(key.expose().to_vec())?)
    }

    fn unwrap(&self, blob: &[u8]) -> Result<KeyMaterial, CoreKeySourceError> {
        let mut bytes = self.0.unwrap(blob.to_vec())?;
        let key = KeyMaterial::from_slice(&bytes);
        bytes.zeroize();
        key.ok_or_else(|| CoreKeySourceError::Failed {
            reason: "the key source returned a key that is not 32 bytes".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_source_round_trips_and_refuses_other_passphrases() {
        let source = passphrase_key_source("correct horse".into(), 1_000);
        let key = vec![7u8; 32];
        let blob = source.wrap(key.clone()).unwrap();
        assert_eq!(source.unwrap(blob.clone()).unwrap(), key);
        let other = passphrase_key_source("battery staple".into(), 1_000);
        assert_eq!(other.unwrap(blob), Err(KeySourceError::WrongKey));
    }

    struct ShortKey;
    impl KeySource for ShortKey {
        fn wrap(&self, key: Vec<u8>) -> Result<Vec<u8>, KeySourceError> {
            Ok(key)
        }
        fn unwrap(&self, _blob: Vec<u8>) -> Result<Vec<u8>, KeySourceError> {
            Ok(vec![1, 2, 3])
        }
    }

    #[test]
    fn a_key_of_the_wrong_length_is_a_failure_not_a_panic() {
        let bridge = Bridge(Arc::new(ShortKey));
        assert!(matches!(
            bridge.unwrap(&[0u8; 32]),
            Err(CoreKeySourceError::Failed { .. })
        ));
    }
}
