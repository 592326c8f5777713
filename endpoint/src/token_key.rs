//! Upload token issuer keys (issue 14, docs/protocol.md "Upload tokens"): the drop box's
//! private RSA keys that blindly sign token requests (RFC 9578 token type 0x0002,
//! RSABSSA-SHA384-PSS-Deterministic of RFC 9474, 2048 bits), and
//! `selfreport-authority token-key generate`, which makes one and prints the entry a
//! policy's `endpoint.token_keys` lists it with.
//!
//! The private-key operations are the `blind-rsa-signatures` crate's; the public key is
//! published as the SubjectPublicKeyInfo of RFC 9578 §6.5, which the core reads
//! ([`selfreport_core::token::IssuerKey::from_spki`]) and verifies spent tokens with (ring),
//! so issuance and verification are two implementations checking each other.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use blind_rsa_signatures::{DefaultRng, Hash, KeyPair, Options, PSSMode, PrepareMode, SecretKey};
use chrono::NaiveDate;
use selfreport_core::policy::TokenKeyUse;
use selfreport_core::token::{IssuerKey, NK};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::{AuthorityError, Result};
use crate::keyfile::{PRIVATE_KEY_MODE, read_private_file, write_new_file};

/// Bits of an issuer key's modulus (RFC 9578 §6: `Nk` = 256 bytes).
pub const ISSUER_KEY_BITS: usize = 2048;

/// Largest issuer key file read; a 2048-bit PKCS#8 PEM is about 1,700 bytes.
const MAX_ISSUER_KEY_FILE_BYTES: u64 = 8192;

/// An issuer's private key, with its public key as the policy lists it.
pub struct IssuerSecretKey {
    secret: SecretKey,
    spki: Vec<u8>,
    public: IssuerKey,
}

impl std::fmt::Debug for IssuerSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerSecretKey")
            .field("spki_base64", &self.spki_base64())
            .finish_non_exhaustive()
    }
}

/// The options of RFC 9578's token type 0x0002: SHA-384, a 48-byte salt, the message
/// signed as it is (the token input already holds a fresh nonce).
fn token_type_2_options() -> Options {
    Options::new(Hash::Sha384, PSSMode::PSS, PrepareMode::Deterministic)
}

impl IssuerSecretKey {
    /// A new random 2048-bit key (a prime search: about a second optimized).
    pub fn generate() -> Result<Self> {
        let pair = KeyPair::generate(&mut DefaultRng, ISSUER_KEY_BITS).map_err(|error| {
            AuthorityError::TokenKey {
                detail: format!("cannot generate an RSA key: {error}"),
            }
        })?;
        Self::from_secret(pair.sk).map_err(|detail| AuthorityError::TokenKey {
            detail: detail.to_owned(),
        })
    }

    /// The key in a PKCS#8 (or PKCS#1) PEM text; `None` unless it is a valid 2048-bit RSA
    /// private key.
    pub fn from_pem(pem: &str) -> Option<Self> {
        let secret = SecretKey::from_pem(pem).ok()?;
        Self::from_secret(secret).ok()
    }

    /// Reads the key file `token-key generate` wrote (refused if other users can read it).
    pub fn read(path: &Path) -> Result<Self> {
        let malformed = |path: &Path| AuthorityError::TokenKeyMalformed {
            path: path.to_path_buf(),
        };
        let contents = read_private_file(path, MAX_ISSUER_KEY_FILE_BYTES, malformed)?;
        let text = std::str::from_utf8(&contents).map_err(|_| malformed(path))?;
        Self::from_pem(text).ok_or_else(|| malformed(path))
    }

    fn from_secret(secret: SecretKey) -> std::result::Result<Self, &'static str> {
        let spki = secret
            .public_key()
            .and_then(|public| public.to_spki(Some(&token_type_2_options())))
            .map_err(|_| "the RSA key has no usable public key")?;
        // The core reads the published key strictly: a key it would refuse is refused here.
        let public =
            IssuerKey::from_spki(&spki).map_err(|_| "the key is not a 2048-bit RSA key")?;
        Ok(Self {
            secret,
            spki,
            public,
        })
    }

    /// The private key as PKCS#8 PEM.
    pub fn to_pem(&self) -> Result<Zeroizing<String>> {
        self.secret
            .to_pem()
            .map(Zeroizing::new)
            .map_err(|_| AuthorityError::TokenKey {
                detail: "cannot encode the key as PEM".to_owned(),
            })
    }

    /// The public key: the DER SubjectPublicKeyInfo of RFC 9578 §6.5.
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// The public key in standard base64, as a policy's `token_keys[].spki` holds it.
    pub fn spki_base64(&self) -> String {
        STANDARD.encode(&self.spki)
    }

    /// The public key as the core reads it (its `token_key_id`, verification).
    pub fn public(&self) -> &IssuerKey {
        &self.public
    }

    /// The blind signature of `blinded_msg` (RFC 9474 `BlindSign`: [`NK`] bytes in, [`NK`]
    /// out, the result checked against the public key before it is returned); `None` for a
    /// message that is not [`NK`] bytes or not below the modulus.
    pub fn blind_sign(&self, blinded_msg: &[u8]) -> Option<Vec<u8>> {
        if blinded_msg.len() != NK {
            return None;
        }
        self.secret
            .blind_sign(blinded_msg)
            .ok()
            .map(|signature| signature.0)
    }
}

/// One entry of a policy's `endpoint.token_keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKeyEntry {
    /// Which uploads its tokens pay for.
    pub usage: TokenKeyUse,
    /// The DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    /// First day it issues.
    pub from: NaiveDate,
    /// Last day it issues.
    pub until: NaiveDate,
}

impl TokenKeyEntry {
    /// The entry as the policy holds it:
    /// `{"use":…,"spki":"<standard base64>","from":"YYYY-MM-DD","until":"YYYY-MM-DD"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "use": self.usage.as_str(),
            "spki": STANDARD.encode(&self.spki),
            "from": self.from.to_string(),
            "until": self.until.to_string(),
        })
    }
}

/// Appends `entry` to `policy`'s `endpoint.token_keys` (created if missing); for a policy
/// author's script and test fixtures. A policy with token keys must be
/// `selfreport.policy/2`, checked when it is signed.
pub fn add_token_key(policy: &mut Value, entry: &TokenKeyEntry) -> Option<()> {
    let endpoint = policy.get_mut("endpoint")?.as_object_mut()?;
    let keys = endpoint
        .entry("token_keys")
        .or_insert_with(|| Value::Array(Vec::new()));
    keys.as_array_mut()?.push(entry.to_json());
    Some(())
}

/// What `token-key generate` wrote.
#[derive(Debug)]
pub struct TokenKeyOutput {
    /// The key's SubjectPublicKeyInfo, standard base64.
    pub spki_base64: String,
    /// The ready `endpoint.token_keys` entry.
    pub entry: TokenKeyEntry,
}

/// Generates an issuer key and writes its private key to `out` (PKCS#8 PEM, mode 0600,
/// never replacing a file); returns the public key and the policy entry for `usage` from
/// `from` to `until`.
pub fn generate_token_key_file(
    out: &Path,
    usage: TokenKeyUse,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<TokenKeyOutput> {
    if out.exists() || out.is_symlink() {
        return Err(AuthorityError::KeyFileExists {
            path: out.to_path_buf(),
        });
    }
    let key = IssuerSecretKey::generate()?;
    let pem = key.to_pem()?;
    write_new_file(out, pem.as_bytes(), PRIVATE_KEY_MODE)?;
    Ok(TokenKeyOutput {
        spki_base64: key.spki_base64(),
        entry: TokenKeyEntry {
            usage,
            spki: key.spki().to_vec(),
            from,
            until,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = include_str!("../../core/src/token/rfc9578_vectors.json");

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_rfc_key_signs_each_vectors_blinded_request_to_its_response() {
        let vectors: Value = serde_json::from_str(VECTORS).unwrap();
        let key = IssuerSecretKey::from_pem(vectors["skS_pem"].as_str().unwrap()).unwrap();
        let all = vectors["vectors"].as_array().unwrap();
        assert_eq!(all.len(), 5);
        for vector in all {
            assert_eq!(key.spki(), hex(vector["pkS"].as_str().unwrap()));
            let request = hex(vector["token_request"].as_str().unwrap());
            let parsed = selfreport_core::token::TokenRequest::parse(&request).unwrap();
            assert_eq!(
                parsed.truncated_token_key_id,
                key.public().truncated_key_id()
            );
            assert_eq!(
                key.blind_sign(&parsed.blinded_msg).unwrap(),
                hex(vector["token_response"].as_str().unwrap())
            );
        }
        assert!(key.blind_sign(&[1u8; NK - 1]).is_none());
        // At or above the modulus: refused, not reduced.
        assert!(key.blind_sign(&[0xff; NK]).is_none());
    }

    #[test]
    fn a_generated_key_is_written_private_once_and_reads_back() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("issuer.pem");
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        let written = generate_token_key_file(
            &out,
            TokenKeyUse::Open,
            day("2026-12-01"),
            day("2026-12-31"),
        )
        .unwrap();
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let key = IssuerSecretKey::read(&out).unwrap();
        assert_eq!(key.spki_base64(), written.spki_base64);
        assert_eq!(
            written.entry.to_json(),
            json!({"use": "open", "spki": written.spki_base64,
                   "from": "2026-12-01", "until": "2026-12-31"})
        );
        let before = std::fs::read(&out).unwrap();
        let again = generate_token_key_file(
            &out,
            TokenKeyUse::Open,
            day("2026-12-01"),
            day("2026-12-31"),
        );
        assert_eq!(again.unwrap_err().code(), "KeyFileExists");
        assert_eq!(std::fs::read(&out).unwrap(), before);
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            IssuerSecretKey::read(&out).unwrap_err().code(),
            "KeyFileTooOpen"
        );
        let garbage = dir.path().join("garbage.pem");
        write_new_file(&garbage, b"-----BEGIN PRIVATE KEY-----\n", 0o600).unwrap();
        assert_eq!(
            IssuerSecretKey::read(&garbage).unwrap_err().code(),
            "TokenKeyMalformed"
        );
    }

    #[test]
    fn entries_are_added_to_a_policys_endpoint() {
        let mut policy = json!({"endpoint": {"url": "https://h/v1"}});
        let entry = TokenKeyEntry {
            usage: TokenKeyUse::Enrolled,
            spki: vec![1, 2, 3],
            from: "2026-12-01".parse().unwrap(),
            until: "2026-12-02".parse().unwrap(),
        };
        add_token_key(&mut policy, &entry).unwrap();
        add_token_key(&mut policy, &entry).unwrap();
        assert_eq!(policy["endpoint"]["token_keys"][1]["spki"], "AQID");
        assert_eq!(policy["endpoint"]["token_keys"][0]["use"], "enrolled");
        assert!(add_token_key(&mut json!({}), &entry).is_none());
    }
}
