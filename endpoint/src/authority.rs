//! The authority's key set and policy signing: make the keys (policy signing, receipts,
//! recipients), sign policies.

use std::fs::{self, DirBuilder};
use std::io::Read;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::policy::limits::{MAX_ID_LEN, MAX_RECIPIENTS};
use selfreport_core::policy::{MAX_POLICY_BYTES, PolicyError, parse_policy_document, sign_policy};

use crate::error::{AuthorityError, Result};
use crate::keyfile::{
    KEY_DIRECTORY_MODE, RECEIPT_KEY_FILE, RECEIPT_PUBLIC_KEY_FILE, SIGNING_KEY_FILE,
    SIGNING_PUBLIC_KEY_FILE, read_signing_key, recipient_key_file, recipient_public_key_file,
    write_new_file, write_public_key, write_recipient_key, write_recipient_public_key,
    write_signing_key,
};
use crate::recipient_key::RecipientKeyPair;

/// Recipients `keygen` makes keys for when none are named.
pub const DEFAULT_RECIPIENTS: [&str; 2] = ["health", "identity"];

/// What [`keygen`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeygenOutput {
    /// The key id derived from the policy-signing public key; signed envelopes name it.
    pub key_id: String,
    /// The policy-signing private key file (`DIR/signing.key`, mode 0600).
    pub signing_key_path: PathBuf,
    /// The policy-signing public key file (`DIR/signing.pub`), the trust anchor apps are
    /// configured with.
    pub public_key_path: PathBuf,
    /// The policy-signing public key in standard base64, as in the `.pub` file.
    pub public_key_base64: String,
    /// The drop box's receipt-signing private key file (`DIR/receipt.key`, mode 0600).
    pub receipt_key_path: PathBuf,
    /// The receipt-signing public key file (`DIR/receipt.pub`).
    pub receipt_public_key_path: PathBuf,
    /// The receipt-signing public key in standard base64, for the policy's
    /// `endpoint.receipt_key`.
    pub receipt_public_key_base64: String,
    /// One X25519 key pair per recipient, in the order named.
    pub recipients: Vec<RecipientKeyOutput>,
}

/// One recipient key pair [`keygen`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientKeyOutput {
    /// The recipient's name, as the policy's `recipients` map spells it.
    pub name: String,
    /// The private key file (`DIR/recipient-NAME.key`, mode 0600); `open` takes it.
    pub key_path: PathBuf,
    /// The public key file (`DIR/recipient-NAME.pub`).
    pub public_key_path: PathBuf,
    /// The public key in standard base64, for the policy's `recipients.NAME.public_key`.
    pub public_key_base64: String,
}

/// Generates the authority's keys into `dir` for the [`DEFAULT_RECIPIENTS`]; see
/// [`keygen_with_recipients`].
pub fn keygen(dir: &Path) -> Result<KeygenOutput> {
    keygen_with_recipients(dir, &DEFAULT_RECIPIENTS)
}

/// Generates the authority's keys into `dir` (created, mode 0700, if missing):
///
/// - `signing.key`/`signing.pub`: the Ed25519 policy-signing key pair;
/// - `receipt.key`/`receipt.pub`: the Ed25519 key the drop box signs receipts with;
/// - `recipient-NAME.key`/`recipient-NAME.pub` for each of `recipients`: X25519 key pairs
///   submissions are sealed to.
///
/// Private keys get mode 0600. Refuses to touch a directory that already holds any of
/// these files, and leaves no partial set behind on failure.
pub fn keygen_with_recipients<S: AsRef<str>>(dir: &Path, recipients: &[S]) -> Result<KeygenOutput> {
    let names = recipient_names(recipients)?;
    DirBuilder::new()
        .recursive(true)
        .mode(KEY_DIRECTORY_MODE)
        .create(dir)
        .map_err(AuthorityError::io("create directory", dir))?;
    let signing_key_path = dir.join(SIGNING_KEY_FILE);
    let public_key_path = dir.join(SIGNING_PUBLIC_KEY_FILE);
    let receipt_key_path = dir.join(RECEIPT_KEY_FILE);
    let receipt_public_key_path = dir.join(RECEIPT_PUBLIC_KEY_FILE);
    let recipient_paths: Vec<(PathBuf, PathBuf)> = names
        .iter()
        .map(|name| {
            (
                dir.join(recipient_key_file(name)),
                dir.join(recipient_public_key_file(name)),
            )
        })
        .collect();
    // Checked before anything is written, so an existing set is never half replaced;
    // the exclusive creates below still guard against a race.
    let every_path = [
        &signing_key_path,
        &public_key_path,
        &receipt_key_path,
        &receipt_public_key_path,
    ]
    .into_iter()
    .chain(
        recipient_paths
            .iter()
            .flat_map(|(key, public)| [key, public]),
    );
    for path in every_path {
        if fs::symlink_metadata(path).is_ok() {
            return Err(AuthorityError::KeyFileExists { path: path.clone() });
        }
    }

    let signing_key = SigningKey::generate().map_err(|_| AuthorityError::Random)?;
    let receipt_key = SigningKey::generate().map_err(|_| AuthorityError::Random)?;
    let recipient_keys = names
        .iter()
        .map(|_| RecipientKeyPair::generate())
        .collect::<Result<Vec<_>>>()?;

    let mut written = WrittenFiles::default();
    written.write(&signing_key_path, |path| {
        write_signing_key(path, &signing_key)
    })?;
    written.write(&public_key_path, |path| {
        write_public_key(path, &signing_key)
    })?;
    written.write(&receipt_key_path, |path| {
        write_signing_key(path, &receipt_key)
    })?;
    written.write(&receipt_public_key_path, |path| {
        write_public_key(path, &receipt_key)
    })?;
    let mut recipients_out = Vec::with_capacity(names.len());
    for ((name, key), (key_path, public_path)) in
        names.iter().zip(&recipient_keys).zip(recipient_paths)
    {
        written.write(&key_path, |path| write_recipient_key(path, key))?;
        written.write(&public_path, |path| write_recipient_public_key(path, key))?;
        recipients_out.push(RecipientKeyOutput {
            name: name.clone(),
            key_path,
            public_key_path: public_path,
            public_key_base64: key.public_key_base64(),
        });
    }
    written.keep();

    Ok(KeygenOutput {
        key_id: signing_key.key_id().to_owned(),
        signing_key_path,
        public_key_path,
        public_key_base64: signing_key.public_key_base64(),
        receipt_key_path,
        receipt_public_key_path,
        receipt_public_key_base64: receipt_key.public_key_base64(),
        recipients: recipients_out,
    })
}

/// Recipient names checked as policy identifiers (`a-z 0-9 - _`, 1 to 64 characters, so
/// they are safe in file names too), each once; the defaults when none are given.
fn recipient_names<S: AsRef<str>>(recipients: &[S]) -> Result<Vec<String>> {
    if recipients.is_empty() {
        return Ok(DEFAULT_RECIPIENTS
            .iter()
            .map(|name| (*name).to_owned())
            .collect());
    }
    let mut names: Vec<String> = Vec::with_capacity(recipients.len());
    for name in recipients {
        let name = name.as_ref();
        let valid = !name.is_empty()
            && name.len() <= MAX_ID_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid || names.iter().any(|seen| seen == name) || names.len() >= MAX_RECIPIENTS {
            return Err(AuthorityError::InvalidRecipientName {
                name: name.chars().take(MAX_ID_LEN).collect(),
            });
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

/// Files written so far by one `keygen`; removed on drop unless kept, so a failure
/// leaves no partial key set behind.
#[derive(Default)]
struct WrittenFiles {
    paths: Vec<PathBuf>,
}

impl WrittenFiles {
    fn write(&mut self, path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        write(path)?;
        self.paths.push(path.to_path_buf());
        Ok(())
    }

    fn keep(mut self) {
        self.paths.clear();
    }
}

impl Drop for WrittenFiles {
    fn drop(&mut self) {
        for path in &self.paths {
            let _ = fs::remove_file(path);
        }
    }
}

/// What [`sign_policy_file`] signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPolicyOutput {
    /// The id of the signing key, named in the envelope.
    pub key_id: String,
    /// The policy's id.
    pub policy_id: String,
    /// The policy's version.
    pub version: u64,
    /// The envelope file written.
    pub out_path: PathBuf,
}

/// Signs the policy document in `in_path`, byte for byte as it is in the file, with the
/// key in `key_path`, and writes the `selfreport.signed/1` envelope to `out_path`
/// (replacing an older envelope there, atomically).
///
/// The document must pass every content check an app makes at install; dates are not
/// checked, so a policy can be signed ahead of its validity window. Nothing is written
/// when anything fails.
pub fn sign_policy_file(
    key_path: &Path,
    in_path: &Path,
    out_path: &Path,
) -> Result<SignedPolicyOutput> {
    refuse_same_file(out_path, in_path, "policy document")?;
    refuse_same_file(out_path, key_path, "signing key")?;

    let key = read_signing_key(key_path)?;
    let payload = read_policy_document(in_path)?;
    let document = parse_policy_document(&payload)?;
    let envelope = sign_policy(&key, &payload)?;
    replace_file(out_path, &envelope)?;
    Ok(SignedPolicyOutput {
        key_id: key.key_id().to_owned(),
        policy_id: document.id,
        version: document.version,
        out_path: out_path.to_path_buf(),
    })
}

/// Reads a policy document, refusing one larger than any app would accept without
/// reading all of it.
pub(crate) fn read_policy_document(path: &Path) -> Result<Vec<u8>> {
    let file = fs::File::open(path).map_err(AuthorityError::io("read", path))?;
    let limit = MAX_POLICY_BYTES as u64;
    let mut payload = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut payload)
        .map_err(AuthorityError::io("read", path))?;
    if payload.len() > MAX_POLICY_BYTES {
        let size = fs::metadata(path)
            .ok()
            .and_then(|metadata| usize::try_from(metadata.len()).ok())
            .unwrap_or(payload.len());
        return Err(PolicyError::TooLarge {
            size,
            limit: MAX_POLICY_BYTES,
        }
        .into());
    }
    Ok(payload)
}

/// Refuses an output path that names the same file as an input (through any path).
pub(crate) fn refuse_same_file(out_path: &Path, input: &Path, what: &'static str) -> Result<()> {
    let same = match (fs::canonicalize(out_path), fs::canonicalize(input)) {
        (Ok(out), Ok(input)) => out == input,
        _ => false,
    };
    if same {
        return Err(AuthorityError::OutputIsInput {
            path: out_path.to_path_buf(),
            what,
        });
    }
    Ok(())
}

/// Writes `contents` to `path` through a new temporary file beside it and a rename, so a
/// reader sees the old file or the new one, never a partial envelope.
pub(crate) fn replace_file(path: &Path, contents: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| AuthorityError::Io {
            action: "write",
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        })?
        .to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    write_new_file(&temporary, contents, 0o644).map_err(|error| match error {
        // The temporary name is ours; report a leftover as what it is.
        AuthorityError::KeyFileExists { path } => AuthorityError::Io {
            action: "create",
            path,
            source: std::io::ErrorKind::AlreadyExists.into(),
        },
        other => other,
    })?;
    fs::rename(&temporary, path).map_err(|error| {
        let _ = fs::remove_file(&temporary);
        AuthorityError::io("write", path)(error)
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use chrono::NaiveDate;
    use selfreport_core::crypto::signature::key_id;
    use selfreport_core::model::FieldKind;
    use selfreport_core::policy::{
        OncePer, SignedPolicy, Transform, TrustAnchor, TrustAnchors, VerifiedPolicy,
    };

    use super::*;

    const DAILY_REPORT: &[u8] = include_bytes!("../../examples/policies/daily-report.json");
    const TRAVELER: &[u8] = include_bytes!("../../examples/policies/traveler-preregistration.json");

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn anchors_from(pub_path: &Path) -> TrustAnchors {
        let text = fs::read_to_string(pub_path).unwrap();
        TrustAnchor::from_public_key_base64(&text).unwrap().into()
    }

    /// Keygen into `dir/keys`, write `payload` to `dir/policy.json`, sign into
    /// `dir/policy.signed.json`, verify with the `.pub` file as trust anchor.
    fn sign_and_verify(dir: &Path, payload: &[u8]) -> (SignedPolicyOutput, VerifiedPolicy) {
        let keys = keygen(&dir.join("keys")).unwrap();
        let policy = dir.join("policy.json");
        fs::write(&policy, payload).unwrap();
        let out = dir.join("policy.signed.json");
        let signed = sign_policy_file(&keys.signing_key_path, &policy, &out).unwrap();
        assert_eq!(signed.key_id, keys.key_id);
        let envelope = fs::read(&out).unwrap();
        let verified = SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&anchors_from(&keys.public_key_path), today())
            .unwrap();
        (signed, verified)
    }

    #[test]
    fn keygen_writes_a_private_key_only_its_owner_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let output = keygen(dir.path()).unwrap();
        assert_eq!(output.signing_key_path, dir.path().join("signing.key"));
        let mode = fs::metadata(&output.signing_key_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let key = read_signing_key(&output.signing_key_path).unwrap();
        assert_eq!(key.key_id(), output.key_id);
    }

    #[test]
    fn keygen_writes_the_public_key_on_one_line_and_derives_the_key_id() {
        let dir = tempfile::tempdir().unwrap();
        let output = keygen(dir.path()).unwrap();
        let text = fs::read_to_string(&output.public_key_path).unwrap();
        assert_eq!(output.public_key_path, dir.path().join("signing.pub"));
        assert_eq!(text.lines().count(), 1);
        assert!(text.ends_with('\n'));
        let line = text.trim_end_matches('\n');
        assert_eq!(line.len(), 44);
        assert_eq!(line, output.public_key_base64);
        let public_key: [u8; 32] = STANDARD.decode(line).unwrap().try_into().unwrap();
        assert_eq!(output.key_id, key_id(&public_key));
        assert_eq!(output.key_id.len(), 16);
        assert_eq!(
            TrustAnchor::from_public_key_base64(&text).unwrap().key_id(),
            output.key_id
        );
    }

    #[test]
    fn keygen_never_overwrites_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let first = keygen(dir.path()).unwrap();
        let private = fs::read(&first.signing_key_path).unwrap();
        let public = fs::read(&first.public_key_path).unwrap();

        let error = keygen(dir.path()).unwrap_err();
        assert_eq!(error.code(), "KeyFileExists");
        assert_eq!(error.exit_code(), 1);
        assert_eq!(fs::read(&first.signing_key_path).unwrap(), private);
        assert_eq!(fs::read(&first.public_key_path).unwrap(), public);
    }

    #[test]
    fn keygen_leaves_no_half_pair() {
        // Only the public file is there: nothing is written, the private key included.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("signing.pub"), b"someone else's\n").unwrap();
        assert_eq!(keygen(dir.path()).unwrap_err().code(), "KeyFileExists");
        assert!(!dir.path().join("signing.key").exists());
        assert_eq!(
            fs::read(dir.path().join("signing.pub")).unwrap(),
            b"someone else's\n"
        );
    }

    #[test]
    fn keygen_creates_a_private_directory() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("authority").join("keys");
        keygen(&keys).unwrap();
        let mode = fs::metadata(&keys).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0);
    }

    #[test]
    fn keys_differ_between_runs() {
        let dir = tempfile::tempdir().unwrap();
        let a = keygen(&dir.path().join("a")).unwrap();
        let b = keygen(&dir.path().join("b")).unwrap();
        assert_ne!(a.key_id, b.key_id);
        assert_ne!(
            fs::read(&a.signing_key_path).unwrap(),
            fs::read(&b.signing_key_path).unwrap()
        );
    }

    #[test]
    fn keygen_writes_receipt_and_recipient_keys_for_the_default_recipients() {
        let dir = tempfile::tempdir().unwrap();
        let output = keygen(dir.path()).unwrap();
        assert_eq!(output.receipt_key_path, dir.path().join("receipt.key"));
        let receipt = read_signing_key(&output.receipt_key_path).unwrap();
        assert_eq!(
            fs::read_to_string(&output.receipt_public_key_path).unwrap(),
            format!("{}\n", receipt.public_key_base64())
        );
        assert_eq!(
            receipt.public_key_base64(),
            output.receipt_public_key_base64
        );
        assert_ne!(output.receipt_public_key_base64, output.public_key_base64);

        let names: Vec<&str> = output.recipients.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, DEFAULT_RECIPIENTS);
        for recipient in &output.recipients {
            let file = format!("recipient-{}.key", recipient.name);
            assert_eq!(recipient.key_path, dir.path().join(&file));
            for path in [&recipient.key_path, &output.receipt_key_path] {
                let mode = fs::metadata(path).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{}", path.display());
            }
            let key = crate::keyfile::read_recipient_key(&recipient.key_path).unwrap();
            let public = fs::read_to_string(&recipient.public_key_path).unwrap();
            assert_eq!(public, format!("{}\n", key.public_key_base64()));
            assert_eq!(public.trim_end(), recipient.public_key_base64);
            assert_eq!(STANDARD.decode(public.trim_end()).unwrap().len(), 32);
        }
        assert_ne!(
            output.recipients[0].public_key_base64,
            output.recipients[1].public_key_base64
        );
    }

    #[test]
    fn keygen_takes_named_recipients_and_refuses_bad_names() {
        let dir = tempfile::tempdir().unwrap();
        let output = keygen_with_recipients(dir.path(), &["lab", "cdc-2"]).unwrap();
        assert!(dir.path().join("recipient-lab.pub").is_file());
        assert!(dir.path().join("recipient-cdc-2.key").is_file());
        assert!(!dir.path().join("recipient-health.key").exists());
        assert_eq!(output.recipients.len(), 2);

        for names in [
            vec!["Health"],
            vec!["../x"],
            vec![""],
            vec!["lab", "lab"],
            vec!["a b"],
        ] {
            let other = tempfile::tempdir().unwrap();
            let error = keygen_with_recipients(other.path(), &names).unwrap_err();
            assert_eq!(error.code(), "InvalidRecipientName", "{names:?}");
            assert_eq!(error.exit_code(), 2);
            assert_eq!(fs::read_dir(other.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn keygen_writes_nothing_when_any_recipient_file_exists() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("recipient-identity.pub"), b"taken\n").unwrap();
        assert_eq!(keygen(dir.path()).unwrap_err().code(), "KeyFileExists");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn signing_round_trips_the_document_bytes_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let (signed, verified) = sign_and_verify(dir.path(), DAILY_REPORT);
        assert_eq!(verified.payload_bytes(), DAILY_REPORT);
        assert_eq!(verified.key_id(), signed.key_id);
        assert_eq!(signed.policy_id, "sh-daily-health");
        assert_eq!(signed.version, 1);
        assert_eq!(verified.id(), "sh-daily-health");
    }

    #[test]
    fn a_signed_policy_does_not_verify_under_another_key() {
        let dir = tempfile::tempdir().unwrap();
        let (_, verified) = sign_and_verify(dir.path(), DAILY_REPORT);
        let other = keygen(&dir.path().join("other")).unwrap();
        let envelope = verified.envelope_bytes();
        let error = SignedPolicy::parse(envelope)
            .unwrap()
            .verify(&anchors_from(&other.public_key_path), today())
            .unwrap_err();
        assert_eq!(error.code(), "PolicyUnknownKey");
    }

    #[test]
    fn signing_replaces_an_older_envelope() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen(&dir.path().join("keys")).unwrap();
        let policy = dir.path().join("policy.json");
        let out = dir.path().join("signed.json");
        fs::write(&policy, DAILY_REPORT).unwrap();
        fs::write(&out, b"old").unwrap();
        sign_policy_file(&keys.signing_key_path, &policy, &out).unwrap();
        assert!(SignedPolicy::parse(&fs::read(&out).unwrap()).is_ok());
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| name.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn an_invalid_document_is_not_signed() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen(&dir.path().join("keys")).unwrap();
        let policy = dir.path().join("policy.json");
        let out = dir.path().join("signed.json");
        let cases: [(&[u8], &str); 3] = [
            (b"{not json", "PolicyMalformed"),
            (
                br#"{"format":"selfreport.policy/9"}"#,
                "PolicyUnknownFormat",
            ),
            (
                &String::from_utf8_lossy(DAILY_REPORT)
                    .replace("https://report.example.org", "http://report.example.org")
                    .into_bytes(),
                "PolicyEndpointNotHttps",
            ),
        ];
        for (payload, code) in cases {
            fs::write(&policy, payload).unwrap();
            let error = sign_policy_file(&keys.signing_key_path, &policy, &out).unwrap_err();
            assert_eq!(error.code(), code);
            assert_eq!(error.exit_code(), 3);
            assert!(!out.exists());
        }
    }

    #[test]
    fn an_oversized_document_is_refused_with_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen(&dir.path().join("keys")).unwrap();
        let policy = dir.path().join("policy.json");
        fs::write(&policy, vec![b' '; MAX_POLICY_BYTES + 10]).unwrap();
        let error =
            sign_policy_file(&keys.signing_key_path, &policy, &dir.path().join("o")).unwrap_err();
        assert!(matches!(
            error,
            AuthorityError::Policy(PolicyError::TooLarge { size, .. }) if size == MAX_POLICY_BYTES + 10
        ));
    }

    #[test]
    fn a_bad_key_file_is_a_clear_error_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("signing.key");
        write_new_file(&key, b"-----BEGIN PRIVATE KEY-----\n", 0o600).unwrap();
        let policy = dir.path().join("policy.json");
        let out = dir.path().join("signed.json");
        fs::write(&policy, DAILY_REPORT).unwrap();
        let error = sign_policy_file(&key, &policy, &out).unwrap_err();
        assert_eq!(error.code(), "SigningKeyMalformed");
        assert_eq!(error.exit_code(), 3);
        assert!(error.to_string().contains("signing.key"));
        assert!(!error.to_string().contains("BEGIN"));
        assert!(!out.exists());

        let keys = keygen(&dir.path().join("keys")).unwrap();
        let error = sign_policy_file(&keys.public_key_path, &policy, &out).unwrap_err();
        assert_eq!(error.code(), "KeyFileIsPublic");
        assert!(!out.exists());
    }

    #[test]
    fn the_output_cannot_be_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen(&dir.path().join("keys")).unwrap();
        let policy = dir.path().join("policy.json");
        fs::write(&policy, DAILY_REPORT).unwrap();

        let error = sign_policy_file(&keys.signing_key_path, &policy, &policy).unwrap_err();
        assert_eq!(error.code(), "OutputIsInput");
        assert_eq!(error.exit_code(), 2);
        assert_eq!(fs::read(&policy).unwrap(), DAILY_REPORT);

        let private = fs::read(&keys.signing_key_path).unwrap();
        let through_dots = dir.path().join("keys/../keys/signing.key");
        let error = sign_policy_file(&keys.signing_key_path, &policy, &through_dots).unwrap_err();
        assert_eq!(error.code(), "OutputIsInput");
        assert_eq!(fs::read(&keys.signing_key_path).unwrap(), private);
    }

    #[test]
    fn the_daily_report_example_is_a_valid_policy() {
        let dir = tempfile::tempdir().unwrap();
        let (_, verified) = sign_and_verify(dir.path(), DAILY_REPORT);
        let policy = verified.document();
        assert_eq!(policy.monitoring.map(|m| m.days), Some(14));
        assert_eq!(policy.retention.device_days, 28);
        assert_eq!(policy.retention.server_days, 28);
        assert_eq!(policy.padding.block_bytes, 512);
        assert!(policy.recipients.contains_key("health"));
        assert!(policy.recipients.contains_key("identity"));
        let daily = policy.form("daily").unwrap();
        assert_eq!(daily.once_per, OncePer::Day);
        assert!(daily.requires_monitoring);
        let temperature = daily.field("temperature").unwrap();
        assert_eq!(temperature.kind, FieldKind::TemperatureC);
        assert_eq!(temperature.upload, Transform::Threshold { at: 37.3 });
        let FieldKind::MultiChoice { codes } = &daily.field("symptoms").unwrap().kind else {
            panic!("symptoms is not multi_choice");
        };
        for code in [
            "fever",
            "cough",
            "sore_throat",
            "fatigue",
            "dyspnea",
            "loss_of_smell",
            "diarrhea",
        ] {
            assert!(codes.iter().any(|c| c == code), "{code}");
        }
        assert_eq!(daily.field("notes").unwrap().upload, Transform::Omit);
        assert_bilingual(policy);
    }

    #[test]
    fn the_traveler_example_is_a_valid_policy() {
        let dir = tempfile::tempdir().unwrap();
        let (signed, verified) = sign_and_verify(dir.path(), TRAVELER);
        assert_eq!(signed.policy_id, "sh-arrivals");
        let policy = verified.document();
        let arrival = policy.form("arrival").unwrap();
        assert_eq!(arrival.once_per, OncePer::Registration);
        assert!(!arrival.requires_monitoring);
        assert_eq!(
            arrival.field("arrival_date").unwrap().kind,
            FieldKind::Date { allow_future: true }
        );
        assert!(matches!(
            arrival.field("travel").unwrap().upload,
            Transform::RiskAreaVisited {
                window_days: 14,
                ..
            }
        ));
        assert_eq!(
            arrival.field("birth_date").unwrap().upload,
            Transform::AgeBand { width: 10 }
        );
        let daily = policy.form("daily").unwrap();
        assert!(daily.requires_monitoring);
        assert_bilingual(policy);
    }

    /// Every label, title, issuer name and purpose has Chinese and English.
    fn assert_bilingual(policy: &selfreport_core::policy::PolicyDocument) {
        let has_both = |labels: &selfreport_core::policy::Labels| {
            labels.contains_key("zh") && labels.contains_key("en")
        };
        assert!(has_both(&policy.issuer.name));
        assert!(has_both(&policy.purpose.text));
        for form in &policy.forms {
            assert!(has_both(&form.title), "form {}", form.id);
            for field in &form.fields {
                assert!(has_both(&field.label), "{}.{}", form.id, field.id);
            }
        }
    }
}
