//! The whole upload path on 127.0.0.1 with the real binaries: the authority's keys, a
//! test PKI, the daily-report policy pointed at a recording [`Proxy`] in front of a
//! `selfreport-endpoint serve` child process, and a store with one profile.
//!
//! [`Loopback::start_with_tokens`] sets up the same path under a `selfreport.policy/2`
//! policy with upload tokens (issue 14): the traveler policy, whose daily form needs an
//! enrollment order, an `enrolled` issuer key in its `endpoint.token_keys`, the drop box
//! serving with `--token-key` and `--trust`; [`Loopback::enroll`] enrolls a profile with a
//! collector's signed order.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::canary::Canaries;
use crate::endpoint::{EndpointConfig, EndpointProcess, database_files};
use crate::pki::{PkiFiles, TestPki};
use crate::proxy::Proxy;
use crate::{DAILY_REPORT_POLICY, Outcome, Workspace, current_policy, day, enrollment_policy};

/// The policy [`Loopback::start`] installs (the example daily report, without tokens).
pub const DAILY_POLICY_ID: &str = "sh-daily-health";

/// The policy [`Loopback::start_with_tokens`] installs (the traveler policy as
/// `selfreport.policy/2`, with upload tokens).
pub const TOKEN_POLICY_ID: &str = "sh-arrivals";

/// Days of monitoring each order [`Loopback::enroll`] signs.
pub const ORDER_DAYS: u32 = 14;

/// How many days before today each order's period starts (so reports backdated this far
/// are inside it).
pub const ORDER_STARTS_DAYS_AGO: i64 = 6;

/// The district each order names (within the traveler policy's region).
pub const ORDER_DISTRICT: &str = "310101";

/// Every value typed into the profile and the reports: none may appear at the drop box
/// or on the wire.
pub fn typed_values() -> Vec<String> {
    Canaries::standard()
        .typed()
        .into_iter()
        .map(|canary| canary.value)
        .collect()
}

/// The typed values the authority must never receive: everything the daily-report policy
/// omits or reduces, and what no form asks for. (Name and phone are declared `keep`.)
pub fn withheld_values() -> Vec<String> {
    let canaries = Canaries::standard();
    typed_values()
        .into_iter()
        .filter(|value| *value != canaries.name && *value != canaries.phone)
        .collect()
}

/// A store, a drop box behind a recording proxy, and the authority's keys.
pub struct Loopback {
    /// The scratch directory, store and authority keys.
    pub ws: Workspace,
    /// The PEM files of the test PKI.
    pub pki: PkiFiles,
    /// The proxy the policy's endpoint URL names.
    pub proxy: Proxy,
    /// The drop box process, while it runs.
    pub endpoint: Option<EndpointProcess>,
    /// How the drop box is started.
    pub config: EndpointConfig,
    /// The profile reports are filed for.
    pub profile: String,
    /// The values typed into the profile ([`Canaries::profile_args`]) and the reports.
    pub canaries: Canaries,
    /// The pin of the drop box's key (base64 SHA-256 of its SubjectPublicKeyInfo), as the
    /// installed policy names it.
    pub spki_pin: String,
    /// The id of the installed policy ([`DAILY_POLICY_ID`] or [`TOKEN_POLICY_ID`]).
    pub policy_id: &'static str,
    /// Orders signed so far by [`Loopback::enroll`] (numbers their files).
    orders: std::cell::Cell<u32>,
}

impl Loopback {
    /// Sets everything up; the drop box is running and the store has the policy
    /// installed and one profile, but no consent yet.
    pub fn start() -> Self {
        Self::start_under(Tokens::Without)
    }

    /// As [`Loopback::start`], under the traveler policy with upload tokens: the policy
    /// names one `enrolled` issuer key (made by `selfreport-authority token-key generate`,
    /// valid over the policy's whole window) and the drop box signs with it. The profile
    /// is not enrolled yet ([`Loopback::enroll`]).
    pub fn start_with_tokens() -> Self {
        Self::start_under(Tokens::Enrolled)
    }

    fn start_under(tokens: Tokens) -> Self {
        let ws = Workspace::new();
        let signing_public = ws.authority_keygen();
        let pki = TestPki::new();
        let files = pki.write(&ws.path().join("tls"));
        // The drop box's port is known once it runs; until then the proxy points nowhere.
        let proxy = Proxy::start(SocketAddr::from(([127, 0, 0, 1], 9)));
        let (signed, token_keys, trust, policy_id) = match tokens {
            Tokens::Without => {
                let policy = policy_through(&ws, &proxy.endpoint_url(), &pki.spki_pin);
                (
                    ws.sign_policy("daily-report", &policy),
                    Vec::new(),
                    None,
                    DAILY_POLICY_ID,
                )
            }
            Tokens::Enrolled => {
                let (policy, key) =
                    tokened_policy_through(&ws, &proxy.endpoint_url(), &pki.spki_pin);
                (
                    ws.sign_policy("arrivals", &policy),
                    vec![key],
                    Some(signing_public.clone()),
                    TOKEN_POLICY_ID,
                )
            }
        };
        let config = EndpointConfig {
            db: ws.path().join("dropbox.db"),
            cert: files.cert.clone(),
            key: files.key.clone(),
            receipt_key: ws.authority_dir().join("receipt.key"),
            policy: signed.clone(),
            revocations: None,
            trust,
            token_keys,
        };
        let endpoint = EndpointProcess::start(&config, "127.0.0.1:0");
        proxy.set_upstream(endpoint.addr());
        ws.selfreport(&["init", "--trust", &signing_public.to_string_lossy()])
            .success();
        ws.selfreport(&["policy", "install", &signed.to_string_lossy()])
            .success();
        let canaries = Canaries::standard();
        let mut args = vec!["profile".to_owned(), "add".to_owned()];
        args.extend(canaries.profile_args());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let profile = ws.selfreport(&args).single_line();
        Self {
            ws,
            pki: files,
            proxy,
            endpoint: Some(endpoint),
            config,
            profile,
            canaries,
            spki_pin: pki.spki_pin.clone(),
            policy_id,
            orders: std::cell::Cell::new(0),
        }
    }

    /// Adds a household member named `name` (no other identity field); returns the
    /// profile id.
    pub fn add_member(&self, name: &str) -> String {
        self.ws
            .selfreport(&["profile", "add", "--name", name])
            .single_line()
    }

    /// Enrolls `profile` under the token policy with a fresh order the collector signs
    /// (`selfreport-authority enroll`): [`ORDER_DAYS`] days from [`ORDER_STARTS_DAYS_AGO`]
    /// days ago, `per_day` daily reports a day; `selfreport enroll` then starts the period.
    pub fn enroll(&self, profile: &str, per_day: u32) {
        let number = self.orders.get() + 1;
        self.orders.set(number);
        let order = self.ws.path().join(format!("order-{number}.json"));
        sign_order(&self.ws, &order, ORDER_STARTS_DAYS_AGO, per_day);
        self.ws
            .selfreport(&["enroll", "--profile", profile, &order.to_string_lossy()])
            .success();
    }

    /// Orders signed by [`Loopback::enroll`] so far.
    pub fn orders(&self) -> u32 {
        self.orders.get()
    }

    /// Runs `selfreport ARGS --extra-root ca.pem`.
    pub fn selfreport(&self, args: &[&str]) -> Outcome {
        let ca = self.pki.ca.to_string_lossy().into_owned();
        let mut full = args.to_vec();
        full.extend(["--extra-root", &ca]);
        self.ws.selfreport(&full)
    }

    /// Files a daily report `days_ago` with the canaries' temperature `index` (modulo
    /// three), district and notes; returns its record id.
    pub fn report(&self, days_ago: i64, index: usize) -> String {
        let date = day(-days_ago);
        let temperatures = &self.canaries.temperatures;
        let temperature = format!("temperature={}", temperatures[index % temperatures.len()]);
        let district = format!("district={}", self.canaries.district);
        let notes = format!("notes={}", self.canaries.notes);
        self.selfreport(&[
            "report",
            "--profile",
            &self.profile,
            "--policy",
            "sh-daily-health",
            "--form",
            "daily",
            "--date",
            &date,
            "--answer",
            &temperature,
            "--answer",
            "symptoms=cough",
            "--answer",
            &district,
            "--answer",
            "contact_with_case=no",
            "--answer",
            &notes,
        ])
        .single_line()
    }

    /// `consent grant --policy ID` for the installed policy.
    pub fn grant_consent(&self) {
        self.selfreport(&["consent", "grant", "--policy", self.policy_id])
            .success();
    }

    /// `sync --json --retry-base 0 EXTRA`: retries are due at once. Returns the summary.
    pub fn sync(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["sync", "--json", "--retry-base", "0"];
        args.extend_from_slice(extra);
        self.selfreport(&args).json()
    }

    /// `selfreport-authority open --format FORMAT` with both recipient keys and the
    /// signature checked against the authority's public key (identity values withheld:
    /// no case is named).
    pub fn open(&self, format: &str) -> Outcome {
        self.open_with(format, &[])
    }

    /// `open` as [`Self::open`], with `extra` arguments (such as `--case PSEUDONYM`).
    pub fn open_with(&self, format: &str, extra: &[&str]) -> Outcome {
        let keys = self.ws.authority_dir();
        let db = self.config.db.to_string_lossy().into_owned();
        let health = keys.join("recipient-health.key");
        let identity = keys.join("recipient-identity.key");
        let trust = keys.join("signing.pub");
        let policy = self.config.policy.to_string_lossy().into_owned();
        let health = health.to_string_lossy();
        let identity = identity.to_string_lossy();
        let trust = trust.to_string_lossy();
        let mut args = vec![
            "open", "--db", &db, "--key", &health, "--key", &identity, "--policy", &policy,
            "--trust", &trust, "--format", format,
        ];
        args.extend_from_slice(extra);
        self.ws.authority(&args)
    }

    /// Kills the drop box (SIGKILL).
    pub fn kill_endpoint(&mut self) -> SocketAddr {
        let mut endpoint = self
            .endpoint
            .take()
            .unwrap_or_else(|| panic!("the drop box is not running"));
        let addr = endpoint.addr();
        endpoint.kill();
        addr
    }

    /// Starts the drop box again on `addr`.
    pub fn restart_endpoint(&mut self, addr: SocketAddr) {
        assert!(self.endpoint.is_none(), "the drop box is still running");
        let endpoint = EndpointProcess::start(&self.config, &addr.to_string());
        assert_eq!(endpoint.addr(), addr);
        self.endpoint = Some(endpoint);
    }

    /// The drop box's log so far (its stderr).
    pub fn endpoint_log(&self) -> String {
        self.endpoint
            .as_ref()
            .map(EndpointProcess::log)
            .unwrap_or_default()
    }

    /// The drop box's database files.
    pub fn database_files(&self) -> Vec<PathBuf> {
        database_files(&self.config.db)
    }

    /// The submissions the drop box holds: `(id, body, received_at)`.
    pub fn stored_submissions(&self) -> Vec<(String, Vec<u8>, String)> {
        let connection = rusqlite::Connection::open_with_flags(
            &self.config.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap_or_else(|error| panic!("open the drop box database: {error}"));
        let mut statement = connection
            .prepare("SELECT id, body, received_at FROM submissions ORDER BY id")
            .unwrap_or_else(|error| panic!("query the drop box database: {error}"));
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .unwrap_or_else(|error| panic!("read the drop box database: {error}"))
    }
}

/// Whether the drop box takes upload tokens.
enum Tokens {
    /// The daily-report policy (`/1`), no tokens.
    Without,
    /// The traveler policy (`/2`) with one `enrolled` issuer key.
    Enrolled,
}

/// The example daily-report policy (valid around today) with its endpoint at `url`,
/// pinned to `pin`, and the authority's real receipt and recipient keys from the key
/// directory of `ws`.
pub fn policy_through(ws: &Workspace, url: &str, pin: &str) -> String {
    let policy = pointed_at(ws, &current_policy(DAILY_REPORT_POLICY), url, pin);
    serde_json::to_string_pretty(&policy).unwrap_or_else(|error| panic!("policy: {error}"))
}

/// The traveler policy as `selfreport.policy/2` (valid around today) with its endpoint at
/// `url`, pinned to `pin`, the authority's real keys from `ws`, and one `enrolled` token
/// issuer key, made in `ws`'s key directory: the policy's JSON and the key's file (for
/// the drop box's `--token-key`).
pub fn tokened_policy_through(ws: &Workspace, url: &str, pin: &str) -> (String, PathBuf) {
    let key = ws.authority_dir().join("token-enrolled.pem");
    let entry = token_key(ws, &key);
    let mut policy = pointed_at(ws, &enrollment_policy(), url, pin);
    policy["endpoint"]["token_keys"] = serde_json::json!([entry]);
    let policy =
        serde_json::to_string_pretty(&policy).unwrap_or_else(|error| panic!("policy: {error}"));
    (policy, key)
}

/// Signs an enrollment order for the token policy with the authority's key in `ws`
/// (`selfreport-authority enroll`) and writes it to `out`: [`ORDER_DAYS`] days from
/// `starts_days_ago` days ago, `per_day` daily reports a day, in [`ORDER_DISTRICT`].
pub fn sign_order(ws: &Workspace, out: &std::path::Path, starts_days_ago: i64, per_day: u32) {
    let key = ws.authority_dir().join("signing.key");
    ws.authority(&[
        "enroll",
        "--key",
        &key.to_string_lossy(),
        "--policy",
        TOKEN_POLICY_ID,
        "--district",
        ORDER_DISTRICT,
        "--start",
        &day(-starts_days_ago),
        "--days",
        &ORDER_DAYS.to_string(),
        "--reason",
        "close_contact",
        "--form",
        &format!("daily={per_day}"),
        "--out",
        &out.to_string_lossy(),
    ])
    .success();
}

/// `policy_json` with its endpoint at `url`, pinned to `pin`, and the authority's real
/// receipt and recipient keys from the key directory of `ws`.
fn pointed_at(ws: &Workspace, policy_json: &str, url: &str, pin: &str) -> serde_json::Value {
    let mut policy: serde_json::Value =
        serde_json::from_str(policy_json).unwrap_or_else(|error| panic!("policy JSON: {error}"));
    let key = |file: &str| {
        let path = ws.authority_dir().join(file);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .trim()
            .to_owned()
    };
    policy["endpoint"]["url"] = url.into();
    policy["endpoint"]["spki_sha256"] = serde_json::json!([pin]);
    policy["endpoint"]["receipt_key"] = key("receipt.pub").into();
    for recipient in ["health", "identity"] {
        policy["recipients"][recipient]["public_key"] =
            key(&format!("recipient-{recipient}.pub")).into();
    }
    policy
}

/// Makes an `enrolled` token issuer key at `path` with `selfreport-authority token-key
/// generate`, valid over the window [`current_policy`] gives every test policy; returns
/// the `endpoint.token_keys` entry it prints.
fn token_key(ws: &Workspace, path: &std::path::Path) -> serde_json::Value {
    let outcome = ws.authority(&[
        "token-key",
        "generate",
        "--out",
        &path.to_string_lossy(),
        "--use",
        "enrolled",
        "--from",
        &day(-30),
        "--until",
        &day(180),
    ]);
    let printed = outcome.success();
    let entry = printed
        .lines()
        .last()
        .unwrap_or_else(|| panic!("token-key generate printed nothing"));
    serde_json::from_str(entry)
        .unwrap_or_else(|error| panic!("token-key generate's entry {entry:?}: {error}"))
}
