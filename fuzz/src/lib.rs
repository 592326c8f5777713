//! Fixtures the fuzz targets share: a fixed trust anchor and its signing key, a fixed
//! "today", the example policies, a complete profile, and the drop box reply fixture of
//! the bad-input corpus (`tests/tests/corpus.rs`), so corpus files are valid seeds.
//!
//! Everything here is deterministic: a crash found once reproduces from its input alone.
//! Building a fixture may panic (a broken example policy is a broken harness, not a
//! finding); the code under test never may.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate, Utc};
use selfreport_core::crypto::SigningKey;
use selfreport_core::model::{Profile, ProfileId};
use selfreport_core::policy::{PolicyDocument, TrustAnchor, TrustAnchors, parse_policy_document};

/// The seed of the policy-signing key the targets trust: 32 bytes of `0x07`. It is
/// public test material; `scripts/fuzz` signs the example policies with it for seeds.
pub const ANCHOR_SEED: [u8; 32] = [7; 32];

/// The person's local date every target uses: inside the example policies' validity.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
}

/// "Now" for `Retry-After`: noon of [`today`], UTC.
pub fn now() -> DateTime<Utc> {
    today().and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()
}

/// The policy-signing key of [`ANCHOR_SEED`].
pub fn anchor_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SigningKey::from_seed_base64(&STANDARD.encode(ANCHOR_SEED)).expect("the anchor seed")
    })
}

/// The trust anchors: [`anchor_key`], valid on every day, and a second key whose
/// window ended before [`today`] (seed `0x08`), so both the signature check and the
/// window check are reachable.
pub fn anchors() -> &'static TrustAnchors {
    static ANCHORS: OnceLock<TrustAnchors> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        let retired = SigningKey::from_seed_base64(&STANDARD.encode([8u8; 32])).expect("seed");
        let retired = TrustAnchor::new(retired.public_key())
            .with_window(None, NaiveDate::from_ymd_opt(2026, 1, 1))
            .expect("a window");
        [TrustAnchor::new(anchor_key().public_key()), retired]
            .into_iter()
            .collect()
    })
}

/// The root the `chains` corpus class is signed from (seed: 32 bytes of `0x11`, see
/// `tests/corpus/generate-chain-cases.py`), valid every day, beside [`anchors`]' keys: the
/// `chain` target trusts it so its seeds reach every check of a chain.
pub fn chain_anchors() -> &'static TrustAnchors {
    static ANCHORS: OnceLock<TrustAnchors> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        let root = SigningKey::from_seed_base64(&STANDARD.encode([0x11u8; 32])).expect("seed");
        [TrustAnchor::new(root.public_key()), TrustAnchor::new(anchor_key().public_key())]
            .into_iter()
            .collect()
    })
}

/// The example policies, parsed: `daily-report.json` and `traveler-preregistration.json`.
pub fn example_policies() -> &'static [PolicyDocument] {
    static POLICIES: OnceLock<Vec<PolicyDocument>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        [
            include_bytes!("../../examples/policies/daily-report.json").as_slice(),
            include_bytes!("../../examples/policies/traveler-preregistration.json").as_slice(),
        ]
        .into_iter()
        .map(|bytes| parse_policy_document(bytes).expect("an example policy parses"))
        .collect()
    })
}

/// A profile holding every attribute, each valid.
pub fn profile() -> Profile {
    Profile {
        id: ProfileId::from_random_bytes([1; 16]),
        display_name: "Fuzz".to_owned(),
        name: Some("张三".to_owned()),
        id_number: Some("11010519491231002X".to_owned()),
        phone: Some("+8613800138000".to_owned()),
        birth_date: NaiveDate::from_ymd_opt(1949, 12, 31),
        passport_number: Some("E12345678".to_owned()),
    }
}

#[path = "../../tests/src/reply_fixture.rs"]
mod reply_fixture;
pub use reply_fixture::{RECEIVED_AT, ReplyFixture};

#[path = "../../tests/src/batch_fixture.rs"]
mod batch_fixture;
pub use batch_fixture::{BatchFixture, ITEMS as BATCH_ITEMS};

/// The batch fixture of the corpus's `batch-replies` class, built once (nine Ed25519
/// signatures): the same file `tests/tests/corpus.rs` uses, so its reply files are seeds.
pub fn batch_fixture() -> &'static BatchFixture {
    static FIXTURE: OnceLock<BatchFixture> = OnceLock::new();
    FIXTURE.get_or_init(BatchFixture::new)
}

/// The reply fixture of the bad-input corpus, built once: the same file
/// `tests/tests/corpus.rs` uses, so corpus reply files are valid seeds.
pub fn reply_fixture() -> &'static ReplyFixture {
    static FIXTURE: OnceLock<ReplyFixture> = OnceLock::new();
    FIXTURE.get_or_init(ReplyFixture::new)
}

/// Asserts that a stable error code is what the core promises: a non-empty ASCII
/// identifier (`PolicyMalformed`, `OutOfRange`), never free text.
pub fn assert_code(code: &str) {
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric()),
        "not a stable error code: {code:?}"
    );
}
