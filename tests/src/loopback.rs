//! The whole upload path on 127.0.0.1 with the real binaries: the authority's keys, a
//! test PKI, the daily-report policy pointed at a recording [`Proxy`] in front of a
//! `selfreport-endpoint serve` child process, and a store with one profile.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::canary::Canaries;
use crate::endpoint::{EndpointConfig, EndpointProcess, database_files};
use crate::pki::{PkiFiles, TestPki};
use crate::proxy::Proxy;
use crate::{DAILY_REPORT_POLICY, Outcome, Workspace, current_policy, day};

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
}

impl Loopback {
    /// Sets everything up; the drop box is running and the store has the policy
    /// installed and one profile, but no consent yet.
    pub fn start() -> Self {
        let ws = Workspace::new();
        let signing_public = ws.authority_keygen();
        let pki = TestPki::new();
        let files = pki.write(&ws.path().join("tls"));
        // The drop box's port is known once it runs; until then the proxy points nowhere.
        let proxy = Proxy::start(SocketAddr::from(([127, 0, 0, 1], 9)));
        let policy = policy_through(&ws, &proxy.endpoint_url(), &pki.spki_pin);
        let signed = ws.sign_policy("daily-report", &policy);
        let config = EndpointConfig {
            db: ws.path().join("dropbox.db"),
            cert: files.cert.clone(),
            key: files.key.clone(),
            receipt_key: ws.authority_dir().join("receipt.key"),
            policy: signed.clone(),
            revocations: None,
            trust: None,
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
        }
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

    /// `consent grant --policy sh-daily-health`.
    pub fn grant_consent(&self) {
        self.selfreport(&["consent", "grant", "--policy", "sh-daily-health"])
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

/// The example daily-report policy (valid around today) with its endpoint at `url`,
/// pinned to `pin`, and the authority's real receipt and recipient keys from the key
/// directory of `ws`.
pub fn policy_through(ws: &Workspace, url: &str, pin: &str) -> String {
    let mut policy: serde_json::Value = serde_json::from_str(&current_policy(DAILY_REPORT_POLICY))
        .unwrap_or_else(|error| panic!("policy JSON: {error}"));
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
    serde_json::to_string_pretty(&policy).unwrap_or_else(|error| panic!("policy: {error}"))
}
