//! Enrolling with a typed code against a scripted loopback drop box: a typo never leaves
//! the device, the order redeemed enrolls, and each refusal has its code.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::enrollment_code::EnrollmentCode;
use crate::error::Error;
use crate::facade::tests::{Setup, setup as facade_setup};
use crate::policy::enrollment::sign_enrollment;
use crate::policy::test_support::{policy_v2, signed_under};
use crate::sync::test_server::{Action, TestServer};
use crate::sync::transport::TransportConfig;

/// The store with `sh-arrivals` (`/2`, its daily form open only to enrolled people)
/// whose drop box is `server`.
fn setup(server: &TestServer) -> Setup {
    let s = facade_setup("2026-11-28T09:00:00+08:00");
    let mut policy = policy_v2();
    policy["forms"][0]["enrollment"] = json!("required");
    policy["endpoint"]["url"] = server.url.clone().into();
    policy["endpoint"]["spki_sha256"] = json!([server.pki.leaf_pin]);
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    s.core
        .install_policy(&signed_under(&s.key, &policy, &[]))
        .expect("the policy installs");
    s
}

fn order(policy_id: &str) -> Value {
    json!({
        "format": "selfreport.enrollment/1",
        "policy_id": policy_id,
        "monitoring": {"start": "2026-11-27", "days": 14},
        "reason": "close_contact",
        "district": "310101",
        "forms": {"daily": {"per_day": 1}},
        "secret": "AAECAwQFBgcICQoLDA0ODw",
        "issued_at": "2026-11-27T18:00:00+08:00"
    })
}

/// A drop box answering every request with `status`, `headers` and `body`.
async fn drop_box(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> TestServer {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    TestServer::start(move |_| Action::Reply(status, headers.clone(), body.clone())).await
}

fn config(server: &TestServer) -> TransportConfig {
    TransportConfig {
        extra_roots: vec![server.pki.ca_der.clone()],
        ..TransportConfig::default()
    }
}

#[tokio::test]
async fn a_typo_is_refused_on_the_device_and_nothing_is_sent() {
    let server = drop_box(404, &[], Vec::new()).await;
    let s = setup(&server);
    let code = EnrollmentCode::generate().unwrap();
    let mut typo = code.as_str().as_bytes().to_vec();
    typo[3] = if typo[3] == b'7' { b'8' } else { b'7' };
    let typo = String::from_utf8(typo).unwrap();
    for typed in [typo.as_str(), "ABCDE-FGHJK", "ABCDE-FGHJK-U"] {
        let error = s
            .core
            .enroll_with_code(&s.profile, "sh-arrivals", typed, &config(&server))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "EnrollmentCodeMalformed", "{typed}");
    }
    assert!(
        server.requests().is_empty(),
        "a malformed code is never sent"
    );
}

#[tokio::test]
async fn the_redeemed_order_enrolls_the_person() {
    let answered = Arc::new(Mutex::new(Vec::new()));
    let reply = answered.clone();
    let server =
        TestServer::start(move |_| Action::Reply(200, Vec::new(), reply.lock().unwrap().clone()))
            .await;
    let s = setup(&server);
    // The store's key signed the policy; the order must be signed by it too.
    *answered.lock().unwrap() =
        sign_enrollment(&s.key, &serde_json::to_vec(&order("sh-arrivals")).unwrap()).unwrap();
    let code = EnrollmentCode::generate().unwrap();
    let typed = code.grouped().to_lowercase();
    let period = s
        .core
        .enroll_with_code(&s.profile, "sh-arrivals", &typed, &config(&server))
        .await
        .expect("the code enrolls");
    assert_eq!(period.days, 14);
    assert_eq!(period.order.expect("ordered").district, "310101");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v1/enrollment-codes/redeem");
    let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(sent, json!({"code": code.as_str()}));
}

#[tokio::test]
async fn each_refusal_of_the_drop_box_has_its_code() {
    let code = EnrollmentCode::generate().unwrap();
    for (status, headers, expected) in [
        (404, vec![], "EnrollmentCodeUnknown"),
        (
            429,
            vec![("Retry-After", "120")],
            "EnrollmentCodeRateLimited",
        ),
        (503, vec![], "EnrollmentCodeUnavailable"),
    ] {
        let server = drop_box(status, &headers, br#"{"error":"x"}"#.to_vec()).await;
        let s = setup(&server);
        let error = s
            .core
            .enroll_with_code(&s.profile, "sh-arrivals", code.as_str(), &config(&server))
            .await
            .unwrap_err();
        assert_eq!(error.code(), expected, "{status}");
        if status == 429 {
            assert!(matches!(
                error,
                Error::EnrollmentCode(crate::enrollment_code::EnrollmentCodeError::RateLimited {
                    retry_after_seconds: 120
                })
            ));
        }
    }
}

/// An order for another installed policy, signed by the key that signed both: refused
/// before it is enrolled under that other policy.
#[tokio::test]
async fn an_order_for_another_policy_or_too_large_a_reply_is_refused() {
    let code = EnrollmentCode::generate().unwrap();
    let answered = Arc::new(Mutex::new(Vec::new()));
    let reply = answered.clone();
    let server =
        TestServer::start(move |_| Action::Reply(200, Vec::new(), reply.lock().unwrap().clone()))
            .await;
    let s = setup(&server);
    let mut foreign = order("sh");
    foreign["forms"] = json!({"daily": {"per_day": 1}});
    *answered.lock().unwrap() =
        sign_enrollment(&s.key, &serde_json::to_vec(&foreign).unwrap()).unwrap();
    let error = s
        .core
        .enroll_with_code(&s.profile, "sh-arrivals", code.as_str(), &config(&server))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "EnrollmentOutsidePolicy");
    assert!(error.to_string().contains("another policy"), "{error}");
    assert!(s.core.store().monitoring_periods().unwrap().is_empty());

    *answered.lock().unwrap() = vec![b' '; 5000];
    let error = s
        .core
        .enroll_with_code(&s.profile, "sh-arrivals", code.as_str(), &config(&server))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "ResponseTooLarge");
}
