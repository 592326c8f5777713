//! The pinned transport against a loopback test server: pins, roots, redirects, caps.

use super::super::test_server::{Action, TestPki, TestServer};
use super::*;

fn endpoint(url: &str, pin: &str) -> Endpoint {
    Endpoint {
        url: url.to_owned(),
        spki_sha256: vec![pin.to_owned()],
        receipt_key: String::new(),
        token_keys: Vec::new(),
    }
}

fn config(server: &TestServer) -> TransportConfig {
    TransportConfig {
        extra_roots: vec![server.pki.ca_der.clone()],
        ..TransportConfig::default()
    }
}

fn ok(body: &[u8]) -> Action {
    Action::Reply(200, vec![], body.to_vec())
}

#[test]
fn the_device_provider_loads_no_private_key_and_matches_rings_algorithms() {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = || PrivateKeyDer::Pkcs8(pkcs8.as_ref().to_vec().into());
    let ring = rustls::crypto::ring::default_provider();
    assert!(ring.key_provider.load_private_key(key()).is_ok());
    let device = device_provider();
    assert!(device.key_provider.load_private_key(key()).is_err());
    let suites = |p: &CryptoProvider| {
        p.cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect::<Vec<_>>()
    };
    assert_eq!(suites(&device), suites(&ring));
    let groups = |p: &CryptoProvider| p.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>();
    assert_eq!(groups(&device), groups(&ring));
    let ours = device.signature_verification_algorithms;
    let rings = ring.signature_verification_algorithms;
    assert_eq!(ours.supported_schemes(), rings.supported_schemes());
    assert_eq!(ours.all.len(), rings.all.len());
    let mut bytes = [0u8; 32];
    device.secure_random.fill(&mut bytes).unwrap();
    assert_ne!(bytes, [0u8; 32]);
}

#[test]
fn host_names_are_ascii_only_and_idns_go_in_their_punycode_form() {
    let pin = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let config = TransportConfig::default();
    // An IDN written as policies require it (xn--), passed through as it is.
    let transport =
        Transport::for_endpoint(&endpoint("https://xn--fiqs8s.example/api", pin), &config).unwrap();
    assert_eq!(transport.base.host_str(), Some("xn--fiqs8s.example"));
    // The same name in Unicode is refused here as policies refuse it at install: the
    // `idna` back end pinned in core/Cargo.toml has no Unicode data (a back end with it
    // would turn this into xn--fiqs8s.example and this test would fail).
    assert!(matches!(
        Transport::for_endpoint(&endpoint("https://中国.example/api", pin), &config),
        Err(TransportError::BadUrl(_))
    ));
}

#[tokio::test]
async fn a_pinned_server_is_reached() {
    let server = TestServer::start(|_| ok(b"policy bytes")).await;
    let transport = Transport::for_endpoint(
        &endpoint(&server.url, &server.pki.leaf_pin),
        &config(&server),
    )
    .unwrap();
    let reply = transport.fetch_policy().await.unwrap();
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"policy bytes"[..])
    );
    assert_eq!(server.requests()[0].path, "/v1/policy");
}

/// The drop box refuses a body not declared `application/json` with 415: the device
/// declares exactly that on both routes with a body, and no type on the others.
#[tokio::test]
async fn bodies_are_declared_as_exactly_application_json() {
    let server = TestServer::start(|_| ok(b"")).await;
    let transport = Transport::for_endpoint(
        &endpoint(&server.url, &server.pki.leaf_pin),
        &config(&server),
    )
    .unwrap();
    transport
        .post_submission(b"{}".to_vec(), None)
        .await
        .unwrap();
    transport.post_batch(b"{}".to_vec()).await.unwrap();
    transport
        .delete_submission("0123456789abcdef0123456789abcdef", "token")
        .await
        .unwrap();
    transport.fetch_policy().await.unwrap();
    let content_types: Vec<(String, Vec<String>)> = server
        .requests()
        .into_iter()
        .map(|request| {
            let values = request
                .headers
                .iter()
                .filter(|(name, _)| name == "content-type")
                .map(|(_, value)| value.clone())
                .collect();
            (format!("{} {}", request.method, request.path), values)
        })
        .collect();
    let json = || vec!["application/json".to_owned()];
    assert_eq!(
        content_types,
        vec![
            ("POST /v1/submissions".to_owned(), json()),
            ("POST /v1/submissions/batch".to_owned(), json()),
            (
                "DELETE /v1/submissions/0123456789abcdef0123456789abcdef".to_owned(),
                vec![]
            ),
            ("GET /v1/policy".to_owned(), vec![]),
        ]
    );
}

#[tokio::test]
async fn a_valid_chain_with_an_unpinned_key_is_refused_before_anything_is_sent() {
    let server = TestServer::start(|_| ok(b"")).await;
    let other_pin = TestPki::new().leaf_pin;
    let transport =
        Transport::for_endpoint(&endpoint(&server.url, &other_pin), &config(&server)).unwrap();
    let error = transport
        .post_submission(b"secret".to_vec(), None)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        TransportError::PinMismatch(server.pki.leaf_pin.clone())
    );
    assert_eq!(error.code(), "PinMismatch");
    assert!(
        server.requests().is_empty(),
        "no request may reach an unpinned server"
    );
}

#[tokio::test]
async fn an_unknown_ca_is_refused_even_with_the_right_pin() {
    let server = TestServer::start(|_| ok(b"")).await;
    let transport = Transport::for_endpoint(
        &endpoint(&server.url, &server.pki.leaf_pin),
        &TransportConfig::default(),
    )
    .unwrap();
    let error = transport.fetch_policy().await.unwrap_err();
    assert!(
        matches!(error, TransportError::CertificateRefused(ref m) if m.contains("UnknownIssuer")),
        "{error:?}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn redirects_to_plain_http_or_another_origin_are_not_followed() {
    for location in [
        "http://127.0.0.1:9/v1/submissions",
        "https://example.org/v1/submissions",
    ] {
        let target = location.to_owned();
        let server = TestServer::start(move |_| {
            Action::Reply(307, vec![("Location".to_owned(), target.clone())], vec![])
        })
        .await;
        let transport = Transport::for_endpoint(
            &endpoint(&server.url, &server.pki.leaf_pin),
            &config(&server),
        )
        .unwrap();
        let error = transport
            .post_submission(b"{}".to_vec(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(error, TransportError::Redirected(_)),
            "{location}: {error:?}"
        );
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn an_oversized_reply_is_refused() {
    let server = TestServer::start(|_| ok(&vec![b'x'; MAX_RESPONSE_BYTES + 1])).await;
    let transport = Transport::for_endpoint(
        &endpoint(&server.url, &server.pki.leaf_pin),
        &config(&server),
    )
    .unwrap();
    assert!(matches!(
        transport.fetch_policy().await,
        Err(TransportError::ResponseTooLarge(_))
    ));
}

#[test]
fn plain_http_is_refused_unless_loopback_with_the_developer_flag() {
    let pin = TestPki::new().leaf_pin;
    let plain = endpoint("http://127.0.0.1:8080/v1", &pin);
    assert!(matches!(
        Transport::for_endpoint(&plain, &TransportConfig::default()),
        Err(TransportError::NotHttps(_))
    ));
    let developer = TransportConfig {
        allow_loopback_http: true,
        ..TransportConfig::default()
    };
    assert!(Transport::for_endpoint(&plain, &developer).is_ok());
    let remote = endpoint("http://report.example.org/v1", &pin);
    assert!(matches!(
        Transport::for_endpoint(&remote, &developer),
        Err(TransportError::NotHttps(_))
    ));
}
