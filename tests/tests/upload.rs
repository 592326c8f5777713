//! Reports reach the drop box over loopback HTTPS, through the real binaries: receipts
//! verify and the ledger verifies; the drop box's database, its log and every byte on
//! the wire hold no value the person typed; the authority opens the result as JSON, CSV
//! and FHIR and sees only the declared fields, transformed; deletion requests and
//! policy updates reach the endpoint named by the policy.

use std::collections::BTreeSet;

use selfreport_tests::canary::{Finding, read_paths};
use selfreport_tests::contains;
use selfreport_tests::loopback::{Loopback, withheld_values};
use serde_json::Value;

#[test]
fn reports_reach_the_drop_box_sealed_and_nothing_typed_is_there_or_on_the_wire() {
    let net = Loopback::start();
    for (days_ago, index) in [(3, 0), (2, 1), (1, 2)] {
        net.report(days_ago, index);
    }
    net.grant_consent();
    let summary = net.sync(&[]);
    assert_eq!(summary["queued"], 3, "{summary}");
    assert_eq!(summary["delivered"], 3, "{summary}");
    assert_eq!(summary["retry_later"], 0, "{summary}");
    let events = summary["events"].as_array().expect("events");
    assert_eq!(events.len(), 6, "queued and delivered per item: {summary}");

    // Every receipt verifies, and so does the chain.
    let ledger = net.selfreport(&["ledger", "--json", "--verify"]).json();
    assert_eq!(ledger["verification"]["problem"], Value::Null, "{ledger}");
    assert_eq!(ledger["verification"]["receipts_verified"], 3, "{ledger}");
    let disclosures: Vec<&Value> = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["event"] == "disclosure")
        .collect();
    assert_eq!(disclosures.len(), 3);
    let human = net.selfreport(&["ledger", "--verify"]).success().to_owned();
    assert!(human.contains("signature verified"), "{human}");
    assert!(
        human.contains("verified: 4 entries, hash chain intact, 3 receipts"),
        "{human}"
    );

    let outbox = net.selfreport(&["outbox", "--json"]).json();
    let outbox = outbox.as_array().expect("outbox list");
    assert_eq!(outbox.len(), 3);
    assert!(outbox.iter().all(|item| item["state"] == "delivered"));
    assert!(
        outbox
            .iter()
            .all(|item| item.get("deletion_token").is_none()),
        "the outbox listing never shows the deletion token"
    );

    // The drop box holds the three submissions...
    let stored = net.stored_submissions();
    assert_eq!(stored.len(), 3);
    for item in outbox {
        let id = item["submission_id"].as_str().expect("id");
        assert!(stored.iter().any(|(stored_id, _, _)| stored_id == id));
    }

    // ...and none of the values typed: not in its database files, not in its log, not
    // in any byte that crossed the network.
    let scanner = net.canaries.scanner();
    let files = read_paths(&net.database_files());
    assert!(!files.is_empty());
    assert_eq!(scanner.scan_files(&files), Vec::<Finding>::new());
    let log = net.endpoint_log();
    // The three went in one batch request (the log names the route, never an id).
    assert!(log.contains("POST /v1/submissions/batch 200"), "{log}");
    assert_eq!(
        scanner.scan_log("drop box log", &log),
        Vec::<Finding>::new()
    );
    let wire = [
        ("client to server", net.proxy.client_to_server()),
        ("server to client", net.proxy.server_to_client()),
    ];
    assert!(wire.iter().all(|(_, bytes)| bytes.len() > 1000));
    for (direction, bytes) in &wire {
        assert_eq!(scanner.scan_bytes(direction, bytes), Vec::<Finding>::new());
    }
    // The scan is looking at the right bytes: the submission ids are in the database in
    // the clear, but never on the wire, which is TLS.
    let (first_id, _, _) = &stored[0];
    assert!(
        files
            .values()
            .any(|bytes| contains(bytes, first_id.as_bytes()))
    );
    assert!(
        wire.iter()
            .all(|(_, bytes)| !contains(bytes, first_id.as_bytes()))
    );
}

#[test]
fn the_authority_opens_json_csv_and_fhir_with_only_declared_transformed_fields() {
    let net = Loopback::start();
    net.report(2, 0);
    net.report(1, 1);
    net.grant_consent();
    assert_eq!(net.sync(&[])["delivered"], 2);
    let withheld = withheld_values();

    // Both keys, no case named: health fields only, identity values withheld.
    let json = net.open("json");
    assert!(
        json.stderr.contains("opened 2 submission(s), 0 flagged")
            && json.stderr.contains("4 identity value(s) withheld")
            && json.stderr.contains("--case PSEUDONYM"),
        "{}",
        json.stderr
    );
    let opened: Value = json.json();
    let opened = opened.as_array().expect("an array of submissions");
    assert_eq!(opened.len(), 2);
    for submission in opened {
        assert!(
            submission["recipients"].get("identity").is_none(),
            "{submission}"
        );
    }
    assert!(!json.stdout.contains(net.canaries.name.as_str()));
    assert!(!json.stdout.contains(net.canaries.phone.as_str()));
    let pseudonym = opened[0]["pseudonym"]
        .as_str()
        .expect("a pseudonym")
        .to_owned();

    // One case, by the pseudonym the health part carries: identity values too.
    let json = net.open_with("json", &["--case", &pseudonym]);
    assert!(
        json.stderr.starts_with("warning:") && json.stderr.contains("selfreport-console"),
        "{}",
        json.stderr
    );
    let opened: Value = json.json();
    let opened = opened.as_array().expect("an array of submissions");
    assert_eq!(opened.len(), 2, "both reports are the same person's");
    let mut temperatures = BTreeSet::new();
    for submission in opened {
        assert_eq!(submission["flags"], serde_json::json!([]), "{submission}");
        assert_eq!(submission["form"], "daily");
        let health = submission["recipients"]["health"]
            .as_object()
            .expect("health fields");
        let identity = submission["recipients"]["identity"]
            .as_object()
            .expect("identity fields");
        let health_fields: Vec<&str> = health.keys().map(String::as_str).collect();
        assert_eq!(
            health_fields,
            ["contact_with_case", "district", "symptoms", "temperature"]
        );
        let identity_fields: Vec<&str> = identity.keys().map(String::as_str).collect();
        assert_eq!(identity_fields, ["name", "phone"]);
        assert_eq!(health["district"], "110100", "only the city");
        assert_eq!(health["symptoms"], serde_json::json!(["cough"]));
        assert_eq!(health["contact_with_case"], false);
        temperatures.insert(health["temperature"].as_bool().expect("a yes/no threshold"));
        assert_eq!(identity["name"], net.canaries.name.as_str());
        assert_eq!(identity["phone"], net.canaries.phone.as_str());
    }
    assert_eq!(temperatures, BTreeSet::from([false, true]), "38.9 and 36.2");
    for output in [&json.stdout] {
        for value in &withheld {
            assert!(!output.contains(value.as_str()), "{value} in {output}");
        }
    }

    let csv = net.open_with("csv", &["--case", &pseudonym]);
    let text = csv.success();
    let header = text.lines().next().expect("a header row");
    for column in ["temperature", "district", "name", "phone"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(!header.contains("notes"), "{header}");
    assert_eq!(text.lines().count(), 3, "a header and two rows:\n{text}");
    assert!(text.contains("110100"));
    for value in &withheld {
        assert!(
            !text.contains(value.as_str()),
            "{value} in the CSV:\n{text}"
        );
    }

    let fhir = net.open("fhir").json();
    assert_eq!(fhir["resourceType"], "Bundle");
    let entries = fhir["entry"].as_array().expect("bundle entries");
    assert_eq!(entries.len(), 2);
    for entry in entries {
        assert_eq!(entry["resource"]["resourceType"], "QuestionnaireResponse");
    }
    let fhir_text = fhir.to_string();
    for value in &withheld {
        assert!(!fhir_text.contains(value.as_str()), "{value} in FHIR");
    }
}

#[test]
fn deletion_requests_and_policy_updates_go_to_the_policy_endpoint() {
    let net = Loopback::start();
    net.report(1, 0);
    net.grant_consent();
    let sync = net.selfreport(&["sync", "--progress", "--retry-base", "0"]);
    assert_eq!(
        sync.single_line(),
        "sync: 1 queued, 1 delivered, 0 to retry later, 0 failed"
    );
    let progress: Vec<&str> = sync.stderr.lines().collect();
    assert_eq!(progress.len(), 2, "one line per event: {}", sync.stderr);
    assert!(progress[0].starts_with("queued") && progress[0].contains("sh-daily-health/daily"));
    assert!(progress[1].starts_with("delivered") && progress[1].contains("receipt verified"));
    let updated = net
        .selfreport(&["policy", "update", "sh-daily-health"])
        .single_line();
    assert_eq!(updated, "policy sh-daily-health is up to date (version 1)");

    let outbox = net.selfreport(&["outbox", "--json"]).json();
    let id = outbox[0]["submission_id"].as_str().expect("id").to_owned();
    assert_eq!(net.stored_submissions().len(), 1);
    let deleted = net.selfreport(&["delete-request", &id]).single_line();
    assert!(deleted.contains("deleted by the drop box"), "{deleted}");
    assert!(net.stored_submissions().is_empty());
    let again = net.selfreport(&["delete-request", &id]).single_line();
    assert!(again.contains("no longer holds it"), "{again}");
    let ledger = net.selfreport(&["ledger", "--json", "--verify"]).json();
    let outcomes: Vec<&Value> = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["event"] == "deletion_requested")
        .map(|entry| &entry["outcome"])
        .collect();
    assert_eq!(outcomes, ["deleted", "not_found"]);
    assert_eq!(ledger["verification"]["problem"], Value::Null);
}

/// `erase` with submissions a drop box still holds: without a choice and no terminal, it
/// says plainly what stays where; with `--delete-from-drop-box` it asks the drop box to
/// delete them first.
#[test]
fn erase_offers_deletion_requests_first_and_says_what_stays() {
    let net = Loopback::start();
    net.report(1, 0);
    net.grant_consent();
    net.selfreport(&["sync", "--retry-base", "0"]).success();
    assert_eq!(net.stored_submissions().len(), 1);
    let outcome = net.selfreport(&["erase", "--yes", "--delete-from-drop-box"]);
    let erased = outcome.success();
    assert!(
        erased.contains("asked the drop box to delete 1 submission first"),
        "{erased}"
    );
    assert!(net.stored_submissions().is_empty());

    let net = Loopback::start();
    net.report(1, 0);
    net.grant_consent();
    net.selfreport(&["sync", "--retry-base", "0"]).success();
    let outcome = net.selfreport(&["erase", "--yes"]);
    let erased = outcome.success();
    assert!(
        erased.contains("1 submission you sent may still be held"),
        "{erased}"
    );
    assert!(
        erased.contains("can no longer be deleted early"),
        "{erased}"
    );
    assert_eq!(net.stored_submissions().len(), 1);
}
