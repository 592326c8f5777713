//! Access notices from the console (issue 16 item 5): a notice queued in the reveal's
//! transaction is posted by the console's poster to a loopback drop box started with the
//! console's key, and opens with the person's notice key to what the reveal was; the
//! audit log says a notice was queued and holds neither key nor slot; while the drop box
//! is down the notice waits, backing off, and arrives once it is up.

mod common;
mod console_web;
mod dropbox;

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use dropbox::endpoint_common::{Backend, TestDropBox, TestTls};
use selfreport_console::notice_poster::{FIRST_RETRY, NoticePoster, PostRound};
use selfreport_console::notices::{Office, RevealFacts, queue_notice};
use selfreport_console::retention::retention;
use selfreport_console::reveal::{NoticeOutcome, RevealReason, RevealRequest, reveal};
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::notice::{AccessNotice, NoticeKey, open_notice};
use selfreport_endpoint::notice_mailbox::NoticeBatch;

const SUBMISSION: &str = "2b202736515017a3b36933612d96fae8";

/// The test CA's certificate as a PEM file in `dir`.
fn ca_file(tls: &TestTls, dir: &std::path::Path) -> PathBuf {
    let text = STANDARD.encode(tls.ca.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    let path = dir.join("dropbox-ca.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

/// A drop box taking the notices the returned audit key signs, and its CA as a PEM file (in
/// the returned directory).
async fn drop_box_taking_notices() -> (SigningKey, TestDropBox, tempfile::TempDir, PathBuf) {
    let audit_key = SigningKey::generate().unwrap();
    let public = audit_key.public_key();
    let drop_box = TestDropBox::start(Backend::Sqlite, move |d| d.with_console_key(public)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&drop_box.tls, dir.path());
    (audit_key, drop_box, dir, ca)
}

/// Every notice in the drop box's mailbox that opens with `key`.
async fn notices_for(drop_box: &TestDropBox, key: &NoticeKey) -> Vec<AccessNotice> {
    let mut found = Vec::new();
    let mut after = 0;
    loop {
        let response = drop_box
            .client
            .get(format!("{}/notices?after={after}", drop_box.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let batch: NoticeBatch = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        for slot in &batch.batch {
            let slot = STANDARD.decode(slot).unwrap();
            if let Some(notice) = open_notice(key, &slot).unwrap() {
                found.push(notice);
            }
        }
        after = batch.next;
        if !batch.more {
            return found;
        }
    }
}

/// Queues the notice of a reveal by officer 7 at `at`, as a reveal does.
async fn queue(
    db: &mut tokio_postgres::Client,
    key: &NoticeKey,
    office: &Office,
    at: DateTime<Utc>,
) -> i64 {
    let tx = db.transaction().await.unwrap();
    let id = queue_notice(
        &tx,
        key,
        &RevealFacts {
            office,
            officer_id: 7,
            reason: "arrange-care",
            policy_id: "sh-daily-health",
            submission_id: SUBMISSION,
            pseudonym: "0123456789abcdef0123456789abcdef",
            actor: "li.wei",
            at,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_notice_reaches_the_drop_box_and_opens_to_the_reveal() {
    let Some(server) = common::server_or_skip() else {
        return;
    };
    let (_, mut db) = common::migrated_database(&server, "console_notices").await;
    let (audit_key, drop_box, _dir, ca) = drop_box_taking_notices().await;

    let person = NoticeKey::generate().unwrap();
    let office = Office::new("Wuchang CDC").unwrap();
    let at = DateTime::parse_from_rfc3339("2026-12-07T09:30:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let id = queue(&mut db, &person, &office, at).await;

    // The audit log says a notice was queued, naming the case and the outbox row only.
    let entry: Vec<u8> = db
        .query_one("SELECT entry FROM audit_log ORDER BY seq DESC LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);
    let entry: serde_json::Value = serde_json::from_slice(&entry).unwrap();
    assert_eq!(entry["action"], "notice-queued");
    assert_eq!(entry["detail"], format!("outbox {id}"));
    let slot: Vec<u8> = db
        .query_one("SELECT slot FROM notice_outbox WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(slot.len(), 512);
    let text = entry.to_string();
    assert!(!text.contains(person.to_hex().as_str()));
    assert!(!text.contains(&STANDARD.encode(&slot)));

    // Posted by the console's poster, signed with its audit key.
    let poster = NoticePoster::new(&drop_box.url, &[ca], audit_key).unwrap();
    let round = poster.post_pending(&db, at).await.unwrap();
    assert_eq!(
        round,
        PostRound {
            posted: 1,
            failed: 0
        }
    );
    let (posted_at, seq): (Option<DateTime<Utc>>, Option<i64>) = db
        .query_one(
            "SELECT posted_at, seq FROM notice_outbox WHERE id = $1",
            &[&id],
        )
        .await
        .map(|row| (row.get(0), row.get(1)))
        .unwrap();
    assert_eq!(posted_at, Some(at));
    assert_eq!(seq, Some(1));
    // Posted once: a later round has nothing to do.
    assert_eq!(
        poster
            .post_pending(&db, at + Duration::hours(1))
            .await
            .unwrap(),
        PostRound::default()
    );

    // The person's device finds it among the filler, and it tells the reveal.
    let found = notices_for(&drop_box, &person).await;
    assert_eq!(
        found,
        [AccessNotice::new(
            "2026-12-07T09:30:00Z".to_owned(),
            "Wuchang CDC".to_owned(),
            "7".to_owned(),
            "sh-daily-health".to_owned(),
            "arrange-care".to_owned(),
            SUBMISSION.to_owned(),
        )]
    );
    // Nobody else's key opens it.
    assert!(
        notices_for(&drop_box, &NoticeKey::generate().unwrap())
            .await
            .is_empty()
    );

    // Retention forgets the posted row once the drop box no longer keeps the notice.
    retention(&mut db, at + Duration::days(29)).await.unwrap();
    assert_eq!(outbox_rows(&db).await, 1);
    retention(&mut db, at + Duration::days(30)).await.unwrap();
    assert_eq!(outbox_rows(&db).await, 0);
    drop_box.running.shutdown().await.unwrap();
}

async fn outbox_rows(db: &tokio_postgres::Client) -> i64 {
    db.query_one("SELECT count(*) FROM notice_outbox", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_drop_box_is_down_or_refuses_the_notice_waits_and_backs_off() {
    let Some(server) = common::server_or_skip() else {
        return;
    };
    let (_, mut db) = common::migrated_database(&server, "console_notices").await;
    let person = NoticeKey::generate().unwrap();
    let office = Office::new("Wuchang CDC").unwrap();
    let at = Utc::now();
    let id = queue(&mut db, &person, &office, at).await;

    // Nothing listens: the notice stays, to be tried after the first wait.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("https://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let audit_key = SigningKey::generate().unwrap();
    let seed = audit_key.seed_base64();
    let poster = NoticePoster::new(&down, &[], audit_key).unwrap();
    assert_eq!(
        poster.post_pending(&db, at).await.unwrap(),
        PostRound {
            posted: 0,
            failed: 1
        }
    );
    let retry = chrono::Duration::from_std(FIRST_RETRY).unwrap();
    let (attempts, next): (i32, DateTime<Utc>) = db
        .query_one(
            "SELECT attempts, next_attempt_at FROM notice_outbox WHERE id = $1",
            &[&id],
        )
        .await
        .map(|row| (row.get(0), row.get(1)))
        .unwrap();
    assert_eq!(attempts, 1);
    assert_eq!(next.timestamp_millis(), (at + retry).timestamp_millis());
    // Not due before then.
    assert_eq!(
        poster
            .post_pending(&db, at + retry - Duration::seconds(1))
            .await
            .unwrap(),
        PostRound::default()
    );

    // A drop box that knows another console key refuses it (403): it waits twice as long.
    let stranger = SigningKey::generate().unwrap().public_key();
    let drop_box = TestDropBox::start(Backend::Sqlite, move |d| d.with_console_key(stranger)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&drop_box.tls, dir.path());
    let key = SigningKey::from_seed_base64(&seed).unwrap();
    let poster = NoticePoster::new(&drop_box.url, std::slice::from_ref(&ca), key).unwrap();
    let later = at + retry;
    assert_eq!(
        poster.post_pending(&db, later).await.unwrap(),
        PostRound {
            posted: 0,
            failed: 1
        }
    );
    let next: DateTime<Utc> = db
        .query_one(
            "SELECT next_attempt_at FROM notice_outbox WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        next.timestamp_millis(),
        (later + retry * 2).timestamp_millis()
    );
    drop_box.running.shutdown().await.unwrap();

    // The right drop box, once due: posted, and the person can read it.
    let public = SigningKey::from_seed_base64(&seed).unwrap().public_key();
    let drop_box = TestDropBox::start(Backend::Sqlite, move |d| d.with_console_key(public)).await;
    let ca = ca_file(&drop_box.tls, dir.path());
    let poster = NoticePoster::new(
        &drop_box.url,
        &[ca],
        SigningKey::from_seed_base64(&seed).unwrap(),
    )
    .unwrap();
    assert_eq!(
        poster.post_pending(&db, next).await.unwrap(),
        PostRound {
            posted: 1,
            failed: 0
        }
    );
    assert_eq!(notices_for(&drop_box, &person).await.len(), 1);
    drop_box.running.shutdown().await.unwrap();
}

use console_web::ZHANG;

/// A console database holding `filled`'s submissions, with an officer of 420106.
async fn console_of(
    server: &str,
    filled: &dropbox::FilledDropBox,
) -> (
    tokio_postgres::Client,
    selfreport_console::kek::KeyEncryptionKey,
    selfreport_console::officers::Officer,
) {
    let (_, mut db) = common::migrated_database(server, "console_notices").await;
    let (kek, _) = selfreport_console::kek::KeyEncryptionKey::generate().unwrap();
    filled.import_keys_into(&mut db, &kek, Utc::now()).await;
    let policy_id = filled.policy().document().id.clone();
    let report = filled.ingest_into(&mut db, &kek).await;
    assert_eq!(report.stored, 1, "{report:?}");
    let added = selfreport_console::officers::add_officer(
        &mut db,
        &kek,
        selfreport_console::officers::NewOfficer {
            username: "li.wei".to_owned(),
            role: selfreport_console::officers::Role::Officer,
            districts: vec![ZHANG.district.to_owned()],
            policies: vec![policy_id],
            password: zeroize::Zeroizing::new("correct horse battery".to_owned()),
        },
        "admin",
        Utc::now(),
    )
    .await
    .unwrap();
    (db, kek, added.officer)
}

/// The console's case pseudonym of the only case.
async fn only_case(db: &tokio_postgres::Client) -> String {
    db.query_one("SELECT pseudonym FROM cases", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reveal_queues_a_notice_the_persons_device_opens() {
    let Some(server) = common::server_or_skip() else {
        return;
    };
    let audit_key = SigningKey::generate().unwrap();
    let filled = dropbox::FilledDropBox::start_with_notices(audit_key.public_key()).await;
    let device_key = NoticeKey::generate().unwrap();
    let submission = filled
        .send_with_notice_key(&ZHANG, "2026-12-06", 384, &device_key)
        .await;
    let (mut db, kek, officer) = console_of(&server, &filled).await;
    let case = only_case(&db).await;
    let office = Office::new("Wuchang CDC").unwrap();
    let at = DateTime::parse_from_rfc3339("2026-12-07T09:30:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let revealed = reveal(
        &mut db,
        &kek,
        &officer,
        RevealRequest {
            pseudonym: &case,
            reason: RevealReason::ArrangeCare,
            note: "book a test",
        },
        5,
        Some(&office),
        at,
    )
    .await
    .unwrap();
    assert_eq!(revealed.notice, NoticeOutcome::Queued);
    let queued: i64 = db
        .query_one(
            "SELECT count(*) FROM notice_outbox WHERE posted_at IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 1);

    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&filled.drop_box.tls, dir.path());
    let poster = NoticePoster::new(&filled.drop_box.url, &[ca], audit_key).unwrap();
    assert_eq!(
        poster.post_pending(&db, Utc::now()).await.unwrap(),
        PostRound {
            posted: 1,
            failed: 0
        }
    );
    let found = notices_for(&filled.drop_box, &device_key).await;
    let policy_id = filled.policy().document().id.clone();
    assert_eq!(
        found,
        [AccessNotice::new(
            "2026-12-07T09:30:00Z".to_owned(),
            "Wuchang CDC".to_owned(),
            officer.id.to_string(),
            policy_id,
            "arrange-care".to_owned(),
            submission,
        )]
    );
    // The officer's name is nowhere in it.
    assert_ne!(found[0].officer, officer.username);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_notice_key_or_a_drop_box_no_notice_is_queued() {
    let Some(server) = common::server_or_skip() else {
        return;
    };
    // A policy without access notices: its identity parts carry no key.
    let filled = dropbox::FilledDropBox::start().await;
    filled.send(&ZHANG, "2026-12-06", 384).await;
    let (mut db, kek, officer) = console_of(&server, &filled).await;
    let case = only_case(&db).await;
    let office = Office::new("Wuchang CDC").unwrap();
    let request = || RevealRequest {
        pseudonym: &case,
        reason: RevealReason::FollowUpSymptoms,
        note: "fever",
    };
    let revealed = reveal(
        &mut db,
        &kek,
        &officer,
        request(),
        5,
        Some(&office),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(revealed.notice, NoticeOutcome::NoNoticeKey);
    // A console that posts no notices.
    let revealed = reveal(&mut db, &kek, &officer, request(), 5, None, Utc::now())
        .await
        .unwrap();
    assert_eq!(revealed.notice, NoticeOutcome::NotConfigured);
    let queued: i64 = db
        .query_one("SELECT count(*) FROM notice_outbox", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reveal_page_says_the_person_is_told_and_the_notice_arrives() {
    let Some(server) = common::server_or_skip() else {
        return;
    };
    let audit_key = SigningKey::generate().unwrap();
    let device_key = NoticeKey::generate().unwrap();
    let console = console_web::Console::start_with_notices(
        &server,
        5,
        audit_key.public_key(),
        &device_key,
        "Wuchang CDC",
    )
    .await;
    let case = console.case_of(&ZHANG);
    let officer_id = console.officer_ids["officer.a"];
    let session = console.login("officer.a").await;
    let (status, page) = console
        .reveal_because(&case, &session, "missed-reports", "no report for two days")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(ZHANG.name));
    assert!(
        page.contains("The person is told on their device"),
        "{page}"
    );

    let filled = &console.filled;
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&filled.drop_box.tls, dir.path());
    let poster = NoticePoster::new(&filled.drop_box.url, &[ca], audit_key).unwrap();
    assert_eq!(
        poster.post_pending(&console.db, Utc::now()).await.unwrap(),
        PostRound {
            posted: 1,
            failed: 0
        }
    );
    let found = notices_for(&filled.drop_box, &device_key).await;
    assert_eq!(found.len(), 1);
    let notice = &found[0];
    assert_eq!(notice.office, "Wuchang CDC");
    assert_eq!(notice.officer, officer_id.to_string());
    assert_eq!(notice.reason, "missed-reports");
    // The submission whose identity part was opened: the case's latest.
    let latest: String = console
        .db
        .query_one(
            "SELECT submission_id FROM case_reports WHERE pseudonym = $1
             ORDER BY report_date DESC LIMIT 1",
            &[&case],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(notice.submission_id, latest);
}

/// `serve`'s background task: queued notices reach the drop box without anyone calling
/// for them, and a reveal queued while it runs follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_poster_delivers_what_is_queued() {
    let Some(server) = common::server_or_skip() else {
        return;
    };
    let (url, mut db) = common::migrated_database(&server, "console_notices").await;
    let (audit_key, drop_box, _dir, ca) = drop_box_taking_notices().await;
    let person = NoticeKey::generate().unwrap();
    let office = Office::new("Wuchang CDC").unwrap();
    queue(&mut db, &person, &office, Utc::now()).await;

    let poster = NoticePoster::new(&drop_box.url, &[ca], audit_key).unwrap();
    let database = url.clone();
    let running = tokio::spawn(poster.run(move || {
        let database = database.clone();
        async move { Ok(common::connect(&database).await) }
    }));
    // The first round runs at once.
    let mut found = Vec::new();
    for _ in 0..40 {
        found = notices_for(&drop_box, &person).await;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found.len(), 1);
    // One queued later goes out in a later round (every 5 s).
    queue(&mut db, &person, &office, Utc::now()).await;
    for _ in 0..80 {
        found = notices_for(&drop_box, &person).await;
        if found.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found.len(), 2);
    assert_eq!(outbox_pending(&db).await, 0);
    running.abort();
    drop_box.running.shutdown().await.unwrap();
}

async fn outbox_pending(db: &tokio_postgres::Client) -> i64 {
    db.query_one(
        "SELECT count(*) FROM notice_outbox WHERE posted_at IS NULL",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}
