//! The drop box's reply to `GET {url}/notices?after=SEQ` (docs/protocol.md, "Access
//! notices"), read strictly: exactly [`BATCH_SLOTS`] slots of
//! [`NOTICE_SLOT_BYTES`](crate::notice::NOTICE_SLOT_BYTES) bytes each, a `next` not behind
//! `after`, and `more`. Anything else is a hostile or broken reply, and the device keeps
//! its cursor.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::notice::NOTICE_SLOT_BYTES;

/// Slots in every batch.
pub const BATCH_SLOTS: usize = 32;

/// One batch of the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeBatch {
    /// The slots: stored notices after the cursor, then filler.
    pub slots: Vec<Vec<u8>>,
    /// The cursor to poll from next time.
    pub next: u64,
    /// Whether stored notices follow `next`.
    pub more: bool,
}

/// Reads a batch polled from `after`; why it is not one, otherwise.
pub fn parse_notice_batch(body: &[u8], after: u64) -> Result<NoticeBatch, &'static str> {
    let value: Value = serde_json::from_slice(body).map_err(|_| "the notice batch is not JSON")?;
    let Value::Object(object) = value else {
        return Err("the notice batch is not a JSON object");
    };
    if object.len() != 3 {
        return Err("the notice batch has keys other than batch, more and next");
    }
    let next = object
        .get("next")
        .and_then(Value::as_u64)
        .filter(|next| *next >= after)
        .ok_or("the notice batch's next is not a sequence number at or after the cursor")?;
    let more = object
        .get("more")
        .and_then(Value::as_bool)
        .ok_or("the notice batch's more is not true or false")?;
    let batch = object
        .get("batch")
        .and_then(Value::as_array)
        .filter(|batch| batch.len() == BATCH_SLOTS)
        .ok_or("the notice batch does not hold exactly 32 slots")?;
    let mut slots = Vec::with_capacity(BATCH_SLOTS);
    for slot in batch {
        let bytes = slot
            .as_str()
            .and_then(|text| STANDARD.decode(text).ok())
            .filter(|bytes| bytes.len() == NOTICE_SLOT_BYTES)
            .ok_or("a notice slot is not 512 bytes in standard base64")?;
        slots.push(bytes);
    }
    Ok(NoticeBatch { slots, next, more })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(slots: usize, slot_bytes: usize, next: Value, more: Value) -> Vec<u8> {
        let slot = STANDARD.encode(vec![7u8; slot_bytes]);
        serde_json::to_vec(&json!({"batch": vec![slot; slots], "more": more, "next": next}))
            .unwrap()
    }

    #[test]
    fn a_well_formed_batch_is_read() {
        let batch = parse_notice_batch(&body(32, 512, json!(12), json!(true)), 5).unwrap();
        assert_eq!(batch.slots.len(), 32);
        assert!(batch.slots.iter().all(|slot| slot.len() == 512));
        assert_eq!((batch.next, batch.more), (12, true));
    }

    #[test]
    fn anything_else_is_refused() {
        let refused = [
            body(31, 512, json!(12), json!(false)),
            body(33, 512, json!(12), json!(false)),
            body(32, 511, json!(12), json!(false)),
            body(32, 512, json!(4), json!(false)),
            body(32, 512, json!(-1), json!(false)),
            body(32, 512, json!("12"), json!(false)),
            body(32, 512, json!(12), json!("no")),
            b"[]".to_vec(),
            b"{\"batch\":[],\"more\":false,\"next\":5,\"extra\":1}".to_vec(),
            b"not json".to_vec(),
        ];
        for (index, reply) in refused.iter().enumerate() {
            assert!(parse_notice_batch(reply, 5).is_err(), "case {index}");
        }
    }
}
