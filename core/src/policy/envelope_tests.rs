//! The signed policy's tests: parsing, verification and the stored form.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::*;
use crate::policy::TrustAnchor;
use crate::policy::test_support::{
    anchor_for, signed, signed_unchecked, test_key, test_policy_json, test_policy_value, today,
};

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn verify(
    envelope: &[u8],
    anchors: &TrustAnchors,
    on: NaiveDate,
) -> Result<VerifiedPolicy, PolicyError> {
    SignedPolicy::parse(envelope)?.verify(anchors, on)
}

/// The envelope's JSON fields, to build altered envelopes.
fn fields(envelope: &[u8]) -> serde_json::Map<String, Value> {
    serde_json::from_slice::<Value>(envelope)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn a_signed_policy_verifies_and_keeps_its_bytes() {
    let key = test_key();
    let json = test_policy_json("sh-arrivals", 3, today());
    let envelope = signed(&key, &json);
    let verified = verify(&envelope, &anchor_for(&key), today()).unwrap();
    assert_eq!(verified.id(), "sh-arrivals");
    assert_eq!(verified.version(), 3);
    assert_eq!(verified.key_id(), key.key_id());
    assert_eq!(verified.payload_bytes(), json.as_bytes());
    assert_eq!(verified.envelope_bytes(), &envelope[..]);
    assert_eq!(verified.document().forms.len(), 2);
    assert!(verified.is_valid_on(today()));
    let shown = format!("{verified:?}");
    assert!(shown.contains("sh-arrivals") && !shown.contains("payload"));
}

#[test]
fn verification_uses_the_payload_bytes_as_received() {
    let key = test_key();
    // Unusual but valid JSON: keys out of order, odd whitespace, escapes. Nothing
    // re-serializes it, so the signature over these exact bytes verifies.
    let mut value = test_policy_value("sh-arrivals", 3, today());
    let forms = value.as_object_mut().unwrap().remove("forms").unwrap();
    let rest = serde_json::to_string(&value).unwrap();
    let payload = format!(
        "\r\n\t{{ \"forms\" :\n\n{} ,{}   \n",
        serde_json::to_string_pretty(&forms).unwrap(),
        &rest[1..]
    )
    .replace("\"sh-arrivals\"", "\"sh\\u002darrivals\"");
    let envelope = signed(&key, &payload);
    let verified = verify(&envelope, &anchor_for(&key), today()).unwrap();
    assert_eq!(verified.payload_bytes(), payload.as_bytes());
    assert_eq!(verified.id(), "sh-arrivals");

    // Changing one byte, even whitespace that parses the same, breaks the signature.
    let mut altered = fields(&envelope);
    let mut tampered = payload.clone().into_bytes();
    tampered[0] = b' ';
    altered.insert("payload".into(), json!(URL_SAFE_NO_PAD.encode(&tampered)));
    let altered = serde_json::to_vec(&altered).unwrap();
    assert_eq!(
        verify(&altered, &anchor_for(&key), today()).unwrap_err(),
        PolicyError::BadSignature
    );
}

#[test]
fn the_envelope_may_be_reformatted() {
    let key = test_key();
    let envelope = signed(&key, &test_policy_json("p", 1, today()));
    let fields = fields(&envelope);
    let reordered = format!(
        "{{\n  \"signature\": \"{}\",\n  \"payload\": \"{}\",\n  \"key_id\": \"{}\",\n  \"format\": \"{}\"\n}}",
        fields["signature"].as_str().unwrap(),
        fields["payload"].as_str().unwrap(),
        fields["key_id"].as_str().unwrap(),
        fields["format"].as_str().unwrap(),
    );
    assert!(verify(reordered.as_bytes(), &anchor_for(&key), today()).is_ok());
}

#[test]
fn rejects_bad_signature() {
    let key = test_key();
    let envelope = signed(&key, &test_policy_json("p", 1, today()));
    let mut altered = fields(&envelope);
    let mut signature = URL_SAFE_NO_PAD
        .decode(altered["signature"].as_str().unwrap())
        .unwrap();
    signature[10] ^= 0x01;
    altered.insert("signature".into(), json!(URL_SAFE_NO_PAD.encode(signature)));
    let altered = serde_json::to_vec(&altered).unwrap();
    assert_eq!(
        verify(&altered, &anchor_for(&key), today()).unwrap_err(),
        PolicyError::BadSignature
    );

    // Signed by another key that claims the trusted key's id.
    let impostor = test_key();
    let mut forged = fields(&signed(&impostor, &test_policy_json("p", 1, today())));
    forged.insert("key_id".into(), json!(key.key_id()));
    let forged = serde_json::to_vec(&forged).unwrap();
    assert_eq!(
        verify(&forged, &anchor_for(&key), today()).unwrap_err(),
        PolicyError::BadSignature
    );
}

#[test]
fn rejects_a_signature_without_the_policy_context() {
    let key = test_key();
    let payload = test_policy_json("p", 1, today());
    let mut altered = fields(&signed(&key, &payload));
    // A valid Ed25519 signature over the bare payload is not a policy signature.
    altered.insert(
        "signature".into(),
        json!(URL_SAFE_NO_PAD.encode(key.sign(payload.as_bytes()))),
    );
    let altered = serde_json::to_vec(&altered).unwrap();
    assert_eq!(
        verify(&altered, &anchor_for(&key), today()).unwrap_err(),
        PolicyError::BadSignature
    );
}

#[test]
fn rejects_unknown_key() {
    let key = test_key();
    let trusted = test_key();
    let envelope = signed(&key, &test_policy_json("p", 1, today()));
    assert_eq!(
        verify(&envelope, &anchor_for(&trusted), today()).unwrap_err(),
        PolicyError::UnknownKey {
            key_id: key.key_id().to_owned()
        }
    );
    assert_eq!(
        verify(&envelope, &TrustAnchors::new(), today()).unwrap_err(),
        PolicyError::UnknownKey {
            key_id: key.key_id().to_owned()
        }
    );
}

#[test]
fn rejects_key_outside_its_window() {
    let key = test_key();
    let envelope = signed(&key, &test_policy_json("p", 1, today()));
    let expired_key = TrustAnchor::new(key.public_key())
        .with_window(
            Some(day("2025-01-01")),
            Some(today() - chrono::Days::new(1)),
        )
        .unwrap();
    let future_key = TrustAnchor::new(key.public_key())
        .with_window(Some(today() + chrono::Days::new(1)), None)
        .unwrap();
    for anchor in [expired_key, future_key] {
        assert_eq!(
            verify(&envelope, &anchor.into(), today()).unwrap_err(),
            PolicyError::KeyOutsideWindow {
                key_id: key.key_id().to_owned()
            }
        );
    }
    let on_its_last_day = TrustAnchor::new(key.public_key())
        .with_window(None, Some(today()))
        .unwrap();
    assert!(verify(&envelope, &on_its_last_day.into(), today()).is_ok());
}

#[test]
fn rejects_policy_not_yet_valid() {
    let key = test_key();
    let envelope = signed(&key, &test_policy_json("p", 1, today()));
    let valid_from = today() - chrono::Days::new(30);
    assert_eq!(
        verify(
            &envelope,
            &anchor_for(&key),
            valid_from - chrono::Days::new(1)
        )
        .unwrap_err(),
        PolicyError::NotYetValid { valid_from }
    );
    assert!(verify(&envelope, &anchor_for(&key), valid_from).is_ok());
}

#[test]
fn rejects_expired_policy() {
    let key = test_key();
    let envelope = signed(&key, &test_policy_json("p", 1, today()));
    let valid_until = today() + chrono::Days::new(150);
    assert_eq!(
        verify(
            &envelope,
            &anchor_for(&key),
            valid_until + chrono::Days::new(1)
        )
        .unwrap_err(),
        PolicyError::Expired { valid_until }
    );
    assert!(verify(&envelope, &anchor_for(&key), valid_until).is_ok());
}

#[test]
fn rejects_oversized_envelope_before_parsing() {
    // Not even JSON: the size alone refuses it.
    let huge = vec![b'x'; MAX_SIGNED_POLICY_BYTES + 1];
    assert_eq!(
        SignedPolicy::parse(&huge).unwrap_err(),
        PolicyError::TooLarge {
            size: MAX_SIGNED_POLICY_BYTES + 1,
            limit: MAX_SIGNED_POLICY_BYTES
        }
    );
}

#[test]
fn rejects_oversized_payload_before_decoding() {
    let key = test_key();
    let payload = vec![b' '; MAX_POLICY_BYTES + 1];
    let envelope = signed_unchecked(&key, &payload);
    assert!(envelope.len() < MAX_SIGNED_POLICY_BYTES);
    assert_eq!(
        SignedPolicy::parse(&envelope).unwrap_err(),
        PolicyError::TooLarge {
            size: MAX_POLICY_BYTES + 1,
            limit: MAX_POLICY_BYTES
        }
    );
    // Exactly at the limit the envelope parses (and the document check decides).
    let at_limit = signed_unchecked(&key, &vec![b' '; MAX_POLICY_BYTES]);
    assert!(SignedPolicy::parse(&at_limit).is_ok());
}

#[test]
fn rejects_malformed_envelope_json() {
    let key = test_key();
    let good = fields(&signed(&key, &test_policy_json("p", 1, today())));
    let with = |name: &str, value: Value| {
        let mut altered = good.clone();
        altered.insert(name.into(), value);
        serde_json::to_vec(&altered).unwrap()
    };
    let without = |name: &str| {
        let mut altered = good.clone();
        altered.remove(name);
        serde_json::to_vec(&altered).unwrap()
    };
    let payload = good["payload"].as_str().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "truncated",
            b"{\"format\":\"selfreport.signed/1\",".to_vec(),
        ),
        ("not an object", b"[\"selfreport.signed/1\"]".to_vec()),
        ("empty", Vec::new()),
        ("no format", without("format")),
        ("format not a string", with("format", json!(1))),
        ("no signature", without("signature")),
        ("unknown field", with("comment", json!("hi"))),
        (
            "padded payload",
            with("payload", json!(format!("{payload}=="))),
        ),
        (
            "standard alphabet payload",
            with(
                "payload",
                json!(payload.replace('-', "+").replace('_', "/") + "+/"),
            ),
        ),
        (
            "short signature",
            with("signature", json!(URL_SAFE_NO_PAD.encode([0u8; 63]))),
        ),
        (
            "long signature",
            with("signature", json!(URL_SAFE_NO_PAD.encode([0u8; 65]))),
        ),
        (
            "uppercase key id",
            with("key_id", json!(key.key_id().to_uppercase())),
        ),
        ("short key id", with("key_id", json!("abcdef"))),
    ];
    for (case, bytes) in cases {
        let error = SignedPolicy::parse(&bytes).unwrap_err();
        assert!(
            matches!(error, PolicyError::Malformed { .. }),
            "{case}: {error:?}"
        );
    }
}

#[test]
fn rejects_unknown_envelope_format() {
    let key = test_key();
    let mut altered = fields(&signed(&key, &test_policy_json("p", 1, today())));
    altered.insert("format".into(), json!("selfreport.signed/2"));
    altered.insert("algorithm".into(), json!("ml-dsa"));
    assert_eq!(
        SignedPolicy::parse(&serde_json::to_vec(&altered).unwrap()).unwrap_err(),
        PolicyError::UnknownEnvelopeFormat {
            found: "selfreport.signed/2".into()
        }
    );
}

#[test]
fn authorities_cannot_sign_an_invalid_policy() {
    let key = test_key();
    let mut value = test_policy_value("p", 1, today());
    value["endpoint"]["url"] = json!("http://report.example.org");
    assert!(matches!(
        sign_policy(&key, &serde_json::to_vec(&value).unwrap()),
        Err(PolicyError::EndpointNotHttps { .. })
    ));
    assert!(matches!(
        sign_policy(&key, b"not json"),
        Err(PolicyError::Malformed { .. })
    ));
}

#[test]
fn a_policy_may_be_signed_before_it_is_valid() {
    let key = test_key();
    let next_year = today() + chrono::Days::new(365);
    let envelope = signed(&key, &test_policy_json("p", 1, next_year));
    assert!(matches!(
        verify(&envelope, &anchor_for(&key), today()),
        Err(PolicyError::NotYetValid { .. })
    ));
    assert!(verify(&envelope, &anchor_for(&key), next_year).is_ok());
}

#[test]
fn stored_policies_reload_after_they_expire() {
    let key = test_key();
    let envelope = signed(&key, &test_policy_json("p", 4, today()));
    let installed = verify(&envelope, &anchor_for(&key), today()).unwrap();
    let reloaded = VerifiedPolicy::from_stored(installed.envelope_bytes()).unwrap();
    assert_eq!(reloaded.document(), installed.document());
    assert_eq!(reloaded.payload_bytes(), installed.payload_bytes());
    assert_eq!(reloaded.key_id(), key.key_id());
    assert!(!reloaded.is_valid_on(today() + chrono::Days::new(365)));
    assert!(matches!(
        VerifiedPolicy::from_stored(b"{}"),
        Err(PolicyError::Malformed { .. })
    ));
}
