//! Typed enrollment codes at the drop box (issue 14; docs/protocol.md, "Typed enrollment
//! codes"): `PUT {base}/enrollment-codes/{code hash}` registers a signed order under the
//! SHA-256 of a code the collector gave a person, and `POST {base}/enrollment-codes/redeem`
//! gives the order for a code once.
//!
//! The drop box verifies a registered order as a device would against the policy it serves
//! (signed by the key that signed the policy, under the root given with `--trust`), so
//! only the policy's signer can make codes. It stores the code's hash, never the code.
//! Redemption is limited per client address on its own ([`REDEMPTIONS_PER_WINDOW`] per
//! [`REDEMPTION_WINDOW`], in memory, an IPv4 address or an IPv6 /64), whatever the
//! general rate limit; an unknown, used and expired code get the same 404. Without
//! `--trust` both routes are 404.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};
use selfreport_core::enrollment_code::{CODE_ALPHABET, CODE_SYMBOLS};
use selfreport_core::policy::enrollment::{MAX_SIGNED_ENROLLMENT_BYTES, SignedEnrollment};
use selfreport_core::policy::{TrustAnchors, VerifiedPolicy};
use selfreport_core::sync::wire::{MAX_SUBMISSION_BYTES, body_digest};
use serde::Deserialize;

use super::check::is_lower_hex;
use super::error::ApiError;
use super::rate_limit::{RateLimiter, retry_after_seconds};
use super::routes::{AppState, json};
use super::storage::enrollment_codes::{CodeRegistered, NewEnrollmentCode};

/// Redemptions one client address may try per [`REDEMPTION_WINDOW`].
pub const REDEMPTIONS_PER_WINDOW: u32 = 5;

/// The window of [`REDEMPTIONS_PER_WINDOW`].
pub const REDEMPTION_WINDOW: Duration = Duration::from_secs(600);

/// Largest redemption request: `{"code":"..."}` with room for spaces and hyphens.
const MAX_REDEEM_BYTES: usize = 256;

/// What the drop box needs for typed codes: the policy it serves, verified under the
/// root's anchors, and the redemptions' own limiter.
pub(crate) struct EnrollmentCodes {
    pub(crate) policy: VerifiedPolicy,
    pub(crate) anchors: TrustAnchors,
    pub(crate) redemptions: RateLimiter,
}

impl EnrollmentCodes {
    pub(crate) fn new(policy: VerifiedPolicy, anchors: TrustAnchors) -> Self {
        Self {
            policy,
            anchors,
            redemptions: RateLimiter::per_window(REDEMPTIONS_PER_WINDOW, REDEMPTION_WINDOW),
        }
    }
}

/// The body of a redemption.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Redemption {
    code: String,
}

/// `PUT {base}/enrollment-codes/{code hash}`: 201 registered, 200 registered before for
/// the same order, 409 registered for another order, 403 an order this drop box's policy
/// does not accept, as a device would refuse it, or whose period is over (the caller is
/// not the policy's signer); the reply names when the code expires.
pub(crate) async fn register_code(
    State(state): State<Arc<AppState>>,
    code_hash: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    match register(&state, code_hash, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn register(
    state: &AppState,
    code_hash: Result<Path<String>, PathRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let codes = state
        .enrollment_codes
        .as_ref()
        .ok_or_else(ApiError::not_found)?;
    let Ok(Path(code_hash)) = code_hash else {
        return Err(ApiError::not_found());
    };
    if !is_lower_hex(&code_hash, 64) {
        return Err(ApiError::not_found());
    }
    let body = read_capped(request)
        .await
        .filter(|body| body.len() <= MAX_SIGNED_ENROLLMENT_BYTES)
        .ok_or_else(ApiError::order_too_large)?;
    let today = state.clock.now().date_naive();
    let order = SignedEnrollment::parse(&body)
        .and_then(|signed| signed.verify(&codes.policy, &codes.anchors, today))
        .map_err(|_| ApiError::code_order_refused())?;
    if order.last_day() < today {
        return Err(ApiError::code_order_refused());
    }
    let expires = expiry_day(order.last_day());
    let expires_at = expires
        .and_hms_opt(0, 0, 0)
        .map_or(i64::MAX, |midnight| midnight.and_utc().timestamp());
    let code = NewEnrollmentCode {
        code_hash,
        order_sha256: body_digest(&body),
        signed_order: body.to_vec(),
        expires_at,
    };
    let status = match state.storage.register_enrollment_code(code).await {
        Ok(CodeRegistered::New) => StatusCode::CREATED,
        Ok(CodeRegistered::Again) => StatusCode::OK,
        Ok(CodeRegistered::Conflict) => return Err(ApiError::code_conflict()),
        Err(_) => return Err(ApiError::codes_unavailable()),
    };
    let reply = format!(r#"{{"expires":"{expires}"}}"#);
    Ok(json(status, reply))
}

/// The first day a code for an order ending on `last_day` is no longer given out (UTC):
/// the day after the day after its last day, so a person anywhere may still type it in
/// on the order's last day, and the retention job deletes it then.
fn expiry_day(last_day: NaiveDate) -> NaiveDate {
    last_day
        .checked_add_days(Days::new(2))
        .unwrap_or(NaiveDate::MAX)
}

/// `POST {base}/enrollment-codes/redeem` with `{"code":"..."}`: 200 with the signed order
/// (and the code is gone), 404 for a code unknown, used or expired, 429 past the client
/// address's redemptions, 400 for a body that is not `{"code":...}` with eleven symbols of
/// the alphabet (the normalized form; the code's SHA-256 is looked up).
pub(crate) async fn redeem_code(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match redeem(&state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn redeem(state: &AppState, request: Request) -> Result<Response, ApiError> {
    let codes = state
        .enrollment_codes
        .as_ref()
        .ok_or_else(ApiError::not_found)?;
    // The peer's address, in memory only; a request without one (an in-process call)
    // counts as one client.
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    // The body is read before anything is answered, so the connection stays usable (a
    // reply to a request whose body was left unread closes it mid-request).
    let body = read_capped(request).await;
    // Every attempt counts, a malformed one too.
    if let Err(wait) = codes.redemptions.try_acquire(client, Instant::now()) {
        return Err(ApiError::rate_limited(retry_after_seconds(wait)));
    }
    let malformed = || ApiError::malformed("the body must be {\"code\":\"<enrollment code>\"}");
    let body = body
        .filter(|body| body.len() <= MAX_REDEEM_BYTES)
        .ok_or_else(malformed)?;
    let redemption: Redemption = serde_json::from_slice(&body).map_err(|_| malformed())?;
    // The normalized form only (the device normalizes what was typed). A check symbol
    // that does not match is not looked at: such a code is simply not registered.
    let normalized = redemption.code.len() == CODE_SYMBOLS
        && redemption.code.bytes().all(|b| CODE_ALPHABET.contains(&b));
    if !normalized {
        return Err(malformed());
    }
    let now = state.clock.now().timestamp();
    match state
        .storage
        .redeem_enrollment_code(body_digest(redemption.code.as_bytes()), now)
        .await
    {
        Ok(Some(order)) => Ok(json(StatusCode::OK, order)),
        Ok(None) => Err(ApiError::code_unknown()),
        Err(_) => Err(ApiError::codes_unavailable()),
    }
}

/// The request's body, read up to the limit every route but the batch has
/// ([`MAX_SUBMISSION_BYTES`]); `None` past it.
async fn read_capped(request: Request) -> Option<Bytes> {
    axum::body::to_bytes(request.into_body(), MAX_SUBMISSION_BYTES)
        .await
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_expires_at_the_start_of_the_second_day_after_the_orders_last() {
        let last: NaiveDate = "2026-12-20".parse().unwrap();
        assert_eq!(expiry_day(last), "2026-12-22".parse::<NaiveDate>().unwrap());
        assert_eq!(expiry_day(NaiveDate::MAX), NaiveDate::MAX);
    }
}
