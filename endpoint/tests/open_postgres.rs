//! `selfreport-authority open --db postgres://...` (issue 15): submissions stored in
//! PostgreSQL open to exactly the output the same submissions give from SQLite (JSON,
//! CSV and FHIR, and the summary line), over plain TCP and over TLS verified with
//! `--db-ca`; a URL it cannot read is a usage error, and a database holding no drop box
//! is refused.

#[allow(dead_code)]
#[macro_use]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{
    Backend, TestDropBox, crafted_plaintext, device_plaintexts, dummy_plaintexts,
    new_postgres_database, postgres_config, postgres_or_skip, random_hex_id, seal,
};
use selfreport_endpoint::dropbox::move_sqlite_to_postgres;
use serde_json::json;

/// Runs `selfreport-authority open` on `db` with both recipient keys.
fn open(drop_box: &TestDropBox, policy: &Path, db: &str, extra: &[&str]) -> Output {
    let keys: Vec<PathBuf> = ["health", "identity"]
        .iter()
        .map(|name| drop_box.authority.recipient_key_path(name))
        .collect();
    let mut command = Command::new(env!("CARGO_BIN_EXE_selfreport-authority"));
    command.arg("open").arg("--db").arg(db);
    for key in &keys {
        command.arg("--key").arg(key);
    }
    command.arg("--policy").arg(policy).args(extra);
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_open_from_postgres_exactly_as_from_sqlite() {
    if !postgres_or_skip() {
        return;
    }
    // A SQLite drop box holding real reports, cover traffic and a report that breaks the
    // policy (a field it does not send), then the same rows moved into PostgreSQL.
    let drop_box = TestDropBox::start(Backend::Sqlite, |d| d).await;
    let policy = &drop_box.policy;
    for tenths in [365, 381, 392] {
        let id = random_hex_id();
        let sealed = seal(policy, &id, &device_plaintexts(policy, &id, "李娜", tenths));
        assert_eq!(drop_box.post(&sealed.body).await.status(), 201);
    }
    let dummy_id = random_hex_id();
    let dummy = seal(policy, &dummy_id, &dummy_plaintexts(policy, &dummy_id));
    assert_eq!(drop_box.post(&dummy.body).await.status(), 201);
    let extra_id = random_hex_id();
    let mut plaintexts = device_plaintexts(policy, &extra_id, "李娜", 370);
    plaintexts.insert(
        "health".to_owned(),
        crafted_plaintext(
            policy,
            &extra_id,
            "health",
            json!({"temperature": false, "symptoms": [], "contact_with_case": false,
                   "notes": "EXTRA"}),
        ),
    );
    let extra = seal(policy, &extra_id, &plaintexts);
    assert_eq!(drop_box.post(&extra.body).await.status(), 201);
    let url = new_postgres_database().await;
    let moved = move_sqlite_to_postgres(drop_box.db.path(), &postgres_config(&url))
        .await
        .unwrap();
    assert_eq!(moved.moved, 5);

    let policy_path = drop_box.db.path().with_file_name("policy.signed.json");
    std::fs::write(&policy_path, &drop_box.envelope).unwrap();
    let sqlite = drop_box.db.path().display().to_string();
    for format in ["json", "csv", "fhir"] {
        let from_sqlite = open(&drop_box, &policy_path, &sqlite, &["--format", format]);
        let from_postgres = open(&drop_box, &policy_path, &url, &["--format", format]);
        assert!(
            from_sqlite.status.success() && from_postgres.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&from_sqlite.stderr),
            String::from_utf8_lossy(&from_postgres.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&from_postgres.stdout),
            String::from_utf8_lossy(&from_sqlite.stdout),
            "{format}"
        );
        assert_eq!(from_postgres.stderr, from_sqlite.stderr, "{format}");
    }
    let summary = open(&drop_box, &policy_path, &url, &[]).stderr;
    let summary = String::from_utf8_lossy(&summary);
    assert!(
        summary.contains("opened 4 submission(s), 1 flagged; dropped 1 cover submission(s)"),
        "{summary}"
    );

    // Over TLS: refused without the database's CA, the same output with it.
    if let Some(ca) = std::env::var_os(common::POSTGRES_CA_VARIABLE) {
        let tls_url = format!("{url}?sslmode=require");
        let unverified = open(&drop_box, &policy_path, &tls_url, &[]);
        assert_eq!(unverified.status.code(), Some(1));
        let message = String::from_utf8_lossy(&unverified.stderr);
        assert!(
            message.contains("error[Database]") && message.contains("certificate"),
            "{message}"
        );
        let ca = ca.to_string_lossy().to_string();
        let verified = open(&drop_box, &policy_path, &tls_url, &["--db-ca", &ca]);
        assert!(verified.status.success());
        let plain = open(&drop_box, &policy_path, &url, &[]);
        assert_eq!(verified.stdout, plain.stdout);
    } else if std::env::var("CI").is_ok_and(|value| value == "true") {
        panic!("{} is not set under CI", common::POSTGRES_CA_VARIABLE);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_url_is_a_usage_error_and_a_database_without_a_drop_box_is_refused() {
    if !postgres_or_skip() {
        return;
    }
    let drop_box = TestDropBox::start(Backend::Sqlite, |d| d).await;
    let policy_path = drop_box.db.path().with_file_name("policy.signed.json");
    std::fs::write(&policy_path, &drop_box.envelope).unwrap();

    let bad = open(
        &drop_box,
        &policy_path,
        "postgres://u:SECRET@h:notaport/d",
        &[],
    );
    assert_eq!(bad.status.code(), Some(2));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(message.contains("error[DatabaseUrl]"), "{message}");
    assert!(!message.contains("SECRET"), "{message}");

    let empty = new_postgres_database().await;
    let refused = open(&drop_box, &policy_path, &empty, &[]);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("error[Database]") && message.contains("no schema version"),
        "{message}"
    );
    let password = empty.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(!message.contains(password), "{message}");
}
