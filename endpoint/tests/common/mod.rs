//! Shared setup for the drop box and `open` tests: the authority's keys, a test CA and
//! server certificate made with rcgen, a signed policy naming the loopback endpoint, an
//! in-process drop box, a reqwest client trusting the test CA (rustls on ring), and
//! device-side sealing with the core (minimize + ring HPKE). The tests that spawn drop box
//! processes also declare `common/deployment.rs` (it names this package's binary, so it is
//! not part of this module, which the console's tests reuse).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, FixedOffset, NaiveDate};
use rustls::ClientConfig;
use rustls::crypto::ring;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::crypto::{hpke_seal, submission_info};
use selfreport_core::minimize::{Disclosure, minimize, padded_size};
use selfreport_core::model::{FieldValue, Profile, ProfileId, Record, RecordId, Temperature};
use selfreport_core::policy::{PolicyDocument, parse_policy_document, sign_policy};
use selfreport_core::sync::wire::{
    ErrorReply, SEALED_FORMAT, SealedPart, SealedSubmission, deletion_hash,
};
use selfreport_endpoint::dropbox::{
    AccessLog, Database, DropBox, PostgresConfig, RunningDropBox, server_config,
};
use selfreport_endpoint::keyfile::read_signing_key;
use selfreport_endpoint::{KeygenOutput, keygen};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The daily-report example, with the identity recipient on AES-128-GCM and an extra
/// optional temperature rounded to 0.5.
const DAILY: &[u8] = include_bytes!("../../../examples/policies/daily-report.json");

/// The record date used throughout.
pub const DATE: &str = "2026-11-28";

/// The authority's key directory.
pub struct Authority {
    pub dir: TempDir,
    pub keys: KeygenOutput,
}

impl Authority {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen(&dir.path().join("keys")).unwrap();
        Self { dir, keys }
    }

    pub fn recipient_key_path(&self, name: &str) -> PathBuf {
        self.keys
            .recipients
            .iter()
            .find(|recipient| recipient.name == name)
            .unwrap()
            .key_path
            .clone()
    }

    /// The policy document naming `endpoint_url`, this authority's receipt key and
    /// recipient keys.
    pub fn policy_json(&self, endpoint_url: &str) -> Value {
        let mut policy = self.policy_from(DAILY, endpoint_url);
        policy["recipients"]["identity"]["suite"] = json!("x25519-sha256-aes128gcm");
        policy["forms"][0]["fields"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "id": "temperature_rounded", "kind": "temperature_c", "required": false,
                "upload": {"round": 0.5}, "to": "health",
                "label": {"zh": "体温（取整）", "en": "Temperature (rounded)"}
            }));
        policy
    }

    /// The policy document `template` (JSON bytes) naming `endpoint_url`, this
    /// authority's receipt key and recipient keys, and nothing else changed.
    pub fn policy_from(&self, template: &[u8], endpoint_url: &str) -> Value {
        let mut policy: Value = serde_json::from_slice(template).unwrap();
        policy["endpoint"]["url"] = json!(endpoint_url);
        policy["endpoint"]["receipt_key"] = json!(self.keys.receipt_public_key_base64);
        for recipient in &self.keys.recipients {
            policy["recipients"][&recipient.name]["public_key"] =
                json!(recipient.public_key_base64);
        }
        policy
    }

    /// `policy` signed with this authority's signing key.
    pub fn sign(&self, policy: &Value) -> Vec<u8> {
        let key = read_signing_key(&self.keys.signing_key_path).unwrap();
        sign_policy(&key, &serde_json::to_vec_pretty(policy).unwrap()).unwrap()
    }

    pub fn receipt_key(&self) -> SigningKey {
        read_signing_key(&self.keys.receipt_key_path).unwrap()
    }

    pub fn receipt_public_key(&self) -> [u8; 32] {
        self.receipt_key().public_key()
    }
}

/// A private test CA and a server certificate for 127.0.0.1 and localhost.
pub struct TestTls {
    pub ca: CertificateDer<'static>,
    pub chain: Vec<CertificateDer<'static>>,
    pub key_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
    /// The leaf's SPKI SHA-256 in standard base64: what a policy pins.
    pub pin: String,
}

impl TestTls {
    pub fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "selfreport test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        Self {
            ca: ca.der().clone(),
            chain: vec![leaf.der().clone()],
            key_der: leaf_key.serialize_der(),
            cert_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
            pin: STANDARD.encode(selfreport_core::crypto::sha256(&leaf_key.public_key_der())),
        }
    }

    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        server_config(
            self.chain.clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
        )
        .unwrap()
    }

    /// A reqwest client trusting only the test CA, on rustls with ring's provider.
    pub fn client(&self) -> reqwest::Client {
        self.client_builder().build().unwrap()
    }

    /// As [`TestTls::client`], giving up on a request after `timeout`.
    pub fn client_with_timeout(&self, timeout: std::time::Duration) -> reqwest::Client {
        self.client_builder().timeout(timeout).build().unwrap()
    }

    /// As [`TestTls::client`], connecting from `source` (any 127.0.0.0/8 address on
    /// Linux's loopback), as another device would.
    pub fn client_from(&self, source: std::net::IpAddr) -> reqwest::Client {
        self.client_builder().local_address(source).build().unwrap()
    }

    fn client_builder(&self) -> reqwest::ClientBuilder {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.clone()).unwrap();
        let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        reqwest::Client::builder().use_preconfigured_tls(config)
    }
}

/// Runs each named `async fn NAME(backend: Backend)` of the test file as two tests,
/// `NAME::sqlite` and `NAME::postgres` (see [`postgres_or_skip`]).
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(crate::common::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if crate::common::postgres_or_skip() {
                        super::$name(crate::common::Backend::Postgres).await
                    }
                }
            }
        )*
    };
}

/// Which store a test's drop box uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The variable naming the PostgreSQL server the tests use: a superuser's URL
/// (`./scripts/test` starts a throwaway cluster and sets it).
pub const POSTGRES_URL_VARIABLE: &str = "SELFREPORT_TEST_POSTGRES_URL";

/// The variable naming the PEM CA certificate of that server's TLS certificate.
pub const POSTGRES_CA_VARIABLE: &str = "SELFREPORT_TEST_POSTGRES_CA";

/// Whether the PostgreSQL tests can run: true when [`POSTGRES_URL_VARIABLE`] is set.
/// Without it, under CI (`CI=true`) the test fails; elsewhere it says loudly that it is
/// skipped and passes.
pub fn postgres_or_skip() -> bool {
    if std::env::var_os(POSTGRES_URL_VARIABLE).is_some() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|value| value == "true") {
        panic!(
            "{POSTGRES_URL_VARIABLE} is not set under CI: the PostgreSQL suite must run \
             (./scripts/test starts a cluster and sets it)"
        );
    }
    // Straight to the process's stderr: the test harness captures `eprintln!` of tests
    // that pass, and this must be seen. Once per test binary.
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: the PostgreSQL tests of this binary — {POSTGRES_URL_VARIABLE} is \
             not set. Run ./scripts/test, or start a cluster with scripts/postgres-cluster \
             and export what it prints. ***\n"
        );
    });
    false
}

/// A database of its own for one test.
pub enum TestDatabase {
    Sqlite {
        path: PathBuf,
        _dir: TempDir,
    },
    Postgres {
        /// A superuser's URL for this test's database.
        url: String,
        /// One connection for the test's queries, made at first use (each new one pays
        /// a SCRAM login).
        client: tokio::sync::OnceCell<tokio_postgres::Client>,
    },
}

/// A stored submission, as both backends keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub body: Vec<u8>,
    pub body_sha256: String,
    pub received_at: String,
    pub receipt: Vec<u8>,
}

impl TestDatabase {
    /// A new, empty database: a file in a temporary directory, or a database created
    /// on the server of [`POSTGRES_URL_VARIABLE`] under a random name.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                Self::Sqlite {
                    path: dir.path().join("dropbox.db"),
                    _dir: dir,
                }
            }
            Backend::Postgres => Self::postgres(new_postgres_database().await),
        }
    }

    /// The PostgreSQL database at `url`.
    pub fn postgres(url: String) -> Self {
        Self::Postgres {
            url,
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// A connection to the PostgreSQL database (panics for SQLite).
    pub async fn client(&self) -> &tokio_postgres::Client {
        match self {
            Self::Postgres { url, client } => client.get_or_init(|| postgres_client(url)).await,
            Self::Sqlite { .. } => panic!("not a PostgreSQL database"),
        }
    }

    /// The database as the drop box takes it.
    pub fn database(&self) -> Database {
        match self {
            Self::Sqlite { path, .. } => Database::Sqlite(path.clone()),
            Self::Postgres { url, .. } => Database::parse(url).unwrap(),
        }
    }

    /// What `--db` takes for it.
    pub fn argument(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => path.display().to_string(),
            Self::Postgres { url, .. } => url.clone(),
        }
    }

    /// The SQLite file (panics for PostgreSQL).
    pub fn path(&self) -> &Path {
        match self {
            Self::Sqlite { path, .. } => path,
            Self::Postgres { .. } => panic!("not a SQLite database"),
        }
    }

    pub async fn count(&self) -> i64 {
        match self {
            Self::Sqlite { path, .. } => rusqlite::Connection::open(path)
                .unwrap()
                .query_row("SELECT count(*) FROM submissions", [], |row| row.get(0))
                .unwrap(),
            Self::Postgres { .. } => self
                .client()
                .await
                .query_one("SELECT count(*) FROM submissions", &[])
                .await
                .unwrap()
                .get(0),
        }
    }

    /// The row stored under `id`, if any.
    pub async fn row(&self, id: &str) -> Option<StoredRow> {
        const QUERY: &str = "SELECT body, body_sha256, received_at, receipt FROM submissions";
        match self {
            Self::Sqlite { path, .. } => {
                let connection = rusqlite::Connection::open(path).unwrap();
                let mut statement = connection
                    .prepare(&format!("{QUERY} WHERE id = ?1"))
                    .unwrap();
                let mut rows = statement.query([id]).unwrap();
                rows.next().unwrap().map(|row| StoredRow {
                    body: row.get(0).unwrap(),
                    body_sha256: row.get(1).unwrap(),
                    received_at: row.get(2).unwrap(),
                    receipt: row.get(3).unwrap(),
                })
            }
            Self::Postgres { .. } => self
                .client()
                .await
                .query_opt(&format!("{QUERY} WHERE id = $1"), &[&id])
                .await
                .unwrap()
                .map(|row| StoredRow {
                    body: row.get(0),
                    body_sha256: row.get(1),
                    received_at: row.get(2),
                    receipt: row.get(3),
                }),
        }
    }
}

/// A client for `url` over plain TCP (the tests' server is on loopback), its connection
/// driven by a task of the current runtime.
pub async fn postgres_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Creates a database with a random name on the server of [`POSTGRES_URL_VARIABLE`];
/// returns its URL.
pub async fn new_postgres_database() -> String {
    let server = std::env::var(POSTGRES_URL_VARIABLE).unwrap();
    let name = format!("dropbox_test_{}", random_hex_id());
    postgres_client(&server)
        .await
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let config: tokio_postgres::Config = server.parse().unwrap();
    let base = server.split('?').next().unwrap();
    let without_db = match config.get_dbname() {
        Some(db) => base.strip_suffix(db).unwrap().trim_end_matches('/'),
        None => base.trim_end_matches('/'),
    };
    format!("{without_db}/{name}")
}

/// The expiry-day partitions of a PostgreSQL test database, in order.
pub async fn postgres_partitions(db: &TestDatabase) -> Vec<String> {
    db.client()
        .await
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'submissions'::regclass ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// The PostgreSQL settings for `url`.
pub fn postgres_config(url: &str) -> PostgresConfig {
    match Database::parse(url).unwrap() {
        Database::Postgres(config) => config,
        Database::Sqlite(_) => panic!("not a PostgreSQL URL"),
    }
}

/// A drop box running in this test's runtime, with everything needed to talk to it.
pub struct TestDropBox {
    pub authority: Authority,
    pub tls: TestTls,
    pub running: RunningDropBox,
    /// `https://127.0.0.1:PORT/v1`.
    pub url: String,
    pub db: TestDatabase,
    pub envelope: Vec<u8>,
    pub policy: PolicyDocument,
    pub log: Arc<Mutex<Vec<String>>>,
    pub client: reqwest::Client,
}

impl TestDropBox {
    /// Starts a drop box on 127.0.0.1:0 storing into a new database of `backend`;
    /// `configure` adjusts it before it serves.
    pub async fn start(backend: Backend, configure: impl FnOnce(DropBox) -> DropBox) -> Self {
        Self::start_with(backend, Authority::policy_json, configure).await
    }

    /// As [`TestDropBox::start`], under the policy `policy(authority, endpoint_url)`.
    pub async fn start_with(
        backend: Backend,
        policy: impl FnOnce(&Authority, &str) -> Value,
        configure: impl FnOnce(DropBox) -> DropBox,
    ) -> Self {
        let authority = Authority::new();
        let tls = TestTls::new();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}/v1", listener.local_addr().unwrap());
        let mut policy_json = policy(&authority, &url);
        // The drop box's own certificate pinned, so a real device can sync to it.
        policy_json["endpoint"]["spki_sha256"] = json!([tls.pin]);
        let envelope = authority.sign(&policy_json);
        let policy = parse_policy_document(&serde_json::to_vec(&policy_json).unwrap()).unwrap();
        let db = TestDatabase::new(backend).await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let drop_box = DropBox::new(&envelope, authority.receipt_key(), db.database())
            .unwrap()
            .with_access_log(AccessLog::to(move |line| {
                sink.lock().unwrap().push(line.to_owned())
            }));
        let running = configure(drop_box)
            .serve(listener, tls.server_config())
            .await
            .unwrap();
        assert_eq!(running.endpoint_url(), url);
        let client = tls.client();
        Self {
            authority,
            tls,
            running,
            url,
            db,
            envelope,
            policy,
            log,
            client,
        }
    }

    pub async fn post(&self, body: &[u8]) -> reqwest::Response {
        self.client
            .post(format!("{}/submissions", self.url))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, id: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.delete(format!("{}/submissions/{id}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub async fn stored_count(&self) -> i64 {
        self.db.count().await
    }

    /// The row stored under `id`, if any.
    pub async fn stored(&self, id: &str) -> Option<StoredRow> {
        self.db.row(id).await
    }
}

/// A sealed submission with the device's deletion token.
pub struct Sealed {
    pub submission: SealedSubmission,
    pub body: Vec<u8>,
    pub token: String,
}

impl Sealed {
    pub fn id(&self) -> &str {
        &self.submission.submission_id
    }
}

/// 32 random lowercase hex characters.
pub fn random_hex_id() -> String {
    selfreport_core::sync::wire::hex(&selfreport_core::crypto::random_id().unwrap())
}

/// A fresh deletion token: 32 random bytes, base64url without padding.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(selfreport_core::crypto::random_array::<32>().unwrap())
}

/// Seals `plaintexts` (recipient → bytes) the way the device does (ring HPKE, the
/// contract's `info` and `aad`) into a submission under `policy`.
pub fn seal(policy: &PolicyDocument, id: &str, plaintexts: &BTreeMap<String, Vec<u8>>) -> Sealed {
    seal_with(policy, id, plaintexts, |_, _, _| {})
}

/// As [`seal`], letting `tamper(recipient, &mut info, &mut aad)` change what is bound.
pub fn seal_with(
    policy: &PolicyDocument,
    id: &str,
    plaintexts: &BTreeMap<String, Vec<u8>>,
    mut tamper: impl FnMut(&str, &mut Vec<u8>, &mut Vec<u8>),
) -> Sealed {
    let token = random_token();
    let parts = plaintexts
        .iter()
        .map(|(recipient, plaintext)| {
            let entry = &policy.recipients[recipient];
            let public: [u8; 32] = STANDARD
                .decode(&entry.public_key)
                .unwrap()
                .try_into()
                .unwrap();
            let mut info = submission_info(&policy.id, policy.version, recipient);
            let mut aad = id.as_bytes().to_vec();
            tamper(recipient, &mut info, &mut aad);
            let sealed = hpke_seal(&entry.suite, &public, &info, &aad, plaintext).unwrap();
            SealedPart {
                to: recipient.clone(),
                enc: STANDARD.encode(sealed.enc),
                ct: STANDARD.encode(&sealed.ct),
            }
        })
        .collect();
    let submission = SealedSubmission {
        format: SEALED_FORMAT.to_owned(),
        policy_id: policy.id.clone(),
        policy_version: policy.version,
        submission_id: id.to_owned(),
        deletion_hash: deletion_hash(&token),
        parts,
    };
    let body = submission.to_body();
    Sealed {
        submission,
        body,
        token,
    }
}

/// A profile as the device holds it.
pub fn profile(name: &str) -> Profile {
    Profile {
        id: ProfileId::from_random_bytes([1; 16]),
        display_name: "me".to_owned(),
        name: Some(name.to_owned()),
        id_number: None,
        phone: Some("+8613800138000".to_owned()),
        birth_date: NaiveDate::from_ymd_opt(1990, 1, 1),
        passport_number: None,
    }
}

/// A record of `form` dated [`DATE`] holding `values`, as the device holds it.
pub fn record(
    profile: &Profile,
    policy: &PolicyDocument,
    form: &str,
    values: BTreeMap<String, FieldValue>,
) -> Record {
    Record {
        id: RecordId::from_random_bytes([3; 16]),
        profile_id: profile.id.clone(),
        policy_id: policy.id.clone(),
        policy_version: policy.version,
        form_id: form.to_owned(),
        date: NaiveDate::parse_from_str(DATE, "%Y-%m-%d").unwrap(),
        values,
        revision: 1,
        amends: None,
        saved_at: DateTime::<FixedOffset>::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap(),
    }
}

/// A daily record as the device holds it.
pub fn daily_record(profile: &Profile, policy: &PolicyDocument, tenths: i32) -> Record {
    let values = BTreeMap::from([
        (
            "temperature".to_owned(),
            FieldValue::Temperature(Temperature::from_tenths(tenths)),
        ),
        (
            "temperature_rounded".to_owned(),
            FieldValue::Temperature(Temperature::from_tenths(tenths)),
        ),
        (
            "symptoms".to_owned(),
            FieldValue::MultiChoice(vec!["fatigue".to_owned(), "cough".to_owned()]),
        ),
        (
            "district".to_owned(),
            FieldValue::District("420106".to_owned()),
        ),
        ("contact_with_case".to_owned(), FieldValue::YesNo(false)),
        (
            "notes".to_owned(),
            FieldValue::Text("NOTES-CANARY never leaves".to_owned()),
        ),
    ]);
    Record {
        id: RecordId::from_random_bytes([2; 16]),
        profile_id: profile.id.clone(),
        policy_id: policy.id.clone(),
        policy_version: policy.version,
        form_id: "daily".to_owned(),
        date: NaiveDate::parse_from_str(DATE, "%Y-%m-%d").unwrap(),
        values,
        revision: 1,
        amends: None,
        saved_at: DateTime::<FixedOffset>::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap(),
    }
}

/// The pseudonym used in tests.
pub const PSEUDONYM: &str = "00112233445566778899aabbccddeeff";

/// Plaintexts of a real daily report, minimized by the core as the device does.
pub fn device_plaintexts(
    policy: &PolicyDocument,
    id: &str,
    name: &str,
    tenths: i32,
) -> BTreeMap<String, Vec<u8>> {
    let profile = profile(name);
    let record = daily_record(&profile, policy, tenths);
    let disclosure = minimize(policy, &record, &profile, PSEUDONYM, id).unwrap();
    plaintexts_of(&disclosure)
}

/// Plaintexts of cover traffic made by the core.
pub fn dummy_plaintexts(policy: &PolicyDocument, id: &str) -> BTreeMap<String, Vec<u8>> {
    let date = NaiveDate::parse_from_str(DATE, "%Y-%m-%d").unwrap();
    let disclosure = Disclosure::dummy(policy, "daily", date, id, PSEUDONYM).unwrap();
    plaintexts_of(&disclosure)
}

/// The padded plaintext of each part of `disclosure`, by recipient.
pub fn plaintexts_of(disclosure: &Disclosure) -> BTreeMap<String, Vec<u8>> {
    disclosure
        .parts()
        .keys()
        .map(|recipient| {
            (
                recipient.clone(),
                disclosure.plaintext(recipient).unwrap().to_vec(),
            )
        })
        .collect()
}

/// A hand-made plaintext of the daily form for `recipient`: canonical JSON of
/// `fields` and the header, padded to the form's fixed size for that recipient.
pub fn crafted_plaintext(
    policy: &PolicyDocument,
    id: &str,
    recipient: &str,
    fields: Value,
) -> Vec<u8> {
    let value = json!({
        "date": DATE, "dummy": false, "fields": fields, "form": "daily",
        "format": "selfreport.submission/1", "policy_id": policy.id,
        "policy_version": policy.version, "pseudonym": PSEUDONYM, "submission_id": id,
    });
    let mut bytes = canonical(&value).into_bytes();
    let size = padded_size(policy, "daily", recipient).unwrap();
    assert!(bytes.len() <= size);
    bytes.resize(size, b' ');
    bytes
}

/// Canonical JSON: keys sorted, no whitespace.
pub fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| format!("{}:{}", Value::String(key.clone()), canonical(value)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// Whether `needle` occurs in any file of `dir` whose name starts with `prefix`.
pub fn files_contain(dir: &Path, prefix: &str, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let entry = entry.unwrap();
        entry.file_name().to_string_lossy().starts_with(prefix)
            && std::fs::read(entry.path())
                .unwrap()
                .windows(needle.len())
                .any(|window| window == needle)
    })
}

/// A sealed daily report with made-up plaintexts of the daily form's padded sizes (the
/// drop box cannot read them anyway, but checks their length) for the test policy: a
/// part for each recipient its daily form sends to (health and identity), as a device
/// sends it.
pub fn sealed(drop_box: &TestDropBox) -> Sealed {
    sealed_with_id(drop_box, &random_hex_id())
}

/// As [`sealed`], under the submission id `id`: sealed again under an id already used, it
/// is another body (new ephemeral keys) for that id.
pub fn sealed_with_id(drop_box: &TestDropBox, id: &str) -> Sealed {
    seal(&drop_box.policy, id, &daily_blanks(&drop_box.policy))
}

/// Plaintexts of spaces for each recipient of the daily form of `policy` (health and
/// identity), each of the form's padded size for it: what the drop box accepts.
pub fn daily_blanks(policy: &PolicyDocument) -> BTreeMap<String, Vec<u8>> {
    ["health", "identity"]
        .into_iter()
        .map(|to| {
            let size = padded_size(policy, "daily", to).unwrap();
            (to.to_owned(), vec![b' '; size])
        })
        .collect()
}

/// The error code of a drop box error reply.
pub async fn error_code(response: reqwest::Response) -> String {
    let reply: ErrorReply = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    reply.error.code
}
