//! Typed enrollment codes at the drop box (issue 14), on both backends: an order signed by
//! the policy's signer is registered under a code's hash (201, again 200, another order
//! 409, a new code for the same order replaces the old), redeemed once (then 404, as an
//! unknown or expired code is); a forged order, one for another policy and one past its
//! period are refused (403); the database holds the code's hash, never the code; the
//! retention job deletes expired codes; redemption is limited per client address on its
//! own, and a flood from one address leaves another's redemption alone; without `--trust`
//! the routes are 404.

#[allow(dead_code)]
#[macro_use]
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Days, Local, NaiveDate};
use common::{Authority, Backend, TestDatabase, TestDropBox, error_code};
use selfreport_core::FixedClock;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::enrollment_code::EnrollmentCode;
use selfreport_core::policy::enrollment::sign_enrollment;
use selfreport_core::policy::{TrustAnchor, TrustAnchors};
use selfreport_endpoint::dropbox::{DropBox, REDEMPTIONS_PER_WINDOW};
use selfreport_endpoint::keyfile::read_signing_key;
use serde_json::{Value, json};

const TRAVELER: &[u8] = include_bytes!("../../examples/policies/traveler-preregistration.json");

fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn day(offset: i64) -> String {
    let today = today();
    let moved = if offset >= 0 {
        today.checked_add_days(Days::new(offset.unsigned_abs()))
    } else {
        today.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    moved.unwrap().to_string()
}

/// The traveler policy as `selfreport.policy/2` around today, its daily form open only to
/// enrolled people.
fn enrollment_policy(authority: &Authority, url: &str) -> Value {
    let mut policy = authority.policy_from(TRAVELER, url);
    policy["format"] = json!("selfreport.policy/2");
    policy["valid_from"] = json!(day(-30));
    policy["valid_until"] = json!(day(180));
    policy["region"] = json!(["310000"]);
    policy["recipients"]["health"]["role"] = json!("health");
    policy["recipients"]["identity"]["role"] = json!("identity");
    for form in policy["forms"].as_array_mut().unwrap() {
        let required = form["id"] == "daily";
        form["enrollment"] = json!(if required { "required" } else { "open" });
    }
    selfreport_core::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    policy
}

/// A drop box serving the enrollment policy, accepting codes under its root (with
/// `trust`), on a clock the test moves, its retention job every 50 ms.
async fn start(backend: Backend, trust: bool) -> (TestDropBox, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at_local_noon(today(), 8 * 3600).unwrap());
    let root = Arc::new(Mutex::new(None));
    let seen = root.clone();
    let job_clock = clock.clone();
    let drop_box = TestDropBox::start_with(
        backend,
        move |authority, url| {
            *seen.lock().unwrap() = Some(authority.keys.public_key_base64.clone());
            enrollment_policy(authority, url)
        },
        move |d: DropBox| {
            let d = d
                .with_clock(job_clock)
                .with_retention_interval(Duration::from_millis(50));
            if trust {
                let key = root.lock().unwrap().clone().unwrap();
                let anchor = TrustAnchor::from_public_key_base64(&key).unwrap();
                d.with_trust(TrustAnchors::from(anchor))
            } else {
                d
            }
        },
    )
    .await;
    (drop_box, clock)
}

fn order(policy_id: &str, start: &str, days: u32) -> Value {
    json!({
        "format": "selfreport.enrollment/1",
        "policy_id": policy_id,
        "monitoring": {"start": start, "days": days},
        "reason": "close_contact",
        "district": "310101",
        "forms": {"daily": {"per_day": 1}},
        "secret": "AAECAwQFBgcICQoLDA0ODw",
        "issued_at": format!("{}T08:00:00+08:00", day(-1)),
    })
}

fn signed(key: &SigningKey, document: &Value) -> Vec<u8> {
    sign_enrollment(key, &serde_json::to_vec(document).unwrap()).unwrap()
}

fn signer(drop_box: &TestDropBox) -> SigningKey {
    read_signing_key(&drop_box.authority.keys.signing_key_path).unwrap()
}

async fn register(drop_box: &TestDropBox, code_hash: &str, order: &[u8]) -> reqwest::Response {
    drop_box
        .client
        .put(format!("{}/enrollment-codes/{code_hash}", drop_box.url))
        .header("content-type", "application/json")
        .body(order.to_vec())
        .send()
        .await
        .unwrap()
}

async fn redeem_from(
    drop_box: &TestDropBox,
    client: &reqwest::Client,
    code: &str,
) -> reqwest::Response {
    client
        .post(format!("{}/enrollment-codes/redeem", drop_box.url))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&json!({ "code": code })).unwrap())
        .send()
        .await
        .unwrap()
}

async fn redeem(drop_box: &TestDropBox, code: &str) -> reqwest::Response {
    redeem_from(drop_box, &drop_box.client, code).await
}

/// Every row of the codes' table: (code hash, signed order).
async fn rows(db: &TestDatabase) -> Vec<(String, Vec<u8>)> {
    const QUERY: &str = "SELECT code_hash, signed_order FROM enrollment_codes ORDER BY 1";
    match db {
        TestDatabase::Sqlite { path, .. } => {
            let connection = rusqlite::Connection::open(path).unwrap();
            let mut statement = connection.prepare(QUERY).unwrap();
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
        TestDatabase::Postgres { .. } => db
            .client()
            .await
            .query(QUERY, &[])
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect(),
    }
}

async fn codes_are_registered_idempotently_and_redeemed_once(backend: Backend) {
    let (drop_box, _clock) = start(backend, true).await;
    let key = signer(&drop_box);
    let first = signed(&key, &order("sh-arrivals", &day(-1), 14));
    let second = signed(&key, &order("sh-arrivals", &day(0), 7));
    let code = EnrollmentCode::generate().unwrap();

    let response = register(&drop_box, &code.lookup_hash(), &first).await;
    assert_eq!(response.status(), 201);
    let reply: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    // Valid through the day after the order's last day (day 12).
    assert_eq!(reply, json!({"expires": day(14)}));
    assert_eq!(
        register(&drop_box, &code.lookup_hash(), &first)
            .await
            .status(),
        200
    );
    let response = register(&drop_box, &code.lookup_hash(), &second).await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_code(response).await, "Conflict");

    // The database keeps the code's hash, never the code.
    let stored = rows(&drop_box.db).await;
    assert_eq!(stored, vec![(code.lookup_hash(), first.clone())]);
    assert!(!stored[0].0.contains(code.as_str()));

    // A new code for the same order replaces the old one.
    let replacement = EnrollmentCode::generate().unwrap();
    assert_eq!(
        register(&drop_box, &replacement.lookup_hash(), &first)
            .await
            .status(),
        201
    );
    assert_eq!(rows(&drop_box.db).await.len(), 1);
    let response = redeem(&drop_box, code.as_str()).await;
    assert_eq!(response.status(), 404);
    assert_eq!(error_code(response).await, "NotFound");

    // The drop box takes the normalized form only (the device normalizes what was typed).
    let typed = replacement.grouped().to_lowercase();
    assert_eq!(redeem(&drop_box, &typed).await.status(), 400);
    // Redeemed once: the order, byte for byte.
    let response = redeem(&drop_box, replacement.as_str()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().to_vec(), first);
    assert!(rows(&drop_box.db).await.is_empty());
    let again = redeem(&drop_box, replacement.as_str()).await;
    assert_eq!(again.status(), 404);
    assert_eq!(error_code(again).await, "NotFound");
    drop_box.running.shutdown().await.unwrap();
}

async fn orders_the_policy_would_refuse_are_refused(backend: Backend) {
    let (drop_box, _clock) = start(backend, true).await;
    let key = signer(&drop_box);
    let stranger = SigningKey::generate().unwrap();
    let hash = EnrollmentCode::generate().unwrap().lookup_hash();
    let mut outside = order("sh-arrivals", &day(-1), 14);
    outside["district"] = json!("110101");
    for (what, body) in [
        (
            "forged",
            signed(&stranger, &order("sh-arrivals", &day(-1), 14)),
        ),
        (
            "another policy",
            signed(&key, &order("sh-daily", &day(-1), 14)),
        ),
        (
            "past its period",
            signed(&key, &order("sh-arrivals", &day(-20), 14)),
        ),
        ("outside the regions", signed(&key, &outside)),
        ("not an order", b"{}".to_vec()),
    ] {
        let response = register(&drop_box, &hash, &body).await;
        assert_eq!(response.status(), 403, "{what}");
        assert_eq!(error_code(response).await, "OrderRefused", "{what}");
    }
    let good = signed(&key, &order("sh-arrivals", &day(-1), 14));
    let response = register(&drop_box, &hash, &vec![b' '; 5000]).await;
    assert_eq!(response.status(), 413);
    for bad_hash in ["abc", &hash.to_uppercase(), &format!("{hash}0")] {
        assert_eq!(register(&drop_box, bad_hash, &good).await.status(), 404);
    }
    assert!(rows(&drop_box.db).await.is_empty());
    // A code of the right shape whose check symbol does not match is simply unknown.
    let mut wrong = EnrollmentCode::generate().unwrap().as_str().to_owned();
    let last = if wrong.ends_with('7') { "8" } else { "7" };
    wrong.replace_range(10.., last);
    assert_eq!(redeem(&drop_box, &wrong).await.status(), 404);
    // Not a code in its normalized form: 400, and nothing looked up (five attempts, from
    // an address of their own: the limit would answer a sixth).
    let client = drop_box.tls.client_from("127.0.0.5".parse().unwrap());
    for body in [
        json!({"code": "ABCDE-FGHJK-M"}),
        json!({"code": "abcdefghjkm"}),
        json!({"code": "ABCDEFGHJKU"}),
        json!({"code": 5}),
        json!({"kode": "x"}),
    ] {
        let response = client
            .post(format!("{}/enrollment-codes/redeem", drop_box.url))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
    }
    drop_box.running.shutdown().await.unwrap();
}

async fn expired_codes_are_not_given_out_and_are_deleted(backend: Backend) {
    let (drop_box, clock) = start(backend, true).await;
    let key = signer(&drop_box);
    let short = signed(&key, &order("sh-arrivals", &day(0), 1));
    let longer = signed(&key, &order("sh-arrivals", &day(-1), 3));
    let short_code = EnrollmentCode::generate().unwrap();
    let longer_code = EnrollmentCode::generate().unwrap();
    assert_eq!(
        register(&drop_box, &short_code.lookup_hash(), &short)
            .await
            .status(),
        201
    );
    assert_eq!(
        register(&drop_box, &longer_code.lookup_hash(), &longer)
            .await
            .status(),
        201
    );
    // Two days on: the one-day order's code has expired, the other has not.
    clock.advance_days(2);
    let mut waited = 0;
    while rows(&drop_box.db).await.len() != 1 {
        assert!(
            waited < 100,
            "the retention job did not delete the expired code"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(redeem(&drop_box, short_code.as_str()).await.status(), 404);
    assert_eq!(redeem(&drop_box, longer_code.as_str()).await.status(), 200);
    drop_box.running.shutdown().await.unwrap();
}

async fn a_flood_of_redemptions_from_one_address_leaves_another_alone(backend: Backend) {
    let (drop_box, _clock) = start(backend, true).await;
    let key = signer(&drop_box);
    let code = EnrollmentCode::generate().unwrap();
    let order = signed(&key, &order("sh-arrivals", &day(-1), 14));
    assert_eq!(
        register(&drop_box, &code.lookup_hash(), &order)
            .await
            .status(),
        201
    );
    let flooder = drop_box.tls.client_from("127.0.0.3".parse().unwrap());
    for _ in 0..REDEMPTIONS_PER_WINDOW {
        let guess = EnrollmentCode::generate().unwrap();
        assert_eq!(
            redeem_from(&drop_box, &flooder, guess.as_str())
                .await
                .status(),
            404
        );
    }
    // Past the count, even the right code is not looked up from that address.
    let limited = redeem_from(&drop_box, &flooder, code.as_str()).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(limited).await, "RateLimited");
    // Malformed attempts count too.
    let malformed = redeem_from(&drop_box, &flooder, "nonsense").await;
    assert_eq!(malformed.status(), 429);
    // Another address redeems it.
    let device = drop_box.tls.client_from("127.0.0.4".parse().unwrap());
    let response = redeem_from(&drop_box, &device, code.as_str()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().to_vec(), order);
    drop_box.running.shutdown().await.unwrap();
}

async fn without_trust_there_are_no_codes(backend: Backend) {
    let (drop_box, _clock) = start(backend, false).await;
    let key = signer(&drop_box);
    let code = EnrollmentCode::generate().unwrap();
    let order = signed(&key, &order("sh-arrivals", &day(-1), 14));
    assert_eq!(
        register(&drop_box, &code.lookup_hash(), &order)
            .await
            .status(),
        404
    );
    assert_eq!(redeem(&drop_box, code.as_str()).await.status(), 404);
    drop_box.running.shutdown().await.unwrap();
}

on_both_backends!(
    codes_are_registered_idempotently_and_redeemed_once,
    orders_the_policy_would_refuse_are_refused,
    expired_codes_are_not_given_out_and_are_deleted,
    a_flood_of_redemptions_from_one_address_leaves_another_alone,
    without_trust_there_are_no_codes,
);

/// `migrate` moves the codes not yet redeemed: the PostgreSQL drop box gives them out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_moves_live_codes_to_postgres() {
    if !common::postgres_or_skip() {
        return;
    }
    let (drop_box, _clock) = start(Backend::Sqlite, true).await;
    let key = signer(&drop_box);
    let code = EnrollmentCode::generate().unwrap();
    let order = signed(&key, &order("sh-arrivals", &day(-1), 14));
    assert_eq!(
        register(&drop_box, &code.lookup_hash(), &order)
            .await
            .status(),
        201
    );
    let TestDropBox {
        running,
        db,
        envelope,
        authority,
        tls,
        ..
    } = drop_box;
    running.shutdown().await.unwrap();
    let url = common::new_postgres_database().await;
    let config = common::postgres_config(&url);
    let report = selfreport_endpoint::dropbox::move_sqlite_to_postgres(db.path(), &config)
        .await
        .unwrap();
    assert_eq!((report.codes_moved, report.codes_already_there), (1, 0));
    let again = selfreport_endpoint::dropbox::move_sqlite_to_postgres(db.path(), &config)
        .await
        .unwrap();
    assert_eq!((again.codes_moved, again.codes_already_there), (0, 1));

    // The same policy served from PostgreSQL gives the code out once.
    let anchor = TrustAnchor::from_public_key_base64(&authority.keys.public_key_base64).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // The policy names the SQLite drop box's address; serve on the same path.
    let moved = DropBox::new(&envelope, authority.receipt_key(), config)
        .unwrap()
        .with_access_log(selfreport_endpoint::dropbox::AccessLog::off())
        .with_trust(TrustAnchors::from(anchor))
        .serve(listener, tls.server_config())
        .await
        .unwrap();
    let base = format!("https://127.0.0.1:{port}/v1");
    let redeem_at = |code: String| {
        let client = tls.client();
        let url = format!("{base}/enrollment-codes/redeem");
        async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&json!({ "code": code })).unwrap())
                .send()
                .await
                .unwrap()
        }
    };
    let response = redeem_at(code.as_str().to_owned()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().to_vec(), order);
    assert_eq!(redeem_at(code.as_str().to_owned()).await.status(), 404);
    moved.shutdown().await.unwrap();
}
