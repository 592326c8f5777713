//! A fault-injecting front end for the drop box: a tokio TCP proxy on 127.0.0.1 that
//! terminates the device's TLS with a key of its own, reads each HTTP/1.1 request and
//! forwards it over a second TLS connection to the real drop box (`selfreport-endpoint
//! serve`), unless the fault drawn for the connection says otherwise.
//!
//! # Why it terminates TLS
//!
//! The device speaks TLS, pinned to the keys its policy names, to whatever answers at the
//! endpoint URL. A relay of TCP bytes can delay, reset, truncate or stall that stream (the
//! recording [`crate::proxy::Proxy`] does), but it cannot answer `500`, or `429` with
//! `Retry-After`: those are HTTP messages inside TLS, and an answer from anything that
//! does not hold a pinned key is refused at the handshake. In a deployment those answers
//! come from the operator's side: the drop box, or the TLS-terminating load balancer or
//! rate limiter in front of it, which holds a pinned key. This proxy plays that front end.
//! Its key comes from its own test PKI and is the one the test policy pins, so the device
//! checks it exactly as it would check a production front end (chain, name, pin), and the
//! proxy checks the drop box's certificate in turn. Every fault is then one a device can
//! really meet, in the bytes it really receives: HTTP answers inside the pinned TLS
//! session, and resets, truncations and silences of its TCP connection. The alternative,
//! a fault hook inside the drop box, would put a test switch into the production server
//! and could not reset or truncate a connection the way a network does; the drop box
//! runs here unchanged.
//!
//! # Faults
//!
//! Each accepted connection draws its plan from an RNG seeded by the proxy's seed and the
//! connection's number (so a seed replays the same plan for the n-th connection; which
//! request lands on which connection still depends on timing): how many requests it
//! serves (1 to [`FaultConfig::max_requests_per_connection`]; the last reply carries
//! `Connection: close`, like a front end's keep-alive limit, so connections are many and
//! faults strike fresh and reused ones), and whether its last request meets a fault
//! ([`FaultConfig::fault_percent`], 30 by default: that share of every ten connections, at
//! places drawn from the seed), and which: the faulted connections take the kinds of
//! [`FaultConfig::kinds`] in rounds, each round a fresh seeded shuffle, so each kind is
//! equally likely and every kind strikes once a round has been faulted:
//!
//! - [`FaultKind::Delay`]: forwarded; the reply is held back for a while (below the
//!   client's timeout), then passed on in full.
//! - [`FaultKind::Reset`]: the request head and half its body are read and passed to the
//!   drop box, then both TCP connections are reset (RST): neither side ever sees the
//!   request complete.
//! - [`FaultKind::Truncate`]: forwarded (the drop box commits), then a random strict
//!   prefix of the reply is sent and the TCP connection closed without TLS
//!   `close_notify`.
//! - [`FaultKind::ServerError`]: answered `500` by the proxy; the drop box never sees it.
//! - [`FaultKind::TooManyRequests`]: answered `429` with `Retry-After` (whole seconds,
//!   drawn from [`FaultConfig::retry_after_seconds`]); the drop box never sees it.
//! - [`FaultKind::Stall`]: read in full, not forwarded, never answered; the connection is
//!   held open until the client gives up (or [`FaultConfig::stall_limit`]).
//!
//! Everything is recorded: one [`ConnectionRecord`] per connection, one [`RequestRecord`]
//! per request (with the submission id read from the body, when it has one, and the times
//! it started arriving and was answered), and [`FaultSummary`] counts them. It runs on a
//! tokio runtime of its own, so the tests that use it stay synchronous.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::pki::TestPki;

/// The environment variable that overrides the seed (decimal).
pub const SEED_VAR: &str = "SELFREPORT_FAULT_SEED";

/// Largest request or reply head read.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest request or reply body read (the drop box refuses far smaller ones).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// A fault the proxy injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// The reply is held back for a while, then passed on.
    Delay,
    /// Both connections are reset halfway through the request body.
    Reset,
    /// The drop box's reply is cut short and the connection closed.
    Truncate,
    /// `500 Internal Server Error` from the proxy.
    ServerError,
    /// `429 Too Many Requests` with `Retry-After` from the proxy.
    TooManyRequests,
    /// The request is swallowed and never answered.
    Stall,
}

impl FaultKind {
    /// Every kind, in the order they are drawn from.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Delay,
        FaultKind::Reset,
        FaultKind::Truncate,
        FaultKind::ServerError,
        FaultKind::TooManyRequests,
        FaultKind::Stall,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Delay => "delay",
            FaultKind::Reset => "reset mid-request",
            FaultKind::Truncate => "truncated reply",
            FaultKind::ServerError => "500",
            FaultKind::TooManyRequests => "429 + Retry-After",
            FaultKind::Stall => "stall",
        }
    }
}

/// How often and how the proxy misbehaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultConfig {
    /// The seed of every connection's plan.
    pub seed: u64,
    /// Percentage of connections whose last request meets a fault, in steps of ten:
    /// exactly that share of every ten connections.
    pub fault_percent: u64,
    /// The kinds the faulted connections take in turns, each round shuffled (all of
    /// [`FaultKind::ALL`] by default).
    pub kinds: Vec<FaultKind>,
    /// Most requests served on one connection (at least 1).
    pub max_requests_per_connection: u64,
    /// Shortest and longest hold of a delayed reply.
    pub delay: (Duration, Duration),
    /// Smallest and largest `Retry-After` of a `429`, in seconds.
    pub retry_after_seconds: (u64, u64),
    /// Longest a stalled connection is held when the client does not give up.
    pub stall_limit: Duration,
}

impl FaultConfig {
    /// The defaults with `seed`: 30% of connections faulted, up to three requests per
    /// connection, delays of 100 to 900 ms, `Retry-After` of 1 or 2 seconds, stalls held
    /// for at most a minute.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            fault_percent: 30,
            kinds: FaultKind::ALL.to_vec(),
            max_requests_per_connection: 3,
            delay: (Duration::from_millis(100), Duration::from_millis(900)),
            retry_after_seconds: (1, 2),
            stall_limit: Duration::from_secs(60),
        }
    }

    /// The defaults with the seed from [`SEED_VAR`], or a fresh one from the clock.
    /// Panics when the variable is set but is not a decimal `u64`.
    pub fn from_env() -> Self {
        let seed = match std::env::var(SEED_VAR) {
            Ok(text) => text
                .trim()
                .parse()
                .unwrap_or_else(|error| panic!("{SEED_VAR}={text:?}: {error}")),
            Err(_) => fresh_seed(),
        };
        Self::new(seed)
    }
}

fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let mut rng = Rng((nanos as u64) ^ (u64::from(std::process::id()) << 32));
    rng.next()
}

/// What happened on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// Its number, from 1, in order of acceptance.
    pub id: u64,
    /// Requests it was to serve.
    pub planned_requests: u64,
    /// The fault its last request was to meet.
    pub planned_fault: Option<FaultKind>,
    /// Requests it carried.
    pub requests: u64,
    /// The fault it met (`None` when clean, or when the client closed it first).
    pub struck: Option<FaultKind>,
    /// The client went away while the proxy still had something to send or wait for
    /// (its timeout, most likely).
    pub client_gone: bool,
    /// A failure on the proxy's side (bad framing, the drop box unreachable); never a
    /// fault it meant to inject.
    pub problem: Option<String>,
}

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The connection that carried it.
    pub connection: u64,
    /// Its place on that connection, from 1.
    pub index: u64,
    /// The request method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The `submission_id`s of the body: one for a submission, each of a batch (those
    /// read in full, for a reset).
    pub submission_ids: Vec<String>,
    /// When its first byte arrived.
    pub started: Instant,
    /// The fault it met.
    pub fault: Option<FaultKind>,
    /// Whether it reached the drop box in full.
    pub reached_drop_box: bool,
    /// The status sent to the client (in full, or cut short for a truncation).
    pub status: Option<u16>,
    /// The `Retry-After` sent with it, in seconds.
    pub retry_after: Option<u64>,
    /// When the answer (or its part) was flushed to the client.
    pub answered: Option<Instant>,
}

/// Counts over everything the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSummary {
    /// The seed.
    pub seed: u64,
    /// Connections accepted.
    pub connections: usize,
    /// Connections that carried at least one request.
    pub connections_with_requests: usize,
    /// Requests read (in full or in part).
    pub requests: usize,
    /// Requests that reached the drop box in full.
    pub forwarded: usize,
    /// Connections that met each fault.
    pub struck: BTreeMap<FaultKind, usize>,
    /// Connections the client left while the proxy was still at work.
    pub client_gone: usize,
    /// Connections with a failure on the proxy's side.
    pub problems: usize,
}

impl FaultSummary {
    /// Connections that met a fault.
    pub fn faulted(&self) -> usize {
        self.struck.values().sum()
    }

    /// Faulted connections over connections that carried requests.
    pub fn faulted_fraction(&self) -> f64 {
        if self.connections_with_requests == 0 {
            return 0.0;
        }
        self.faulted() as f64 / self.connections_with_requests as f64
    }
}

impl fmt::Display for FaultSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {} ({SEED_VAR}={} replays the plans)",
            self.seed, self.seed
        )?;
        writeln!(
            f,
            "connections: {} accepted, {} with requests, {} faulted ({:.1}%)",
            self.connections,
            self.connections_with_requests,
            self.faulted(),
            100.0 * self.faulted_fraction()
        )?;
        for kind in FaultKind::ALL {
            writeln!(
                f,
                "  {:<18} {}",
                kind.name(),
                self.struck.get(&kind).copied().unwrap_or(0)
            )?;
        }
        write!(
            f,
            "requests: {} read, {} reached the drop box in full; clients gone mid-answer: {}; proxy problems: {}",
            self.requests, self.forwarded, self.client_gone, self.problems
        )
    }
}

#[derive(Debug, Default)]
struct State {
    upstream: Option<SocketAddr>,
    connections: Vec<ConnectionRecord>,
    requests: Vec<RequestRecord>,
    active: usize,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What every connection task shares.
struct Context {
    config: FaultConfig,
    acceptor: TlsAcceptor,
    connector: TlsConnector,
    state: Shared,
}

/// A running fault proxy; stopped on drop.
pub struct FaultProxy {
    addr: SocketAddr,
    seed: u64,
    state: Shared,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (a free port), presenting `front`'s leaf certificate and
    /// key, and forwards to the drop box set with [`FaultProxy::set_upstream`], whose
    /// certificate must chain to `upstream_ca_der` and name 127.0.0.1.
    pub fn start(config: FaultConfig, front: &TestPki, upstream_ca_der: &[u8]) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|error| panic!("fault proxy TLS versions: {error}"))
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(front.leaf_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(front.leaf_key_der.clone())),
            )
            .unwrap_or_else(|error| panic!("fault proxy certificate: {error}"));
        // It speaks HTTP/1.1 only; a client offering h2 as well is served HTTP/1.1.
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(upstream_ca_der.to_vec()))
            .unwrap_or_else(|error| panic!("fault proxy upstream root: {error}"));
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|error| panic!("fault proxy TLS versions: {error}"))
            .with_root_certificates(roots)
            .with_no_client_auth();
        let state: Shared = Arc::new(Mutex::new(State::default()));
        let seed = config.seed;
        let context = Arc::new(Context {
            config,
            acceptor: TlsAcceptor::from(Arc::new(server)),
            connector: TlsConnector::from(Arc::new(client)),
            state: state.clone(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|error| panic!("fault proxy bind: {error}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|error| panic!("fault proxy nonblocking: {error}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("fault proxy address: {error}"));
        let (stop, mut stopped) = watch::channel(false);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap_or_else(|error| panic!("fault proxy runtime: {error}"));
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener)
                    .unwrap_or_else(|error| panic!("fault proxy listener: {error}"));
                let mut next_id = 0u64;
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            if let Ok((client, _)) = accepted {
                                next_id += 1;
                                let plan = Plan::draw(&context.config, next_id);
                                {
                                    let mut state = lock(&context.state);
                                    state.active += 1;
                                    state.connections.push(ConnectionRecord {
                                        id: next_id,
                                        planned_requests: plan.requests,
                                        planned_fault: plan.fault,
                                        requests: 0,
                                        struck: None,
                                        client_gone: false,
                                        problem: None,
                                    });
                                }
                                tokio::spawn(serve_connection(client, plan, context.clone()));
                            }
                        }
                        _ = stopped.changed() => break,
                    }
                }
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        Self {
            addr,
            seed,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Forward to the drop box at `upstream` from now on.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        lock(&self.state).upstream = Some(upstream);
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT/v1`: the endpoint URL a policy names to go through it.
    pub fn endpoint_url(&self) -> String {
        format!("https://{}/v1", self.addr)
    }

    /// The seed of the plans.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every connection so far, in order of acceptance.
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        lock(&self.state).connections.clone()
    }

    /// Every request whose handling ended, in that order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state).requests.clone()
    }

    /// Waits until no connection is open (at most `timeout`); whether it got there.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if lock(&self.state).active == 0 {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Counts over every connection and request so far.
    pub fn summary(&self) -> FaultSummary {
        let state = lock(&self.state);
        let mut struck = BTreeMap::new();
        for connection in &state.connections {
            if let Some(kind) = connection.struck {
                *struck.entry(kind).or_insert(0) += 1;
            }
        }
        FaultSummary {
            seed: self.seed,
            connections: state.connections.len(),
            connections_with_requests: state
                .connections
                .iter()
                .filter(|connection| connection.requests > 0)
                .count(),
            requests: state.requests.len(),
            forwarded: state
                .requests
                .iter()
                .filter(|request| request.reached_drop_box)
                .count(),
            struck,
            client_gone: state
                .connections
                .iter()
                .filter(|connection| connection.client_gone)
                .count(),
            problems: state
                .connections
                .iter()
                .filter(|connection| connection.problem.is_some())
                .count(),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// SplitMix64: small, seedable, good enough to draw plans from.
struct Rng(u64);

impl Rng {
    fn for_connection(seed: u64, id: u64) -> Self {
        let mut rng = Rng(seed ^ id.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// Uniform in `min..=max`.
    fn between(&mut self, min: u64, max: u64) -> u64 {
        min + self.below(max.saturating_sub(min).saturating_add(1))
    }
}

/// One connection's plan, and the RNG it goes on drawing from.
struct Plan {
    id: u64,
    requests: u64,
    fault: Option<FaultKind>,
    rng: Rng,
}

/// Connections are planned in blocks of this many (see [`Plan::draw`]).
const BLOCK: u64 = 10;
/// Keep the draws of faulted places and of kinds apart from the per-connection RNG.
const PLACES_SALT: u64 = 0x9A3C_71E2_5B0D_4F87;
const KINDS_SALT: u64 = 0x2F6B_D913_C04E_8A55;

impl Plan {
    /// The plan of connection `id` (from 1). Faults are spread evenly rather than drawn
    /// one by one: in every block of ten connections, `fault_percent / 10` (rounded) of
    /// them, at places drawn from the seed, meet a fault; and the faulted connections take
    /// the kinds in rounds, each round a fresh shuffle of [`FaultConfig::kinds`]. So the
    /// share faulted is what was asked for and every kind strikes, even in a run of a few
    /// dozen connections (sync sends batches: 1,000 submissions are ~65 requests).
    fn draw(config: &FaultConfig, id: u64) -> Self {
        let mut rng = Rng::for_connection(config.seed, id);
        let requests = 1 + rng.below(config.max_requests_per_connection.max(1));
        let n = id.saturating_sub(1);
        let (block, place) = (n / BLOCK, n % BLOCK);
        let places = faulted_places(config, block);
        let fault = places
            .iter()
            .position(|faulted| *faulted == place)
            .and_then(|rank| {
                let ordinal = block * places.len() as u64 + rank as u64;
                kind_of(config, ordinal)
            });
        Self {
            id,
            requests,
            fault,
            rng,
        }
    }
}

/// The places (0..10, sorted) of the faulted connections of a block.
fn faulted_places(config: &FaultConfig, block: u64) -> Vec<u64> {
    let count = (config.fault_percent.saturating_add(5) / 10).min(BLOCK) as usize;
    let mut rng = Rng::for_connection(config.seed ^ PLACES_SALT, block);
    let mut places: Vec<u64> = (0..BLOCK).collect();
    for i in 0..count {
        let j = i + rng.below(BLOCK - i as u64) as usize;
        places.swap(i, j);
    }
    places.truncate(count);
    places.sort_unstable();
    places
}

/// The kind met by the `ordinal`-th faulted connection (from 0).
fn kind_of(config: &FaultConfig, ordinal: u64) -> Option<FaultKind> {
    let kinds = config.kinds.len() as u64;
    if kinds == 0 {
        return None;
    }
    let mut rng = Rng::for_connection(config.seed ^ KINDS_SALT, ordinal / kinds);
    let mut order: Vec<usize> = (0..config.kinds.len()).collect();
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    order
        .get((ordinal % kinds) as usize)
        .and_then(|index| config.kinds.get(*index))
        .copied()
}

/// A stream with the bytes read ahead of what was consumed.
struct Peer<S> {
    stream: S,
    buffer: Vec<u8>,
}

/// Why a message could not be read.
enum ReadError {
    /// The peer closed (or reset) the connection before the message was complete.
    Closed,
    /// The message broke HTTP/1.1 framing as this proxy reads it.
    Framing(String),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Closed
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<S> {
    fn new(stream: S) -> Self {
        Self {
            stream,
            buffer: Vec::new(),
        }
    }

    /// Reads more bytes into the buffer; `Closed` at the end of the stream.
    async fn fill(&mut self) -> Result<(), ReadError> {
        let mut chunk = [0u8; 16 * 1024];
        let read = self.stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(ReadError::Closed);
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }

    /// The next message head (through the blank line) and when its first byte arrived;
    /// `None` when the peer closed the connection cleanly between messages.
    async fn read_head(&mut self) -> Result<Option<(Vec<u8>, Instant)>, ReadError> {
        if self.buffer.is_empty() {
            match self.fill().await {
                Ok(()) => {}
                Err(ReadError::Closed) => return Ok(None),
                Err(error) => return Err(error),
            }
        }
        let started = Instant::now();
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head: Vec<u8> = self.buffer.drain(..end + 4).collect();
                return Ok(Some((head, started)));
            }
            if self.buffer.len() > MAX_HEAD_BYTES {
                return Err(ReadError::Framing("a head larger than 64 KiB".to_owned()));
            }
            self.fill().await?;
        }
    }

    /// Exactly `length` more bytes.
    async fn read_exact(&mut self, length: usize) -> Result<Vec<u8>, ReadError> {
        while self.buffer.len() < length {
            self.fill().await?;
        }
        Ok(self.buffer.drain(..length).collect())
    }

    /// Waits until the peer closes the connection, discarding what it sends.
    async fn wait_closed(&mut self) {
        while self.fill().await.is_ok() {
            self.buffer.clear();
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The parts of a head this proxy needs.
struct Head {
    /// Request method or reply status text.
    first: Vec<String>,
    content_length: Option<usize>,
    chunked: bool,
    close: bool,
}

fn parse_head(head: &[u8]) -> Result<Head, String> {
    let text = std::str::from_utf8(head).map_err(|_| "a head that is not UTF-8".to_owned())?;
    let mut lines = text.split("\r\n");
    let first = lines
        .next()
        .unwrap_or_default()
        .split(' ')
        .map(str::to_owned)
        .collect::<Vec<_>>();
    if first.len() < 2 {
        return Err(format!("a malformed first line {:?}", first.join(" ")));
    }
    let mut parsed = Head {
        first,
        content_length: None,
        chunked: false,
        close: false,
    };
    for line in lines.filter(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("a malformed header {line:?}"));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let length = value
                    .parse::<usize>()
                    .map_err(|_| format!("content-length {value:?}"))?;
                if length > MAX_BODY_BYTES {
                    return Err(format!("a body of {length} bytes"));
                }
                parsed.content_length = Some(length);
            }
            "transfer-encoding" => parsed.chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => parsed.close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    if parsed.chunked {
        return Err("a chunked body (not spoken by this proxy)".to_owned());
    }
    Ok(parsed)
}

/// The head with any `Connection` header replaced by `Connection: close`.
fn with_close(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(text.len() + 20);
    for line in text.trim_end_matches("\r\n").split("\r\n") {
        if line
            .split_once(':')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("connection"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("connection: close\r\n\r\n");
    out.into_bytes()
}

/// The `submission_id`s of a sealed submission body or of a batch of them, in order, read
/// from as much of it as arrived (an id cut off is left out).
fn submission_ids(body: &[u8]) -> Vec<String> {
    const KEY: &[u8] = b"\"submission_id\":\"";
    let mut ids = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, KEY) {
        rest = &rest[at + KEY.len()..];
        let Some(length) = rest.iter().position(|byte| *byte == b'"') else {
            break;
        };
        if let Ok(id) = String::from_utf8(rest[..length].to_vec()) {
            ids.push(id);
        }
        rest = &rest[length..];
    }
    ids
}

/// A reply the proxy makes up: status line, JSON error body, `Connection: close`.
fn canned_reply(status: u16, reason: &str, code: &str, retry_after: Option<u64>) -> Vec<u8> {
    let body =
        format!(r#"{{"error":{{"code":"{code}","message":"injected by the fault proxy"}}}}"#);
    let retry_after = retry_after
        .map(|seconds| format!("retry-after: {seconds}\r\n"))
        .unwrap_or_default();
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{retry_after}connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

type ClientSide = tokio_rustls::server::TlsStream<TcpStream>;
type DropBoxSide = tokio_rustls::client::TlsStream<TcpStream>;

/// How one request ended for the connection.
enum Next {
    /// Serve the next request.
    Continue,
    /// The connection is finished (closed, reset or abandoned).
    Done,
}

async fn serve_connection(tcp: TcpStream, plan: Plan, context: Arc<Context>) {
    let id = plan.id;
    let _ = tcp.set_nodelay(true);
    match context.acceptor.accept(tcp).await {
        Ok(tls) => serve_requests(Peer::new(tls), plan, &context).await,
        Err(error) => note_problem(&context, id, format!("TLS with the client: {error}")),
    }
    lock(&context.state).active -= 1;
}

async fn serve_requests(mut client: Peer<ClientSide>, mut plan: Plan, context: &Context) {
    let mut upstream: Option<Peer<DropBoxSide>> = None;
    for index in 1..=plan.requests {
        let last = index == plan.requests;
        let fault = if last { plan.fault } else { None };
        let next = serve_request(
            &mut client,
            &mut upstream,
            &mut plan,
            index,
            fault,
            last,
            context,
        )
        .await;
        if matches!(next, Next::Done) {
            return;
        }
    }
}

fn note_problem(context: &Context, id: u64, problem: String) {
    if let Some(connection) = connection_mut(&mut lock(&context.state), id) {
        connection.problem.get_or_insert(problem);
    }
}

fn note_client_gone(context: &Context, id: u64) {
    if let Some(connection) = connection_mut(&mut lock(&context.state), id) {
        connection.client_gone = true;
    }
}

fn connection_mut(state: &mut State, id: u64) -> Option<&mut ConnectionRecord> {
    let index = usize::try_from(id).ok()?.checked_sub(1)?;
    state.connections.get_mut(index)
}

/// Reads one request from the client and treats it as `fault` says.
async fn serve_request(
    client: &mut Peer<ClientSide>,
    upstream: &mut Option<Peer<DropBoxSide>>,
    plan: &mut Plan,
    index: u64,
    fault: Option<FaultKind>,
    last: bool,
    context: &Context,
) -> Next {
    let id = plan.id;
    let (head, started) = match client.read_head().await {
        Ok(Some(head)) => head,
        // The client closed an idle connection: nothing planned for it happens.
        Ok(None) => return Next::Done,
        Err(ReadError::Closed) => {
            note_problem(context, id, "the client closed mid-head".to_owned());
            return Next::Done;
        }
        Err(ReadError::Framing(problem)) => {
            note_problem(context, id, format!("request: {problem}"));
            return Next::Done;
        }
    };
    let parsed = match parse_head(&head) {
        Ok(parsed) => parsed,
        Err(problem) => {
            note_problem(context, id, format!("request: {problem}"));
            return Next::Done;
        }
    };
    if let Some(connection) = connection_mut(&mut lock(&context.state), id) {
        connection.requests += 1;
        if fault.is_some() {
            connection.struck = fault;
        }
    }
    let mut record = RequestRecord {
        connection: id,
        index,
        method: parsed.first[0].clone(),
        path: parsed.first[1].clone(),
        submission_ids: Vec::new(),
        started,
        fault,
        reached_drop_box: false,
        status: None,
        retry_after: None,
        answered: None,
    };
    let next = treat(
        client,
        upstream,
        plan,
        &head,
        &parsed,
        fault,
        last,
        context,
        &mut record,
    )
    .await;
    lock(&context.state).requests.push(record);
    next
}

#[allow(clippy::too_many_arguments)]
async fn treat(
    client: &mut Peer<ClientSide>,
    upstream: &mut Option<Peer<DropBoxSide>>,
    plan: &mut Plan,
    head: &[u8],
    parsed: &Head,
    fault: Option<FaultKind>,
    last: bool,
    context: &Context,
    record: &mut RequestRecord,
) -> Next {
    let id = plan.id;
    let length = parsed.content_length.unwrap_or(0);
    if fault == Some(FaultKind::Reset) {
        // Half the body, passed on as far as it got; then RST both ways.
        let part = match client.read_exact(length / 2).await {
            Ok(part) => part,
            Err(_) => {
                note_client_gone(context, id);
                return Next::Done;
            }
        };
        record.submission_ids = submission_ids(&part);
        if let Ok(drop_box) = connect_upstream(upstream, context).await {
            let mut partial = head.to_vec();
            partial.extend_from_slice(&part);
            let _ = drop_box.send(&partial).await;
            let _ = drop_box.stream.get_ref().0.set_zero_linger();
        }
        let _ = client.stream.get_ref().0.set_zero_linger();
        upstream.take();
        return Next::Done;
    }
    let body = match client.read_exact(length).await {
        Ok(body) => body,
        Err(ReadError::Closed) => {
            note_problem(context, id, "the client closed mid-body".to_owned());
            return Next::Done;
        }
        Err(ReadError::Framing(problem)) => {
            note_problem(context, id, format!("request: {problem}"));
            return Next::Done;
        }
    };
    record.submission_ids = submission_ids(&body);
    let canned = match fault {
        Some(FaultKind::ServerError) => {
            Some(canned_reply(500, "Internal Server Error", "Internal", None))
        }
        Some(FaultKind::TooManyRequests) => {
            let (min, max) = context.config.retry_after_seconds;
            let seconds = plan.rng.between(min, max);
            record.retry_after = Some(seconds);
            Some(canned_reply(
                429,
                "Too Many Requests",
                "RateLimited",
                Some(seconds),
            ))
        }
        _ => None,
    };
    if let Some(reply) = canned {
        record.status = Some(if record.retry_after.is_some() {
            429
        } else {
            500
        });
        if client.send(&reply).await.is_err() {
            note_client_gone(context, id);
            return Next::Done;
        }
        record.answered = Some(Instant::now());
        let _ = client.stream.shutdown().await;
        return Next::Done;
    }
    if fault == Some(FaultKind::Stall) {
        // Held until the client gives up: that is the fault, not the client going away.
        let _ = tokio::time::timeout(context.config.stall_limit, client.wait_closed()).await;
        return Next::Done;
    }
    // Delay, Truncate and clean requests go to the drop box.
    let (reply_head, reply_body, status, upstream_closes) =
        match exchange(upstream, head, &body, context).await {
            Ok(reply) => reply,
            Err(problem) => {
                note_problem(context, id, format!("drop box: {problem}"));
                return Next::Done;
            }
        };
    record.reached_drop_box = true;
    record.status = Some(status);
    if upstream_closes {
        upstream.take();
    }
    let closing = last || upstream_closes;
    let mut reply = if closing {
        with_close(&reply_head)
    } else {
        reply_head
    };
    reply.extend_from_slice(&reply_body);
    match fault {
        Some(FaultKind::Delay) => {
            let (min, max) = context.config.delay;
            let hold = plan.rng.between(millis(min), millis(max));
            tokio::time::sleep(Duration::from_millis(hold)).await;
        }
        Some(FaultKind::Truncate) => {
            let cut = 1 + plan.rng.below(reply.len().saturating_sub(1) as u64) as usize;
            if client.send(&reply[..cut]).await.is_err() {
                note_client_gone(context, id);
            } else {
                record.answered = Some(Instant::now());
            }
            // No close_notify: the TCP connection just ends.
            return Next::Done;
        }
        _ => {}
    }
    if client.send(&reply).await.is_err() {
        note_client_gone(context, id);
        return Next::Done;
    }
    record.answered = Some(Instant::now());
    if closing {
        let _ = client.stream.shutdown().await;
        return Next::Done;
    }
    Next::Continue
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

async fn connect_upstream<'a>(
    upstream: &'a mut Option<Peer<DropBoxSide>>,
    context: &Context,
) -> Result<&'a mut Peer<DropBoxSide>, String> {
    if upstream.is_none() {
        let addr = lock(&context.state)
            .upstream
            .ok_or_else(|| "no drop box address set yet".to_owned())?;
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|error| format!("connect: {error}"))?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
        let tls = context
            .connector
            .connect(name, tcp)
            .await
            .map_err(|error| format!("TLS: {error}"))?;
        *upstream = Some(Peer::new(tls));
    }
    upstream
        .as_mut()
        .ok_or_else(|| "no drop box connection".to_owned())
}

/// Sends one request to the drop box and reads its reply: head, body, status, and
/// whether the drop box closes the connection after it.
async fn exchange(
    upstream: &mut Option<Peer<DropBoxSide>>,
    head: &[u8],
    body: &[u8],
    context: &Context,
) -> Result<(Vec<u8>, Vec<u8>, u16, bool), String> {
    let drop_box = connect_upstream(upstream, context).await?;
    let mut request = head.to_vec();
    request.extend_from_slice(body);
    let result = async {
        drop_box
            .send(&request)
            .await
            .map_err(|error| format!("send: {error}"))?;
        let (reply_head, _) = match drop_box.read_head().await {
            Ok(Some(reply)) => reply,
            Ok(None) | Err(ReadError::Closed) => return Err("closed before replying".to_owned()),
            Err(ReadError::Framing(problem)) => return Err(problem),
        };
        let parsed = parse_head(&reply_head)?;
        let status = parsed.first[1]
            .parse::<u16>()
            .map_err(|_| format!("status {:?}", parsed.first[1]))?;
        let length = match parsed.content_length {
            Some(length) => length,
            None if status == 204 || status == 304 || status < 200 => 0,
            None => return Err(format!("a {status} reply without content-length")),
        };
        let reply_body = match drop_box.read_exact(length).await {
            Ok(body) => body,
            Err(ReadError::Closed) => return Err("closed mid-reply".to_owned()),
            Err(ReadError::Framing(problem)) => return Err(problem),
        };
        Ok((reply_head, reply_body, status, parsed.close))
    }
    .await;
    if result.is_err() {
        upstream.take();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_replay_from_the_seed_and_fault_exactly_the_asked_share_with_every_kind() {
        let config = FaultConfig::new(42);
        let plans: Vec<(u64, Option<FaultKind>)> = (1..=2000)
            .map(|id| {
                let plan = Plan::draw(&config, id);
                (plan.requests, plan.fault)
            })
            .collect();
        let again: Vec<(u64, Option<FaultKind>)> = (1..=2000)
            .map(|id| {
                let plan = Plan::draw(&config, id);
                (plan.requests, plan.fault)
            })
            .collect();
        assert_eq!(plans, again);
        // Exactly three of every ten connections, and the kinds in shuffled rounds.
        for block in plans.chunks(10) {
            let faulted = block.iter().filter(|(_, fault)| fault.is_some()).count();
            assert_eq!(faulted, 3);
        }
        let kinds: Vec<FaultKind> = plans.iter().filter_map(|(_, fault)| *fault).collect();
        assert_eq!(kinds.len(), 600);
        for round in kinds.chunks(FaultKind::ALL.len()) {
            let distinct: std::collections::BTreeSet<&str> =
                round.iter().map(|kind| kind.name()).collect();
            assert_eq!(distinct.len(), FaultKind::ALL.len(), "{round:?}");
        }
        assert_ne!(kinds[..5], kinds[5..10], "rounds are shuffled afresh");
        assert!(plans.iter().all(|(requests, _)| (1..=3).contains(requests)));
        let other: Vec<Option<FaultKind>> = (1..=2000)
            .map(|id| Plan::draw(&FaultConfig::new(43), id).fault)
            .collect();
        assert_ne!(
            other,
            plans.iter().map(|(_, fault)| *fault).collect::<Vec<_>>()
        );
    }

    #[test]
    fn heads_are_read_and_rewritten() {
        let head = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n";
        let parsed = parse_head(head).expect("parsed");
        assert_eq!(parsed.first[1], "201");
        assert_eq!(parsed.content_length, Some(12));
        assert!(!parsed.close);
        let closed = with_close(head);
        let text = String::from_utf8(closed.clone()).expect("text");
        assert!(text.ends_with("connection: close\r\n\r\n"), "{text}");
        assert_eq!(text.matches("onnection").count(), 1, "{text}");
        assert!(parse_head(&closed).expect("parsed").close);
        assert!(
            parse_head(b"POST /v1/submissions HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n")
                .is_err()
        );
    }

    #[test]
    fn the_submission_ids_are_found_in_a_partial_body_and_in_a_batch() {
        let body = br#"{"format":"x","policy_id":"p","policy_version":1,"submission_id":"0123abcd","parts":[{"#;
        assert_eq!(submission_ids(body), vec!["0123abcd".to_owned()]);
        assert!(submission_ids(br#"{"submission_id":"01"#).is_empty());
        let batch = br#"{"format":"b","submissions":[{"submission_id":"aa","parts":[]},{"submission_id":"bb","parts":[]},{"submission_id":"c"#;
        assert_eq!(
            submission_ids(batch),
            vec!["aa".to_owned(), "bb".to_owned()]
        );
    }
}
