//! Drop box throughput and latency under load (issue 5; figures in
//! `docs/performance.md`): a load generator of our own in front of the real drop box.
//!
//! A measurement program, not a criterion benchmark (`harness = false`). It starts
//! `selfreport-endpoint serve` (the release build) as its own process on 127.0.0.1 over
//! HTTPS with the example daily-report policy, and for each connection count `C` in
//! `SELFREPORT_LOAD_CONNECTIONS` (default `1,16,64`) keeps `C` connections busy for
//! `SELFREPORT_LOAD_SECONDS` (default 10) after a 2-second warm-up: each connection posts
//! a submission, reads the whole reply, and posts the next (a closed loop, one request in
//! flight per connection, as a phone syncs).
//!
//! Every body is a valid `selfreport.sealed/1` submission of the size the core seals for
//! a daily report under that policy (taken from a real one sealed at start), with a fresh
//! submission id, deletion hash, encapsulated keys and ciphertext, so every post is a new
//! insert: parsed, checked, committed durably (`synchronous=FULL`, group commit) and
//! answered with a signed receipt. The ciphertext is random bytes, which the drop box
//! cannot tell from real HPKE output, by design.
//!
//! Per connection count it prints requests a second and the latency of each request
//! (send to the last byte of the reply): p50, p90, p99, p99.9 and max; the CPU time the drop
//! box and the generator spent per request; the drop box's resident size. Any reply other
//! than `201 Created` counts as an error and fails the run; at the end the drop box must
//! hold exactly the submissions it acknowledged. Run with
//! `cargo build --release -p selfreport-endpoint --bins && cargo bench -p selfreport-tests --bench dropbox_load`.
//!
//! With `SELFREPORT_LOAD_POSTGRES_URL` (a PostgreSQL superuser's URL, as
//! `scripts/bench-postgres` sets it) the same run measures three set-ups one after the
//! other: SQLite with one process, then PostgreSQL (a new database each) with one and with
//! two drop box processes, the connections spread evenly over the processes. Its lines
//! start with `stores:` and name the set-up, and add the CPU the database server spent
//! per request (the server whose data directory `SELFREPORT_LOAD_POSTGRES_DATA` names,
//! and its backends; 0 without it).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use selfreport_core::crypto::{KeyMaterial, MemoryKeySource, random_array};
use selfreport_core::model::{Answers, NewProfile};
use selfreport_core::sync::wire::{SealedSubmission, deletion_hash, hex};
use selfreport_core::{Clock, Options, SelfReport, SystemClock};
use support::{DropBoxProcess, cpu_time, new_postgres_database, postgres_cpu_time, status_kib};

const WARM_UP: Duration = Duration::from_secs(2);

/// What one connection did during a run.
#[derive(Default)]
struct Connection {
    /// Latencies of the requests that started after the warm-up, microseconds.
    latencies: Vec<u64>,
    /// Requests acknowledged with 201 (warm-up included).
    created: u64,
    errors: Vec<String>,
    protocol: Option<String>,
}

/// A real sealed daily report, as the template every generated body copies the shape of.
fn real_submission(drop_box: &DropBoxProcess) -> SealedSubmission {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SelfReport::create(
        &dir.path().join("store"),
        &MemoryKeySource::new(KeyMaterial::from_bytes([7; 32])),
        Options {
            trust_anchors: drop_box.trust_anchors.clone(),
            clock: Arc::new(SystemClock),
        },
    )
    .expect("store");
    let summary = store.install_policy(&drop_box.envelope).expect("policy");
    let profile = store
        .add_profile(NewProfile {
            display_name: "person".to_owned(),
            name: Some("测试".to_owned()),
            phone: Some("+8613900000000".to_owned()),
            ..NewProfile::default()
        })
        .expect("profile");
    let answers = Answers::new()
        .text("temperature", "37.5")
        .text("symptoms", "cough")
        .text("district", "310104")
        .text("contact_with_case", "no");
    let yesterday = SystemClock.today() - chrono::Duration::days(1);
    store
        .save_record(&profile, &summary.id, "daily", Some(yesterday), answers)
        .expect("report");
    store.grant_consent(&summary.id).expect("consent");
    store.seal_ready().expect("sealed");
    let outbox = store.outbox().expect("outbox");
    let item = outbox
        .iter()
        .find(|item| item.payload.record_id.is_some())
        .expect("the report's submission");
    let body = STANDARD
        .decode(
            item.payload
                .body
                .as_deref()
                .expect("a queued item has its body"),
        )
        .expect("body");
    serde_json::from_slice(&body).expect("sealed submission")
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    while out.len() < len {
        out.extend_from_slice(&random_array::<32>().expect("random"));
    }
    out.truncate(len);
    out
}

/// A new submission shaped like `template`: fresh ids, keys and ciphertext of its sizes.
fn fresh_body(template: &SealedSubmission) -> Vec<u8> {
    let mut submission = template.clone();
    submission.submission_id = hex(&random_array::<16>().expect("random"));
    let token = URL_SAFE_NO_PAD.encode(random_array::<32>().expect("random"));
    submission.deletion_hash = deletion_hash(&token);
    for part in &mut submission.parts {
        let enc = STANDARD.decode(&part.enc).expect("enc").len();
        let ct = STANDARD.decode(&part.ct).expect("ct").len();
        part.enc = STANDARD.encode(random_bytes(enc));
        part.ct = STANDARD.encode(random_bytes(ct));
    }
    submission.to_body()
}

/// A client like the core's: rustls on ring trusting the test CA; one per connection.
fn client(ca_der: &[u8]) -> reqwest::Client {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca_der.to_vec()))
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
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

async fn connection(
    client: reqwest::Client,
    url: String,
    template: Arc<SealedSubmission>,
    measure_from: Instant,
    end: Instant,
) -> Connection {
    let mut out = Connection::default();
    while Instant::now() < end {
        let body = fresh_body(&template);
        let started = Instant::now();
        let reply = async {
            let response = client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await?;
            let status = response.status();
            let version = response.version();
            response.bytes().await?;
            Ok::<_, reqwest::Error>((status, version))
        }
        .await;
        let elapsed = started.elapsed();
        match reply {
            Ok((status, version)) if status == reqwest::StatusCode::CREATED => {
                out.created += 1;
                out.protocol.get_or_insert_with(|| format!("{version:?}"));
                if started >= measure_from {
                    out.latencies
                        .push(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
                }
            }
            Ok((status, _)) => out.errors.push(format!("status {status}")),
            Err(error) => out.errors.push(error.to_string()),
        }
    }
    out
}

fn percentile(sorted: &[u64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64) * fraction).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// Runs `connections` connections for `seconds`, spread over the drop box's processes;
/// prints the figures after `prefix` (`load: `, or `stores: store=... processes=... `);
/// returns the 201s.
fn run(
    runtime: &tokio::runtime::Runtime,
    drop_box: &DropBoxProcess,
    template: &Arc<SealedSubmission>,
    connections: usize,
    seconds: f64,
    prefix: &str,
) -> (u64, usize) {
    let urls: Vec<String> = drop_box
        .endpoint_urls
        .iter()
        .map(|url| format!("{url}/submissions"))
        .collect();
    let server_cpu: Duration = drop_box.pids().into_iter().map(cpu_time).sum();
    let postgres_data =
        std::env::var_os("SELFREPORT_LOAD_POSTGRES_DATA").map(std::path::PathBuf::from);
    let database_cpu = postgres_cpu_time(postgres_data.as_deref());
    let own_cpu = cpu_time(std::process::id());
    let start = Instant::now();
    let measure_from = start + WARM_UP;
    let end = measure_from + Duration::from_secs_f64(seconds);
    let results: Vec<Connection> = runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|n| {
                tokio::spawn(connection(
                    client(&drop_box.ca_der),
                    urls[n % urls.len()].clone(),
                    template.clone(),
                    measure_from,
                    end,
                ))
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("connection task"));
        }
        results
    });
    let finished = Instant::now();
    let server_cpu = drop_box
        .pids()
        .into_iter()
        .map(cpu_time)
        .sum::<Duration>()
        .saturating_sub(server_cpu);
    let database_cpu = postgres_cpu_time(postgres_data.as_deref()).saturating_sub(database_cpu);
    let own_cpu = cpu_time(std::process::id()).saturating_sub(own_cpu);
    let hwm_kib = drop_box
        .pids()
        .into_iter()
        .map(|pid| status_kib(Some(pid), "VmHWM"))
        .max()
        .unwrap_or(0);
    let rss_kib: u64 = drop_box
        .pids()
        .into_iter()
        .map(|pid| status_kib(Some(pid), "VmRSS"))
        .max()
        .unwrap_or(0);
    let mut latencies: Vec<u64> = results
        .iter()
        .flat_map(|result| result.latencies.iter().copied())
        .collect();
    latencies.sort_unstable();
    let created: u64 = results.iter().map(|result| result.created).sum();
    let errors: Vec<&String> = results.iter().flat_map(|result| &result.errors).collect();
    let protocol = results
        .iter()
        .find_map(|result| result.protocol.clone())
        .unwrap_or_default();
    let measured = latencies.len();
    let window = end.duration_since(measure_from).as_secs_f64();
    let mean = latencies.iter().sum::<u64>() as f64 / measured.max(1) as f64 / 1000.0;
    println!(
        "{prefix}connections={connections} seconds={window:.1} requests={measured} \
         req_per_s={:.0} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} p999_ms={:.2} max_ms={:.2} \
         mean_ms={mean:.2} errors={} protocol={protocol} \
         dropbox_cpu_us_per_req={:.0} generator_cpu_us_per_req={:.0} \
         dropbox_rss_mib={:.1} dropbox_hwm_mib={:.1} run_seconds={:.1}{}",
        measured as f64 / window,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        latencies
            .last()
            .map_or(f64::NAN, |max| *max as f64 / 1000.0),
        errors.len(),
        server_cpu.as_secs_f64() * 1e6 / created.max(1) as f64,
        own_cpu.as_secs_f64() * 1e6 / created.max(1) as f64,
        rss_kib as f64 / 1024.0,
        hwm_kib as f64 / 1024.0,
        finished.duration_since(start).as_secs_f64(),
        if prefix.starts_with("stores:") {
            format!(
                " database_cpu_us_per_req={:.0}",
                database_cpu.as_secs_f64() * 1e6 / created.max(1) as f64
            )
        } else {
            String::new()
        },
    );
    for error in errors.iter().take(5) {
        println!("{prefix}error: {error}");
    }
    (created, errors.len())
}

fn main() {
    let connections: Vec<usize> = std::env::var("SELFREPORT_LOAD_CONNECTIONS")
        .unwrap_or_else(|_| "1,16,64".to_owned())
        .split(',')
        .map(|count| {
            count
                .trim()
                .parse()
                .expect("connection counts, comma-separated")
        })
        .collect();
    let seconds: f64 = std::env::var("SELFREPORT_LOAD_SECONDS")
        .ok()
        .map(|text| text.parse().expect("SELFREPORT_LOAD_SECONDS is a number"))
        .unwrap_or(10.0);
    let postgres = std::env::var("SELFREPORT_LOAD_POSTGRES_URL").ok();
    // (store, processes, line prefix)
    let setups: Vec<(&str, usize, String)> = match &postgres {
        None => vec![("sqlite", 1, "load: ".to_owned())],
        Some(_) => [("sqlite", 1), ("postgres", 1), ("postgres", 2)]
            .into_iter()
            .map(|(store, processes)| {
                (
                    store,
                    processes,
                    format!("stores: store={store} processes={processes} "),
                )
            })
            .collect(),
    };
    for (store, processes, prefix) in setups {
        let database = match (store, &postgres) {
            ("postgres", Some(server)) => Some(new_postgres_database(server)),
            _ => None,
        };
        let drop_box = DropBoxProcess::start_on(database.as_deref(), processes);
        let template = Arc::new(real_submission(&drop_box));
        println!(
            "{prefix}body_bytes={} parts={}",
            fresh_body(&template).len(),
            template.parts.len()
        );
        // One thread: the generator takes at most one of the two cores.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut created = 0;
        let mut errors = 0;
        for count in &connections {
            let (run_created, run_errors) =
                run(&runtime, &drop_box, &template, *count, seconds, &prefix);
            created += run_created;
            errors += run_errors;
        }
        drop(runtime);
        let stored = drop_box.stored_submissions();
        println!("{prefix}acknowledged={created} stored={stored} errors={errors}");
        assert_eq!(errors, 0, "every request must be answered 201");
        assert_eq!(
            u64::try_from(stored).unwrap_or(0),
            created,
            "the drop box holds exactly what it acknowledged"
        );
    }
}
