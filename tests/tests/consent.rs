//! Consent, through the real binaries on loopback HTTPS: nothing is sent before it is
//! granted; once it is withdrawn, queued submissions are dropped, nothing more is sent
//! (the network sees no connection at all) and the ledger records the withdrawal.

use selfreport_tests::loopback::Loopback;
use serde_json::Value;

#[test]
fn nothing_is_sent_without_consent_or_after_it_is_withdrawn() {
    let mut net = Loopback::start();
    net.report(3, 0);

    // Without consent: nothing sealed, nothing sent, and the person is told why.
    let before = net.sync(&[]);
    assert_eq!(before["queued"], 0, "{before}");
    assert_eq!(before["awaiting_consent"], 1, "{before}");
    let human = net.selfreport(&["sync"]).success().to_owned();
    assert!(
        human.contains("1 saved record waits for consent"),
        "{human}"
    );
    assert_eq!(net.proxy.connections(), 0);

    net.grant_consent();
    assert_eq!(net.sync(&[])["delivered"], 1);

    // One more report gets queued while the drop box is down...
    net.report(2, 1);
    let addr = net.kill_endpoint();
    assert_eq!(net.sync(&[])["retry_later"], 1);

    // ...then consent is withdrawn: the queued submission is dropped unsent.
    let withdrawn = net
        .selfreport(&["consent", "withdraw", "--policy", "sh-daily-health"])
        .single_line();
    assert!(
        withdrawn.contains("1 queued submission dropped unsent"),
        "{withdrawn}"
    );
    net.report(1, 2);
    net.restart_endpoint(addr);
    let connections = net.proxy.connections();

    let after = net.sync(&[]);
    assert_eq!(
        (&after["queued"], &after["delivered"], &after["retry_later"]),
        (&Value::from(0), &Value::from(0), &Value::from(0)),
        "{after}"
    );
    assert_eq!(
        after["awaiting_consent"], 2,
        "the dropped report and the newest wait, unsent: {after}"
    );
    assert_eq!(
        net.proxy.connections(),
        connections,
        "no connection is made to the endpoint"
    );
    assert_eq!(
        net.stored_submissions().len(),
        1,
        "only the first report arrived"
    );

    let ledger = net.selfreport(&["ledger", "--json", "--verify"]).json();
    let events: Vec<&str> = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["event"].as_str())
        .collect();
    assert_eq!(
        events,
        ["consent_granted", "disclosure", "consent_withdrawn"]
    );
    let last = &ledger["entries"][2];
    assert_eq!(last["policy_id"], "sh-daily-health");
    assert_eq!(last["dropped"], 1);
    assert_eq!(ledger["verification"]["problem"], Value::Null);
    // The printed chain verifies by itself, recomputed here from its fields alone.
    assert_eq!(
        selfreport_tests::printed_ledger::verify_printed_chain(&ledger["entries"]),
        Ok(vec!["selfreport.ledger/2".to_owned(); 3])
    );
    let mut tampered = ledger["entries"].clone();
    tampered[1]["body_sha256"] = Value::from("0".repeat(64));
    assert!(selfreport_tests::printed_ledger::verify_printed_chain(&tampered).is_err());
    let export = net.selfreport(&["export"]).json();
    assert_eq!(export["ledger"], ledger["entries"]);
    let outbox = net.selfreport(&["outbox", "--json"]).json();
    let states: Vec<&str> = outbox
        .as_array()
        .expect("outbox")
        .iter()
        .filter_map(|item| item["state"].as_str())
        .collect();
    assert!(!states.contains(&"pending"), "{outbox}");
}
