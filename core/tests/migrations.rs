//! Schema migrations, tested from every version this project ever shipped.
//!
//! `core/tests/fixtures/store-vN.sql` is a store written by the code of schema version N
//! (schema, rows and sealed bytes), made with the fixed key source of `fixture_key_source`.
//! Every fixture must open with the current code, migrate to the current version and read
//! back the same data. When a migration is added, keep the old fixtures and add the new
//! version's: run `cargo test -p selfreport-core --test migrations -- --ignored
//! write_current_fixture` before changing the schema to capture the old version first.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::*;
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use selfreport_core::SelfReport;
use selfreport_core::crypto::{KeyMaterial, MemoryKeySource};
use selfreport_core::model::{Answers, MonitoringReason, NewProfile};
use selfreport_core::store::{CURRENT_VERSION, DB_FILE};

fn fixture_key_source() -> MemoryKeySource {
    MemoryKeySource::new(KeyMaterial::from_bytes([0x42; 32]))
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture_path(version: i64) -> PathBuf {
    fixtures_dir().join(format!("store-v{version}.sql"))
}

/// Writes the database in `dir` as SQL: schema, rows (blobs as hex) and user_version.
fn dump(dir: &Path) -> String {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    let mut out = format!("-- selfreport store fixture, schema version {version}\n");
    let mut statement = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type = 'index', rowid")
        .unwrap();
    let objects: Vec<(String, String, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (_, _, sql) in &objects {
        writeln!(out, "{sql};").unwrap();
    }
    for (kind, table, _) in objects.iter().filter(|(kind, ..)| kind == "table") {
        let _ = kind;
        let mut rows = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
            .unwrap();
        let columns = rows.column_count();
        let mut query = rows.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| match row.get_ref(i).unwrap() {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(f) => f.to_string(),
                    ValueRef::Text(t) => {
                        format!("'{}'", String::from_utf8_lossy(t).replace('\'', "''"))
                    }
                    ValueRef::Blob(b) => format!(
                        "X'{}'",
                        b.iter()
                            .map(|byte| format!("{byte:02X}"))
                            .collect::<String>()
                    ),
                })
                .collect();
            writeln!(out, "INSERT INTO {table} VALUES ({});", values.join(", ")).unwrap();
        }
    }
    writeln!(out, "PRAGMA user_version = {version};").unwrap();
    out
}

/// Builds a store database in `dir` from a fixture's SQL.
fn load(dir: &Path, sql: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(sql).unwrap();
}

/// The data every fixture holds, written through the public API.
fn populate(dir: &Path) {
    let authority = Authority::new();
    let core = SelfReport::create(
        dir,
        &fixture_key_source(),
        options(&authority, clock("2026-11-20")),
    )
    .unwrap();
    core.install_policy(&authority.sign(&policy_json(1)))
        .unwrap();
    let profile = core
        .add_profile(NewProfile {
            display_name: "Fixture".into(),
            name: Some("Zhao Lei".into()),
            ..NewProfile::default()
        })
        .unwrap();
    core.start_monitoring(&profile, POLICY_ID, None, MonitoringReason::Arrival)
        .unwrap();
    core.save_record(
        &profile,
        POLICY_ID,
        "daily",
        None,
        Answers::new()
            .text("temperature", "36.7")
            .text("notes", "fixture note"),
    )
    .unwrap();
    // Schema 2 added consent, the outbox and the ledger: give them rows too.
    core.grant_consent(POLICY_ID).unwrap();
    core.seal_ready().unwrap();
}

/// Checks that `dir` holds the data of `populate`, read with the current code.
fn check(dir: &Path) {
    let authority = Authority::new();
    let core = SelfReport::open(
        dir,
        &fixture_key_source(),
        options(&authority, clock("2026-11-21")),
    )
    .unwrap();
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, CURRENT_VERSION);
    let profiles = core.profiles().unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].name.as_deref(), Some("Zhao Lei"));
    assert_eq!(core.policies().unwrap()[0].id, POLICY_ID);
    assert_eq!(core.monitoring_periods().unwrap().len(), 1);
    let listing = core.records().unwrap();
    assert!(listing.damaged.is_empty());
    assert_eq!(listing.records.len(), 1);
    let record = &listing.records[0].record;
    assert_eq!(record.value("temperature").unwrap().to_string(), "36.7");
    assert_eq!(record.value("notes").unwrap().to_string(), "fixture note");
    assert!(core.verify_ledger().unwrap().is_valid());
    for item in core.outbox().unwrap() {
        assert_eq!(item.payload.policy_id, POLICY_ID);
    }
    // Still writable after migrating.
    core.save_record(
        &profiles[0].id,
        POLICY_ID,
        "daily",
        None,
        Answers::new().text("temperature", "36.5"),
    )
    .unwrap();
}

#[test]
fn the_initializer_runs_from_an_empty_file() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("store");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(DB_FILE), b"").unwrap();
    populate(&dir);
    check(&dir);
}

#[test]
fn every_older_and_the_current_schema_migrate_and_read_back() {
    for version in 1..=CURRENT_VERSION {
        let path = fixture_path(version);
        let sql = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("missing fixture {} (see the module docs)", path.display()));
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("store");
        load(&dir, &sql);
        let wrapped = if version < 3 {
            let wrapped = wrapped_epoch_keys(&dir);
            assert!(
                !wrapped.is_empty(),
                "version {version} wraps keys one by one"
            );
            wrapped
        } else {
            Vec::new()
        };
        check(&dir);
        // Version 3 moved every key into a page and dropped the table: the old wrapped
        // bytes are in none of the files.
        let conn = Connection::open(dir.join(DB_FILE)).unwrap();
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'epoch_keys'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "version {version}");
        drop(conn);
        let found = find_in_files(&dir, &wrapped);
        assert!(
            found.is_empty(),
            "version {version}: old wrapped keys in {found:?}"
        );
    }
}

#[test]
fn a_wrong_key_migrates_nothing() {
    // The key is proven before any step runs: an old store opened with a wrong key is
    // `WrongKey` and keeps every byte, its version included.
    for version in 1..CURRENT_VERSION {
        let sql = std::fs::read_to_string(fixture_path(version)).unwrap();
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("store");
        load(&dir, &sql);
        // Fold the loader's WAL into the file, so that only an open could change it.
        Connection::open(dir.join(DB_FILE))
            .unwrap()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        let before = snapshot(&dir);
        let authority = Authority::new();
        let opened = SelfReport::open(
            &dir,
            &MemoryKeySource::new(KeyMaterial::from_bytes([0x43; 32])),
            options(&authority, clock("2026-11-21")),
        );
        assert!(
            matches!(opened, Err(selfreport_core::Error::WrongKey)),
            "version {version}: {opened:?}"
        );
        assert_eq!(snapshot(&dir), before, "version {version}");
    }
}

/// The epoch keys still wrapped one per row (schema versions 1 and 2).
fn wrapped_epoch_keys(dir: &Path) -> Vec<Vec<u8>> {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    let mut statement = conn.prepare("SELECT wrapped FROM epoch_keys").unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_current_fixture_matches_the_current_schema() {
    // A schema change without a new fixture (and a migration) fails here.
    let parent = tempfile::tempdir().unwrap();
    let fresh = parent.path().join("fresh");
    populate(&fresh);
    let schema = |sql: &str| -> Vec<String> {
        sql.lines()
            .filter(|line| line.starts_with("CREATE") || line.starts_with("PRAGMA"))
            .map(str::to_owned)
            .collect()
    };
    let current = std::fs::read_to_string(fixture_path(CURRENT_VERSION)).unwrap();
    assert_eq!(schema(&dump(&fresh)), schema(&current));
}

#[test]
#[ignore = "writes the fixture of the current schema version; run by hand"]
fn write_current_fixture() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("store");
    populate(&dir);
    std::fs::create_dir_all(fixtures_dir()).unwrap();
    std::fs::write(fixture_path(CURRENT_VERSION), dump(&dir)).unwrap();
}

/// Ledger entries written before entries carried a format (`selfreport.ledger/1`, the
/// writer's field order) still verify by their stored bytes, beside new canonical
/// `selfreport.ledger/2` entries, and the printed chain lets anyone recompute each link.
#[test]
fn old_ledger_entries_still_verify_beside_new_ones() {
    use selfreport_core::crypto::sha256;
    use selfreport_core::ledger::EntryFormat;

    // Schema 2 added the ledger; the fixtures from then on hold consent entries, and those
    // of schemas 2 to 4 were written before selfreport.ledger/2 (schema 5's fixture holds
    // /2 entries, which every other test reads).
    for version in 2..=4 {
        let sql = std::fs::read_to_string(fixture_path(version)).unwrap();
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("store");
        load(&dir, &sql);
        let authority = Authority::new();
        let core = SelfReport::open(
            &dir,
            &fixture_key_source(),
            options(&authority, clock("2026-11-21")),
        )
        .unwrap();
        let before = core.ledger_chain().unwrap();
        assert!(!before.is_empty(), "version {version}");
        assert!(
            before.iter().all(|entry| entry.format == EntryFormat::V1),
            "version {version}: fixtures were written before selfreport.ledger/2"
        );
        core.withdraw_consent(POLICY_ID).unwrap();
        assert!(
            core.verify_ledger().unwrap().is_valid(),
            "version {version}"
        );

        let chain = core.ledger_chain().unwrap();
        assert_eq!(chain.len(), before.len() + 1);
        assert_eq!(chain.last().unwrap().format, EntryFormat::V2);
        let mut previous = "0".repeat(64);
        for printed in chain.iter().map(|entry| entry.to_json()) {
            assert_eq!(printed["prev_hash"], previous.as_str());
            let bytes_hex = printed["bytes_hex"].as_str().unwrap();
            let mut input: Vec<u8> = (0..previous.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&previous[i..i + 2], 16).unwrap())
                .collect();
            input.extend(
                (0..bytes_hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&bytes_hex[i..i + 2], 16).unwrap()),
            );
            let hash: String = sha256(&input)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            assert_eq!(printed["hash"], hash.as_str(), "version {version}");
            previous = hash;
        }
    }
}
