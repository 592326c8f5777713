//! How ledger entries become the bytes the chain hashes (docs/protocol.md, "The ledger").
//!
//! Entries written now are `selfreport.ledger/2`: the entry's JSON object with
//! `"format":"selfreport.ledger/2"` added, in canonical form ([`canonical_json`]), so
//! anyone can rebuild the bytes from the entry. Entries written before carry no format
//! and were compact JSON in the writer's field order; they are `selfreport.ledger/1`
//! and are only ever hashed as stored.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::LedgerEntry;

/// The format of entries written now, carried inside each entry as `"format"`.
pub const LEDGER_FORMAT_V2: &str = "selfreport.ledger/2";
/// The name given to entries written before entries carried a format.
pub const LEDGER_FORMAT_V1: &str = "selfreport.ledger/1";

/// The encoding rule an entry's bytes follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryFormat {
    /// [`LEDGER_FORMAT_V1`]: compact JSON in the writer's field order, no `format` key.
    V1,
    /// [`LEDGER_FORMAT_V2`]: canonical JSON with `"format":"selfreport.ledger/2"`.
    V2,
}

impl EntryFormat {
    /// The format's name (`"selfreport.ledger/2"`).
    pub fn name(self) -> &'static str {
        match self {
            EntryFormat::V1 => LEDGER_FORMAT_V1,
            EntryFormat::V2 => LEDGER_FORMAT_V2,
        }
    }
}

/// Why stored entry bytes could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntryDecodeError {
    /// Not JSON of a ledger entry.
    #[error("the entry is not a ledger entry")]
    Unreadable,
    /// Says `selfreport.ledger/2` (or another format) but is not its canonical form.
    #[error("the entry is not in the canonical form its format requires")]
    NotCanonical,
}

impl EntryDecodeError {
    /// The stable code of this error, as [`super::LedgerProblem::problem`] names it.
    pub fn code(self) -> &'static str {
        match self {
            EntryDecodeError::Unreadable => "unreadable",
            EntryDecodeError::NotCanonical => "encoding",
        }
    }
}

/// The `selfreport.ledger/2` bytes of `entry`.
pub fn encode_entry(entry: &LedgerEntry) -> Vec<u8> {
    let mut object = match serde_json::to_value(entry) {
        Ok(Value::Object(object)) => object,
        // An entry is a struct of strings, integers, booleans and lists of them: it
        // always serializes to an object.
        _ => Map::new(),
    };
    object.insert("format".to_owned(), Value::from(LEDGER_FORMAT_V2));
    canonical_json(&Value::Object(object)).unwrap_or_default()
}

/// Reads stored entry bytes strictly, as verification does: their format and the entry.
/// A `selfreport.ledger/2` entry must be exactly its canonical form; a
/// `selfreport.ledger/1` entry (no `format` key) is read as it is.
pub fn decode_entry(bytes: &[u8]) -> Result<(EntryFormat, LedgerEntry), EntryDecodeError> {
    let (format, value) = read_value(bytes)?;
    if format == EntryFormat::V2 && canonical_json(&value).as_deref() != Some(bytes) {
        return Err(EntryDecodeError::NotCanonical);
    }
    let entry =
        super::reading::entry_from_value(value).map_err(|_| EntryDecodeError::Unreadable)?;
    Ok((format, entry))
}

/// Reads stored entry bytes for listing, without the canonical-form check (a listing
/// shows what is stored; verification says whether it holds).
pub fn read_entry(bytes: &[u8]) -> Result<(EntryFormat, LedgerEntry), EntryDecodeError> {
    let (format, value) = read_value(bytes)?;
    let entry =
        super::reading::entry_from_value(value).map_err(|_| EntryDecodeError::Unreadable)?;
    Ok((format, entry))
}

fn read_value(bytes: &[u8]) -> Result<(EntryFormat, Value), EntryDecodeError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| EntryDecodeError::Unreadable)?;
    let format = match value.get("format") {
        None => EntryFormat::V1,
        Some(Value::String(name)) if name == LEDGER_FORMAT_V2 => EntryFormat::V2,
        Some(_) => return Err(EntryDecodeError::NotCanonical),
    };
    Ok((format, value))
}

/// The canonical JSON of `value`: RFC 8785 (JCS) restricted to what ledger entries hold.
///
/// Object keys sorted by their UTF-16 code units (for the ASCII keys of entries, byte
/// order), no whitespace, strings escaped as JCS escapes them (`\"`, `\\`, `\b`, `\t`,
/// `\n`, `\f`, `\r`, other characters below U+0020 as `\u00xx` in lowercase hex,
/// everything else as itself in UTF-8), integers in plain decimal. `None` for a
/// number with a fraction or exponent, which entries never hold (JCS would write it
/// in ECMAScript's shortest form). Integers from 2^53 up, which JCS cannot write
/// exactly, are written in full.
pub fn canonical_json(value: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    write_canonical(value, &mut out)?;
    Some(out)
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Option<()> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => {
            let text = match (number.as_u64(), number.as_i64()) {
                (Some(unsigned), _) => unsigned.to_string(),
                (None, Some(signed)) => signed.to_string(),
                (None, None) => return None,
            };
            out.extend_from_slice(text.as_bytes());
        }
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            entries.sort_by(|(a, _), (b, _)| utf16_order(a, b));
            out.push(b'{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(item, out)?;
            }
            out.push(b'}');
        }
    }
    Some(())
}

fn utf16_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_string(text: &str, out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for character in text.chars() {
        match character {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            control if u32::from(control) < 0x20 => {
                let code = u32::from(control) as usize;
                out.extend_from_slice(b"\\u00");
                out.push(DIGITS[code >> 4]);
                out.push(DIGITS[code & 0x0f]);
            }
            other => {
                let mut buffer = [0u8; 4];
                out.extend_from_slice(other.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ledger::LedgerEvent;

    fn consent() -> LedgerEntry {
        LedgerEntry {
            at: "2026-11-28T08:00:00+08:00".to_owned(),
            event: LedgerEvent::ConsentGranted {
                policy_id: "sh".to_owned(),
                purpose: "epidemic-control".to_owned(),
                version: Some(3),
                disclosure_sha256: None,
            },
        }
    }

    #[test]
    fn a_new_entry_is_canonical_json_with_its_format() {
        assert_eq!(
            String::from_utf8(encode_entry(&consent())).unwrap(),
            r#"{"at":"2026-11-28T08:00:00+08:00","event":"consent_granted","format":"selfreport.ledger/2","policy_id":"sh","purpose":"epidemic-control","version":3}"#
        );
    }

    #[test]
    fn both_formats_decode_to_the_same_entry() {
        let new = encode_entry(&consent());
        assert_eq!(decode_entry(&new), Ok((EntryFormat::V2, consent())));
        // As entries were written before: the writer's field order, no format.
        let old = serde_json::to_vec(&consent()).unwrap();
        assert_ne!(old, new);
        assert_eq!(decode_entry(&old), Ok((EntryFormat::V1, consent())));
    }

    #[test]
    fn a_v2_entry_that_is_not_canonical_is_refused() {
        let new = String::from_utf8(encode_entry(&consent())).unwrap();
        let spaced = new.replacen(",", ", ", 1);
        assert_eq!(
            decode_entry(spaced.as_bytes()),
            Err(EntryDecodeError::NotCanonical)
        );
        let reordered = new.replacen(
            r#""at":"2026-11-28T08:00:00+08:00","event":"consent_granted","#,
            r#""event":"consent_granted","at":"2026-11-28T08:00:00+08:00","#,
            1,
        );
        assert_eq!(
            decode_entry(reordered.as_bytes()),
            Err(EntryDecodeError::NotCanonical)
        );
        let other_format = new.replace("selfreport.ledger/2", "selfreport.ledger/9");
        assert_eq!(
            decode_entry(other_format.as_bytes()),
            Err(EntryDecodeError::NotCanonical)
        );
        assert_eq!(decode_entry(b"[]"), Err(EntryDecodeError::Unreadable));
        assert_eq!(decode_entry(b"\xff"), Err(EntryDecodeError::Unreadable));
    }

    #[test]
    fn canonical_json_follows_jcs_for_what_entries_hold() {
        let value = json!({
            "b": [1, true, null, "x"], "a": {"z": 0, "y": -7}, "é": 1, "Z": 2,
            "s": "quote\" back\\ nl\n tab\t bs\u{8} ff\u{c} cr\r nul\u{0} us\u{1f} del\u{7f} 中 😀 /"
        });
        assert_eq!(
            String::from_utf8(canonical_json(&value).unwrap()).unwrap(),
            "{\"Z\":2,\"a\":{\"y\":-7,\"z\":0},\"b\":[1,true,null,\"x\"],\"s\":\"quote\\\" back\\\\ nl\\n tab\\t bs\\b ff\\f cr\\r nul\\u0000 us\\u001f del\u{7f} 中 😀 /\",\"é\":1}"
        );
        assert_eq!(canonical_json(&json!(1.5)), None);
        assert_eq!(
            canonical_json(&json!(u64::MAX)).unwrap(),
            b"18446744073709551615"
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units_not_bytes() {
        // U+FF61 sorts after U+1F600 in UTF-8 bytes but before it in UTF-16 (a surrogate
        // pair starts with 0xD83D < 0xFF61): RFC 8785 §3.2.3.
        let value = json!({"\u{1F600}": 1, "\u{FF61}": 2});
        assert_eq!(
            String::from_utf8(canonical_json(&value).unwrap()).unwrap(),
            "{\"\u{1F600}\":1,\"\u{FF61}\":2}"
        );
    }
}
