//! Arrival confirmations (`selfreport.arrival-confirmation/1`, issue 14): the checkpoint's
//! signed word that a pre-registration was confirmed in person, kept one per line in a
//! register file (docs/protocol.md "Arrival pass and confirmation").
//!
//! `selfreport-authority confirm-arrival` appends one when it issues an order bound to a
//! pre-registration's pseudonym, and refuses a second for the same pseudonym. `open
//! --confirmations` reads the register and shows the pre-registrations it names as
//! confirmed; everything else filed as open intake stays unconfirmed. Each line is signed
//! by the key that signed the policy (the collector's), so an edited or added line is
//! refused rather than believed. A line holds the policy, the pseudonym, the county of
//! the order and the time: no name, no secret.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use selfreport_core::crypto::signature::{SigningKey, key_id, verify_ed25519};
use serde_json::Value;

use crate::error::{AuthorityError, Result};

/// The format string of a confirmation line.
pub const CONFIRMATION_FORMAT: &str = "selfreport.arrival-confirmation/1";

/// What a confirmation's signature covers first.
const SIGNATURE_CONTEXT: &str = "selfreport.arrival-confirmation/1\n";

/// Largest register read, in bytes (a line is about 330).
const MAX_REGISTER_BYTES: u64 = 64 * 1024 * 1024;

/// One pre-registration confirmed in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalConfirmation {
    /// The policy of the pre-registration.
    pub policy_id: String,
    /// Its pseudonym (32 hex).
    pub pseudonym: String,
    /// The county of the order the checkpoint issued.
    pub district: String,
    /// When it was confirmed, RFC 3339 UTC to the second.
    pub confirmed_at: String,
}

impl ArrivalConfirmation {
    /// A confirmation made now.
    pub fn new(policy_id: &str, pseudonym: &str, district: &str, now: DateTime<Utc>) -> Self {
        Self {
            policy_id: policy_id.to_owned(),
            pseudonym: pseudonym.to_owned(),
            district: district.to_owned(),
            confirmed_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }

    /// The bytes the signature covers.
    fn message(&self) -> Vec<u8> {
        format!(
            "{SIGNATURE_CONTEXT}{}\n{}\n{}\n{}",
            self.policy_id, self.pseudonym, self.district, self.confirmed_at
        )
        .into_bytes()
    }

    /// The register line: canonical JSON (keys in byte order) with the signer's key id
    /// and the Ed25519 signature, base64url.
    pub fn signed_line(&self, key: &SigningKey) -> String {
        let signature = URL_SAFE_NO_PAD.encode(key.sign(&self.message()));
        let mut members = serde_json::Map::new();
        for (name, value) in [
            ("confirmed_at", self.confirmed_at.as_str()),
            ("district", &self.district),
            ("format", CONFIRMATION_FORMAT),
            ("key_id", key.key_id()),
            ("policy_id", &self.policy_id),
            ("pseudonym", &self.pseudonym),
            ("signature", &signature),
        ] {
            members.insert(name.to_owned(), Value::String(value.to_owned()));
        }
        Value::Object(members).to_string()
    }

    /// Reads a register line and verifies it was signed by `signer`.
    pub fn verify_line(line: &str, signer: &[u8; 32]) -> std::result::Result<Self, String> {
        let Ok(Value::Object(mut members)) = serde_json::from_str::<Value>(line) else {
            return Err("not a JSON object".to_owned());
        };
        let mut text = |name: &str| match members.remove(name) {
            Some(Value::String(text)) => Ok(text),
            _ => Err(format!("`{name}` is missing or not a string")),
        };
        let format = text("format")?;
        let key = text("key_id")?;
        let signature = text("signature")?;
        let confirmation = Self {
            policy_id: text("policy_id")?,
            pseudonym: text("pseudonym")?,
            district: text("district")?,
            confirmed_at: text("confirmed_at")?,
        };
        if !members.is_empty() {
            return Err("an unknown member".to_owned());
        }
        if format != CONFIRMATION_FORMAT {
            return Err(format!("the format is not {CONFIRMATION_FORMAT}"));
        }
        if key != key_id(signer) {
            return Err(format!(
                "signed by key {}, not by {}, which signed the policy",
                key.chars().take(16).collect::<String>(),
                key_id(signer)
            ));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(&signature)
            .map_err(|_| "the signature is not base64url".to_owned())?;
        if !verify_ed25519(signer, &confirmation.message(), &signature) {
            return Err("the signature does not verify".to_owned());
        }
        Ok(confirmation)
    }
}

/// The confirmations of a register file, each verified.
#[derive(Debug, Default)]
pub struct ConfirmationRegister {
    confirmations: Vec<ArrivalConfirmation>,
}

impl ConfirmationRegister {
    /// Reads the register at `path`, verifying every line with `signer` (the key that
    /// signed the policy). A missing file is an empty register when `may_be_missing`
    /// (the first confirmation creates it). Any line that does not verify refuses the
    /// whole register: `ConfirmationRefused` with its line number.
    pub fn read(path: &Path, signer: &[u8; 32], may_be_missing: bool) -> Result<Self> {
        let refused = |line: usize, detail: String| AuthorityError::ConfirmationRefused {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let size = match fs::metadata(path) {
            Ok(metadata) => metadata.len(),
            Err(error) if may_be_missing && error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(error) => return Err(AuthorityError::io("read", path)(error)),
        };
        if size > MAX_REGISTER_BYTES {
            return Err(refused(
                0,
                format!("{size} bytes, more than the limit of {MAX_REGISTER_BYTES}"),
            ));
        }
        let text = fs::read_to_string(path).map_err(AuthorityError::io("read", path))?;
        let mut confirmations = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let confirmation = ArrivalConfirmation::verify_line(line, signer)
                .map_err(|detail| refused(index + 1, detail))?;
            confirmations.push(confirmation);
        }
        Ok(Self { confirmations })
    }

    /// The confirmation of `pseudonym` under `policy_id`, if any.
    pub fn find(&self, policy_id: &str, pseudonym: &str) -> Option<&ArrivalConfirmation> {
        self.confirmations
            .iter()
            .find(|found| found.policy_id == policy_id && found.pseudonym == pseudonym)
    }

    /// Every confirmation, in register order.
    pub fn confirmations(&self) -> &[ArrivalConfirmation] {
        &self.confirmations
    }
}

/// Appends `line` to the register at `path` (created mode 0600 if missing) and syncs it
/// to disk before returning: a confirmation is recorded before its order is handed out.
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(AuthorityError::io("append to", path))?;
    file.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(AuthorityError::io("append to", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SigningKey {
        SigningKey::from_seed(zeroize::Zeroizing::new([byte; 32])).unwrap()
    }

    fn confirmation() -> ArrivalConfirmation {
        ArrivalConfirmation::new(
            "sh-arrivals",
            "0123456789abcdef0123456789abcdef",
            "310104",
            "2026-12-08T09:30:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn a_line_verifies_with_the_signer_and_nothing_else() {
        let signer = key(1);
        let line = confirmation().signed_line(&signer);
        assert_eq!(
            ArrivalConfirmation::verify_line(&line, &signer.public_key()).unwrap(),
            confirmation()
        );
        assert!(ArrivalConfirmation::verify_line(&line, &key(2).public_key()).is_err());
        for (from, to) in [
            ("310104", "310105"),
            ("0123456789abcdef", "fedcba9876543210"),
            ("09:30:00Z", "09:30:01Z"),
            ("\"format\"", "\"extra\":\"1\",\"format\""),
        ] {
            let edited = line.replacen(from, to, 1);
            assert_ne!(edited, line);
            assert!(
                ArrivalConfirmation::verify_line(&edited, &signer.public_key()).is_err(),
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn a_register_is_read_whole_or_refused_with_the_line_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confirmations.jsonl");
        let signer = key(1);
        let empty = ConfirmationRegister::read(&path, &signer.public_key(), true).unwrap();
        assert!(empty.confirmations().is_empty());
        let missing = ConfirmationRegister::read(&path, &signer.public_key(), false);
        assert_eq!(missing.unwrap_err().code(), "Io");
        append_line(&path, &confirmation().signed_line(&signer)).unwrap();
        let register = ConfirmationRegister::read(&path, &signer.public_key(), false).unwrap();
        assert!(
            register
                .find("sh-arrivals", "0123456789abcdef0123456789abcdef")
                .is_some()
        );
        assert!(
            register
                .find("sh-daily-health", "0123456789abcdef0123456789abcdef")
                .is_none()
        );
        append_line(&path, &confirmation().signed_line(&key(3))).unwrap();
        let refused = ConfirmationRegister::read(&path, &signer.public_key(), false).unwrap_err();
        assert_eq!(refused.code(), "ConfirmationRefused");
        assert!(refused.to_string().contains("line 2"), "{refused}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
