//! HPKE (RFC 9180) base mode, sender side, on ring only.
//!
//! Suites: KEM DHKEM(X25519, HKDF-SHA256) (`0x0020`), KDF HKDF-SHA256 (`0x0001`), and the AEAD
//! named by the policy's suite string: ChaCha20-Poly1305 (`0x0003`) or AES-128-GCM (`0x0001`).
//! The device only ever seals, once per key schedule (sequence number 0), so there is no
//! receiver, no exporter interface and no sequence counter here.
//!
//! The steps are separate functions so each can be checked against RFC 9180 Appendix A:
//! [`kem_extract_and_expand`] (KEM shared secret from a DH output), [`key_schedule`]
//! (key, base nonce, exporter secret) and [`seal_with`] (the single-shot AEAD seal).
//! [`hpke_seal`] composes them around a fresh ephemeral key from ring.

use ring::aead::{AES_128_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf::{self, HKDF_SHA256};
use ring::hmac::{self, HMAC_SHA256};
use ring::rand::SystemRandom;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Error;

#[cfg(feature = "test-vectors")]
pub mod fixed_ephemeral;

/// `KEM_ID` of DHKEM(X25519, HKDF-SHA256).
const KEM_ID: u16 = 0x0020;
/// `KDF_ID` of HKDF-SHA256.
const KDF_ID: u16 = 0x0001;
/// `mode_base`: no PSK, no sender authentication.
const MODE_BASE: u8 = 0x00;
/// Prefix of every labeled extract and expand (RFC 9180 §4).
const HPKE_V1: &[u8] = b"HPKE-v1";
/// `Nh` of HKDF-SHA256, and `Nsecret` of the KEM.
const HASH_LEN: usize = 32;
/// `Nenc` and `Npk` of X25519.
const X25519_LEN: usize = 32;
/// Largest `Nk` of the supported AEADs.
const MAX_KEY_LEN: usize = 32;
/// Length of the key schedule context: mode || psk_id_hash || info_hash.
const KEY_SCHEDULE_CONTEXT_LEN: usize = 1 + 2 * HASH_LEN;
/// Label that starts the `info` of a sealed submission part.
const SUBMISSION_INFO_LABEL: &[u8] = b"selfreport.submission/1";

/// Why sealing to a recipient failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HpkeError {
    /// The suite name is not one this build seals with.
    #[error("unsupported HPKE suite {suite:?}")]
    UnsupportedSuite {
        /// The name asked for.
        suite: String,
    },

    /// The recipient public key is a low-order point: the X25519 output would be all zero.
    #[error("the recipient public key is not a usable X25519 key")]
    InvalidPublicKey,

    /// The random generator or a primitive failed.
    #[error("HPKE failure: {0}")]
    Crypto(&'static str),
}

impl HpkeError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            HpkeError::UnsupportedSuite { .. } => "UnsupportedSuite",
            HpkeError::InvalidPublicKey => "InvalidPublicKey",
            HpkeError::Crypto(_) => "Crypto",
        }
    }
}

impl From<HpkeError> for Error {
    fn from(error: HpkeError) -> Self {
        // Suites and keys come from a verified policy, so either failure means the policy
        // names something this build cannot seal to; the core reports it as a crypto failure.
        match error {
            HpkeError::UnsupportedSuite { .. } => Error::Crypto("unsupported HPKE suite"),
            HpkeError::InvalidPublicKey => Error::Crypto("invalid HPKE recipient public key"),
            HpkeError::Crypto(reason) => Error::Crypto(reason),
        }
    }
}

/// An HPKE suite this build seals with, named as in policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HpkeSuite {
    /// `"x25519-sha256-chacha20poly1305"`: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
    X25519Sha256ChaCha20Poly1305,
    /// `"x25519-sha256-aes128gcm"`: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
    X25519Sha256Aes128Gcm,
}

impl HpkeSuite {
    /// Every supported suite.
    pub const ALL: [HpkeSuite; 2] = [
        HpkeSuite::X25519Sha256ChaCha20Poly1305,
        HpkeSuite::X25519Sha256Aes128Gcm,
    ];

    /// The suite with this policy name; names are matched exactly.
    pub fn from_name(name: &str) -> Result<Self, HpkeError> {
        Self::ALL
            .into_iter()
            .find(|suite| suite.name() == name)
            .ok_or_else(|| HpkeError::UnsupportedSuite {
                suite: name.to_owned(),
            })
    }

    /// The suite's name in policies.
    pub fn name(self) -> &'static str {
        match self {
            HpkeSuite::X25519Sha256ChaCha20Poly1305 => "x25519-sha256-chacha20poly1305",
            HpkeSuite::X25519Sha256Aes128Gcm => "x25519-sha256-aes128gcm",
        }
    }

    fn aead_id(self) -> u16 {
        match self {
            HpkeSuite::X25519Sha256ChaCha20Poly1305 => 0x0003,
            HpkeSuite::X25519Sha256Aes128Gcm => 0x0001,
        }
    }

    fn aead(self) -> &'static ring::aead::Algorithm {
        match self {
            HpkeSuite::X25519Sha256ChaCha20Poly1305 => &CHACHA20_POLY1305,
            HpkeSuite::X25519Sha256Aes128Gcm => &AES_128_GCM,
        }
    }

    /// `Nk`, the AEAD key length.
    fn key_len(self) -> usize {
        self.aead().key_len()
    }

    /// `suite_id` of the key schedule: `"HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)`.
    fn suite_id(self) -> [u8; 10] {
        let mut id = [0u8; 10];
        id[..4].copy_from_slice(b"HPKE");
        id[4..6].copy_from_slice(&KEM_ID.to_be_bytes());
        id[6..8].copy_from_slice(&KDF_ID.to_be_bytes());
        id[8..].copy_from_slice(&self.aead_id().to_be_bytes());
        id
    }
}

/// `suite_id` of the KEM: `"KEM" || I2OSP(kem_id, 2)`.
fn kem_suite_id() -> [u8; 5] {
    let mut id = [0u8; 5];
    id[..3].copy_from_slice(b"KEM");
    id[3..].copy_from_slice(&KEM_ID.to_be_bytes());
    id
}

/// One sealed part: the encapsulated ephemeral public key and the ciphertext with its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpkeSealed {
    /// `enc`: the sender's ephemeral X25519 public key.
    pub enc: [u8; X25519_LEN],
    /// `ct`: AEAD ciphertext of the plaintext, followed by the 16-byte tag.
    pub ct: Vec<u8>,
}

/// The `info` bound into every sealed submission part:
/// `"selfreport.submission/1" || 0x00 || policy_id || 0x00 || version (decimal) || 0x00 || recipient`.
///
/// Policy ids and recipient names cannot contain NUL, so the separators keep it unambiguous.
pub fn submission_info(policy_id: &str, version: u64, recipient: &str) -> Vec<u8> {
    let version = version.to_string();
    let mut info = Vec::with_capacity(
        SUBMISSION_INFO_LABEL.len() + policy_id.len() + version.len() + recipient.len() + 3,
    );
    for (index, part) in [
        SUBMISSION_INFO_LABEL,
        policy_id.as_bytes(),
        version.as_bytes(),
        recipient.as_bytes(),
    ]
    .into_iter()
    .enumerate()
    {
        if index > 0 {
            info.push(0x00);
        }
        info.extend_from_slice(part);
    }
    info
}

/// Seals `plaintext` to `recipient_public_key` with the suite named `suite`, binding `info`
/// and `aad`: RFC 9180 `SetupBaseS` followed by one `Seal` at sequence number 0.
///
/// Every call uses a fresh ephemeral key, so the same inputs seal to different `enc` and `ct`.
pub fn hpke_seal(
    suite: &str,
    recipient_public_key: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<HpkeSealed, HpkeError> {
    let suite = HpkeSuite::from_name(suite)?;
    let ephemeral = EphemeralPrivateKey::generate(&X25519, &SystemRandom::new())
        .map_err(|_| HpkeError::Crypto("the system random generator failed"))?;
    let enc: [u8; X25519_LEN] = ephemeral
        .compute_public_key()
        .map_err(|_| HpkeError::Crypto("X25519 public key computation failed"))?
        .as_ref()
        .try_into()
        .map_err(|_| HpkeError::Crypto("unexpected X25519 public key length"))?;
    let recipient = UnparsedPublicKey::new(&X25519, recipient_public_key);
    // ring refuses an all-zero result (a low-order recipient point), which is its only
    // failure once the algorithms match; the closure checks again so the rule of RFC 9180
    // §7.1.4 does not rest on that detail.
    let shared_secret = agreement::agree_ephemeral(ephemeral, &recipient, |dh| {
        let dh: &[u8; X25519_LEN] = dh
            .try_into()
            .map_err(|_| HpkeError::Crypto("unexpected X25519 output length"))?;
        if is_all_zero(dh) {
            return Err(HpkeError::InvalidPublicKey);
        }
        kem_extract_and_expand(dh, &enc, recipient_public_key)
    })
    .map_err(|_| HpkeError::InvalidPublicKey)??;
    let schedule = key_schedule(suite, &shared_secret, info)?;
    let ct = seal_with(schedule, aad, plaintext)?;
    Ok(HpkeSealed { enc, ct })
}

fn is_all_zero(bytes: &[u8]) -> bool {
    // Fold without an early exit, so the time taken does not depend on the secret.
    bytes.iter().fold(0u8, |acc, byte| acc | byte) == 0
}

/// DHKEM `ExtractAndExpand(dh, kem_context)` with `kem_context = enc || pkR`: the KEM's
/// `shared_secret` (RFC 9180 §4.1).
pub(crate) fn kem_extract_and_expand(
    dh: &[u8; X25519_LEN],
    enc: &[u8; X25519_LEN],
    pk_r: &[u8; X25519_LEN],
) -> Result<Zeroizing<[u8; HASH_LEN]>, HpkeError> {
    let suite_id = kem_suite_id();
    let eae_prk = labeled_extract(&suite_id, &[], b"eae_prk", &[dh]);
    let mut shared_secret = Zeroizing::new([0u8; HASH_LEN]);
    labeled_expand(
        &suite_id,
        &eae_prk,
        b"shared_secret",
        &[enc, pk_r],
        shared_secret.as_mut_slice(),
    )?;
    Ok(shared_secret)
}

/// The secrets of one base-mode HPKE context. Zeroized on drop; `Debug` shows no bytes.
///
/// [`seal_with`] consumes it: the sender seals exactly once, at sequence number 0, so the
/// nonce `base_nonce` can never be used twice with `key`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct KeySchedule {
    #[zeroize(skip)]
    suite: HpkeSuite,
    /// The AEAD key; only the first `Nk` bytes are used.
    key: [u8; MAX_KEY_LEN],
    base_nonce: [u8; NONCE_LEN],
    /// Unused by a single-shot sender; kept so the whole schedule is checked against RFC 9180.
    exporter_secret: [u8; HASH_LEN],
}

impl KeySchedule {
    /// The AEAD key, `Nk` bytes.
    fn key(&self) -> &[u8] {
        &self.key[..self.suite.key_len()]
    }
}

impl std::fmt::Debug for KeySchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySchedule")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// `key_schedule_context = mode || psk_id_hash || info_hash` for base mode (empty `psk_id`).
fn key_schedule_context(suite: HpkeSuite, info: &[u8]) -> [u8; KEY_SCHEDULE_CONTEXT_LEN] {
    let suite_id = suite.suite_id();
    let psk_id_hash = labeled_extract(&suite_id, &[], b"psk_id_hash", &[]);
    let info_hash = labeled_extract(&suite_id, &[], b"info_hash", &[info]);
    let mut context = [0u8; KEY_SCHEDULE_CONTEXT_LEN];
    context[0] = MODE_BASE;
    context[1..1 + HASH_LEN].copy_from_slice(psk_id_hash.as_slice());
    context[1 + HASH_LEN..].copy_from_slice(info_hash.as_slice());
    context
}

/// RFC 9180 §5.1 `KeySchedule` in base mode (empty `psk` and `psk_id`).
pub(crate) fn key_schedule(
    suite: HpkeSuite,
    shared_secret: &[u8; HASH_LEN],
    info: &[u8],
) -> Result<KeySchedule, HpkeError> {
    let suite_id = suite.suite_id();
    let context = key_schedule_context(suite, info);
    let secret = labeled_extract(&suite_id, shared_secret, b"secret", &[]);
    let mut schedule = KeySchedule {
        suite,
        key: [0u8; MAX_KEY_LEN],
        base_nonce: [0u8; NONCE_LEN],
        exporter_secret: [0u8; HASH_LEN],
    };
    let key_len = suite.key_len();
    labeled_expand(
        &suite_id,
        &secret,
        b"key",
        &[&context],
        &mut schedule.key[..key_len],
    )?;
    labeled_expand(
        &suite_id,
        &secret,
        b"base_nonce",
        &[&context],
        &mut schedule.base_nonce,
    )?;
    labeled_expand(
        &suite_id,
        &secret,
        b"exp",
        &[&context],
        &mut schedule.exporter_secret,
    )?;
    Ok(schedule)
}

/// `ContextS.Seal(aad, pt)` at sequence number 0 (nonce = `base_nonce`); returns `ct || tag`.
pub(crate) fn seal_with(
    schedule: KeySchedule,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, HpkeError> {
    let unbound = UnboundKey::new(schedule.suite.aead(), schedule.key())
        .map_err(|_| HpkeError::Crypto("invalid AEAD key length"))?;
    let mut in_out = plaintext.to_vec();
    LessSafeKey::new(unbound)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(schedule.base_nonce),
            Aad::from(aad),
            &mut in_out,
        )
        .map_err(|_| HpkeError::Crypto("AEAD seal failed"))?;
    Ok(in_out)
}

/// `LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" || suite_id || label || ikm)`,
/// with `ikm` given in parts. HKDF-Extract is HMAC keyed by the salt; ring's `hkdf` keeps the
/// PRK opaque, and the key schedule needs `psk_id_hash` and `info_hash` as bytes.
fn labeled_extract(
    suite_id: &[u8],
    salt: &[u8],
    label: &[u8],
    ikm: &[&[u8]],
) -> Zeroizing<[u8; HASH_LEN]> {
    let mut context = hmac::Context::with_key(&hmac::Key::new(HMAC_SHA256, salt));
    context.update(HPKE_V1);
    context.update(suite_id);
    context.update(label);
    for part in ikm {
        context.update(part);
    }
    let tag = context.sign();
    let mut prk = Zeroizing::new([0u8; HASH_LEN]);
    prk.copy_from_slice(tag.as_ref());
    prk
}

/// `LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)`,
/// with `info` given in parts and `L = out.len()`.
fn labeled_expand(
    suite_id: &[u8],
    prk: &[u8; HASH_LEN],
    label: &[u8],
    info: &[&[u8]],
    out: &mut [u8],
) -> Result<(), HpkeError> {
    let length = u16::try_from(out.len())
        .map_err(|_| HpkeError::Crypto("HKDF output too long"))?
        .to_be_bytes();
    let mut labeled_info: Vec<&[u8]> = Vec::with_capacity(4 + info.len());
    labeled_info.extend_from_slice(&[&length, HPKE_V1, suite_id, label]);
    labeled_info.extend_from_slice(info);
    hkdf::Prk::new_less_safe(HKDF_SHA256, prk)
        .expand(&labeled_info, OutputLength(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| HpkeError::Crypto("HKDF output too long"))
}

/// An HKDF output length for ring's `expand`.
struct OutputLength(usize);

impl hkdf::KeyType for OutputLength {
    fn len(&self) -> usize {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use x25519_dalek::{PublicKey, StaticSecret};

    use super::*;
    use crate::crypto::random_array;

    fn hex(text: &str) -> Vec<u8> {
        assert_eq!(text.len() % 2, 0, "odd hex length");
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hex32(text: &str) -> [u8; 32] {
        hex(text).try_into().unwrap()
    }

    /// One base-mode vector of RFC 9180 Appendix A and its first encryption (sequence 0).
    struct Vector {
        suite: HpkeSuite,
        info: &'static str,
        sk_em: &'static str,
        pk_em: &'static str,
        pk_rm: &'static str,
        shared_secret: &'static str,
        key_schedule_context: &'static str,
        key: &'static str,
        base_nonce: &'static str,
        exporter_secret: &'static str,
        aad: &'static str,
        pt: &'static str,
        ct: &'static str,
    }

    /// RFC 9180 A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
    const RFC9180_A_1_1: Vector = Vector {
        suite: HpkeSuite::X25519Sha256Aes128Gcm,
        info: "4f6465206f6e2061204772656369616e2055726e",
        sk_em: "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
        pk_em: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
        pk_rm: "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
        shared_secret: "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
        key_schedule_context: "00725611c9d98c07c03f60095cd32d400d8347d45ed670\
                               97bbad50fc56da742d07cb6cffde367bb0565ba28bb02c90744a20f5ef37f3052352\
                               6106f637abb05449",
        key: "4531685d41d65f03dc48f6b8302c05b0",
        base_nonce: "56d890e5accaaf011cff4b7d",
        exporter_secret: "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8",
        aad: "436f756e742d30",
        pt: "4265617574792069732074727574682c20747275746820626561757479",
        ct: "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9\
             6d8770ac83d07bea87e13c512a",
    };

    /// RFC 9180 A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode.
    const RFC9180_A_2_1: Vector = Vector {
        suite: HpkeSuite::X25519Sha256ChaCha20Poly1305,
        info: "4f6465206f6e2061204772656369616e2055726e",
        sk_em: "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600",
        pk_em: "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
        pk_rm: "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a",
        shared_secret: "0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7",
        key_schedule_context: "00431df6cd95e11ff49d7013563baf7f11588c75a6611e\
                               e2a4404a49306ae4cfc5b69c5718a60cc5876c358d3f7fc31ddb598503f67be58ea1\
                               e798c0bb19eb9796",
        key: "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91",
        base_nonce: "5c4d98150661b848853b547f",
        exporter_secret: "a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922",
        aad: "436f756e742d30",
        pt: "4265617574792069732074727574682c20747275746820626561757479",
        ct: "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db\
             21993c62ce81883d2dd1b51a28",
    };

    fn check_vector(vector: &Vector) {
        let sk_e = StaticSecret::from(hex32(vector.sk_em));
        let pk_e = hex32(vector.pk_em);
        let pk_r = hex32(vector.pk_rm);
        assert_eq!(PublicKey::from(&sk_e).as_bytes(), &pk_e, "pkEm");
        let dh = sk_e.diffie_hellman(&PublicKey::from(pk_r));

        let shared_secret = kem_extract_and_expand(dh.as_bytes(), &pk_e, &pk_r).unwrap();
        assert_eq!(
            shared_secret.as_slice(),
            hex(vector.shared_secret),
            "shared_secret"
        );

        let info = hex(vector.info);
        assert_eq!(
            key_schedule_context(vector.suite, &info).as_slice(),
            hex(vector.key_schedule_context),
            "key_schedule_context"
        );
        let schedule = key_schedule(vector.suite, &shared_secret, &info).unwrap();
        assert_eq!(schedule.key(), hex(vector.key), "key");
        assert_eq!(
            schedule.base_nonce.as_slice(),
            hex(vector.base_nonce),
            "base_nonce"
        );
        assert_eq!(
            schedule.exporter_secret.as_slice(),
            hex(vector.exporter_secret),
            "exporter_secret"
        );

        let ct = seal_with(schedule, &hex(vector.aad), &hex(vector.pt)).unwrap();
        assert_eq!(ct, hex(vector.ct), "ct");
    }

    #[test]
    fn reproduces_rfc9180_a_1_1_aes128gcm_base() {
        check_vector(&RFC9180_A_1_1);
    }

    #[test]
    fn reproduces_rfc9180_a_2_1_chacha20poly1305_base() {
        check_vector(&RFC9180_A_2_1);
    }

    /// The receiver's half of base mode, built from the same steps, to check that what
    /// `hpke_seal` produces opens (the endpoint checks the same with the `hpke` crate).
    fn open(
        suite: HpkeSuite,
        sk_r: &StaticSecret,
        sealed: &HpkeSealed,
        info: &[u8],
        aad: &[u8],
    ) -> Option<Vec<u8>> {
        let pk_r = PublicKey::from(sk_r).to_bytes();
        let dh = sk_r.diffie_hellman(&PublicKey::from(sealed.enc));
        let shared_secret = kem_extract_and_expand(dh.as_bytes(), &sealed.enc, &pk_r).ok()?;
        let schedule = key_schedule(suite, &shared_secret, info).ok()?;
        let key = LessSafeKey::new(UnboundKey::new(suite.aead(), schedule.key()).ok()?);
        let mut in_out = sealed.ct.clone();
        let plaintext = key
            .open_in_place(
                Nonce::assume_unique_for_key(schedule.base_nonce),
                Aad::from(aad),
                &mut in_out,
            )
            .ok()?;
        Some(plaintext.to_vec())
    }

    fn recipient() -> (StaticSecret, [u8; 32]) {
        let secret = StaticSecret::from(random_array::<32>().unwrap());
        let public = PublicKey::from(&secret).to_bytes();
        (secret, public)
    }

    #[test]
    fn sealed_parts_open_only_with_the_same_key_info_and_aad() {
        for suite in HpkeSuite::ALL {
            let (sk_r, pk_r) = recipient();
            let info = submission_info("sh", 3, "health");
            let aad = b"0123456789abcdef0123456789abcdef";
            let sealed = hpke_seal(suite.name(), &pk_r, &info, aad, b"{\"fever\":true}").unwrap();
            assert_eq!(sealed.ct.len(), 14 + 16);
            assert_eq!(
                open(suite, &sk_r, &sealed, &info, aad).as_deref(),
                Some(&b"{\"fever\":true}"[..])
            );

            let other_info = submission_info("sh", 3, "identity");
            assert_eq!(open(suite, &sk_r, &sealed, &other_info, aad), None);
            assert_eq!(open(suite, &sk_r, &sealed, &info, b"other"), None);
            let (other_sk, _) = recipient();
            assert_eq!(open(suite, &other_sk, &sealed, &info, aad), None);
            for i in 0..sealed.ct.len() {
                let mut tampered = sealed.clone();
                tampered.ct[i] ^= 0x01;
                assert_eq!(open(suite, &sk_r, &tampered, &info, aad), None, "ct {i}");
            }
            let mut tampered = sealed.clone();
            tampered.enc[0] ^= 0x01;
            assert_eq!(open(suite, &sk_r, &tampered, &info, aad), None);
        }
    }

    #[test]
    fn every_seal_uses_a_fresh_ephemeral_key() {
        let (_, pk_r) = recipient();
        let suite = "x25519-sha256-chacha20poly1305";
        let first = hpke_seal(suite, &pk_r, b"info", b"aad", b"same").unwrap();
        let second = hpke_seal(suite, &pk_r, b"info", b"aad", b"same").unwrap();
        assert_ne!(first.enc, second.enc);
        assert_ne!(first.ct, second.ct);
    }

    #[test]
    fn suite_names_are_matched_exactly() {
        for suite in HpkeSuite::ALL {
            assert_eq!(HpkeSuite::from_name(suite.name()), Ok(suite));
        }
        let (_, pk_r) = recipient();
        for name in [
            "",
            "X25519-SHA256-CHACHA20POLY1305",
            "x25519-sha256-aes256gcm",
            "p256-sha256-aes128gcm",
        ] {
            let error = hpke_seal(name, &pk_r, b"", b"", b"x").unwrap_err();
            assert_eq!(
                error,
                HpkeError::UnsupportedSuite {
                    suite: name.to_owned()
                }
            );
            assert_eq!(error.code(), "UnsupportedSuite");
        }
    }

    #[test]
    fn low_order_recipient_keys_are_refused() {
        let low_order_points = [
            [0u8; 32],
            hex32("0100000000000000000000000000000000000000000000000000000000000000"),
            hex32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
            hex32("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
            // p - 1 and p, non-canonical encodings of low-order points.
            hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
            hex32("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ];
        for point in low_order_points {
            for suite in HpkeSuite::ALL {
                let error = hpke_seal(suite.name(), &point, b"", b"", b"x").unwrap_err();
                assert_eq!(error, HpkeError::InvalidPublicKey, "{point:02x?}");
                assert_eq!(error.code(), "InvalidPublicKey");
            }
        }
    }

    #[test]
    fn submission_info_separates_its_parts_with_nul() {
        assert_eq!(
            submission_info("sh", 3, "health"),
            b"selfreport.submission/1\x00sh\x003\x00health".to_vec()
        );
        assert_ne!(
            submission_info("sh", 13, "health"),
            submission_info("sh1", 3, "health")
        );
    }

    #[test]
    fn key_schedule_debug_shows_no_secrets() {
        let schedule = key_schedule(HpkeSuite::X25519Sha256Aes128Gcm, &[7u8; 32], b"i").unwrap();
        let shown = format!("{schedule:?}");
        assert_eq!(shown, "KeySchedule { suite: X25519Sha256Aes128Gcm, .. }");
    }

    #[test]
    fn errors_map_to_crypto_in_the_core_error() {
        let error: Error = HpkeError::InvalidPublicKey.into();
        assert_eq!(error.code(), "Crypto");
        let error: Error = HpkeError::UnsupportedSuite {
            suite: "x".to_owned(),
        }
        .into();
        assert_eq!(error.code(), "Crypto");
    }
}
