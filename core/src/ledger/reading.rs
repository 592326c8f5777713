//! Reading a stored ledger entry back into a [`LedgerEntry`]: the JSON object with `at`,
//! `event` and the event's own keys side by side (`selfreport.ledger/1` and `/2`; a `/2`
//! entry's `format` key is read by [`super::encoding`]).
//!
//! Read by hand from the parsed JSON, key by key per event: the same entries are accepted
//! as by serde's derived reader for an internally tagged enum (keys of other events
//! ignored, `cover` false and the consent's `version` and digest absent when missing), with
//! a fraction of its code in the library apps ship (docs/performance.md, "Library size").

use serde_json::{Map, Value};

use super::{DisclosedFieldEntry, LedgerEntry, LedgerEvent};
use crate::sync::wire::Receipt;

/// Why an entry does not read: the key missing or of the wrong type, or the event.
pub(crate) type ReadProblem = &'static str;

/// The entry in `value` (a JSON object), as [`super::encoding`] parsed it.
pub(crate) fn entry_from_value(value: Value) -> Result<LedgerEntry, ReadProblem> {
    let Value::Object(mut object) = value else {
        return Err("an entry is a JSON object");
    };
    let at = text(&mut object, "at")?;
    let event = text(&mut object, "event")?;
    let o = &mut object;
    let event = match event.as_str() {
        "disclosure" => LedgerEvent::Disclosure {
            policy_id: text(o, "policy_id")?,
            policy_version: integer(o, "policy_version")?,
            purpose: text(o, "purpose")?,
            endpoint: text(o, "endpoint")?,
            form: text(o, "form")?,
            submission_id: text(o, "submission_id")?,
            record_id: text(o, "record_id")?,
            fields: disclosed_fields(o)?,
            body_sha256: text(o, "body_sha256")?,
            receipt_key: text(o, "receipt_key")?,
            receipt: Box::new(receipt(o)?),
            cover: match o.remove("cover") {
                None => false,
                Some(Value::Bool(cover)) => cover,
                Some(_) => return Err("cover"),
            },
        },
        "consent_granted" => LedgerEvent::ConsentGranted {
            policy_id: text(o, "policy_id")?,
            purpose: text(o, "purpose")?,
            version: optional(o, "version", |v| v.as_u64())?,
            disclosure_sha256: optional(o, "disclosure_sha256", |v| match v {
                Value::String(text) => Some(text),
                _ => None,
            })?,
        },
        "consent_carried_over" => LedgerEvent::ConsentCarriedOver {
            policy_id: text(o, "policy_id")?,
            from_version: integer(o, "from_version")?,
            to_version: integer(o, "to_version")?,
            disclosure_sha256: text(o, "disclosure_sha256")?,
            rotated: texts(o, "rotated")?,
        },
        "consent_needed" => LedgerEvent::ConsentNeeded {
            policy_id: text(o, "policy_id")?,
            version: integer(o, "version")?,
            widened: texts(o, "widened")?,
        },
        "submission_dropped" => LedgerEvent::SubmissionDropped {
            policy_id: text(o, "policy_id")?,
            submission_id: text(o, "submission_id")?,
            reason: text(o, "reason")?,
        },
        "policy_revoked" => LedgerEvent::PolicyRevoked {
            policy_id: text(o, "policy_id")?,
            version: integer(o, "version")?,
            revoked: text(o, "revoked")?,
            reason: text(o, "reason")?,
            sequence: integer(o, "sequence")?,
            dropped: integer(o, "dropped")?,
        },
        "consent_withdrawn" => LedgerEvent::ConsentWithdrawn {
            policy_id: text(o, "policy_id")?,
            purpose: text(o, "purpose")?,
            dropped: integer(o, "dropped")?,
        },
        "deletion_requested" => LedgerEvent::DeletionRequested {
            policy_id: text(o, "policy_id")?,
            submission_id: text(o, "submission_id")?,
            endpoint: text(o, "endpoint")?,
            outcome: text(o, "outcome")?,
        },
        "access_notice" => LedgerEvent::AccessNotice {
            policy_id: text(o, "policy_id")?,
            submission_id: text(o, "submission_id")?,
            office: text(o, "office")?,
            officer: text(o, "officer")?,
            reason: text(o, "reason")?,
            revealed_at: text(o, "revealed_at")?,
        },
        _ => return Err("event"),
    };
    Ok(LedgerEntry { at, event })
}

/// The string under `key`, taken out.
fn text(object: &mut Map<String, Value>, key: &'static str) -> Result<String, ReadProblem> {
    match object.remove(key) {
        Some(Value::String(text)) => Ok(text),
        _ => Err(key),
    }
}

/// The non-negative integer under `key`.
fn integer(object: &mut Map<String, Value>, key: &'static str) -> Result<u64, ReadProblem> {
    object.remove(key).and_then(|v| v.as_u64()).ok_or(key)
}

/// The value under `key` read by `read`, or `None` when the key is absent or null.
fn optional<T>(
    object: &mut Map<String, Value>,
    key: &'static str,
    read: impl FnOnce(Value) -> Option<T>,
) -> Result<Option<T>, ReadProblem> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => read(value).map(Some).ok_or(key),
    }
}

/// The array of strings under `key`.
fn texts(object: &mut Map<String, Value>, key: &'static str) -> Result<Vec<String>, ReadProblem> {
    let Some(Value::Array(items)) = object.remove(key) else {
        return Err(key);
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(text) => Ok(text),
            _ => Err(key),
        })
        .collect()
}

/// The disclosure's `fields`: objects of `field`, `transform` and `recipient`.
fn disclosed_fields(
    object: &mut Map<String, Value>,
) -> Result<Vec<DisclosedFieldEntry>, ReadProblem> {
    let Some(Value::Array(items)) = object.remove("fields") else {
        return Err("fields");
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Object(mut item) = item else {
                return Err("fields");
            };
            Ok(DisclosedFieldEntry {
                field: text(&mut item, "field")?,
                transform: text(&mut item, "transform")?,
                recipient: text(&mut item, "recipient")?,
            })
        })
        .collect()
}

/// The drop box's receipt, read by the same strict reader as a receipt the sync receives.
fn receipt(object: &mut Map<String, Value>) -> Result<Receipt, ReadProblem> {
    let value = object.remove("receipt").ok_or("receipt")?;
    let bytes = serde_json::to_vec(&value).map_err(|_| "receipt")?;
    serde_json::from_slice(&bytes).map_err(|_| "receipt")
}

#[cfg(test)]
mod tests {
    use crate::ledger::encoding::read_entry;
    use crate::ledger::{LedgerEntry, LedgerEvent};

    fn every_event() -> Vec<LedgerEvent> {
        let text = |s: &str| s.to_owned();
        vec![
            LedgerEvent::ConsentGranted {
                policy_id: text("sh"),
                purpose: text("epidemic-control"),
                version: None,
                disclosure_sha256: None,
            },
            LedgerEvent::ConsentGranted {
                policy_id: text("sh"),
                purpose: text("epidemic-control"),
                version: Some(3),
                disclosure_sha256: Some(text("ab")),
            },
            LedgerEvent::ConsentCarriedOver {
                policy_id: text("sh"),
                from_version: 1,
                to_version: 2,
                disclosure_sha256: text("cd"),
                rotated: vec![text("receipt key")],
            },
            LedgerEvent::ConsentNeeded {
                policy_id: text("sh"),
                version: 4,
                widened: vec![text("field daily/temperature: threshold -> keep")],
            },
            LedgerEvent::SubmissionDropped {
                policy_id: text("sh"),
                submission_id: text("00"),
                reason: text("expired"),
            },
            LedgerEvent::PolicyRevoked {
                policy_id: text("sh"),
                version: 2,
                revoked: text("policy"),
                reason: text("compromised"),
                sequence: 7,
                dropped: 1,
            },
            LedgerEvent::ConsentWithdrawn {
                policy_id: text("sh"),
                purpose: text("epidemic-control"),
                dropped: 0,
            },
            LedgerEvent::DeletionRequested {
                policy_id: text("sh"),
                submission_id: text("00"),
                endpoint: text("https://report.example.org/v1"),
                outcome: text("deleted"),
            },
            LedgerEvent::AccessNotice {
                policy_id: text("sh"),
                submission_id: text("00"),
                office: text("Huangpu CDC"),
                officer: text("0042"),
                reason: text("arrange-care"),
                revealed_at: text("2026-12-07T02:00:00Z"),
            },
        ]
    }

    #[test]
    fn every_event_reads_back_as_written() {
        for event in every_event() {
            let entry = LedgerEntry {
                at: "2026-12-07T10:00:00+08:00".to_owned(),
                event,
            };
            let (_, read) = read_entry(&entry.to_bytes()).unwrap();
            assert_eq!(read, entry);
            // The compact JSON of `/1` entries too.
            let (_, read) = read_entry(&serde_json::to_vec(&entry).unwrap()).unwrap();
            assert_eq!(read, entry);
        }
    }

    #[test]
    fn a_missing_key_or_an_unknown_event_is_refused() {
        for json in [
            r#"{"at":"t","event":"access_notice","policy_id":"sh","submission_id":"00","office":"o","officer":"1","reason":"r"}"#,
            r#"{"at":"t","event":"consent_needed","policy_id":"sh","widened":[]}"#,
            r#"{"at":"t","event":"gossip","policy_id":"sh"}"#,
            r#"{"event":"consent_withdrawn","policy_id":"sh","purpose":"p","dropped":0}"#,
        ] {
            assert!(read_entry(json.as_bytes()).is_err(), "{json}");
        }
        // Keys of other events are passed over, as before.
        let read = read_entry(
            br#"{"at":"t","event":"consent_withdrawn","policy_id":"sh","purpose":"p","dropped":0,"office":"x"}"#,
        );
        assert!(read.is_ok());
    }
}
