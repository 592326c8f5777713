//! Passphrases through the CLI: a wrong one is `WrongKey` (exit 4) and leaves every store
//! file byte-for-byte unchanged; a missing one without a terminal is `KeyUnavailable`
//! (exit 4) instead of a hang; `rekey` makes the new passphrase open the store and the
//! old one fail.

use selfreport_tests::{PASSPHRASE, Workspace, day};

/// A store with one profile, one monitoring period and one daily report.
fn store_with_a_record(ws: &Workspace) -> String {
    ws.initialized_with_policies();
    let profile = ws
        .selfreport(&["profile", "add", "--name", "林国栋"])
        .single_line();
    ws.selfreport(&[
        "monitor",
        "start",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--from",
        &day(0),
    ])
    .success();
    ws.selfreport(&[
        "report",
        "--profile",
        &profile,
        "--policy",
        "sh-daily-health",
        "--form",
        "daily",
        "--answer",
        "temperature=36.5",
        "--answer",
        "symptoms=",
        "--answer",
        "contact_with_case=no",
    ])
    .single_line();
    profile
}

#[test]
fn a_wrong_passphrase_is_refused_and_changes_nothing() {
    let ws = Workspace::new();
    let profile = store_with_a_record(&ws);
    let before = ws.store_snapshot();
    assert!(!before.is_empty());

    let wrong = Some("not the passphrase");
    let attempts: [&[&str]; 5] = [
        &["profile", "list"],
        &["records", "--json"],
        &["export"],
        &["purge"],
        &[
            "report",
            "--profile",
            &profile,
            "--policy",
            "sh-daily-health",
            "--form",
            "daily",
            "--answer",
            "temperature=36.9",
        ],
    ];
    for args in attempts {
        let outcome = ws.selfreport_with(args, wrong, &[]);
        outcome.failure(4, "WrongKey");
        assert!(
            outcome.stdout.is_empty(),
            "{args:?} printed {}",
            outcome.stdout
        );
        assert_eq!(
            ws.store_snapshot(),
            before,
            "`{}` with a wrong passphrase changed the store files",
            args.join(" ")
        );
    }

    // The right passphrase still opens it.
    ws.selfreport(&["profile", "list"]).success();
}

#[test]
fn no_passphrase_and_no_terminal_is_key_unavailable() {
    let ws = Workspace::new();
    ws.initialized_with_policies();
    let line = ws
        .selfreport_with(&["profile", "list"], None, &[])
        .failure(4, "KeyUnavailable")
        .to_owned();
    assert!(line.contains("SELFREPORT_PASSPHRASE"), "{line}");

    // --passphrase-env names another variable.
    ws.selfreport_with(
        &["--passphrase-env", "MY_SECRET", "profile", "list"],
        None,
        &[("MY_SECRET", PASSPHRASE)],
    )
    .success();
}

#[test]
fn rekey_switches_passphrases() {
    let ws = Workspace::new();
    store_with_a_record(&ws);
    let new = "a different, longer passphrase";

    // No new passphrase and no terminal: refused, nothing changes.
    let before = ws.store_snapshot();
    ws.selfreport(&["rekey"]).failure(4, "KeyUnavailable");
    ws.selfreport_with(
        &["rekey"],
        Some(PASSPHRASE),
        &[("SELFREPORT_NEW_PASSPHRASE", "")],
    )
    .failure(3, "EmptyPassphrase");
    assert_eq!(ws.store_snapshot(), before);

    ws.selfreport_with(
        &["rekey"],
        Some(PASSPHRASE),
        &[("SELFREPORT_NEW_PASSPHRASE", new)],
    )
    .success();

    let records = ws
        .selfreport_with(&["records", "--json"], Some(new), &[])
        .json();
    assert_eq!(
        records.as_array().map(Vec::len),
        Some(1),
        "records survive the rekey"
    );
    ws.selfreport_with(&["records"], Some(PASSPHRASE), &[])
        .failure(4, "WrongKey");
}
