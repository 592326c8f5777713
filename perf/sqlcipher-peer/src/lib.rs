//! The plaintext workload of selfreport's store benchmark (`core/benches/store.rs`), run
//! on rusqlite's SQLCipher build.
//!
//! This crate cannot link `selfreport-core` (its plain SQLite build would unify with
//! SQLCipher's), so it reads the workload the core benchmark writes when
//! `SELFREPORT_PEER_WORKLOAD` is set: the plaintext schema (the store's own, less the epoch
//! keys), the 90 records the read groups use as their exact JSON, and the dates, ids and
//! values the saves use. [`Record`] mirrors the core's record type field for field and
//! [`Workload::load`] checks that every exported record decodes and encodes back to the
//! very same bytes, so the JSON work here is the core's.
//!
//! Every function mirrors its counterpart in the core benchmark: [`connection`] is
//! `plain_connection` (with the key first when there is one), [`save`] is `plain_save`,
//! [`copy_records`] is `plain_copy` and [`records_of_profile`] is
//! `plain_records_of_profile`. The only difference between the `plaintext` and the
//! `sqlcipher` lines is the `PRAGMA key` ([`Key`]): SQLCipher without a key is the SQLite
//! it is built on (3.46.1 here), with no codec attached.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// The workload file names the core benchmark writes.
pub const SCHEMA_FILE: &str = "schema.sql";
/// One record's JSON per line.
pub const RECORDS_FILE: &str = "records.jsonl";
/// Dates, ids and values.
pub const WORKLOAD_FILE: &str = "workload.json";

/// A random id: 32 lowercase hex characters (the core's `RecordId`, `ProfileId`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Id(String);

impl Id {
    /// 16 bytes from the operating system's random generator, as the core draws them.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("random bytes");
        Self(hex(&bytes))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Id {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let valid = text.len() == 32
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if valid {
            Ok(Self(text))
        } else {
            Err(format!("not an id: {text:?}"))
        }
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One leg of a travel history (the core's `TravelLeg`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TravelLeg {
    /// District code.
    pub place: String,
    /// First day there.
    pub from: NaiveDate,
    /// Last day there.
    pub to: NaiveDate,
}

/// A field's value, with the core's `FieldValue` serde form: `{"type": ..., "value": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value")]
#[allow(missing_docs)]
pub enum FieldValue {
    #[serde(rename = "yes_no")]
    YesNo(bool),
    #[serde(rename = "choice")]
    Choice(String),
    #[serde(rename = "multi_choice")]
    MultiChoice(Vec<String>),
    #[serde(rename = "temperature_tenths_c")]
    Temperature(i32),
    #[serde(rename = "integer")]
    Integer(i64),
    #[serde(rename = "date")]
    Date(NaiveDate),
    #[serde(rename = "district")]
    District(String),
    #[serde(rename = "travel_history")]
    TravelHistory(Vec<TravelLeg>),
    #[serde(rename = "person_name")]
    PersonName(String),
    #[serde(rename = "resident_id")]
    ResidentId(String),
    #[serde(rename = "passport_number")]
    PassportNumber(String),
    #[serde(rename = "phone")]
    Phone(String),
    #[serde(rename = "transport_number")]
    TransportNumber(String),
    #[serde(rename = "text")]
    Text(String),
}

/// A saved record, field for field the core's `Record`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Random id.
    pub id: Id,
    /// Whose record it is.
    pub profile_id: Id,
    /// The policy.
    pub policy_id: String,
    /// Its version.
    pub policy_version: u64,
    /// The form.
    pub form_id: String,
    /// The day it reports on.
    pub date: NaiveDate,
    /// The values, by field id.
    pub values: BTreeMap<String, FieldValue>,
    /// 1 for a first record.
    pub revision: u32,
    /// The record it amends.
    pub amends: Option<Id>,
    /// When it was saved.
    pub saved_at: DateTime<FixedOffset>,
}

/// A record's outbox state (the core's `OutboxState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Saved, not queued.
    Saved,
    /// Queued for upload.
    Queued,
    /// Sent.
    Sent,
}

fn parse_state(text: &str) -> Option<State> {
    match text {
        "saved" => Some(State::Saved),
        "queued" => Some(State::Queued),
        "sent" => Some(State::Sent),
        _ => None,
    }
}

/// A record with its state (the core's `StoredRecord`).
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// The record.
    pub record: Record,
    /// Its state.
    pub state: State,
}

/// What a read returns (the core's `RecordListing`).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Records, by date, profile, form and revision.
    pub records: Vec<StoredRecord>,
    /// Rows that did not decode.
    pub damaged: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct WorkloadFile {
    today: NaiveDate,
    month_start: NaiveDate,
    oldest_save_date: NaiveDate,
    retention_days: u32,
    policy_id: String,
    policy_version: u64,
    form_id: String,
    user_version: i64,
    profiles: Vec<Id>,
    save_profile_id: Id,
    save_values: BTreeMap<String, FieldValue>,
    saved_at: DateTime<FixedOffset>,
    passphrase: String,
}

/// The core benchmark's plaintext workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The plaintext schema, ending with its `PRAGMA user_version`.
    pub schema: String,
    /// The records of the read groups: 30 days for each of three profiles.
    pub records: Vec<Record>,
    /// The benchmark's today: saves count up to it, reads end on it.
    pub today: NaiveDate,
    /// The first day of the month the reads ask for.
    pub month_start: NaiveDate,
    /// The first date a fresh save database uses.
    pub oldest_save_date: NaiveDate,
    /// Device retention, days (the `epoch` column is the day retention ends).
    pub retention_days: u32,
    /// The policy records are filed under.
    pub policy_id: String,
    /// Its version.
    pub policy_version: u64,
    /// The daily form.
    pub form_id: String,
    /// The schema version a cold open checks.
    pub user_version: i64,
    /// The three profiles of the read groups, in the core benchmark's order.
    pub profiles: Vec<Id>,
    /// The profile saves are made for.
    pub save_profile_id: Id,
    /// The values every save stores (the validated daily answers).
    pub save_values: BTreeMap<String, FieldValue>,
    /// The saved-at time every save stores.
    pub saved_at: DateTime<FixedOffset>,
    /// The passphrase the core's passphrase-keyed stores use, used here for SQLCipher's.
    pub passphrase: String,
}

impl Workload {
    /// Reads the workload the core benchmark wrote into `dir`, checking that every record
    /// encodes back to the exact bytes the core wrote.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).map_err(|error| {
                format!(
                    "{}: {error}; write the workload first with \
                     SELFREPORT_PEER_WORKLOAD={} cargo bench -p selfreport-core --bench store -- NONE \
                     in the selfreport workspace",
                    dir.join(name).display(),
                    dir.display()
                )
            })
        };
        let schema = read(SCHEMA_FILE)?;
        let mut records = Vec::new();
        for (number, line) in read(RECORDS_FILE)?.lines().enumerate() {
            let record: Record = serde_json::from_str(line)
                .map_err(|error| format!("{RECORDS_FILE} line {}: {error}", number + 1))?;
            let again = serde_json::to_string(&record).map_err(|error| error.to_string())?;
            if again != line {
                return Err(format!(
                    "{RECORDS_FILE} line {}: the mirrored record type encodes differently \
                     from the core's:\n{line}\n{again}",
                    number + 1
                ));
            }
            records.push(record);
        }
        let file: WorkloadFile = serde_json::from_str(&read(WORKLOAD_FILE)?)
            .map_err(|error| format!("{WORKLOAD_FILE}: {error}"))?;
        Ok(Self {
            schema,
            records,
            today: file.today,
            month_start: file.month_start,
            oldest_save_date: file.oldest_save_date,
            retention_days: file.retention_days,
            policy_id: file.policy_id,
            policy_version: file.policy_version,
            form_id: file.form_id,
            user_version: file.user_version,
            profiles: file.profiles,
            save_profile_id: file.save_profile_id,
            save_values: file.save_values,
            saved_at: file.saved_at,
            passphrase: file.passphrase,
        })
    }

    /// Days since 1970-01-01 of the day `date`'s retention ends: the `epoch` column.
    pub fn expiry_day(&self, date: NaiveDate) -> i64 {
        let end = date
            .checked_add_days(Days::new(u64::from(self.retention_days)))
            .expect("date in range");
        (end - DateTime::UNIX_EPOCH.date_naive()).num_days()
    }
}

/// How a connection is keyed.
#[derive(Clone)]
pub enum Key {
    /// No key: SQLCipher's SQLite without a codec, the plaintext baseline.
    None,
    /// `PRAGMA key = 'passphrase'`: SQLCipher derives the page key with its default KDF
    /// (PBKDF2-HMAC-SHA512, 256,000 iterations in SQLCipher 4) at every open.
    Passphrase(String),
    /// `PRAGMA key = "x'…'"`: a raw 256-bit key, no KDF; the counterpart of a key held by
    /// the platform key store, as selfreport's `MemoryKeySource` stands in for.
    Raw([u8; 32]),
}

impl Key {
    /// The statement that sets the key, if any.
    fn statement(&self) -> Option<String> {
        match self {
            Key::None => None,
            Key::Passphrase(passphrase) => Some(format!(
                "PRAGMA key = '{}';",
                passphrase.replace('\'', "''")
            )),
            Key::Raw(bytes) => Some(format!("PRAGMA key = \"x'{}'\";", hex(bytes))),
        }
    }
}

/// Opens a database with the core store's connection settings (`plain_connection` in
/// the core benchmark): the key first, as SQLCipher requires, then the same pragmas.
pub fn connection(path: &Path, create: bool, key: &Key) -> Connection {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).expect("open database");
    if let Some(statement) = key.statement() {
        conn.execute_batch(&statement).expect("key");
    }
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

/// Creates a database at `path` with the workload's schema.
pub fn create(path: &Path, schema: &str, key: &Key) -> Connection {
    let conn = connection(path, true, key);
    conn.execute_batch(schema).expect("schema");
    conn
}

/// The schema version, as a cold open checks it.
pub fn user_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("schema version")
}

/// Whether the file at `path` starts with SQLite's plaintext header.
pub fn has_plaintext_header(path: &Path) -> bool {
    std::fs::read(path)
        .map(|bytes| bytes.starts_with(b"SQLite format 3\0"))
        .unwrap_or(false)
}

/// The plaintext slot index: the slot's parts themselves (`plain_slot`).
pub fn slot(profile: &Id, policy_id: &str, form_id: &str, date: NaiveDate) -> Vec<u8> {
    format!("{profile}\u{1f}{policy_id}\u{1f}{form_id}\u{1f}day:{date}").into_bytes()
}

type Row = (String, i64, String, Vec<u8>);

/// Saves a daily record as `plain_save` does: the slot's latest row, then an insert, in
/// one committed transaction.
pub fn save(
    conn: &mut Connection,
    workload: &Workload,
    profile: &Id,
    date: NaiveDate,
    values: BTreeMap<String, FieldValue>,
) -> Id {
    let slot = slot(profile, &workload.policy_id, &workload.form_id, date);
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
        id: Id::random(),
        profile_id: profile.clone(),
        policy_id: workload.policy_id.clone(),
        policy_version: workload.policy_version,
        form_id: workload.form_id.clone(),
        date,
        values,
        revision: 1,
        amends: None,
        saved_at: workload.saved_at,
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
        workload.expiry_day(date),
        profile.as_str().as_bytes(),
        slot,
        record.revision,
        json
    ])
    .expect("insert");
    tx.commit().expect("commit");
    record.id
}

/// Inserts the workload's records as `plain_copy` does: the very same JSON.
pub fn copy_records(conn: &Connection, workload: &Workload) {
    for record in &workload.records {
        let json = serde_json::to_vec(record).expect("encode record");
        conn.execute(
            "INSERT INTO records (id, kind, epoch, state, profile_idx, slot_idx, revision, sealed)
             VALUES (?1, 'day', ?2, 'saved', ?3, ?4, ?5, ?6)",
            params![
                record.id.as_str(),
                workload.expiry_day(record.date),
                record.profile_id.as_str().as_bytes(),
                slot(
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

/// `plain_records_of_profile`: the same query, decoding, checks, order and date filter.
pub fn records_of_profile(
    conn: &Connection,
    profile: &Id,
    from: NaiveDate,
    to: NaiveDate,
) -> Listing {
    let rows: Vec<Row> = conn
        .prepare_cached("SELECT id, epoch, state, sealed FROM records WHERE profile_idx = ?1")
        .expect("prepare")
        .query_map([profile.as_str().as_bytes()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let mut out = Listing::default();
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

/// SQLCipher's settings on a keyed connection, as `name = value` pairs, for the report.
pub fn cipher_settings(conn: &Connection) -> Vec<(String, String)> {
    let mut settings = Vec::new();
    for name in [
        "cipher_version",
        "cipher_provider",
        "cipher_provider_version",
        "cipher_page_size",
        "kdf_iter",
        "cipher_kdf_algorithm",
        "cipher_hmac_algorithm",
        "cipher_memory_security",
    ] {
        let value: Option<String> = conn
            .query_row(&format!("PRAGMA {name}"), [], |row| {
                row.get_ref(0).map(|value| match value {
                    rusqlite::types::ValueRef::Integer(number) => number.to_string(),
                    rusqlite::types::ValueRef::Text(text) => {
                        String::from_utf8_lossy(text).into_owned()
                    }
                    other => format!("{other:?}"),
                })
            })
            .optional()
            .ok()
            .flatten();
        settings.push((name.to_owned(), value.unwrap_or_else(|| "?".to_owned())));
    }
    let version: String = conn
        .query_row("SELECT sqlite_version()", [], |row| row.get(0))
        .expect("sqlite_version");
    settings.push(("sqlite_version".to_owned(), version));
    settings
}
