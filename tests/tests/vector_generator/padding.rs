//! `padding.json`: parts of the vectors' policy padded to their declared sizes.

use std::collections::BTreeMap;

use chrono::{FixedOffset, TimeZone};
use serde_json::{Value, json};

use selfreport_core::minimize::{Disclosure, minimize};
use selfreport_core::model::{Profile, ProfileId, Record, RecordId, parse_answer};

use super::fixtures::{hex, policy, pseudonym, record_date, submission_id};

/// The person whose record the vectors disclose.
pub fn profile() -> Profile {
    Profile {
        id: ProfileId::from_random_bytes([0x11; 16]),
        display_name: "Zhang Wei".to_owned(),
        name: Some("张伟".to_owned()),
        id_number: None,
        phone: Some("+8613800138000".to_owned()),
        birth_date: None,
        passport_number: None,
    }
}

/// A daily report of the vectors' policy.
pub fn record() -> Record {
    let policy = policy();
    let form = policy.form("daily").expect("the daily form");
    let answers = [
        ("temperature", "37.8"),
        ("symptoms", "fatigue,cough"),
        ("district", "420106"),
        ("contact_with_case", "no"),
    ];
    let values: BTreeMap<_, _> = answers
        .into_iter()
        .map(|(id, text)| {
            let kind = &form.field(id).expect("a field of the form").kind;
            let value = parse_answer(id, kind, text, record_date()).expect("a valid answer");
            (id.to_owned(), value)
        })
        .collect();
    let saved_at = FixedOffset::east_opt(8 * 3600)
        .expect("an offset")
        .with_ymd_and_hms(2026, 11, 28, 9, 30, 0)
        .single()
        .expect("a time");
    Record {
        id: RecordId::from_random_bytes([0x22; 16]),
        profile_id: profile().id,
        policy_id: policy.id.clone(),
        policy_version: policy.version,
        form_id: "daily".to_owned(),
        date: record_date(),
        values,
        revision: 1,
        amends: None,
        saved_at,
    }
}

/// The real disclosure of [`record`] under submission id 1.
pub fn disclosure() -> Disclosure {
    minimize(
        &policy(),
        &record(),
        &profile(),
        &pseudonym(),
        &submission_id(1),
    )
    .expect("the record minimizes")
}

/// The padded plaintext of `recipient`'s part of [`disclosure`].
pub fn padded_part(recipient: &str) -> Vec<u8> {
    disclosure()
        .plaintext(recipient)
        .expect("a part for the recipient")
        .to_vec()
}

fn vector(name: &str, recipient: &str, padded: Vec<u8>) -> Value {
    let policy = policy();
    let form = policy.form("daily").expect("the daily form");
    let canonical_len = padded
        .iter()
        .rposition(|byte| *byte != b' ')
        .map_or(0, |last| last + 1);
    let canonical = &padded[..canonical_len];
    json!({
        "name": name,
        "policy_id": policy.id,
        "policy_version": policy.version,
        "form": "daily",
        "recipient": recipient,
        "block_bytes": policy.padding.block_bytes,
        "padded_bytes": form.padded_bytes[recipient],
        "canonical_json": String::from_utf8(canonical.to_vec()).expect("UTF-8 JSON"),
        "canonical_hex": hex(canonical),
        "padded_hex": hex(&padded),
    })
}

/// The vectors: each recipient's part of a real report, and a cover-traffic part.
pub fn vectors() -> Vec<Value> {
    let dummy = Disclosure::dummy(
        &policy(),
        "daily",
        record_date(),
        &submission_id(2),
        &pseudonym(),
    )
    .expect("a dummy")
    .plaintext("health")
    .expect("a health part")
    .to_vec();
    vec![
        vector(
            "daily-health-declared-above-minimum",
            "health",
            padded_part("health"),
        ),
        vector(
            "daily-identity-declared-at-minimum",
            "identity",
            padded_part("identity"),
        ),
        vector("daily-health-cover-traffic", "health", dummy),
    ]
}
