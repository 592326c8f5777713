//! A scriptable HTTPS server on 127.0.0.1 for the transport and sync tests: certificates
//! made at test time (a private CA and a leaf for 127.0.0.1), HTTP/1.1 with one request per
//! connection, and a handler that decides each reply — or cuts the connection.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::crypto::sha256;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct SeenRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What the handler wants done.
pub(crate) enum Action {
    /// Reply with status, extra headers and body.
    Reply(u16, Vec<(String, String)>, Vec<u8>),
    /// Close the connection without a reply (after reading the request).
    Cut,
    /// Wait, then do the other action.
    Later(std::time::Duration, Box<Action>),
}

type Handler = dyn Fn(&SeenRequest) -> Action + Send + Sync;

/// A private CA and a leaf certificate for 127.0.0.1 signed by it.
pub(crate) struct TestPki {
    pub ca_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
    pub leaf_key_der: Vec<u8>,
    pub leaf_pin: String,
}

impl TestPki {
    pub(crate) fn new() -> Self {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("CA cert");
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("leaf params");
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca, &ca_key)
            .expect("leaf cert");
        Self {
            ca_der: ca.der().to_vec(),
            leaf_der: leaf.der().to_vec(),
            leaf_key_der: leaf_key.serialize_der(),
            leaf_pin: base64::engine::general_purpose::STANDARD
                .encode(sha256(&leaf_key.public_key_der())),
        }
    }
}

/// The running server.
pub(crate) struct TestServer {
    pub url: String,
    pub pki: TestPki,
    pub seen: Arc<Mutex<Vec<SeenRequest>>>,
}

impl TestServer {
    /// Starts a server whose URL has the path `/v1`.
    pub(crate) async fn start(
        handler: impl Fn(&SeenRequest) -> Action + Send + Sync + 'static,
    ) -> Self {
        Self::start_with(TestPki::new(), handler).await
    }

    pub(crate) async fn start_with(
        pki: TestPki,
        handler: impl Fn(&SeenRequest) -> Action + Send + Sync + 'static,
    ) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(pki.leaf_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.leaf_key_der.clone())),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let seen_by_server = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let handler = handler.clone();
                let seen = seen_by_server.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Some(request) = read_request(&mut tls).await else {
                        return;
                    };
                    let mut action = handler(&request);
                    seen.lock().expect("seen").push(request);
                    while let Action::Later(delay, then) = action {
                        tokio::time::sleep(delay).await;
                        action = *then;
                    }
                    if let Action::Reply(status, headers, body) = action {
                        let mut head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                            body.len()
                        );
                        for (name, value) in headers {
                            head.push_str(&format!("{name}: {value}\r\n"));
                        }
                        head.push_str("\r\n");
                        let _ = tls.write_all(head.as_bytes()).await;
                        let _ = tls.write_all(&body).await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        Self {
            url: format!("https://127.0.0.1:{}/v1", addr.port()),
            pki,
            seen,
        }
    }

    pub(crate) fn requests(&self) -> Vec<SeenRequest> {
        self.seen.lock().expect("seen").clone()
    }
}

async fn read_request<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<SeenRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buffer.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(SeenRequest {
        method,
        path,
        headers,
        body,
    })
}
