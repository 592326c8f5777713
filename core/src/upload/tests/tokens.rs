//! Upload tokens at sync: the device fetches open-intake tokens from the drop box (signed
//! here with blind-rsa-signatures, as the drop box signs), spends one per submission in
//! `Authorization: PrivateToken`, resends a submission whose reply was lost with the same
//! token, asks again with the same blinded messages when an issuance reply was lost, takes
//! a fresh token after a 401, and never sends an upload without one.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use blind_rsa_signatures::SecretKey;
use serde_json::{Value, json};

use super::*;
use crate::token::{IssuerKey, Token, TokenChallenge, TokenRequest};

const VECTORS: &str = include_str!("../../token/rfc9578_vectors.json");

/// The issuer: RFC 9578's test key, and what it was asked.
struct Issuer {
    secret: SecretKey,
    spki: Vec<u8>,
    /// Each token request body seen.
    requests: Vec<Value>,
    /// Scripted answers to the next issuance requests (after the body is read).
    script: Vec<Action>,
    /// Signs with the wrong key's bytes (a hostile reply).
    hostile: bool,
    /// The use the requests must name.
    usage: &'static str,
}

impl Issuer {
    fn new() -> Self {
        let vectors: Value = serde_json::from_str(VECTORS).unwrap();
        let pem = vectors["skS_pem"].as_str().unwrap();
        let spki = vectors["vectors"][0]["pkS"].as_str().unwrap();
        Self {
            secret: SecretKey::from_pem(pem).unwrap(),
            spki: (0..spki.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&spki[i..i + 2], 16).unwrap())
                .collect(),
            requests: Vec::new(),
            script: Vec::new(),
            hostile: false,
            usage: "open",
        }
    }

    fn reply(&mut self, request: &SeenRequest) -> Action {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        self.requests.push(body.clone());
        assert_eq!(body["format"], "selfreport.token-request/1");
        assert_eq!(body["use"], self.usage);
        assert_eq!(body.get("order").is_some(), self.usage == "enrolled");
        let responses: Vec<String> = body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|encoded| {
                let bytes = URL_SAFE_NO_PAD.decode(encoded.as_str().unwrap()).unwrap();
                let request = TokenRequest::parse(&bytes).unwrap();
                let mut signature = self.secret.blind_sign(&request.blinded_msg).unwrap().0;
                if self.hostile {
                    signature[0] ^= 1;
                }
                URL_SAFE.encode(signature)
            })
            .collect();
        if !self.script.is_empty() {
            return self.script.remove(0);
        }
        let reply = json!({"format": "selfreport.token-response/1", "responses": responses});
        Action::Reply(200, vec![], reply.to_string().into_bytes())
    }
}

struct TokenSetup {
    s: Setup,
    issuer: Arc<Mutex<Issuer>>,
    /// The digest of the policy's challenge, as the drop box computes it.
    challenge: [u8; 32],
}

async fn token_setup() -> TokenSetup {
    token_setup_for("open").await
}

/// The example `/2` policy with one token key of `usage` (for `enrolled`, its daily form
/// is filed under orders only).
async fn token_setup_for(usage: &'static str) -> TokenSetup {
    let dropbox = FakeDropBox::new(vec![], false);
    let issuer = Arc::new(Mutex::new(Issuer::new()));
    issuer.lock().unwrap().usage = usage;
    let (handler, issuing) = (dropbox.clone(), issuer.clone());
    let server = TestServer::start(move |request| {
        if request.method == "POST" && request.path.ends_with("/tokens") {
            issuing.lock().unwrap().reply(request)
        } else {
            handler.handle(request)
        }
    })
    .await;
    let spki = STANDARD.encode(&issuer.lock().unwrap().spki);
    let s = father_under_v2(server, dropbox, |policy| {
        if usage == "enrolled" {
            policy["forms"][0]["enrollment"] = json!("required");
            crate::policy::declare_minimum_padded_sizes(policy).unwrap();
        }
        policy["endpoint"]["token_keys"] = json!([{
            "use": usage,
            "spki": spki,
            "from": policy["valid_from"],
            "until": policy["valid_until"],
        }]);
    });
    // As the drop box computes it: the host of the URL without its port.
    let challenge = TokenChallenge::for_policy("127.0.0.1", "sh-arrivals")
        .digest()
        .unwrap();
    TokenSetup {
        s,
        issuer,
        challenge,
    }
}

fn save_arrival(s: &Setup) {
    s.core
        .save_record(
            &s.profile,
            "sh-arrivals",
            "arrival",
            None,
            Answers::new().text("arrival_date", "2026-11-30"),
        )
        .unwrap();
}

/// The tokens the submissions were sent with, in order (single requests' headers and
/// batch items).
fn spent(s: &Setup) -> Vec<Token> {
    let mut tokens = Vec::new();
    for request in s.server.requests() {
        if request.path.ends_with("/submissions") {
            let header = request
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .map(|(_, value)| value.clone())
                .expect("every upload carries a token");
            tokens.push(Token::from_authorization(&header).unwrap());
        } else if request.path.ends_with("/submissions/batch") {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(body["format"], "selfreport.batch/2");
            for item in body["items"].as_array().unwrap() {
                tokens.push(Token::from_base64url(item["token"].as_str().unwrap()).unwrap());
            }
        }
    }
    tokens
}

fn key(t: &TokenSetup) -> IssuerKey {
    IssuerKey::from_spki(&t.issuer.lock().unwrap().spki).unwrap()
}

#[tokio::test]
async fn an_upload_spends_a_token_fetched_ahead_and_verified() {
    let t = token_setup().await;
    save_arrival(&t.s);
    let done = sync(&t.s).await;
    assert_eq!((done.queued, done.delivered), (1, 1));
    let issued = t.issuer.lock().unwrap().requests.clone();
    assert_eq!(
        issued.len(),
        1,
        "one issuance for a few tokens, not one per upload"
    );
    assert_eq!(issued[0]["requests"].as_array().unwrap().len(), 4);
    let tokens = spent(&t.s);
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].verifies(&key(&t), &t.challenge));
    // The token travels beside the sealed bytes, never inside them.
    let body = t.s.server.requests().last().unwrap().body.clone();
    let token_text = tokens[0].to_base64url();
    assert!(!String::from_utf8_lossy(&body).contains(token_text.trim_end_matches('=')));
    let pool = t.s.core.store().token_pool("sh-arrivals").unwrap();
    assert_eq!((pool.open.len(), pool.pending.len()), (3, 0));

    // Tokens left over pay for the next uploads: no new issuance.
    let mother =
        t.s.core
            .add_profile(NewProfile {
                display_name: "Mother".into(),
                name: Some("王秀兰".into()),
                ..NewProfile::default()
            })
            .unwrap();
    t.s.core
        .save_record(
            &mother,
            "sh-arrivals",
            "arrival",
            None,
            Answers::new().text("arrival_date", "2026-11-30"),
        )
        .unwrap();
    assert_eq!(sync(&t.s).await.delivered, 1);
    assert_eq!(t.issuer.lock().unwrap().requests.len(), 1);
    let tokens = spent(&t.s);
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1], "a token is spent once");
    assert!(tokens[1].verifies(&key(&t), &t.challenge));
}

#[tokio::test]
async fn a_submission_whose_reply_was_lost_is_resent_with_the_same_token() {
    let t = token_setup().await;
    t.s.dropbox.script.lock().unwrap().push(Action::Cut);
    save_arrival(&t.s);
    let first = sync(&t.s).await;
    assert_eq!((first.delivered, first.retry_later), (0, 1));
    assert_eq!(sync(&t.s).await.delivered, 1);
    let tokens = spent(&t.s);
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1]);
    assert_eq!(
        t.s.core
            .store()
            .token_pool("sh-arrivals")
            .unwrap()
            .open
            .len(),
        3
    );
}

#[tokio::test]
async fn an_issuance_whose_reply_was_lost_is_asked_again_with_the_same_requests() {
    let t = token_setup().await;
    t.issuer.lock().unwrap().script.push(Action::Cut);
    save_arrival(&t.s);
    let first = sync(&t.s).await;
    assert_eq!((first.delivered, first.retry_later), (0, 1));
    assert!(
        spent(&t.s).is_empty(),
        "nothing is uploaded without a token"
    );
    let pool = t.s.core.store().token_pool("sh-arrivals").unwrap();
    assert_eq!((pool.open.len(), pool.pending.len()), (0, 1));

    assert_eq!(sync(&t.s).await.delivered, 1);
    let issued = t.issuer.lock().unwrap().requests.clone();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0]["requests"], issued[1]["requests"]);
    assert!(spent(&t.s)[0].verifies(&key(&t), &t.challenge));
}

#[tokio::test]
async fn a_hostile_issuance_reply_yields_no_token_and_nothing_is_sent() {
    let t = token_setup().await;
    t.issuer.lock().unwrap().hostile = true;
    save_arrival(&t.s);
    let first = sync(&t.s).await;
    assert_eq!((first.delivered, first.retry_later), (0, 1));
    assert!(spent(&t.s).is_empty());
    let pool = t.s.core.store().token_pool("sh-arrivals").unwrap();
    assert_eq!((pool.open.len(), pool.pending.len()), (0, 0));
}

#[tokio::test]
async fn a_refused_token_is_replaced_by_a_fresh_one() {
    let t = token_setup().await;
    t.s.dropbox.script.lock().unwrap().push(Action::Reply(
        401,
        vec![],
        br#"{"error":{"code":"TokenInvalid","message":"not a token of this drop box"}}"#.to_vec(),
    ));
    save_arrival(&t.s);
    let first = sync(&t.s).await;
    assert_eq!(
        (first.delivered, first.retry_later, first.failed),
        (0, 1, 0)
    );
    assert_eq!(sync(&t.s).await.delivered, 1);
    let tokens = spent(&t.s);
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1]);
}

#[tokio::test]
async fn an_enrolled_device_fetches_its_orders_whole_allowance_at_once() {
    let t = token_setup_for("enrolled").await;
    let order = json!({
        "format": "selfreport.enrollment/1",
        "policy_id": "sh-arrivals",
        "monitoring": {"start": "2026-11-28", "days": 14},
        "reason": "arrival",
        "district": "310101",
        "forms": {"daily": {"per_day": 1}},
        "secret": "AAECAwQFBgcICQoLDA0ODw",
        "issued_at": "2026-11-27T18:00:00+08:00"
    });
    let signed_order = crate::policy::enrollment::sign_enrollment(
        &t.s.authority,
        &serde_json::to_vec(&order).unwrap(),
    )
    .unwrap();
    t.s.core.enroll(&t.s.profile, &signed_order).unwrap();
    t.s.core
        .save_record(
            &t.s.profile,
            "sh-arrivals",
            "daily",
            None,
            Answers::new()
                .text("temperature", "36.6")
                .text("symptoms", ""),
        )
        .unwrap();
    let done = sync(&t.s).await;
    assert_eq!(done.retry_later, 0, "{done:?}");
    assert!(done.delivered >= 1);
    let issued = t.issuer.lock().unwrap().requests.clone();
    assert_eq!(
        issued.len(),
        1,
        "the whole period's allowance in one request"
    );
    let cover =
        t.s.core
            .policy("sh-arrivals")
            .unwrap()
            .document()
            .cover_traffic
            .daily;
    let allowance = 14 * (1 + cover) as usize;
    assert_eq!(issued[0]["requests"].as_array().unwrap().len(), allowance);
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(issued[0]["order"].as_str().unwrap())
            .unwrap(),
        signed_order,
        "the order goes as the device received it"
    );
    for token in spent(&t.s) {
        assert!(token.verifies(&key(&t), &t.challenge));
    }
    // The allowance is fetched: later syncs ask for nothing more.
    sync(&t.s).await;
    assert_eq!(t.issuer.lock().unwrap().requests.len(), 1);
    let pool = t.s.core.store().token_pool("sh-arrivals").unwrap();
    assert_eq!(
        pool.obtained
            .iter()
            .map(|(_, count)| *count)
            .collect::<Vec<_>>(),
        vec![allowance as u32]
    );
}
