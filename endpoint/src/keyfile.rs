//! Key files: private keys written once with owner-only permissions and read back
//! carefully; public keys as one line of standard base64.
//!
//! A private key file holds the standard base64 of 32 bytes (an Ed25519 seed for the
//! policy-signing and receipt keys, an X25519 private key for a recipient) and a newline.
//! It is created with `O_CREAT | O_EXCL` and mode 0600, so an existing key is never
//! overwritten and the key is never readable by others, not even for an instant. It is
//! read only when no other user can access it, into memory that is wiped afterwards.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use selfreport_core::crypto::signature::SigningKey;
use zeroize::Zeroizing;

use crate::error::{AuthorityError, Result};
use crate::recipient_key::RecipientKeyPair;

/// File name of the policy-signing private key inside a key directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";

/// File name of the policy-signing public key inside a key directory; the file apps trust
/// (`selfreport init --trust`).
pub const SIGNING_PUBLIC_KEY_FILE: &str = "signing.pub";

/// File name of the drop box's receipt-signing private key inside a key directory.
pub const RECEIPT_KEY_FILE: &str = "receipt.key";

/// File name of the receipt-signing public key; its content goes into the policy's
/// `endpoint.receipt_key`.
pub const RECEIPT_PUBLIC_KEY_FILE: &str = "receipt.pub";

/// File name of recipient `name`'s X25519 private key (`recipient-health.key`).
pub fn recipient_key_file(name: &str) -> String {
    format!("recipient-{name}.key")
}

/// File name of recipient `name`'s X25519 public key (`recipient-health.pub`); its content
/// goes into the policy's `recipients.NAME.public_key`.
pub fn recipient_public_key_file(name: &str) -> String {
    format!("recipient-{name}.pub")
}

/// Permission bits of private key files: read and write by the owner only.
pub const PRIVATE_KEY_MODE: u32 = 0o600;

/// Permission bits of public key files.
pub const PUBLIC_KEY_MODE: u32 = 0o644;

/// Permission bits of a key directory `keygen` creates.
pub const KEY_DIRECTORY_MODE: u32 = 0o700;

/// Largest private key file read; a valid one is 45 bytes.
const MAX_KEY_FILE_BYTES: u64 = 1024;

/// Creates `path` with `contents`, failing if anything already exists there (a symlink
/// included). The file gets `mode` (less the umask) from the moment it exists.
pub fn write_new_file(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|error| match error.kind() {
            io::ErrorKind::AlreadyExists => AuthorityError::KeyFileExists {
                path: path.to_path_buf(),
            },
            _ => AuthorityError::io("create", path)(error),
        })?;
    let written = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(AuthorityError::io("write", path));
    if written.is_err() {
        // Do not leave a truncated key behind; the write error is what matters.
        let _ = fs::remove_file(path);
    }
    written
}

/// Writes the signing key's private seed to a new file at `path` (mode 0600).
pub fn write_signing_key(path: &Path, key: &SigningKey) -> Result<()> {
    let mut line = Zeroizing::new(String::with_capacity(45));
    line.push_str(&key.seed_base64());
    line.push('\n');
    write_new_file(path, line.as_bytes(), PRIVATE_KEY_MODE)
}

/// Writes the signing key's public key to a new file at `path`: standard base64 on one line.
pub fn write_public_key(path: &Path, key: &SigningKey) -> Result<()> {
    let line = format!("{}\n", key.public_key_base64());
    write_new_file(path, line.as_bytes(), PUBLIC_KEY_MODE)
}

/// Reads a signing key written by [`write_signing_key`] (a policy-signing or receipt key).
///
/// Refuses a `.pub` file, a file other users can access, a file larger than a key file
/// can be, and content that is not a key; none of these errors shows the file's content.
pub fn read_signing_key(path: &Path) -> Result<SigningKey> {
    let malformed = |path: &Path| AuthorityError::KeyFileMalformed {
        path: path.to_path_buf(),
    };
    let contents = read_private_key_file(path, malformed)?;
    let text = std::str::from_utf8(&contents).map_err(|_| malformed(path))?;
    SigningKey::from_seed_base64(text)
        .map_err(|error| AuthorityError::from_signing_key(error, path))
}

/// Largest public key file read; a valid one is 45 bytes.
const MAX_PUBLIC_KEY_FILE_BYTES: u64 = 1024;

/// Reads a public key file written by [`write_public_key`] (or `selfreport-console audit
/// keygen`): the standard base64 of 32 bytes on one line.
///
/// Refuses anything but a regular file, a file larger than a key file can be (without
/// reading it whole), and content that is not such a key; no error shows the content.
pub fn read_public_key(path: &Path) -> Result<[u8; 32]> {
    let malformed = || AuthorityError::PublicKeyMalformed {
        path: path.to_path_buf(),
    };
    let file = File::open(path).map_err(AuthorityError::io("read", path))?;
    let metadata = file.metadata().map_err(AuthorityError::io("read", path))?;
    if !metadata.is_file() {
        return Err(malformed());
    }
    let mut contents = Vec::with_capacity(64);
    file.take(MAX_PUBLIC_KEY_FILE_BYTES + 1)
        .read_to_end(&mut contents)
        .map_err(AuthorityError::io("read", path))?;
    if contents.len() as u64 > MAX_PUBLIC_KEY_FILE_BYTES {
        return Err(malformed());
    }
    let text = std::str::from_utf8(&contents).map_err(|_| malformed())?;
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text.trim())
        .map_err(|_| malformed())?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| malformed())
}

/// Writes a recipient's X25519 private key to a new file at `path` (mode 0600).
pub fn write_recipient_key(path: &Path, key: &RecipientKeyPair) -> Result<()> {
    let mut line = Zeroizing::new(String::with_capacity(45));
    line.push_str(&key.private_key_base64());
    line.push('\n');
    write_new_file(path, line.as_bytes(), PRIVATE_KEY_MODE)
}

/// Writes a recipient's X25519 public key to a new file at `path`: standard base64 on one
/// line, the form policy documents use.
pub fn write_recipient_public_key(path: &Path, key: &RecipientKeyPair) -> Result<()> {
    let line = format!("{}\n", key.public_key_base64());
    write_new_file(path, line.as_bytes(), PUBLIC_KEY_MODE)
}

/// Reads a recipient key written by [`write_recipient_key`], with the same care as
/// [`read_signing_key`].
pub fn read_recipient_key(path: &Path) -> Result<RecipientKeyPair> {
    let malformed = |path: &Path| AuthorityError::RecipientKeyMalformed {
        path: path.to_path_buf(),
    };
    let contents = read_private_key_file(path, malformed)?;
    let text = std::str::from_utf8(&contents).map_err(|_| malformed(path))?;
    RecipientKeyPair::from_private_key_base64(text).map_err(|_| malformed(path))
}

/// The content of a private key file, after the checks every private key file passes:
/// not a `.pub` file, a regular file no other user can access, no larger than a key file
/// can be. Read into memory that is wiped on drop.
fn read_private_key_file(
    path: &Path,
    malformed: impl Fn(&Path) -> AuthorityError,
) -> Result<Zeroizing<Vec<u8>>> {
    read_private_file(path, MAX_KEY_FILE_BYTES, malformed)
}

/// Reads a private key file of at most `max_bytes`: refuses a `.pub` file, a file other
/// users can access, anything but a regular file and a file too large (without reading it
/// whole); no error shows the content.
pub(crate) fn read_private_file(
    path: &Path,
    max_bytes: u64,
    malformed: impl Fn(&Path) -> AuthorityError,
) -> Result<Zeroizing<Vec<u8>>> {
    if path.extension().is_some_and(|extension| extension == "pub") {
        return Err(AuthorityError::KeyFileIsPublic {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(AuthorityError::io("read", path))?;
    let metadata = file.metadata().map_err(AuthorityError::io("read", path))?;
    if !metadata.is_file() {
        return Err(malformed(path));
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AuthorityError::KeyFileTooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }

    let mut contents = Zeroizing::new(Vec::with_capacity(64));
    file.take(max_bytes + 1)
        .read_to_end(&mut contents)
        .map_err(AuthorityError::io("read", path))?;
    if contents.len() as u64 > max_bytes {
        return Err(malformed(path));
    }
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    fn set_mode(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_written_key_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let key = SigningKey::generate().unwrap();
        write_signing_key(&path, &key).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = read_signing_key(&path).unwrap();
        assert_eq!(again.public_key(), key.public_key());
    }

    #[test]
    fn new_files_never_replace_anything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("taken");
        fs::write(&path, b"original").unwrap();
        let error = write_new_file(&path, b"new", 0o600).unwrap_err();
        assert_eq!(error.code(), "KeyFileExists");
        assert_eq!(fs::read(&path).unwrap(), b"original");

        // Nor through a symlink pointing elsewhere.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &link).unwrap();
        assert_eq!(
            write_new_file(&link, b"new", 0o600).unwrap_err().code(),
            "KeyFileExists"
        );
        assert!(!dir.path().join("elsewhere").exists());
    }

    #[test]
    fn wrong_content_is_malformed_and_not_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.key");
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"not a key at all\n".to_vec(),
            b"AAAA\n".to_vec(),
            b"\xff\xfe\x00binary".to_vec(),
            format!("{}\n", STANDARD.encode([1u8; 31])).into_bytes(),
            format!("{}\n", STANDARD.encode([1u8; 33])).into_bytes(),
            format!("{0}\n{0}\n", STANDARD.encode([1u8; 32])).into_bytes(),
        ];
        for contents in cases {
            fs::remove_file(&path).ok();
            write_new_file(&path, &contents, 0o600).unwrap();
            let error = read_signing_key(&path).unwrap_err();
            assert_eq!(error.code(), "SigningKeyMalformed", "{contents:?}");
            assert_eq!(error.exit_code(), 3);
            let message = error.to_string();
            assert!(message.contains("bad.key"));
            assert!(!message.contains("not a key at all"));
        }
    }

    #[test]
    fn oversized_key_files_are_refused_without_reading_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.key");
        write_new_file(&path, &vec![b'A'; 1 << 20], 0o600).unwrap();
        assert_eq!(
            read_signing_key(&path).unwrap_err().code(),
            "SigningKeyMalformed"
        );
    }

    #[test]
    fn key_files_other_users_can_read_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.key");
        write_signing_key(&path, &SigningKey::generate().unwrap()).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            set_mode(&path, mode);
            let error = read_signing_key(&path).unwrap_err();
            assert!(
                matches!(error, AuthorityError::KeyFileTooOpen { mode: found, .. } if found == mode),
                "{mode:o}: {error:?}"
            );
        }
        set_mode(&path, 0o400);
        assert!(read_signing_key(&path).is_ok());
    }

    #[test]
    fn public_key_files_and_missing_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let public = dir.path().join("signing.pub");
        write_public_key(&public, &SigningKey::generate().unwrap()).unwrap();
        assert_eq!(
            read_signing_key(&public).unwrap_err().code(),
            "KeyFileIsPublic"
        );
        let missing = read_signing_key(&dir.path().join("missing.key")).unwrap_err();
        assert_eq!(missing.code(), "Io");
        assert!(missing.to_string().contains("missing.key"));
    }

    #[test]
    fn recipient_keys_read_back_with_the_same_care() {
        let dir = tempfile::tempdir().unwrap();
        let key = RecipientKeyPair::generate().unwrap();
        let path = dir.path().join("recipient-health.key");
        write_recipient_key(&path, &key).unwrap();
        write_recipient_public_key(&dir.path().join("recipient-health.pub"), &key).unwrap();
        assert_eq!(
            read_recipient_key(&path).unwrap().public_key(),
            key.public_key()
        );
        assert_eq!(
            read_recipient_key(&dir.path().join("recipient-health.pub"))
                .unwrap_err()
                .code(),
            "KeyFileIsPublic"
        );
        set_mode(&path, 0o640);
        assert_eq!(
            read_recipient_key(&path).unwrap_err().code(),
            "KeyFileTooOpen"
        );
        let bad = dir.path().join("bad.key");
        write_new_file(&bad, b"not a key\n", 0o600).unwrap();
        let error = read_recipient_key(&bad).unwrap_err();
        assert_eq!(error.code(), "RecipientKeyMalformed");
        assert!(!error.to_string().contains("not a key\n"));
    }

    #[test]
    fn public_keys_read_back_and_anything_else_is_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::generate().unwrap();
        let path = dir.path().join("audit.key.pub");
        write_public_key(&path, &key).unwrap();
        assert_eq!(read_public_key(&path).unwrap(), key.public_key());
        for (name, contents) in [
            ("short", STANDARD.encode([1u8; 31]).into_bytes()),
            ("text", b"not a key\n".to_vec()),
            ("big", vec![b'A'; 2000]),
            ("binary", vec![0xff; 44]),
        ] {
            let path = dir.path().join(name);
            fs::write(&path, contents).unwrap();
            let error = read_public_key(&path).unwrap_err();
            assert_eq!(error.code(), "PublicKeyMalformed", "{name}");
        }
        assert_eq!(
            read_public_key(dir.path()).unwrap_err().code(),
            "PublicKeyMalformed"
        );
        assert!(read_public_key(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn a_directory_is_not_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("keys.key");
        fs::create_dir(&sub).unwrap();
        set_mode(&sub, 0o700);
        assert_eq!(
            read_signing_key(&sub).unwrap_err().code(),
            "SigningKeyMalformed"
        );
    }
}
