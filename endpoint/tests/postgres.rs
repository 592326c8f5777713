//! The drop box on PostgreSQL beyond what the shared suites check: schema migrations
//! (processes starting together, a newer schema refused), several drop box processes on
//! one database (a resend to another process gets the kept receipt, a deletion through
//! one is seen by the other), `selfreport-endpoint migrate` from SQLite with kept
//! receipts, and TLS to the database verified.
//!
//! Each test needs `SELFREPORT_TEST_POSTGRES_URL` (see `common::postgres_or_skip`).

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "common/deployment.rs"]
mod deployment;

use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{
    Authority, Backend, Sealed, TestDatabase, TestDropBox, TestTls, new_postgres_database,
    postgres_client, postgres_config, postgres_or_skip, random_hex_id, seal, sealed,
};
use deployment::{Deployment, post};
use selfreport_core::policy::parse_policy_document;
use selfreport_core::sync::wire::{BatchReply, ReceiptReply, batch_body};
use selfreport_endpoint::audit_checkpoint::{Checkpoint, WitnessedCheckpoints};
use selfreport_endpoint::dropbox::{AccessLog, Database, DropBox};
use selfreport_endpoint::notice_mailbox::{NoticeBatch, NoticePost, NoticePosted};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_is_made_once_by_drop_boxes_starting_together_and_a_newer_one_is_refused() {
    if !postgres_or_skip() {
        return;
    }
    let url = new_postgres_database().await;
    let authority = Authority::new();
    let tls = TestTls::new();
    let envelope = authority.sign(&authority.policy_json("https://127.0.0.1:1/v1"));
    let start = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        DropBox::new(&envelope, authority.receipt_key(), postgres_config(&url))
            .unwrap()
            .with_access_log(AccessLog::off())
            .serve(listener, tls.server_config())
    };
    // Four at once on an empty database: each waits for the one migrating.
    let (a, b, c, d) = tokio::join!(start(), start(), start(), start());
    for running in [a, b, c, d] {
        running.unwrap().shutdown().await.unwrap();
    }
    let client = postgres_client(&url).await;
    let versions: Vec<i32> = client
        .query("SELECT version FROM dropbox_schema_version", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);

    // Opened again at its version: nothing to do, and it serves.
    start().await.unwrap().shutdown().await.unwrap();

    // A schema from a newer drop box is refused, with the reason.
    client
        .execute(
            "INSERT INTO dropbox_schema_version (version) VALUES (7)",
            &[],
        )
        .await
        .unwrap();
    let error = start().await.unwrap_err();
    assert_eq!(error.code(), "Database");
    let message = error.to_string();
    assert!(message.contains("schema version 7, newer"), "{message}");
    // The message names the database, never its password.
    let password = url.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(!message.contains(password), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_to_another_process_gets_the_kept_receipt() {
    if !postgres_or_skip() {
        return;
    }
    let url = new_postgres_database().await;
    let deployment = Deployment::new();
    let a = deployment.spawn(&url, "a");
    let b = deployment.spawn(&url, "b");
    let client = deployment.tls.client();
    let key = deployment.authority.receipt_public_key();

    let first = deployment.sealed();
    let (status, receipt) = post(&client, &a.url, &first.body).await;
    assert_eq!(status, 201);
    let reply: ReceiptReply = serde_json::from_slice(&receipt).unwrap();
    assert!(reply.receipt.verify(&key, &first.submission, &first.body));
    // The reply to the first was lost; the device resends to whichever process the
    // load balancer picks.
    assert_eq!(
        post(&client, &b.url, &first.body).await,
        (200, receipt.clone())
    );

    // A batch to B holding it again and a new one: the kept receipt for the first, a
    // new receipt for the new one (signed alone: the only one stored now).
    let second = deployment.sealed();
    let response = client
        .post(format!("{}/submissions/batch", b.url))
        .header("content-type", "application/json")
        .body(batch_body([first.body.as_slice(), second.body.as_slice()]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let batch: BatchReply = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(batch.results[0].receipt.as_ref(), Some(&reply.receipt));
    let new = batch.results[1].receipt.as_ref().unwrap();
    assert!(new.verify(&key, &second.submission, &second.body));
    assert_eq!(new.batch, None);

    // Deleted through A, gone for B too.
    let response = client
        .delete(format!("{}/submissions/{}", a.url, second.id()))
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = client
        .delete(format!("{}/submissions/{}", b.url, second.id()))
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // Both processes at once sending the same new submission: one stores it, the other
    // answers with what it stored.
    let third = deployment.sealed();
    let (to_a, to_b) = tokio::join!(
        post(&client, &a.url, &third.body),
        post(&client, &b.url, &third.body)
    );
    let mut statuses = [to_a.0, to_b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201]);
    assert_eq!(to_a.1, to_b.1);

    let count: i64 = postgres_client(&url)
        .await
        .query_one("SELECT count(*) FROM submissions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_moves_a_sqlite_drop_box_with_its_kept_receipts() {
    if !postgres_or_skip() {
        return;
    }
    // A SQLite drop box that took three submissions alone and two in a batch, and
    // witnessed two audit checkpoints.
    let console = selfreport_core::crypto::signature::SigningKey::generate().unwrap();
    let public = console.public_key();
    let old = TestDropBox::start(Backend::Sqlite, move |d| d.with_console_key(public)).await;
    let checkpoints: Vec<Checkpoint> = [(4, 1u8), (9, 2)]
        .iter()
        .map(|&(count, head)| {
            Checkpoint::sign(&console, count, &[head; 32], "2026-12-07T10:00:00Z")
        })
        .collect();
    for checkpoint in &checkpoints {
        let response = old
            .client
            .post(format!("{}/audit-checkpoints", old.url))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(checkpoint).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let singles: Vec<Sealed> = (0..3).map(|_| sealed(&old)).collect();
    for sealed in &singles {
        assert_eq!(old.post(&sealed.body).await.status(), 201);
    }
    let pair: Vec<Sealed> = (0..2).map(|_| sealed(&old)).collect();
    let response = old
        .client
        .post(format!("{}/submissions/batch", old.url))
        .header("content-type", "application/json")
        .body(batch_body(pair.iter().map(|sealed| sealed.body.as_slice())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // And three access notices, the last since deleted (by retention): numbers 1 and 2
    // move, and the next one given must be above 3.
    let slots: Vec<Vec<u8>> = (0..3u8).map(|byte| vec![byte; 512]).collect();
    for slot in &slots {
        let response = old
            .client
            .post(format!("{}/notices", old.url))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&NoticePost::sign(&console, slot)).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    rusqlite::Connection::open(old.db.path())
        .unwrap()
        .execute("DELETE FROM notices WHERE seq = 3", [])
        .unwrap();
    let all: Vec<&Sealed> = singles.iter().chain(&pair).collect();
    let mut kept = Vec::new();
    for sealed in &all {
        kept.push(old.stored(sealed.id()).await.unwrap());
    }
    let TestDropBox {
        running,
        db: sqlite,
        authority,
        envelope,
        tls,
        ..
    } = old;
    running.shutdown().await.unwrap();

    let url = new_postgres_database().await;
    let migrate = || {
        let output = Command::new(env!("CARGO_BIN_EXE_selfreport-endpoint"))
            .args(["migrate", "--from"])
            .arg(sqlite.path())
            .args(["--to", &url])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert_eq!(
        migrate(),
        "moved 5 submission(s), 0 already there\nmoved 2 access notice(s), 0 already there\n\
         moved 2 audit checkpoint(s), 0 already there\n"
    );
    // Run again (interrupted, or by mistake): nothing is stored twice.
    assert_eq!(
        migrate(),
        "moved 0 submission(s), 5 already there\nmoved 0 access notice(s), 2 already there\n\
         moved 0 audit checkpoint(s), 2 already there\n"
    );
    let postgres = TestDatabase::postgres(url.clone());
    assert_eq!(postgres.count().await, 5);
    for (sealed, row) in all.iter().zip(&kept) {
        assert_eq!(postgres.row(sealed.id()).await.as_ref(), Some(row));
    }

    // The same drop box now on PostgreSQL: every resend gets the receipt kept in SQLite.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = DropBox::new(&envelope, authority.receipt_key(), postgres.database())
        .unwrap()
        .with_console_key(public)
        .with_access_log(AccessLog::off())
        .serve(listener, tls.server_config())
        .await
        .unwrap();
    let client = tls.client();
    let url = format!("{}/v1", running.endpoint_url().trim_end_matches("/v1"));
    for (sealed, row) in all.iter().zip(&kept) {
        assert_eq!(
            post(&client, &url, &sealed.body).await,
            (200, row.receipt.clone())
        );
    }
    // The witness's checkpoints moved with it, in order.
    let response = client
        .get(format!("{url}/audit-checkpoints"))
        .send()
        .await
        .unwrap();
    let witnessed: WitnessedCheckpoints =
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(witnessed.checkpoints, checkpoints);
    // The notices with their numbers; a new one numbered above every old number.
    let batch = |after: i64| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let response = client
                .get(format!("{url}/notices?after={after}"))
                .send()
                .await
                .unwrap();
            serde_json::from_slice::<NoticeBatch>(&response.bytes().await.unwrap()).unwrap()
        }
    };
    let moved = batch(0).await;
    assert_eq!(moved.next, 2);
    assert_eq!(
        moved.batch[..2],
        [STANDARD.encode(&slots[0]), STANDARD.encode(&slots[1])]
    );
    let response = client
        .post(format!("{url}/notices"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&NoticePost::sign(&console, &[9u8; 512])).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let posted: NoticePosted = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert!(posted.seq > 3, "{}", posted.seq);
    assert_eq!(batch(2).await.batch[0], STANDARD.encode([9u8; 512]));
    running.shutdown().await.unwrap();

    // A missing file is refused, and no empty database is made in its place.
    let output = Command::new(env!("CARGO_BIN_EXE_selfreport-endpoint"))
        .args(["migrate", "--from", "/nonexistent/dropbox.db", "--to"])
        .arg(postgres.argument())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error[Database]: "), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_the_database_is_verified() {
    if !postgres_or_skip() {
        return;
    }
    let Some(ca) = std::env::var_os(common::POSTGRES_CA_VARIABLE) else {
        if std::env::var("CI").is_ok_and(|value| value == "true") {
            panic!("{} is not set under CI", common::POSTGRES_CA_VARIABLE);
        }
        eprintln!(
            "\n*** SKIPPED: TLS to PostgreSQL — {} is not set ***\n",
            common::POSTGRES_CA_VARIABLE
        );
        return;
    };
    let url = format!("{}?sslmode=require", new_postgres_database().await);
    let authority = Authority::new();
    let tls = TestTls::new();
    let envelope = authority.sign(&authority.policy_json("https://127.0.0.1:1/v1"));
    let start = |database: Database| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        DropBox::new(&envelope, authority.receipt_key(), database)
            .unwrap()
            .with_access_log(AccessLog::off())
            .serve(listener, tls.server_config())
    };

    // The server's certificate is from a CA only the test knows: refused without it.
    let error = start(postgres_config(&url).into()).await.unwrap_err();
    assert_eq!(error.code(), "Database");
    assert!(error.to_string().contains("certificate"), "{error}");

    let running = start(postgres_config(&url).with_ca_file(&ca).into())
        .await
        .unwrap();
    let client = tls.client();
    // A part for each recipient of the daily form, as a device sends it.
    let policy = parse_policy_document(
        &serde_json::to_vec(&authority.policy_json("https://127.0.0.1:1/v1")).unwrap(),
    )
    .unwrap();
    let sealed = seal(&policy, &random_hex_id(), &common::daily_blanks(&policy));
    let endpoint = running.endpoint_url();
    assert_eq!(post(&client, &endpoint, &sealed.body).await.0, 201);
    // The drop box's connections to this database are encrypted.
    let dbname = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    let encrypted: i64 = postgres_client(url.split('?').next().unwrap())
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = $1 AND a.application_name = 'selfreport-dropbox' AND s.ssl",
            &[&dbname],
        )
        .await
        .unwrap()
        .get(0);
    assert!(encrypted >= 1, "{encrypted}");
    running.shutdown().await.unwrap();
}
