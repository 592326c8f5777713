//! Arrivals confirmed in person at the console (issue 14 item 4), on a real PostgreSQL
//! server from a real drop box: pre-registrations (open intake) sealed by the core are
//! unconfirmed intake, and stay so when daily reports follow; a checkpoint's signed
//! register, imported, confirms exactly the pseudonyms it names (before or after their
//! intake is ingested); a register with one edited or foreign line is refused whole, with
//! nothing written; importing again adds nothing; each import is one audit entry with
//! counts only. Also the command, the case pages officers see, and the migration of
//! existing cases.

use std::path::Path;
use std::process::Command;

use chrono::{NaiveDate, TimeZone as _, Utc};
use selfreport_console::audit::{AuditAction, AuditEntry};
use selfreport_console::audit_log;
use selfreport_console::confirmations::{ConfirmationImport, import_confirmations};
use selfreport_console::ingest::facts::case_pseudonym;
use selfreport_console::kek::KeyEncryptionKey;
use selfreport_console::officers::{Officer, Role};
use selfreport_console::recipient_keys::case_pseudonym_key;
use selfreport_console::schema::{migrate, migrate_up_to};
use selfreport_console::scope::{CaseSummary, Scope, ScopedCases};
use selfreport_core::crypto::signature::SigningKey;
use selfreport_endpoint::arrival_confirmation::{ArrivalConfirmation, append_line};
use selfreport_endpoint::keyfile::read_signing_key;

mod common;
mod console_web;
mod dropbox;
use common::{connect, new_database, server_or_skip};
use dropbox::{CITY, FilledDropBox, Person};

/// Pre-registers, passes the checkpoint, reports daily.
const LI: Person = Person {
    pseudonym: "1111111111111111aaaaaaaaaaaaaaaa",
    name: "李建国",
    district: "420106",
};
/// Pre-registered by someone else's phone: never at a checkpoint, reports daily anyway.
const ZHAO: Person = Person {
    pseudonym: "2222222222222222bbbbbbbbbbbbbbbb",
    name: "赵敏",
    district: "420106",
};
/// Confirmed at the checkpoint before the console ingested his pre-registration.
const WU: Person = Person {
    pseudonym: "3333333333333333cccccccccccccccc",
    name: "吴刚",
    district: "420111",
};

/// What each case in the console shows: its pseudonym's summary by person.
struct Console {
    filled: FilledDropBox,
    client: tokio_postgres::Client,
    url: String,
    kek: KeyEncryptionKey,
    kek_text: String,
    policy_id: String,
    dir: tempfile::TempDir,
}

impl Console {
    /// A drop box with an open-intake form, LI and ZHAO's pre-registrations of 12-05 and
    /// their daily reports of 12-06 and 12-07 under orders of 420106, all ingested.
    async fn start(server: &str) -> Self {
        let filled = FilledDropBox::start_with_intake().await;
        for person in [&LI, &ZHAO] {
            filled.send_intake(person, "2026-12-05").await;
            filled.send(person, "2026-12-06", 365).await;
            filled.send(person, "2026-12-07", 366).await;
        }
        let url = new_database(server, "console_confirmations").await;
        let mut client = connect(&url).await;
        migrate(&mut client).await.unwrap();
        let (kek, kek_text) = KeyEncryptionKey::generate().unwrap();
        filled.import_keys_into(&mut client, &kek, Utc::now()).await;
        let ingested = filled.ingest_into(&mut client, &kek).await;
        assert_eq!((ingested.stored, ingested.refused.len()), (6, 0));
        let policy_id = filled.drop_box.policy.id.clone();
        Self {
            filled,
            client,
            url,
            kek,
            kek_text: kek_text.as_str().to_owned(),
            policy_id,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The key `confirm-arrival` signs with: the one that signed the policy.
    fn signer(&self) -> SigningKey {
        read_signing_key(&self.filled.drop_box.authority.keys.signing_key_path).unwrap()
    }

    /// A register of `person`'s confirmations (county, time) signed by `key`.
    fn register(&self, name: &str, lines: &[(&Person, &str, &str, &SigningKey)]) -> String {
        let path = self.dir.path().join(name);
        for (person, district, at, key) in lines {
            let confirmation = ArrivalConfirmation::new(
                &self.policy_id,
                person.pseudonym,
                district,
                at.parse().unwrap(),
            );
            append_line(&path, &confirmation.signed_line(key)).unwrap();
        }
        path.display().to_string()
    }

    async fn import(
        &mut self,
        register: &str,
    ) -> Result<ConfirmationImport, selfreport_console::error::ConsoleError> {
        let policy = self.filled.policy();
        import_confirmations(
            &mut self.client,
            &self.kek,
            Path::new(register),
            &policy,
            "admin",
            Utc::now(),
        )
        .await
    }

    /// The case of `person` as an officer of the whole city sees it.
    async fn case(&self, person: &Person) -> Option<CaseSummary> {
        self.case_seen_from(person, CITY).await
    }

    /// The case of `person` as an officer of `district` sees it, if in scope.
    async fn case_seen_from(&self, person: &Person, district: &str) -> Option<CaseSummary> {
        let key = case_pseudonym_key(&self.client, &self.kek).await.unwrap();
        let pseudonym = case_pseudonym(&key, &self.policy_id, person.pseudonym);
        let officer = Officer {
            id: 1,
            username: "officer.city".into(),
            role: Role::Officer,
            districts: vec![district.into()],
            policies: vec![self.policy_id.clone()],
            disabled_at: None,
            locked_until: None,
        };
        let scope = Scope::of(&officer);
        let today = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        ScopedCases::new(&self.client, &scope)
            .case(&pseudonym, today)
            .await
            .unwrap()
            .map(|(summary, _)| summary)
    }

    async fn count(&self, table: &str) -> i64 {
        self.client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0)
    }

    /// The unconfirmed cell of the city's intake reports of 12-05 (every district).
    async fn unconfirmed_intake_cell(&self) -> i64 {
        let scope = Scope::all_districts(vec![self.policy_id.clone()]);
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        ScopedCases::new(&self.client, &scope)
            .daily_counts(day, day)
            .await
            .unwrap()
            .get(&(CITY.to_owned(), day))
            .map_or(0, |counts| counts.unconfirmed)
    }

    /// The audit entries of confirmation imports.
    async fn import_entries(&self) -> Vec<AuditEntry> {
        audit_log::entries(&self.client)
            .await
            .unwrap()
            .iter()
            .map(|entry| serde_json::from_slice::<AuditEntry>(&entry.bytes).unwrap())
            .filter(|entry| entry.action == AuditAction::ConfirmationsImport)
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_checkpoints_confirmation_takes_a_case_out_of_unconfirmed_intake() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let mut console = Console::start(&server).await;
    // Daily reports under orders followed both pre-registrations: neither is confirmed.
    for person in [&LI, &ZHAO] {
        let case = console.case(person).await.unwrap();
        assert_eq!(case.district, "420106", "the latest order's county");
        assert!(
            case.unconfirmed,
            "{}: reports that follow do not confirm",
            person.name
        );
        assert_eq!(case.confirmed, None);
    }
    assert_eq!(console.unconfirmed_intake_cell().await, 2);

    // The checkpoint confirmed LI, and WU whose pre-registration is not ingested yet.
    let signer = console.signer();
    let register = console.register(
        "register.jsonl",
        &[
            (&LI, "420106", "2026-12-05T10:15:00Z", &signer),
            (&WU, "420111", "2026-12-05T11:00:00Z", &signer),
        ],
    );
    let first = console.import(&register).await.unwrap();
    assert_eq!(
        first,
        ConfirmationImport {
            read: 2,
            new: 2,
            other_policy: 0
        }
    );
    let li = console.case(&LI).await.unwrap();
    assert!(!li.unconfirmed);
    let confirmed = li.confirmed.unwrap();
    assert_eq!(
        (confirmed.at, confirmed.district.as_str()),
        (
            Utc.with_ymd_and_hms(2026, 12, 5, 10, 15, 0).unwrap(),
            "420106"
        )
    );
    let zhao = console.case(&ZHAO).await.unwrap();
    assert!(zhao.unconfirmed && zhao.confirmed.is_none());
    // Scoped as every case: the county's officer sees LI confirmed, another county's
    // officer does not see the case at all.
    let county = console.case_seen_from(&LI, "420106").await.unwrap();
    assert!(county.confirmed.is_some());
    assert_eq!(console.case_seen_from(&LI, "420111").await, None);
    assert_eq!(console.unconfirmed_intake_cell().await, 1, "ZHAO's only");

    // WU's pre-registration arrives after his confirmation: ingested, it is confirmed.
    console.filled.send_intake(&WU, "2026-12-05").await;
    let late = console
        .filled
        .ingest_into(&mut console.client, &console.kek)
        .await;
    assert_eq!(late.stored, 1);
    let wu = console.case(&WU).await.unwrap();
    assert!(!wu.unconfirmed);
    assert_eq!(wu.confirmed.unwrap().district, "420111");

    // Again: nothing new, nothing twice.
    let again = console.import(&register).await.unwrap();
    assert_eq!((again.read, again.new), (2, 0));
    assert_eq!(console.count("arrival_confirmations").await, 2);

    // A register with one edited line (LI's county) is refused whole: ZHAO's good line
    // beside it is not imported either.
    let good = console.register(
        "edited.jsonl",
        &[
            (&LI, "420106", "2026-12-05T10:15:00Z", &signer),
            (&ZHAO, "420106", "2026-12-05T10:20:00Z", &signer),
        ],
    );
    let text = std::fs::read_to_string(&good).unwrap();
    let edited = text.replacen("\"district\":\"420106\"", "\"district\":\"420111\"", 1);
    assert_ne!(edited, text);
    std::fs::write(&good, edited).unwrap();
    // A register whose second line another key signed is refused whole too.
    let other_key = SigningKey::generate().unwrap();
    let foreign = console.register(
        "foreign.jsonl",
        &[
            (&ZHAO, "420106", "2026-12-05T10:20:00Z", &signer),
            (&ZHAO, "420106", "2026-12-05T10:20:00Z", &other_key),
        ],
    );
    let entries_before = audit_log::entries(&console.client).await.unwrap().len();
    for (register, line) in [(&good, "line 1"), (&foreign, "line 2")] {
        let refused = console.import(register).await.unwrap_err();
        assert_eq!(refused.code(), "ConfirmationRefused");
        assert_eq!(refused.exit_code(), 5);
        assert!(refused.to_string().contains(line), "{refused}");
    }
    assert_eq!(console.count("arrival_confirmations").await, 2);
    assert!(console.case(&ZHAO).await.unwrap().unconfirmed);
    assert_eq!(
        audit_log::entries(&console.client).await.unwrap().len(),
        entries_before,
        "a refused import writes nothing"
    );

    // One audit entry per import, by the administrator, counts only.
    let entries = console.import_entries().await;
    assert_eq!(entries.len(), 2);
    let details: Vec<&str> = entries
        .iter()
        .map(|entry| entry.detail.as_deref().unwrap())
        .collect();
    assert!(
        details[0].contains("2 confirmation(s) read, 2 new"),
        "{details:?}"
    );
    assert!(
        details[1].contains("2 confirmation(s) read, 0 new"),
        "{details:?}"
    );
    let key = case_pseudonym_key(&console.client, &console.kek)
        .await
        .unwrap();
    for entry in &entries {
        assert_eq!(entry.actor, "admin");
        assert_eq!(entry.subject, None);
        for person in [&LI, &WU] {
            let case = case_pseudonym(&key, &console.policy_id, person.pseudonym);
            let detail = entry.detail.as_deref().unwrap();
            assert!(!detail.contains(person.pseudonym) && !detail.contains(&case));
        }
    }
    // The console keeps its own pseudonym of a confirmation, never the device's.
    let stored: Vec<String> = console
        .client
        .query("SELECT pseudonym FROM arrival_confirmations", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    for person in [&LI, &WU] {
        assert!(!stored.iter().any(|kept| kept == person.pseudonym));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_imports_a_verified_register_and_refuses_an_edited_one() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = Console::start(&server).await;
    let signer = console.signer();
    let register = console.register(
        "register.jsonl",
        &[(&LI, "420106", "2026-12-05T10:15:00Z", &signer)],
    );
    let policy = console.filled.policy_path.display().to_string();
    let trust = console.filled.trust_path.display().to_string();
    let run = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_selfreport-console"));
        command.args(args);
        // The test cluster speaks TLS with a CA of its own.
        if let Ok(ca) = std::env::var("SELFREPORT_TEST_POSTGRES_CA") {
            command.args(["--db-ca", &ca]);
        }
        command
            .env("SELFREPORT_CONSOLE_DB", &console.url)
            .env("SELFREPORT_CONSOLE_KEK", &console.kek_text)
            .output()
            .unwrap()
    };
    let import = |register: &str| {
        run(&[
            "confirmations",
            "import",
            "--file",
            register,
            "--policy",
            &policy,
            "--trust",
            &trust,
        ])
    };
    let first = import(&register);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout.contains("imported 1 new confirmation(s)"),
        "{stdout}"
    );
    let again = import(&register);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("imported 0 new confirmation(s)"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(!console.case(&LI).await.unwrap().unconfirmed);

    let edited = console.dir.path().join("edited.jsonl");
    let text = std::fs::read_to_string(&register)
        .unwrap()
        .replace(LI.pseudonym, ZHAO.pseudonym);
    std::fs::write(&edited, text).unwrap();
    let refused = import(&edited.display().to_string());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(5), "{stderr}");
    assert!(stderr.starts_with("error[ConfirmationRefused]"), "{stderr}");
    assert!(console.case(&ZHAO).await.unwrap().unconfirmed);
    assert_eq!(console.count("arrival_confirmations").await, 1);

    // The register is verified with the policy's signer, so --trust is required.
    let untrusted = run(&[
        "confirmations",
        "import",
        "--file",
        &register,
        "--policy",
        &policy,
    ]);
    assert_eq!(untrusted.status.code(), Some(2));
}

#[tokio::test]
async fn the_migration_to_version_6_keeps_intake_unconfirmed_under_later_reports() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let mut client = connect(&new_database(&server, "console_migrate6").await).await;
    migrate_up_to(&mut client, 5).await.unwrap();
    // As version 5 stored it: an intake, then a daily report that cleared the case's flag.
    client
        .batch_execute(&format!(
            "INSERT INTO cases (pseudonym, policy_id, district, monitoring_days, first_date,
                 last_date) VALUES ('{case}', 'sh-arrivals', '420106', 14,
                 DATE '2026-12-05', DATE '2026-12-05');
             INSERT INTO case_reports VALUES
               ('{a}', '{case}', 1, 'arrival', DATE '2026-12-05', now(), '420100',
                '{{}}', false, false, true, '\\x00'),
               ('{b}', '{case}', 1, 'daily', DATE '2026-12-06', now(), '420106',
                '{{}}', false, false, false, '\\x00');",
            case = "c".repeat(32),
            a = "a".repeat(32),
            b = "b".repeat(32),
        ))
        .await
        .unwrap();
    client
        .execute(
            "UPDATE cases SET latest_unconfirmed = false WHERE pseudonym = $1",
            &[&"c".repeat(32)],
        )
        .await
        .unwrap();
    migrate(&mut client).await.unwrap();
    let row = client
        .query_one(
            "SELECT unconfirmed_intake, confirmed_at IS NULL, days_reported FROM cases",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "the intake stays unconfirmed");
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, i32>(2), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_pages_show_confirmed_in_person_to_the_countys_officer_only() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let filled = FilledDropBox::start_with_intake().await;
    for person in [&console_web::ZHANG, &console_web::WANG] {
        filled.send_intake(person, "2026-12-05").await;
        filled.send(person, "2026-12-06", 365).await;
    }
    let mut console = console_web::Console::start_on(&server, 3, filled, None, 4).await;
    let register = tempfile::tempdir().unwrap();
    let path = register.path().join("register.jsonl");
    let signer =
        read_signing_key(&console.filled.drop_box.authority.keys.signing_key_path).unwrap();
    let policy = console.filled.policy();
    let confirmation = ArrivalConfirmation::new(
        &policy.document().id,
        console_web::ZHANG.pseudonym,
        "420106",
        "2026-12-05T10:15:00Z".parse().unwrap(),
    );
    append_line(&path, &confirmation.signed_line(&signer)).unwrap();
    let kek = KeyEncryptionKey::from_base64(&console.kek).unwrap();
    let import = import_confirmations(&mut console.db, &kek, &path, &policy, "admin", Utc::now())
        .await
        .unwrap();
    assert_eq!(import.new, 1);

    // One login each: a TOTP code is accepted once.
    let officer_a = console.login("officer.a").await;
    let officer_b = console.login("officer.b").await;
    let zhang = console.case_of(&console_web::ZHANG);
    let wang = console.case_of(&console_web::WANG);
    let checks = [
        (&officer_a, "/cases".to_owned(), true),
        (&officer_a, format!("/cases/{zhang}"), true),
        (&officer_b, "/cases".to_owned(), false),
        (&officer_b, format!("/cases/{wang}"), false),
    ];
    for (session, path, confirmed) in checks {
        let response = console.get(&path, Some(session)).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert_eq!(
            html.contains("Confirmed in person 2026-12-05 10:15 UTC in 420106"),
            confirmed,
            "{html}"
        );
        assert_eq!(html.contains("Unconfirmed intake"), !confirmed, "{html}");
    }
    // The other county's officer cannot open the confirmed case.
    let response = console
        .get(&format!("/cases/{zhang}"), Some(&officer_b))
        .await;
    assert_eq!(response.status(), 404);
}
