//! Drop box throughput: sealed submissions per second accepted over loopback HTTPS
//! (rustls on ring) by the in-process drop box, each receipt signed and each submission
//! durably committed (WAL, `synchronous=FULL`, group commit) before its reply.
//!
//! Clients: reqwest tasks posting pre-built, distinct bodies of the size a daily report
//! has (two recipient parts of ciphertext, each exactly the daily form's padded size plus
//! the tag, as the drop box requires: 1,040 bytes), 1,000 per iteration, with
//! 16 in flight at a time; once over one HTTP/2 connection, once over a pool of HTTP/1.1
//! connections. The clients run on the same two cores as the drop box, so the figure is
//! a lower bound for the drop box alone.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use criterion::{Criterion, Throughput};
use rustls::crypto::ring;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use selfreport_core::crypto::random_array;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::minimize::padded_size;
use selfreport_core::policy::{parse_policy_document, sign_policy};
use selfreport_core::sync::wire::{
    SEALED_FORMAT, SealedPart, SealedSubmission, deletion_hash, hex,
};
use selfreport_endpoint::dropbox::{AccessLog, DropBox, RunningDropBox, server_config};
use selfreport_endpoint::recipient_key::RecipientKeyPair;
use serde_json::{Value, json};

/// Submissions posted per measured iteration.
const BATCH: usize = 1000;
/// Requests in flight at once.
const CONCURRENCY: usize = 16;
/// The AEAD tag every part's ciphertext ends with.
const TAG_BYTES: usize = 16;

struct Bench {
    runtime: tokio::runtime::Runtime,
    running: RunningDropBox,
    url: String,
    policy_id: String,
    /// Ciphertext bytes of each part: the daily form's padded size (both recipients
    /// share it) and the tag, as the drop box requires.
    ct_bytes: usize,
    ca: CertificateDer<'static>,
    _dir: tempfile::TempDir,
}

fn setup() -> Bench {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();

    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let tls = server_config(
        vec![leaf.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )
    .unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/v1", listener.local_addr().unwrap());
    let receipt_key = SigningKey::generate().unwrap();
    let mut policy: Value =
        serde_json::from_slice(include_bytes!("../../examples/policies/daily-report.json"))
            .unwrap();
    policy["endpoint"]["url"] = json!(url);
    policy["endpoint"]["receipt_key"] = json!(receipt_key.public_key_base64());
    for name in ["health", "identity"] {
        policy["recipients"][name]["public_key"] =
            json!(RecipientKeyPair::generate().unwrap().public_key_base64());
    }
    let document = parse_policy_document(&serde_json::to_vec(&policy).unwrap()).unwrap();
    let ct_bytes = padded_size(&document, "daily", "health").unwrap() + TAG_BYTES;
    assert_eq!(
        padded_size(&document, "daily", "identity").unwrap() + TAG_BYTES,
        ct_bytes
    );
    let envelope = sign_policy(
        &SigningKey::generate().unwrap(),
        &serde_json::to_vec(&policy).unwrap(),
    )
    .unwrap();
    let drop_box = DropBox::new(&envelope, receipt_key, dir.path().join("dropbox.db"))
        .unwrap()
        .with_access_log(AccessLog::off());
    let running = runtime.block_on(drop_box.serve(listener, tls)).unwrap();
    Bench {
        runtime,
        running,
        url,
        policy_id: policy["id"].as_str().unwrap().to_owned(),
        ct_bytes,
        ca: ca.der().clone(),
        _dir: dir,
    }
}

fn client(ca: &CertificateDer<'static>, http1: bool) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let mut config =
        rustls::ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = if http1 {
        vec![b"http/1.1".to_vec()]
    } else {
        vec![b"h2".to_vec()]
    };
    let builder = reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .pool_max_idle_per_host(CONCURRENCY);
    let builder = if http1 { builder.http1_only() } else { builder };
    builder.build().unwrap()
}

/// `count` distinct submission bodies with random ids and ciphertext.
fn bodies(policy_id: &str, ct_bytes: usize, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let parts = ["health", "identity"]
                .into_iter()
                .map(|to| {
                    let mut ct = Vec::with_capacity(ct_bytes);
                    while ct.len() < ct_bytes {
                        ct.extend_from_slice(&random_array::<32>().unwrap());
                    }
                    ct.truncate(ct_bytes);
                    SealedPart {
                        to: to.to_owned(),
                        enc: STANDARD.encode(random_array::<32>().unwrap()),
                        ct: STANDARD.encode(ct),
                    }
                })
                .collect();
            let token = URL_SAFE_NO_PAD.encode(random_array::<32>().unwrap());
            SealedSubmission {
                format: SEALED_FORMAT.to_owned(),
                policy_id: policy_id.to_owned(),
                policy_version: 1,
                submission_id: hex(&random_array::<16>().unwrap()),
                deletion_hash: deletion_hash(&token),
                parts,
            }
            .to_body()
        })
        .collect()
}

/// Posts every body with `CONCURRENCY` requests in flight; the time taken.
async fn post_all(client: &reqwest::Client, url: &str, bodies: Vec<Vec<u8>>) -> Duration {
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(CONCURRENCY);
    for _ in 0..CONCURRENCY {
        let client = client.clone();
        let queue = queue.clone();
        let url = format!("{url}/submissions");
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    break;
                };
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                response.bytes().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

fn submissions_per_second(c: &mut Criterion) {
    let bench = setup();
    let mut group = c.benchmark_group("dropbox");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    for (name, http1) in [("http2_16_streams", false), ("http1_16_connections", true)] {
        let client = client(&bench.ca, http1);
        // Connections up and warm before measuring.
        bench.runtime.block_on(post_all(
            &client,
            &bench.url,
            bodies(&bench.policy_id, bench.ct_bytes, CONCURRENCY * 2),
        ));
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let batch = bodies(&bench.policy_id, bench.ct_bytes, BATCH);
                    total += bench.runtime.block_on(post_all(&client, &bench.url, batch));
                }
                total
            });
        });
    }
    group.finish();
    let Bench {
        runtime, running, ..
    } = bench;
    runtime.block_on(running.shutdown()).unwrap();
}

// Written out rather than `criterion_group!`/`criterion_main!`, whose generated public
// function has no documentation.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    submissions_per_second(&mut criterion);
    criterion.final_summary();
}
