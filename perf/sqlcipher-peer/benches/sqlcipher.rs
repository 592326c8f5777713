//! The core store benchmark's plaintext workload on SQLCipher, beside the same workload on
//! the same SQLite without a key (issue 5; figures in `docs/performance.md`).
//!
//! Groups and lines carry the core benchmark's names (`core/benches/store.rs`), so the
//! script that writes `docs/performance.md` pairs them:
//!
//! - `save_daily_report`: one daily record per iteration, each on the next date counting
//!   up to the workload's today, so every save inserts; a database whose dates are used up
//!   is replaced untimed. The slot's latest row, the record built and encoded as JSON, the
//!   insert, the commit.
//! - `read_month_three_profiles`: a warm connection reads 30 days of three profiles.
//! - `cold_open_read_month`: open from disk, check the schema version, read one profile's
//!   month, close; `_open_only` lines leave out the read. SQLCipher is keyed with a raw
//!   256-bit key (`PRAGMA key = "x'…'"`, no KDF), as a key from a platform key store is.
//! - `cold_open_read_month_passphrase`: the same with SQLCipher's default passphrase KDF
//!   (PBKDF2-HMAC-SHA512, 256,000 iterations), which runs at every open.
//!
//! Built with `--no-default-features --features plain-sqlite`, only the plaintext lines run,
//! on the plain SQLite the selfreport workspace bundles: a cross-check of the baselines.
//!
//! `plaintext` lines run SQLCipher's SQLite with no key (no codec attached); `sqlcipher`
//! lines are keyed with SQLCipher's defaults (passphrase, 4 KiB pages, AES-256-CBC with
//! HMAC-SHA512 per page). Warm lines are keyed with the passphrase; the KDF runs once,
//! untimed, when the fixture opens.
//!
//! Run: `SELFREPORT_PEER_WORKLOAD=DIR cargo bench` in this directory, `DIR` being where
//! the core benchmark wrote its workload (see `README.md`; `scripts/bench` does both).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::{Criterion, SamplingMode};
use rusqlite::Connection;
use selfreport_sqlcipher_peer::{
    Key, Workload, connection, copy_records, create, has_plaintext_header, records_of_profile,
    save, user_version,
};
use tempfile::TempDir;

const DB_FILE: &str = "peer.db";
/// Built on SQLCipher (the default); built with `plain-sqlite` instead, only the plaintext
/// lines run, on the SQLite the selfreport workspace bundles.
const SQLCIPHER: bool = cfg!(feature = "sqlcipher");
/// Days each profile's month spans in the read groups.
const MONTH_DAYS: usize = 30;
/// The raw key of the cold `sqlcipher_raw_key` lines (any 32 bytes).
const RAW_KEY: [u8; 32] = [7; 32];

struct Db {
    dir: TempDir,
    conn: Connection,
}

fn create_db(workload: &Workload, key: &Key) -> Db {
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = create(&dir.path().join(DB_FILE), &workload.schema, key);
    Db { dir, conn }
}

fn passphrase(workload: &Workload) -> Key {
    Key::Passphrase(workload.passphrase.clone())
}

/// The lines of the save and warm-read groups: plaintext, and SQLCipher when built with it.
fn lines(workload: &Workload) -> Vec<(&'static str, Key)> {
    let mut lines = vec![("plaintext", Key::None)];
    if SQLCIPHER {
        lines.push(("sqlcipher", passphrase(workload)));
    }
    lines
}

/// A fixture and the next date its saves use.
struct Dated<T> {
    fixture: T,
    next: NaiveDate,
}

/// `run_saves` of the core benchmark: `iters` saves, one per date counting up to today,
/// summing the times `save` reports; the fixture is rebuilt (untimed) when its dates run
/// out.
fn run_saves<T>(
    workload: &Workload,
    iters: u64,
    slot: &mut Option<Dated<T>>,
    build: impl Fn() -> T,
    mut save: impl FnMut(&mut T, NaiveDate) -> Duration,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let dated = match slot {
            Some(dated) if dated.next <= workload.today => dated,
            _ => slot.insert(Dated {
                fixture: build(),
                next: workload.oldest_save_date,
            }),
        };
        let date = dated.next;
        dated.next = date.succ_opt().expect("next day");
        total += save(&mut dated.fixture, date);
    }
    total
}

fn timed<O>(work: impl FnOnce() -> O) -> Duration {
    let start = Instant::now();
    black_box(work());
    start.elapsed()
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
}

fn save_daily_report(c: &mut Criterion, workload: &Workload) {
    let mut group = c.benchmark_group("save_daily_report");
    configure(&mut group);
    for (name, key) in lines(workload) {
        group.bench_function(name, |b| {
            let mut slot = None;
            b.iter_custom(|iters| {
                run_saves(
                    workload,
                    iters,
                    &mut slot,
                    || create_db(workload, &key),
                    |db, date| {
                        let values = workload.save_values.clone();
                        timed(|| {
                            save(
                                &mut db.conn,
                                workload,
                                &workload.save_profile_id,
                                date,
                                values,
                            )
                        })
                    },
                )
            });
        });
    }
    group.finish();
}

fn read_month_three_profiles(c: &mut Criterion, workload: &Workload) {
    let (from, to) = (workload.month_start, workload.today);
    let mut group = c.benchmark_group("read_month_three_profiles");
    configure(&mut group);
    for (name, key) in lines(workload) {
        let db = create_db(workload, &key);
        copy_records(&db.conn, workload);
        group.bench_function(name, |b| {
            b.iter(|| {
                for profile in &workload.profiles {
                    let listing = records_of_profile(&db.conn, profile, from, to);
                    debug_assert_eq!(listing.records.len(), MONTH_DAYS);
                    black_box(listing);
                }
            });
        });
    }
    group.finish();
}

/// A closed database at the returned path holding the workload's records.
fn closed_db(workload: &Workload, key: &Key) -> (TempDir, PathBuf) {
    let Db { dir, conn } = create_db(workload, key);
    copy_records(&conn, workload);
    drop(conn);
    let path = dir.path().join(DB_FILE);
    assert_eq!(
        has_plaintext_header(&path),
        matches!(key, Key::None),
        "a keyed database must not start with SQLite's header, a plaintext one must"
    );
    (dir, path)
}

fn open_read_close(workload: &Workload, path: &Path, key: &Key, read: bool) -> usize {
    let conn = connection(path, false, key);
    assert_eq!(user_version(&conn), workload.user_version);
    let count = if read {
        let listing = records_of_profile(
            &conn,
            &workload.profiles[0],
            workload.month_start,
            workload.today,
        );
        assert_eq!(listing.records.len(), MONTH_DAYS);
        listing.records.len()
    } else {
        0
    };
    drop(conn);
    count
}

fn cold_open_read_month(c: &mut Criterion, workload: &Workload) {
    let raw = Key::Raw(RAW_KEY);
    let (_plain_dir, plain_path) = closed_db(workload, &Key::None);
    let raw_db = SQLCIPHER.then(|| closed_db(workload, &raw));
    let mut group = c.benchmark_group("cold_open_read_month");
    configure(&mut group);
    let mut lines = vec![
        ("plaintext", &plain_path, Key::None, true),
        ("plaintext_open_only", &plain_path, Key::None, false),
    ];
    if let Some((_, raw_path)) = &raw_db {
        lines.push(("sqlcipher_raw_key", raw_path, raw.clone(), true));
        lines.push(("sqlcipher_raw_key_open_only", raw_path, raw, false));
    }
    for (name, path, key, read) in lines {
        group.bench_function(name, |b| {
            b.iter(|| open_read_close(workload, path, &key, read));
        });
    }
    group.finish();
}

fn cold_open_read_month_passphrase(c: &mut Criterion, workload: &Workload) {
    let key = passphrase(workload);
    let (_dir, path) = closed_db(workload, &key);
    let mut group = c.benchmark_group("cold_open_read_month_passphrase");
    // Each open runs the KDF: ten single-iteration samples, as the core's passphrase group.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("sqlcipher", |b| {
        b.iter(|| open_read_close(workload, &path, &key, true));
    });
    group.finish();
}

/// Prints the SQLCipher build and settings a keyed connection reports.
fn print_settings(workload: &Workload) {
    let db = create_db(workload, &passphrase(workload));
    for (name, value) in selfreport_sqlcipher_peer::cipher_settings(&db.conn) {
        println!("sqlcipher-setting {name} = {value}");
    }
    drop(db.conn);
    drop(db.dir);
}

fn main() {
    let Some(dir) = std::env::var_os("SELFREPORT_PEER_WORKLOAD") else {
        eprintln!(
            "set SELFREPORT_PEER_WORKLOAD to the directory the core benchmark wrote its workload \
             into (see README.md)"
        );
        std::process::exit(2);
    };
    let workload = match Workload::load(Path::new(&dir)) {
        Ok(workload) => workload,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    assert_eq!(workload.records.len(), 3 * MONTH_DAYS);
    if SQLCIPHER {
        print_settings(&workload);
    }
    let mut criterion = Criterion::default().configure_from_args();
    save_daily_report(&mut criterion, &workload);
    read_month_three_profiles(&mut criterion, &workload);
    cold_open_read_month(&mut criterion, &workload);
    if SQLCIPHER {
        cold_open_read_month_passphrase(&mut criterion, &workload);
    }
    criterion.final_summary();
}
