//! Verifies a ledger from its printed form alone (`selfreport ledger --json`, the
//! export, `docs/vectors/ledger.json`), the way a person would with any SHA-256 tool and
//! docs/protocol.md: no call into the core's verifier or its encoder.

use serde_json::{Map, Value};

use selfreport_core::crypto::sha256;

/// Keys the printed form adds beside an entry's own fields.
const VIEW_KEYS: [&str; 5] = ["seq", "format", "prev_hash", "hash", "bytes_hex"];

/// Checks every link of the printed `entries`: sequence numbers from 1, each
/// `prev_hash` the hash before (64 zeros first), each `hash` = SHA-256(prev_hash bytes
/// || entry bytes), the entry bytes holding exactly the printed fields, and a
/// `selfreport.ledger/2` entry's bytes in canonical form with its format inside.
/// Returns the formats seen, in order, or what is wrong.
pub fn verify_printed_chain(entries: &Value) -> Result<Vec<String>, String> {
    let entries = entries.as_array().ok_or("entries is not an array")?;
    let mut previous = "0".repeat(64);
    let mut formats = Vec::new();
    for (index, printed) in entries.iter().enumerate() {
        let field = |key: &str| {
            printed[key]
                .as_str()
                .map(str::to_owned)
                .ok_or(format!("entry {index}: no {key}"))
        };
        if printed["seq"] != index as u64 + 1 {
            return Err(format!("entry {index}: seq {}", printed["seq"]));
        }
        if field("prev_hash")? != previous {
            return Err(format!("entry {index}: prev_hash does not follow"));
        }
        let bytes = unhex(&field("bytes_hex")?).ok_or(format!("entry {index}: bytes_hex"))?;
        let mut input = unhex(&previous).ok_or("prev_hash is not hex")?;
        input.extend_from_slice(&bytes);
        let hash = hex(&sha256(&input));
        if hash != field("hash")? {
            return Err(format!(
                "entry {index}: hash is not SHA-256(prev_hash || bytes)"
            ));
        }
        let stored: Value = serde_json::from_slice(&bytes)
            .map_err(|_| format!("entry {index}: bytes are not JSON"))?;
        let format = field("format")?;
        match format.as_str() {
            "selfreport.ledger/2" => {
                if stored["format"] != "selfreport.ledger/2" {
                    return Err(format!("entry {index}: no format inside"));
                }
                if canonical(&stored).into_bytes() != bytes {
                    return Err(format!("entry {index}: not canonical JSON"));
                }
            }
            "selfreport.ledger/1" => {
                if stored.get("format").is_some() {
                    return Err(format!("entry {index}: an old entry with a format"));
                }
            }
            other => return Err(format!("entry {index}: unknown format {other}")),
        }
        let mut shown: Map<String, Value> =
            printed.as_object().ok_or("entry is not an object")?.clone();
        for key in VIEW_KEYS {
            shown.remove(key);
        }
        let mut held = stored
            .as_object()
            .ok_or("stored entry is not an object")?
            .clone();
        held.remove("format");
        if shown != held {
            return Err(format!(
                "entry {index}: the printed fields are not the hashed ones"
            ));
        }
        formats.push(format);
        previous = hash;
    }
    Ok(formats)
}

/// Canonical JSON as docs/protocol.md states it, written independently of the core:
/// keys sorted by UTF-16 code units, no whitespace, JCS string escapes, integers.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let members: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}:{}", string(key), canonical(&map[key])))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        Value::String(text) => string(text),
        other => other.to_string(),
    }
}

fn string(text: &str) -> String {
    let mut out = String::from("\"");
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            control if u32::from(control) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The bytes of lowercase or uppercase hex text; `None` for anything else.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
