//! Delivery survives the network and the drop box misbehaving, through the real binaries
//! on loopback HTTPS: a connection cut after the drop box committed (the retry sends the
//! same bytes, the drop box stores it once and answers with the same receipt), a drop
//! box killed and restarted (the outbox keeps everything until it is back), and a
//! connection stalled past the client's timeout (retried later).

use std::time::{Duration, Instant};

use selfreport_core::sync::wire::body_digest;
use selfreport_tests::loopback::Loopback;
use selfreport_tests::proxy::ProxyMode;
use serde_json::Value;

fn events_of(summary: &Value, kind: &str) -> Vec<Value> {
    summary["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["event"] == kind)
        .cloned()
        .collect()
}

fn disclosures(net: &Loopback) -> (Vec<Value>, Value) {
    let ledger = net.selfreport(&["ledger", "--json", "--verify"]).json();
    let entries = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["event"] == "disclosure")
        .cloned()
        .collect();
    (entries, ledger["verification"].clone())
}

#[test]
fn a_reply_lost_after_the_commit_is_resent_and_stored_once_with_one_receipt() {
    let net = Loopback::start();
    net.report(1, 0);
    net.grant_consent();

    net.proxy.set_mode(ProxyMode::CutAfterReply);
    let first = net.sync(&[]);
    assert_eq!(
        (&first["delivered"], &first["retry_later"]),
        (&Value::from(0), &Value::from(1)),
        "{first}"
    );
    assert_eq!(net.proxy.cuts(), 1, "the proxy saw the reply and cut");
    let stored = net.stored_submissions();
    assert_eq!(stored.len(), 1, "the drop box committed before the cut");
    let outbox = net.selfreport(&["outbox", "--json"]).json();
    assert_eq!(outbox[0]["state"], "pending");
    assert_eq!(outbox[0]["attempts"], 1);
    assert!(outbox[0]["last_error"].is_string(), "{outbox}");

    net.proxy.set_mode(ProxyMode::Forward);
    let second = net.sync(&[]);
    assert_eq!(second["delivered"], 1, "{second}");

    // Stored once; the second request was the same body (a different one with the same
    // id would have been refused with 409), answered as a duplicate.
    let stored_again = net.stored_submissions();
    assert_eq!(stored_again, stored);
    let log = net.endpoint_log();
    assert_eq!(log.matches("POST /v1/submissions 201").count(), 1, "{log}");
    assert_eq!(log.matches("POST /v1/submissions 200").count(), 1, "{log}");

    // One disclosure, whose receipt verifies and is the one made at the first attempt:
    // the duplicate reply carried the same receipt.
    let (entries, verification) = disclosures(&net);
    assert_eq!(entries.len(), 1);
    assert_eq!(verification["problem"], Value::Null);
    assert_eq!(verification["receipts_verified"], 1);
    let (id, body, received_at) = &stored[0];
    let receipt = &entries[0]["receipt"];
    assert_eq!(receipt["submission_id"], id.as_str());
    assert_eq!(receipt["received_at"], received_at.as_str());
    assert_eq!(receipt["body_sha256"], body_digest(body).as_str());

    let opened = net.open("json");
    assert!(
        opened.stderr.contains("opened 1 submission(s), 0 flagged"),
        "{}",
        opened.stderr
    );
}

#[test]
fn nothing_is_lost_while_the_drop_box_is_down_and_it_is_delivered_after_a_restart() {
    let mut net = Loopback::start();
    net.report(2, 0);
    net.report(1, 1);
    net.grant_consent();
    let addr = net.kill_endpoint();

    let down = net.sync(&[]);
    assert_eq!(down["queued"], 2, "{down}");
    assert_eq!(down["delivered"], 0, "{down}");
    assert_eq!(down["retry_later"], 2, "{down}");
    let human = net.selfreport(&["outbox"]).success().to_owned();
    assert_eq!(human.matches("pending").count(), 2, "{human}");
    assert!(human.contains("last error"), "{human}");

    net.restart_endpoint(addr);
    let up = net.sync(&[]);
    assert_eq!(up["queued"], 0, "sealed once, not again: {up}");
    assert_eq!(up["delivered"], 2, "{up}");
    assert_eq!(net.stored_submissions().len(), 2);
    let (entries, verification) = disclosures(&net);
    assert_eq!(entries.len(), 2);
    assert_eq!(verification["receipts_verified"], 2);
    assert_eq!(net.sync(&[])["delivered"], 0, "nothing left to send");
}

#[test]
fn a_connection_stalled_past_the_client_timeout_is_retried_later() {
    let net = Loopback::start();
    net.report(1, 0);
    net.grant_consent();

    net.proxy.set_mode(ProxyMode::Stall(Duration::from_secs(4)));
    let started = Instant::now();
    let stalled = net.sync(&["--timeout", "1"]);
    let waited = started.elapsed();
    assert_eq!(stalled["retry_later"], 1, "{stalled}");
    let retry = events_of(&stalled, "retry_later");
    let reason = retry[0]["reason"].as_str().expect("a reason");
    assert!(reason.starts_with("Timeout"), "{reason}");
    assert!(
        waited < Duration::from_secs(4),
        "the client gave up at its own timeout, after {waited:?}"
    );
    assert!(net.stored_submissions().is_empty());

    net.proxy.set_mode(ProxyMode::Forward);
    let later = net.sync(&["--timeout", "10"]);
    assert_eq!(later["delivered"], 1, "{later}");
    let (entries, verification) = disclosures(&net);
    assert_eq!(entries.len(), 1);
    assert_eq!(verification["problem"], Value::Null);
}
