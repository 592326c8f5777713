//! The encrypted store under attack and accident: canary scans of every file, wrong keys,
//! flipped bytes, purge with crypto-shredding, rekey and erase.

mod common;

use common::*;
use rusqlite::Connection;
use selfreport_core::model::{Answers, MonitoringReason, NewProfile, ProfileId, RecordId};
use selfreport_core::store::DB_FILE;
use selfreport_core::{Error, SelfReport};

/// A store with one installed policy, two profiles and a few records.
struct Fixture {
    _parent: tempfile::TempDir,
    dir: std::path::PathBuf,
    authority: Authority,
    profiles: Vec<ProfileId>,
    records: Vec<RecordId>,
}

fn fixture() -> Fixture {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("store");
    let authority = Authority::new();
    let clock = clock("2026-11-20");
    let core =
        SelfReport::create(&dir, &key_source(1), options(&authority, clock.clone())).unwrap();
    core.install_policy(&authority.sign(&policy_json(1)))
        .unwrap();
    let mother = core
        .add_profile(NewProfile {
            display_name: "Mother".into(),
            name: Some("Li Hua".into()),
            ..NewProfile::default()
        })
        .unwrap();
    let child = core
        .add_profile(NewProfile {
            display_name: "Child".into(),
            ..NewProfile::default()
        })
        .unwrap();
    core.start_monitoring(&mother, POLICY_ID, None, MonitoringReason::Arrival)
        .unwrap();
    let mut records = Vec::new();
    for profile in [&mother, &child] {
        let saved = core
            .save_record(
                profile,
                POLICY_ID,
                "daily",
                None,
                Answers::new().text("temperature", "36.8"),
            )
            .unwrap();
        records.push(saved.id);
    }
    clock.advance_days(1);
    let saved = core
        .save_record(
            &mother,
            POLICY_ID,
            "daily",
            None,
            Answers::new().text("temperature", "37.0"),
        )
        .unwrap();
    records.push(saved.id);
    drop(core);
    Fixture {
        _parent: parent,
        dir,
        authority,
        profiles: vec![mother, child],
        records,
    }
}

fn db(dir: &std::path::Path) -> Connection {
    Connection::open(dir.join(DB_FILE)).unwrap()
}

fn flip(
    dir: &std::path::Path,
    table: &str,
    column: &str,
    key_column: &str,
    key: &dyn rusqlite::ToSql,
    index: usize,
) {
    let conn = db(dir);
    let sql = format!("SELECT {column} FROM {table} WHERE {key_column} = ?1");
    let mut value: Vec<u8> = conn.query_row(&sql, [key], |row| row.get(0)).unwrap();
    value[index] ^= 0x01;
    let sql = format!("UPDATE {table} SET {column} = ?1 WHERE {key_column} = ?2");
    conn.execute(&sql, rusqlite::params![value, key]).unwrap();
}

fn blob_len(
    dir: &std::path::Path,
    table: &str,
    column: &str,
    key_column: &str,
    key: &dyn rusqlite::ToSql,
) -> usize {
    let conn = db(dir);
    let sql = format!("SELECT length({column}) FROM {table} WHERE {key_column} = ?1");
    let len: i64 = conn.query_row(&sql, [key], |row| row.get(0)).unwrap();
    len as usize
}

#[test]
fn canaries_of_every_field_kind_never_reach_the_files() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("store");
    let authority = Authority::new();
    let clock = clock("2026-11-20");
    let core =
        SelfReport::create(&dir, &key_source(1), options(&authority, clock.clone())).unwrap();
    core.install_policy(&authority.sign(&policy_json(1)))
        .unwrap();

    let canaries: Vec<&str> = vec![
        "Canarydisplayname",                              // display name
        "王秘密金丝雀",           // person_name (Chinese: escaped \uXXXX in JSON)
        "Canarypersonname",       // person_name (Latin)
        "11010519491231002X",     // resident_id with its right check digit
        "+8613987654321",         // phone
        "E98765432",              // passport_number
        "1949-12-31",             // birth date (date kind; matches the ID number)
        "MU5101",                 // transport_number
        "canarynote 秘密备注 🙂", // text
        "canaryremark",           // text
        "420106",                 // district
        "420111",                 // travel history place
        "2026-11-03",             // travel history date
        "2026-12-24",             // arrival date (future allowed)
        "987654321",              // integer
        "choicecanary",           // choice code
        "multicanary",            // multi_choice code
        "38.6",                   // temperature as typed
        r#"{"type":"temperature_tenths_c","value":386}"#, // temperature as stored in the plaintext
    ];
    let person = core
        .add_profile(NewProfile {
            display_name: canaries[0].into(),
            name: Some(canaries[1].into()),
            id_number: Some(canaries[3].into()),
            phone: Some(canaries[4].into()),
            birth_date: Some(date(canaries[6])),
            passport_number: Some(canaries[5].into()),
        })
        .unwrap();
    let other = core
        .add_profile(NewProfile {
            display_name: "Other".into(),
            name: Some(canaries[2].into()),
            ..NewProfile::default()
        })
        .unwrap();
    core.start_monitoring(&person, POLICY_ID, None, MonitoringReason::Contact)
        .unwrap();
    core.save_record(
        &person,
        POLICY_ID,
        "daily",
        None,
        Answers::new()
            .text("temperature", canaries[17])
            .text("symptoms", format!("cough,{}", canaries[16]))
            .text("district", canaries[10])
            .text("contact", "yes")
            .text("notes", canaries[8]),
    )
    .unwrap();
    core.save_record(
        &person,
        POLICY_ID,
        "arrival",
        None,
        Answers::new()
            .text(
                "travel",
                format!("{}:{}:2026-11-05", canaries[11], canaries[12]),
            )
            .text("flight", canaries[7])
            .text("arrival_date", canaries[13])
            .text("companions", canaries[14])
            .text("purpose", canaries[15])
            .text("remarks", canaries[9]),
    )
    .unwrap();
    core.save_record(
        &other,
        POLICY_ID,
        "daily",
        None,
        Answers::new().text("temperature", "36.5"),
    )
    .unwrap();
    // Everything was really stored: the export holds every canary.
    let export = serde_json::to_string(&core.export().unwrap()).unwrap();
    for canary in canaries.iter().filter(|canary| **canary != "38.6") {
        assert!(
            export.contains(canary) || export.contains(&json_escaped(canary)),
            "{canary} missing from the export"
        );
    }

    let needles: Vec<Vec<u8>> = canaries
        .iter()
        .flat_map(|canary| {
            [
                canary.as_bytes().to_vec(),
                json_escaped(canary).into_bytes(),
            ]
        })
        .collect();
    let describe = |found: Vec<(String, usize)>| -> Vec<String> {
        found
            .into_iter()
            .map(|(file, index)| format!("{} in {file}", canaries[index / 2]))
            .collect()
    };
    // While open (the WAL holds the recent pages) and after closing.
    let while_open = find_in_files(&dir, &needles);
    assert!(while_open.is_empty(), "found: {:?}", describe(while_open));
    let files: Vec<_> = snapshot(&dir).into_iter().map(|(name, _)| name).collect();
    assert!(
        files.iter().any(|name| name.ends_with("-wal")),
        "WAL scanned: {files:?}"
    );
    drop(core);
    let after_close = find_in_files(&dir, &needles);
    assert!(after_close.is_empty(), "found: {:?}", describe(after_close));
}

#[test]
fn wrong_passphrase_is_wrong_key_and_changes_no_byte() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("store");
    let authority = Authority::new();
    let core = SelfReport::create(
        &dir,
        &passphrase("right one"),
        options(&authority, clock("2026-11-20")),
    )
    .unwrap();
    core.add_profile(NewProfile {
        display_name: "Me".into(),
        ..NewProfile::default()
    })
    .unwrap();
    drop(core);
    let before = snapshot(&dir);
    let error = SelfReport::open(
        &dir,
        &passphrase("wrong one"),
        options(&authority, clock("2026-11-20")),
    )
    .unwrap_err();
    assert!(matches!(error, Error::WrongKey), "{error:?}");
    assert_eq!(error.code(), "WrongKey");
    assert_eq!(snapshot(&dir), before);
    SelfReport::open(
        &dir,
        &passphrase("right one"),
        options(&authority, clock("2026-11-20")),
    )
    .unwrap();
}

#[test]
fn every_flipped_byte_of_a_record_is_corrupt_naming_it() {
    let fixture = fixture();
    let target = fixture.records[0].as_str().to_owned();
    let len = blob_len(&fixture.dir, "records", "sealed", "id", &target);
    for index in 0..len {
        flip(&fixture.dir, "records", "sealed", "id", &target, index);
        let core = open(&fixture.dir, &fixture.authority, clock("2026-11-21"));
        match core.record(&fixture.records[0]) {
            Err(Error::Corrupt { record }) => assert_eq!(record, format!("records/{target}")),
            other => panic!("byte {index}: expected Corrupt, got {other:?}"),
        }
        // The other records still read, and the listing names the damaged one.
        core.record(&fixture.records[1]).unwrap();
        core.record(&fixture.records[2]).unwrap();
        let listing = core.records().unwrap();
        assert_eq!(listing.records.len(), 2);
        assert_eq!(listing.damaged, vec![format!("records/{target}")]);
        drop(core);
        flip(&fixture.dir, "records", "sealed", "id", &target, index);
    }
    let core = open(&fixture.dir, &fixture.authority, clock("2026-11-21"));
    assert_eq!(core.records().unwrap().records.len(), 3);
}

#[test]
fn every_flipped_byte_of_the_canary_or_wrapped_store_key_is_corrupt() {
    let fixture = fixture();
    for name in ["canary", "store_key", "canary_digest", "store_key_digest"] {
        let len = blob_len(&fixture.dir, "meta", "value", "name", &name);
        for index in 0..len {
            flip(&fixture.dir, "meta", "value", "name", &name, index);
            match SelfReport::open(
                &fixture.dir,
                &key_source(1),
                options(&fixture.authority, clock("2026-11-21")),
            ) {
                Err(Error::Corrupt { record }) => {
                    assert_eq!(record, name.trim_end_matches("_digest"), "byte {index}")
                }
                other => panic!("{name} byte {index}: expected Corrupt, got {other:?}"),
            }
            flip(&fixture.dir, "meta", "value", "name", &name, index);
        }
    }
    open(&fixture.dir, &fixture.authority, clock("2026-11-21"));
}

#[test]
fn every_flipped_byte_of_a_page_of_epoch_keys_is_corrupt_for_its_records_only() {
    let fixture = fixture();
    // A record 40 days on, so that its key is in another page.
    let later = {
        let core = open(&fixture.dir, &fixture.authority, clock("2026-12-30"));
        core.save_record(
            &fixture.profiles[1],
            POLICY_ID,
            "daily",
            None,
            Answers::new().text("temperature", "36.6"),
        )
        .unwrap()
        .id
    };
    let conn = db(&fixture.dir);
    let epoch_of = |id: &str| -> i64 {
        conn.query_row("SELECT epoch FROM records WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .unwrap()
    };
    let epochs: Vec<i64> = fixture
        .records
        .iter()
        .map(|id| epoch_of(id.as_str()))
        .collect();
    let page = epochs[2].div_euclid(32);
    assert_ne!(epoch_of(later.as_str()).div_euclid(32), page);
    drop(conn);
    let name = format!("epoch_page/{page}");
    let len = blob_len(&fixture.dir, "meta", "value", "name", &name);
    for index in 0..len {
        flip(&fixture.dir, "meta", "value", "name", &name, index);
        let core = open(&fixture.dir, &fixture.authority, clock("2026-12-30"));
        // Every record keyed by that page names its epoch's key.
        for (id, epoch) in fixture.records.iter().zip(&epochs) {
            match core.record(id) {
                Err(Error::Corrupt { record }) if epoch.div_euclid(32) == page => {
                    assert_eq!(record, format!("epoch_key:{epoch}"), "byte {index}")
                }
                Ok(_) if epoch.div_euclid(32) != page => {}
                other => panic!("byte {index}, epoch {epoch}: got {other:?}"),
            }
        }
        // A listing reports them as damaged and still returns the others.
        let listing = core.records().unwrap();
        let keyed_elsewhere = epochs.iter().filter(|e| e.div_euclid(32) != page).count();
        assert_eq!(listing.records.len(), 1 + keyed_elsewhere, "byte {index}");
        assert_eq!(listing.damaged.len(), epochs.len() - keyed_elsewhere);
        assert!(
            listing
                .records
                .iter()
                .any(|stored| stored.record.id == later)
        );
        // Records of other pages and the standing rows still read.
        core.record(&later).unwrap();
        assert_eq!(core.profiles().unwrap().len(), 2);
        drop(core);
        flip(&fixture.dir, "meta", "value", "name", &name, index);
    }
}

#[test]
fn a_row_moved_to_another_id_does_not_open() {
    let fixture = fixture();
    let conn = db(&fixture.dir);
    let sealed: Vec<u8> = conn
        .query_row(
            "SELECT sealed FROM records WHERE id = ?1",
            [fixture.records[0].as_str()],
            |row| row.get(0),
        )
        .unwrap();
    conn.execute(
        "UPDATE records SET sealed = ?1 WHERE id = ?2",
        rusqlite::params![sealed, fixture.records[1].as_str()],
    )
    .unwrap();
    drop(conn);
    let core = open(&fixture.dir, &fixture.authority, clock("2026-11-21"));
    assert!(matches!(
        core.record(&fixture.records[1]),
        Err(Error::Corrupt { .. })
    ));
    core.record(&fixture.records[0]).unwrap();
}

#[test]
fn purge_deletes_records_and_shreds_their_epoch_keys_from_every_file() {
    let fixture = fixture();
    let conn = db(&fixture.dir);
    let mut statement = conn
        .prepare(
            "SELECT r.sealed, p.value FROM records r
             JOIN meta p ON p.name = 'epoch_page/' || (r.epoch / 32)",
        )
        .unwrap();
    let purged: Vec<(Vec<u8>, Vec<u8>)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(statement);
    drop(conn);
    assert_eq!(purged.len(), 3);
    let needles: Vec<Vec<u8>> = purged
        .iter()
        .flat_map(|(sealed, page)| [sealed[13..45].to_vec(), page[13..45].to_vec()])
        .collect();
    assert!(
        !find_in_files(&fixture.dir, &needles).is_empty(),
        "the scan must see live data"
    );

    // The day before retention ends for the first records, nothing is purged.
    let clock = clock("2026-12-17");
    let core = open(&fixture.dir, &fixture.authority, clock.clone());
    let report = core.purge(None).unwrap();
    assert_eq!(report.records, 0);
    // 28 days after the last record, everything dated is gone.
    clock.advance_days(4);
    let report = core.purge(None).unwrap();
    assert_eq!(report.records, 3);
    assert!(report.epoch_keys >= 2);
    assert!(core.records().unwrap().records.is_empty());
    // The monitoring period (2026-11-20 + 14 days) is kept 28 days after its last day.
    assert_eq!(report.monitoring_periods, 0);
    assert_eq!(core.monitoring_periods().unwrap().len(), 1);
    clock.advance_days(10);
    assert_eq!(core.purge(None).unwrap().monitoring_periods, 1);
    assert!(core.monitoring_periods().unwrap().is_empty());
    assert_eq!(
        core.profiles().unwrap().len(),
        2,
        "profiles are not dated data"
    );
    let found = find_in_files(&fixture.dir, &needles);
    assert!(found.is_empty(), "purged bytes found while open: {found:?}");
    drop(core);
    let found = find_in_files(&fixture.dir, &needles);
    assert!(
        found.is_empty(),
        "purged bytes found after close: {found:?}"
    );
    // No key of an expired epoch is left. Keys made ahead for days still to come (they
    // seal nothing yet) stay until their own day.
    let conn = db(&fixture.dir);
    let purged_through = selfreport_core::clock::day_number(date("2026-12-31"));
    // No page all of whose days have expired is left (the standing page 0 is not dated).
    let expired_pages: i64 = conn
        .query_row(
            "SELECT count(*) FROM meta WHERE name LIKE 'epoch!_page/%' ESCAPE '!'
             AND CAST(substr(name, 12) AS INTEGER) BETWEEN 1 AND ?1 / 32 - 1",
            [purged_through],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(expired_pages, 0);
    let sealing: i64 = conn
        .query_row("SELECT count(*) FROM records WHERE epoch > 0", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(sealing, 0);
}

#[test]
fn rekey_then_only_the_new_passphrase_opens() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("store");
    let authority = Authority::new();
    let core = SelfReport::create(
        &dir,
        &passphrase("old"),
        options(&authority, clock("2026-11-20")),
    )
    .unwrap();
    let id = core
        .add_profile(NewProfile {
            display_name: "Me".into(),
            ..NewProfile::default()
        })
        .unwrap();
    core.change_key(&passphrase("new")).unwrap();
    drop(core);
    assert!(matches!(
        SelfReport::open(
            &dir,
            &passphrase("old"),
            options(&authority, clock("2026-11-20"))
        ),
        Err(Error::WrongKey)
    ));
    let core = SelfReport::open(
        &dir,
        &passphrase("new"),
        options(&authority, clock("2026-11-20")),
    )
    .unwrap();
    assert_eq!(core.profiles().unwrap()[0].id, id);
}

#[test]
fn erase_leaves_no_file_behind() {
    let fixture = fixture();
    let core = open(&fixture.dir, &fixture.authority, clock("2026-11-21"));
    core.erase().unwrap();
    assert!(!fixture.dir.exists());
    assert!(!SelfReport::exists(&fixture.dir));
    let _ = &fixture.profiles;
}

/// A database file cut short (a copy interrupted, a disk full) opens to a typed error or,
/// when the cut leaves a shorter but consistent database, to readable data; never a panic
/// and never data that fails its checks silently. Each cut is tried on a fresh copy.
#[test]
fn a_truncated_database_file_is_a_typed_error_never_a_panic() {
    let f = fixture();
    let db_path = f.dir.join(DB_FILE);
    // Fold the WAL into the database so the file alone holds everything.
    db(&f.dir)
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let original = std::fs::read(&db_path).unwrap();
    let page = 4096;
    let mut cuts = vec![0, 1, 16, 99, 100, 512, page - 1, page, page + 1];
    cuts.extend((2..original.len() / page).map(|pages| pages * page));
    cuts.extend([original.len() / 2, original.len() - 1]);
    for cut in cuts {
        let copy = tempfile::tempdir().unwrap();
        let dir = copy.path().join("store");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(DB_FILE), &original[..cut]).unwrap();
        let opened = SelfReport::open(
            &dir,
            &key_source(1),
            options(&f.authority, clock("2026-11-20")),
        );
        match opened {
            Err(error) => assert!(
                matches!(error, Error::Corrupt { .. } | Error::NotInitialized { .. }),
                "cut at {cut}: unexpected {error:?}"
            ),
            Ok(core) => {
                // Whatever opens must still answer with checked data or typed errors.
                if let Err(error) = core.records() {
                    assert!(
                        matches!(error, Error::Corrupt { .. }),
                        "cut at {cut}: unexpected {error:?}"
                    );
                }
            }
        }
    }
}
