//! Ingest on a real PostgreSQL server from a real drop box: reports sealed by the core as a
//! device seals them become pseudonymous cases scoped by their county, cover traffic is
//! dropped, a tampered or non-conforming submission is refused with what is wrong, running
//! it again ingests nothing twice, and the identity part stays sealed. Also: `keys import`
//! and `ingest` through the binary, and the schema's migration from version 2.

use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone as _, Utc};
use selfreport_console::audit::{AuditAction, AuditEntry};
use selfreport_console::audit_log;
use selfreport_console::ingest::{IngestReport, ingest};
use selfreport_console::kek::KeyEncryptionKey;
use selfreport_console::officers::{NewOfficer, Role, add_officer};
use selfreport_console::schema::{CURRENT_VERSION, migrate, migrate_up_to};
use selfreport_endpoint::dropbox::Database;
use serde_json::json;
use zeroize::Zeroizing;

mod common;
mod dropbox;
use common::{connect, new_database, server_or_skip};
use dropbox::endpoint_common::{Backend, crafted_plaintext, dummy_plaintexts, random_hex_id, seal};
use dropbox::{FilledDropBox, Person};

const ZHANG: Person = Person {
    pseudonym: "0123456789abcdef0123456789abcdef",
    name: "张晓明",
    district: "420106",
};
const WANG: Person = Person {
    pseudonym: "fedcba9876543210fedcba9876543210",
    name: "王丽华",
    district: "420111",
};

async fn run_ingest(
    client: &mut tokio_postgres::Client,
    kek: &KeyEncryptionKey,
    filled: &FilledDropBox,
) -> IngestReport {
    let policy = filled.policy();
    let database = Database::parse(&filled.database()).unwrap();
    ingest(client, kek, &database, &[policy], Utc::now())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_become_cases_once_and_tampered_ones_are_refused() {
    reports_become_cases_once(Backend::Sqlite).await;
}

/// The same from a drop box storing into PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_become_cases_once_from_a_postgres_drop_box() {
    reports_become_cases_once(Backend::Postgres).await;
}

async fn reports_become_cases_once(backend: Backend) {
    let Some(server) = server_or_skip() else {
        return;
    };
    let filled = FilledDropBox::start_on(backend).await;
    filled.send(&ZHANG, "2026-12-05", 365).await;
    filled.send(&ZHANG, "2026-12-06", 384).await;
    filled.send(&WANG, "2026-12-06", 366).await;
    let policy = filled.drop_box.policy.clone();
    let dummy_id = random_hex_id();
    filled
        .post(&seal(
            &policy,
            &dummy_id,
            &dummy_plaintexts(&policy, &dummy_id),
        ))
        .await;
    // A health part the policy does not allow (a field it never sends).
    let extra_id = random_hex_id();
    let mut plaintexts = filled.plaintexts(&ZHANG, &extra_id);
    plaintexts.insert(
        "health".to_owned(),
        crafted_plaintext(
            &policy,
            &extra_id,
            "health",
            json!({"temperature": false, "symptoms": [], "contact_with_case": false,
                   "district": "420106", "notes": "EXTRA"}),
        ),
    );
    filled.post(&seal(&policy, &extra_id, &plaintexts)).await;
    // A health part altered in storage or transit.
    let mut tampered = filled.report(&WANG, "2026-12-06", 370);
    let part = tampered
        .submission
        .parts
        .iter_mut()
        .find(|part| part.to == "health")
        .unwrap();
    let mut ct = STANDARD.decode(&part.ct).unwrap();
    ct[0] ^= 1;
    part.ct = STANDARD.encode(&ct);
    tampered.body = tampered.submission.to_body();
    filled.post(&tampered).await;

    let (kek, _) = KeyEncryptionKey::generate().unwrap();
    let mut client = connect(&new_database(&server, "console_ingest").await).await;
    migrate(&mut client).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    filled.import_keys_into(&mut client, &kek, now).await;

    let first = run_ingest(&mut client, &kek, &filled).await;
    assert_eq!(
        (first.stored, first.cover, first.already, first.other_policy),
        (3, 1, 0, 0)
    );
    assert_eq!(first.refused.len(), 2, "{:?}", first.refused);
    let refused_extra = first
        .refused
        .iter()
        .find(|refusal| refusal.submission_id == extra_id)
        .unwrap();
    assert!(
        refused_extra.problems.contains("notes"),
        "{}",
        refused_extra.problems
    );
    let refused_tampered = first
        .refused
        .iter()
        .find(|refusal| refusal.submission_id == tampered.id())
        .unwrap();
    assert!(
        refused_tampered.problems.contains("does not open"),
        "{}",
        refused_tampered.problems
    );

    // Two cases, each in its county, under pseudonyms that are not the device's.
    let cases = client
        .query(
            "SELECT pseudonym, district, first_date::text, last_date::text FROM cases ORDER BY district",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(cases.len(), 2);
    let zhang: String = cases[0].get(0);
    assert_eq!(cases[0].get::<_, String>(1), "420106");
    assert_eq!(cases[0].get::<_, String>(2), "2026-12-05");
    assert_eq!(cases[0].get::<_, String>(3), "2026-12-06");
    assert_eq!(cases[1].get::<_, String>(1), "420111");
    for row in &cases {
        let pseudonym: String = row.get(0);
        assert_ne!(pseudonym, ZHANG.pseudonym);
        assert_ne!(pseudonym, WANG.pseudonym);
    }
    let reports = client
        .query(
            "SELECT report_date::text, fever, symptoms, unconfirmed, answers FROM case_reports
             WHERE pseudonym = $1 ORDER BY report_date",
            &[&zhang],
        )
        .await
        .unwrap();
    assert_eq!(reports.len(), 2);
    assert!(!reports[0].get::<_, bool>(1), "36.5 is no fever");
    assert!(reports[1].get::<_, bool>(1), "38.4 is fever");
    assert!(
        reports[1].get::<_, bool>(2),
        "cough and fatigue are symptoms"
    );
    assert!(!reports[1].get::<_, bool>(3), "a daily form is not intake");
    let answers: serde_json::Value = serde_json::from_str(&reports[1].get::<_, String>(4)).unwrap();
    assert_eq!(answers["temperature"], json!(true));
    assert_eq!(answers["district"], json!("420106"));

    // No identity value anywhere in the console's tables: the identity part stays sealed.
    let dump: String = client
        .query_one(
            "SELECT (SELECT string_agg(c::text, '') FROM cases c) ||
                    (SELECT string_agg(r::text, '') FROM case_reports r) ||
                    (SELECT string_agg(i::text, '') FROM ingested i)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    for identity in [ZHANG.name, WANG.name, "+8613800138000", "13800138000"] {
        assert!(!dump.contains(identity), "{identity} is in the console");
    }

    // Again: nothing twice.
    let second = run_ingest(&mut client, &kek, &filled).await;
    assert_eq!(
        (
            second.stored,
            second.cover,
            second.refused.len(),
            second.already
        ),
        (0, 0, 0, 6)
    );
    let count: i64 = client
        .query_one("SELECT count(*) FROM case_reports", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 3);
    // A new report of a known case joins it.
    filled.send(&WANG, "2026-12-07", 372).await;
    let third = run_ingest(&mut client, &kek, &filled).await;
    assert_eq!((third.stored, third.already), (1, 6));
    let cases: i64 = client
        .query_one("SELECT count(*) FROM cases", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(cases, 2);

    let actions: Vec<AuditAction> = audit_log::entries(&client)
        .await
        .unwrap()
        .iter()
        .map(|entry| {
            serde_json::from_slice::<AuditEntry>(&entry.bytes)
                .unwrap()
                .action
        })
        .collect();
    assert_eq!(
        actions,
        [
            AuditAction::KeysImport,
            AuditAction::Ingest,
            AuditAction::Ingest,
            AuditAction::Ingest
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commands_import_keys_ingest_and_name_what_they_refuse() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let filled = FilledDropBox::start().await;
    let stored = filled.send(&ZHANG, "2026-12-06", 365).await;
    let mut tampered = filled.report(&WANG, "2026-12-06", 370);
    let part = tampered
        .submission
        .parts
        .iter_mut()
        .find(|part| part.to == "health")
        .unwrap();
    let mut enc = STANDARD.decode(&part.enc).unwrap();
    enc[3] ^= 1;
    part.enc = STANDARD.encode(&enc);
    tampered.body = tampered.submission.to_body();
    filled.post(&tampered).await;

    let url = new_database(&server, "console_ingest_cli").await;
    let (_, kek) = KeyEncryptionKey::generate().unwrap();
    let console = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_selfreport-console"));
        command.args(args);
        // The test cluster speaks TLS with a CA of its own.
        if let Ok(ca) = std::env::var("SELFREPORT_TEST_POSTGRES_CA") {
            command.args(["--db-ca", &ca]);
        }
        command
            .env("SELFREPORT_CONSOLE_DB", &url)
            .env("SELFREPORT_CONSOLE_KEK", kek.as_str())
            .output()
            .unwrap()
    };
    let health = filled.key_path("health").display().to_string();
    let identity = filled.key_path("identity").display().to_string();
    let imported = console(&[
        "keys",
        "import",
        "--health",
        &health,
        "--identity",
        &identity,
    ]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    // The same key twice is refused.
    let same = console(&["keys", "import", "--health", &health, "--identity", &health]);
    assert_eq!(same.status.code(), Some(3));

    let policy = filled.policy_path.display().to_string();
    let trust = filled.trust_path.display().to_string();
    let db = filled.database();
    let args = [
        "ingest",
        "--dropbox",
        &db,
        "--policy",
        &policy,
        "--trust",
        &trust,
    ];
    let first = console(&args);
    assert_eq!(first.status.code(), Some(5));
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stdout.contains("ingested 1 report(s)"), "{stdout}");
    assert!(
        stderr.contains("error[SubmissionRefused]") && stderr.contains(tampered.id()),
        "{stderr}"
    );
    assert!(!stderr.contains(&stored), "{stderr}");
    let again = console(&args);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("ingested 0 report(s)"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

#[tokio::test]
async fn the_schema_migrates_from_version_2_keeping_accounts() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let mut client = connect(&new_database(&server, "console_migrate").await).await;
    migrate_up_to(&mut client, 2).await.unwrap();
    let version: i32 = client
        .query_one("SELECT version FROM console_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, 2);
    assert!(
        client.query("SELECT 1 FROM cases", &[]).await.is_err(),
        "no cases table at version 2"
    );
    let (kek, _) = KeyEncryptionKey::generate().unwrap();
    let added = add_officer(
        &mut client,
        &kek,
        NewOfficer {
            username: "li.wei".into(),
            role: Role::Officer,
            districts: vec!["420106".into()],
            policies: vec!["sh-daily-health".into()],
            password: Zeroizing::new("correct horse battery".into()),
        },
        "admin",
        Utc::now(),
    )
    .await
    .unwrap();
    migrate(&mut client).await.unwrap();
    let version: i32 = client
        .query_one("SELECT version FROM console_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, CURRENT_VERSION);
    assert_eq!(CURRENT_VERSION, 6);
    let kept: i64 = client
        .query_one("SELECT id FROM officers WHERE username = 'li.wei'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, added.officer.id);
    for table in [
        "cases",
        "case_reports",
        "ingested",
        "reveals",
        "console_keys",
        "policies",
        "notice_outbox",
    ] {
        client
            .query(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_migration_to_version_4_fills_the_case_lists_columns_from_the_reports() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let mut client = connect(&new_database(&server, "console_migrate4").await).await;
    migrate_up_to(&mut client, 3).await.unwrap();
    // A case with two reports as version 3 stored them: the later one with fever, in
    // another county.
    client
        .batch_execute(&format!(
            "INSERT INTO cases VALUES ('{case}', 'sh-daily-health', '420106', 14,
                 DATE '2026-12-05', DATE '2026-12-05');
             INSERT INTO case_reports VALUES
               ('{a}', '{case}', 1, 'daily', DATE '2026-12-05', now(), '420106',
                '{{\"temperature\":false}}', false, false, false, '\\x00'),
               ('{b}', '{case}', 1, 'daily', DATE '2026-12-06', now(), '420111',
                '{{\"temperature\":true}}', true, true, false, '\\x00');",
            case = "c".repeat(32),
            a = "a".repeat(32),
            b = "b".repeat(32),
        ))
        .await
        .unwrap();
    migrate(&mut client).await.unwrap();
    let row = client
        .query_one(
            "SELECT days_reported, last_date::text, district, latest_answers, latest_fever,
                    latest_symptoms FROM cases",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 2);
    assert_eq!(row.get::<_, String>(1), "2026-12-06");
    assert_eq!(row.get::<_, String>(2), "420111");
    assert_eq!(row.get::<_, String>(3), "{\"temperature\":true}");
    assert!(row.get::<_, bool>(4) && row.get::<_, bool>(5));
}
