//! The pinned HTTPS transport to a policy's endpoint.
//!
//! A client is built per policy: rustls on ring's provider (never a process-global
//! provider), WebPKI roots (plus extra roots only when the app configures them for tests
//! or development), and a verifier that, after normal chain and name validation, requires
//! the end-entity certificate's SubjectPublicKeyInfo SHA-256 to be one of the policy's
//! pins. HTTPS only (plain HTTP only to loopback behind an explicit developer flag), no
//! redirect to another origin, connect and total timeouts, and response bodies read with
//! a size cap.
//!
//! The device speaks HTTP/1.1 with keep-alive (no ALPN is offered): a sync keeps a few
//! pooled connections busy, and leaving HTTP/2 out keeps the library apps ship smaller
//! (see docs/performance.md, "Library size"). The drop box serves both.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::SigningKey;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use webpki::ring as algs;

use super::wire::MAX_RESPONSE_BYTES;
use crate::crypto::sha256;
use crate::policy::Endpoint;

/// How the transport may deviate from production defaults; every deviation is explicit.
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// Extra trust roots (DER) beside the WebPKI roots: a test or development CA.
    pub extra_roots: Vec<Vec<u8>>,
    /// Allow `http://` to loopback addresses only. For local development; never in apps.
    pub allow_loopback_http: bool,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Total timeout of one request, including reading the reply.
    pub total_timeout: Duration,
    /// Largest reply body read.
    pub max_response_bytes: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            extra_roots: Vec::new(),
            allow_loopback_http: false,
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }
}

/// Why a transport could not be built or a request did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The endpoint URL is not https (or not loopback http with the developer flag).
    #[error("the endpoint must use https: {0}")]
    NotHttps(String),
    /// The URL could not be parsed.
    #[error("invalid endpoint URL: {0}")]
    BadUrl(String),
    /// A pin or extra root could not be decoded.
    #[error("invalid TLS configuration: {0}")]
    Config(String),
    /// Connecting, the TLS handshake or reading failed; may succeed later.
    #[error("network error: {0}")]
    Network(String),
    /// The server's certificate did not validate (an issuer the device does not trust, a
    /// name it does not cover, outside its validity): nothing was sent. A server set up
    /// for tests or development needs its root given as an extra root.
    #[error("the server's certificate was refused: {0}")]
    CertificateRefused(String),
    /// The certificate validated, but its key is none of the policy's pins: nothing was
    /// sent. Carries the pin the server's key has (`sha256/` of its SubjectPublicKeyInfo,
    /// base64), public, for comparing with the policy's `endpoint.spki_sha256`.
    #[error("the server's key is not pinned by the policy (its pin: {0})")]
    PinMismatch(String),
    /// The request timed out.
    #[error("the request timed out")]
    Timeout,
    /// The reply was larger than the cap.
    #[error("the reply exceeded {0} bytes")]
    ResponseTooLarge(usize),
    /// The server answered with a redirect, which is never followed to another origin.
    #[error("the server redirected to another origin ({0}); not followed")]
    Redirected(String),
}

impl TransportError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            TransportError::NotHttps(_) => "EndpointNotHttps",
            TransportError::BadUrl(_) => "EndpointBadUrl",
            TransportError::Config(_) => "TransportConfig",
            TransportError::Network(_) => "Network",
            TransportError::CertificateRefused(_) => "CertificateRefused",
            TransportError::PinMismatch(_) => "PinMismatch",
            TransportError::Timeout => "Timeout",
            TransportError::ResponseTooLarge(_) => "ResponseTooLarge",
            TransportError::Redirected(_) => "Redirected",
        }
    }
}

/// A reply: status, `Retry-After` header and the capped body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The raw `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The body, at most the configured cap.
    pub body: Vec<u8>,
}

/// An HTTPS client bound to one policy's endpoint and pins.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    base: reqwest::Url,
    max_response_bytes: usize,
    /// Set once the endpoint answered a batch with 404 or 405 (an endpoint without the
    /// batch route): submissions then go one per request. Shared by the clones.
    no_batches: Arc<AtomicBool>,
}

/// Verifies the chain and name with WebPKI, then the SPKI pin.
#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pins: Vec<[u8; 32]>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        let spki_hash = sha256(parsed.subject_public_key_info().as_ref());
        if self.pins.contains(&spki_hash) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(NotPinned(spki_hash)))),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A certificate whose key (the SHA-256 of its SubjectPublicKeyInfo) no pin names.
#[derive(Debug)]
struct NotPinned([u8; 32]);

impl std::fmt::Display for NotPinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server's public key is not pinned by the policy (its pin: {})",
            base64::engine::general_purpose::STANDARD.encode(self.0)
        )
    }
}

impl std::error::Error for NotPinned {}

/// The device never presents a client certificate, so its TLS provider loads no private
/// key.
#[derive(Debug)]
struct NoClientKeys;

impl KeyProvider for NoClientKeys {
    fn load_private_key(
        &self,
        _key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "the device does not use client certificates".to_owned(),
        ))
    }
}

/// The operating system's generator, through ring.
#[derive(Debug)]
struct SystemRandomness;

impl SecureRandom for SystemRandomness {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf)
            .map_err(|_| GetRandomFailed)
    }
}

/// Signatures the device accepts in a server's certificate chain and handshake: ECDSA on
/// P-256 and P-384, Ed25519, and RSA (PKCS#1 v1.5 and PSS, 2048 to 8192 bits) with SHA-2,
/// as ring verifies them through webpki. No SHA-1 and no RSA key under 2048 bits.
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        algs::ECDSA_P256_SHA256,
        algs::ECDSA_P256_SHA384,
        algs::ECDSA_P384_SHA256,
        algs::ECDSA_P384_SHA384,
        algs::ED25519,
        algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        algs::RSA_PKCS1_2048_8192_SHA256,
        algs::RSA_PKCS1_2048_8192_SHA384,
        algs::RSA_PKCS1_2048_8192_SHA512,
        algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    // TLS 1.3 fixes the curve of an ECDSA scheme; TLS 1.2 does not, hence two each.
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256],
        ),
        (SignatureScheme::ED25519, &[algs::ED25519]),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[algs::RSA_PKCS1_2048_8192_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[algs::RSA_PKCS1_2048_8192_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[algs::RSA_PKCS1_2048_8192_SHA256],
        ),
    ],
};

/// The device's TLS provider, assembled from ring's parts rather than taken whole from
/// `rustls::crypto::ring::default_provider()`: the same cipher suites and key exchange
/// groups, the signatures above, and no private-key loader. Referring to ring's whole
/// provider would keep its key loader, and with it ring's RSA and ECDSA signing code, in
/// the library apps ship.
fn device_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: rustls::crypto::ring::DEFAULT_CIPHER_SUITES.to_vec(),
        kx_groups: rustls::crypto::ring::DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &SystemRandomness,
        key_provider: &NoClientKeys,
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

impl Transport {
    /// A client for `endpoint`, pinned to its SPKI hashes.
    pub fn for_endpoint(
        endpoint: &Endpoint,
        config: &TransportConfig,
    ) -> Result<Self, TransportError> {
        let mut base = reqwest::Url::parse(&endpoint.url)
            .map_err(|error| TransportError::BadUrl(error.to_string()))?;
        let plain_http_allowed =
            config.allow_loopback_http && base.scheme() == "http" && is_loopback(&base);
        if base.scheme() != "https" && !plain_http_allowed {
            return Err(TransportError::NotHttps(endpoint.url.clone()));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let pins = endpoint
            .spki_sha256
            .iter()
            .map(|pin| {
                base64::engine::general_purpose::STANDARD
                    .decode(pin)
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or_else(|| TransportError::Config(format!("invalid SPKI pin {pin}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let provider: Arc<CryptoProvider> = Arc::new(device_provider());
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for der in &config.extra_roots {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|error| TransportError::Config(format!("extra root: {error}")))?;
        }
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|error| TransportError::Config(error.to_string()))?;
        let verifier = Arc::new(PinnedVerifier { inner, pins });
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| TransportError::Config(error.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let origin = base.origin();
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.url().origin() == origin && attempt.previous().len() < 3 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(!plain_http_allowed)
            .redirect(redirect)
            .connect_timeout(config.connect_timeout)
            .timeout(config.total_timeout)
            .user_agent("selfreport/1")
            .build()
            .map_err(|error| TransportError::Config(error.to_string()))?;
        Ok(Self {
            client,
            base,
            max_response_bytes: config.max_response_bytes,
            no_batches: Arc::new(AtomicBool::new(false)),
        })
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, TransportError> {
        self.base
            .join(path)
            .map_err(|error| TransportError::BadUrl(error.to_string()))
    }

    /// `POST {endpoint}/submissions` with `body`.
    /// With `authorization`, the `Authorization` header (an upload token:
    /// `PrivateToken token="…"`).
    pub async fn post_submission(
        &self,
        body: Vec<u8>,
        authorization: Option<&str>,
    ) -> Result<Reply, TransportError> {
        let mut request = self
            .client
            .post(self.url("submissions")?)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(value) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        self.send(request.body(body)).await
    }

    /// `POST {endpoint}/tokens`: a batch of token requests (docs/protocol.md, "POST
    /// {url}/tokens").
    pub async fn post_tokens(&self, body: Vec<u8>) -> Result<Reply, TransportError> {
        self.post_json("tokens", body).await
    }

    /// `POST {endpoint}/submissions/batch` with a body made by
    /// [`batch_body`](super::wire::batch_body).
    pub async fn post_batch(&self, body: Vec<u8>) -> Result<Reply, TransportError> {
        self.post_json("submissions/batch", body).await
    }

    /// Whether the endpoint takes batches (it has not answered one with 404 or 405).
    pub fn takes_batches(&self) -> bool {
        !self.no_batches.load(Ordering::Relaxed)
    }

    /// Records that the endpoint has no batch route: later submissions go one per request.
    pub fn refuse_batches(&self) {
        self.no_batches.store(true, Ordering::Relaxed);
    }

    /// `DELETE {endpoint}/submissions/{id}` with the deletion token.
    pub async fn delete_submission(
        &self,
        submission_id: &str,
        token: &str,
    ) -> Result<Reply, TransportError> {
        let request = self
            .client
            .delete(self.url(&format!("submissions/{submission_id}"))?)
            .bearer_auth(token);
        self.send(request).await
    }

    /// `GET {endpoint}/policy`.
    pub async fn fetch_policy(&self) -> Result<Reply, TransportError> {
        let request = self.client.get(self.url("policy")?);
        self.send(request).await
    }

    /// `GET {endpoint}/notices?after=N`: one batch of the access-notice mailbox.
    pub async fn fetch_notices(&self, after: u64) -> Result<Reply, TransportError> {
        let request = self
            .client
            .get(self.url(&format!("notices?after={after}"))?);
        self.send(request).await
    }

    /// `GET {endpoint}/revocations`: the latest revocation list of the policy's root that
    /// the drop box relays (404 when it relays none).
    pub async fn fetch_revocations(&self) -> Result<Reply, TransportError> {
        let request = self.client.get(self.url("revocations")?);
        self.send(request).await
    }

    /// `POST {endpoint}/enrollment-codes/redeem` with `body` (`{"code":"..."}`): the
    /// signed enrollment order a typed code stands for, once.
    pub async fn redeem_enrollment_code(&self, body: Vec<u8>) -> Result<Reply, TransportError> {
        self.post_json("enrollment-codes/redeem", body).await
    }

    /// `PUT {endpoint}/enrollment-codes/{code_hash}` with a signed enrollment order: the
    /// authority registering a typed code for it.
    pub async fn register_enrollment_code(
        &self,
        code_hash: &str,
        order: Vec<u8>,
    ) -> Result<Reply, TransportError> {
        let request = self
            .client
            .put(self.url(&format!("enrollment-codes/{code_hash}"))?)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(order);
        self.send(request).await
    }

    /// `POST {endpoint}/{path}` with a JSON `body`: one request builder for every route
    /// that posts, so each caller's future holds a call rather than a copy of it.
    async fn post_json(&self, path: &str, body: Vec<u8>) -> Result<Reply, TransportError> {
        let request = self
            .client
            .post(self.url(path)?)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        self.send(request).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Reply, TransportError> {
        let mut response = request.send().await.map_err(classify)?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("?")
                .chars()
                .take(200)
                .collect();
            return Err(TransportError::Redirected(location));
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.chars().take(64).collect());
        if let Some(length) = response.content_length() {
            if length > self.max_response_bytes as u64 {
                return Err(TransportError::ResponseTooLarge(self.max_response_bytes));
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(TransportError::ResponseTooLarge(self.max_response_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status: status.as_u16(),
            retry_after,
            body,
        })
    }
}

fn classify(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        return TransportError::Timeout;
    }
    // The full chain names the cause (a refused pin, a reset) without any request data.
    let mut message = error.to_string();
    let mut refused = None;
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        refused = refused.or_else(|| certificate_refusal(cause));
        source = cause.source();
    }
    let message: String = message.chars().take(500).collect();
    match refused {
        Some(Refusal::NotPinned(pin)) => TransportError::PinMismatch(pin),
        Some(Refusal::Certificate) => TransportError::CertificateRefused(message),
        None => TransportError::Network(message),
    }
}

/// Why a handshake refused the server's certificate.
enum Refusal {
    /// Valid, but its key is none of the pins (the server's pin, base64).
    NotPinned(String),
    /// Not valid for this device (issuer, name, dates).
    Certificate,
}

/// The certificate refusal `cause` is, if it is one: a rustls error, on its own or
/// inside the I/O errors the connection failed with (a few, nested).
fn certificate_refusal(cause: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let mut current = cause;
    let mut tls = None;
    for _ in 0..4 {
        if let Some(found) = current.downcast_ref::<rustls::Error>() {
            tls = Some(found);
            break;
        }
        match current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => current = inner,
            None => break,
        }
    }
    match tls? {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
            match other.0.downcast_ref::<NotPinned>() {
                Some(NotPinned(pin)) => Some(Refusal::NotPinned(
                    base64::engine::general_purpose::STANDARD.encode(pin),
                )),
                None => Some(Refusal::Certificate),
            }
        }
        rustls::Error::InvalidCertificate(_) => Some(Refusal::Certificate),
        _ => None,
    }
}

#[cfg(test)]
#[path = "transport_tests.rs"]
mod tests;
