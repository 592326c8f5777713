//! The drop box over loopback HTTPS (certificates made at test time, a client on rustls
//! with ring): receipts, idempotency, refusals (415 for a body not declared JSON, 400 for parts that
//! match no form), deletion (401 without a token, 403 with a wrong one), policy fetch, rate limit,
//! retention, access logs that carry nothing personal, batches (one signature for many
//! receipts, per-item refusals as the single route's, resends byte for byte), and the
//! `selfreport-endpoint` binary's start-up line and graceful shutdown.

#[allow(dead_code)]
#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use common::{Backend, TestDropBox, error_code, random_hex_id, seal, sealed};
use selfreport_core::FixedClock;
use selfreport_core::minimize::padded_size;
use selfreport_core::sync::wire::{MAX_SUBMISSION_BYTES, ReceiptReply, batch_body};
use serde_json::Value;

async fn a_submission_gets_a_receipt_that_verifies_and_retries_get_the_same_one(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
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
    assert_eq!(drop_box.stored_count().await, 1);

    // Another body under the same id is a conflict and changes nothing.
    let other = common::sealed_with_id(&drop_box, sealed.id());
    let response = drop_box.post(&other.body).await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_code(response).await, "Conflict");
    let again = drop_box.post(&sealed.body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().await.unwrap(), first);

    // What is stored is the body as received, nothing else readable.
    let stored = drop_box.stored(sealed.id()).await.unwrap();
    assert_eq!(stored.body, sealed.body);
    assert_eq!(stored.body_sha256, reply.receipt.body_sha256);
    drop_box.running.shutdown().await.unwrap();
}

async fn concurrent_identical_submissions_are_stored_once_with_one_receipt(backend: Backend) {
    let drop_box = Arc::new(TestDropBox::start(backend, |d| d).await);
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
    assert_eq!(drop_box.stored_count().await, 1);
}

async fn malformed_oversized_and_misaddressed_submissions_are_refused(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
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
    assert_eq!(drop_box.stored_count().await, 0);

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

async fn deletion_needs_the_device_token(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let sealed = sealed(&drop_box);
    assert_eq!(drop_box.post(&sealed.body).await.status(), 201);
    let other_token = common::random_token();

    // No Bearer credentials: 401 with the challenge RFC 9110 requires.
    for authorization in [None, Some("Basic dXNlcjpwYXNz"), Some("Bearer")] {
        let mut request =
            drop_box
                .client
                .delete(format!("{}/submissions/{}", drop_box.url, sealed.id()));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(error_code(response).await, "Unauthorized");
    }
    // A token that is not this submission's, or not a token at all: 403.
    for token in [other_token.as_str(), "short"] {
        let response = drop_box.delete(sealed.id(), Some(token)).await;
        assert_eq!(response.status(), 403, "{token:?}");
        assert_eq!(error_code(response).await, "Forbidden");
    }
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let response = drop_box
        .client
        .delete(format!("{}/submissions/{}", drop_box.url, sealed.id()))
        .header("authorization", format!("bearer {other_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(drop_box.stored_count().await, 1);
    let response = drop_box.delete(&random_hex_id(), Some(&sealed.token)).await;
    assert_eq!(response.status(), 404);
    let response = drop_box.delete("not-an-id", Some(&sealed.token)).await;
    assert_eq!(response.status(), 404);

    let response = drop_box.delete(sealed.id(), Some(&sealed.token)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(drop_box.stored_count().await, 0);
    let response = drop_box.delete(sealed.id(), Some(&sealed.token)).await;
    assert_eq!(response.status(), 404);
}

/// Both routes with a body take `application/json` (any case, a UTF-8 charset or other
/// parameters allowed) and refuse anything else with 415 before reading the body.
async fn bodies_must_be_declared_as_json(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let send = |route: &'static str, content_type: Option<&'static str>, body: Vec<u8>| {
        let mut request = drop_box
            .client
            .post(format!("{}/{route}", drop_box.url))
            .body(body);
        if let Some(value) = content_type {
            request = request.header("content-type", value);
        }
        request.send()
    };
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=latin1"),
        Some("application/json-seq"),
    ] {
        let single = sealed(&drop_box);
        let response = send("submissions", content_type, single.body.clone())
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        assert_eq!(error_code(response).await, "UnsupportedMediaType");
        let batch = batch_body([single.body.as_slice()]);
        let response = send("submissions/batch", content_type, batch)
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        assert_eq!(error_code(response).await, "UnsupportedMediaType");
        // Even a body over the limit: the media type is refused first.
        let too_large = vec![b' '; MAX_SUBMISSION_BYTES + 1];
        let response = send("submissions", content_type, too_large).await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
    }
    assert_eq!(drop_box.stored_count().await, 0);
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let single = sealed(&drop_box);
        let response = send("submissions", Some(content_type), single.body.clone())
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{content_type}");
        let batch = batch_body([sealed(&drop_box).body.as_slice()]);
        let response = send("submissions/batch", Some(content_type), batch)
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{content_type}");
    }
    assert_eq!(drop_box.stored_count().await, 4);
}

/// A submission's parts are for exactly the recipients one of the policy's forms sends
/// to: under sh-arrivals a daily report goes to health alone, an arrival registration to
/// health and identity, and nothing goes to identity alone.
async fn parts_are_for_exactly_the_recipients_of_one_form(backend: Backend) {
    let traveler: &[u8] = include_bytes!("../../examples/policies/traveler-preregistration.json");
    let drop_box = TestDropBox::start_with(
        backend,
        |authority, url| authority.policy_from(traveler, url),
        |d| d,
    )
    .await;
    // Each part at its form's padded size (the arrival form's for identity alone: no
    // form has that shape).
    let seal_to = |form: &str, recipients: &[&str]| {
        let plaintexts = recipients
            .iter()
            .map(|recipient| {
                let size = padded_size(&drop_box.policy, form, recipient).unwrap();
                (recipient.to_string(), vec![b' '; size])
            })
            .collect();
        seal(&drop_box.policy, &random_hex_id(), &plaintexts)
    };
    for (form, recipients, status) in [
        ("daily", &["health"][..], 201),
        ("arrival", &["health", "identity"][..], 201),
        ("arrival", &["identity"][..], 400),
    ] {
        let response = drop_box.post(&seal_to(form, recipients).body).await;
        assert_eq!(response.status(), status, "{recipients:?}");
        if status == 400 {
            assert_eq!(error_code(response).await, "Malformed");
        }
    }
    assert_eq!(drop_box.stored_count().await, 2);

    // Under the daily-report policy the daily form sends to both: health alone is refused.
    let daily = TestDropBox::start(backend, |d| d).await;
    let health_size = padded_size(&daily.policy, "daily", "health").unwrap();
    let health_alone = seal(
        &daily.policy,
        &random_hex_id(),
        &BTreeMap::from([("health".to_owned(), vec![b' '; health_size])]),
    );
    let response = daily.post(&health_alone.body).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "Malformed");
    assert_eq!(daily.post(&sealed(&daily).body).await.status(), 201);
    assert_eq!(daily.stored_count().await, 1);
}

async fn the_signed_policy_is_served_byte_for_byte(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let response = drop_box
        .client
        .get(format!("{}/policy", drop_box.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), drop_box.envelope);
}

async fn over_the_rate_limit_requests_get_429_with_retry_after(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d.with_rate_limit(Some(2)).unwrap()).await;
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

async fn retention_deletes_submissions_past_their_days(backend: Backend) {
    let clock = Arc::new(FixedClock::new(at("2026-11-28T08:00:00Z")));
    let job_clock = clock.clone();
    let drop_box = TestDropBox::start(backend, move |d| {
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
    assert_eq!(drop_box.stored_count().await, 2);

    // Two days after the first: it goes, the second stays.
    clock.advance_days(1);
    let mut waited = 0;
    while drop_box.stored_count().await != 1 && waited < 50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(drop_box.stored_count().await, 1);
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
    // SQLite: the write-ahead log was folded back, so the expired ciphertext is gone
    // from disk. PostgreSQL: the partition of its expiry day was dropped, files and all.
    match backend {
        Backend::Sqlite => {
            let needle = early.submission.parts[0].ct.as_bytes();
            assert!(!common::files_contain(
                drop_box.db.path().parent().unwrap(),
                "dropbox.db",
                needle
            ));
        }
        Backend::Postgres => {
            let partitions = common::postgres_partitions(&drop_box.db).await;
            assert_eq!(
                partitions.first().map(String::as_str),
                Some("submissions_d20261201")
            );
            assert!(!partitions.contains(&"submissions_d20261130".to_owned()));
        }
    }
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

async fn access_logs_name_routes_and_statuses_never_ids_tokens_or_contents(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
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
    // A part for each recipient of the daily form at its padded size, as a device sends it.
    let canary_body: BTreeMap<String, Vec<u8>> = ["health", "identity"]
        .into_iter()
        .map(|to| {
            let mut plaintext = b"SEALED-CANARY".to_vec();
            plaintext.resize(padded_size(&document, "daily", to).unwrap(), b' ');
            (to.to_owned(), plaintext)
        })
        .collect();
    let sealed = seal(&document, &id, &canary_body);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = tls.client();
        let response = client
            .post(format!("https://{addr}/v1/submissions"))
            .header("content-type", "application/json")
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

on_both_backends!(
    a_submission_gets_a_receipt_that_verifies_and_retries_get_the_same_one,
    concurrent_identical_submissions_are_stored_once_with_one_receipt,
    malformed_oversized_and_misaddressed_submissions_are_refused,
    deletion_needs_the_device_token,
    bodies_must_be_declared_as_json,
    parts_are_for_exactly_the_recipients_of_one_form,
    the_signed_policy_is_served_byte_for_byte,
    over_the_rate_limit_requests_get_429_with_retry_after,
    retention_deletes_submissions_past_their_days,
    access_logs_name_routes_and_statuses_never_ids_tokens_or_contents,
);
