//! Retention and deletion reach the console (issue 16 item 7): reports past their policy's
//! `server_days` are deleted with the cases they leave empty (and those cases' reveals);
//! a submission the drop box deleted on the device's request is deleted from the console
//! at the next ingest, its sealed identity part with it. The audit log records counts,
//! the policy and the day, never a pseudonym or a submission id.

use chrono::{Days, Utc};
use selfreport_console::audit::{AuditAction, AuditEntry};
use selfreport_console::audit_log;
use selfreport_console::retention::retention;

mod common;
mod console_web;
mod dropbox;
use common::server_or_skip;
use console_web::{Console, WANG, ZHANG, hidden_csrf};

/// The test policy's retention.server_days (the daily-report example's).
const SERVER_DAYS: u64 = 28;

async fn audit_entries(console: &Console) -> Vec<AuditEntry> {
    audit_log::entries(&console.db)
        .await
        .unwrap()
        .iter()
        .map(|entry| serde_json::from_slice(&entry.bytes).unwrap())
        .collect()
}

async fn count(console: &Console, table: &str) -> i64 {
    console
        .db
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

async fn reports_of(console: &Console, case: &str) -> i64 {
    console
        .db
        .query_one(
            "SELECT count(*) FROM case_reports WHERE pseudonym = $1",
            &[&case],
        )
        .await
        .unwrap()
        .get(0)
}

async fn submission_ids(console: &Console) -> Vec<String> {
    console
        .db
        .query("SELECT submission_id FROM case_reports", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Nothing that names what was deleted is in an audit entry about a deletion.
fn assert_counts_only(entry: &AuditEntry, console: &Console, ids: &[String]) {
    let text = serde_json::to_string(entry).unwrap();
    assert!(entry.subject.is_none(), "{text}");
    for secret in ids
        .iter()
        .map(String::as_str)
        .chain([ZHANG.pseudonym, WANG.pseudonym])
        .chain(console.cases.values().map(String::as_str))
    {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_past_server_days_are_deleted_with_their_cases_and_reveals() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let mut console = Console::start(&server, 20).await;
    // A reveal of ZHANG's case, so it has a reveal row to go with it.
    let case = console.case_of(&ZHANG);
    let session = console.login("officer.a").await;
    let form = console
        .get(&format!("/cases/{case}/reveal"), Some(&session))
        .await;
    let csrf = hidden_csrf(&form.text().await.unwrap());
    let revealed = console
        .post(
            &format!("/cases/{case}/reveal"),
            Some(&session),
            &[
                ("csrf", &csrf),
                ("reason", "follow-up-symptoms"),
                ("note", "fever two days"),
            ],
        )
        .await;
    assert_eq!(revealed.status(), 200);
    assert_eq!(count(&console, "reveals").await, 1);
    let ids = submission_ids(&console).await;
    assert_eq!(ids.len(), 3);

    // Within the retention, nothing goes and nothing is recorded.
    let entries_before = audit_entries(&console).await.len();
    let almost = Utc::now() + Days::new(SERVER_DAYS - 1);
    let report = retention(&mut console.db, almost).await.unwrap();
    assert_eq!(report.deleted.reports, 0);
    assert_eq!(count(&console, "case_reports").await, 3);
    assert_eq!(audit_entries(&console).await.len(), entries_before);

    // Past it, every report, both cases and the reveal go.
    let after = Utc::now() + Days::new(SERVER_DAYS) + Days::new(1);
    let report = retention(&mut console.db, after).await.unwrap();
    assert_eq!((report.deleted.reports, report.deleted.cases), (3, 2));
    for table in ["case_reports", "cases", "reveals"] {
        assert_eq!(count(&console, table).await, 0, "{table}");
    }
    let entries = audit_entries(&console).await;
    let entry = entries.last().unwrap();
    assert_eq!(entry.action, AuditAction::Retention);
    assert_eq!(entry.actor, "retention");
    let detail = entry.detail.as_deref().unwrap();
    assert!(
        detail.starts_with(&format!(
            "day {}: 3 report(s) past retention (",
            after.date_naive()
        )) && detail.contains("server_days 28: 3")
            && detail.ends_with("2 case(s) left without a report"),
        "{detail}"
    );
    assert_counts_only(entry, &console, &ids);
    // The case is gone from the officer's pages too.
    assert_eq!(
        console
            .get(&format!("/cases/{case}"), Some(&session))
            .await
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_at_the_drop_box_deletes_the_opened_copy_at_the_next_ingest() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let mut console = Console::start(&server, 20).await;
    // WANG's second report, then deleted by the device's request.
    let sealed = console.filled.report(&WANG, "2026-12-07", 371);
    console.filled.post(&sealed).await;
    assert_eq!(console.ingest_again().await, 1);
    let wang_case = console.case_of(&WANG);
    assert_eq!(reports_of(&console, &wang_case).await, 2);
    let deleted = console
        .filled
        .drop_box
        .delete(sealed.id(), Some(&sealed.token))
        .await;
    assert!(deleted.status().is_success(), "{}", deleted.status());

    let ids = submission_ids(&console).await;
    assert_eq!(console.ingest_again().await, 0);
    assert_eq!(reports_of(&console, &wang_case).await, 1);
    let gone = console
        .db
        .query_opt(
            "SELECT 1 FROM case_reports WHERE submission_id = $1",
            &[&sealed.id()],
        )
        .await
        .unwrap();
    assert!(
        gone.is_none(),
        "the sealed submission (identity part) is gone"
    );
    // The case keeps its other report, and the date of its latest.
    let last: chrono::NaiveDate = console
        .db
        .query_one(
            "SELECT last_date FROM cases WHERE pseudonym = $1",
            &[&wang_case],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(last.to_string(), "2026-12-06");

    let entries = audit_entries(&console).await;
    let deletion = entries
        .iter()
        .find(|entry| entry.action == AuditAction::Deletion)
        .expect("a deletion entry");
    assert_eq!(deletion.actor, "ingest");
    assert!(
        deletion
            .detail
            .as_deref()
            .unwrap()
            .contains(": 1 report(s) whose submission the drop box deleted, 0 case(s)"),
        "{deletion:?}"
    );
    assert_counts_only(deletion, &console, &ids);

    // Running ingest again deletes nothing more.
    assert_eq!(console.ingest_again().await, 0);
    assert_eq!(
        entries.len() + 1,
        audit_entries(&console).await.len(),
        "one ingest entry, no second deletion"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_box_holding_none_of_what_was_ingested_is_refused_and_nothing_deleted() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let mut console = Console::start(&server, 20).await;
    // Another drop box (another database), empty.
    let other = dropbox::FilledDropBox::start().await;
    let kek = selfreport_console::kek::KeyEncryptionKey::from_base64(&console.kek).unwrap();
    let policy = selfreport_endpoint::policy_file::PolicyFile::read(
        &console.filled.policy_path,
        Some(&console.filled.trust_path),
        Utc::now().date_naive(),
    )
    .unwrap();
    let entries = audit_entries(&console).await.len();
    let error = selfreport_console::ingest::ingest(
        &mut console.db,
        &kek,
        &selfreport_endpoint::dropbox::Database::parse(&other.database()).unwrap(),
        &[policy],
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code(), "InvalidArgument");
    assert!(
        error
            .to_string()
            .contains("holds none of the 3 submission(s) ingested before"),
        "{error}"
    );
    assert_eq!(count(&console, "case_reports").await, 3);
    assert_eq!(audit_entries(&console).await.len(), entries);
}
