//! The whole life of a store through the real binaries: the authority makes a key and signs
//! a policy, a resident initializes a store that trusts it, installs the policy, adds a
//! profile, is monitored, files daily reports, sees what is due, lists and exports, purges
//! after retention and finally erases everything, leaving no file behind.

use selfreport_tests::{DAILY_REPORT_POLICY, Workspace, current_policy, day, resident_id};
use serde_json::Value;

#[test]
fn a_store_from_init_to_erase() {
    let ws = Workspace::new();

    // The authority side.
    let public = ws.authority_keygen();
    let signed = ws.sign_policy("daily-report", &current_policy(DAILY_REPORT_POLICY));

    // init creates the store and records the trust anchor beside it.
    ws.selfreport(&["init", "--trust", &public.to_string_lossy()])
        .success();
    assert!(ws.store().join("trust-anchors.json").is_file());

    // policy install, then policy list.
    let installed = ws
        .selfreport(&["policy", "install", &signed.to_string_lossy()])
        .success()
        .to_owned();
    assert!(installed.contains("sh-daily-health"), "{installed}");
    let policies = ws.selfreport(&["policy", "list", "--json"]).json();
    let policies = policies.as_array().expect("policy list is an array");
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0]["id"], "sh-daily-health");
    assert_eq!(policies[0]["version"], 1);
    assert_eq!(policies[0]["forms"], serde_json::json!(["daily"]));

    // profile add prints the id alone; profile list shows it.
    let id_number = resident_id("31010419900315242");
    let profile = ws
        .selfreport(&[
            "profile",
            "add",
            "--name",
            "林晓雯",
            "--display-name",
            "me",
            "--id-number",
            &id_number,
            "--phone",
            "+8613912345678",
        ])
        .single_line();
    assert_eq!(profile.len(), 32, "profile id: {profile}");
    let profiles = ws.selfreport(&["profile", "list", "--json"]).json();
    assert_eq!(profiles.as_array().map(Vec::len), Some(1));
    assert_eq!(profiles[0]["id"], profile.as_str());
    assert_eq!(profiles[0]["display_name"], "me");
    assert_eq!(profiles[0]["name"], "林晓雯");
    assert_eq!(profiles[0]["id_number"], id_number.as_str());

    // Nothing is due before monitoring starts.
    let due = ws.selfreport(&["due", "--json"]).json();
    assert_eq!(due, serde_json::json!([]));

    // A monitoring period that started two days ago: today is day 3 of 14.
    ws.selfreport(&[
        "monitor",
        "start",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--from",
        &day(-2),
        "--reason",
        "contact",
    ])
    .success();
    let due = ws.selfreport(&["due", "--json"]).json();
    let items = due.as_array().expect("due is an array");
    assert_eq!(items.len(), 1, "{due}");
    assert_eq!(items[0]["profile_id"], profile.as_str());
    assert_eq!(items[0]["policy_id"], "sh-daily-health");
    assert_eq!(items[0]["form_id"], "daily");
    assert_eq!(items[0]["date"], day(0));
    assert_eq!(items[0]["day"], 3);
    assert_eq!(items[0]["of_days"], 14);
    let human = ws.selfreport(&["due"]).success().to_owned();
    assert!(human.contains("daily") && human.contains("3/14"), "{human}");

    // Yesterday's report, late, and today's.
    let report = |date: &str, temperature: &str, symptoms: &str| {
        ws.selfreport(&[
            "report",
            "--profile",
            &profile,
            "--policy",
            "sh-daily-health",
            "--form",
            "daily",
            "--date",
            date,
            "--answer",
            &format!("temperature={temperature}"),
            "--answer",
            &format!("symptoms={symptoms}"),
            "--answer",
            "contact_with_case=no",
            "--answer",
            "district=310104",
        ])
        .single_line()
    };
    let yesterday = report(&day(-1), "36.6", "");
    let today = report(&day(0), "37.1", "cough,fatigue");
    assert_ne!(yesterday, today);
    assert_eq!(today.len(), 32, "record id: {today}");

    // Today is filed: nothing is due any more.
    assert_eq!(
        ws.selfreport(&["due", "--json"]).json(),
        serde_json::json!([])
    );

    // A second save the same day amends the record instead of adding one.
    let amended = report(&day(0), "37.4", "cough");
    assert_eq!(amended, today, "an amendment keeps the record id");

    let records = ws.selfreport(&["records", "--json"]).json();
    let records = records.as_array().expect("records is an array");
    assert_eq!(records.len(), 2, "{records:?}");
    let todays = records
        .iter()
        .find(|record| record["id"] == today.as_str())
        .expect("today's record is listed");
    assert_eq!(todays["date"], day(0));
    assert_eq!(todays["revision"], 1, "amended in place: it was never sent");
    assert_eq!(todays["values"]["temperature"], "37.4");
    assert_eq!(todays["values"]["symptoms"], "cough");
    let human = ws.selfreport(&["records"]).success().to_owned();
    assert!(
        human.contains(&today) && human.contains(&yesterday),
        "{human}"
    );

    // export gives everything as JSON.
    let export = ws.selfreport(&["export"]).json();
    let text = export.to_string();
    assert!(text.contains("林晓雯"), "export holds the profile: {text}");
    assert!(text.contains(&today), "export holds the records: {text}");

    // Purge as of today keeps everything; purge after the 28-day retention removes the
    // records (the profile stays: it is not a record).
    ws.selfreport(&["purge"]).success();
    let records: Value = ws.selfreport(&["records", "--json"]).json();
    assert_eq!(records.as_array().map(Vec::len), Some(2));
    let purged = ws
        .selfreport(&["purge", "--today", &day(60)])
        .success()
        .to_owned();
    assert!(purged.contains("purged"), "{purged}");
    let records: Value = ws.selfreport(&["records", "--json"]).json();
    assert_eq!(
        records,
        serde_json::json!([]),
        "records past retention are gone"
    );
    let profiles = ws.selfreport(&["profile", "list", "--json"]).json();
    assert_eq!(profiles.as_array().map(Vec::len), Some(1));

    // erase leaves nothing behind, not even the directory.
    ws.selfreport(&["erase", "--yes"]).success();
    assert!(!ws.store().exists(), "the store directory is gone");
    // And the store is really gone: commands now say so.
    ws.selfreport(&["records"]).failure(1, "NotInitialized");
}

#[test]
fn init_refuses_an_existing_store_and_a_bad_trust_file() {
    let ws = Workspace::new();
    let public = ws.authority_keygen();
    ws.selfreport(&["init", "--trust", &public.to_string_lossy()])
        .success();
    let before = ws.store_snapshot();
    ws.selfreport(&["init", "--trust", &public.to_string_lossy()])
        .failure(1, "Conflict");
    assert_eq!(
        ws.store_snapshot(),
        before,
        "the existing store is untouched"
    );

    let other = Workspace::new();
    let bad = other.path().join("bad.pub");
    selfreport_tests::write(&bad, b"this is not a key\n");
    other
        .selfreport(&["init", "--trust", &bad.to_string_lossy()])
        .failure(3, "PolicyBadKey");
    assert!(
        !other.store().exists(),
        "nothing is created for a bad trust file"
    );
}
