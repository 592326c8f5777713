//! Policy install and the per-send re-check (issue 13): a policy signed by its root
//! directly (one signature, as every install was before delegations) against the same
//! policy signed by a district office under a two-link chain (root -> city -> district:
//! three signatures), and the re-check that now runs before every seal and send.
//!
//!     cargo bench -p selfreport-core --bench policy
//!
//! Lines: `policy/verify_root_signed`, `policy/verify_two_link_chain` (parse and verify
//! the envelope); `policy/install_root_signed`, `policy/install_two_link_chain` (the
//! facade's install into an encrypted store: verify, store, consent bookkeeping; each
//! iteration installs the next version, signed before the sample's installs are timed); `policy/recheck_before_send` (what a seal or a
//! sync does once per policy: `usable_policy`, the chain verified already that day, the
//! consent read; the first check of a day also verifies the chain, as
//! `policy/verify_two_link_chain` does). The targets (install with a chain and the per-send re-check within
//! 1.1x of the single-signature install and send) are judged in docs/performance.md.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::NaiveDate;
use criterion::Criterion;
use selfreport_core::crypto::{KeyMaterial, MemoryKeySource, SigningKey};
use selfreport_core::policy::{
    SignedPolicy, TrustAnchor, TrustAnchors, sign_delegation, sign_policy, sign_policy_with_chain,
};
use selfreport_core::{FixedClock, Options, SelfReport};
use serde_json::{Value, json};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_seed_base64(&base64::engine::general_purpose::STANDARD.encode([seed; 32]))
        .expect("seed")
}

/// The example daily report as a `/2` policy of `version`.
fn policy(version: u64) -> Vec<u8> {
    let mut policy: Value =
        serde_json::from_slice(include_bytes!("../../examples/policies/daily-report.json"))
            .expect("example policy");
    policy["format"] = json!("selfreport.policy/2");
    policy["id"] = json!("sh-huangpu-daily");
    policy["version"] = json!(version);
    policy["region"] = json!(["310101"]);
    policy["recipients"]["health"]["role"] = json!("health");
    policy["recipients"]["identity"]["role"] = json!("identity");
    selfreport_core::policy::declare_minimum_padded_sizes(&mut policy).expect("draft");
    serde_json::to_vec(&policy).expect("json")
}

fn delegation(subject: &SigningKey, namespace: &str, region: &str, depth: u32) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "format": "selfreport.delegation/1",
        "subject": {"public_key": subject.public_key_base64()},
        "valid_from": "2026-11-01", "valid_until": "2027-05-01",
        "constraints": {"namespace": namespace, "purposes": ["epidemic-control"],
            "regions": [region], "max_device_days": 28, "max_server_days": 28,
            "endpoint_hosts": ["report.example.org"],
            "kinds": {"person_name": "keep", "phone": "keep", "temperature_c": "threshold",
                      "multi_choice": "keep", "district": "generalize:city", "yes_no": "keep"},
            "depth": depth}
    }))
    .expect("json")
}

struct Signers {
    root: SigningKey,
    district: SigningKey,
    chain: Vec<Vec<u8>>,
}

fn signers() -> Signers {
    let (root, city, district) = (key(0x11), key(0x22), key(0x33));
    let chain = vec![
        sign_delegation(&root, &delegation(&city, "sh-", "310000", 1)).expect("first link"),
        sign_delegation(&city, &delegation(&district, "sh-huangpu-", "310101", 0))
            .expect("second link"),
    ];
    Signers {
        root,
        district,
        chain,
    }
}

impl Signers {
    fn root_signed(&self, version: u64) -> Vec<u8> {
        sign_policy(&self.root, &policy(version)).expect("root-signed policy")
    }

    fn chain_signed(&self, version: u64) -> Vec<u8> {
        sign_policy_with_chain(&self.district, &policy(version), &self.chain, None)
            .expect("chain-signed policy")
    }

    fn anchors(&self) -> TrustAnchors {
        TrustAnchor::new(self.root.public_key()).into()
    }
}

fn store(signers: &Signers) -> (tempfile::TempDir, SelfReport) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = Options {
        trust_anchors: signers.anchors(),
        clock: Arc::new(FixedClock::at_local_noon(today(), 8 * 3600).expect("clock")),
    };
    let source = MemoryKeySource::new(KeyMaterial::from_bytes([9; 32]));
    let core = SelfReport::create(dir.path(), &source, options).expect("create store");
    (dir, core)
}

fn main() {
    let signers = signers();
    let anchors = signers.anchors();
    let mut criterion = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = criterion.benchmark_group("policy");

    for (name, envelope) in [
        ("verify_root_signed", signers.root_signed(1)),
        ("verify_two_link_chain", signers.chain_signed(1)),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let signed = SignedPolicy::parse(black_box(&envelope)).expect("parse");
                black_box(signed.verify(&anchors, today()).expect("verify"))
            })
        });
    }

    // Each iteration installs the next version (at most 1,000 above the installed one).
    // The envelopes of a sample are all signed before its installs are timed, so neither
    // the signing nor what it leaves in the caches is measured.
    for (name, chained) in [
        ("install_root_signed", false),
        ("install_two_link_chain", true),
    ] {
        let (_dir, core) = store(&signers);
        let version = Cell::new(1u64);
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let envelopes: Vec<Vec<u8>> = (0..iterations)
                    .map(|_| {
                        let next = version.get();
                        version.set(next + 1);
                        if chained {
                            signers.chain_signed(next)
                        } else {
                            signers.root_signed(next)
                        }
                    })
                    .collect();
                let start = std::time::Instant::now();
                for envelope in &envelopes {
                    black_box(core.install_policy(envelope).expect("install"));
                }
                start.elapsed()
            })
        });
    }

    // What runs once per policy before a seal or a sync sends anything, the chain verified
    // earlier that day (a digest compare and the consent read). The first time on a day it
    // verifies the chain again: `verify_two_link_chain` above.
    let (_dir, core) = store(&signers);
    core.install_policy(&signers.chain_signed(1))
        .expect("install");
    core.grant_consent("sh-huangpu-daily").expect("consent");
    group.bench_function("recheck_before_send", |b| {
        b.iter(|| black_box(core.usable_policy("sh-huangpu-daily").expect("usable")))
    });
    group.finish();
    criterion.final_summary();
}
