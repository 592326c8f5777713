//! The upload commands that need no network, through the real binary: `preview` shows
//! each field before and after its transform and the exact JSON per recipient; `sync`
//! without consent sends nothing and says why; `ledger --verify` exits 5 with
//! `error[LedgerInvalid]` once the ledger is tampered with; a bad `--extra-root` is
//! refused as invalid input before anything else happens.

use selfreport_tests::{Workspace, day};
use serde_json::Value;

const NOTE: &str = "只给自己看的备注 note-canary-93";

fn daily_report(ws: &Workspace) -> String {
    let profile = ws
        .selfreport(&[
            "profile",
            "add",
            "--name",
            "林晓雯",
            "--phone",
            "+8613912345678",
        ])
        .single_line();
    let notes = format!("notes={NOTE}");
    ws.selfreport(&[
        "report",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--form",
        "daily",
        "--date",
        &day(-1),
        "--answer",
        "temperature=37.8",
        "--answer",
        "symptoms=cough,fatigue",
        "--answer",
        "district=310104",
        "--answer",
        "contact_with_case=yes",
        "--answer",
        &notes,
    ])
    .single_line()
}

#[test]
fn preview_shows_each_field_before_and_after_and_the_exact_json() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let record = daily_report(&ws);

    let text = ws.selfreport(&["preview", &record]).success().to_owned();
    for line in [
        "temperature: 37.8 -> true (threshold, to health)",
        "district: 310104 -> \"310100\" (generalize, to health)",
        "symptoms: cough,fatigue -> [\"cough\",\"fatigue\"] (keep, to health)",
        "name: 林晓雯 -> \"林晓雯\" (keep, to identity)",
        "contact_with_case: yes -> true (keep, to health)",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(
        text.contains(&format!("notes: {NOTE} -> stays on this device")),
        "{text}"
    );

    let json = ws.selfreport(&["preview", &record, "--json"]).json();
    assert_eq!(json["record_id"], record.as_str());
    let fields = json["fields"].as_array().expect("fields");
    let notes = fields
        .iter()
        .find(|field| field["field"] == "notes")
        .expect("notes");
    assert_eq!(notes["leaves_device"], false);
    assert_eq!(notes["recipient"], Value::Null);
    let temperature = fields
        .iter()
        .find(|field| field["field"] == "temperature")
        .expect("temperature");
    assert_eq!(temperature["before"], "37.8");
    assert_eq!(temperature["after"], true);
    let parts = json["parts"].as_array().expect("parts");
    let recipients: Vec<&str> = parts
        .iter()
        .filter_map(|part| part["recipient"].as_str())
        .collect();
    assert_eq!(recipients, ["health", "identity"]);
    for part in parts {
        let size = part["padded_size"].as_u64().expect("size");
        assert_eq!(size % 512, 0, "a multiple of the policy's block");
        let heading = format!(
            "{} ({size} bytes):",
            part["recipient"].as_str().unwrap_or("?")
        );
        assert!(text.contains(&heading), "missing `{heading}` in:\n{text}");
        let sealed = part["json"].as_str().expect("the JSON sealed");
        let parsed: Value = serde_json::from_str(sealed).expect("the part is JSON");
        assert_eq!(parsed["format"], "selfreport.submission/1");
        assert!(size >= sealed.len() as u64);
        assert!(
            text.contains(sealed),
            "the human preview shows the same JSON"
        );
        assert!(!sealed.contains(NOTE) && !sealed.contains("37.8") && !sealed.contains("310104"));
    }
    let missing = ws.selfreport(&["preview", "00000000000000000000000000000000"]);
    assert!(missing.failure(1, "NotFound").contains("record"));
}

#[test]
fn sync_without_consent_sends_nothing_and_says_why() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    daily_report(&ws);
    // The example policy's endpoint does not exist; without consent it is never asked.
    let summary = ws.selfreport(&["sync", "--json"]).json();
    assert_eq!(summary["queued"], 0);
    assert_eq!(summary["delivered"], 0);
    assert_eq!(summary["awaiting_consent"], 1);
    assert_eq!(summary["events"], serde_json::json!([]));
    assert_eq!(
        ws.selfreport(&["outbox"]).single_line(),
        "the outbox is empty"
    );
}

#[test]
fn a_tampered_ledger_fails_verification_with_exit_5() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    ws.selfreport(&["consent", "grant", "--policy", "sh-daily-health"])
        .success();
    let withdrawn = ws
        .selfreport(&["consent", "withdraw", "--policy", "sh-daily-health"])
        .single_line();
    assert!(
        withdrawn.contains("0 queued submissions dropped"),
        "{withdrawn}"
    );
    let listing = ws.selfreport(&["ledger", "--verify"]).success().to_owned();
    assert!(
        listing.contains("consent granted for sh-daily-health"),
        "{listing}"
    );
    assert!(
        listing.contains("consent withdrawn for sh-daily-health"),
        "{listing}"
    );
    assert!(
        listing.contains("verified: 2 entries, hash chain intact"),
        "{listing}"
    );

    let db = ws.store().join("selfreport.db");
    let connection = rusqlite::Connection::open(&db).expect("open the store's database");
    connection
        .execute("UPDATE ledger SET hash = zeroblob(32) WHERE seq = 2", [])
        .expect("tamper");
    drop(connection);

    let broken = ws.selfreport(&["ledger", "--verify"]);
    let line = broken.failure(5, "LedgerInvalid");
    assert!(line.contains("entry 2"), "{line}");
    assert!(
        broken.stdout.contains("NOT verified: entry 2"),
        "{}",
        broken.stdout
    );
    let json = ws.selfreport(&["ledger", "--json", "--verify"]);
    json.failure(5, "LedgerInvalid");
    let printed: Value = serde_json::from_str(&json.stdout).expect("JSON before the failure");
    assert_eq!(printed["verification"]["problem"]["seq"], 2);
    // Listing without verifying still works.
    ws.selfreport(&["ledger"]).success();
}

#[test]
fn an_extra_root_that_is_not_a_certificate_is_invalid_input() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let junk = ws.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").expect("write");
    let refused = ws.selfreport(&["sync", "--extra-root", &junk.to_string_lossy()]);
    let line = refused.failure(3, "ExtraRoot");
    assert!(line.contains("junk.pem"), "{line}");
    let missing = ws.path().join("missing.pem");
    ws.selfreport(&["sync", "--extra-root", &missing.to_string_lossy()])
        .failure(1, "Io");
}
