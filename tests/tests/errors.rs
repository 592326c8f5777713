//! How the CLI fails: one line on stderr, `error[Code]: ...`, and an exit status by
//! class — 2 for usage, 3 for invalid input (naming the field, or the policy check that
//! refused), 0 for `--help`.

use selfreport_tests::{DAILY_REPORT_POLICY, Workspace, current_policy, day, resident_id};

fn daily_report(ws: &Workspace, profile: &str, answers: &[&str]) -> selfreport_tests::Outcome {
    let mut args = vec![
        "report",
        "--profile",
        profile,
        "--policy",
        "sh-daily-health",
        "--form",
        "daily",
    ];
    for answer in answers {
        args.push("--answer");
        args.push(answer);
    }
    ws.selfreport(&args)
}

#[test]
fn invalid_answers_exit_3_and_name_the_field() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let profile = ws
        .selfreport(&["profile", "add", "--name", "王芳"])
        .single_line();
    ws.selfreport(&[
        "monitor",
        "start",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
    ])
    .success();
    let valid = ["symptoms=", "contact_with_case=no"];

    let cases: [(&str, &str); 6] = [
        ("temperature=45.0", "temperature"),
        ("temperature=36.55", "temperature"),
        ("temperature=warm", "temperature"),
        ("symptoms=sneezing", "symptoms"),
        ("district=990101", "district"),
        ("favourite_colour=blue", "favourite_colour"),
    ];
    for (bad, field) in cases {
        let mut answers = vec![bad];
        if !bad.starts_with("temperature") {
            answers.push("temperature=36.6");
        }
        for answer in valid {
            if !answers
                .iter()
                .any(|a| a.split('=').next() == answer.split('=').next())
            {
                answers.push(answer);
            }
        }
        let outcome = daily_report(&ws, &profile, &answers);
        let line = outcome.failure(3, "InvalidInput");
        assert!(line.contains(&format!("`{field}`")), "{bad}: {line}");
        assert!(outcome.stdout.is_empty());
    }

    // A required field left out.
    let line = daily_report(&ws, &profile, &["symptoms=", "contact_with_case=no"])
        .failure(3, "InvalidInput")
        .to_owned();
    assert!(line.contains("`temperature`"), "{line}");

    // The same field twice.
    let line = daily_report(
        &ws,
        &profile,
        &[
            "temperature=36.6",
            "temperature=36.7",
            "symptoms=",
            "contact_with_case=no",
        ],
    )
    .failure(3, "DuplicateAnswer")
    .to_owned();
    assert!(line.contains("`temperature`"), "{line}");

    // A report dated tomorrow.
    let line = ws
        .selfreport(&[
            "report",
            "--profile",
            &profile,
            "--policy",
            "sh-daily-health",
            "--form",
            "daily",
            "--date",
            &day(1),
            "--answer",
            "temperature=36.6",
            "--answer",
            "symptoms=",
            "--answer",
            "contact_with_case=no",
        ])
        .failure(3, "InvalidInput")
        .to_owned();
    assert!(line.contains("`date`"), "{line}");

    // Nothing was saved by any of these.
    let records = ws.selfreport(&["records", "--json"]).json();
    assert_eq!(records, serde_json::json!([]));
}

#[test]
fn invalid_profiles_exit_3_and_name_the_attribute() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let good_body = "31010419900315242";
    let good = resident_id(good_body);
    // The same number with its last character changed: a wrong check character.
    let wrong_check = format!("{good_body}{}", if good.ends_with('0') { '1' } else { '0' });
    let cases: [(&[&str], &str); 4] = [
        (
            &["--name", "张三", "--id-number", &wrong_check],
            "id_number",
        ),
        (&["--name", "张三", "--phone", "13800138000x"], "phone"),
        (&["--name", "张三3"], "name"),
        (
            &["--name", "张三", "--birth-date", "1990-02-30"],
            "birth_date",
        ),
    ];
    for (args, field) in cases {
        let mut full = vec!["profile", "add"];
        full.extend_from_slice(args);
        let line = ws.selfreport(&full).failure(3, "InvalidInput").to_owned();
        assert!(line.contains(&format!("`{field}`")), "{args:?}: {line}");
    }
    let profiles = ws.selfreport(&["profile", "list", "--json"]).json();
    assert_eq!(profiles, serde_json::json!([]));
    // A malformed profile id is invalid input too.
    ws.selfreport(&[
        "monitor",
        "start",
        "--profile",
        "not-an-id",
        "--policy",
        "sh-daily-health",
    ])
    .failure(3, "InvalidInput");
}

#[test]
fn tampered_or_foreign_policies_exit_3_with_the_policy_code() {
    let ws = Workspace::new();
    let public = ws.authority_keygen();
    ws.selfreport(&["init", "--trust", &public.to_string_lossy()])
        .success();
    let signed = ws.sign_policy("daily", &current_policy(DAILY_REPORT_POLICY));
    let original = std::fs::read(&signed).unwrap();

    // One character of the signed payload changed: the signature no longer verifies.
    let text = String::from_utf8(original.clone()).unwrap();
    let payload_start = text.find("\"payload\"").expect("envelope has a payload") + 12;
    let position = payload_start + 100;
    let mut tampered = original.clone();
    tampered[position] = if tampered[position] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let tampered_path = ws.path().join("tampered.json");
    selfreport_tests::write(&tampered_path, &tampered);
    ws.selfreport(&["policy", "install", &tampered_path.to_string_lossy()])
        .failure(3, "PolicyBadSignature");

    // Any single flipped byte is refused with a policy error, never installed.
    for position in (0..original.len()).step_by(original.len() / 16 + 1) {
        let mut flipped = original.clone();
        flipped[position] ^= 0x01;
        selfreport_tests::write(&tampered_path, &flipped);
        let outcome = ws.selfreport(&["policy", "install", &tampered_path.to_string_lossy()]);
        assert_eq!(outcome.code, 3, "byte {position}: {}", outcome.stderr);
        assert!(
            outcome.stderr.starts_with("error[Policy"),
            "byte {position}: {}",
            outcome.stderr
        );
    }
    let policies = ws.selfreport(&["policy", "list", "--json"]).json();
    assert_eq!(policies, serde_json::json!([]), "nothing was installed");

    // Signed by a key this store does not trust.
    let stranger = Workspace::new();
    stranger.authority_keygen();
    let foreign = stranger.sign_policy("daily", &current_policy(DAILY_REPORT_POLICY));
    ws.selfreport(&["policy", "install", &foreign.to_string_lossy()])
        .failure(3, "PolicyUnknownKey");

    // The genuine file still installs.
    ws.selfreport(&["policy", "install", &signed.to_string_lossy()])
        .success();
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let ws = Workspace::new();
    for args in [
        &["frobnicate"][..],
        &[][..],
        &["erase"][..],
        &["init"][..],
        &["due", "--today", "2026-02-30"][..],
        &[
            "report",
            "--profile",
            "x",
            "--policy",
            "p",
            "--form",
            "f",
            "--answer",
            "novalue",
        ][..],
        &["--pbkdf2-iterations", "0", "records"][..],
    ] {
        let outcome = ws.selfreport_raw(args);
        assert_eq!(outcome.code, 2, "{args:?}: {}", outcome.stderr);
        assert!(!outcome.stderr.is_empty());
    }
    for args in [
        &["--help"][..],
        &["-h"][..],
        &["report", "--help"][..],
        &["--version"][..],
    ] {
        let outcome = ws.selfreport_raw(args);
        assert_eq!(outcome.code, 0, "{args:?}: {}", outcome.stderr);
        assert!(!outcome.stdout.is_empty());
    }
    // The test-only iteration option is documented in --help, not in -h.
    let long = ws.selfreport_raw(&["--help"]);
    assert!(long.stdout.contains("--pbkdf2-iterations"));
    assert!(long.stdout.contains("600,000"));
    let short = ws.selfreport_raw(&["-h"]);
    assert!(!short.stdout.contains("--pbkdf2-iterations"));
}

#[test]
fn commands_on_a_missing_store_say_so() {
    let ws = Workspace::new();
    ws.selfreport(&["profile", "list"])
        .failure(1, "NotInitialized");
    ws.selfreport(&["erase", "--yes"])
        .failure(1, "NotInitialized");
}
