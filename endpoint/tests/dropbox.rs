//! The drop box over loopback HTTPS (certificates made at test time, a client on rustls
//! with ring): receipts, idempotency, refusals, deletion, policy fetch, rate limit,
//! retention, access logs that carry nothing personal, batches (one signature for many
//! receipts, per-item refusals as the single route's, resends byte for byte), and the
//! `selfreport-endpoint` binary's start-up line and graceful shutdown.

#[allow(dead_code)]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use common::{Sealed, TestDropBox, random_hex_id, seal};
use selfreport_core::FixedClock;
use selfreport_core::sync::wire::{
    BATCH_FORMAT, BatchError, BatchReply, ErrorReply, MAX_BATCH_BYTES, MAX_BATCH_ITEMS,
    MAX_RESPONSE_BYTES, MAX_SUBMISSION_BYTES, Receipt, ReceiptChecker, ReceiptReply,
    SentSubmission, batch_body,
};
use serde_json::Value;
use serde_json::value::RawValue;

/// A sealed daily report with made-up ciphertext-sized parts (the drop box cannot read
/// them anyway) for the test policy.
fn sealed(drop_box: &TestDropBox) -> common::Sealed {
    let id = random_hex_id();
    let plaintexts = BTreeMap::from([
        ("health".to_owned(), vec![b' '; 512]),
        ("identity".to_owned(), vec![b' '; 512]),
    ]);
    seal(&drop_box.policy, &id, &plaintexts)
}

async fn error_code(response: reqwest::Response) -> String {
    let reply: ErrorReply = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    reply.error.code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_gets_a_receipt_that_verifies_and_retries_get_the_same_one() {
    let drop_box = TestDropBox::start(|d| d).await;
    let sealed = sealed(&drop_box);

    let first = drop_box.post(&sealed.body).await;
    assert_eq!(first.status(), 201);
    assert_eq!(first.version(), reqwest::Version::HTTP_2);
    assert_eq!(
        first.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let first = first.bytes().await.unwrap();
    let reply: ReceiptReply = serde_json::from_slice(&first).unwrap();
    let receipt_key = drop_box.authority.receipt_public_key();
    assert!(
        reply
            .receipt
            .verify(&receipt_key, &sealed.submission, &sealed.body)
    );
    assert!(reply.receipt.received_at.ends_with('Z'));
    assert_eq!(reply.receipt.received_at.len(), 20);

    // The same bytes again (a retry after a lost reply): stored once, same receipt.
    let again = drop_box.post(&sealed.body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().await.unwrap(), first);
    assert_eq!(drop_box.stored_count(), 1);

    // Another body under the same id is a conflict and changes nothing.
    let mut other = sealed.submission.clone();
    other.parts.truncate(1);
    let response = drop_box.post(&other.to_body()).await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_code(response).await, "Conflict");
    let again = drop_box.post(&sealed.body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().await.unwrap(), first);

    // What is stored is the body as received, nothing else readable.
    let connection = rusqlite::Connection::open(&drop_box.db).unwrap();
    let (body, hash): (Vec<u8>, String) = connection
        .query_row(
            "SELECT body, body_sha256 FROM submissions WHERE id = ?1",
            [sealed.id()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(body, sealed.body);
    assert_eq!(hash, reply.receipt.body_sha256);
    drop_box.running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_submissions_are_stored_once_with_one_receipt() {
    let drop_box = Arc::new(TestDropBox::start(|d| d).await);
    let sealed = Arc::new(sealed(&drop_box));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let drop_box = drop_box.clone();
        let sealed = sealed.clone();
        tasks.push(tokio::spawn(async move {
            let response = drop_box.post(&sealed.body).await;
            (response.status().as_u16(), response.bytes().await.unwrap())
        }));
    }
    let mut statuses = Vec::new();
    let mut bodies = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        statuses.push(status);
        bodies.push(body);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
    assert!(bodies.iter().all(|body| *body == bodies[0]));
    assert_eq!(drop_box.stored_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversized_and_misaddressed_submissions_are_refused() {
    let drop_box = TestDropBox::start(|d| d).await;
    let valid = sealed(&drop_box);
    let body: Value = serde_json::from_slice(&valid.body).unwrap();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = body.clone();
        change(&mut body);
        serde_json::to_vec(&body).unwrap()
    };
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"not json".to_vec(), 400, "Malformed"),
        (with(&|b| b["extra"] = Value::from(1)), 400, "Malformed"),
        (
            with(&|b| b["parts"][0]["to"] = "police".into()),
            400,
            "Malformed",
        ),
        (
            with(&|b| b["policy_id"] = "another".into()),
            400,
            "Malformed",
        ),
        (with(&|b| b["policy_version"] = 99.into()), 400, "Malformed"),
        (
            with(&|b| b["submission_id"] = "xyz".into()),
            400,
            "Malformed",
        ),
        (
            with(&|b| b["parts"][0]["enc"] = "AAAA".into()),
            400,
            "Malformed",
        ),
        (vec![b' '; MAX_SUBMISSION_BYTES + 1], 413, "TooLarge"),
    ];
    for (body, status, code) in cases {
        let response = drop_box.post(&body).await;
        assert_eq!(
            response.status(),
            status,
            "{}",
            String::from_utf8_lossy(&body[..40.min(body.len())])
        );
        assert_eq!(error_code(response).await, code);
    }
    // A body exactly at the limit is read (and refused for what it is, not its size).
    let response = drop_box.post(&vec![b' '; MAX_SUBMISSION_BYTES]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(drop_box.stored_count(), 0);

    let response = drop_box
        .client
        .get(format!("{}/nowhere", drop_box.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(error_code(response).await, "NotFound");
    let response = drop_box
        .client
        .get(format!("{}/submissions", drop_box.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(error_code(response).await, "MethodNotAllowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_needs_the_device_token() {
    let drop_box = TestDropBox::start(|d| d).await;
    let sealed = sealed(&drop_box);
    assert_eq!(drop_box.post(&sealed.body).await.status(), 201);
    let other_token = common::random_token();

    for token in [None, Some(other_token.as_str()), Some("short")] {
        let response = drop_box.delete(sealed.id(), token).await;
        assert_eq!(response.status(), 403, "{token:?}");
        assert_eq!(error_code(response).await, "Forbidden");
    }
    assert_eq!(drop_box.stored_count(), 1);
    let response = drop_box.delete(&random_hex_id(), Some(&sealed.token)).await;
    assert_eq!(response.status(), 404);
    let response = drop_box.delete("not-an-id", Some(&sealed.token)).await;
    assert_eq!(response.status(), 404);

    let response = drop_box.delete(sealed.id(), Some(&sealed.token)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(drop_box.stored_count(), 0);
    let response = drop_box.delete(sealed.id(), Some(&sealed.token)).await;
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_policy_is_served_byte_for_byte() {
    let drop_box = TestDropBox::start(|d| d).await;
    let response = drop_box
        .client
        .get(format!("{}/policy", drop_box.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), drop_box.envelope);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_rate_limit_requests_get_429_with_retry_after() {
    let drop_box = TestDropBox::start(|d| d.with_rate_limit(Some(2)).unwrap()).await;
    let mut limited = None;
    for _ in 0..6 {
        let response = drop_box
            .client
            .get(format!("{}/policy", drop_box.url))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
    }
    let response = limited.expect("no request was rate limited");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after));
    assert_eq!(error_code(response).await, "RateLimited");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = drop_box
        .client
        .get(format!("{}/policy", drop_box.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_submissions_past_their_days() {
    let clock = Arc::new(FixedClock::new(at("2026-11-28T08:00:00Z")));
    let job_clock = clock.clone();
    let drop_box = TestDropBox::start(move |d| {
        d.with_retention_days(2)
            .unwrap()
            .with_clock(job_clock)
            .with_retention_interval(Duration::from_millis(50))
    })
    .await;
    let early = sealed(&drop_box);
    assert_eq!(drop_box.post(&early.body).await.status(), 201);
    clock.advance_days(1);
    let later = sealed(&drop_box);
    assert_eq!(drop_box.post(&later.body).await.status(), 201);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(drop_box.stored_count(), 2);

    // Two days after the first: it goes, the second stays.
    clock.advance_days(1);
    let mut waited = 0;
    while drop_box.stored_count() != 1 && waited < 50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(drop_box.stored_count(), 1);
    assert_eq!(
        drop_box
            .delete(early.id(), Some(&early.token))
            .await
            .status(),
        404
    );
    assert!(
        drop_box
            .log_lines()
            .iter()
            .any(|line| line.contains("retention: deleted 1"))
    );
    // The write-ahead log was folded back, so the expired ciphertext is gone from disk.
    let needle = early.submission.parts[0].ct.as_bytes();
    assert!(!common::files_contain(
        drop_box.db.parent().unwrap(),
        "dropbox.db",
        needle
    ));
    drop_box.running.shutdown().await.unwrap();
}

#[test]
fn a_retention_longer_than_the_policy_allows_is_refused() {
    let authority = common::Authority::new();
    let envelope = authority.sign(&authority.policy_json("https://127.0.0.1:1/v1"));
    let dir = tempfile::tempdir().unwrap();
    let drop_box = selfreport_endpoint::dropbox::DropBox::new(
        &envelope,
        authority.receipt_key(),
        dir.path().join("db"),
    )
    .unwrap();
    assert_eq!(drop_box.base_path(), "/v1");
    let error = drop_box.with_retention_days(29).unwrap_err();
    assert_eq!(error.code(), "RetentionTooLong");

    let stranger = selfreport_core::crypto::signature::SigningKey::generate().unwrap();
    let error =
        selfreport_endpoint::dropbox::DropBox::new(&envelope, stranger, dir.path().join("db"))
            .unwrap_err();
    assert_eq!(error.code(), "ReceiptKeyMismatch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_logs_name_routes_and_statuses_never_ids_tokens_or_contents() {
    let drop_box = TestDropBox::start(|d| d).await;
    let sealed = sealed(&drop_box);
    assert_eq!(drop_box.post(&sealed.body).await.status(), 201);
    assert_eq!(
        drop_box
            .post(b"{\"canary\":\"BODY-CANARY\"}")
            .await
            .status(),
        400
    );
    assert_eq!(
        drop_box
            .delete(sealed.id(), Some("TOKEN-CANARY"))
            .await
            .status(),
        403
    );
    assert_eq!(
        drop_box
            .delete(sealed.id(), Some(&sealed.token))
            .await
            .status(),
        204
    );
    let _ = drop_box
        .client
        .get(format!("{}/PATH-CANARY", drop_box.url))
        .send()
        .await
        .unwrap();
    let lines = drop_box.log_lines();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(
        lines[0].contains(" POST /v1/submissions 201 "),
        "{}",
        lines[0]
    );
    assert!(
        lines[2].contains(" DELETE /v1/submissions/{id} 403 "),
        "{}",
        lines[2]
    );
    assert!(lines[4].contains(" GET (no route) 404 "), "{}", lines[4]);
    let log = lines.join("\n");
    let port = drop_box.running.local_addr().port().to_string();
    for canary in [
        sealed.id(),
        sealed.token.as_str(),
        &sealed.submission.deletion_hash,
        &sealed.submission.parts[0].ct[..24],
        "BODY-CANARY",
        "TOKEN-CANARY",
        "PATH-CANARY",
        "127.0.0.1",
        &port,
    ] {
        assert!(!log.contains(canary), "the log holds {canary:?}:\n{log}");
    }
}

#[test]
fn the_binary_prints_its_address_logs_safely_and_stops_on_sigterm() {
    let authority = common::Authority::new();
    let tls = common::TestTls::new();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, contents: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    };
    let cert = write("cert.pem", tls.cert_pem.as_bytes());
    let key = write("key.pem", tls.key_pem.as_bytes());
    // The port is only known once bound; the policy's host and port do not matter to
    // the drop box, only its path.
    let policy_json = authority.policy_json("https://127.0.0.1:1/v1");
    let policy = write("policy.signed.json", &authority.sign(&policy_json));
    let db = dir.path().join("dropbox.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_selfreport-endpoint"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .arg("--receipt-key")
        .arg(&authority.keys.receipt_key_path)
        .arg("--policy")
        .arg(&policy)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on https://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();

    let document =
        selfreport_core::policy::parse_policy_document(&serde_json::to_vec(&policy_json).unwrap())
            .unwrap();
    let id = random_hex_id();
    let canary_body = BTreeMap::from([("health".to_owned(), b"SEALED-CANARY".to_vec())]);
    let sealed = seal(&document, &id, &canary_body);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = tls.client();
        let response = client
            .post(format!("https://{addr}/v1/submissions"))
            .body(sealed.body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let response = client
            .delete(format!("https://{addr}/v1/submissions/{id}"))
            .bearer_auth("TOKEN-CANARY")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    });
    // Close the client's connections, so the graceful shutdown has nothing to wait for.
    drop(runtime);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("POST /v1/submissions 201"), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    for canary in [
        id.as_str(),
        "TOKEN-CANARY",
        &sealed.token,
        &addr,
        "127.0.0.1",
    ] {
        assert!(
            !stderr.contains(canary),
            "stderr holds {canary:?}:\n{stderr}"
        );
    }
    // The database holds the submission, sealed: nothing of the plaintext.
    assert!(!common::files_contain(
        dir.path(),
        "dropbox.db",
        b"SEALED-CANARY"
    ));
    let connection = rusqlite::Connection::open(&db).unwrap();
    let count: i64 = connection
        .query_row("SELECT count(*) FROM submissions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn a_background_drop_box_serves_without_a_runtime_and_stops() {
    let authority = common::Authority::new();
    let tls = common::TestTls::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/v1", listener.local_addr().unwrap());
    let envelope = authority.sign(&authority.policy_json(&url));
    let dir = tempfile::tempdir().unwrap();
    let background = selfreport_endpoint::dropbox::DropBox::new(
        &envelope,
        authority.receipt_key(),
        dir.path().join("db"),
    )
    .unwrap()
    .with_access_log(selfreport_endpoint::dropbox::AccessLog::off())
    .start_in_background(listener, tls.server_config())
    .unwrap();
    assert_eq!(background.endpoint_url(), url);
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    // A runtime of its own, dropped with its connections before the drop box stops.
    let fetched = runtime().block_on(async {
        let response = tls
            .client()
            .get(format!("{url}/policy"))
            .send()
            .await
            .unwrap();
        response.bytes().await.unwrap()
    });
    assert_eq!(fetched, envelope);
    background.stop().unwrap();
    let refused =
        runtime().block_on(async { tls.client().get(format!("{url}/policy")).send().await });
    assert!(refused.is_err());
}

async fn post_batch(drop_box: &TestDropBox, body: &[u8]) -> reqwest::Response {
    drop_box
        .client
        .post(format!("{}/submissions/batch", drop_box.url))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// Posts `items` as one batch; the reply must be 200 JSON. Returns its bytes.
async fn batch_reply(drop_box: &TestDropBox, items: &[&[u8]]) -> Vec<u8> {
    let response = post_batch(drop_box, &batch_body(items.iter().copied())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    response.bytes().await.unwrap().to_vec()
}

/// Each result of a batch reply as the exact bytes the drop box sent.
fn raw_results(reply: &[u8]) -> Vec<String> {
    let reply: BTreeMap<String, Vec<Box<RawValue>>> = serde_json::from_slice(reply).unwrap();
    assert_eq!(reply.len(), 1);
    reply["results"]
        .iter()
        .map(|raw| raw.get().to_owned())
        .collect()
}

fn parse_batch(reply: &[u8]) -> BatchReply {
    serde_json::from_slice(reply).unwrap()
}

fn sent(sealed: &Sealed) -> SentSubmission<'_> {
    SentSubmission {
        submission_id: &sealed.submission.submission_id,
        policy_id: &sealed.submission.policy_id,
        policy_version: sealed.submission.policy_version,
        body: &sealed.body,
    }
}

/// The receipts of `reply`, which must all be receipts, checked against `batch` with
/// one checker; returns them and how many signatures the checker verified.
fn checked_receipts(
    drop_box: &TestDropBox,
    reply: &BatchReply,
    batch: &[&Sealed],
) -> (Vec<Receipt>, usize) {
    let key = drop_box.authority.receipt_public_key();
    let mut checker = ReceiptChecker::new(key);
    assert_eq!(reply.results.len(), batch.len());
    let receipts: Vec<Receipt> = reply
        .results
        .iter()
        .zip(batch)
        .map(|(result, sealed)| {
            assert_eq!(result.error, None);
            let receipt = result.receipt.clone().unwrap();
            assert!(checker.check(&receipt, &sent(sealed)));
            // Alone, as the ledger re-checks a stored receipt.
            assert!(receipt.verify_signature(&key));
            assert!(receipt.verify(&key, &sealed.submission, &sealed.body));
            receipt
        })
        .collect();
    (receipts, checker.signatures_checked())
}

fn stored_body(drop_box: &TestDropBox, id: &str) -> Vec<u8> {
    let connection = rusqlite::Connection::open(&drop_box.db).unwrap();
    connection
        .query_row("SELECT body FROM submissions WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .unwrap()
}

/// The receipt the drop box keeps for a submission (what a resend gets back).
fn stored_receipt(drop_box: &TestDropBox, id: &str) -> Receipt {
    let connection = rusqlite::Connection::open(&drop_box.db).unwrap();
    let reply: Vec<u8> = connection
        .query_row(
            "SELECT receipt FROM submissions WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .unwrap();
    serde_json::from_slice::<ReceiptReply>(&reply)
        .unwrap()
        .receipt
}

/// A batch's reply carries receipts under one signature; what the drop box keeps, and
/// what a resend gets, is each submission's receipt signed alone: its database does not
/// link the submissions of a batch (a household's reports, sent together).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_gets_receipts_under_one_signature_and_resends_get_the_same_ones() {
    let drop_box = TestDropBox::start(|d| d).await;
    let batch: Vec<Sealed> = (0..5).map(|_| sealed(&drop_box)).collect();
    let bodies: Vec<&[u8]> = batch.iter().map(|sealed| sealed.body.as_slice()).collect();
    let first = batch_reply(&drop_box, &bodies).await;
    let reply = parse_batch(&first);
    let (receipts, signatures) =
        checked_receipts(&drop_box, &reply, &batch.iter().collect::<Vec<_>>());
    assert_eq!(signatures, 1);
    for (index, receipt) in receipts.iter().enumerate() {
        let proof = receipt.batch.as_ref().unwrap();
        assert_eq!((proof.index as usize, proof.size), (index, 5));
        assert_eq!(receipt.signature, receipts[0].signature);
        assert_eq!(receipt.received_at, receipts[0].received_at);
    }
    assert_eq!(drop_box.stored_count(), 5);
    for sealed in &batch {
        assert_eq!(stored_body(&drop_box, sealed.id()), sealed.body);
    }

    // Kept: each one's receipt signed alone, same fields, no batch proof, no shared
    // signature.
    let kept: Vec<Receipt> = batch
        .iter()
        .map(|sealed| stored_receipt(&drop_box, sealed.id()))
        .collect();
    for (kept, receipt) in kept.iter().zip(&receipts) {
        assert_eq!(kept.batch, None);
        assert_eq!(
            (&kept.submission_id, &kept.body_sha256, &kept.received_at),
            (
                &receipt.submission_id,
                &receipt.body_sha256,
                &receipt.received_at
            )
        );
        assert!(kept.verify_signature(&drop_box.authority.receipt_public_key()));
    }
    let signatures: BTreeSet<&str> = kept.iter().map(|kept| kept.signature.as_str()).collect();
    assert_eq!(signatures.len(), 5);

    // The same batch again (a retry after a lost reply): nothing new, and each gets the
    // receipt kept for it, which verifies for its own submission; again, the same bytes.
    let resent = batch_reply(&drop_box, &bodies).await;
    let (resent_receipts, _) = checked_receipts(
        &drop_box,
        &parse_batch(&resent),
        &batch.iter().collect::<Vec<_>>(),
    );
    assert_eq!(resent_receipts, kept);
    assert_eq!(batch_reply(&drop_box, &bodies).await, resent);
    assert_eq!(drop_box.stored_count(), 5);
    // One of them alone: the same receipt, byte for byte.
    let raw = raw_results(&resent);
    let alone = drop_box.post(&batch[2].body).await;
    assert_eq!(alone.status(), 200);
    assert_eq!(alone.bytes().await.unwrap(), raw[2].as_bytes());
    // One of them in another batch, beside a new one: its kept receipt, at its new place.
    let fresh = sealed(&drop_box);
    let mixed = batch_reply(&drop_box, &[&fresh.body, &batch[3].body]).await;
    assert_eq!(raw_results(&mixed)[1], raw[3]);
    let (fresh_receipts, _) =
        checked_receipts(&drop_box, &parse_batch(&mixed), &[&fresh, &batch[3]]);
    assert_ne!(fresh_receipts[0].signature, receipts[0].signature);
    assert_eq!(drop_box.stored_count(), 6);

    // A batch of one gets a receipt signed alone, and the single route returns it again.
    let lone = sealed(&drop_box);
    let reply = batch_reply(&drop_box, &[&lone.body]).await;
    let (lone_receipts, _) = checked_receipts(&drop_box, &parse_batch(&reply), &[&lone]);
    assert_eq!(lone_receipts[0].batch, None);
    let again = drop_box.post(&lone.body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.bytes().await.unwrap(),
        raw_results(&reply)[0].as_bytes()
    );

    // The access log names the route, never what the batch carried.
    let lines = drop_box.log_lines();
    assert!(
        lines[0].contains(" POST /v1/submissions/batch 200 "),
        "{}",
        lines[0]
    );
    let log = lines.join("\n");
    for sealed in &batch {
        assert!(!log.contains(sealed.id()), "{log}");
        assert!(!log.contains(&sealed.submission.deletion_hash), "{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_items_are_refused_one_by_one_as_the_single_route_would() {
    let drop_box = TestDropBox::start(|d| d).await;
    let earlier = sealed(&drop_box);
    assert_eq!(drop_box.post(&earlier.body).await.status(), 201);
    let mut changed = earlier.submission.clone();
    changed.parts.truncate(1);
    let conflicting = changed.to_body();
    let mut other_policy = sealed(&drop_box).submission;
    other_policy.policy_id = "another-policy".to_owned();
    let mut future_version = sealed(&drop_box).submission;
    future_version.policy_version = 99;
    // Well-formed, but larger than a request of its own may be.
    let oversized = seal(
        &drop_box.policy,
        &random_hex_id(),
        &BTreeMap::from([("health".to_owned(), vec![b' '; 200_000])]),
    );
    assert!(oversized.body.len() > MAX_SUBMISSION_BYTES);
    let first = sealed(&drop_box);
    let second = sealed(&drop_box);

    let items: Vec<Vec<u8>> = vec![
        first.body.clone(),
        br#"{"not":"a submission"}"#.to_vec(),
        other_policy.to_body(),
        conflicting.clone(),
        second.body.clone(),
        br#""a string""#.to_vec(),
        future_version.to_body(),
        oversized.body.clone(),
    ];
    let refused: [(usize, u16, &str); 6] = [
        (1, 400, "Malformed"),
        (2, 400, "Malformed"),
        (3, 409, "Conflict"),
        (5, 400, "Malformed"),
        (6, 400, "Malformed"),
        (7, 413, "TooLarge"),
    ];
    let reply = batch_reply(
        &drop_box,
        &items.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    )
    .await;
    let reply = parse_batch(&reply);
    assert_eq!(reply.results.len(), items.len());

    // The valid ones are stored, their receipts verify under one signature.
    let valid = BatchReply {
        results: vec![reply.results[0].clone(), reply.results[4].clone()],
    };
    let (_, signatures) = checked_receipts(&drop_box, &valid, &[&first, &second]);
    assert_eq!(signatures, 1);
    assert_eq!(drop_box.stored_count(), 3);
    assert_eq!(stored_body(&drop_box, earlier.id()), earlier.body);

    // Each refused one says what a request of its own gets.
    for (index, status, code) in refused {
        let result = &reply.results[index];
        assert_eq!(result.receipt, None, "item {index}");
        let error = result.error.clone().unwrap();
        assert_eq!(
            (error.status, error.code.as_str()),
            (status, code),
            "item {index}"
        );
        let alone = drop_box.post(&items[index]).await;
        let alone_status = alone.status().as_u16();
        let alone: ErrorReply = serde_json::from_slice(&alone.bytes().await.unwrap()).unwrap();
        assert_eq!(
            error,
            BatchError {
                status: alone_status,
                code: alone.error.code,
                message: alone.error.message,
            },
            "item {index}"
        );
    }
    assert_eq!(drop_box.stored_count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_are_not_batches_are_refused_whole() {
    let drop_box = TestDropBox::start(|d| d).await;
    let one = sealed(&drop_box);
    let many: Vec<Sealed> = (0..=MAX_BATCH_ITEMS).map(|_| sealed(&drop_box)).collect();
    let body = String::from_utf8(one.body.clone()).unwrap();
    let cases: Vec<Vec<u8>> = vec![
        batch_body(many.iter().map(|sealed| sealed.body.as_slice())),
        batch_body(std::iter::empty()),
        batch_body([one.body.as_slice()]).replace_bytes(BATCH_FORMAT, "FORMAT-CANARY"),
        batch_body([one.body.as_slice()]).replace_bytes(BATCH_FORMAT, "selfreport.batch/2"),
        b"BODY-CANARY is not json".to_vec(),
        one.body.clone(),
        format!("[{body}]").into_bytes(),
        format!(r#"{{"format":"{BATCH_FORMAT}","submissions":[{body}],"extra":"FIELD-CANARY"}}"#)
            .into_bytes(),
        format!(r#"{{"format":"{BATCH_FORMAT}","submissions":"ARRAY-CANARY"}}"#).into_bytes(),
        format!(r#"{{"format":"{BATCH_FORMAT}"}}"#).into_bytes(),
        format!(r#"{{"format":"{BATCH_FORMAT}","submissions":[{body}]}} TRAILING-CANARY"#)
            .into_bytes(),
    ];
    for case in cases {
        let shown = String::from_utf8_lossy(&case[..60.min(case.len())]).into_owned();
        let response = post_batch(&drop_box, &case).await;
        assert_eq!(response.status(), 400, "{shown}");
        let reply: ErrorReply = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(reply.error.code, "Malformed", "{shown}");
        for sent in ["CANARY", one.id(), &one.submission.deletion_hash] {
            assert!(!reply.error.message.contains(sent), "{shown}");
        }
    }
    // Over the batch limit: 413, as the single route over its own.
    let response = post_batch(&drop_box, &vec![b' '; MAX_BATCH_BYTES + 1]).await;
    assert_eq!(response.status(), 413);
    assert_eq!(error_code(response).await, "TooLarge");
    // A body exactly at the limit is read (and refused for what it is, not its size).
    let response = post_batch(&drop_box, &vec![b' '; MAX_BATCH_BYTES]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "Malformed");
    assert_eq!(drop_box.stored_count(), 0);
}

/// `replace` for the bytes of a batch body.
trait ReplaceBytes {
    fn replace_bytes(self, from: &str, to: &str) -> Vec<u8>;
}

impl ReplaceBytes for Vec<u8> {
    fn replace_bytes(self, from: &str, to: &str) -> Vec<u8> {
        let text = String::from_utf8(self).unwrap();
        assert!(text.contains(from));
        text.replace(from, to).into_bytes()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_id_twice_in_one_batch_is_stored_once() {
    let drop_box = TestDropBox::start(|d| d).await;
    // The same bytes twice: one row; the first gets its batch receipt, the second the
    // receipt kept for it, and both verify.
    let twice = sealed(&drop_box);
    let reply = batch_reply(&drop_box, &[&twice.body, &twice.body]).await;
    let (receipts, _) = checked_receipts(&drop_box, &parse_batch(&reply), &[&twice, &twice]);
    assert!(receipts[0].batch.is_some());
    assert_eq!(receipts[1], stored_receipt(&drop_box, twice.id()));
    assert_eq!(drop_box.stored_count(), 1);

    // Another body under the same id: the first is stored, the second conflicts.
    let first = sealed(&drop_box);
    let mut changed = first.submission.clone();
    changed.parts.truncate(1);
    let reply = batch_reply(&drop_box, &[&first.body, &changed.to_body()]).await;
    let reply = parse_batch(&reply);
    let (_, _) = checked_receipts(
        &drop_box,
        &BatchReply {
            results: vec![reply.results[0].clone()],
        },
        &[&first],
    );
    let error = reply.results[1].error.clone().unwrap();
    assert_eq!((error.status, error.code.as_str()), (409, "Conflict"));
    assert_eq!(reply.results[1].receipt, None);
    assert_eq!(drop_box.stored_count(), 2);
    assert_eq!(stored_body(&drop_box, first.id()), first.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_batch_reply_is_well_within_what_the_device_reads() {
    let drop_box = TestDropBox::start(|d| d).await;
    let batch: Vec<Sealed> = (0..MAX_BATCH_ITEMS).map(|_| sealed(&drop_box)).collect();
    let bodies: Vec<&[u8]> = batch.iter().map(|sealed| sealed.body.as_slice()).collect();
    let reply = batch_reply(&drop_box, &bodies).await;
    let (receipts, signatures) = checked_receipts(
        &drop_box,
        &parse_batch(&reply),
        &batch.iter().collect::<Vec<_>>(),
    );
    assert_eq!(signatures, 1);
    // A full tree: every receipt carries the longest path.
    assert!(
        receipts
            .iter()
            .all(|receipt| receipt.batch.as_ref().unwrap().path.len() == 5)
    );
    assert!(
        reply.len() < MAX_RESPONSE_BYTES / 2,
        "a reply of {MAX_BATCH_ITEMS} receipts takes {} bytes",
        reply.len()
    );
    // A full batch of refusals too.
    let refusals = vec![br#"{"not":"a submission"}"#.as_slice(); MAX_BATCH_ITEMS];
    let reply = batch_reply(&drop_box, &refusals).await;
    assert_eq!(parse_batch(&reply).results.len(), MAX_BATCH_ITEMS);
    assert!(
        reply.len() < MAX_RESPONSE_BYTES / 2,
        "{} bytes",
        reply.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_takes_one_rate_limit_token_whatever_its_size() {
    let drop_box = TestDropBox::start(|d| d.with_rate_limit(Some(2)).unwrap()).await;
    let batch: Vec<Sealed> = (0..5).map(|_| sealed(&drop_box)).collect();
    let bodies: Vec<&[u8]> = batch.iter().map(|sealed| sealed.body.as_slice()).collect();
    // Five submissions in one request: within a limit of two requests a second.
    let reply = batch_reply(&drop_box, &bodies).await;
    assert_eq!(parse_batch(&reply).results.len(), 5);
    let mut limited = None;
    for _ in 0..6 {
        let response = post_batch(&drop_box, &batch_body(bodies.iter().copied())).await;
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
    }
    let response = limited.expect("no batch was rate limited");
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(error_code(response).await, "RateLimited");
}
