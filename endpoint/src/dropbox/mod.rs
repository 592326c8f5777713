//! The reference drop box: receives sealed submissions over HTTPS, stores ciphertext only,
//! answers with signed receipts, deletes on the device's token, forgets at retention end.
//!
//! It never holds a recipient private key: it cannot read what it stores.
//!
//! ```no_run
//! # async fn run() -> Result<(), selfreport_endpoint::dropbox::DropBoxError> {
//! use selfreport_endpoint::dropbox::{DropBox, serve, server_config_from_pem_files};
//! use std::path::Path;
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")
//!     .map_err(selfreport_endpoint::dropbox::DropBoxError::Server)?;
//! let envelope = std::fs::read("policy.signed.json").unwrap_or_default();
//! let receipt_key = selfreport_endpoint::keyfile::read_signing_key(Path::new("keys/receipt.key"))?;
//! let tls = server_config_from_pem_files(Path::new("cert.pem"), Path::new("key.pem"))?;
//! let drop_box = DropBox::new(&envelope, receipt_key, "dropbox.db")?;
//! let running = serve(drop_box, listener, tls).await?;
//! println!("listening on {}", running.endpoint_url());
//! running.shutdown().await
//! # }
//! ```

mod access_log;
mod check;
mod connections;
mod content_type;
mod enrollment_code_routes;
mod error;
mod notice_routes;
mod open_issuance;
mod rate_limit;
mod revocations;
mod routes;
mod storage;
mod tls;
mod token_routes;
mod token_setup;
mod token_spend;
mod tokens;
mod witness_routes;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use axum::body::Bytes;
use axum_server::Handle;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use chrono::NaiveDate;
use hyper_util::rt::TokioTimer;
use rustls::ServerConfig;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::policy::PolicyDocument;
use selfreport_core::{Clock, SystemClock};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use access_log::AccessLog;
pub use connections::{
    ConnectionLimits, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
};
pub use enrollment_code_routes::{REDEMPTION_WINDOW, REDEMPTIONS_PER_WINDOW};
pub use error::DropBoxError;
pub use revocations::RevocationRelay;
pub use storage::{
    DEFAULT_QUOTA_BYTES, Database, MoveReport, PostgresConfig, StoredSubmission, for_each_stored,
    move_sqlite_to_postgres, postgres_connector, prepare_postgres, tls_client_config,
};
pub use tls::{server_config, server_config_from_pem, server_config_from_pem_files};

use crate::policy_file::PolicyFile;
use check::AcceptedPolicy;
use rate_limit::RateLimiter;
use routes::AppState;
use storage::{Storage, StorageThread};

/// Days a notice is kept after it was posted, by default.
pub const DEFAULT_NOTICE_DAYS: u32 = 30;

/// How often the retention job runs by default.
pub const DEFAULT_RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// How long one request may take, body included, by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a graceful shutdown waits for requests in flight and open connections, by
/// default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A configured drop box, ready to [`serve`].
pub struct DropBox {
    envelope: Bytes,
    document: PolicyDocument,
    base_path: String,
    receipt_key: SigningKey,
    database: Database,
    retention_days: u32,
    rate_limit: Option<u32>,
    quota_bytes: u64,
    retention_interval: Duration,
    request_timeout: Duration,
    shutdown_grace: Duration,
    clock: Arc<dyn Clock>,
    log: AccessLog,
    revocations: Option<Arc<RevocationRelay>>,
    connections: ConnectionLimits,
    console_key: Option<[u8; 32]>,
    notice_days: u32,
    /// Upload token issuer keys given by the operator ([`DropBox::with_token_keys`]).
    token_keys: Vec<crate::token_key::IssuerSecretKey>,
    /// The policy's root key, to verify enrollment orders with ([`DropBox::with_trust`]).
    trust: Option<selfreport_core::policy::TrustAnchors>,
}

impl DropBox {
    /// A drop box serving the signed policy `envelope` (its signature is not checked
    /// here: it is the operator's own file), signing receipts with `receipt_key`, storing
    /// into `database`: a SQLite file (a path; created if missing) or a PostgreSQL
    /// database ([`Database::Postgres`]; its schema is created or migrated).
    ///
    /// Refuses a receipt key other than the policy's `endpoint.receipt_key` and an
    /// endpoint URL path that cannot be routed. Retention defaults to the policy's
    /// `retention.server_days`; there is no rate limit; the quota is
    /// [`DEFAULT_QUOTA_BYTES`]; the access log goes to stderr.
    pub fn new(
        envelope: &[u8],
        receipt_key: SigningKey,
        database: impl Into<Database>,
    ) -> Result<Self, DropBoxError> {
        // The date only matters when a signature is verified, which it is not here.
        let policy = PolicyFile::parse(envelope, None, NaiveDate::MIN)?;
        let document = policy.document().clone();
        if receipt_key.public_key_base64() != document.endpoint.receipt_key {
            return Err(DropBoxError::ReceiptKeyMismatch);
        }
        let base_path = base_path(&document.endpoint.url)?;
        Ok(Self {
            envelope: Bytes::copy_from_slice(envelope),
            retention_days: document.retention.server_days,
            document,
            base_path,
            receipt_key,
            database: database.into(),
            rate_limit: None,
            quota_bytes: DEFAULT_QUOTA_BYTES,
            retention_interval: DEFAULT_RETENTION_INTERVAL,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            clock: Arc::new(SystemClock),
            log: AccessLog::stderr(),
            revocations: None,
            connections: ConnectionLimits::default(),
            console_key: None,
            notice_days: DEFAULT_NOTICE_DAYS,
            token_keys: Vec::new(),
            trust: None,
        })
    }

    /// Caps open connections and closes idle ones and slow headers (see
    /// [`ConnectionLimits`]; the defaults hold otherwise).
    pub fn with_connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.connections = limits;
        self
    }

    /// Relays the revocation list in the file at `path` at `GET {base}/revocations`
    /// (re-read when the file changes; see [`RevocationRelay`]). It must be a list signed
    /// by the key of the served policy's root.
    pub fn with_revocations(mut self, path: &std::path::Path) -> Result<Self, DropBoxError> {
        let signed = selfreport_core::policy::SignedPolicy::parse(&self.envelope)?;
        let root_key_id = signed
            .chain()
            .first()
            .map_or(signed.key_id(), |first| first.issuer_key_id())
            .to_owned();
        self.revocations = Some(Arc::new(RevocationRelay::open(path, &root_key_id)?));
        Ok(self)
    }

    /// Keeps submissions `days` days instead of the policy's `retention.server_days`;
    /// never longer than the policy promises.
    pub fn with_retention_days(mut self, days: u32) -> Result<Self, DropBoxError> {
        let allowed = self.document.retention.server_days;
        if days > allowed {
            return Err(DropBoxError::RetentionTooLong {
                requested: days,
                allowed,
            });
        }
        self.retention_days = days;
        Ok(self)
    }

    /// Accepts at most `per_second` requests a second from each client address (an IPv4
    /// address or an IPv6 /64; bursts of one second's worth); more get 429 with
    /// `Retry-After`. `None`: no limit.
    pub fn with_rate_limit(mut self, per_second: Option<u32>) -> Result<Self, DropBoxError> {
        if per_second == Some(0) {
            return Err(DropBoxError::RateLimitZero);
        }
        self.rate_limit = per_second;
        Ok(self)
    }

    /// Stores new submissions only while the bytes stored (each submission's body and
    /// kept receipt, in the whole database: with PostgreSQL, whichever process stored
    /// them) stay within `bytes`; past it a new submission gets `507
    /// InsufficientStorage` and nothing of it is stored, while resends of stored ones
    /// still get their kept receipts. At least one byte.
    pub fn with_quota_bytes(mut self, bytes: u64) -> Result<Self, DropBoxError> {
        if bytes == 0 {
            return Err(DropBoxError::QuotaZero);
        }
        self.quota_bytes = bytes;
        Ok(self)
    }

    /// Accepts access notices at `POST {base}/notices`, and witnesses the console's audit
    /// log at `{base}/audit-checkpoints`, signed with `public_key` (the console's audit
    /// key's public half); without it those routes answer 404.
    pub fn with_console_key(mut self, public_key: [u8; 32]) -> Self {
        self.console_key = Some(public_key);
        self
    }

    /// Keeps each notice `days` days after it was posted ([`DEFAULT_NOTICE_DAYS`]
    /// otherwise); the retention job deletes it then. At least one day.
    pub fn with_notice_days(mut self, days: u32) -> Result<Self, DropBoxError> {
        if days == 0 {
            return Err(DropBoxError::NoticeDaysZero);
        }
        self.notice_days = days;
        Ok(self)
    }

    /// Runs the retention job every `interval` (and once at start).
    pub fn with_retention_interval(mut self, interval: Duration) -> Self {
        self.retention_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Gives each request at most `timeout`, reading the body included (408 after).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Waits at most `grace` at shutdown for requests in flight and for clients to close
    /// their connections; after that, connections are closed.
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Takes the time of receipts and retention from `clock` (tests, demos).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sends the access log to `log`.
    pub fn with_access_log(mut self, log: AccessLog) -> Self {
        self.log = log;
        self
    }

    /// The path routes are served under (`"/v1"`, or `""` for a URL without a path).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The policy served.
    pub fn policy(&self) -> &PolicyDocument {
        &self.document
    }

    /// Serves on `listener` with `tls`; see [`serve`].
    pub async fn serve(
        self,
        listener: TcpListener,
        tls: Arc<ServerConfig>,
    ) -> Result<RunningDropBox, DropBoxError> {
        serve(self, listener, tls).await
    }

    /// Serves on `listener` from a runtime on a thread of its own, for callers without
    /// an async runtime (the CLI demo). Returns once the drop box accepts connections.
    pub fn start_in_background(
        self,
        listener: TcpListener,
        tls: Arc<ServerConfig>,
    ) -> Result<BackgroundDropBox, DropBoxError> {
        let (started, started_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = oneshot::channel::<()>();
        let thread = thread::Builder::new()
            .name("dropbox".to_owned())
            .spawn(move || -> Result<(), DropBoxError> {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(DropBoxError::Server)?;
                runtime.block_on(async move {
                    let running = match serve(self, listener, tls).await {
                        Ok(running) => running,
                        Err(error) => {
                            let _ = started.send(Err(error));
                            return Ok(());
                        }
                    };
                    let _ = started.send(Ok((running.local_addr(), running.endpoint_url())));
                    // Stop when asked, or when the handle is gone.
                    let _ = stop_rx.await;
                    running.shutdown().await
                })
            })
            .map_err(DropBoxError::Server)?;
        match started_rx.recv() {
            Ok(Ok((local_addr, endpoint_url))) => Ok(BackgroundDropBox {
                local_addr,
                endpoint_url,
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err(error)) => {
                let _ = thread.join();
                Err(error)
            }
            Err(_) => Err(match thread.join() {
                Ok(Err(error)) => error,
                _ => DropBoxError::Server(std::io::Error::other(
                    "the drop box thread ended before it started serving",
                )),
            }),
        }
    }
}

impl std::fmt::Debug for DropBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DropBox")
            .field("policy", &self.document.id)
            .field("version", &self.document.version)
            .field("base_path", &self.base_path)
            .field("database", &self.database)
            .field("retention_days", &self.retention_days)
            .field("rate_limit", &self.rate_limit)
            .field("quota_bytes", &self.quota_bytes)
            .field("console_key", &self.console_key.is_some())
            .field("notice_days", &self.notice_days)
            .field("trust", &self.trust.is_some())
            .finish_non_exhaustive()
    }
}

/// Starts serving `drop_box` on `listener` (already bound, so a caller can bind port 0
/// and learn the port before writing the policy's endpoint URL) with `tls`.
///
/// Opens the database, runs the retention job once and then every retention interval,
/// and returns once connections are accepted.
pub async fn serve(
    drop_box: DropBox,
    listener: TcpListener,
    tls: Arc<ServerConfig>,
) -> Result<RunningDropBox, DropBoxError> {
    let local_addr = listener
        .local_addr()
        .map_err(DropBoxError::listen("the listener"))?;
    listener
        .set_nonblocking(true)
        .map_err(DropBoxError::listen(local_addr))?;
    let endpoint_url = format!("https://{local_addr}{}", drop_box.base_path);

    // Typed enrollment codes, with the policy's root (`with_trust`): the served policy
    // verified under it, on a day of its validity, as orders are verified against it.
    let enrollment_codes = match &drop_box.trust {
        Some(anchors) => {
            let day = drop_box
                .clock
                .now()
                .date_naive()
                .clamp(drop_box.document.valid_from, drop_box.document.valid_until);
            let policy = selfreport_core::policy::SignedPolicy::parse(&drop_box.envelope)?
                .verify(anchors, day)?;
            Some(enrollment_code_routes::EnrollmentCodes::new(
                policy,
                anchors.clone(),
            ))
        }
        None => None,
    };

    // Upload tokens: every key the policy schedules from today on must have been given.
    let tokens = tokens::TokenState::new(
        &drop_box.document,
        &drop_box.envelope,
        drop_box.token_keys,
        drop_box.trust,
        drop_box
            .clock
            .now()
            .with_timezone(&chrono::Utc)
            .date_naive(),
    )?
    .map(Arc::new);

    let (storage, storage_thread) = Storage::open(
        &drop_box.database,
        drop_box.clock.now().timestamp(),
        drop_box.retention_days,
        drop_box.quota_bytes,
    )
    .await?;

    let state = Arc::new(AppState {
        policy: AcceptedPolicy::of(&drop_box.document),
        envelope: drop_box.envelope,
        receipt_key: drop_box.receipt_key,
        storage: storage.clone(),
        clock: drop_box.clock.clone(),
        retention_days: drop_box.retention_days,
        rate_limiter: drop_box.rate_limit.map(RateLimiter::new),
        log: drop_box.log.clone(),
        request_timeout: drop_box.request_timeout,
        revocations: drop_box.revocations.clone(),
        console_key: drop_box.console_key,
        notice_days: drop_box.notice_days,
        tokens,
        enrollment_codes,
    });

    // Expired submissions go before anything new comes in.
    let retention = Retention {
        storage,
        clock: drop_box.clock,
        log: drop_box.log,
        days: drop_box.retention_days,
        unknown_issuance_last_day: drop_box.document.valid_until,
    };
    retention.purge().await;
    let retention = tokio::spawn(retention.run(drop_box.retention_interval));

    let app = routes::router(state, &drop_box.base_path);
    let handle = Handle::new();
    let guard = connections::ConnectionGuard::new(drop_box.connections);
    let mut server = axum_server::from_tcp(listener)
        .map_err(DropBoxError::listen(local_addr))?
        .acceptor(RustlsAcceptor::new(RustlsConfig::from_config(tls)).acceptor(guard))
        .handle(handle.clone());
    server
        .http_builder()
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(drop_box.connections.header_timeout);
    let server = tokio::spawn(async move {
        server
            .serve(app.into_make_service_with_connect_info::<SocketAddr>())
            .await
    });
    if handle.listening().await.is_none() {
        retention.abort();
        return Err(match server.await {
            Ok(Err(error)) => DropBoxError::listen(local_addr)(error),
            _ => DropBoxError::Server(std::io::Error::other("the server did not start")),
        });
    }
    Ok(RunningDropBox {
        local_addr,
        endpoint_url,
        shutdown_grace: drop_box.shutdown_grace,
        handle,
        server,
        retention,
        storage_thread,
    })
}

/// A drop box serving in the current tokio runtime.
#[derive(Debug)]
pub struct RunningDropBox {
    local_addr: SocketAddr,
    endpoint_url: String,
    shutdown_grace: Duration,
    handle: Handle<SocketAddr>,
    server: JoinHandle<std::io::Result<()>>,
    retention: JoinHandle<()>,
    storage_thread: StorageThread,
}

impl RunningDropBox {
    /// The address connections are accepted on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `https://ADDR{base path}`: the endpoint URL for this address (`https://127.0.0.1:
    /// 43125/v1`); the routes are `{url}/submissions`, `{url}/submissions/batch`,
    /// `{url}/submissions/{id}`, `{url}/tokens`, `{url}/policy`, `{url}/revocations`,
    /// `{url}/notices`.
    pub fn endpoint_url(&self) -> String {
        self.endpoint_url.clone()
    }

    /// Stops accepting connections, lets requests in flight finish (up to the shutdown
    /// grace, ten seconds by default), stops the retention job, and closes the database.
    pub async fn shutdown(self) -> Result<(), DropBoxError> {
        self.handle.graceful_shutdown(Some(self.shutdown_grace));
        self.finish().await
    }

    /// Waits until the server stops (after [`RunningDropBox::shutdown_handle`] was used,
    /// or a fatal error), then stops the retention job and closes the database.
    pub async fn wait(self) -> Result<(), DropBoxError> {
        self.finish().await
    }

    /// A handle that can start a graceful shutdown from elsewhere (a signal handler)
    /// while [`RunningDropBox::wait`] waits.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            handle: self.handle.clone(),
            grace: self.shutdown_grace,
        }
    }

    async fn finish(self) -> Result<(), DropBoxError> {
        let served = self.server.await;
        self.retention.abort();
        let _ = self.retention.await;
        // SQLite's writer thread ends once the last handle (held by the router and the
        // retention job, both gone now) is dropped; it checkpoints and closes the file.
        let storage_thread = self.storage_thread;
        let _ = tokio::task::spawn_blocking(move || storage_thread.join()).await;
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(DropBoxError::Server(error)),
            Err(error) => Err(DropBoxError::Server(std::io::Error::other(error))),
        }
    }
}

/// Starts a graceful shutdown of a [`RunningDropBox`].
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    handle: Handle<SocketAddr>,
    grace: Duration,
}

impl ShutdownHandle {
    /// Stops accepting connections and lets requests in flight finish (up to the
    /// shutdown grace).
    pub fn shutdown(&self) {
        self.handle.graceful_shutdown(Some(self.grace));
    }
}

/// A drop box serving from a thread of its own; stopped by [`BackgroundDropBox::stop`]
/// or on drop.
#[derive(Debug)]
pub struct BackgroundDropBox {
    local_addr: SocketAddr,
    endpoint_url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<Result<(), DropBoxError>>>,
}

impl BackgroundDropBox {
    /// The address connections are accepted on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `https://ADDR{base path}`, as [`RunningDropBox::endpoint_url`].
    pub fn endpoint_url(&self) -> String {
        self.endpoint_url.clone()
    }

    /// Shuts down gracefully (see [`DropBox::with_shutdown_grace`]) and waits until the
    /// database is closed.
    pub fn stop(mut self) -> Result<(), DropBoxError> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<(), DropBoxError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(thread::JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(error))) => Err(error),
            Some(Err(_)) => Err(DropBoxError::Server(std::io::Error::other(
                "the drop box thread panicked",
            ))),
        }
    }
}

impl Drop for BackgroundDropBox {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// The retention job: forgets what is past retention, at start and then every interval.
struct Retention {
    storage: Storage,
    clock: Arc<dyn Clock>,
    log: AccessLog,
    days: u32,
    /// The last day taken for issuance rows kept without one (the served policy's
    /// `valid_until`; see `Storage::purge_ended_issuance`).
    unknown_issuance_last_day: chrono::NaiveDate,
}

impl Retention {
    async fn run(self, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate; the start-up purge already ran.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            self.purge().await;
        }
    }

    async fn purge(&self) {
        let now = self.clock.now().timestamp();
        match self.storage.purge_expired(now, self.days).await {
            Ok(0) => {}
            Ok(count) => self.log.line(&format!(
                "retention: deleted {count} submission(s) past their retention"
            )),
            Err(_) => self.log.line("retention: the database failed; will retry"),
        }
        match self.storage.purge_expired_enrollment_codes(now).await {
            Ok(0) => {}
            Ok(count) => self.log.line(&format!(
                "retention: deleted {count} expired enrollment code(s)"
            )),
            Err(_) => self
                .log
                .line("retention: the database failed on enrollment codes; will retry"),
        }
        let today = self.clock.now().with_timezone(&chrono::Utc).date_naive();
        match self
            .storage
            .purge_ended_issuance(today, self.unknown_issuance_last_day)
            .await
        {
            Ok(0) => {}
            Ok(count) => self.log.line(&format!(
                "retention: deleted {count} token issuance row(s) of ended enrollment periods"
            )),
            Err(_) => self
                .log
                .line("retention: the database failed on token issuance rows; will retry"),
        }
        match self.storage.purge_expired_notices(now).await {
            Ok(0) => {}
            Ok(count) => self.log.line(&format!(
                "retention: deleted {count} notice(s) past their retention"
            )),
            Err(_) => self
                .log
                .line("retention: the database failed on notices; will retry"),
        }
    }
}

/// The path of an endpoint URL, without a trailing slash: `https://h/v1/` → `/v1`.
///
/// Only unreserved characters are accepted in its segments, so the path is routed
/// exactly as written and never read as a route pattern.
fn base_path(url: &str) -> Result<String, DropBoxError> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("", |start| &after_scheme[start..]);
    let path = path.trim_end_matches('/');
    let routable = path.split('/').skip(1).all(|segment| {
        !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    });
    if routable {
        Ok(path.to_owned())
    } else {
        Err(DropBoxError::EndpointPath {
            path: path.chars().take(200).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_path_is_the_url_path_without_trailing_slash() {
        for (url, path) in [
            ("https://report.example.org/v1", "/v1"),
            ("https://report.example.org/v1/", "/v1"),
            ("https://127.0.0.1:8443", ""),
            ("https://127.0.0.1:8443/", ""),
            ("https://[::1]:443/a/b.c/d~e", "/a/b.c/d~e"),
        ] {
            assert_eq!(base_path(url).unwrap(), path, "{url}");
        }
        for url in [
            "https://h/{id}",
            "https://h/*rest",
            "https://h/a//b",
            "https://h/%20",
            "https://h/:x",
        ] {
            assert_eq!(base_path(url).unwrap_err().code(), "EndpointPath", "{url}");
        }
    }
}
