//! The audit log's witness (issue 16 item 4), on both backends: checkpoints signed with
//! the console key are kept append-only and listed in order; a resend is 200; a count not
//! above the last kept is 409; a wrong signature 403 and a malformed body 400, keeping
//! nothing; without `--console-key` both routes are 404; the database refuses to change a
//! kept checkpoint.

#[allow(dead_code)]
#[macro_use]
mod common;

use common::{Backend, TestDatabase, TestDropBox, error_code};
use selfreport_core::crypto::signature::SigningKey;
use selfreport_endpoint::audit_checkpoint::{Checkpoint, WitnessedCheckpoints};

fn checkpoint(key: &SigningKey, count: u64, head: u8) -> Checkpoint {
    Checkpoint::sign(key, count, &[head; 32], "2026-12-07T10:00:00Z")
}

async fn post(drop_box: &TestDropBox, body: Vec<u8>) -> reqwest::Response {
    drop_box
        .client
        .post(format!("{}/audit-checkpoints", drop_box.url))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn post_checkpoint(drop_box: &TestDropBox, checkpoint: &Checkpoint) -> u16 {
    post(drop_box, serde_json::to_vec(checkpoint).unwrap())
        .await
        .status()
        .as_u16()
}

async fn witnessed(drop_box: &TestDropBox) -> (u16, Option<Vec<Checkpoint>>) {
    let response = drop_box
        .client
        .get(format!("{}/audit-checkpoints", drop_box.url))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status != 200 {
        return (status, None);
    }
    let list: WitnessedCheckpoints =
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    (status, Some(list.checkpoints))
}

/// Tries to change and remove the kept checkpoints in the database itself; true if any
/// statement succeeded.
async fn tampering_succeeds(db: &TestDatabase) -> bool {
    match db {
        TestDatabase::Sqlite { path, .. } => {
            let connection = rusqlite::Connection::open(path).unwrap();
            connection
                .execute("UPDATE audit_checkpoints SET count = 0", [])
                .is_ok()
                || connection
                    .execute("DELETE FROM audit_checkpoints", [])
                    .is_ok()
        }
        TestDatabase::Postgres { .. } => {
            let client = db.client().await;
            client
                .execute("UPDATE audit_checkpoints SET count = 0", &[])
                .await
                .is_ok()
                || client
                    .execute("DELETE FROM audit_checkpoints", &[])
                    .await
                    .is_ok()
                || client
                    .batch_execute("TRUNCATE audit_checkpoints")
                    .await
                    .is_ok()
        }
    }
}

async fn checkpoints_are_kept_in_order_and_only_grow(backend: Backend) {
    let key = SigningKey::generate().unwrap();
    let public = key.public_key();
    let drop_box = TestDropBox::start(backend, move |d| d.with_console_key(public)).await;
    assert_eq!(witnessed(&drop_box).await, (200, Some(Vec::new())));

    let first = checkpoint(&key, 0, 0);
    let second = checkpoint(&key, 12, 1);
    let third = checkpoint(&key, 40, 2);
    assert_eq!(post_checkpoint(&drop_box, &first).await, 201);
    assert_eq!(post_checkpoint(&drop_box, &second).await, 201);
    // The same again (a lost reply): 200, kept once, even after a later one.
    assert_eq!(post_checkpoint(&drop_box, &second).await, 200);
    assert_eq!(post_checkpoint(&drop_box, &third).await, 201);
    assert_eq!(post_checkpoint(&drop_box, &first).await, 200);

    // Fewer entries than the last, or as many with another head (a rewritten log): 409.
    for stale in [checkpoint(&key, 39, 3), checkpoint(&key, 40, 4)] {
        let response = post(&drop_box, serde_json::to_vec(&stale).unwrap()).await;
        assert_eq!(response.status(), 409);
        assert_eq!(error_code(response).await, "Conflict");
    }
    // Signed by another key, or changed after signing: 403.
    let stranger = SigningKey::generate().unwrap();
    assert_eq!(
        post_checkpoint(&drop_box, &checkpoint(&stranger, 50, 5)).await,
        403
    );
    let mut changed = checkpoint(&key, 50, 5);
    changed.count = 51;
    assert_eq!(post_checkpoint(&drop_box, &changed).await, 403);
    // Not a checkpoint: 400.
    for body in [
        &b"{}"[..],
        b"[]",
        br#"{"count":-1,"head":"","at":"","key_id":"","signature":""}"#,
    ] {
        let response = post(&drop_box, body.to_vec()).await;
        assert_eq!(response.status(), 400);
        assert_eq!(error_code(response).await, "Malformed");
    }

    assert_eq!(
        witnessed(&drop_box).await,
        (200, Some(vec![first, second, third]))
    );
    assert!(!tampering_succeeds(&drop_box.db).await);
    assert_eq!(witnessed(&drop_box).await.1.map(|all| all.len()), Some(3));
    drop_box.running.shutdown().await.unwrap();
}

async fn without_a_console_key_there_is_no_witness(backend: Backend) {
    let key = SigningKey::generate().unwrap();
    let drop_box = TestDropBox::start(backend, |d| d).await;
    assert_eq!(
        post_checkpoint(&drop_box, &checkpoint(&key, 1, 1)).await,
        404
    );
    assert_eq!(witnessed(&drop_box).await, (404, None));
    drop_box.running.shutdown().await.unwrap();
}

on_both_backends!(
    checkpoints_are_kept_in_order_and_only_grow,
    without_a_console_key_there_is_no_witness,
);

/// With PostgreSQL, a checkpoint posted while another process is keeping one waits for it,
/// then is judged against it: never kept out of order beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_waits_for_one_being_kept_and_is_judged_against_it() {
    if !common::postgres_or_skip() {
        return;
    }
    let key = SigningKey::generate().unwrap();
    let public = key.public_key();
    let drop_box = TestDropBox::start(Backend::Postgres, move |d| d.with_console_key(public)).await;
    let TestDatabase::Postgres { url, .. } = &drop_box.db else {
        panic!("not PostgreSQL")
    };
    // Another process, keeping a checkpoint of 10 entries, not committed yet.
    let ten = checkpoint(&key, 10, 1);
    let mut other = common::postgres_client(url).await;
    let transaction = other.transaction().await.unwrap();
    let text = serde_json::to_vec(&ten).unwrap();
    transaction
        .execute(
            "INSERT INTO audit_checkpoints (count, checkpoint, checkpoint_sha256, received_at)
             VALUES (10, $1, $2, '2026-12-07T10:00:00Z')",
            &[&text, &selfreport_core::sync::wire::body_digest(&text)],
        )
        .await
        .unwrap();
    let five = checkpoint(&key, 5, 2);
    let client = drop_box.client.clone();
    let witness_url = format!("{}/audit-checkpoints", drop_box.url);
    let body = serde_json::to_vec(&five).unwrap();
    let posting = tokio::spawn(async move {
        client
            .post(witness_url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !posting.is_finished(),
        "the post did not wait for the other insert"
    );
    transaction.commit().await.unwrap();
    assert_eq!(posting.await.unwrap(), 409);
    assert_eq!(witnessed(&drop_box).await, (200, Some(vec![ten])));
    drop_box.running.shutdown().await.unwrap();
}
