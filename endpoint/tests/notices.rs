//! The access-notice mailbox (docs/protocol.md, "Access notices"), on both backends:
//! slots posted with the console key's signature come back in order, 32 to a batch with
//! random filler, paged by `next` and `more`; a resend gets its sequence number; a wrong
//! signature, a wrong-size slot, a bad `after` and a drop box without `--console-key` are
//! refused and store nothing; retention deletes old notices without reusing numbers;
//! every batch reply has the same size; the access log names the route, never the query.

#[allow(dead_code)]
#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::DateTime;
use common::{Backend, TestDatabase, TestDropBox, error_code};
use selfreport_core::FixedClock;
use selfreport_core::crypto::random_array;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::sync::notice_batch::parse_notice_batch;
use selfreport_endpoint::dropbox::DropBox;
use selfreport_endpoint::notice_mailbox::{
    NOTICE_BATCH_REPLY_BYTES, NOTICE_BATCH_SLOTS, NoticeBatch, NoticePost, NoticePosted,
};

/// A drop box accepting notices signed with `console`'s key.
async fn mailbox(
    backend: Backend,
    console: &SigningKey,
    configure: impl FnOnce(DropBox) -> DropBox,
) -> TestDropBox {
    let public = console.public_key();
    TestDropBox::start(backend, move |d| configure(d.with_console_key(public))).await
}

fn random_slot() -> Vec<u8> {
    random_array::<512>().unwrap().to_vec()
}

/// `POST {url}/notices` with `body`: the status and the reply's bytes.
async fn post_body(drop_box: &TestDropBox, body: Vec<u8>) -> reqwest::Response {
    drop_box
        .client
        .post(format!("{}/notices", drop_box.url))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Posts `slot` signed with `key`: the status and, on success, its sequence number.
async fn post_slot(drop_box: &TestDropBox, key: &SigningKey, slot: &[u8]) -> (u16, Option<i64>) {
    let body = serde_json::to_vec(&NoticePost::sign(key, slot)).unwrap();
    let response = post_body(drop_box, body).await;
    let status = response.status().as_u16();
    if status == 200 || status == 201 {
        let posted: NoticePosted =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        (status, Some(posted.seq))
    } else {
        (status, None)
    }
}

/// `GET {url}/notices?QUERY`: the raw response.
async fn get_raw(drop_box: &TestDropBox, query: &str) -> reqwest::Response {
    drop_box
        .client
        .get(format!("{}/notices{query}", drop_box.url))
        .send()
        .await
        .unwrap()
}

/// A batch from `after`, checked to hold exactly 32 slots of 512 bytes, decoded, with
/// the reply's size.
async fn fetch(drop_box: &TestDropBox, after: i64) -> (Vec<Vec<u8>>, bool, i64, usize) {
    let response = get_raw(drop_box, &format!("?after={after}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body = response.bytes().await.unwrap();
    let batch: NoticeBatch = serde_json::from_slice(&body).unwrap();
    assert_eq!(batch.batch.len(), NOTICE_BATCH_SLOTS);
    let slots: Vec<Vec<u8>> = batch
        .batch
        .iter()
        .map(|slot| STANDARD.decode(slot).unwrap())
        .collect();
    assert!(slots.iter().all(|slot| slot.len() == 512));
    // The device's own strict reader takes the reply, padding and all, to the same batch.
    let read = parse_notice_batch(&body, u64::try_from(after).unwrap()).unwrap();
    assert_eq!(
        (&read.slots, read.more, read.next),
        (&slots, batch.more, u64::try_from(batch.next).unwrap())
    );
    (slots, batch.more, batch.next, body.len())
}

/// Notices stored, read from the database itself.
async fn stored_notices(db: &TestDatabase) -> i64 {
    match db {
        TestDatabase::Sqlite { path, .. } => rusqlite::Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM notices", [], |row| row.get(0))
            .unwrap(),
        TestDatabase::Postgres { .. } => db
            .client()
            .await
            .query_one("SELECT count(*) FROM notices", &[])
            .await
            .unwrap()
            .get(0),
    }
}

async fn posted_notices_come_back_in_order_in_batches_of_32_with_filler(backend: Backend) {
    let console = SigningKey::generate().unwrap();
    let drop_box = mailbox(backend, &console, |d| d).await;
    let slots: Vec<Vec<u8>> = (0..40).map(|_| random_slot()).collect();
    let mut seqs = Vec::new();
    for slot in &slots {
        let (status, seq) = post_slot(&drop_box, &console, slot).await;
        assert_eq!(status, 201);
        seqs.push(seq.unwrap());
    }
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");

    // The same slot again: 200 and the number it has; nothing stored twice.
    assert_eq!(
        post_slot(&drop_box, &console, &slots[3]).await,
        (200, Some(seqs[3]))
    );
    assert_eq!(stored_notices(&drop_box.db).await, 40);

    // The first 32, in order; more follow.
    let (batch, more, next, _) = fetch(&drop_box, 0).await;
    assert_eq!(batch, slots[..32]);
    assert!(more);
    assert_eq!(next, seqs[31]);

    // The last 8, then filler.
    let (batch, more, next, _) = fetch(&drop_box, next).await;
    assert_eq!(batch[..8], slots[32..]);
    assert!(batch[8..].iter().all(|slot| !slots.contains(slot)));
    assert!(!more);
    assert_eq!(next, seqs[39]);

    // From a point inside: the rest after it.
    let (batch, more, next, _) = fetch(&drop_box, seqs[37]).await;
    assert_eq!(batch[..2], slots[38..]);
    assert!(!more);
    assert_eq!(next, seqs[39]);

    // Nothing after the last: filler only, `next` stays, and it differs every time.
    let (first, more, next, _) = fetch(&drop_box, seqs[39]).await;
    assert!(!more);
    assert_eq!(next, seqs[39]);
    let (second, _, _, _) = fetch(&drop_box, seqs[39]).await;
    assert!(first.iter().all(|slot| !slots.contains(slot)));
    assert!(first.iter().zip(&second).all(|(a, b)| a != b));

    // No `after` is from the start.
    let whole = get_raw(&drop_box, "").await;
    assert_eq!(whole.status(), 200);
    let whole: NoticeBatch = serde_json::from_slice(&whole.bytes().await.unwrap()).unwrap();
    assert_eq!(whole.batch[0], STANDARD.encode(&slots[0]));
    assert_eq!(whole.next, seqs[31]);

    // The access log names the route, never the query.
    let lines = drop_box.log_lines();
    assert!(
        lines
            .iter()
            .any(|line| line.contains("GET /v1/notices 200"))
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("POST /v1/notices 201"))
    );
    assert!(
        lines.iter().all(|line| !line.contains("after")),
        "{lines:?}"
    );
    drop_box.running.shutdown().await.unwrap();
}

async fn the_reply_has_the_same_size_with_no_notice_or_a_full_batch(backend: Backend) {
    let console = SigningKey::generate().unwrap();
    let drop_box = mailbox(backend, &console, |d| d).await;
    let (_, more, next, empty_size) = fetch(&drop_box, 0).await;
    assert_eq!((more, next), (false, 0));
    for _ in 0..32 {
        assert_eq!(post_slot(&drop_box, &console, &random_slot()).await.0, 201);
    }
    let (_, more, next, full_size) = fetch(&drop_box, 0).await;
    assert!(!more);
    assert!(next >= 32);
    assert_eq!(empty_size, full_size);
    assert_eq!(full_size, NOTICE_BATCH_REPLY_BYTES);
    drop_box.running.shutdown().await.unwrap();
}

async fn refused_posts_store_nothing(backend: Backend) {
    let console = SigningKey::generate().unwrap();
    let drop_box = mailbox(backend, &console, |d| d).await;

    // Signed by another key, or a slot changed after signing: 403.
    let stranger = SigningKey::generate().unwrap();
    let (status, _) = post_slot(&drop_box, &stranger, &random_slot()).await;
    assert_eq!(status, 403);
    let mut post = NoticePost::sign(&console, &random_slot());
    post.notice = STANDARD.encode(random_slot());
    let response = post_body(&drop_box, serde_json::to_vec(&post).unwrap()).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_code(response).await, "Forbidden");

    // A slot of another size, signed: 400.
    for size in [0, 511, 513, 1024] {
        let (status, _) = post_slot(&drop_box, &console, &vec![1u8; size]).await;
        assert_eq!(status, 400, "{size}");
    }
    // Not the post's JSON: 400; not declared JSON: 415.
    for body in [
        &b"{}"[..],
        b"[]",
        b"not json",
        br#"{"notice":"","signature":"","x":0}"#,
    ] {
        let response = post_body(&drop_box, body.to_vec()).await;
        assert_eq!(response.status(), 400);
        assert_eq!(error_code(response).await, "Malformed");
    }
    let response = drop_box
        .client
        .post(format!("{}/notices", drop_box.url))
        .body(serde_json::to_vec(&NoticePost::sign(&console, &random_slot())).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);

    assert_eq!(stored_notices(&drop_box.db).await, 0);
    let (_, more, next, _) = fetch(&drop_box, 0).await;
    assert_eq!((more, next), (false, 0));

    // A bad `after`: 400 Malformed.
    for query in [
        "?after=-1",
        "?after=x",
        "?after=",
        "?after=1.0",
        "?after=1&after=2",
        "?since=3",
    ] {
        let response = get_raw(&drop_box, query).await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(error_code(response).await, "Malformed", "{query}");
    }
    // Another method: 405.
    let response = drop_box
        .client
        .delete(format!("{}/notices", drop_box.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    drop_box.running.shutdown().await.unwrap();
}

async fn without_a_console_key_posting_is_not_found(backend: Backend) {
    let console = SigningKey::generate().unwrap();
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let (status, _) = post_slot(&drop_box, &console, &random_slot()).await;
    assert_eq!(status, 404);
    assert_eq!(stored_notices(&drop_box.db).await, 0);
    // Devices still poll it alike: filler only.
    let (_, more, next, size) = fetch(&drop_box, 0).await;
    assert_eq!((more, next, size), (false, 0, NOTICE_BATCH_REPLY_BYTES));
    drop_box.running.shutdown().await.unwrap();
}

async fn retention_deletes_notices_past_their_days_and_numbers_are_not_reused(backend: Backend) {
    let clock = Arc::new(FixedClock::new(
        DateTime::parse_from_rfc3339("2026-12-07T08:00:00Z").unwrap(),
    ));
    let job_clock = clock.clone();
    let console = SigningKey::generate().unwrap();
    let drop_box = mailbox(backend, &console, move |d| {
        d.with_notice_days(2)
            .unwrap()
            .with_clock(job_clock)
            .with_retention_interval(Duration::from_millis(50))
    })
    .await;
    let early = random_slot();
    let (_, first) = post_slot(&drop_box, &console, &early).await;
    clock.advance_days(1);
    let later = random_slot();
    let (_, second) = post_slot(&drop_box, &console, &later).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(stored_notices(&drop_box.db).await, 2);

    // Two days after the first: it goes, the second stays.
    clock.advance_days(1);
    let mut waited = 0;
    while stored_notices(&drop_box.db).await != 1 && waited < 50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(stored_notices(&drop_box.db).await, 1);
    let (batch, _, next, _) = fetch(&drop_box, 0).await;
    assert_eq!(batch[0], later);
    assert!(!batch.contains(&early));
    assert_eq!(Some(next), second);
    assert!(
        drop_box
            .log_lines()
            .iter()
            .any(|line| line.contains("retention: deleted 1 notice(s)"))
    );

    // The next number is above every number given, deleted ones included.
    clock.advance_days(2);
    let mut waited = 0;
    while stored_notices(&drop_box.db).await != 0 && waited < 50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(stored_notices(&drop_box.db).await, 0);
    let (_, third) = post_slot(&drop_box, &console, &random_slot()).await;
    assert!(
        third > second && second > first,
        "{first:?} {second:?} {third:?}"
    );
    drop_box.running.shutdown().await.unwrap();
}

on_both_backends!(
    posted_notices_come_back_in_order_in_batches_of_32_with_filler,
    the_reply_has_the_same_size_with_no_notice_or_a_full_batch,
    refused_posts_store_nothing,
    without_a_console_key_posting_is_not_found,
    retention_deletes_notices_past_their_days_and_numbers_are_not_reused,
);

#[test]
fn notices_kept_zero_days_are_refused() {
    let authority = common::Authority::new();
    let envelope = authority.sign(&authority.policy_json("https://127.0.0.1:1/v1"));
    let dir = tempfile::tempdir().unwrap();
    let error = DropBox::new(&envelope, authority.receipt_key(), dir.path().join("d.db"))
        .unwrap()
        .with_notice_days(0)
        .unwrap_err();
    assert_eq!(error.code(), "NoticeDaysZero");
}

/// Two drop box processes on one PostgreSQL database, posting at once while a device
/// polls from the `next` it kept: it sees every notice, none twice (numbers become
/// visible in order, whichever process stored them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_polling_two_processes_posting_at_once_misses_no_notice() {
    if !common::postgres_or_skip() {
        return;
    }
    let console = SigningKey::generate().unwrap();
    let public = console.public_key();
    let a = mailbox(Backend::Postgres, &console, |d| d).await;
    // B serves the same database (and A's policy and TLS certificate).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b_url = format!("https://{}/v1", listener.local_addr().unwrap());
    let b = DropBox::new(&a.envelope, a.authority.receipt_key(), a.db.database())
        .unwrap()
        .with_console_key(public)
        .with_access_log(selfreport_endpoint::dropbox::AccessLog::off())
        .serve(listener, a.tls.server_config())
        .await
        .unwrap();
    let slots: Vec<Vec<u8>> = (0..60).map(|_| random_slot()).collect();
    let post_all = |url: String, slots: Vec<Vec<u8>>| {
        let client = a.client.clone();
        let console = SigningKey::from_seed_base64(&console.seed_base64()).unwrap();
        async move {
            for slot in slots {
                let response = client
                    .post(format!("{url}/notices"))
                    .header("content-type", "application/json")
                    .body(serde_json::to_vec(&NoticePost::sign(&console, &slot)).unwrap())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
            }
        }
    };
    let posting_a = tokio::spawn(post_all(a.url.clone(), slots[..30].to_vec()));
    // The device polls through A while B's posts land too.
    let posting_b = tokio::spawn(post_all(b_url, slots[30..].to_vec()));
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut next = 0;
    let mut rounds = 0;
    while seen.len() < slots.len() && rounds < 2000 {
        let (batch, _, after, _) = fetch(&a, next).await;
        for slot in batch {
            if slots.contains(&slot) {
                seen.push(slot);
            }
        }
        next = after;
        rounds += 1;
    }
    posting_a.await.unwrap();
    posting_b.await.unwrap();
    // Whatever was left after the posts ended.
    loop {
        let (batch, more, after, _) = fetch(&a, next).await;
        seen.extend(batch.into_iter().filter(|slot| slots.contains(slot)));
        next = after;
        if !more {
            break;
        }
    }
    assert_eq!(seen.len(), slots.len(), "a notice was missed or seen twice");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), slots.len());
    b.shutdown().await.unwrap();
    a.running.shutdown().await.unwrap();
}

/// While another process holds a number it has not committed, a notice posted now must
/// not become visible: a device polling in between would keep its higher number as
/// `next` and never see the lower one. With PostgreSQL the post waits for the other
/// insert to end (the table lock), then both appear, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_never_becomes_visible_before_a_lower_one() {
    if !common::postgres_or_skip() {
        return;
    }
    let console = SigningKey::generate().unwrap();
    let drop_box = mailbox(Backend::Postgres, &console, |d| d).await;
    let TestDatabase::Postgres { url, .. } = &drop_box.db else {
        panic!("not PostgreSQL")
    };
    // Another process, in the middle of its insert: its number drawn, not committed.
    let mut other = common::postgres_client(url).await;
    let transaction = other.transaction().await.unwrap();
    let earlier = random_slot();
    let earlier_seq: i64 = transaction
        .query_one(
            "INSERT INTO notices (slot, slot_sha256, posted_day, expires_at)
             VALUES ($1, $2, '2026-12-07', 4102444800) RETURNING seq",
            &[
                &earlier,
                &selfreport_core::sync::wire::body_digest(&earlier),
            ],
        )
        .await
        .unwrap()
        .get(0);

    let later = random_slot();
    let body = serde_json::to_vec(&NoticePost::sign(&console, &later)).unwrap();
    let client = drop_box.client.clone();
    let notices_url = format!("{}/notices", drop_box.url);
    let posting = tokio::spawn(async move {
        let response = client
            .post(notices_url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let posted: NoticePosted =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        (status, posted.seq)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A device polling now sees neither.
    let (batch, more, next, _) = fetch(&drop_box, 0).await;
    assert!(
        !batch.contains(&later),
        "a higher number is visible before a lower one"
    );
    assert_eq!((more, next), (false, 0));
    assert!(!posting.is_finished());

    transaction.commit().await.unwrap();
    let (status, seq) = posting.await.unwrap();
    assert_eq!(status, 201);
    assert!(seq > earlier_seq);
    let (batch, _, next, _) = fetch(&drop_box, 0).await;
    assert_eq!(batch[..2], [earlier, later]);
    assert_eq!(next, seq);
    drop_box.running.shutdown().await.unwrap();
}
