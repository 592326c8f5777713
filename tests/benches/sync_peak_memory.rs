//! Peak memory while syncing 10,000 queued reports (issue 5; target 64 MiB or less;
//! figures in `docs/performance.md`).
//!
//! A measurement program, not a criterion benchmark (`harness = false`):
//!
//! 1. starts the real drop box (`selfreport-endpoint serve`, the release build) as its own
//!    process on 127.0.0.1 over HTTPS;
//! 2. creates a store holding `SELFREPORT_PEAK_MEMORY_REPORTS` (default 10,000) sealed
//!    daily reports in its outbox (1,000 profiles × 10 days under the example daily-report
//!    policy), and closes it;
//! 3. runs itself again as a child process that opens the store, as an app would at the
//!    start of a background sync, reads its own `VmRSS` and `VmHWM` (`/proc/self/status`),
//!    syncs everything, sampling `VmRSS` every 5 ms meanwhile, and reads `VmHWM` again;
//! 4. checks every report was delivered and is stored once at the drop box, and prints the
//!    figures: the sync process's peak (`VmHWM`), its resident size before the sync, and the
//!    sync's own increment (peak − before).
//!
//! The child process exists so the preparation (10,000 saves and seals) leaves nothing in
//! the measured process. Run with
//! `cargo build --release -p selfreport-endpoint --bins && cargo bench -p selfreport-tests --bench sync_peak_memory`.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use selfreport_core::crypto::{KeyMaterial, MemoryKeySource};
use selfreport_core::model::{Answers, NewProfile};
use selfreport_core::policy::{TrustAnchor, TrustAnchors};
use selfreport_core::sync::retry::RetryPolicy;
use selfreport_core::sync::transport::TransportConfig;
use selfreport_core::sync::{CancelToken, SyncOptions};
use selfreport_core::{Clock, Options, SelfReport, SystemClock};
use support::{DropBoxProcess, chinese_name, status_kib};

/// Set in the child: the store directory to open and sync.
const CHILD_STORE: &str = "SELFREPORT_PEAK_MEMORY_STORE";
/// Set in the child: the test CA (DER) to trust.
const CHILD_CA: &str = "SELFREPORT_PEAK_MEMORY_CA";
/// Set in the child: the authority's public key (base64).
const CHILD_ANCHOR: &str = "SELFREPORT_PEAK_MEMORY_ANCHOR";
/// Reports to queue (default 10,000).
const REPORTS: &str = "SELFREPORT_PEAK_MEMORY_REPORTS";
/// Days of reports per profile.
const DAYS: usize = 10;
/// The target, KiB.
const TARGET_KIB: u64 = 64 * 1024;

fn key_source() -> MemoryKeySource {
    MemoryKeySource::new(KeyMaterial::from_bytes([7; 32]))
}

fn options(trust_anchors: TrustAnchors) -> Options {
    Options {
        trust_anchors,
        clock: Arc::new(SystemClock),
    }
}

/// A store at `dir` with `reports` sealed daily reports queued in its outbox.
fn prepare_store(dir: &Path, drop_box: &DropBoxProcess, reports: usize) {
    let store = SelfReport::create(dir, &key_source(), options(drop_box.trust_anchors.clone()))
        .expect("store");
    let summary = store.install_policy(&drop_box.envelope).expect("policy");
    let today = SystemClock.today();
    let profiles = reports.div_ceil(DAYS);
    let mut saved = 0;
    for person in 0..profiles {
        let profile = store
            .add_profile(NewProfile {
                display_name: format!("person {person}"),
                name: Some(chinese_name(person)),
                phone: Some(format!("+86139{person:08}")),
                ..NewProfile::default()
            })
            .expect("profile");
        for day in 1..=DAYS {
            if saved == reports {
                break;
            }
            let date = today - chrono::Duration::days(day as i64);
            let answers = Answers::new()
                .text("temperature", format!("36.{}", (person + day) % 10))
                .text("symptoms", if day % 3 == 0 { "cough" } else { "" })
                .text("district", "310104")
                .text("contact_with_case", "no");
            store
                .save_record(&profile, &summary.id, "daily", Some(date), answers)
                .expect("report");
            saved += 1;
        }
    }
    store.grant_consent(&summary.id).expect("consent");
    let queued = store.seal_ready().expect("sealed");
    assert_eq!(queued.len(), reports, "every report queued");
}

/// The child: open the store, sync it, report memory as `key=value` lines on stdout.
fn child(store_dir: &Path) {
    let ca = std::fs::read(std::env::var_os(CHILD_CA).expect("CA path")).expect("CA");
    let anchor = std::env::var(CHILD_ANCHOR).expect("anchor");
    let trust_anchors =
        TrustAnchors::from(TrustAnchor::from_public_key_base64(&anchor).expect("anchor"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let start_rss = status_kib(None, "VmRSS");
    let store = SelfReport::open(store_dir, &key_source(), options(trust_anchors)).expect("open");
    let before_rss = status_kib(None, "VmRSS");
    let before_hwm = status_kib(None, "VmHWM");

    // Samples the resident size while the sync runs, as a cross-check of VmHWM.
    let running = Arc::new(AtomicBool::new(true));
    let sampled_max = Arc::new(AtomicU64::new(before_rss));
    let sampler = {
        let running = running.clone();
        let sampled_max = sampled_max.clone();
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                sampled_max.fetch_max(status_kib(None, "VmRSS"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let sync_options = SyncOptions {
        transport: TransportConfig {
            extra_roots: vec![ca],
            ..TransportConfig::default()
        },
        retry: RetryPolicy::default(),
    };
    let started = Instant::now();
    let report = runtime
        .block_on(store.sync(&sync_options, &|_| {}, &CancelToken::new()))
        .expect("sync");
    let seconds = started.elapsed().as_secs_f64();
    running.store(false, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let after_hwm = status_kib(None, "VmHWM");
    let after_rss = status_kib(None, "VmRSS");
    println!("delivered={}", report.delivered);
    println!("retry_later={}", report.retry_later);
    println!("failed={}", report.failed);
    println!("sync_seconds={seconds:.3}");
    println!("rss_at_start_kib={start_rss}");
    println!("rss_before_sync_kib={before_rss}");
    println!("hwm_before_sync_kib={before_hwm}");
    println!(
        "sampled_max_rss_kib={}",
        sampled_max.load(Ordering::Relaxed)
    );
    println!("hwm_after_sync_kib={after_hwm}");
    println!("rss_after_sync_kib={after_rss}");
}

fn field_f64(output: &str, name: &str) -> f64 {
    output
        .lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix('=')?
                .parse::<f64>()
                .ok()
        })
        .unwrap_or_else(|| panic!("the child printed no {name}:\n{output}"))
}

fn field(output: &str, name: &str) -> u64 {
    field_f64(output, name) as u64
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn main() {
    if let Some(store) = std::env::var_os(CHILD_STORE) {
        child(Path::new(&store));
        return;
    }
    let reports: usize = std::env::var(REPORTS)
        .ok()
        .map(|text| {
            text.parse()
                .expect("SELFREPORT_PEAK_MEMORY_REPORTS is a count")
        })
        .unwrap_or(10_000);
    let drop_box = DropBoxProcess::start();
    let work = tempfile::tempdir().expect("temporary directory");
    let store_dir = work.path().join("store");
    let prepared = Instant::now();
    prepare_store(&store_dir, &drop_box, reports);
    println!(
        "peak-memory: prepared {reports} queued reports in {:.1} s",
        prepared.elapsed().as_secs_f64()
    );
    let ca_path = work.path().join("ca.der");
    std::fs::write(&ca_path, &drop_box.ca_der).expect("CA file");
    let anchor = &drop_box.authority_public_key;
    let output = Command::new(std::env::current_exe().expect("this program"))
        .env(CHILD_STORE, &store_dir)
        .env(CHILD_CA, &ca_path)
        .env(CHILD_ANCHOR, anchor)
        .output()
        .expect("run the sync process");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the sync process failed: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let delivered = field(&stdout, "delivered");
    assert_eq!(
        delivered, reports as u64,
        "every report delivered:\n{stdout}"
    );
    let stored = drop_box.stored_submissions();
    assert_eq!(stored, reports as i64, "each stored once at the drop box");

    let before = field(&stdout, "rss_before_sync_kib");
    // VmHWM, or the sampled VmRSS if it saw more (the kernel updates both lazily).
    let peak = field(&stdout, "hwm_after_sync_kib").max(field(&stdout, "sampled_max_rss_kib"));
    let increment = peak.saturating_sub(before);
    for line in stdout.lines() {
        println!("peak-memory: {line}");
    }
    println!("peak-memory: stored_at_drop_box={stored}");
    println!(
        "peak-memory: syncing {reports} queued reports: process peak {}, {} resident \
         before the sync, the sync's increment {}; {:.0} reports/s; target {} peak: {}",
        mib(peak),
        mib(before),
        mib(increment),
        reports as f64 / field_f64(&stdout, "sync_seconds").max(0.001),
        mib(TARGET_KIB),
        if peak <= TARGET_KIB { "met" } else { "NOT met" }
    );
}
