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
//!
//! Each line runs twice in the same process against two drop boxes: `plain`, serving
//! the `/1` policy without upload tokens, and `tokened`, serving it as
//! `selfreport.policy/2` with an `enrolled` token key, where every submission carries
//! `Authorization: PrivateToken` with a distinct valid token (minted with the issuer's
//! key before each measured batch, outside the time). The bench refuses to measure a
//! tokened drop box that takes an upload without a token, and checks after each tokened
//! line that it kept one spent token per submission.

#[path = "dropbox/tokened.rs"]
mod tokened;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use criterion::{Criterion, Throughput};
use rustls::crypto::ring;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use selfreport_core::crypto::random_array;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::minimize::padded_size;
use selfreport_core::policy::{
    SignedPolicy, TrustAnchor, TrustAnchors, parse_policy_document, sign_policy,
};
use selfreport_core::sync::wire::{
    SEALED_FORMAT, SealedPart, SealedSubmission, deletion_hash, hex,
};
use selfreport_endpoint::dropbox::{AccessLog, DropBox, RunningDropBox, server_config};
use selfreport_endpoint::recipient_key::RecipientKeyPair;
use selfreport_endpoint::token_key::IssuerSecretKey;
use serde_json::{Value, json};

/// Submissions posted per measured iteration.
const BATCH: usize = 1000;
/// Requests in flight at once.
const CONCURRENCY: usize = 16;
/// The AEAD tag every part's ciphertext ends with.
const TAG_BYTES: usize = 16;

/// One drop box under test, in the bench process.
struct Target {
    running: RunningDropBox,
    url: String,
    policy_id: String,
    /// Ciphertext bytes of each part: the daily form's padded size (both recipients
    /// share it) and the tag, as the drop box requires.
    ct_bytes: usize,
    /// Its SQLite database.
    database: PathBuf,
    /// With upload tokens: what mints them.
    minter: Option<tokened::Minter>,
    /// Submissions it stored.
    stored: AtomicU64,
    /// The whole process's CPU ticks spent while posting (clients, drop box, writer),
    /// and the submissions posted meanwhile, since the last [`Target::report_cpu`].
    cpu_ticks: AtomicU64,
    cpu_posted: AtomicU64,
}

struct Bench {
    runtime: tokio::runtime::Runtime,
    plain: Target,
    tokened: Target,
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

    let plain = start(&runtime, &tls, &dir, "plain", None);
    let issuer = IssuerSecretKey::generate().unwrap();
    let tokened = start(&runtime, &tls, &dir, "tokened", Some(issuer));
    assert_eq!(plain.ct_bytes, tokened.ct_bytes, "the same bodies for both");
    Bench {
        runtime,
        plain,
        tokened,
        ca: ca.der().clone(),
        _dir: dir,
    }
}

/// Starts a drop box serving the daily-report example; with `issuer`, as
/// `selfreport.policy/2` with it as its one upload token key, signed by a root the drop
/// box verifies orders under.
fn start(
    runtime: &tokio::runtime::Runtime,
    tls: &Arc<rustls::ServerConfig>,
    dir: &tempfile::TempDir,
    name: &str,
    issuer: Option<IssuerSecretKey>,
) -> Target {
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
    if let Some(issuer) = &issuer {
        tokened::upgrade_to_tokened(&mut policy, issuer.spki());
    }
    let document = parse_policy_document(&serde_json::to_vec(&policy).unwrap()).unwrap();
    let ct_bytes = padded_size(&document, "daily", "health").unwrap() + TAG_BYTES;
    assert_eq!(
        padded_size(&document, "daily", "identity").unwrap() + TAG_BYTES,
        ct_bytes
    );
    let root = SigningKey::generate().unwrap();
    let envelope = sign_policy(&root, &serde_json::to_vec(&policy).unwrap()).unwrap();
    let database = dir.path().join(format!("{name}.db"));
    let policy_id = policy["id"].as_str().unwrap().to_owned();
    let drop_box = DropBox::new(&envelope, receipt_key, database.clone())
        .unwrap()
        .with_access_log(AccessLog::off());
    let (drop_box, minter) = match issuer {
        None => (drop_box, None),
        Some(issuer) => {
            let anchors = TrustAnchors::from(TrustAnchor::new(root.public_key()));
            // A policy a device would install.
            SignedPolicy::parse(&envelope)
                .unwrap()
                .verify(&anchors, Utc::now().date_naive())
                .unwrap();
            let given = IssuerSecretKey::from_pem(&issuer.to_pem().unwrap()).unwrap();
            (
                drop_box.with_token_keys(vec![given]).with_trust(anchors),
                Some(tokened::Minter::new(issuer, &url, &policy_id)),
            )
        }
    };
    let running = runtime
        .block_on(drop_box.serve(listener, tls.clone()))
        .unwrap();
    Target {
        running,
        url,
        policy_id,
        ct_bytes,
        database,
        minter,
        stored: AtomicU64::new(0),
        cpu_ticks: AtomicU64::new(0),
        cpu_posted: AtomicU64::new(0),
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

/// One request: a submission body and, for a tokened drop box, its `Authorization`.
type Upload = (Vec<u8>, Option<String>);

impl Target {
    /// `count` distinct submission bodies with random ids and ciphertext, each with a
    /// token of its own when the drop box wants them.
    fn uploads(&self, count: usize) -> Vec<Upload> {
        let mut authorizations = self
            .minter
            .as_ref()
            .map(|minter| minter.authorizations(count).into_iter());
        bodies(&self.policy_id, self.ct_bytes, count)
            .into_iter()
            .map(|body| {
                let authorization = authorizations.as_mut().map(|it| it.next().unwrap());
                (body, authorization)
            })
            .collect()
    }

    /// Posts `uploads` (see [`post_all`]), counting them as stored.
    async fn post(&self, client: &reqwest::Client, uploads: Vec<Upload>) -> Duration {
        let count = uploads.len() as u64;
        let cpu_before = process_cpu_ticks();
        let took = post_all(client, &self.url, uploads).await;
        let cpu = process_cpu_ticks().saturating_sub(cpu_before);
        self.cpu_ticks.fetch_add(cpu, Ordering::Relaxed);
        self.cpu_posted.fetch_add(count, Ordering::Relaxed);
        self.stored.fetch_add(count, Ordering::Relaxed);
        took
    }

    /// Prints the CPU the process spent posting, per submission, since the last call.
    fn report_cpu(&self, name: &str) {
        let ticks = self.cpu_ticks.swap(0, Ordering::Relaxed);
        let posted = self.cpu_posted.swap(0, Ordering::Relaxed);
        if posted > 0 {
            // Ticks of 10 ms (USER_HZ 100).
            let micros = ticks as f64 * 10_000.0 / posted as f64;
            println!("dropbox/{name}: {micros:.0} µs of CPU per submission while posting");
        }
    }

    /// With tokens: whether the drop box kept exactly one spent token per submission.
    fn check_spent(&self) {
        if self.minter.is_some() {
            assert_eq!(
                tokened::spent_rows(&self.database),
                self.stored.load(Ordering::Relaxed),
                "one spent token per stored submission"
            );
        }
    }
}

/// The process's CPU time so far (user and system), in ticks of `/proc/self/stat`; 0
/// where there is no such file.
fn process_cpu_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // After the command name: state, then utime and stime at positions 11 and 12.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let field = |n: usize| fields.get(n).and_then(|f| f.parse::<u64>().ok());
    field(11).unwrap_or(0) + field(12).unwrap_or(0)
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

/// Posts every upload with `CONCURRENCY` requests in flight, each to be stored (`201`);
/// the time taken.
async fn post_all(client: &reqwest::Client, url: &str, uploads: Vec<Upload>) -> Duration {
    let queue = Arc::new(std::sync::Mutex::new(uploads));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(CONCURRENCY);
    for _ in 0..CONCURRENCY {
        let client = client.clone();
        let queue = queue.clone();
        let url = format!("{url}/submissions");
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((body, authorization)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let mut request = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body);
                if let Some(value) = authorization {
                    request = request.header("authorization", value);
                }
                let response = request.send().await.unwrap();
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

/// The tokened drop box refuses an upload without a token (`401`) and stores nothing, so
/// its lines cannot be measured without paying.
fn refuses_untokened(bench: &Bench, client: &reqwest::Client) {
    let target = &bench.tokened;
    let body = bodies(&target.policy_id, target.ct_bytes, 1).remove(0);
    let status = bench.runtime.block_on(async {
        client
            .post(format!("{}/submissions", target.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(
        status, 401,
        "the tokened drop box took an upload without a token"
    );
    target.check_spent();
}

fn submissions_per_second(c: &mut Criterion) {
    let bench = setup();
    let mut group = c.benchmark_group("dropbox");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    for (protocol, http1) in [("http2_16_streams", false), ("http1_16_connections", true)] {
        let client = client(&bench.ca, http1);
        refuses_untokened(&bench, &client);
        // The plain lines keep their names (scripts/bench reads them).
        let tokened_name = format!("tokened_{protocol}");
        for (name, target) in [
            (protocol, &bench.plain),
            (tokened_name.as_str(), &bench.tokened),
        ] {
            // Connections up and warm before measuring.
            let warm = target.uploads(CONCURRENCY * 2);
            bench.runtime.block_on(target.post(&client, warm));
            group.bench_function(name, |b| {
                b.iter_custom(|iterations| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        let batch = target.uploads(BATCH);
                        total += bench.runtime.block_on(target.post(&client, batch));
                    }
                    total
                });
            });
            target.check_spent();
            target.report_cpu(name);
        }
    }
    group.finish();
    let Bench {
        runtime,
        plain,
        tokened,
        ..
    } = bench;
    runtime.block_on(plain.running.shutdown()).unwrap();
    runtime.block_on(tokened.running.shutdown()).unwrap();
}

// Written out rather than `criterion_group!`/`criterion_main!`, whose generated public
// function has no documentation.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    submissions_per_second(&mut criterion);
    criterion.final_summary();
}
