//! The client's blinding against RFC 9474's test vector, and tokens end to end with a
//! signer built from the vector's key.

use serde_json::Value;

use super::blinding::{self, BlindingSecret};
use super::issuer_key::IssuerKey;
use super::modular::Modulus;
use super::*;

fn vector() -> Value {
    serde_json::from_str(include_str!("rfc9474_vector.json")).unwrap()
}

fn bytes(vector: &Value, key: &str) -> Vec<u8> {
    let text = vector[key].as_str().unwrap();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// DER of a length.
fn der_length(length: usize) -> Vec<u8> {
    match length {
        0..=0x7f => vec![length as u8],
        0x80..=0xff => vec![0x81, length as u8],
        _ => vec![0x82, (length >> 8) as u8, length as u8],
    }
}

fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_length(contents.len()));
    out.extend_from_slice(contents);
    out
}

fn der_integer(magnitude: &[u8]) -> Vec<u8> {
    let mut contents = Vec::new();
    if magnitude[0] & 0x80 != 0 {
        contents.push(0);
    }
    contents.extend_from_slice(magnitude);
    der(0x02, &contents)
}

/// The RFC 9578 §6.5 SubjectPublicKeyInfo of (n, e), with `algorithm` as given.
pub(super) fn spki_with(n: &[u8], e: &[u8], algorithm: &[u8]) -> Vec<u8> {
    let rsa = der(0x30, &[der_integer(n), der_integer(e)].concat());
    let mut bits = vec![0u8];
    bits.extend(rsa);
    der(0x30, &[algorithm.to_vec(), der(0x03, &bits)].concat())
}

/// The id-RSASSA-PSS (SHA-384, salt 48) AlgorithmIdentifier, written out independently
/// of the parser's constant.
fn pss_sha384_algorithm() -> Vec<u8> {
    let sha384 = der(
        0x30,
        &der(
            0x06,
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
        ),
    );
    let mgf1 = der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08],
            ),
            sha384.clone(),
        ]
        .concat(),
    );
    let params = der(
        0x30,
        &[
            der(0xa0, &sha384),
            der(0xa1, &mgf1),
            der(0xa2, &der(0x02, &[48])),
        ]
        .concat(),
    );
    der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a],
            ),
            params,
        ]
        .concat(),
    )
}

fn vector_key() -> (Vec<u8>, IssuerKey) {
    let v = vector();
    let spki = spki_with(&bytes(&v, "n"), &bytes(&v, "e"), &pss_sha384_algorithm());
    assert!(
        IssuerKey::from_spki(&spki).is_err(),
        "RFC 9474's key has 4096 bits, a token key 2048"
    );
    let key = IssuerKey::from_spki_of_any_size(&spki).unwrap();
    (spki, key)
}

/// RFC 9578's 2048-bit issuer key.
fn token_key() -> IssuerKey {
    let all: Value = serde_json::from_str(include_str!("rfc9578_vectors.json")).unwrap();
    IssuerKey::from_spki(&hex(all["vectors"][0]["pkS"].as_str().unwrap())).unwrap()
}

fn os_random() -> impl FnMut(&mut [u8]) -> Result<(), TokenError> {
    let rng = ring::rand::SystemRandom::new();
    move |out: &mut [u8]| ring::rand::SecureRandom::fill(&rng, out).map_err(|_| TokenError::Random)
}

#[test]
fn blinding_matches_rfc_9474_vector() {
    let v = vector();
    let (spki, key) = vector_key();
    assert_eq!(spki.len(), 598);
    let salt: [u8; 48] = bytes(&v, "salt").try_into().unwrap();
    let inverse = key.modulus().residue(&bytes(&v, "inv")).unwrap();
    // The masks drawn inside cancel out: the result depends only on salt and inverse.
    let blinded =
        blinding::blind_with(&key, &bytes(&v, "msg"), &salt, &inverse, &mut os_random()).unwrap();
    assert_eq!(blinded.message, bytes(&v, "blinded_msg"));

    let signature = blinding::finalize(
        &key,
        &bytes(&v, "msg"),
        &bytes(&v, "blind_sig"),
        &blinded.secret,
    )
    .unwrap();
    assert_eq!(signature, bytes(&v, "sig"));
    assert!(key.verifies(&bytes(&v, "msg"), &bytes(&v, "sig")));
}

#[test]
fn finalize_refuses_a_wrong_or_tampered_blind_signature() {
    let v = vector();
    let (_, key) = vector_key();
    let secret = BlindingSecret::from_bytes(&bytes(&v, "inv")).unwrap();
    let msg = bytes(&v, "msg");
    let mut tampered = bytes(&v, "blind_sig");
    tampered[100] ^= 1;
    assert_eq!(
        blinding::finalize(&key, &msg, &tampered, &secret).unwrap_err(),
        TokenError::BadBlindSignature
    );
    assert!(blinding::finalize(&key, &msg, &tampered[1..], &secret).is_err());
    assert!(blinding::finalize(&key, &msg, &[0xff; 2 * NK], &secret).is_err());
    assert!(
        blinding::finalize(&key, b"another message", &bytes(&v, "blind_sig"), &secret).is_err()
    );
}

#[test]
fn fresh_blindings_of_one_message_share_nothing() {
    let key = token_key();
    let first = blinding::blind(&key, b"token input").unwrap();
    let second = blinding::blind(&key, b"token input").unwrap();
    assert_ne!(first.message, second.message);
    assert_ne!(first.secret.as_bytes(), second.secret.as_bytes());
    assert_eq!(first.message.len(), NK);
}

#[test]
fn issuer_keys_are_read_strictly() {
    let v = vector();
    let (n, e) = (bytes(&v, "n"), bytes(&v, "e"));
    let (spki, key) = vector_key();
    assert_eq!(key.key_id().len(), 32);
    assert_eq!(key.truncated_key_id(), key.key_id()[31]);
    assert!(format!("{key:?}").contains("token_key_id"));

    // rsaEncryption instead of RSASSA-PSS: its token_key_id would differ from RFC 9578's.
    let rsa_encryption = der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    assert!(IssuerKey::from_spki_of_any_size(&spki_with(&n, &e, &rsa_encryption)).is_err());
    // Trailing bytes, a cut, an even modulus, a short modulus, an even exponent.
    let mut trailing = spki.clone();
    trailing.push(0);
    assert!(IssuerKey::from_spki_of_any_size(&trailing).is_err());
    for cut in [0, 1, 10, 70, spki.len() - 1] {
        assert!(
            IssuerKey::from_spki_of_any_size(&spki[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut even = n.clone();
    *even.last_mut().unwrap() &= 0xfe;
    assert!(
        IssuerKey::from_spki_of_any_size(&spki_with(&even, &e, &pss_sha384_algorithm())).is_err()
    );
    assert!(
        IssuerKey::from_spki_of_any_size(&spki_with(&n[300..], &e, &pss_sha384_algorithm()))
            .is_err()
    );
    assert!(
        IssuerKey::from_spki_of_any_size(&spki_with(
            &n,
            &[0x01, 0x00, 0x00],
            &pss_sha384_algorithm()
        ))
        .is_err()
    );
    assert!(
        IssuerKey::from_spki_of_any_size(&spki_with(&n, &[0x01], &pss_sha384_algorithm())).is_err()
    );
    assert!(IssuerKey::from_spki_of_any_size(&[0u8; MAX_SPKI_BYTES + 1]).is_err());
}

#[test]
fn tokens_encode_and_parse_as_rfc_9577_says() {
    let key = token_key();
    let challenge = TokenChallenge::for_policy("dropbox.example", "sh-arrivals");
    let encoded = challenge.encode().unwrap();
    assert_eq!(&encoded[..2], &[0x00, 0x02]);
    assert_eq!(&encoded[2..4], &[0x00, 15]);
    assert_eq!(encoded[4 + 15], 32);
    assert_ne!(
        challenge.digest().unwrap(),
        TokenChallenge::for_policy("dropbox.example", "sh-daily")
            .digest()
            .unwrap()
    );
    let header = challenge.www_authenticate(b"spki").unwrap();
    assert!(header.starts_with("PrivateToken challenge=\""));

    let (pending, request) = PendingToken::new(&key, &challenge.digest().unwrap()).unwrap();
    let request_bytes = request.encode();
    assert_eq!(request_bytes.len(), TOKEN_REQUEST_BYTES);
    assert_eq!(TokenRequest::parse(&request_bytes).unwrap(), request);
    assert!(TokenRequest::parse(&request_bytes[1..]).is_err());
    let mut other_type = request_bytes.clone();
    other_type[1] = 1;
    assert!(TokenRequest::parse(&other_type).is_err());

    let kept = pending.to_bytes();
    let restored = PendingToken::from_bytes(&kept).unwrap();
    assert_eq!(restored.to_bytes(), kept);
    assert!(PendingToken::from_bytes(&kept[1..]).is_err());
    assert!(format!("{restored:?}").contains(".."));

    // Unsigned, a reply cannot finish a token.
    assert!(restored.finish(&key, &request.blinded_msg).is_err());

    for bad in [
        "",
        "PrivateToken",
        "Bearer token=\"AAAA\"",
        "PrivateToken token=\"!!\"",
        "PrivateToken token=\"AAAA\"",
    ] {
        assert!(Token::from_authorization(bad).is_err(), "{bad}");
    }
    assert!(Token::parse(&[0u8; TOKEN_BYTES]).is_err());
    let mut typed = vec![0u8; TOKEN_BYTES];
    typed[1] = 2;
    let token = Token::parse(&typed).unwrap();
    assert_eq!(
        Token::from_authorization(&token.authorization()).unwrap(),
        token
    );
    assert_eq!(
        Token::from_authorization(&format!(
            "privatetoken  token={}",
            token.to_base64url().trim_end_matches('=')
        ))
        .unwrap(),
        token
    );
    assert!(!token.verifies(&key, &challenge.digest().unwrap()));
    assert_eq!(format!("{token:?}"), "Token(..)");
}

#[test]
fn modulus_of_the_vector_is_4096_bits() {
    let v = vector();
    let modulus = Modulus::from_be_bytes(&bytes(&v, "n")).unwrap();
    assert_eq!(modulus.bits(), 4096);
    assert_eq!(modulus.byte_len(), 2 * NK);
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 9578's Blind RSA vectors: the token request from the nonce, salt and blind, and the
/// token from the issuer's response.
#[test]
fn tokens_match_rfc_9578_vectors() {
    let all: Value = serde_json::from_str(include_str!("rfc9578_vectors.json")).unwrap();
    let vectors = all["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5);
    for (index, v) in vectors.iter().enumerate() {
        let field = |name: &str| hex(v[name].as_str().unwrap());
        let key = IssuerKey::from_spki(&field("pkS")).unwrap();
        let challenge_digest: [u8; 32] =
            ring::digest::digest(&ring::digest::SHA256, &field("token_challenge"))
                .as_ref()
                .try_into()
                .unwrap();
        let mut input = [0u8; INPUT_BYTES];
        input[..2].copy_from_slice(&TOKEN_TYPE.to_be_bytes());
        input[2..34].copy_from_slice(&field("nonce"));
        input[34..66].copy_from_slice(&challenge_digest);
        input[66..].copy_from_slice(key.key_id());
        let salt: [u8; 48] = field("salt").try_into().unwrap();
        // The vectors give the blind r itself (RFC 9474's give its inverse).
        let r = key.modulus().residue(&field("blind")).unwrap();
        let inverse = key
            .modulus()
            .inverse_masked(&r, &mut os_random())
            .unwrap()
            .unwrap();
        let blinded =
            blinding::blind_with(&key, &input, &salt, &inverse, &mut os_random()).unwrap();
        let request = TokenRequest {
            truncated_token_key_id: key.truncated_key_id(),
            blinded_msg: blinded.message,
        };
        assert_eq!(
            request.encode(),
            field("token_request"),
            "vector {index}: request"
        );

        let pending = PendingToken {
            input,
            secret: blinded.secret,
        };
        let token = pending.finish(&key, &field("token_response")).unwrap();
        assert_eq!(token.as_bytes(), field("token"), "vector {index}: token");
        assert!(token.verifies(&key, &challenge_digest));
        assert!(!token.verifies(&key, &[0u8; 32]));
        let parsed = Token::from_authorization(&token.authorization()).unwrap();
        assert_eq!(parsed, token);
    }
}

#[test]
fn the_challenge_names_the_host_without_port_or_path() {
    for (url, host) in [
        ("https://report.example.org/v1", "report.example.org"),
        ("https://127.0.0.1:8443/v1", "127.0.0.1"),
        ("https://[::1]:443/v1", "::1"),
        ("https://user@Report.Example.org/v1", "Report.Example.org"),
        ("https://h", "h"),
    ] {
        assert_eq!(super::wire::endpoint_host(url), host, "{url}");
    }
    assert_eq!(
        TokenChallenge::for_endpoint("https://[::1]:8443/v1", "sh"),
        TokenChallenge::for_policy("::1", "sh")
    );
}
