//! Shared set-up for the core's integration tests: a policy using every field kind, signed
//! by a test authority key, and a store opened on a fixed clock.
#![allow(dead_code)]

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use selfreport_core::crypto::{KeyMaterial, MemoryKeySource, PassphraseKeySource, SigningKey};
use selfreport_core::policy::{TrustAnchor, TrustAnchors, sign_policy};
use selfreport_core::{FixedClock, Options, SelfReport};
use zeroize::Zeroizing;

pub const POLICY_ID: &str = "test-every-kind";

pub fn date(text: &str) -> NaiveDate {
    text.parse().expect("test date")
}

fn b64(byte: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

/// A policy whose two forms use every field kind.
pub fn policy_json(version: u64) -> String {
    serde_json::json!({
        "format": "selfreport.policy/1",
        "id": POLICY_ID,
        "version": version,
        "issuer": {"name": {"zh": "测试机构", "en": "Test authority"}},
        "purpose": {"code": "epidemic-control", "text": {"en": "Epidemic control only."}},
        "valid_from": "2026-11-01",
        "valid_until": "2027-05-01",
        "endpoint": {"url": "https://report.example.org/v1", "spki_sha256": [b64(1)], "receipt_key": b64(2)},
        "recipients": {
            "health": {"suite": "x25519-sha256-chacha20poly1305", "public_key": b64(3)},
            "identity": {"suite": "x25519-sha256-chacha20poly1305", "public_key": b64(4)}
        },
        "monitoring": {"days": 14},
        "retention": {"device_days": 28, "server_days": 28},
        "padding": {"block_bytes": 512},
        "forms": [
            {"id": "daily", "once_per": "day", "requires_monitoring": true, "fields": [
                {"id": "temperature", "kind": "temperature_c", "required": true, "upload": {"threshold": 37.3}, "to": "health"},
                {"id": "symptoms", "kind": "multi_choice", "codes": ["cough", "multicanary"], "upload": "keep", "to": "health"},
                {"id": "district", "kind": "district", "upload": {"generalize": "city"}, "to": "health"},
                {"id": "contact", "kind": "yes_no", "upload": "keep", "to": "health"},
                {"id": "notes", "kind": "text", "max_len": 200, "upload": "omit"}
            ]},
            {"id": "arrival", "once_per": "registration", "fields": [
                {"id": "name", "kind": "person_name", "source": "profile", "upload": "keep", "to": "identity"},
                {"id": "id_number", "kind": "resident_id", "source": "profile", "upload": "keep", "to": "identity"},
                {"id": "phone", "kind": "phone", "source": "profile", "upload": "keep", "to": "identity"},
                {"id": "passport_number", "kind": "passport_number", "source": "profile", "upload": "keep", "to": "identity"},
                {"id": "birth_date", "kind": "date", "source": "profile", "upload": {"age_band": 10}, "to": "health"},
                {"id": "travel", "kind": "travel_history", "upload": {"risk_area_visited": {"areas": ["4201"], "window_days": 14}}, "to": "health"},
                {"id": "flight", "kind": "transport_number", "upload": "keep", "to": "identity"},
                {"id": "arrival_date", "kind": "date", "allow_future": true, "upload": "keep", "to": "health"},
                {"id": "companions", "kind": "integer", "min": 0, "max": 1000000000, "upload": "keep", "to": "health"},
                {"id": "purpose", "kind": "choice", "codes": ["work", "choicecanary"], "upload": "keep", "to": "health"},
                {"id": "remarks", "kind": "text", "max_len": 200, "upload": "omit"}
            ]}
        ]
    })
    .to_string()
}

pub struct Authority {
    pub key: SigningKey,
}

impl Authority {
    pub fn new() -> Self {
        Self {
            key: SigningKey::generate().expect("signing key"),
        }
    }

    pub fn anchors(&self) -> TrustAnchors {
        let mut anchors = TrustAnchors::new();
        anchors.insert(TrustAnchor::new(self.key.public_key()));
        anchors
    }

    pub fn sign(&self, json: &str) -> Vec<u8> {
        sign_policy(&self.key, json.as_bytes()).expect("sign policy")
    }
}

pub fn key_source(seed: u8) -> MemoryKeySource {
    MemoryKeySource::new(KeyMaterial::from_bytes([seed; 32]))
}

pub fn passphrase(text: &str) -> PassphraseKeySource {
    PassphraseKeySource::new(Zeroizing::new(text.to_owned()))
        .with_iterations(NonZeroU32::new(1_000).expect("non-zero"))
}

pub fn options(authority: &Authority, clock: Arc<FixedClock>) -> Options {
    Options {
        trust_anchors: authority.anchors(),
        clock,
    }
}

/// A clock at local noon (UTC+8) of `day`.
pub fn clock(day: &str) -> Arc<FixedClock> {
    Arc::new(FixedClock::at_local_noon(date(day), 8 * 3600).expect("clock"))
}

/// The bytes of every file in `dir`, sorted by name.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            let entry = entry.expect("entry");
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).expect("read file"),
            )
        })
        .collect();
    files.sort();
    files
}

/// `needle` as JSON would escape it with `\uXXXX` for every non-ASCII character.
pub fn json_escaped(needle: &str) -> String {
    let mut out = String::new();
    for unit in needle.encode_utf16() {
        if unit < 0x80 {
            out.push(char::from(unit as u8));
        } else {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    }
    out
}

/// Every (file, needle) pair where `needle` occurs in the file's bytes.
pub fn find_in_files(dir: &Path, needles: &[Vec<u8>]) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (name, bytes) in snapshot(dir) {
        for (index, needle) in needles.iter().enumerate() {
            if !needle.is_empty()
                && bytes
                    .windows(needle.len())
                    .any(|window| window == needle.as_slice())
            {
                found.push((name.clone(), index));
            }
        }
    }
    found
}

pub fn open(dir: &Path, authority: &Authority, clock: Arc<FixedClock>) -> SelfReport {
    SelfReport::open(dir, &key_source(1), options(authority, clock)).expect("open store")
}
