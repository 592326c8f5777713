//! `POST {base}/tokens`: upload token issuance (docs/protocol.md "POST {url}/tokens").
//!
//! One request carries up to [`MAX_TOKEN_REQUESTS`] RFC 9578 `TokenRequest`s of one use.
//! `enrolled`: the order is verified against the served policy as a device verifies it,
//! today inside its monitoring period; the enrollment (the SHA-256 of the order's secret)
//! may have at most `days × (Σ per_day + cover_traffic.daily) + 16` blinded messages
//! signed over its period, a message signed before is signed again without being counted
//! twice. `open`: at most eight per client address and UTC day, in memory only. Tokens
//! are counted before anything is signed, so a refused request signs nothing (a message
//! that is not below the key's modulus still counts: only a client that sends garbage
//! loses allowance by it).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use chrono::{DateTime, Days, NaiveDate, Utc};
use selfreport_core::crypto::sha256;
use selfreport_core::policy::TokenKeyUse;
use selfreport_core::policy::enrollment::{EnrollmentOrder, SignedEnrollment};
use selfreport_core::sync::wire::hex;
use selfreport_core::token::TokenRequest;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::routes::{AppState, json};
use super::storage::tokens::{Issuance, IssueOutcome};
use super::tokens::TokenState;
use crate::token_key::IssuerSecretKey;

/// Largest body of `POST {base}/tokens`.
pub(crate) const MAX_TOKEN_REQUEST_BYTES: usize = 65_536;

/// Token requests in one issuance request, at most.
pub(crate) const MAX_TOKEN_REQUESTS: usize = 64;

/// Tokens an enrollment gets beyond its reports and cover traffic (lost replies,
/// retries).
pub(crate) const ENROLLMENT_EXTRA_TOKENS: u64 = 16;

const REQUEST_FORMAT: &str = "selfreport.token-request/1";
const RESPONSE_FORMAT: &str = "selfreport.token-response/1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuanceRequest {
    format: String,
    #[serde(rename = "use")]
    usage: String,
    #[serde(default)]
    order: Option<String>,
    requests: Vec<String>,
}

#[derive(Serialize)]
struct IssuanceReply {
    format: &'static str,
    responses: Vec<String>,
}

/// `POST {base}/tokens`.
pub(crate) async fn issue_tokens(State(state): State<Arc<AppState>>, request: Request) -> Response {
    // The peer's address, in memory only (the open cap); an in-process call counts as one.
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    let body = match axum::body::to_bytes(request.into_body(), MAX_TOKEN_REQUEST_BYTES).await {
        Ok(body) => body,
        Err(_) => return ApiError::tokens_too_large().into_response(),
    };
    match issue(&state, client, body).await {
        Ok(reply) => reply,
        Err(error) => error.into_response(),
    }
}

async fn issue(state: &AppState, client: IpAddr, body: Bytes) -> Result<Response, ApiError> {
    let Some(tokens) = state.tokens.clone() else {
        return Err(ApiError::not_found());
    };
    let request: IssuanceRequest = serde_json::from_slice(&body).map_err(|_| {
        ApiError::malformed(
            "the body is not a selfreport.token-request/1 JSON object with exactly `format`, `use`, `requests` and for `enrolled` `order`",
        )
    })?;
    if request.format != REQUEST_FORMAT {
        return Err(ApiError::malformed(
            "`format` is not selfreport.token-request/1",
        ));
    }
    let usage = match request.usage.as_str() {
        "enrolled" => TokenKeyUse::Enrolled,
        "open" => TokenKeyUse::Open,
        _ => return Err(ApiError::malformed("`use` is not `enrolled` or `open`")),
    };
    if request.requests.is_empty() || request.requests.len() > MAX_TOKEN_REQUESTS {
        return Err(ApiError::malformed(
            "`requests` must hold one to 64 token requests",
        ));
    }
    if !tokens.has(usage) {
        return Err(ApiError::not_found());
    }
    let now: DateTime<Utc> = state.clock.now().with_timezone(&Utc);
    let today = now.date_naive();
    let to_sign = requests_to_sign(&tokens, usage, &request.requests, today)?;
    let counted = match usage {
        TokenKeyUse::Enrolled => {
            let encoded = request
                .order
                .as_deref()
                .ok_or_else(|| ApiError::malformed("an `enrolled` request carries its `order`"))?;
            let order = verified_order(&tokens, encoded, today)?;
            Some(Issuance {
                enrollment_sha256: hex(&sha256(&order.secret)),
                blinded_sha256: to_sign
                    .iter()
                    .map(|(_, blinded)| hex(&sha256(blinded)))
                    .collect(),
                day: today.to_string(),
                last_day: order.last_day().to_string(),
                allowance: allowance(&order, tokens.cover_daily),
            })
        }
        TokenKeyUse::Open => {
            if request.order.is_some() {
                return Err(ApiError::malformed("an `open` request carries no `order`"));
            }
            let n = u32::try_from(to_sign.len()).unwrap_or(u32::MAX);
            if !tokens.open.try_take(client, today, n) {
                return Err(ApiError::rate_limited(seconds_to_next_day(now)));
            }
            None
        }
    };
    // Counted before anything is signed: past the allowance nothing is.
    if let Some(issuance) = counted {
        match state.storage.record_issuance(issuance).await {
            Ok(IssueOutcome::Recorded) => {}
            Ok(IssueOutcome::Exhausted) => return Err(ApiError::allowance_exhausted()),
            Err(_) => return Err(ApiError::unavailable()),
        }
    }
    let signatures = tokio::task::spawn_blocking(move || {
        to_sign
            .iter()
            .map(|(key, blinded)| key.blind_sign(blinded))
            .collect::<Option<Vec<Vec<u8>>>>()
    })
    .await
    .map_err(|_| ApiError::unavailable())?
    .ok_or_else(|| ApiError::malformed("a blinded message is not below the key's modulus"))?;
    let reply = IssuanceReply {
        format: RESPONSE_FORMAT,
        responses: signatures
            .iter()
            .map(|signature| URL_SAFE.encode(signature))
            .collect(),
    };
    let body = serde_json::to_vec(&reply).map_err(|_| ApiError::unavailable())?;
    Ok(json(StatusCode::OK, body))
}

/// A blinded message and the key that signs it.
type ToSign = (Arc<IssuerSecretKey>, Vec<u8>);

/// Each request read and matched to the key that signs it: a `TokenRequest` of type
/// 0x0002 naming the key of `usage` issuing today or yesterday.
fn requests_to_sign(
    tokens: &TokenState,
    usage: TokenKeyUse,
    encoded: &[String],
    today: NaiveDate,
) -> Result<Vec<ToSign>, ApiError> {
    encoded
        .iter()
        .map(|text| {
            let bytes = decode_base64url(text)
                .ok_or_else(|| ApiError::malformed("a token request is not base64url"))?;
            let request = TokenRequest::parse(&bytes).map_err(|_| {
                ApiError::malformed(
                    "a token request is not an RFC 9578 TokenRequest of type 0x0002",
                )
            })?;
            let key = tokens
                .signer_for(usage, request.truncated_token_key_id, today)
                .ok_or_else(|| {
                    ApiError::malformed("a token request names a key that is not issuing today")
                })?;
            Ok((key.clone(), request.blinded_msg))
        })
        .collect()
}

/// The order, verified against the served policy as a device verifies it, with today
/// inside its monitoring period.
fn verified_order(
    tokens: &TokenState,
    encoded: &str,
    today: NaiveDate,
) -> Result<EnrollmentOrder, ApiError> {
    let orders = tokens.orders.as_ref().ok_or_else(ApiError::not_found)?;
    let bytes =
        decode_base64url(encoded).ok_or_else(|| ApiError::malformed("`order` is not base64url"))?;
    let order = SignedEnrollment::parse(&bytes)
        .and_then(|signed| signed.verify(&orders.policy, &orders.anchors, today))
        .map_err(|_| ApiError::order_refused())?;
    if today < order.start || today > order.last_day() {
        return Err(ApiError::order_refused());
    }
    Ok(order)
}

/// The tokens an enrollment may have signed over its period:
/// `days × (Σ per_day + cover_daily) + 16`.
pub(crate) fn allowance(order: &EnrollmentOrder, cover_daily: u32) -> u64 {
    let per_day = order.forms.values().fold(u64::from(cover_daily), |sum, n| {
        sum.saturating_add(u64::from(*n))
    });
    u64::from(order.days)
        .saturating_mul(per_day)
        .saturating_add(ENROLLMENT_EXTRA_TOKENS)
}

/// Base64url, padded or not.
fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// Whole seconds from `now` to the next UTC midnight (at least one).
fn seconds_to_next_day(now: DateTime<Utc>) -> u64 {
    let next = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc());
    next.map_or(86_400, |next| {
        u64::try_from((next - now).num_seconds())
            .unwrap_or(1)
            .max(1)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_allowance_is_days_times_reports_and_cover_plus_sixteen() {
        let order = EnrollmentOrder {
            policy_id: "sh".to_owned(),
            start: "2026-12-01".parse().unwrap(),
            days: 14,
            reason: selfreport_core::policy::enrollment::OrderReason::CloseContact,
            district: "310101".to_owned(),
            forms: BTreeMap::from([("daily".to_owned(), 2), ("weekly".to_owned(), 1)]),
            secret: zeroize::Zeroizing::new(vec![7; 16]),
            issued_at: Utc::now(),
            pseudonym: None,
        };
        assert_eq!(allowance(&order, 1), 14 * (2 + 1 + 1) + 16);
        assert_eq!(allowance(&order, 0), 14 * 3 + 16);
    }

    #[test]
    fn retry_after_runs_to_the_next_utc_midnight() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(seconds_to_next_day(at("2026-12-07T23:59:30Z")), 30);
        assert_eq!(seconds_to_next_day(at("2026-12-07T00:00:00Z")), 86_400);
    }
}
