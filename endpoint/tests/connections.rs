//! Connections that could hold the drop box (issue 14): a socket that sends nothing, a TLS
//! connection that goes quiet after its handshake, headers trickled a byte at a time, and
//! more connections than the cap. Each is closed within its documented limit, and the
//! drop box keeps answering real requests meanwhile. The limits are shortened here; the
//! defaults are in `ConnectionLimits::default()` and docs/protocol.md.

#[allow(dead_code)]
mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Backend, TestDropBox};
use rustls::crypto::ring;
use rustls::pki_types::ServerName;
use selfreport_endpoint::dropbox::ConnectionLimits;

const IDLE: Duration = Duration::from_millis(1500);
const HEADERS: Duration = Duration::from_millis(1000);
/// Scheduling slack on a busy 2-core machine.
const SLACK: Duration = Duration::from_millis(2500);

async fn drop_box(max_connections: usize) -> TestDropBox {
    TestDropBox::start(Backend::Sqlite, move |drop_box| {
        drop_box.with_connection_limits(ConnectionLimits {
            max_connections,
            idle_timeout: IDLE,
            header_timeout: HEADERS,
        })
    })
    .await
}

fn address(drop_box: &TestDropBox) -> SocketAddr {
    drop_box.running.local_addr()
}

/// Blocks until the server closes `read` (EOF or an error), or `limit` passes; the time
/// it took, or `None` if it stayed open.
fn closed_within(read: &mut dyn Read, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buffer = [0u8; 256];
    while start.elapsed() < limit {
        match read.read(&mut buffer) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                continue;
            }
            Err(_) => return Some(start.elapsed()),
        }
    }
    None
}

fn raw(addr: SocketAddr) -> TcpStream {
    let socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    socket
}

/// A TLS connection to the drop box trusting its test CA, handshake done.
fn tls(drop_box: &TestDropBox) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(drop_box.tls.ca.clone()).unwrap();
    let mut config =
        rustls::ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, raw(address(drop_box)));
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock).unwrap();
    }
    stream
}

async fn policy_status(drop_box: &TestDropBox) -> u16 {
    drop_box
        .tls
        .client()
        .get(format!("{}/policy", drop_box.url))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_and_a_quiet_tls_connection_are_closed_after_the_idle_timeout() {
    let drop_box = drop_box(16).await;
    let addr = address(&drop_box);
    let silent = tokio::task::spawn_blocking(move || closed_within(&mut raw(addr), IDLE + SLACK));
    let mut quiet = tls(&drop_box);
    let quiet = tokio::task::spawn_blocking(move || closed_within(&mut quiet, IDLE + SLACK));
    // Meanwhile real requests are answered.
    assert_eq!(policy_status(&drop_box).await, 200);
    for (what, closed) in [("silent socket", silent), ("quiet TLS", quiet)] {
        let after = closed.await.unwrap();
        let after = after.unwrap_or_else(|| panic!("the {what} connection stayed open"));
        assert!(
            after + Duration::from_millis(300) >= IDLE,
            "{what} closed early: {after:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_trickled_a_byte_at_a_time_are_cut_at_the_header_timeout() {
    let drop_box = drop_box(16).await;
    let mut stream = tls(&drop_box);
    let trickle = tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        stream
            .write_all(b"POST /v1/submissions HTTP/1.1\r\n")
            .unwrap();
        stream.flush().unwrap();
        // One byte every 200 ms keeps the connection from ever being idle.
        while start.elapsed() < HEADERS + SLACK {
            if stream
                .write_all(b"X")
                .and_then(|()| stream.flush())
                .is_err()
            {
                return Some(start.elapsed());
            }
            let mut buffer = [0u8; 512];
            match stream.read(&mut buffer) {
                Ok(0) => return Some(start.elapsed()),
                Ok(_) => {
                    // hyper may answer 408 before closing; read on until it closes.
                    continue;
                }
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return Some(start.elapsed()),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    });
    let closed = trickle
        .await
        .unwrap()
        .expect("the slow headers were never cut");
    assert!(
        closed < IDLE,
        "cut by the header timeout, not the idle one: {closed:?}"
    );
    assert_eq!(policy_status(&drop_box).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_above_the_cap_are_closed_at_once_and_slots_come_back() {
    let drop_box = drop_box(2).await;
    let addr = address(&drop_box);
    let first = raw(addr);
    let second = raw(addr);
    // Let the server accept both before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = tokio::task::spawn_blocking(move || {
        closed_within(&mut raw(addr), Duration::from_millis(900))
    });
    let closed = third.await.unwrap().expect("the third connection was kept");
    assert!(closed < Duration::from_millis(900), "{closed:?}");
    // Both slots free again once those two close: real requests go through.
    drop((first, second));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(policy_status(&drop_box).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_looping_on_a_route_does_not_take_another_clients_requests() {
    let drop_box = TestDropBox::start(Backend::Sqlite, |drop_box| {
        drop_box.with_rate_limit(Some(3)).unwrap()
    })
    .await;
    let looping = drop_box.tls.client_from([127, 0, 0, 1].into());
    let device = drop_box.tls.client_from([127, 0, 0, 2].into());
    let get = |client: &reqwest::Client| client.get(format!("{}/policy", drop_box.url)).send();
    let mut limited = false;
    for _ in 0..20 {
        if get(&looping).await.unwrap().status().as_u16() == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "the looping client is limited");
    // Another device, at once: its own bucket is full.
    assert_eq!(get(&device).await.unwrap().status().as_u16(), 200);
    // No address is logged.
    for line in drop_box.log_lines() {
        assert!(!line.contains("127.0.0."), "{line}");
    }
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let limits = ConnectionLimits::default();
    assert_eq!(limits.max_connections, 1024);
    assert_eq!(limits.idle_timeout, Duration::from_secs(35));
    assert_eq!(limits.header_timeout, Duration::from_secs(10));
    assert!(limits.idle_timeout > selfreport_endpoint::dropbox::DEFAULT_REQUEST_TIMEOUT);
}
