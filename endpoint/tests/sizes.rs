//! Exact sizes (issue 14 item 5): the drop box stores a submission only when one form of
//! the served policy matches it whole, its recipients and, for each part, a `ct` of
//! exactly the form's padded size for that recipient plus the 16-byte AEAD tag. What
//! devices seal (real reports and cover traffic, every form of both example policies)
//! is stored; a part a byte longer or shorter, or of another form's size, is refused
//! `400 Malformed` and nothing is stored, alone or in a batch (item by item).

#[allow(dead_code)]
#[macro_use]
mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::{Backend, TestDropBox, error_code, random_hex_id, seal};
use selfreport_core::minimize::{Disclosure, padded_size};
use selfreport_core::sync::wire::{BatchReply, batch_body};

const DAILY: &[u8] = include_bytes!("../../examples/policies/daily-report.json");
const TRAVELER: &[u8] = include_bytes!("../../examples/policies/traveler-preregistration.json");

/// A drop box serving the example policy `template` with the test authority's keys.
async fn serving(backend: Backend, template: &'static [u8]) -> TestDropBox {
    TestDropBox::start_with(
        backend,
        |authority, url| authority.policy_from(template, url),
        |d| d,
    )
    .await
}

/// The plaintexts of form `form` with each part `delta` bytes off its padded size.
fn plaintexts(
    drop_box: &TestDropBox,
    form: &str,
    delta: &[(&str, isize)],
) -> BTreeMap<String, Vec<u8>> {
    delta
        .iter()
        .map(|(to, delta)| {
            let size = padded_size(&drop_box.policy, form, to).unwrap();
            (
                to.to_string(),
                vec![b' '; size.checked_add_signed(*delta).unwrap()],
            )
        })
        .collect()
}

async fn post_batch(drop_box: &TestDropBox, items: &[&[u8]]) -> BatchReply {
    let response = drop_box
        .client
        .post(format!("{}/submissions/batch", drop_box.url))
        .header("content-type", "application/json")
        .body(batch_body(items.iter().copied()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

/// Every form of both example policies, sealed by the core as a device seals cover
/// traffic (same parts, same padded sizes as a real report), and a real daily report.
async fn what_devices_seal_is_stored(backend: Backend) {
    let date = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    for template in [DAILY, TRAVELER] {
        let drop_box = serving(backend, template).await;
        let forms: Vec<String> = drop_box.policy.forms.iter().map(|f| f.id.clone()).collect();
        assert!(!forms.is_empty());
        for form in &forms {
            let id = random_hex_id();
            let disclosure =
                Disclosure::dummy(&drop_box.policy, form, date, &id, common::PSEUDONYM).unwrap();
            let sealed = seal(&drop_box.policy, &id, &common::plaintexts_of(&disclosure));
            let response = drop_box.post(&sealed.body).await;
            assert_eq!(response.status(), 201, "{} {form}", drop_box.policy.id);
        }
        assert_eq!(drop_box.stored_count().await, forms.len() as i64);
    }
    // A real report, minimized from a record.
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let id = random_hex_id();
    let real = common::device_plaintexts(&drop_box.policy, &id, "王芳", 372);
    let response = drop_box
        .post(&seal(&drop_box.policy, &id, &real).body)
        .await;
    assert_eq!(response.status(), 201);
}

/// A `ct` one byte longer or shorter than its form fixes, or another form's size, is
/// refused and nothing is stored.
async fn a_ct_of_another_size_is_refused_and_nothing_is_stored(backend: Backend) {
    let drop_box = serving(backend, TRAVELER).await;
    let arrival_identity = padded_size(&drop_box.policy, "arrival", "identity").unwrap();
    let daily_health = padded_size(&drop_box.policy, "daily", "health").unwrap();
    assert_ne!(
        arrival_identity, daily_health,
        "the sizes must differ for this test"
    );
    let offsets: &[(&str, &[(&str, isize)])] = &[
        ("daily", &[("health", 1)]),
        ("daily", &[("health", -1)]),
        ("arrival", &[("health", 1), ("identity", 0)]),
        ("arrival", &[("health", -1), ("identity", 0)]),
        ("arrival", &[("health", 0), ("identity", 1)]),
        ("arrival", &[("health", 0), ("identity", -1)]),
    ];
    let mut wrong = Vec::new();
    for (form, offsets) in offsets {
        wrong.push(seal(
            &drop_box.policy,
            &random_hex_id(),
            &plaintexts(&drop_box, form, offsets),
        ));
    }
    // The daily form's health part at another part's size (the arrival form's identity).
    let other_size = (arrival_identity as isize) - (daily_health as isize);
    wrong.push(seal(
        &drop_box.policy,
        &random_hex_id(),
        &plaintexts(&drop_box, "daily", &[("health", other_size)]),
    ));
    for sealed in &wrong {
        let response = drop_box.post(&sealed.body).await;
        assert_eq!(response.status(), 400);
        assert_eq!(error_code(response).await, "Malformed");
    }
    assert_eq!(drop_box.stored_count().await, 0);

    // In a batch each is refused on its own, as alone; the right-sized item is stored.
    let right = seal(
        &drop_box.policy,
        &random_hex_id(),
        &plaintexts(&drop_box, "daily", &[("health", 0)]),
    );
    let mut items: Vec<&[u8]> = wrong.iter().map(|sealed| sealed.body.as_slice()).collect();
    items.push(&right.body);
    let reply = post_batch(&drop_box, &items).await;
    assert_eq!(reply.results.len(), items.len());
    for result in &reply.results[..wrong.len()] {
        let error = result.error.as_ref().expect("refused");
        assert_eq!((error.status, error.code.as_str()), (400, "Malformed"));
        assert!(error.message.contains("padded size"), "{}", error.message);
    }
    assert!(reply.results[wrong.len()].receipt.is_some());
    assert_eq!(drop_box.stored_count().await, 1);
    for sealed in &wrong {
        assert!(drop_box.stored(sealed.id()).await.is_none());
    }
}

on_both_backends!(
    what_devices_seal_is_stored,
    a_ct_of_another_size_is_refused_and_nothing_is_stored,
);
