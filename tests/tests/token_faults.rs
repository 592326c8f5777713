//! The upload fault suite with upload tokens (issue 14), through the real binaries on
//! loopback HTTPS under the traveler policy as `selfreport.policy/2` with an `enrolled`
//! issuer key ([`Loopback::start_with_tokens`]), the person enrolled by a collector's
//! order:
//!
//! - a token issuance whose reply is cut after the drop box signed: the device keeps its
//!   requests, asks again with the very same messages at the next sync, and the drop box
//!   signs them again without counting them twice; nothing is sent without a token;
//! - a submission whose reply is cut after the drop box stored it: the next sync sends
//!   the same bytes with the same token, and the drop box answers with the receipt it
//!   kept; it is stored once and its token spent once.
//!
//! After each step the token accounting of the crash suite
//! ([`selfreport_tests::crash_tokens::check_tokens`]) holds: every token the drop box
//! issued is in the device's pool, held by one outbox item or still being asked for;
//! none is spent twice; every stored submission was paid by one token.

use rusqlite::{Connection, OpenFlags};
use selfreport_core::sync::wire::body_digest;
use selfreport_tests::crash::open_store;
use selfreport_tests::crash_tokens::{Allowance, TokenCounts, check_tokens};
use selfreport_tests::day;
use selfreport_tests::loopback::{Loopback, ORDER_DAYS, TOKEN_POLICY_ID};
use selfreport_tests::proxy::ProxyMode;
use serde_json::Value;

/// Reports a day the order allows: the order brings `ORDER_DAYS` tokens.
const PER_DAY: u32 = 1;

/// The drop box's slack over an order's allowance (docs/protocol.md, "Upload tokens").
const ALLOWANCE_SLACK: u32 = 16;

/// A store under the tokened policy, the profile enrolled and consent given.
fn enrolled() -> Loopback {
    let net = Loopback::start_with_tokens();
    net.enroll(&net.profile, PER_DAY);
    net.grant_consent();
    net
}

/// Files the daily report of `days_ago` under the tokened policy; returns its record id.
fn report(net: &Loopback, days_ago: i64) -> String {
    let notes = format!("notes={}", net.canaries.notes);
    net.selfreport(&[
        "report",
        "--profile",
        &net.profile,
        "--policy",
        TOKEN_POLICY_ID,
        "--form",
        "daily",
        "--date",
        &day(-days_ago),
        "--answer",
        "temperature=36.6",
        "--answer",
        "symptoms=cough",
        "--answer",
        &notes,
    ])
    .single_line()
}

/// The token accounting between the store and the drop box.
fn accounting(net: &Loopback, context: &str) -> TokenCounts {
    let store = open_store(&net.ws.store()).expect("open the store");
    let per_order = ORDER_DAYS * PER_DAY;
    let allowance = Allowance {
        per_enrollment: usize::try_from(per_order + ALLOWANCE_SLACK).expect("small"),
        per_order,
    };
    check_tokens(&store, &net.config.db, TOKEN_POLICY_ID, allowance, context)
}

/// The token each outbox item holds: (submission id, token).
fn held_tokens(net: &Loopback) -> Vec<(String, Option<String>)> {
    let store = open_store(&net.ws.store()).expect("open the store");
    store
        .outbox()
        .expect("outbox")
        .into_iter()
        .map(|item| (item.payload.submission_id, item.payload.upload_token))
        .collect()
}

/// Rows of one of the drop box's tables.
fn count_rows(net: &Loopback, table: &str) -> i64 {
    let connection = Connection::open_with_flags(&net.config.db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the drop box database");
    connection
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .expect("count rows")
}

fn counts(summary: &Value) -> (u64, u64, u64) {
    let number = |key: &str| summary[key].as_u64().unwrap_or(u64::MAX);
    (number("delivered"), number("retry_later"), number("failed"))
}

#[test]
fn an_issuance_reply_cut_after_signing_is_asked_again_and_counted_once() {
    let net = enrolled();
    report(&net, 1);

    net.proxy.set_mode(ProxyMode::CutAfterReply);
    let cut = net.sync(&[]);
    assert_eq!(
        net.proxy.cuts(),
        1,
        "the proxy saw the issuance reply and cut"
    );
    // No token, nothing sent: the report waits.
    assert_eq!(counts(&cut), (0, 1, 0), "{cut}");
    assert_eq!(count_rows(&net, "submissions"), 0);
    let signed = accounting(&net, "after the cut");
    let allowance = usize::try_from(ORDER_DAYS * PER_DAY).expect("small");
    assert_eq!(
        (signed.issued, signed.issued_pending, signed.pending),
        (allowance, allowance, allowance),
        "the drop box signed the order's tokens; the device still holds every request: \
         {signed:?}"
    );
    assert_eq!((signed.in_pool, signed.held), (0, 0), "{signed:?}");

    net.proxy.set_mode(ProxyMode::Forward);
    let second = net.sync(&[]);
    assert_eq!(counts(&second), (1, 0, 0), "{second}");
    let finished = accounting(&net, "after the second sync");
    assert_eq!(
        finished.issued, allowance,
        "asked again with the same messages: signed again, not counted twice"
    );
    assert_eq!(
        (
            finished.pending,
            finished.in_pool,
            finished.held,
            finished.spent
        ),
        (0, allowance - 1, 1, 1),
        "{finished:?}"
    );
    let log = net.endpoint_log();
    assert_eq!(log.matches("POST /v1/tokens 200").count(), 2, "{log}");
    assert_eq!(log.matches("POST /v1/submissions 201").count(), 1, "{log}");
}

#[test]
fn a_submission_reply_cut_after_the_commit_is_resent_with_its_token_and_gets_the_kept_receipt() {
    let net = enrolled();
    // The order's tokens first, so that the cut strikes the upload.
    let topped_up = net.sync(&[]);
    assert_eq!(counts(&topped_up), (0, 0, 0), "{topped_up}");
    let allowance = usize::try_from(ORDER_DAYS * PER_DAY).expect("small");
    assert_eq!(accounting(&net, "topped up").in_pool, allowance);
    report(&net, 1);

    net.proxy.set_mode(ProxyMode::CutAfterReply);
    let cut = net.sync(&[]);
    assert_eq!(counts(&cut), (0, 1, 0), "{cut}");
    assert_eq!(net.proxy.cuts(), 1, "the proxy saw the reply and cut");
    let stored = net.stored_submissions();
    assert_eq!(stored.len(), 1, "the drop box committed before the cut");
    let after_cut = accounting(&net, "after the cut");
    assert_eq!(
        (after_cut.spent, after_cut.spent_by_pending.len()),
        (1, 1),
        "the token is spent for the item still pending: {after_cut:?}"
    );
    let held = held_tokens(&net);
    assert_eq!(held.len(), 1);
    assert!(
        held[0].1.is_some(),
        "the item keeps its token for the resend"
    );

    net.proxy.set_mode(ProxyMode::Forward);
    let second = net.sync(&[]);
    assert_eq!(counts(&second), (1, 0, 0), "{second}");
    assert_eq!(held_tokens(&net), held, "resent with the same token");
    assert_eq!(net.stored_submissions(), stored, "stored once");
    let log = net.endpoint_log();
    assert_eq!(log.matches("POST /v1/submissions 201").count(), 1, "{log}");
    assert_eq!(log.matches("POST /v1/submissions 200").count(), 1, "{log}");
    assert!(!log.contains("POST /v1/submissions 401"), "{log}");
    let delivered = accounting(&net, "after the resend");
    assert_eq!(
        (delivered.spent, delivered.held, delivered.in_pool),
        (1, 1, allowance - 1),
        "one token spent, once: {delivered:?}"
    );
    assert_eq!(count_rows(&net, "spent_tokens"), 1);

    // The receipt is the one the drop box made at the first attempt, and it verifies.
    let ledger = net.selfreport(&["ledger", "--json", "--verify"]).json();
    let entries: Vec<&Value> = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["event"] == "disclosure")
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(ledger["verification"]["problem"], Value::Null);
    assert_eq!(ledger["verification"]["receipts_verified"], 1);
    let (id, body, received_at) = &stored[0];
    let receipt = &entries[0]["receipt"];
    assert_eq!(receipt["submission_id"], id.as_str());
    assert_eq!(receipt["received_at"], received_at.as_str());
    assert_eq!(receipt["body_sha256"], body_digest(body).as_str());
}
