//! A TCP proxy on 127.0.0.1 between the device and the drop box: it records every byte
//! in both directions (TLS passes through it untouched, so what it records is what an
//! observer of the network sees), and can misbehave on purpose.
//!
//! Modes, read when a connection is accepted:
//! - [`ProxyMode::Forward`]: pass bytes both ways.
//! - [`ProxyMode::CutAfterReply`]: pass the handshake and the request, then hold back
//!   everything the server sends; once the server's reply has arrived in full (a large
//!   TLS record after the request, then quiet), close both connections. The server has
//!   committed the submission, the client never hears of it.
//! - [`ProxyMode::Stall`]: hold the connection for a while before passing anything, so
//!   the client's timeout strikes first.
//!
//! It runs on a tokio runtime of its own, so the tests that use it stay synchronous.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// TLS record content type of application data (every encrypted TLS 1.3 record).
const APPLICATION_DATA: u8 = 0x17;
/// A client record at least this long after the handshake is the request (a sealed
/// submission is kilobytes; the client's Finished is under a hundred bytes).
const REQUEST_RECORD_BYTES: usize = 600;
/// A server record at least this long after the request is the reply (a receipt is
/// about 300 bytes of JSON; session tickets are under 120).
const REPLY_RECORD_BYTES: usize = 250;
/// How long the server must stay quiet after the reply before the cut.
const QUIET: Duration = Duration::from_millis(150);

/// How the proxy treats new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Pass bytes both ways.
    Forward,
    /// Forward the request, swallow the full reply, close the client's connection.
    CutAfterReply,
    /// Wait this long before connecting upstream and passing bytes.
    Stall(Duration),
}

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    mode: ProxyMode,
    connections: usize,
    cuts: usize,
    client_to_server: Vec<u8>,
    server_to_client: Vec<u8>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running proxy; stopped on drop.
pub struct Proxy {
    addr: SocketAddr,
    state: Shared,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> Self {
        let state: Shared = Arc::new(Mutex::new(State {
            upstream,
            mode: ProxyMode::Forward,
            connections: 0,
            cuts: 0,
            client_to_server: Vec::new(),
            server_to_client: Vec::new(),
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|error| panic!("proxy bind: {error}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|error| panic!("proxy nonblocking: {error}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("proxy address: {error}"));
        let (stop, mut stopped) = watch::channel(false);
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap_or_else(|error| panic!("proxy runtime: {error}"));
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener)
                    .unwrap_or_else(|error| panic!("proxy listener: {error}"));
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            if let Ok((client, _)) = accepted {
                                tokio::spawn(handle(client, shared.clone()));
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
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT/v1`: the endpoint URL a policy names to go through it.
    pub fn endpoint_url(&self) -> String {
        format!("https://{}/v1", self.addr)
    }

    /// Forward new connections to `upstream` from now on.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        lock(&self.state).upstream = upstream;
    }

    /// Treat new connections this way from now on.
    pub fn set_mode(&self, mode: ProxyMode) {
        lock(&self.state).mode = mode;
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        lock(&self.state).connections
    }

    /// Connections cut after the server's reply so far.
    pub fn cuts(&self) -> usize {
        lock(&self.state).cuts
    }

    /// Every byte clients sent, all connections in order of arrival.
    pub fn client_to_server(&self) -> Vec<u8> {
        lock(&self.state).client_to_server.clone()
    }

    /// Every byte servers sent (forwarded or held back).
    pub fn server_to_client(&self) -> Vec<u8> {
        lock(&self.state).server_to_client.clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(client: TcpStream, state: Shared) {
    let (upstream, mode) = {
        let mut state = lock(&state);
        state.connections += 1;
        (state.upstream, state.mode)
    };
    if let ProxyMode::Stall(delay) = mode {
        tokio::time::sleep(delay).await;
    }
    // An upstream that is down: the client sees its connection closed.
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    match mode {
        ProxyMode::Forward | ProxyMode::Stall(_) => {
            let up = pump(
                client_read,
                server_write,
                state.clone(),
                Direction::Up,
                None,
            );
            let down = pump(server_read, client_write, state, Direction::Down, None);
            tokio::join!(up, down);
        }
        ProxyMode::CutAfterReply => {
            let (request_seen, request_rx) = watch::channel(false);
            let up = tokio::spawn(pump(
                client_read,
                server_write,
                state.clone(),
                Direction::Up,
                Some(request_seen),
            ));
            hold_reply_then_cut(server_read, client_write, state, request_rx).await;
            up.abort();
        }
    }
}

#[derive(Clone, Copy)]
enum Direction {
    /// Client to server.
    Up,
    /// Server to client.
    Down,
}

fn record(state: &Shared, direction: Direction, bytes: &[u8]) {
    let mut state = lock(state);
    match direction {
        Direction::Up => state.client_to_server.extend_from_slice(bytes),
        Direction::Down => state.server_to_client.extend_from_slice(bytes),
    }
}

/// Copies `from` to `to`, recording every byte; with `request_seen`, reports once a
/// TLS record long enough to be the request has passed.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    state: Shared,
    direction: Direction,
    request_seen: Option<watch::Sender<bool>>,
) {
    let mut records = RecordScanner::default();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let bytes = &buffer[..read];
        record(&state, direction, bytes);
        if to.write_all(bytes).await.is_err() {
            break;
        }
        if let Some(seen) = &request_seen {
            if records
                .push(bytes)
                .any(|(kind, length)| kind == APPLICATION_DATA && length >= REQUEST_RECORD_BYTES)
            {
                let _ = seen.send(true);
            }
        }
    }
    let _ = to.shutdown().await;
}

/// Passes the server's bytes to the client until the request went up; then holds them
/// back until the reply is complete, and closes both sides.
async fn hold_reply_then_cut(
    mut server: OwnedReadHalf,
    mut client: OwnedWriteHalf,
    state: Shared,
    mut request_seen: watch::Receiver<bool>,
) {
    let mut records = RecordScanner::default();
    let mut buffer = vec![0u8; 16 * 1024];
    let mut reply_seen = false;
    let mut watching = true;
    loop {
        let holding = *request_seen.borrow();
        let read = if reply_seen {
            match tokio::time::timeout(QUIET, server.read(&mut buffer)).await {
                Ok(read) => read,
                // Quiet after the reply: it is complete.
                Err(_) => break,
            }
        } else if holding || !watching {
            server.read(&mut buffer).await
        } else {
            tokio::select! {
                read = server.read(&mut buffer) => read,
                changed = request_seen.changed() => {
                    // The client side ended: nothing more will be watched for.
                    watching = changed.is_ok();
                    continue;
                }
            }
        };
        let read = match read {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let bytes = &buffer[..read];
        record(&state, Direction::Down, bytes);
        let holding = holding || *request_seen.borrow();
        if holding {
            if records
                .push(bytes)
                .any(|(kind, length)| kind == APPLICATION_DATA && length >= REPLY_RECORD_BYTES)
            {
                reply_seen = true;
            }
        } else {
            records.push(bytes).for_each(drop);
            if client.write_all(bytes).await.is_err() {
                return;
            }
        }
    }
    if reply_seen {
        lock(&state).cuts += 1;
    }
    // Dropping both halves closes the connections: the client never gets the reply.
    drop(client);
    drop(server);
}

/// Splits a byte stream into TLS records (5-byte header: type, version, length).
#[derive(Default)]
struct RecordScanner {
    pending: Vec<u8>,
}

impl RecordScanner {
    /// Adds bytes; yields `(content type, length)` of every record completed.
    fn push(&mut self, bytes: &[u8]) -> impl Iterator<Item = (u8, usize)> {
        self.pending.extend_from_slice(bytes);
        let mut complete = Vec::new();
        loop {
            if self.pending.len() < 5 {
                break;
            }
            let length = usize::from(u16::from_be_bytes([self.pending[3], self.pending[4]]));
            if self.pending.len() < 5 + length {
                break;
            }
            complete.push((self.pending[0], length));
            self.pending.drain(..5 + length);
        }
        complete.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_split_across_reads() {
        let mut scanner = RecordScanner::default();
        let mut stream = vec![0x16, 3, 3, 0, 2, 9, 9];
        stream.extend([0x17, 3, 3, 0x02, 0x58]);
        stream.extend(vec![0u8; 600]);
        let (first, second) = stream.split_at(9);
        assert_eq!(scanner.push(first).collect::<Vec<_>>(), vec![(0x16, 2)]);
        assert_eq!(scanner.push(second).collect::<Vec<_>>(), vec![(0x17, 600)]);
        assert!(scanner.pending.is_empty());
    }
}
