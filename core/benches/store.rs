//! The encrypted store beside plaintext SQLite doing the same work, in the same run
//! (issue 2, "Performance"; method, figures and analysis in `docs/performance.md`).
//!
//! Every group pairs the encrypted path with a plaintext baseline: the same connection
//! pragmas, the store's own schema (read from a store created in the run; its `meta`
//! table, where the keys are, left empty), plaintext values in the index columns, the
//! record as the same JSON but unencrypted in `sealed`, and the same transaction structure
//! (the slot's latest row, then an insert, committed). Groups:
//!
//! - `save_daily_report`: one daily report per iteration, each on a fresh date so every
//!   save inserts (never amends). `encrypted` is the facade (`SelfReport::save_record`);
//!   `encrypted_store_only` is `Store::save_record` with values validated beforehand; the
//!   `_epoch_key_cached` variants save for a second household member the same day, so
//!   the day's epoch key already exists.
//! - `save_breakdown`: the facade's steps before the store (policy load, profile load,
//!   validation), one by one.
//! - `read_month_three_profiles`: a warm connection reads 30 days of three profiles.
//! - `cold_open_read_month`: open the store from disk, read one profile's month, close;
//!   `_open_only` lines open and close without the read.
//! - `passphrase_unwrap_600k`: the fixed PBKDF2 cost a desktop passphrase adds to a cold
//!   open (phones unwrap with the platform key store instead).
//! - `cold_open_read_month_passphrase`: the cold open and read of a store whose key is
//!   wrapped under a passphrase (600,000 PBKDF2 iterations), the counterpart of SQLCipher
//!   opened with a passphrase (its own KDF at every open).
//!
//! Run with `cargo bench -p selfreport-core --bench store` (about 100 s after the build).
//!
//! With `SELFREPORT_PEER_WORKLOAD=DIR` set, the bench first writes its plaintext workload
//! into `DIR` (the plaintext schema, the records the read groups use, the values and
//! dates the saves use) for the SQLCipher peer in `perf/sqlcipher-peer`, which runs the
//! very same plaintext workload on SQLCipher but cannot link this crate (its SQLite build
//! would unify with SQLCipher's).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use criterion::{Criterion, SamplingMode};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use selfreport_core::clock::day_number;
use selfreport_core::crypto::{
    KeyMaterial, KeySource, MemoryKeySource, PassphraseKeySource, SigningKey, random_id,
};
use selfreport_core::model::{
    Answers, FieldValue, NewProfile, Profile, ProfileId, Record, RecordId, validate_answers,
};
use selfreport_core::policy::{Form, OncePer, TrustAnchor, TrustAnchors, sign_policy};
use selfreport_core::store::{
    CURRENT_VERSION, DB_FILE, NewRecord, OutboxState, RecordListing, StoredRecord,
};
use selfreport_core::{Clock, FixedClock, Options, SelfReport};
use tempfile::TempDir;
use zeroize::Zeroizing;

const POLICY_ID: &str = "bench-arrivals";
const POLICY_VERSION: u64 = 1;
const DAILY_FORM: &str = "daily";
/// Long enough that no benchmarked date is past retention.
const RETENTION_DAYS: u32 = 3650;
/// The clock's day: saves count down from here, so no date is ever in the future.
const TODAY: (i32, u32, u32) = (2027, 4, 30);
/// Local time zone of the benchmark clock (UTC+8).
const UTC_OFFSET_SECONDS: i32 = 8 * 3600;
/// Days of history per profile in the read groups.
const MONTH_DAYS: u64 = 30;
const PLAIN_DB_FILE: &str = "plain.db";

fn today() -> NaiveDate {
    let (year, month, day) = TODAY;
    NaiveDate::from_ymd_opt(year, month, day).expect("benchmark date")
}

fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days))
        .expect("date in range")
}

/// The oldest date a save benchmark uses before it starts again on a fresh store.
fn oldest_save_date() -> NaiveDate {
    days_before(today(), u64::from(RETENTION_DAYS) - 1)
}

/// First day of the month of history the read groups ask for.
fn month_start() -> NaiveDate {
    days_before(today(), MONTH_DAYS - 1)
}

// ---------------------------------------------------------------------------------------
// The encrypted side, through the public API.

/// A policy like an authority would publish: a daily form and an arrival registration.
fn policy_json() -> String {
    let key = |byte: u8| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    };
    serde_json::json!({
        "format": "selfreport.policy/1",
        "id": POLICY_ID,
        "version": POLICY_VERSION,
        "issuer": {"name": {"zh": "卫生健康委员会", "en": "Health Commission"}},
        "purpose": {"code": "epidemic-control", "text": {"en": "Daily health reports during monitoring."}},
        "valid_from": "2026-11-01",
        "valid_until": "2027-05-01",
        "endpoint": {"url": "https://report.example.org/v1", "spki_sha256": [key(1)], "receipt_key": key(2)},
        "recipients": {
            "health": {"suite": "x25519-sha256-chacha20poly1305", "public_key": key(3)},
            "identity": {"suite": "x25519-sha256-chacha20poly1305", "public_key": key(4)}
        },
        "monitoring": {"days": 14},
        "retention": {"device_days": RETENTION_DAYS, "server_days": 28},
        "padding": {"block_bytes": 512},
        "forms": [
            {"id": DAILY_FORM, "once_per": "day", "requires_monitoring": true, "fields": [
                {"id": "temperature", "kind": "temperature_c", "required": true, "upload": {"threshold": 37.3}, "to": "health"},
                {"id": "symptoms", "kind": "multi_choice", "codes": ["cough", "fever", "fatigue"], "upload": "keep", "to": "health"},
                {"id": "district", "kind": "district", "upload": {"generalize": "city"}, "to": "health"},
                {"id": "contact", "kind": "yes_no", "upload": "keep", "to": "health"},
                {"id": "notes", "kind": "text", "max_len": 200, "upload": "omit"}
            ]},
            {"id": "arrival", "once_per": "registration", "fields": [
                {"id": "name", "kind": "person_name", "source": "profile", "upload": "keep", "to": "identity"},
                {"id": "phone", "kind": "phone", "source": "profile", "upload": "keep", "to": "identity"},
                {"id": "travel", "kind": "travel_history", "upload": {"risk_area_visited": {"areas": ["4201"], "window_days": 14}}, "to": "health"},
                {"id": "flight", "kind": "transport_number", "upload": "keep", "to": "identity"},
                {"id": "arrival_date", "kind": "date", "allow_future": true, "upload": "keep", "to": "health"}
            ]}
        ]
    })
    .to_string()
}

/// A typical day's answers.
fn daily_answers() -> Answers {
    Answers::new()
        .text("temperature", "36.6")
        .text("symptoms", "cough")
        .text("district", "310104")
        .text("contact", "no")
        .text("notes", "slept well")
}

fn memory_key_source() -> MemoryKeySource {
    MemoryKeySource::new(KeyMaterial::from_bytes([7; 32]))
}

fn options(authority: &SigningKey) -> Options {
    let mut trust_anchors = TrustAnchors::new();
    trust_anchors.insert(TrustAnchor::new(authority.public_key()));
    let clock = FixedClock::at_local_noon(today(), UTC_OFFSET_SECONDS).expect("clock");
    Options {
        trust_anchors,
        clock: Arc::new(clock),
    }
}

/// An open encrypted store with the policy installed and `profiles` household members.
struct Encrypted {
    dir: TempDir,
    core: SelfReport,
    options: Options,
    profiles: Vec<ProfileId>,
}

fn create_encrypted(profiles: usize) -> Encrypted {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = SigningKey::generate().expect("signing key");
    let options = options(&authority);
    let core = SelfReport::create(dir.path(), &memory_key_source(), options.clone())
        .expect("create store");
    let envelope = sign_policy(&authority, policy_json().as_bytes()).expect("sign policy");
    core.install_policy(&envelope).expect("install policy");
    let profiles = (0..profiles)
        .map(|index| {
            core.add_profile(NewProfile {
                display_name: format!("Member {index}"),
                name: Some("王建国".to_owned()),
                phone: Some("+8613800138000".to_owned()),
                ..NewProfile::default()
            })
            .expect("add profile")
        })
        .collect();
    Encrypted {
        dir,
        core,
        options,
        profiles,
    }
}

/// An encrypted store holding `MONTH_DAYS` daily reports for each of `profiles` members.
fn encrypted_with_history(profiles: usize) -> Encrypted {
    let fixture = create_encrypted(profiles);
    for profile in &fixture.profiles {
        for back in 0..MONTH_DAYS {
            let date = days_before(today(), back);
            fixture
                .core
                .save_record(profile, POLICY_ID, DAILY_FORM, Some(date), daily_answers())
                .expect("save history");
        }
    }
    fixture
}

/// The validated values of [`daily_answers`], as the store receives them.
fn daily_values(fixture: &Encrypted) -> BTreeMap<String, FieldValue> {
    let policy = fixture.core.policy(POLICY_ID).expect("policy");
    let form = policy.document().form(DAILY_FORM).expect("daily form");
    let profile = fixture
        .core
        .profiles()
        .expect("profiles")
        .into_iter()
        .next()
        .expect("a profile");
    validate_answers(form, &profile, daily_answers(), today(), today()).expect("valid answers")
}

// ---------------------------------------------------------------------------------------
// The plaintext baseline: the same schema and transactions, no keys.

/// The encrypted store's schema, read from a store created in this run: the same tables
/// and indexes (`epoch` columns are the day retention ends, which a plaintext store needs
/// for purging too; `meta` stays empty, as a plaintext store has no keys).
fn plain_schema() -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = SigningKey::generate().expect("signing key");
    drop(
        SelfReport::create(dir.path(), &memory_key_source(), options(&authority))
            .expect("create store"),
    );
    let conn = Connection::open(dir.path().join(DB_FILE)).expect("open store file");
    let statements: Vec<String> = conn
        .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("schema");
    let mut schema = String::new();
    for sql in statements {
        schema.push_str(&sql);
        schema.push_str(";\n");
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("schema version");
    schema.push_str(&format!("PRAGMA user_version = {version};\n"));
    schema
}

/// Opens a plaintext database with the encrypted store's connection settings.
fn plain_connection(path: &Path, create: bool) -> Connection {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).expect("open plaintext database");
    if create {
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
            .expect("auto_vacuum");
    }
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .expect("journal mode");
    assert!(mode.eq_ignore_ascii_case("wal"), "journal mode {mode}");
    for (name, value) in [
        ("synchronous", "NORMAL"),
        ("foreign_keys", "ON"),
        ("secure_delete", "ON"),
        ("temp_store", "MEMORY"),
    ] {
        conn.pragma_update(None, name, value).expect("pragma");
    }
    conn
}

struct Plain {
    dir: TempDir,
    conn: Connection,
}

fn create_plain(schema: &str) -> Plain {
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = plain_connection(&dir.path().join(PLAIN_DB_FILE), true);
    conn.execute_batch(schema).expect("plaintext schema");
    Plain { dir, conn }
}

/// The plaintext counterpart of the slot blind index: the slot's parts themselves.
fn plain_slot(profile: &ProfileId, policy_id: &str, form_id: &str, date: NaiveDate) -> Vec<u8> {
    format!("{profile}\u{1f}{policy_id}\u{1f}{form_id}\u{1f}day:{date}").into_bytes()
}

fn expiry_day(date: NaiveDate) -> i64 {
    day_number(
        date.checked_add_days(Days::new(u64::from(RETENTION_DAYS)))
            .expect("date in range"),
    )
}

type Row = (String, i64, String, Vec<u8>);

/// Saves a daily record as the store does, unencrypted: the slot's latest row, then an
/// insert, in one committed transaction.
fn plain_save(
    conn: &mut Connection,
    profile: &ProfileId,
    date: NaiveDate,
    values: BTreeMap<String, FieldValue>,
    saved_at: DateTime<FixedOffset>,
) -> RecordId {
    let slot = plain_slot(profile, POLICY_ID, DAILY_FORM, date);
    let tx = conn.transaction().expect("begin");
    let latest: Option<Row> = tx
        .prepare_cached(
            "SELECT id, epoch, state, sealed FROM records WHERE slot_idx = ?1
             ORDER BY revision DESC LIMIT 1",
        )
        .expect("prepare")
        .query_row([&slot], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()
        .expect("latest of slot");
    assert!(latest.is_none(), "every benchmarked save starts its slot");
    let record = Record {
        id: RecordId::from_random_bytes(random_id().expect("random id")),
        profile_id: profile.clone(),
        policy_id: POLICY_ID.to_owned(),
        policy_version: POLICY_VERSION,
        form_id: DAILY_FORM.to_owned(),
        date,
        values,
        revision: 1,
        amends: None,
        saved_at,
    };
    let json = serde_json::to_vec(&record).expect("encode record");
    tx.prepare_cached(
        "INSERT INTO records (id, kind, epoch, state, profile_idx, slot_idx, revision, sealed)
         VALUES (?1, ?2, ?3, 'saved', ?4, ?5, ?6, ?7)",
    )
    .expect("prepare")
    .execute(params![
        record.id.as_str(),
        "day",
        expiry_day(date),
        profile.as_str().as_bytes(),
        slot,
        record.revision,
        json
    ])
    .expect("insert");
    tx.commit().expect("commit");
    record.id
}

/// The plaintext counterpart of the facade's save: read and decode the profile row,
/// validate the answers against the form, then [`plain_save`].
// Kept out of line so that scripts/store-instructions can count its instructions.
#[inline(never)]
fn plain_save_validated(
    conn: &mut Connection,
    form: &Form,
    profile_id: &ProfileId,
    date: NaiveDate,
    saved_at: DateTime<FixedOffset>,
) -> RecordId {
    let json: Vec<u8> = conn
        .prepare_cached("SELECT sealed FROM profiles WHERE id = ?1")
        .expect("prepare")
        .query_row([profile_id.as_str()], |row| row.get(0))
        .expect("profile row");
    let stored: Profile = serde_json::from_slice(&json).expect("profile");
    let values =
        validate_answers(form, &stored, daily_answers(), date, today()).expect("valid answers");
    plain_save(conn, &stored.id, date, values, saved_at)
}

/// Copies stored records into the plaintext table: the very same JSON, unencrypted.
fn plain_copy(conn: &Connection, records: &[StoredRecord]) {
    for stored in records {
        let record = &stored.record;
        let json = serde_json::to_vec(record).expect("encode record");
        conn.execute(
            "INSERT INTO records (id, kind, epoch, state, profile_idx, slot_idx, revision, sealed)
             VALUES (?1, 'day', ?2, 'saved', ?3, ?4, ?5, ?6)",
            params![
                record.id.as_str(),
                expiry_day(record.date),
                record.profile_id.as_str().as_bytes(),
                plain_slot(
                    &record.profile_id,
                    &record.policy_id,
                    &record.form_id,
                    record.date
                ),
                record.revision,
                json
            ],
        )
        .expect("copy record");
    }
}

fn parse_state(text: &str) -> Option<OutboxState> {
    match text {
        "saved" => Some(OutboxState::Saved),
        "queued" => Some(OutboxState::Queued),
        "sent" => Some(OutboxState::Sent),
        _ => None,
    }
}

/// `records_of_profile` without keys: the same query, decoding, checks, order and filter.
// Kept out of line so that scripts/store-instructions can count its instructions.
#[inline(never)]
fn plain_records_of_profile(
    conn: &Connection,
    profile: &ProfileId,
    from: NaiveDate,
    to: NaiveDate,
) -> RecordListing {
    let rows: Vec<Row> = conn
        .prepare_cached("SELECT id, epoch, state, sealed FROM records WHERE profile_idx = ?1")
        .expect("prepare")
        .query_map([profile.as_str().as_bytes()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let mut out = RecordListing::default();
    for (id, _epoch, state, json) in rows {
        let decoded = serde_json::from_slice::<Record>(&json).ok();
        match (decoded, parse_state(&state)) {
            (Some(record), Some(state)) if record.id.as_str() == id => {
                out.records.push(StoredRecord { record, state });
            }
            _ => out.damaged.push(format!("records/{id}")),
        }
    }
    out.records.sort_by(|a, b| {
        (
            a.record.date,
            &a.record.profile_id,
            &a.record.form_id,
            a.record.revision,
        )
            .cmp(&(
                b.record.date,
                &b.record.profile_id,
                &b.record.form_id,
                b.record.revision,
            ))
    });
    out.records
        .retain(|stored| stored.record.date >= from && stored.record.date <= to);
    out
}

// ---------------------------------------------------------------------------------------
// Benchmarks.

/// A fixture and the next (older) date its saves use.
struct Dated<T> {
    fixture: T,
    next: NaiveDate,
}

/// Runs `iters` saves, one per fresh date counting up to today as a daily reporter does, summing the times
/// `save` reports. The fixture is rebuilt (untimed) when its dates run out.
fn run_saves<T>(
    iters: u64,
    slot: &mut Option<Dated<T>>,
    build: impl Fn() -> T,
    mut save: impl FnMut(&mut T, NaiveDate) -> Duration,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let dated = match slot {
            Some(dated) if dated.next <= today() => dated,
            _ => slot.insert(Dated {
                fixture: build(),
                next: oldest_save_date(),
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

fn save_daily_report(c: &mut Criterion) {
    let mut group = c.benchmark_group("save_daily_report");
    configure(&mut group);

    group.bench_function("plaintext", |b| {
        let values = daily_values(&create_encrypted(1));
        let profile = ProfileId::from_random_bytes([1; 16]);
        let saved_at = FixedClock::at_local_noon(today(), UTC_OFFSET_SECONDS)
            .expect("clock")
            .now();
        let schema = plain_schema();
        let mut slot = None;
        b.iter_custom(|iters| {
            run_saves(
                iters,
                &mut slot,
                || create_plain(&schema),
                |plain, date| {
                    let values = values.clone();
                    timed(|| plain_save(&mut plain.conn, &profile, date, values, saved_at))
                },
            )
        });
    });

    // The plaintext counterpart of the whole facade path: the profile read from its row
    // and decoded, the answers validated against the form, then the same insert. The
    // ratio of `encrypted` to this is the cost of encryption alone.
    group.bench_function("plaintext_validated", |b| {
        let fixture = create_encrypted(1);
        let profile = fixture
            .core
            .profiles()
            .expect("profiles")
            .into_iter()
            .next()
            .expect("a profile");
        let policy = fixture.core.policy(POLICY_ID).expect("policy");
        let form = policy
            .document()
            .form(DAILY_FORM)
            .expect("daily form")
            .clone();
        let profile_json = serde_json::to_vec(&profile).expect("profile json");
        let saved_at = FixedClock::at_local_noon(today(), UTC_OFFSET_SECONDS)
            .expect("clock")
            .now();
        let schema = plain_schema();
        let mut slot = None;
        b.iter_custom(|iters| {
            run_saves(
                iters,
                &mut slot,
                || {
                    let plain = create_plain(&schema);
                    plain
                        .conn
                        .execute(
                            "INSERT INTO profiles (id, sealed) VALUES (?1, ?2)",
                            rusqlite::params![profile.id.as_str(), profile_json],
                        )
                        .expect("plaintext profile");
                    plain
                },
                |plain, date| {
                    timed(|| {
                        plain_save_validated(&mut plain.conn, &form, &profile.id, date, saved_at)
                    })
                },
            )
        });
    });

    // The whole facade path: profile and policy loaded from the store, answers
    // validated, the day's epoch key created (every date is new), sealed, inserted.
    group.bench_function("encrypted", |b| {
        let mut slot = None;
        b.iter_custom(|iters| {
            run_saves(
                iters,
                &mut slot,
                || create_encrypted(1),
                |fixture, date| {
                    let answers = daily_answers();
                    timed(|| {
                        fixture
                            .core
                            .save_record(
                                &fixture.profiles[0],
                                POLICY_ID,
                                DAILY_FORM,
                                Some(date),
                                answers,
                            )
                            .expect("save")
                    })
                },
            )
        });
    });

    // The same, for a second household member the same day: the epoch key exists.
    group.bench_function("encrypted_epoch_key_cached", |b| {
        let mut slot = None;
        b.iter_custom(|iters| {
            run_saves(
                iters,
                &mut slot,
                || create_encrypted(2),
                |fixture, date| {
                    let core = &fixture.core;
                    core.save_record(
                        &fixture.profiles[0],
                        POLICY_ID,
                        DAILY_FORM,
                        Some(date),
                        daily_answers(),
                    )
                    .expect("untimed save of the day's first report");
                    let answers = daily_answers();
                    timed(|| {
                        core.save_record(
                            &fixture.profiles[1],
                            POLICY_ID,
                            DAILY_FORM,
                            Some(date),
                            answers,
                        )
                        .expect("save")
                    })
                },
            )
        });
    });

    // Below the facade: already-validated values straight into `Store::save_record`
    // (epoch key, blind indexes, seal, insert, commit), the plaintext baseline's scope.
    group.bench_function("encrypted_store_only", |b| {
        let mut slot: Option<Dated<(Encrypted, BTreeMap<String, FieldValue>)>> = None;
        b.iter_custom(|iters| {
            run_saves(
                iters,
                &mut slot,
                || {
                    let fixture = create_encrypted(1);
                    let values = daily_values(&fixture);
                    (fixture, values)
                },
                |(fixture, values), date| {
                    let new = NewRecord {
                        profile_id: fixture.profiles[0].clone(),
                        policy_id: POLICY_ID.to_owned(),
                        policy_version: POLICY_VERSION,
                        form_id: DAILY_FORM.to_owned(),
                        once_per: OncePer::Day,
                        date,
                        values: values.clone(),
                        saved_at: fixture.options.clock.now(),
                        retention_days: RETENTION_DAYS,
                    };
                    timed(|| fixture.core.store().save_record(new).expect("save"))
                },
            )
        });
    });

    // Store level, second member of the day: no epoch key to create.
    group.bench_function("encrypted_store_only_epoch_key_cached", |b| {
        let mut slot: Option<Dated<(Encrypted, BTreeMap<String, FieldValue>)>> = None;
        b.iter_custom(|iters| {
            run_saves(
                iters,
                &mut slot,
                || {
                    let fixture = create_encrypted(2);
                    let values = daily_values(&fixture);
                    (fixture, values)
                },
                |(fixture, values), date| {
                    let new = |profile: &ProfileId| NewRecord {
                        profile_id: profile.clone(),
                        policy_id: POLICY_ID.to_owned(),
                        policy_version: POLICY_VERSION,
                        form_id: DAILY_FORM.to_owned(),
                        once_per: OncePer::Day,
                        date,
                        values: values.clone(),
                        saved_at: fixture.options.clock.now(),
                        retention_days: RETENTION_DAYS,
                    };
                    let store = fixture.core.store();
                    store
                        .save_record(new(&fixture.profiles[0]))
                        .expect("untimed save");
                    let second = new(&fixture.profiles[1]);
                    timed(|| store.save_record(second).expect("save"))
                },
            )
        });
    });
    group.finish();
}

fn read_month_three_profiles(c: &mut Criterion) {
    let encrypted = encrypted_with_history(3);
    let plain = create_plain(&plain_schema());
    let stored = encrypted.core.records().expect("records");
    assert_eq!(stored.records.len(), 3 * MONTH_DAYS as usize);
    plain_copy(&plain.conn, &stored.records);
    let (from, to) = (month_start(), today());

    let mut group = c.benchmark_group("read_month_three_profiles");
    configure(&mut group);
    group.bench_function("plaintext", |b| {
        b.iter(|| {
            for profile in &encrypted.profiles {
                let listing = plain_records_of_profile(&plain.conn, profile, from, to);
                debug_assert_eq!(listing.records.len(), MONTH_DAYS as usize);
                black_box(listing);
            }
        });
    });
    group.bench_function("encrypted", |b| {
        b.iter(|| {
            for profile in &encrypted.profiles {
                let listing = encrypted
                    .core
                    .records_of_profile(profile, from, to)
                    .expect("read");
                debug_assert_eq!(listing.records.len(), MONTH_DAYS as usize);
                black_box(listing);
            }
        });
    });
    group.finish();
}

/// One iteration of `cold_open_read_month/plaintext`: open with the store's settings,
/// check `user_version`, read one profile's month, close.
// Kept out of line so that scripts/store-instructions can count its instructions.
#[inline(never)]
fn plain_cold_read(
    path: &Path,
    profile: &ProfileId,
    from: NaiveDate,
    to: NaiveDate,
) -> RecordListing {
    let conn = plain_connection(path, false);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("schema version");
    assert_eq!(version, CURRENT_VERSION);
    let listing = plain_records_of_profile(&conn, profile, from, to);
    drop(conn);
    listing
}

/// One iteration of `cold_open_read_month/encrypted`: open the store with its key from
/// a key source, read one profile's month, close.
// Kept out of line so that scripts/store-instructions can count its instructions.
#[inline(never)]
fn encrypted_cold_read(
    dir: &Path,
    key_source: &MemoryKeySource,
    options: &Options,
    profile: &ProfileId,
    from: NaiveDate,
    to: NaiveDate,
) -> RecordListing {
    let core = SelfReport::open(dir, key_source, options.clone()).expect("open");
    let listing = core.records_of_profile(profile, from, to).expect("read");
    drop(core);
    listing
}

fn cold_open_read_month(c: &mut Criterion) {
    // Both stores hold the same three months of history and are closed before timing.
    let Encrypted {
        dir: encrypted_dir,
        core,
        options,
        profiles,
    } = encrypted_with_history(3);
    let plain = create_plain(&plain_schema());
    plain_copy(&plain.conn, &core.records().expect("records").records);
    drop(core);
    let Plain {
        dir: plain_dir,
        conn,
    } = plain;
    drop(conn);
    let plain_path = plain_dir.path().join(PLAIN_DB_FILE);
    let key_source = memory_key_source();
    let profile = &profiles[0];
    let (from, to) = (month_start(), today());

    let mut group = c.benchmark_group("cold_open_read_month");
    configure(&mut group);
    group.bench_function("plaintext", |b| {
        b.iter(|| plain_cold_read(&plain_path, profile, from, to));
    });
    group.bench_function("encrypted", |b| {
        b.iter(|| {
            encrypted_cold_read(
                encrypted_dir.path(),
                &key_source,
                &options,
                profile,
                from,
                to,
            )
        });
    });
    // The same opens and closes without the read.
    group.bench_function("plaintext_open_only", |b| {
        b.iter(|| {
            let conn = plain_connection(&plain_path, false);
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .expect("schema version");
            drop(conn);
            version
        });
    });
    group.bench_function("encrypted_open_only", |b| {
        b.iter(|| {
            drop(
                SelfReport::open(encrypted_dir.path(), &key_source, options.clone()).expect("open"),
            );
        });
    });
    group.finish();
}

fn passphrase_unwrap_600k(c: &mut Criterion) {
    // The default count, 600,000 iterations.
    let source = passphrase_key_source();
    let blob = source
        .wrap(&KeyMaterial::generate().expect("key"))
        .expect("wrap");
    let mut group = c.benchmark_group("passphrase_unwrap_600k");
    // Each iteration takes a large fraction of a second: ten single-iteration samples.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("unwrap", |b| {
        b.iter(|| source.unwrap(black_box(&blob)).expect("unwrap"));
    });
    group.finish();
}

/// The passphrase every passphrase-keyed benchmark store is created with.
const PASSPHRASE: &str = "correct horse battery";

fn passphrase_key_source() -> PassphraseKeySource {
    PassphraseKeySource::new(Zeroizing::new(PASSPHRASE.to_owned()))
}

/// `cold_open_read_month/encrypted` with the store key wrapped under a passphrase at the
/// default 600,000 PBKDF2 iterations: the open pays the KDF, as SQLCipher opened with a
/// passphrase pays its own.
fn cold_open_read_month_passphrase(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = SigningKey::generate().expect("signing key");
    let options = options(&authority);
    let source = passphrase_key_source();
    let profile = {
        let core = SelfReport::create(dir.path(), &source, options.clone()).expect("create");
        let envelope = sign_policy(&authority, policy_json().as_bytes()).expect("sign policy");
        core.install_policy(&envelope).expect("install policy");
        let profile = core
            .add_profile(NewProfile {
                display_name: "Member 0".to_owned(),
                name: Some("王建国".to_owned()),
                phone: Some("+8613800138000".to_owned()),
                ..NewProfile::default()
            })
            .expect("add profile");
        for back in 0..MONTH_DAYS {
            core.save_record(
                &profile,
                POLICY_ID,
                DAILY_FORM,
                Some(days_before(today(), back)),
                daily_answers(),
            )
            .expect("save history");
        }
        profile
    };
    let (from, to) = (month_start(), today());
    let mut group = c.benchmark_group("cold_open_read_month_passphrase");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("encrypted", |b| {
        b.iter(|| {
            let core = SelfReport::open(dir.path(), &source, options.clone()).expect("open");
            let listing = core.records_of_profile(&profile, from, to).expect("read");
            assert_eq!(listing.records.len(), MONTH_DAYS as usize);
            drop(core);
            listing
        });
    });
    group.finish();
}

/// Writes the plaintext workload of this benchmark into `dir`, for the SQLCipher peer:
/// `schema.sql` (the plaintext schema), `records.jsonl` (the 90 records of the read
/// groups, one JSON document per line, byte for byte what the plaintext lines store) and
/// `workload.json` (dates, ids and the values every save stores).
fn export_peer_workload(dir: &Path) {
    std::fs::create_dir_all(dir).expect("workload directory");
    std::fs::write(dir.join("schema.sql"), plain_schema()).expect("schema.sql");
    let history = encrypted_with_history(3);
    let stored = history.core.records().expect("records");
    assert_eq!(stored.records.len(), 3 * MONTH_DAYS as usize);
    let mut lines = String::new();
    for record in &stored.records {
        lines.push_str(&serde_json::to_string(&record.record).expect("record json"));
        lines.push('\n');
    }
    std::fs::write(dir.join("records.jsonl"), lines).expect("records.jsonl");
    let saved_at = FixedClock::at_local_noon(today(), UTC_OFFSET_SECONDS)
        .expect("clock")
        .now();
    let workload = serde_json::json!({
        "today": today(),
        "month_start": month_start(),
        "oldest_save_date": oldest_save_date(),
        "retention_days": RETENTION_DAYS,
        "policy_id": POLICY_ID,
        "policy_version": POLICY_VERSION,
        "form_id": DAILY_FORM,
        "user_version": CURRENT_VERSION,
        "profiles": history.profiles,
        "save_profile_id": ProfileId::from_random_bytes([1; 16]),
        "save_values": daily_values(&history),
        "saved_at": saved_at,
        "passphrase": PASSPHRASE,
    });
    std::fs::write(
        dir.join("workload.json"),
        serde_json::to_vec_pretty(&workload).expect("workload json"),
    )
    .expect("workload.json");
}

/// The facade's steps before the store, one by one: what `save_daily_report/encrypted`
/// pays on top of `encrypted_store_only`.
fn save_breakdown(c: &mut Criterion) {
    let fixture = create_encrypted(1);
    let profile = fixture.core.profiles().expect("profiles").remove(0);
    let policy = fixture.core.policy(POLICY_ID).expect("policy");
    let form = policy.document().form(DAILY_FORM).expect("form").clone();
    let mut group = c.benchmark_group("save_breakdown");
    configure(&mut group);
    group.bench_function("policy_load", |b| {
        b.iter(|| fixture.core.policy(POLICY_ID).expect("policy"));
    });
    group.bench_function("profile_load", |b| {
        b.iter(|| fixture.core.store().profile(&profile.id).expect("profile"));
    });
    group.bench_function("validate", |b| {
        b.iter(|| {
            validate_answers(&form, &profile, daily_answers(), today(), today()).expect("valid")
        });
    });
    group.finish();
}

// Written out rather than `criterion_group!`/`criterion_main!`, whose generated public
// function has no doc comment.
fn main() {
    if let Some(dir) = std::env::var_os("SELFREPORT_PEER_WORKLOAD") {
        export_peer_workload(Path::new(&dir));
    }
    let mut criterion = Criterion::default().configure_from_args();
    save_daily_report(&mut criterion);
    save_breakdown(&mut criterion);
    read_month_three_profiles(&mut criterion);
    cold_open_read_month(&mut criterion);
    cold_open_read_month_passphrase(&mut criterion);
    passphrase_unwrap_600k(&mut criterion);
    criterion.final_summary();
}
