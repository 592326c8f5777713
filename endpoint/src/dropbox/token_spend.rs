//! Spending upload tokens (docs/protocol.md "Spending a token"): the token paying for a
//! submission, from `Authorization: PrivateToken token="…"` or a `selfreport.batch/2`
//! item, checked before anything is stored: a type 0x0002 token answering the policy's
//! challenge, of a key of its schedule whose window has begun, with a valid signature
//! (verified by the core, on ring), and of an `enrolled` key unless the submission has the
//! shape of an open form. What is kept of it ([`Spend`]) is written by the storage in the
//! transaction that stores the submission.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use selfreport_core::policy::TokenKeyUse;
use selfreport_core::sync::wire::{BATCH_FORMAT, BatchRequest, SealedSubmission, hex};
use selfreport_core::token::Token;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::check::{AcceptedPolicy, matches_open_form};
use super::error::ApiError;
use super::routes::AppState;
use super::storage::tokens::Spend;
use super::tokens::TokenState;

/// The format of a batch whose items each carry their token.
pub(crate) const PAID_BATCH_FORMAT: &str = "selfreport.batch/2";

/// The items of a batch request: each submission's exact bytes, and its token if it
/// carries one.
pub(crate) type BatchItems<'a> = Vec<(&'a RawValue, Option<String>)>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaidBatch<'a> {
    format: String,
    #[serde(borrow)]
    items: Vec<PaidItem<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaidItem<'a> {
    /// Absent, or a string: `"token": null` or a number is not an item of a batch/2
    /// (docs/openapi.yaml), whatever the policy.
    #[serde(default, deserialize_with = "present_string")]
    token: Option<String>,
    #[serde(borrow)]
    submission: &'a RawValue,
}

/// A `token` that is there must be a string (`Option<String>` alone would take `null`).
fn present_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    String::deserialize(deserializer).map(Some)
}

/// Reads a batch request: `selfreport.batch/1` (refused with `TokenMissing` under a policy
/// with token keys) or `selfreport.batch/2`.
pub(crate) fn batch_items(body: &[u8], tokens_required: bool) -> Result<BatchItems<'_>, ApiError> {
    if let Ok(request) = serde_json::from_slice::<BatchRequest<'_>>(body) {
        if request.format == BATCH_FORMAT {
            if tokens_required {
                return Err(ApiError::token_missing());
            }
            return Ok(request
                .submissions
                .into_iter()
                .map(|raw| (raw, None))
                .collect());
        }
    }
    let request: PaidBatch<'_> = serde_json::from_slice(body).map_err(|_| {
        ApiError::malformed(
            "the body is not a selfreport.batch/1 JSON object with exactly `format` and `submissions`, nor a selfreport.batch/2 one with exactly `format` and `items`",
        )
    })?;
    if request.format != PAID_BATCH_FORMAT {
        return Err(ApiError::malformed(
            "`format` is not selfreport.batch/1 or selfreport.batch/2",
        ));
    }
    Ok(request
        .items
        .into_iter()
        .map(|item| (item.submission, item.token))
        .collect())
}

/// The UTC day tokens are checked and kept under.
fn today(state: &AppState) -> NaiveDate {
    state.clock.now().with_timezone(&Utc).date_naive()
}

/// The token of a request's `Authorization: PrivateToken` header: `None` without such a
/// header (no header, another scheme, not visible ASCII), the value otherwise.
pub(crate) fn header_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let scheme = value.trim_start().split(' ').next()?;
    scheme.eq_ignore_ascii_case("PrivateToken").then_some(value)
}

/// What a submission's token pays with: `None` when the policy has no token keys (any
/// token is ignored); the token's [`Spend`] when it pays for `submission`.
pub(crate) fn paid_by_header(
    state: &AppState,
    headers: &HeaderMap,
    submission: &SealedSubmission,
) -> Result<Option<Spend>, ApiError> {
    let Some(tokens) = &state.tokens else {
        return Ok(None);
    };
    let value = header_token(headers).ok_or_else(ApiError::token_missing)?;
    let token = Token::from_authorization(value).map_err(|_| ApiError::token_invalid())?;
    spend(tokens, &token, submission, &state.policy, today(state)).map(Some)
}

/// As [`paid_by_header`], for a batch item's `token` (base64url).
pub(crate) fn paid_by_item(
    state: &AppState,
    token: Option<&str>,
    submission: &SealedSubmission,
) -> Result<Option<Spend>, ApiError> {
    let Some(tokens) = &state.tokens else {
        return Ok(None);
    };
    let token = Token::from_base64url(token.ok_or_else(ApiError::token_missing)?)
        .map_err(|_| ApiError::token_invalid())?;
    spend(tokens, &token, submission, &state.policy, today(state)).map(Some)
}

fn spend(
    tokens: &TokenState,
    token: &Token,
    submission: &SealedSubmission,
    policy: &AcceptedPolicy,
    today: NaiveDate,
) -> Result<Spend, ApiError> {
    let key = tokens
        .verify(token, today)
        .ok_or_else(ApiError::token_invalid)?;
    if key.usage == TokenKeyUse::Open && !matches_open_form(submission, policy) {
        return Err(ApiError::token_invalid());
    }
    Ok(Spend {
        token_sha256: hex(&token.spent_hash()),
        day: today.to_string(),
    })
}

/// Adds the `WWW-Authenticate: PrivateToken …` challenge to a 401 of a policy with token
/// keys (RFC 9577 §2.1).
pub(crate) fn with_challenge(mut response: Response, state: &AppState) -> Response {
    if response.status() != StatusCode::UNAUTHORIZED {
        return response;
    }
    if let Some(value) = state
        .tokens
        .as_ref()
        .and_then(|tokens| tokens.www_authenticate(today(state)))
    {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_2_token_is_absent_or_a_string() {
        let item = |token: &str| {
            format!(r#"{{"format":"selfreport.batch/2","items":[{{{token}"submission":{{}}}}]}}"#)
        };
        let tokens = |body: String| {
            batch_items(body.as_bytes(), false).map(|items| {
                items
                    .into_iter()
                    .map(|(_, token)| token)
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(tokens(item("")).unwrap(), vec![None]);
        assert_eq!(
            tokens(item(r#""token":"AAI","#)).unwrap(),
            vec![Some("AAI".to_owned())]
        );
        for wrong in [r#""token":null,"#, r#""token":7,"#, r#""token":["AAI"],"#] {
            assert!(tokens(item(wrong)).is_err(), "{wrong}");
        }
    }
}
