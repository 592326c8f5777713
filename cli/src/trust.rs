//! The store's trust anchors: read from `signing.pub` files at `init`, kept as
//! `<store>/trust-anchors.json` for every later command.
//!
//! On a phone the anchors are compiled into the app; on the desktop they are this file,
//! the CLI's configuration. It holds public keys only.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use selfreport_core::policy::{TrustAnchor, TrustAnchors};

use crate::failure::Failure;
use crate::i18n::tr_with;

/// Name of the trust anchor file inside the store directory.
pub const TRUST_FILE: &str = "trust-anchors.json";

/// Largest `.pub` file read: one base64 line of a 32-byte key is 44 characters.
const MAX_PUB_FILE_BYTES: u64 = 4096;

/// Largest trust anchor file read.
const MAX_TRUST_FILE_BYTES: u64 = 1024 * 1024;

/// Path of the trust anchor file of the store in `store_dir`.
pub fn trust_file(store_dir: &Path) -> PathBuf {
    store_dir.join(TRUST_FILE)
}

/// Reads each `.pub` file (one line of standard base64) into a set of anchors.
pub fn read_public_key_files(paths: &[PathBuf]) -> Result<TrustAnchors, Failure> {
    let mut anchors = TrustAnchors::new();
    for path in paths {
        let text = read_bounded(path, MAX_PUB_FILE_BYTES)?;
        let anchor = TrustAnchor::from_public_key_base64(&text).map_err(|error| {
            let failure = Failure::from(error);
            Failure::invalid(
                failure.code(),
                tr_with("trust.not_a_key", &[("path", &path.display())]),
            )
        })?;
        anchors.insert(anchor);
    }
    Ok(anchors)
}

/// Writes the anchors of the store in `store_dir`, replacing the file atomically.
pub fn save(store_dir: &Path, anchors: &TrustAnchors) -> Result<(), Failure> {
    let json = serde_json::to_vec_pretty(anchors).map_err(|error| {
        Failure::new(
            "Internal",
            format!("cannot encode the trust anchors: {error}"),
            crate::failure::EXIT_OTHER,
        )
    })?;
    let path = trust_file(store_dir);
    let temporary = store_dir.join(format!("{TRUST_FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&temporary, &path)
    };
    write().map_err(|error| {
        Failure::io(
            tr_with("io.cannot_write", &[("path", &path.display())]),
            &error,
        )
    })
}

/// Reads the anchors of the store in `store_dir`. A missing or damaged file beside an
/// existing store is an integrity failure: policies could no longer be checked.
pub fn load(store_dir: &Path) -> Result<TrustAnchors, Failure> {
    let path = trust_file(store_dir);
    if !path.exists() {
        return Err(Failure::integrity(
            "TrustAnchorsMissing",
            tr_with("trust.missing", &[("path", &path.display())]),
        ));
    }
    let text = read_bounded(&path, MAX_TRUST_FILE_BYTES)?;
    serde_json::from_str(&text).map_err(|error| {
        Failure::integrity(
            "TrustAnchorsDamaged",
            tr_with(
                "trust.damaged",
                &[("path", &path.display()), ("error", &error)],
            ),
        )
    })
}

fn read_bounded(path: &Path, max_bytes: u64) -> Result<String, Failure> {
    let cannot_read = |error: std::io::Error| {
        Failure::io(
            tr_with("io.cannot_read", &[("path", &path.display())]),
            &error,
        )
    };
    let length = fs::metadata(path).map_err(cannot_read)?.len();
    if length > max_bytes {
        return Err(Failure::invalid(
            "FileTooLarge",
            tr_with(
                "io.too_large",
                &[("path", &path.display()), ("bytes", &max_bytes)],
            ),
        ));
    }
    let bytes = fs::read(path).map_err(cannot_read)?;
    String::from_utf8(bytes).map_err(|_| {
        Failure::invalid(
            "NotUtf8",
            tr_with("io.not_utf8", &[("path", &path.display())]),
        )
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    #[test]
    fn anchors_round_trip_through_the_store_directory() {
        let dir = tempfile::tempdir().unwrap();
        let pub_file = dir.path().join("signing.pub");
        fs::write(&pub_file, format!("{}\n", STANDARD.encode([7u8; 32]))).unwrap();
        let anchors = read_public_key_files(&[pub_file]).unwrap();
        assert_eq!(anchors.len(), 1);
        save(dir.path(), &anchors).unwrap();
        assert_eq!(load(dir.path()).unwrap(), anchors);
        assert!(!dir.path().join(format!("{TRUST_FILE}.tmp")).exists());
    }

    #[test]
    fn a_bad_public_key_file_is_invalid_input() {
        let dir = tempfile::tempdir().unwrap();
        let pub_file = dir.path().join("bad.pub");
        fs::write(&pub_file, "not base64 at all").unwrap();
        let failure = read_public_key_files(&[pub_file]).unwrap_err();
        assert_eq!(failure.exit_code(), crate::failure::EXIT_INVALID_INPUT);
    }

    #[test]
    fn a_missing_or_damaged_trust_file_is_an_integrity_failure() {
        let dir = tempfile::tempdir().unwrap();
        let missing = load(dir.path()).unwrap_err();
        assert_eq!(missing.code(), "TrustAnchorsMissing");
        assert_eq!(missing.exit_code(), crate::failure::EXIT_INTEGRITY);
        fs::write(trust_file(dir.path()), "{").unwrap();
        let failure = load(dir.path()).unwrap_err();
        assert_eq!(failure.exit_code(), crate::failure::EXIT_INTEGRITY);
    }
}
