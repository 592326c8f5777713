//! Unlinkable upload tokens at the drop box (issue 14, docs/protocol.md "Upload tokens"):
//! issuance (`POST {url}/tokens`) to enrolled devices against their orders and to any
//! device for open forms, spending on `POST {url}/submissions` and `selfreport.batch/2`,
//! and what the database and access log keep. The device side is the core's own
//! (`PendingToken`), so every token here crosses the two implementations: blinded and
//! finished by the core, signed by `blind-rsa-signatures`, verified by the core on ring.
//!
//! Each scenario runs on SQLite and, with `SELFREPORT_TEST_POSTGRES_URL`, on PostgreSQL.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "common/token_box.rs"]
mod token_box;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use common::{Backend, TestDropBox, error_code, postgres_or_skip};
use selfreport_core::FixedClock;
use selfreport_core::policy::{TokenKeyUse, TrustAnchor, TrustAnchors};
use selfreport_core::sync::wire::{BatchReply, ReceiptReply};
use selfreport_core::token::Token;
use selfreport_endpoint::token_key::IssuerSecretKey;
use serde_json::{Value, json};
use token_box::{
    TokenBox, copy, day, enrolled_request, open_request, order_signed_by, post_tokens_with,
    responses_of, spent_rows, today, token_policy,
};

/// Runs `scenario` on SQLite (`$sqlite`) and PostgreSQL (`$postgres`, skipped without a
/// server outside CI).
macro_rules! on_both_backends {
    ($scenario:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $scenario(Backend::Sqlite).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if postgres_or_skip() {
                $scenario(Backend::Postgres).await;
            }
        }
    };
}

#[path = "tokens/issuance_retention.rs"]
mod issuance_retention;

on_both_backends!(
    a_device_token_pays_for_one_upload,
    a_device_token_pays_for_one_upload_on_sqlite,
    a_device_token_pays_for_one_upload_on_postgres
);
on_both_backends!(
    refused_uploads_store_and_spend_nothing,
    refused_uploads_store_and_spend_nothing_on_sqlite,
    refused_uploads_store_and_spend_nothing_on_postgres
);
on_both_backends!(
    batches_carry_a_token_per_item,
    batches_carry_a_token_per_item_on_sqlite,
    batches_carry_a_token_per_item_on_postgres
);
on_both_backends!(
    the_allowance_holds_and_a_lost_reply_is_signed_again,
    the_allowance_holds_and_a_lost_reply_is_signed_again_on_sqlite,
    the_allowance_holds_and_a_lost_reply_is_signed_again_on_postgres
);
on_both_backends!(
    orders_that_do_not_verify_are_refused,
    orders_that_do_not_verify_are_refused_on_sqlite,
    orders_that_do_not_verify_are_refused_on_postgres
);
on_both_backends!(
    open_tokens_are_capped_per_address_and_pay_for_open_forms_only,
    open_tokens_are_capped_per_address_and_pay_for_open_forms_only_on_sqlite,
    open_tokens_are_capped_per_address_and_pay_for_open_forms_only_on_postgres
);

on_both_backends!(
    spent_tokens_go_with_their_submissions_at_retention,
    spent_tokens_go_with_their_submissions_at_retention_on_sqlite,
    spent_tokens_go_with_their_submissions_at_retention_on_postgres
);

/// Retention forgets a spent token with the submission it paid for (SQLite: in the
/// purge's transaction; PostgreSQL: in the transaction dropping the partition).
async fn spent_tokens_go_with_their_submissions_at_retention(backend: Backend) {
    let clock = Arc::new(FixedClock::new(Utc::now().fixed_offset()));
    let job_clock = clock.clone();
    let drop_box = TokenBox::start_with(backend, move |d| {
        d.with_retention_days(2)
            .unwrap()
            .with_clock(job_clock)
            .with_retention_interval(Duration::from_millis(50))
    })
    .await;
    let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
    let tokens = drop_box.enrolled_tokens(&order, 2).await;
    let spent = |n: usize| {
        let token = tokens[n].authorization();
        let drop_box = &drop_box;
        async move {
            let response = drop_box.upload(&drop_box.daily(), Some(&token)).await;
            assert_eq!(response.status(), 201);
        }
    };
    spent(0).await;
    clock.advance_days(1);
    spent(1).await;
    assert_eq!(spent_rows(&drop_box.inner).await, 2);
    clock.advance_days(1);
    let mut waited = 0;
    while drop_box.inner.stored_count().await != 1 && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(drop_box.inner.stored_count().await, 1);
    assert_eq!(spent_rows(&drop_box.inner).await, 1);
}

/// A token the drop box signed blindly finishes on the device (the core's finalize checks
/// it with ring), pays for one upload, and a resend with it of the same bytes gets the
/// kept receipt.
async fn a_device_token_pays_for_one_upload(backend: Backend) {
    let drop_box = TokenBox::start(backend).await;
    let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
    let tokens = drop_box.enrolled_tokens(&order, 2).await;
    let digest = drop_box.challenge_digest();
    for token in &tokens {
        assert!(token.verifies(&drop_box.enrolled, &digest));
    }
    let sealed = drop_box.daily();
    let stored = drop_box
        .upload(&sealed, Some(&tokens[0].authorization()))
        .await;
    assert_eq!(stored.status(), 201);
    let receipt = stored.bytes().await.unwrap();
    serde_json::from_slice::<ReceiptReply>(&receipt).unwrap();
    // A lost reply: the same token, the same bytes (the scheme in another case, the token
    // unpadded), the kept receipt byte for byte, nothing stored twice.
    let unpadded = format!(
        "privatetoken token={}",
        URL_SAFE_NO_PAD.encode(tokens[0].as_bytes())
    );
    let again = drop_box.upload(&sealed, Some(&unpadded)).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().await.unwrap(), receipt);
    assert_eq!(drop_box.inner.stored_count().await, 1);
}

/// Untokened, invalid and double-spent uploads: 401 with the policy's challenge, and
/// nothing stored or spent.
async fn refused_uploads_store_and_spend_nothing(backend: Backend) {
    let drop_box = TokenBox::start(backend).await;
    let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
    let tokens = drop_box.enrolled_tokens(&order, 2).await;
    let first = drop_box.daily();
    assert_eq!(
        drop_box
            .upload(&first, Some(&tokens[0].authorization()))
            .await
            .status(),
        201
    );

    let expected_challenge = format!(
        "PrivateToken challenge=\"{}\", token-key=\"{}\"",
        base64::engine::general_purpose::URL_SAFE.encode(
            selfreport_core::token::TokenChallenge::for_policy("127.0.0.1", "sh-arrivals")
                .encode()
                .unwrap()
        ),
        base64::engine::general_purpose::URL_SAFE.encode(drop_box.enrolled_secret.spki()),
    );
    let refused = |response: reqwest::Response, code: &'static str| {
        let expected_challenge = expected_challenge.clone();
        async move {
            assert_eq!(response.status(), 401, "{code}");
            assert_eq!(
                response.headers()["www-authenticate"].to_str().unwrap(),
                expected_challenge
            );
            assert_eq!(error_code(response).await, code);
        }
    };
    let other = drop_box.daily();
    // No token, or another scheme.
    refused(drop_box.upload(&other, None).await, "TokenMissing").await;
    refused(
        drop_box.upload(&other, Some("Bearer abc")).await,
        "TokenMissing",
    )
    .await;
    // A token whose signature was changed, one that is not a token, one of a key the
    // policy does not list, one answering another policy's challenge.
    let mut bytes = tokens[1].as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = Token::parse(&bytes).unwrap();
    refused(
        drop_box
            .upload(&other, Some(&tampered.authorization()))
            .await,
        "TokenInvalid",
    )
    .await;
    refused(
        drop_box
            .upload(&other, Some("PrivateToken token=\"AAAA\""))
            .await,
        "TokenInvalid",
    )
    .await;
    let stranger = IssuerSecretKey::generate().unwrap();
    let foreign = foreign_token(&stranger, &drop_box.challenge_digest());
    refused(
        drop_box
            .upload(&other, Some(&foreign.authorization()))
            .await,
        "TokenInvalid",
    )
    .await;
    let other_policy = selfreport_core::token::TokenChallenge::for_policy("127.0.0.1", "sh-other")
        .digest()
        .unwrap();
    let elsewhere = foreign_token(&drop_box.enrolled_secret, &other_policy);
    refused(
        drop_box
            .upload(&other, Some(&elsewhere.authorization()))
            .await,
        "TokenInvalid",
    )
    .await;
    // Spent on `first`: refused for another body.
    refused(
        drop_box
            .upload(&other, Some(&tokens[0].authorization()))
            .await,
        "TokenSpent",
    )
    .await;
    assert_eq!(drop_box.inner.stored_count().await, 1);
    assert!(drop_box.inner.stored(other.id()).await.is_none());
    // Nothing was spent by the refusals: the unspent token still pays.
    assert_eq!(
        drop_box
            .upload(&other, Some(&tokens[1].authorization()))
            .await
            .status(),
        201
    );
}

/// A token the drop box's key signed over `digest` without blinding: what an issuer
/// holding that key could make for any challenge.
fn foreign_token(key: &IssuerSecretKey, digest: &[u8; 32]) -> Token {
    let (pending, request) = selfreport_core::token::PendingToken::new(
        &selfreport_core::token::IssuerKey::from_spki(key.spki()).unwrap(),
        digest,
    )
    .unwrap();
    let signature = key.blind_sign(&request.blinded_msg).unwrap();
    pending
        .finish(
            &selfreport_core::token::IssuerKey::from_spki(key.spki()).unwrap(),
            &signature,
        )
        .unwrap()
}

/// `selfreport.batch/2`: one token per item, each item refused or stored on its own;
/// `selfreport.batch/1` is refused whole under a policy with token keys.
async fn batches_carry_a_token_per_item(backend: Backend) {
    let drop_box = TokenBox::start(backend).await;
    let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
    let tokens = drop_box.enrolled_tokens(&order, 3).await;
    let [a, b, c, d] = [(); 4].map(|()| drop_box.daily());
    let item = |sealed: &common::Sealed, token: Option<&Token>| {
        let submission: Value = serde_json::from_slice(&sealed.body).unwrap();
        match token {
            Some(token) => json!({"token": token.to_base64url(), "submission": submission}),
            None => json!({"submission": submission}),
        }
    };
    let post = |body: Vec<u8>| async {
        drop_box
            .inner
            .client
            .post(format!("{}/submissions/batch", drop_box.inner.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    };
    let old = selfreport_core::sync::wire::batch_body([a.body.as_slice()]);
    let response = post(old).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(error_code(response).await, "TokenMissing");

    // The same token twice in one batch: the second item finds it spent.
    let body = json!({"format": "selfreport.batch/2", "items": [
        item(&a, Some(&tokens[0])), item(&b, Some(&tokens[0])),
        item(&c, None), item(&d, Some(&tokens[1])),
    ]});
    let response = post(serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(response.status(), 200);
    let reply: BatchReply = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let codes: Vec<Option<String>> = reply
        .results
        .iter()
        .map(|result| result.error.as_ref().map(|error| error.code.clone()))
        .collect();
    assert_eq!(
        codes,
        [
            None,
            Some("TokenSpent".to_owned()),
            Some("TokenMissing".to_owned()),
            None
        ]
    );
    assert_eq!(reply.results[1].error.as_ref().unwrap().status, 401);
    assert!(drop_box.inner.stored(a.id()).await.is_some());
    assert!(drop_box.inner.stored(b.id()).await.is_none());
    assert!(drop_box.inner.stored(c.id()).await.is_none());
    assert_eq!(drop_box.inner.stored_count().await, 2);
}

/// An enrollment gets `days × (Σ per_day + cover_traffic.daily) + 16` tokens; the same
/// requests again (a lost reply) are signed again and not counted twice.
async fn the_allowance_holds_and_a_lost_reply_is_signed_again(backend: Backend) {
    let drop_box = TokenBox::start(backend).await;
    let cover = u64::from(drop_box.policy().cover_traffic.daily);
    let order = drop_box.order("sh-arrivals", day(0), 2, 1);
    let allowance = usize::try_from(2 * (1 + cover) + 16).unwrap();
    let (_, requests) = drop_box.pending(&drop_box.enrolled, allowance);
    let (first, rest) = requests.split_at(10);
    let signed = drop_box.post_tokens(&enrolled_request(&order, first)).await;
    assert_eq!(signed.status(), 200);
    let signed = responses_of(signed).await;
    // The reply was lost: the same requests again, the same signatures (the scheme is
    // deterministic), nothing counted again.
    for _ in 0..2 {
        let again = drop_box.post_tokens(&enrolled_request(&order, first)).await;
        assert_eq!(again.status(), 200);
        assert_eq!(responses_of(again).await, signed);
    }
    // The rest of the allowance fits exactly, and not one more; the refused request
    // signed nothing.
    let fits = drop_box.post_tokens(&enrolled_request(&order, rest)).await;
    assert_eq!(fits.status(), 200);
    let (_, one_more) = drop_box.pending(&drop_box.enrolled, 1);
    let refused = drop_box
        .post_tokens(&enrolled_request(&order, &one_more))
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(error_code(refused).await, "AllowanceExhausted");
    // Signed before, still signed again after the allowance is used up.
    let again = drop_box.post_tokens(&enrolled_request(&order, first)).await;
    assert_eq!(again.status(), 200);
    // Another enrollment has its own allowance.
    let other = drop_box.order("sh-arrivals", day(0), 2, 1);
    let fresh = drop_box
        .post_tokens(&enrolled_request(&other, &one_more))
        .await;
    assert_eq!(fresh.status(), 200);
}

/// Orders forged, for another policy, expired or not yet begun, tampered with, or
/// missing: nothing signed.
async fn orders_that_do_not_verify_are_refused(backend: Backend) {
    let drop_box = TokenBox::start(backend).await;
    let (_, requests) = drop_box.pending(&drop_box.enrolled, 1);
    let stranger = common::Authority::new();
    let forged = order_signed_by(&stranger, "sh-arrivals", day(-1), 14, 1);
    let other_policy = drop_box.order("sh-other", day(-1), 14, 1);
    let expired = drop_box.order("sh-arrivals", day(-20), 5, 1);
    let not_yet = drop_box.order("sh-arrivals", day(2), 5, 1);
    let mut tampered = drop_box.order("sh-arrivals", day(-1), 14, 1);
    let at = tampered.len() / 2;
    tampered[at] ^= 0x01;
    for (what, order) in [
        ("forged", &forged),
        ("another policy's", &other_policy),
        ("expired", &expired),
        ("not yet begun", &not_yet),
        ("tampered", &tampered),
    ] {
        let response = drop_box
            .post_tokens(&enrolled_request(order, &requests))
            .await;
        assert_eq!(response.status(), 403, "{what}");
        assert_eq!(error_code(response).await, "Forbidden", "{what}");
    }
    let mut missing = enrolled_request(&forged, &requests);
    missing.as_object_mut().unwrap().remove("order");
    let response = drop_box.post_tokens(&missing).await;
    assert_eq!(response.status(), 400);
    // A request for the open key under `enrolled`, and one not of type 0x0002: 400.
    let valid = drop_box.order("sh-arrivals", day(-1), 14, 1);
    let (_, open_requests) = drop_box.pending(&drop_box.open, 1);
    let response = drop_box
        .post_tokens(&enrolled_request(&valid, &open_requests))
        .await;
    assert_eq!(response.status(), 400);
    let mut wrong_type = URL_SAFE_NO_PAD.decode(&requests[0]).unwrap();
    wrong_type[1] = 0x01;
    let response = drop_box
        .post_tokens(&enrolled_request(
            &valid,
            &[URL_SAFE_NO_PAD.encode(&wrong_type)],
        ))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "Malformed");
    // A blinded message not below the key's modulus: 400, nothing signed.
    let mut too_big = vec![0x00, 0x02, drop_box.enrolled.truncated_key_id()];
    too_big.extend([0xff; 256]);
    let response = drop_box
        .post_tokens(&enrolled_request(
            &valid,
            &[URL_SAFE_NO_PAD.encode(&too_big)],
        ))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "Malformed");
    // The valid order is served.
    let response = drop_box
        .post_tokens(&enrolled_request(&valid, &requests))
        .await;
    assert_eq!(response.status(), 200);
}

/// Open tokens: eight per client address and day, another address unaffected, no row
/// written; they pay for an open form's shape only.
async fn open_tokens_are_capped_per_address_and_pay_for_open_forms_only(backend: Backend) {
    let drop_box = TokenBox::start(backend).await;
    let (pending, requests) = drop_box.pending(&drop_box.open, 9);
    let signed = drop_box.post_tokens(&open_request(&requests[..5])).await;
    assert_eq!(signed.status(), 200);
    let signatures = responses_of(signed).await;
    let too_many = drop_box.post_tokens(&open_request(&requests[5..9])).await;
    assert_eq!(too_many.status(), 429);
    let wait: u64 = too_many.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&wait));
    assert_eq!(error_code(too_many).await, "RateLimited");
    let fits = drop_box.post_tokens(&open_request(&requests[5..8])).await;
    assert_eq!(fits.status(), 200);
    let over = drop_box.post_tokens(&open_request(&requests[8..9])).await;
    assert_eq!(over.status(), 429);
    // Another address has its own eight.
    let elsewhere = drop_box.inner.tls.client_from("127.0.0.2".parse().unwrap());
    let other = post_tokens_with(
        &elsewhere,
        &drop_box.inner.url,
        &open_request(&requests[8..9]),
    )
    .await;
    assert_eq!(other.status(), 200);

    let tokens: Vec<Token> = pending
        .iter()
        .zip(&signatures)
        .map(|(pending, signature)| pending.finish(&drop_box.open, signature).unwrap())
        .collect();
    // An open token on the daily form's shape: refused; on a pre-registration: stored.
    let daily = drop_box.daily();
    let response = drop_box
        .upload(&daily, Some(&tokens[0].authorization()))
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(response).await, "TokenInvalid");
    let arrival = drop_box.arrival();
    let response = drop_box
        .upload(&arrival, Some(&tokens[0].authorization()))
        .await;
    assert_eq!(response.status(), 201);
    // An enrolled token pays for any form's shape.
    let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
    let enrolled = drop_box.enrolled_tokens(&order, 1).await;
    let response = drop_box
        .upload(&drop_box.arrival(), Some(&enrolled[0].authorization()))
        .await;
    assert_eq!(response.status(), 201);
    if backend == Backend::Sqlite {
        let connection = rusqlite::Connection::open(drop_box.inner.db.path()).unwrap();
        let issued: i64 = connection
            .query_row("SELECT count(*) FROM token_issuance", [], |row| row.get(0))
            .unwrap();
        assert_eq!(issued, 1, "only the enrolled token left an issuance row");
    }
}

/// A policy with token keys does not start without every key issuing from today, with a
/// key it does not list, or (with `enrolled` keys) without its root to verify orders.
#[tokio::test]
async fn a_policy_with_token_keys_starts_only_with_its_keys_and_root() {
    let enrolled = IssuerSecretKey::generate().unwrap();
    let stray = IssuerSecretKey::generate().unwrap();
    let schedule = vec![(TokenKeyUse::Enrolled, enrolled.spki().to_vec())];
    let attempt = |keys: Vec<IssuerSecretKey>, with_root: bool| {
        let schedule = schedule.clone();
        async move {
            let authority = common::Authority::new();
            let tls = common::TestTls::new();
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("https://{}/v1", listener.local_addr().unwrap());
            let envelope =
                authority.sign(&token_policy(&authority, &url, "sh-arrivals", &schedule));
            let dir = tempfile::tempdir().unwrap();
            let mut drop_box = selfreport_endpoint::dropbox::DropBox::new(
                &envelope,
                authority.receipt_key(),
                dir.path().join("db"),
            )
            .unwrap()
            .with_access_log(selfreport_endpoint::dropbox::AccessLog::off())
            .with_token_keys(keys);
            if with_root {
                let root =
                    selfreport_endpoint::keyfile::read_public_key(&authority.keys.public_key_path)
                        .unwrap();
                drop_box = drop_box.with_trust(TrustAnchors::from(TrustAnchor::new(root)));
            }
            match drop_box.serve(listener, tls.server_config()).await {
                Ok(running) => {
                    running.shutdown().await.unwrap();
                    "started".to_owned()
                }
                Err(error) => error.code().to_owned(),
            }
        }
    };
    assert_eq!(attempt(Vec::new(), true).await, "TokenKeyMissing");
    assert_eq!(
        attempt(vec![copy(&enrolled), copy(&stray)], true).await,
        "TokenKeyNotInPolicy"
    );
    assert_eq!(
        attempt(vec![copy(&enrolled)], false).await,
        "TokenTrustMissing"
    );
    assert_eq!(attempt(vec![copy(&enrolled)], true).await, "started");
}

/// The unlinkability test: after several enrollments fetched tokens and spent them, no
/// value of an issuance row (nor any 16-byte run of one, decoded from hex or base64)
/// appears in a spent-token row, a submission row, or the access log; and the log names
/// no address, hash or token.
///
/// What still links them is what this cannot rule out and docs/threat-model.md says:
/// the day (issuance rows and spent rows both carry it, by design, and nothing finer),
/// the counts (how many tokens an enrollment fetched against how many uploads a day
/// saw), and the timing an operator could log outside the drop box (a fetch at 09:00
/// and an upload at 09:01 from one address). With few enrollments per day, counts alone
/// narrow the anonymity set: devices fetch a period's tokens at once, never per upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuance_and_spending_share_no_value() {
    let drop_box = TokenBox::start(Backend::Sqlite).await;
    let mut secrets = Vec::new();
    for _ in 0..3 {
        let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
        secrets.push(order.clone());
        for token in drop_box.enrolled_tokens(&order, 3).await.iter().take(2) {
            let response = drop_box
                .upload(&drop_box.daily(), Some(&token.authorization()))
                .await;
            assert_eq!(response.status(), 201);
        }
    }
    let connection = rusqlite::Connection::open(drop_box.inner.db.path()).unwrap();
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.contains(&"token_issuance".to_owned()));
    let rows_of = |table: &str| -> Vec<Vec<Vec<u8>>> {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table}"))
            .unwrap();
        let columns = statement.column_count();
        statement
            .query_map([], |row| {
                (0..columns)
                    .map(|n| {
                        Ok(match row.get_ref(n)? {
                            rusqlite::types::ValueRef::Null => Vec::new(),
                            rusqlite::types::ValueRef::Integer(i) => i.to_string().into_bytes(),
                            rusqlite::types::ValueRef::Real(r) => r.to_string().into_bytes(),
                            rusqlite::types::ValueRef::Text(t)
                            | rusqlite::types::ValueRef::Blob(t) => t.to_vec(),
                        })
                    })
                    .collect()
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let issuance: Vec<Vec<u8>> = rows_of("token_issuance").into_iter().flatten().collect();
    assert_eq!(
        issuance.len(),
        3 * 3 * 4,
        "3 enrollments × 3 tokens × 4 columns"
    );
    let mut elsewhere: Vec<Vec<u8>> = Vec::new();
    for table in tables.iter().filter(|table| *table != "token_issuance") {
        elsewhere.extend(rows_of(table).into_iter().flatten());
    }
    assert!(rows_of("spent_tokens").len() == 6);
    elsewhere.extend(
        drop_box
            .inner
            .log_lines()
            .into_iter()
            .map(String::into_bytes),
    );
    let today = today().to_string().into_bytes();
    // The orders' last day (each runs 14 days from yesterday).
    let last_day = day(12).to_string().into_bytes();
    // The search finds a value that leaked, even re-encoded inside JSON.
    let probe = format!(
        "{{\"leak\":\"{}\"}}",
        STANDARD.encode(&readings(&issuance[1])[1][..20])
    );
    assert!(shares_a_run(&issuance[1], &[probe.into_bytes()]));
    for value in &issuance {
        if *value == today || *value == last_day {
            // The day, shared by design (see above), and the day the order's period
            // ends (the same for every enrollment of that day's orders).
            continue;
        }
        assert!(value.len() >= 16, "only days are short");
        assert!(
            !shares_a_run(value, &elsewhere),
            "an issuance value is found outside the issuance rows"
        );
    }
    // The log names routes and statuses only.
    for line in drop_box.inner.log_lines() {
        assert!(!line.contains("127.0.0.1"), "{line}");
        assert!(!line.contains("PrivateToken"), "{line}");
    }
    assert!(
        drop_box
            .inner
            .log_lines()
            .iter()
            .any(|line| line.contains("/v1/tokens"))
    );
    // The orders' secrets are nowhere in the database.
    let file = std::fs::read(drop_box.inner.db.path()).unwrap();
    for order in &secrets {
        let payload = selfreport_core::policy::enrollment::SignedEnrollment::parse(order).unwrap();
        let secret = payload.order().secret.to_vec();
        assert!(!file.windows(secret.len()).any(|window| window == secret));
    }
}

/// Whether any 16-byte run of `value` (as stored or decoded) is in one of `others` (as
/// stored or decoded).
fn shares_a_run(value: &[u8], others: &[Vec<u8>]) -> bool {
    let others: Vec<Vec<u8>> = others.iter().flat_map(|other| readings(other)).collect();
    readings(value).iter().any(|decoded| {
        decoded.windows(16).any(|run| {
            others
                .iter()
                .any(|other| other.windows(16).any(|window| window == run))
        })
    })
}

/// A value as stored, and as decoded from hex and from base64 when it reads as either.
fn readings(value: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![value.to_vec()];
    if let Ok(text) = std::str::from_utf8(value) {
        if text.len() % 2 == 0 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push(
                (0..text.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
                    .collect(),
            );
        }
        for engine in [&STANDARD, &base64::engine::general_purpose::URL_SAFE] {
            if let Ok(bytes) = engine.decode(text.trim()) {
                out.push(bytes);
            }
        }
        // Base64 values inside JSON (a stored body, a receipt).
        for piece in text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_=".contains(c))) {
            if piece.len() >= 22 {
                for engine in [&STANDARD, &base64::engine::general_purpose::URL_SAFE] {
                    if let Ok(bytes) = engine.decode(piece) {
                        out.push(bytes);
                    }
                }
            }
        }
    }
    out
}

/// Without token keys the drop box takes uploads as before: `/tokens` is 404 and an
/// `Authorization` header is ignored.
#[tokio::test]
async fn without_token_keys_tokens_are_not_served_and_uploads_need_none() {
    let drop_box = TestDropBox::start(Backend::Sqlite, |drop_box| drop_box).await;
    let response = post_tokens_with(
        &drop_box.client,
        &drop_box.url,
        &open_request(&["AAAA".to_owned()]),
    )
    .await;
    assert_eq!(response.status(), 404);
    let sealed = common::sealed(&drop_box);
    let response = drop_box
        .client
        .post(format!("{}/submissions", drop_box.url))
        .header("content-type", "application/json")
        .header("authorization", "PrivateToken token=\"AAAA\"")
        .body(sealed.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// `selfreport-endpoint migrate` moves the token rows with the submissions: an
/// enrollment's allowance and the spent tokens carry over to PostgreSQL, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_moves_the_token_rows() {
    if !postgres_or_skip() {
        return;
    }
    let drop_box = TokenBox::start(Backend::Sqlite).await;
    let order = drop_box.order("sh-arrivals", day(-1), 14, 1);
    let tokens = drop_box.enrolled_tokens(&order, 3).await;
    let sealed = drop_box.daily();
    let response = drop_box
        .upload(&sealed, Some(&tokens[0].authorization()))
        .await;
    assert_eq!(response.status(), 201);
    let TestDropBox { running, db, .. } = drop_box.inner;
    running.shutdown().await.unwrap();
    let url = common::new_postgres_database().await;
    let config = common::postgres_config(&url);
    let report = selfreport_endpoint::dropbox::move_sqlite_to_postgres(db.path(), &config)
        .await
        .unwrap();
    assert_eq!((report.moved, report.token_rows_moved), (1, 3 + 1));
    let again = selfreport_endpoint::dropbox::move_sqlite_to_postgres(db.path(), &config)
        .await
        .unwrap();
    assert_eq!((again.already_there, again.token_rows_moved), (1, 0));
    let client = common::postgres_client(&url).await;
    // The order's last day moves with its rows.
    let with_last_day: i64 = client
        .query_one(
            "SELECT count(*) FROM token_issuance WHERE last_day = $1",
            &[&day(12)],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(with_last_day, 3);
    for (table, rows) in [("token_issuance", 3), ("spent_tokens", 1)] {
        let count: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, rows, "{table}");
    }
}
