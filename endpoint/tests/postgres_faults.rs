//! Three drop box processes on one PostgreSQL database under faults: clients spread
//! submissions (alone and in batches) over them, retrying the same bytes on another
//! process after any failure; one process is killed with SIGKILL and restarted mid-run,
//! and the database is restarted once. Every submission must end up stored exactly once,
//! every receipt a client accepted must verify, and a resend must get the receipt kept.
//!
//! CI size: 400 submissions. The long run:
//! `SELFREPORT_PG_FAULT_SUBMISSIONS=10000 cargo test -p selfreport-endpoint --test
//! postgres_faults -- --nocapture` (with the variables `scripts/postgres-cluster start`
//! prints). Restarting the database needs `SELFREPORT_TEST_POSTGRES_RESTART` (set by that
//! script, and so by `./scripts/test`); without it that step is skipped, loudly.
//! This file is a test binary of its own so that the restart disturbs no other test.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "common/deployment.rs"]
mod deployment;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Sealed, TestDatabase, new_postgres_database, postgres_or_skip};
use deployment::{Deployment, DropBoxProcess};
use selfreport_core::sync::wire::{BatchReply, Receipt, ReceiptReply, batch_body};
use tokio::sync::{Mutex, RwLock};

const DEFAULT_SUBMISSIONS: usize = 400;
const PROCESSES: usize = 3;
const CLIENTS: usize = 8;
/// Every fifth delivery is a batch of this many.
const BATCH: usize = 4;
/// A delivery gives up (and the test fails) after this many failed attempts.
const MAX_ATTEMPTS: usize = 400;

/// What a client sends in one request: one submission, or a batch.
struct Delivery {
    items: Vec<Sealed>,
    batch: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_submission_is_stored_once_through_a_killed_process_and_a_database_restart() {
    if !postgres_or_skip() {
        return;
    }
    let total: usize = std::env::var("SELFREPORT_PG_FAULT_SUBMISSIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_SUBMISSIONS);
    let url = new_postgres_database().await;
    let deployment = Arc::new(Deployment::new());
    let mut processes = Vec::new();
    for n in 0..PROCESSES {
        processes.push(deployment.spawn(&url, &format!("p{n}")));
    }
    let urls = Arc::new(RwLock::new(
        processes
            .iter()
            .map(|process| process.url.clone())
            .collect::<Vec<_>>(),
    ));
    let processes = Arc::new(Mutex::new(processes));

    let mut deliveries = Vec::new();
    let mut made = 0;
    while made < total {
        let batch = deliveries.len() % 5 == 4 && total - made >= BATCH;
        let size = if batch { BATCH } else { 1 };
        deliveries.push(Delivery {
            items: (0..size).map(|_| deployment.sealed()).collect(),
            batch,
        });
        made += size;
    }
    let deliveries = Arc::new(deliveries);
    let next = Arc::new(AtomicUsize::new(0));
    let delivered = Arc::new(AtomicUsize::new(0));
    let retried = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();

    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (deployment, deliveries, urls) = (deployment.clone(), deliveries.clone(), urls.clone());
        let (next, delivered, retried) = (next.clone(), delivered.clone(), retried.clone());
        clients.push(tokio::spawn(async move {
            let client = deployment.tls.client_with_timeout(Duration::from_secs(10));
            let mut accepted: Vec<(usize, Vec<Receipt>, Vec<Vec<u8>>)> = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(delivery) = deliveries.get(index) else {
                    break;
                };
                let (receipts, replies, attempts) = deliver(&client, &urls, index, delivery).await;
                for (receipt, sealed) in receipts.iter().zip(&delivery.items) {
                    assert!(
                        receipt.verify(
                            &deployment.authority.receipt_public_key(),
                            &sealed.submission,
                            &sealed.body
                        ),
                        "a receipt that does not verify"
                    );
                }
                retried.fetch_add(attempts - 1, Ordering::SeqCst);
                delivered.fetch_add(delivery.items.len(), Ordering::SeqCst);
                accepted.push((index, receipts, replies));
            }
            accepted
        }));
    }

    // The faults: a process killed at a third of the run, the database restarted at two
    // thirds.
    let wait_for = |share: usize| {
        let delivered = delivered.clone();
        async move {
            while delivered.load(Ordering::SeqCst) < total * share / 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    wait_for(1).await;
    {
        let mut processes = processes.lock().await;
        processes[1].child.kill().unwrap();
        processes[1].child.wait().unwrap();
        eprintln!(
            "killed process 1 (SIGKILL) after {} submissions",
            delivered.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        let respawned = {
            let deployment = deployment.clone();
            let url = url.clone();
            tokio::task::spawn_blocking(move || deployment.spawn(&url, "p1-restarted"))
                .await
                .unwrap()
        };
        urls.write().await[1] = respawned.url.clone();
        let _killed: DropBoxProcess = std::mem::replace(&mut processes[1], respawned);
    }
    wait_for(2).await;
    match std::env::var("SELFREPORT_TEST_POSTGRES_RESTART") {
        Ok(command) => {
            eprintln!(
                "restarting the database after {} submissions",
                delivered.load(Ordering::SeqCst)
            );
            let status = tokio::task::spawn_blocking(move || {
                std::process::Command::new("sh")
                    .args(["-c", &command])
                    .status()
                    .unwrap()
            })
            .await
            .unwrap();
            assert!(status.success());
        }
        Err(_) => eprintln!(
            "\n*** SKIPPED: the database restart — SELFREPORT_TEST_POSTGRES_RESTART is not set ***\n"
        ),
    }

    let mut accepted = Vec::new();
    for client in clients {
        accepted.extend(client.await.unwrap());
    }
    accepted.sort_by_key(|(index, _, _)| *index);
    eprintln!(
        "{total} submissions over {PROCESSES} processes in {:.1} s, {} attempts retried",
        started.elapsed().as_secs_f64(),
        retried.load(Ordering::SeqCst)
    );

    // Exactly once: as many rows as submissions, each one's body under its id.
    let database = TestDatabase::postgres(url.clone());
    assert_eq!(database.count().await, i64::try_from(total).unwrap());
    let client = deployment.tls.client_with_timeout(Duration::from_secs(10));
    let urls = urls.read().await.clone();
    for (index, receipts, replies) in &accepted {
        let delivery = &deliveries[*index];
        for (n, sealed) in delivery.items.iter().enumerate() {
            let row = database.row(sealed.id()).await.unwrap();
            assert_eq!(row.body, sealed.body);
            let kept: ReceiptReply = serde_json::from_slice(&row.receipt).unwrap();
            let accepted = &receipts[n];
            assert_eq!(
                (&kept.receipt.body_sha256, &kept.receipt.received_at),
                (&accepted.body_sha256, &accepted.received_at)
            );
            if !delivery.batch {
                // Alone: what the client accepted is what is kept, byte for byte.
                assert_eq!(replies[n], row.receipt);
            }
        }
        // A sample of resends, each to another process than first: the kept receipt.
        if index % 10 == 0 && !delivery.batch {
            let sealed = &delivery.items[0];
            let url = &urls[(index + 1) % PROCESSES];
            let (status, reply) = deployment::post(&client, url, &sealed.body).await;
            assert_eq!(status, 200);
            assert_eq!(reply, database.row(sealed.id()).await.unwrap().receipt);
        }
    }
}

/// Sends `delivery` until a process stores it: each failure (a connection refused or
/// reset by the killed process, 503 while the database restarts) is retried with the
/// same bytes on the next process. Returns the receipts, the exact replies (for a
/// single submission) and the number of attempts.
async fn deliver(
    client: &reqwest::Client,
    urls: &RwLock<Vec<String>>,
    index: usize,
    delivery: &Delivery,
) -> (Vec<Receipt>, Vec<Vec<u8>>, usize) {
    for attempt in 0..MAX_ATTEMPTS {
        let url = urls.read().await[(index + attempt) % PROCESSES].clone();
        let request = if delivery.batch {
            client
                .post(format!("{url}/submissions/batch"))
                .header("content-type", "application/json")
                .body(batch_body(delivery.items.iter().map(|s| s.body.as_slice())))
        } else {
            client
                .post(format!("{url}/submissions"))
                .header("content-type", "application/json")
                .body(delivery.items[0].body.clone())
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let status = response.status().as_u16();
        let Ok(bytes) = response.bytes().await else {
            continue;
        };
        match (status, delivery.batch) {
            (200 | 201, false) => {
                let reply: ReceiptReply = serde_json::from_slice(&bytes).unwrap();
                return (vec![reply.receipt], vec![bytes.to_vec()], attempt + 1);
            }
            (200, true) => {
                let reply: BatchReply = serde_json::from_slice(&bytes).unwrap();
                // An item the database failed for is resent with the whole batch: those
                // stored get their kept receipts then.
                if reply.results.iter().all(|result| result.receipt.is_some()) {
                    let receipts = reply
                        .results
                        .into_iter()
                        .map(|result| result.receipt.unwrap())
                        .collect();
                    return (receipts, Vec::new(), attempt + 1);
                }
                let codes: Vec<_> = reply
                    .results
                    .iter()
                    .filter_map(|result| result.error.as_ref())
                    .map(|error| error.code.clone())
                    .collect();
                assert!(codes.iter().all(|code| code == "Unavailable"), "{codes:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (503, _) => tokio::time::sleep(Duration::from_millis(50)).await,
            (status, _) => panic!(
                "status {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            ),
        }
    }
    panic!("delivery {index} was not stored after {MAX_ATTEMPTS} attempts");
}
