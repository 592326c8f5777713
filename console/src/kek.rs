//! The console's key-encryption key: what every secret the console keeps in its database
//! (officers' TOTP secrets now; recipient keys and revealed identities as they come) is
//! sealed under, with AES-256-GCM. It lives outside the database — a file readable by the
//! console's user only, or an environment variable — so a copy of the database alone
//! opens nothing.
//!
//! A sealed value is `nonce (12 bytes) || ciphertext || tag (16 bytes)`, its associated
//! data naming what it is and whose (`totp/<officer id>`), so one sealed value cannot be
//! moved into another's place.

use std::io::Read as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

/// The environment variable a key-encryption key may come from (standard base64 of 32
/// bytes).
pub const KEK_VARIABLE: &str = "SELFREPORT_CONSOLE_KEK";

/// Why the key-encryption key could not be had, or a value not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KekError {
    /// The file or variable does not hold the standard base64 of 32 bytes.
    #[error("the key-encryption key is not the standard base64 of 32 bytes on one line")]
    Malformed,
    /// The key file can be read by other users.
    #[error(
        "the key-encryption key file is accessible by other users (mode {0:03o}); run `chmod 600` on it"
    )]
    TooOpen(u32),
    /// The key file could not be read.
    #[error("cannot read the key-encryption key file: {0}")]
    Unreadable(String),
    /// A sealed value did not open: another key, another owner, or altered bytes.
    #[error("a sealed value does not open under this key-encryption key")]
    WrongKeyOrAltered,
    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,
}

/// The key-encryption key. Never printed by `Debug`.
pub struct KeyEncryptionKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(..)")
    }
}

impl KeyEncryptionKey {
    /// A new random key and its standard base64 (to write to a file of mode 0600).
    pub fn generate() -> Result<(Self, Zeroizing<String>), KekError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| KekError::Random)?;
        let text = Zeroizing::new(STANDARD.encode(bytes.as_ref()));
        Ok((Self::from_bytes(&bytes)?, text))
    }

    /// The key in the file at `path`: refused when other users can access it.
    pub fn from_file(path: &Path) -> Result<Self, KekError> {
        use std::os::unix::fs::PermissionsExt as _;
        let file =
            std::fs::File::open(path).map_err(|error| KekError::Unreadable(error.to_string()))?;
        let mode = file
            .metadata()
            .map_err(|error| KekError::Unreadable(error.to_string()))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(KekError::TooOpen(mode));
        }
        let mut text = Zeroizing::new(String::new());
        file.take(256)
            .read_to_string(&mut text)
            .map_err(|_| KekError::Malformed)?;
        Self::from_base64(&text)
    }

    /// The key in the environment variable [`KEK_VARIABLE`], if it is set.
    pub fn from_environment() -> Option<Result<Self, KekError>> {
        let text = Zeroizing::new(std::env::var(KEK_VARIABLE).ok()?);
        Some(Self::from_base64(&text))
    }

    /// The key whose standard base64 is `text` (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, KekError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| KekError::Malformed)?,
        );
        let bytes: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KekError::Malformed)?;
        Self::from_bytes(bytes)
    }

    fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KekError> {
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| KekError::Malformed)?;
        Ok(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// `plaintext` sealed for `purpose` (what it is and whose, such as `totp/17`).
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Result<Vec<u8>, KekError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| KekError::Random)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        sealed.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut body,
            )
            .map_err(|_| KekError::Random)?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// The plaintext `sealed` holds, if it was sealed under this key for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KekError> {
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(KekError::WrongKeyOrAltered);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| KekError::WrongKeyOrAltered)?;
        let mut body = Zeroizing::new(body.to_vec());
        let plaintext_len = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut body)
            .map_err(|_| KekError::WrongKeyOrAltered)?
            .len();
        body.truncate(plaintext_len);
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_under_its_key_and_purpose_only() {
        let (kek, text) = KeyEncryptionKey::generate().unwrap();
        let sealed = kek.seal("totp/17", b"secret").unwrap();
        assert_eq!(kek.open("totp/17", &sealed).unwrap().as_slice(), b"secret");
        assert_eq!(
            kek.open("totp/18", &sealed).unwrap_err(),
            KekError::WrongKeyOrAltered
        );
        let (other, _) = KeyEncryptionKey::generate().unwrap();
        assert!(other.open("totp/17", &sealed).is_err());
        let mut altered = sealed.clone();
        altered[NONCE_LEN] ^= 1;
        assert!(kek.open("totp/17", &altered).is_err());
        assert!(kek.open("totp/17", &sealed[..10]).is_err());
        // The same key from its base64.
        let again = KeyEncryptionKey::from_base64(&text).unwrap();
        assert_eq!(
            again.open("totp/17", &sealed).unwrap().as_slice(),
            b"secret"
        );
        assert_eq!(format!("{kek:?}"), "KeyEncryptionKey(..)");
    }

    #[test]
    fn key_files_must_be_private_and_well_formed() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.kek");
        let (_, text) = KeyEncryptionKey::generate().unwrap();
        std::fs::write(&path, format!("{}\n", text.as_str())).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            KeyEncryptionKey::from_file(&path).unwrap_err(),
            KekError::TooOpen(0o644)
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(KeyEncryptionKey::from_file(&path).is_ok());
        std::fs::write(&path, "not base64\n").unwrap();
        assert_eq!(
            KeyEncryptionKey::from_file(&path).unwrap_err(),
            KekError::Malformed
        );
        assert_eq!(
            KeyEncryptionKey::from_base64(&STANDARD.encode([1u8; 16])).unwrap_err(),
            KekError::Malformed
        );
    }
}
