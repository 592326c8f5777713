//! A drop box serving a `selfreport.policy/2` with upload token keys (issue 14), and the
//! device's side of tokens as the core builds it: the traveler policy (its daily form
//! needs an enrollment order, its pre-registration is open), an `enrolled` and an `open`
//! issuer key made at test time, orders signed by the test authority, tokens blinded and
//! finished with `PendingToken`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use chrono::{Days, NaiveDate, Utc};
use selfreport_core::minimize::padded_size;
use selfreport_core::policy::{
    PolicyDocument, TokenKeyUse, TrustAnchor, TrustAnchors, declare_minimum_padded_sizes,
};
use selfreport_core::token::{IssuerKey, PendingToken, Token, TokenChallenge};
use selfreport_endpoint::enrollment::{EnrollmentRequest, enroll_file};
use selfreport_endpoint::keyfile::read_public_key;
use selfreport_endpoint::token_key::{IssuerSecretKey, TokenKeyEntry, add_token_key};
use serde_json::{Value, json};

use crate::common::{Authority, Backend, Sealed, TestDropBox, random_hex_id, seal};

/// The traveler example: an open `arrival` form and a `daily` form under orders.
const TRAVELER: &[u8] = include_bytes!("../../../examples/policies/traveler-preregistration.json");

/// Today, UTC, as the drop box's clock has it.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `today` moved by `days`.
pub fn day(days: i64) -> NaiveDate {
    if days >= 0 {
        today() + Days::new(days.unsigned_abs())
    } else {
        today() - Days::new(days.unsigned_abs())
    }
}

/// The traveler policy as `selfreport.policy/2`, valid around today, with `keys` as its
/// whole schedule (each over the whole validity).
pub fn token_policy(
    authority: &Authority,
    url: &str,
    policy_id: &str,
    keys: &[(TokenKeyUse, Vec<u8>)],
) -> Value {
    let mut policy = authority.policy_from(TRAVELER, url);
    policy["id"] = json!(policy_id);
    policy["format"] = json!("selfreport.policy/2");
    policy["valid_from"] = json!(day(-30).to_string());
    policy["valid_until"] = json!(day(180).to_string());
    policy["region"] = json!(["310000"]);
    policy["recipients"]["health"]["role"] = json!("health");
    policy["recipients"]["identity"]["role"] = json!("identity");
    for form in policy["forms"].as_array_mut().unwrap() {
        let required = form["id"] == "daily";
        form["enrollment"] = json!(if required { "required" } else { "open" });
    }
    declare_minimum_padded_sizes(&mut policy).unwrap();
    for (usage, spki) in keys {
        let entry = TokenKeyEntry {
            usage: *usage,
            spki: spki.clone(),
            from: day(-30),
            until: day(180),
        };
        add_token_key(&mut policy, &entry).unwrap();
    }
    policy
}

/// A key made again from its PEM (the drop box takes ownership of its keys).
pub fn copy(key: &IssuerSecretKey) -> IssuerSecretKey {
    IssuerSecretKey::from_pem(&key.to_pem().unwrap()).unwrap()
}

/// A running drop box with token keys, and the public keys devices fetch tokens under.
pub struct TokenBox {
    pub inner: TestDropBox,
    pub enrolled: IssuerKey,
    pub open: IssuerKey,
    pub enrolled_secret: IssuerSecretKey,
    pub open_secret: IssuerSecretKey,
}

impl TokenBox {
    /// A drop box of `backend` serving the token policy, given both keys and the root.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |drop_box| drop_box).await
    }

    /// As [`TokenBox::start`], `configure` adjusting the drop box before it serves.
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(
            selfreport_endpoint::dropbox::DropBox,
        ) -> selfreport_endpoint::dropbox::DropBox,
    ) -> Self {
        let enrolled = IssuerSecretKey::generate().unwrap();
        let open = IssuerSecretKey::generate().unwrap();
        let schedule = vec![
            (TokenKeyUse::Enrolled, enrolled.spki().to_vec()),
            (TokenKeyUse::Open, open.spki().to_vec()),
        ];
        let root = RefCell::new(None);
        let given = vec![copy(&enrolled), copy(&open)];
        let inner = TestDropBox::start_with(
            backend,
            |authority, url| {
                *root.borrow_mut() =
                    Some(read_public_key(&authority.keys.public_key_path).unwrap());
                token_policy(authority, url, "sh-arrivals", &schedule)
            },
            |drop_box| {
                let root = root.borrow().unwrap();
                configure(
                    drop_box
                        .with_token_keys(given)
                        .with_trust(TrustAnchors::from(TrustAnchor::new(root))),
                )
            },
        )
        .await;
        Self {
            inner,
            enrolled: IssuerKey::from_spki(enrolled.spki()).unwrap(),
            open: IssuerKey::from_spki(open.spki()).unwrap(),
            enrolled_secret: enrolled,
            open_secret: open,
        }
    }

    pub fn policy(&self) -> &PolicyDocument {
        &self.inner.policy
    }

    /// The digest of the policy's fixed challenge, as a device computes it.
    pub fn challenge_digest(&self) -> [u8; 32] {
        TokenChallenge::for_policy("127.0.0.1", &self.inner.policy.id)
            .digest()
            .unwrap()
    }

    /// An order signed by this drop box's authority for `policy_id`, from `start` for
    /// `days`, allowing `daily=per_day`.
    pub fn order(&self, policy_id: &str, start: NaiveDate, days: u32, per_day: u32) -> Vec<u8> {
        order_signed_by(&self.inner.authority, policy_id, start, days, per_day)
    }

    /// `n` pending tokens under `key` and their encoded requests.
    pub fn pending(&self, key: &IssuerKey, n: usize) -> (Vec<PendingToken>, Vec<String>) {
        let digest = self.challenge_digest();
        (0..n)
            .map(|_| {
                let (pending, request) = PendingToken::new(key, &digest).unwrap();
                (pending, URL_SAFE_NO_PAD.encode(request.encode()))
            })
            .unzip()
    }

    /// `POST {url}/tokens` with `body`.
    pub async fn post_tokens(&self, body: &Value) -> reqwest::Response {
        post_tokens_with(&self.inner.client, &self.inner.url, body).await
    }

    /// Tokens for an enrolled device holding `order`: `n` requested, finished, verified.
    pub async fn enrolled_tokens(&self, order: &[u8], n: usize) -> Vec<Token> {
        let (pending, requests) = self.pending(&self.enrolled, n);
        let response = self.post_tokens(&enrolled_request(order, &requests)).await;
        assert_eq!(response.status(), 200);
        let responses = responses_of(response).await;
        pending
            .iter()
            .zip(&responses)
            .map(|(pending, signature)| pending.finish(&self.enrolled, signature).unwrap())
            .collect()
    }

    /// `POST {url}/submissions` of `sealed`, with `Authorization` if given.
    pub async fn upload(&self, sealed: &Sealed, authorization: Option<&str>) -> reqwest::Response {
        let mut request = self
            .inner
            .client
            .post(format!("{}/submissions", self.inner.url))
            .header("content-type", "application/json")
            .body(sealed.body.clone());
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send().await.unwrap()
    }

    /// A daily report (the enrolled form's shape).
    pub fn daily(&self) -> Sealed {
        seal(
            self.policy(),
            &random_hex_id(),
            &blanks(self.policy(), "daily"),
        )
    }

    /// A pre-registration (the open form's shape).
    pub fn arrival(&self) -> Sealed {
        seal(
            self.policy(),
            &random_hex_id(),
            &blanks(self.policy(), "arrival"),
        )
    }
}

/// A token drop box's database served again under its `envelope` by a new drop box
/// (on a new address), with its token `keys` and `authority`'s root: a restart, once the
/// first one is shut down. `configure` adjusts it before it serves.
pub async fn serve_again(
    inner: (&Authority, &crate::common::TestTls, &[u8]),
    db: &crate::common::TestDatabase,
    keys: &[&IssuerSecretKey],
    configure: impl FnOnce(
        selfreport_endpoint::dropbox::DropBox,
    ) -> selfreport_endpoint::dropbox::DropBox,
) -> selfreport_endpoint::dropbox::RunningDropBox {
    let (authority, tls, envelope) = inner;
    let root = read_public_key(&authority.keys.public_key_path).unwrap();
    let drop_box = selfreport_endpoint::dropbox::DropBox::new(
        envelope,
        authority.receipt_key(),
        db.database(),
    )
    .unwrap()
    .with_access_log(selfreport_endpoint::dropbox::AccessLog::off())
    .with_token_keys(keys.iter().map(|key| copy(key)).collect())
    .with_trust(TrustAnchors::from(TrustAnchor::new(root)));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    configure(drop_box)
        .serve(listener, tls.server_config())
        .await
        .unwrap()
}

/// `POST {url}/tokens` with `body` through `client`.
pub async fn post_tokens_with(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
) -> reqwest::Response {
    client
        .post(format!("{url}/tokens"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap()
}

/// An order signed with `authority`'s signing key.
pub fn order_signed_by(
    authority: &Authority,
    policy_id: &str,
    start: NaiveDate,
    days: u32,
    per_day: u32,
) -> Vec<u8> {
    let out = authority
        .dir
        .path()
        .join(format!("order-{}.json", random_hex_id()));
    let request = EnrollmentRequest {
        policy_id: policy_id.to_owned(),
        district: "310101".to_owned(),
        start,
        days,
        reason: "close_contact".to_owned(),
        forms: vec![("daily".to_owned(), per_day)],
        pseudonym: None,
        issued_at: None,
    };
    enroll_file(&authority.keys.signing_key_path, &request, &out).unwrap();
    std::fs::read(&out).unwrap()
}

/// The body of an enrolled issuance request.
pub fn enrolled_request(order: &[u8], requests: &[String]) -> Value {
    json!({"format": "selfreport.token-request/1", "use": "enrolled",
           "order": URL_SAFE_NO_PAD.encode(order), "requests": requests})
}

/// The body of an open issuance request.
pub fn open_request(requests: &[String]) -> Value {
    json!({"format": "selfreport.token-request/1", "use": "open", "requests": requests})
}

/// The blind signatures of a 200 reply.
pub async fn responses_of(response: reqwest::Response) -> Vec<Vec<u8>> {
    let reply: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(reply["format"], "selfreport.token-response/1");
    reply["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|text| {
            let text = text.as_str().unwrap();
            // docs/openapi.yaml: base64url of 256 bytes, with padding.
            assert!(text.len() == 344 && text.ends_with("=="), "{text}");
            URL_SAFE.decode(text).unwrap()
        })
        .collect()
}

/// Plaintexts of spaces for each recipient `form` uploads to, each of its padded size.
pub fn blanks(policy: &PolicyDocument, form: &str) -> BTreeMap<String, Vec<u8>> {
    policy
        .form(form)
        .unwrap()
        .fields
        .iter()
        .filter(|field| field.upload.uploads())
        .filter_map(|field| field.to.clone())
        .map(|to| {
            let size = padded_size(policy, form, &to).unwrap();
            (to, vec![b' '; size])
        })
        .collect()
}

/// How many spent tokens the drop box keeps.
pub async fn spent_rows(drop_box: &TestDropBox) -> i64 {
    match &drop_box.db {
        crate::common::TestDatabase::Sqlite { path, .. } => rusqlite::Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM spent_tokens", [], |row| row.get(0))
            .unwrap(),
        crate::common::TestDatabase::Postgres { .. } => drop_box
            .db
            .client()
            .await
            .query_one("SELECT count(*) FROM spent_tokens", &[])
            .await
            .unwrap()
            .get(0),
    }
}
