//! Upload throughput (issue 3, "Performance"; figures in `docs/performance.md`, section
//! "Upload"): syncing 1,000 queued reports to a drop box over loopback HTTPS, beside a
//! plain reqwest client posting the same kind of pre-sealed bodies to the same drop box
//! in the same run.
//!
//! - `sync_1000_queued`: a fresh store holding 1,000 sealed daily reports in its outbox
//!   (100 profiles × 10 days, the example daily-report policy) is synced:
//!   [`SelfReport::sync`] sends them in batches of 16 (four requests in flight), verifies
//!   each receipt (one signature per batch) and records the deliveries and their ledger
//!   entries in group commits.
//! - `plain_reqwest_1000_posts`: a store is prepared the same way, its 1,000 bodies are
//!   taken out of the outbox, and a bare reqwest client (rustls on ring, the same test CA)
//!   posts them one after another, reading each reply; no store, no receipt check.
//! - `plain_reqwest_1000_posts_4_in_flight`: the same bare posts with four requests in
//!   flight, as many as sync keeps.
//! - `plain_reqwest_1000_in_batches_4_in_flight`: the bare client posting the very
//!   requests sync sends (batches of 16 stored bodies to `/submissions/batch`), four in
//!   flight, reading each reply; no store, no receipt check.
//!
//! The drop box runs in this process (its own tokio runtime, two workers), with its
//! access log off; both clients run on a single-threaded runtime over kept-alive HTTP/1.1
//! connections (one per request in flight). Each iteration prepares a fresh store outside
//! the timed section, so every submission id is new and every post is an insert. After
//! criterion's report, the bench prints the ratios of the medians.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, SamplingMode};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use selfreport_core::crypto::{KeyMaterial, MemoryKeySource, SigningKey};
use selfreport_core::model::{Answers, NewProfile};
use selfreport_core::policy::{TrustAnchor, TrustAnchors, sign_policy};
use selfreport_core::sync::retry::RetryPolicy;
use selfreport_core::sync::transport::TransportConfig;
use selfreport_core::sync::wire::batch_body;
use selfreport_core::sync::{BATCH_ITEMS as SYNC_BATCH_ITEMS, CancelToken, SyncOptions};
use selfreport_core::{Clock, Options, SelfReport, SystemClock};
use selfreport_endpoint::dropbox::{AccessLog, DropBox, RunningDropBox, server_config};
use selfreport_endpoint::recipient_key::RecipientKeyPair;
use selfreport_tests::pki::TestPki;
use selfreport_tests::{DAILY_REPORT_POLICY, current_policy};
use tempfile::TempDir;

const PROFILES: usize = 100;
const DAYS: i64 = 10;
const SUBMISSIONS: usize = PROFILES * DAYS as usize;

/// Durations of every timed iteration, per benchmark, for the ratio printed at the end.
static TIMES: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());

/// What every iteration shares: the drop box, the policy and the client settings.
struct Bench {
    _drop_box_dir: TempDir,
    server_runtime: tokio::runtime::Runtime,
    client_runtime: tokio::runtime::Runtime,
    running: Option<RunningDropBox>,
    endpoint_url: String,
    envelope: Vec<u8>,
    trust_anchors: TrustAnchors,
    pki: TestPki,
}

impl Bench {
    fn start() -> Self {
        let drop_box_dir = tempfile::tempdir().expect("temporary directory");
        let pki = TestPki::new();
        let authority = SigningKey::generate().expect("signing key");
        let receipt_key = SigningKey::generate().expect("receipt key");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("https://{}/v1", listener.local_addr().expect("address"));

        let mut policy: serde_json::Value =
            serde_json::from_str(&current_policy(DAILY_REPORT_POLICY)).expect("policy");
        policy["endpoint"]["url"] = url.clone().into();
        policy["endpoint"]["spki_sha256"] = serde_json::json!([pki.spki_pin]);
        policy["endpoint"]["receipt_key"] = receipt_key.public_key_base64().into();
        for recipient in ["health", "identity"] {
            let key = RecipientKeyPair::generate().expect("recipient key");
            policy["recipients"][recipient]["public_key"] = key.public_key_base64().into();
        }
        let envelope = sign_policy(&authority, policy.to_string().as_bytes()).expect("signed");
        let trust_anchors = TrustAnchors::from(
            TrustAnchor::from_public_key_base64(&authority.public_key_base64()).expect("anchor"),
        );

        let tls = server_config(
            vec![CertificateDer::from(pki.leaf_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.leaf_key_der.clone())),
        )
        .expect("server TLS");
        let drop_box = DropBox::new(
            &envelope,
            receipt_key,
            drop_box_dir.path().join("dropbox.db"),
        )
        .expect("drop box")
        .with_access_log(AccessLog::off());
        let server_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        let running = server_runtime
            .block_on(drop_box.serve(listener, tls))
            .expect("serve");
        let client_runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        Self {
            _drop_box_dir: drop_box_dir,
            server_runtime,
            client_runtime,
            endpoint_url: running.endpoint_url(),
            running: Some(running),
            envelope,
            trust_anchors,
            pki,
        }
    }

    /// A fresh store with [`SUBMISSIONS`] sealed daily reports in its outbox.
    fn queued_store(&self) -> (TempDir, SelfReport) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = SelfReport::create(
            &dir.path().join("store"),
            &MemoryKeySource::new(KeyMaterial::from_bytes([7; 32])),
            Options {
                trust_anchors: self.trust_anchors.clone(),
                clock: clock.clone(),
            },
        )
        .expect("store");
        let summary = store.install_policy(&self.envelope).expect("policy");
        let today = clock.today();
        for person in 0..PROFILES {
            let profile = store
                .add_profile(NewProfile {
                    display_name: format!("person {person}"),
                    name: Some(chinese_name(person)),
                    phone: Some(format!("+86139{person:08}")),
                    ..NewProfile::default()
                })
                .expect("profile");
            for day in 1..=DAYS {
                let date = today - chrono::Duration::days(day);
                let temperature = format!("36.{}", (person + day as usize) % 10);
                let answers = Answers::new()
                    .text("temperature", temperature)
                    .text("symptoms", if day % 3 == 0 { "cough" } else { "" })
                    .text("district", "310104")
                    .text("contact_with_case", "no");
                store
                    .save_record(&profile, &summary.id, "daily", Some(date), answers)
                    .expect("report");
            }
        }
        store.grant_consent(&summary.id).expect("consent");
        let queued = store.seal_ready().expect("sealed");
        assert_eq!(queued.len(), SUBMISSIONS);
        (dir, store)
    }

    fn sync_options(&self) -> SyncOptions {
        SyncOptions {
            transport: TransportConfig {
                extra_roots: vec![self.pki.ca_der.clone()],
                ..TransportConfig::default()
            },
            retry: RetryPolicy::default(),
        }
    }

    /// A bare client: rustls on ring trusting the test CA, one connection kept alive.
    fn plain_client(&self) -> reqwest::Client {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.pki.ca_der.clone()))
            .expect("root");
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_root_certificates(roots)
        .with_no_client_auth();
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(true)
            .build()
            .expect("client")
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.server_runtime.block_on(running.shutdown());
        }
    }
}

/// A distinct name per person (names take no digits): 测试 and the index in Chinese
/// numerals.
fn chinese_name(index: usize) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let digits: String = index
        .to_string()
        .bytes()
        .map(|digit| DIGITS[usize::from(digit - b'0')])
        .collect();
    format!("测试{digits}")
}

fn record(name: &'static str, elapsed: Duration) {
    if let Ok(mut times) = TIMES.lock() {
        times.push((name, elapsed));
    }
}

fn bodies(store: &SelfReport) -> Vec<Vec<u8>> {
    store
        .outbox()
        .expect("outbox")
        .iter()
        .map(|item| {
            STANDARD
                .decode(item.payload.body.as_deref().expect("queued body"))
                .expect("body")
        })
        .collect()
}

fn upload(criterion: &mut Criterion, bench: &Bench) {
    let mut group = criterion.benchmark_group("upload");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));

    let options = bench.sync_options();
    group.bench_function("sync_1000_queued", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let (dir, store) = bench.queued_store();
                let started = Instant::now();
                let report = bench
                    .client_runtime
                    .block_on(store.sync(&options, &|_| {}, &CancelToken::new()))
                    .expect("sync");
                let elapsed = started.elapsed();
                assert_eq!(report.delivered as usize, SUBMISSIONS, "{report:?}");
                record("sync_1000_queued", elapsed);
                total += elapsed;
                drop(store);
                drop(dir);
            }
            total
        });
    });

    // The same bodies posted by a bare client one at a time, each reply read in full.
    let url = format!("{}/submissions", bench.endpoint_url);
    time_bare_requests(
        &mut group,
        bench,
        "plain_reqwest_1000_posts",
        (&url, 201, 1),
        |bodies| bodies,
    );
    // The same posts with as many requests in flight as `sync` keeps (four): one
    // submission per request, as a client without batches sends them.
    time_bare_requests(
        &mut group,
        bench,
        "plain_reqwest_1000_posts_4_in_flight",
        (&url, 201, 4),
        |bodies| bodies,
    );
    // The very requests sync sends (batches of 16 stored bodies), four in flight, by the
    // bare client: what remains between this and sync is the store's work and the checks.
    let batch_url = format!("{}/submissions/batch", bench.endpoint_url);
    let batches = |bodies: Vec<Vec<u8>>| {
        bodies
            .chunks(SYNC_BATCH_ITEMS)
            .map(|chunk| batch_body(chunk.iter().map(Vec::as_slice)))
            .collect()
    };
    time_bare_requests(
        &mut group,
        bench,
        "plain_reqwest_1000_in_batches_4_in_flight",
        (&batch_url, 200, 4),
        batches,
    );
    group.finish();
}

/// Times, as `name`, the bare client posting to `url`, `in_flight` at a time, the requests
/// that `requests` makes of a fresh store's 1,000 bodies (made untimed); each must be
/// answered `status`.
fn time_bare_requests(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    bench: &Bench,
    name: &'static str,
    (url, status, in_flight): (&str, u16, usize),
    requests: impl Fn(Vec<Vec<u8>>) -> Vec<Vec<u8>>,
) {
    let client = bench.plain_client();
    group.bench_function(name, |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let (dir, store) = bench.queued_store();
                let requests = requests(bodies(&store));
                drop(store);
                drop(dir);
                let started = Instant::now();
                bench.client_runtime.block_on(post_all(
                    &client,
                    (url, status),
                    requests,
                    in_flight,
                ));
                let elapsed = started.elapsed();
                record(name, elapsed);
                total += elapsed;
            }
            total
        });
    });
}

/// Posts every body to `url` with at most `most` requests in flight, reading each reply in
/// full; each must be answered `status`.
async fn post_all(
    client: &reqwest::Client,
    (url, status): (&str, u16),
    bodies: Vec<Vec<u8>>,
    most: usize,
) {
    let mut in_flight = tokio::task::JoinSet::new();
    for body in bodies {
        if in_flight.len() == most {
            in_flight.join_next().await.expect("task").expect("post");
        }
        let client = client.clone();
        let url = url.to_owned();
        in_flight.spawn(async move {
            let response = client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
                .expect("post");
            assert_eq!(response.status().as_u16(), status);
            response.bytes().await.expect("reply");
        });
    }
    while let Some(done) = in_flight.join_next().await {
        done.expect("post");
    }
}

fn median(name: &str) -> Option<Duration> {
    let mut times: Vec<Duration> = TIMES
        .lock()
        .ok()?
        .iter()
        .filter(|(bench, _)| *bench == name)
        .map(|(_, time)| *time)
        .collect();
    times.sort();
    times.get(times.len() / 2).copied()
}

fn report_ratio() {
    let (Some(sync), Some(plain)) = (
        median("sync_1000_queued"),
        median("plain_reqwest_1000_posts"),
    ) else {
        return;
    };
    if let Some(parallel) = median("plain_reqwest_1000_posts_4_in_flight") {
        println!(
            "upload: sync {:.3} s, plain reqwest with 4 in flight {:.3} s; sync / plain (4 in flight) = {:.2}x",
            sync.as_secs_f64(),
            parallel.as_secs_f64(),
            sync.as_secs_f64() / parallel.as_secs_f64()
        );
    }
    if let Some(batches) = median("plain_reqwest_1000_in_batches_4_in_flight") {
        println!(
            "upload: sync {:.3} s, plain reqwest posting the same batches 4 in flight {:.3} s; sync / plain (same batches) = {:.2}x",
            sync.as_secs_f64(),
            batches.as_secs_f64(),
            sync.as_secs_f64() / batches.as_secs_f64()
        );
    }
    let per_second = |time: Duration| SUBMISSIONS as f64 / time.as_secs_f64();
    println!(
        "upload: sync {:.3} s ({:.0}/s), plain reqwest {:.3} s ({:.0}/s); sync / plain = {:.2}x (median of every timed iteration)",
        sync.as_secs_f64(),
        per_second(sync),
        plain.as_secs_f64(),
        per_second(plain),
        sync.as_secs_f64() / plain.as_secs_f64()
    );
}

fn main() {
    let bench = Bench::start();
    let mut criterion = Criterion::default().configure_from_args();
    upload(&mut criterion, &bench);
    criterion.final_summary();
    report_ratio();
    drop(bench);
}
