//! The generator of docs/vectors/ (docs/vectors/README.md describes every field).
//!
//! Shared by the check in `tests/tests/vectors.rs` (regenerates in memory, compares with
//! the checked-in files, verifies through the production code) and the writer
//! `cargo run -p selfreport-tests --example write-vectors`. Deterministic: fixed seeds,
//! keys, ids and times.

#![allow(dead_code, reason = "each includer uses a part")]

pub mod arrival;
pub mod batch;
pub mod deletion;
pub mod fixtures;
pub mod hpke;
pub mod ledger;
pub mod notice;
pub mod padding;
pub mod receipt;
pub mod signatures;
pub mod token;

use std::path::PathBuf;

use serde_json::{Value, json};

/// The `format` of every vector file.
pub const VECTORS_FORMAT: &str = "selfreport.vectors/1";

/// Every topic, which is also its file's name without `.json`.
pub const TOPICS: [&str; 10] = [
    "hpke",
    "padding",
    "receipt",
    "batch",
    "ledger",
    "signatures",
    "deletion",
    "notice",
    "token",
    "arrival",
];

/// The vectors of `topic`.
pub fn vectors(topic: &str) -> Vec<Value> {
    match topic {
        "hpke" => hpke::vectors(),
        "padding" => padding::vectors(),
        "receipt" => receipt::vectors(),
        "batch" => batch::vectors(),
        "ledger" => ledger::vectors(),
        "signatures" => signatures::vectors(),
        "deletion" => deletion::vectors(),
        "notice" => notice::vectors(),
        "token" => token::vectors(),
        "arrival" => arrival::vectors(),
        other => panic!("no topic {other}"),
    }
}

/// The text of `topic`'s file: two-space indented JSON and a final newline.
pub fn file_text(topic: &str) -> String {
    let file = json!({"format": VECTORS_FORMAT, "topic": topic, "vectors": vectors(topic)});
    let mut text = serde_json::to_string_pretty(&file).expect("vectors serialize");
    text.push('\n');
    text
}

/// `docs/vectors/` of this repository.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors")
}
