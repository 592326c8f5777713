//! The disk quota (issue 14 item 5, issue 15 item 3): past `--quota-bytes` a new
//! submission gets `507 InsufficientStorage` and nothing of it is stored (alone, or as an
//! item of a batch), while a resend of a stored one still gets its kept receipt;
//! deletions and retention give the room back; a database from an earlier schema counts
//! what it already holds; and on PostgreSQL the quota holds across drop box processes
//! sharing one database, under concurrent posts.

#[allow(dead_code)]
#[macro_use]
mod common;
#[allow(dead_code)]
#[path = "common/deployment.rs"]
mod deployment;

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use common::{
    Authority, Backend, Sealed, TestDropBox, TestTls, error_code, new_postgres_database,
    postgres_client, postgres_config, postgres_or_skip, seal, sealed,
};
use deployment::{Deployment, post};
use selfreport_core::FixedClock;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::policy::parse_policy_document;
use selfreport_core::sync::wire::{BatchReply, Receipt, ReceiptReply, batch_body};
use selfreport_endpoint::dropbox::{AccessLog, DEFAULT_QUOTA_BYTES, DropBox};

/// What `sealed` counts for against the quota: its body and the receipt reply the drop
/// box keeps for it (signed here as the drop box signs it; every receipt of the test
/// policy has the same length).
fn counted(key: &SigningKey, sealed: &Sealed) -> u64 {
    let receipt = Receipt::sign(
        key,
        &sealed.submission,
        &sealed.body,
        "2026-11-28T08:00:00Z".to_owned(),
    );
    let reply = serde_json::to_vec(&ReceiptReply { receipt }).unwrap();
    (sealed.body.len() + reply.len()) as u64
}

async fn post_batch(drop_box: &TestDropBox, items: &[&[u8]]) -> BatchReply {
    let response = drop_box
        .client
        .post(format!("{}/submissions/batch", drop_box.url))
        .header("content-type", "application/json")
        .body(batch_body(items.iter().copied()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

/// Waits (up to 2.5 s) until `drop_box` stores `count` submissions.
async fn wait_for_count(drop_box: &TestDropBox, count: i64) {
    for _ in 0..50 {
        if drop_box.stored_count().await == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(drop_box.stored_count().await, count);
}

/// Room for exactly two submissions: the third gets 507 and is not stored, alone or in a
/// batch; resends still get their kept receipts; a deletion and then retention make room.
async fn past_the_quota_new_submissions_get_507_and_nothing_is_stored(backend: Backend) {
    let clock = Arc::new(FixedClock::new(
        DateTime::parse_from_rfc3339("2026-11-28T08:00:00Z").unwrap(),
    ));
    let job_clock = clock.clone();
    let authority = Authority::new();
    let room_for_two = {
        // Sealed under a policy with this test's keys, only to be measured.
        let policy = parse_policy_document(
            &serde_json::to_vec(&authority.policy_json("https://127.0.0.1:1/v1")).unwrap(),
        )
        .unwrap();
        let sample = seal(
            &policy,
            &common::random_hex_id(),
            &common::daily_blanks(&policy),
        );
        2 * counted(&authority.receipt_key(), &sample)
    };
    let drop_box = TestDropBox::start(backend, move |d| {
        d.with_quota_bytes(room_for_two)
            .unwrap()
            .with_retention_days(1)
            .unwrap()
            .with_clock(job_clock)
            .with_retention_interval(Duration::from_millis(50))
    })
    .await;
    let [a, b, c, d] = [(); 4].map(|()| sealed(&drop_box));
    // The authority of the drop box is another than the one measured: same lengths.
    assert_eq!(
        2 * counted(&drop_box.authority.receipt_key(), &a),
        room_for_two
    );

    let first = drop_box.post(&a.body).await;
    assert_eq!(first.status(), 201);
    let kept = first.bytes().await.unwrap();
    assert_eq!(drop_box.post(&b.body).await.status(), 201);
    let refused = drop_box.post(&c.body).await;
    assert_eq!(refused.status(), 507);
    assert_eq!(error_code(refused).await, "InsufficientStorage");
    assert_eq!(drop_box.stored_count().await, 2);
    assert!(drop_box.stored(c.id()).await.is_none());

    // Full, a resend still gets the receipt kept for it, byte for byte.
    let resent = drop_box.post(&a.body).await;
    assert_eq!(resent.status(), 200);
    assert_eq!(resent.bytes().await.unwrap(), kept);

    // A batch: the resend gets its kept receipt, each new item 507 on its own.
    let reply = post_batch(&drop_box, &[&a.body, &c.body, &d.body]).await;
    let kept_receipt = serde_json::from_slice::<ReceiptReply>(&kept)
        .unwrap()
        .receipt;
    assert_eq!(reply.results[0].receipt.as_ref(), Some(&kept_receipt));
    for result in &reply.results[1..] {
        let error = result.error.as_ref().expect("refused");
        assert_eq!(
            (error.status, error.code.as_str()),
            (507, "InsufficientStorage")
        );
    }
    assert_eq!(drop_box.stored_count().await, 2);

    // A deletion gives its room back: one more fits, then none.
    assert_eq!(drop_box.delete(b.id(), Some(&b.token)).await.status(), 204);
    assert_eq!(drop_box.post(&c.body).await.status(), 201);
    assert_eq!(drop_box.post(&d.body).await.status(), 507);

    // Retention gives the room of what it forgets back.
    clock.advance_days(1);
    wait_for_count(&drop_box, 0).await;
    let reply = post_batch(&drop_box, &[&d.body, &b.body]).await;
    assert!(reply.results.iter().all(|result| result.receipt.is_some()));
    assert_eq!(drop_box.stored_count().await, 2);
}

async fn a_quota_of_zero_is_refused_and_the_default_holds_ten_gib(backend: Backend) {
    assert_eq!(DEFAULT_QUOTA_BYTES, 10 * 1024 * 1024 * 1024);
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let authority = &drop_box.authority;
    let error = DropBox::new(
        &drop_box.envelope,
        authority.receipt_key(),
        drop_box.db.database(),
    )
    .unwrap()
    .with_quota_bytes(0)
    .unwrap_err();
    assert_eq!(error.code(), "QuotaZero");
    assert_eq!(drop_box.post(&sealed(&drop_box).body).await.status(), 201);
}

on_both_backends!(
    past_the_quota_new_submissions_get_507_and_nothing_is_stored,
    a_quota_of_zero_is_refused_and_the_default_holds_ten_gib,
);

/// Two `selfreport-endpoint serve` processes on one database with room for `room`
/// submissions (a quota of `quota` bytes, all but `room` submissions' worth counted as
/// stored before), and `3 * room` submissions posted to them at once: exactly `room` are
/// stored, and the counts the database keeps are what its rows hold.
async fn concurrent_posts_to_two_processes(quota: Option<u64>, room: usize) {
    let url = new_postgres_database().await;
    let deployment = Deployment::new();
    let submissions: Vec<Sealed> = (0..3 * room).map(|_| deployment.sealed()).collect();
    let each = counted(&deployment.authority.receipt_key(), &submissions[0]);
    let room_bytes = room as u64 * each;
    let quota = quota.unwrap_or(room_bytes);
    let quota_arg = quota.to_string();
    let a = deployment.spawn_with(&url, "a", &["--quota-bytes", &quota_arg]);
    let database = postgres_client(&url).await;
    // What a drop box from before the quota stored: it leaves `room` submissions' worth.
    database
        .execute(
            "UPDATE dropbox_quota SET bytes = $1 WHERE slot = -1",
            &[&((quota - room_bytes) as i64)],
        )
        .await
        .unwrap();
    let b = deployment.spawn_with(&url, "b", &["--quota-bytes", &quota_arg]);
    let processes = [a, b];
    let client = deployment.tls.client();
    let mut tasks = Vec::new();
    for (n, sealed) in submissions.iter().enumerate() {
        let client = client.clone();
        let url = processes[n % 2].url.clone();
        let body = sealed.body.clone();
        tasks.push(tokio::spawn(
            async move { post(&client, &url, &body).await.0 },
        ));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let stored = statuses.iter().filter(|status| **status == 201).count();
    let refused = statuses.iter().filter(|status| **status == 507).count();
    assert_eq!((stored, refused), (room, 2 * room), "{statuses:?}");

    let row = database
        .query_one(
            "SELECT count(*), coalesce(sum(octet_length(body) + octet_length(receipt)), 0)::bigint
             FROM submissions",
            &[],
        )
        .await
        .unwrap();
    let (count, bytes): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(count as usize, room);
    assert!(bytes as u64 <= room_bytes, "{bytes} > {room_bytes}");
    let counted_in_slots: i64 = database
        .query_one(
            "SELECT coalesce(sum(bytes), 0)::bigint FROM dropbox_quota WHERE slot >= 0",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let usage: i64 = database
        .query_one(
            "SELECT coalesce(sum(bytes), 0)::bigint FROM dropbox_usage",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!((counted_in_slots, usage), (bytes, bytes));
}

/// Room for ten in a quota of one slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_holds_across_processes_sharing_one_database() {
    if postgres_or_skip() {
        concurrent_posts_to_two_processes(None, 10).await;
    }
}

/// A quota of 128 MiB, split in two slots, with room left for twenty: slots take turns
/// only with themselves, and the total still never passes the quota.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_holds_across_processes_when_split_in_slots() {
    if postgres_or_skip() {
        concurrent_posts_to_two_processes(Some(128 * 1024 * 1024), 20).await;
    }
}

/// A database made by a drop box before the quota (schema version 1) counts the rows it
/// already holds once migrated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_the_quota_counts_what_it_holds() {
    if !postgres_or_skip() {
        return;
    }
    let url = new_postgres_database().await;
    let client = postgres_client(&url).await;
    // Schema version 1 as that drop box made it, holding one row kept until 2099.
    client
        .batch_execute(
            "CREATE TABLE dropbox_schema_version (
                 version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
             CREATE TABLE submissions (
                 id text NOT NULL, policy_id text NOT NULL, policy_version bigint NOT NULL,
                 body bytea NOT NULL, body_sha256 text NOT NULL, deletion_hash text NOT NULL,
                 received_at text NOT NULL, expires_at bigint NOT NULL, expiry_day date NOT NULL,
                 receipt bytea NOT NULL, PRIMARY KEY (id, expiry_day)
             ) PARTITION BY RANGE (expiry_day);
             CREATE TABLE submissions_d20990101 PARTITION OF submissions
                 FOR VALUES FROM ('2099-01-01') TO ('2099-01-02');
             INSERT INTO submissions VALUES ('00000000000000000000000000000000', 'p', 1,
                 decode(repeat('ab', 3000), 'hex'), '', '', '2098-12-01T00:00:00Z',
                 4070908800, '2099-01-01', decode(repeat('cd', 500), 'hex'));
             INSERT INTO dropbox_schema_version (version) VALUES (1);",
        )
        .await
        .unwrap();
    let old_row = 3000 + 500;

    let authority = Authority::new();
    let tls = TestTls::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("https://{}/v1", listener.local_addr().unwrap());
    let policy_json = authority.policy_json(&endpoint);
    let policy = parse_policy_document(&serde_json::to_vec(&policy_json).unwrap()).unwrap();
    let [a, b] = [(); 2].map(|()| {
        seal(
            &policy,
            &common::random_hex_id(),
            &common::daily_blanks(&policy),
        )
    });
    // Room for the old row and one more.
    let quota = old_row + counted(&authority.receipt_key(), &a);
    let running = DropBox::new(
        &authority.sign(&policy_json),
        authority.receipt_key(),
        postgres_config(&url),
    )
    .unwrap()
    .with_access_log(AccessLog::off())
    .with_quota_bytes(quota)
    .unwrap()
    .serve(listener, tls.server_config())
    .await
    .unwrap();
    let client_tls = tls.client();
    assert_eq!(post(&client_tls, &endpoint, &a.body).await.0, 201);
    assert_eq!(post(&client_tls, &endpoint, &b.body).await.0, 507);
    let usage: i64 = client
        .query_one("SELECT sum(bytes)::bigint FROM dropbox_usage", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(usage as u64, quota);
    // Migrated through every later version: the notice mailbox is there, empty.
    let notices: i64 = client
        .query_one("SELECT count(*) FROM notices", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(notices, 0);
    running.shutdown().await.unwrap();
}
