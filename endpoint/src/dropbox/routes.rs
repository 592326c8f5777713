//! The routes, under the path of the policy's endpoint URL:
//! `POST {base}/submissions`, `POST {base}/submissions/batch` (up to
//! [`MAX_BATCH_ITEMS`] submissions in one request, one signature over their receipts),
//! `DELETE {base}/submissions/{id}`, `POST {base}/tokens` ([`super::token_routes`]: upload
//! tokens, spent on submissions by [`super::token_spend`]), `GET {base}/policy`, `GET {base}/revocations`, and
//! the access-notice mailbox's `GET` and `POST {base}/notices`
//! ([`super::notice_routes`]), the audit log's witness, `GET` and `POST
//! {base}/audit-checkpoints` ([`super::witness_routes`]), typed enrollment codes' `PUT
//! {base}/enrollment-codes/{hash}` and `POST {base}/enrollment-codes/redeem`
//! ([`super::enrollment_code_routes`]); and the middleware around them
//! (access log, rate limit, request timeout, body limit: [`MAX_SUBMISSION_BYTES`], and
//! [`MAX_BATCH_BYTES`] for the batch route; `Content-Type: application/json` on the routes
//! with a body, [`super::content_type`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::handler::Handler as _;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use chrono::{SecondsFormat, Utc};
use selfreport_core::Clock;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::sync::wire::{
    BatchResult, MAX_BATCH_BYTES, MAX_BATCH_ITEMS, MAX_SUBMISSION_BYTES, Receipt, ReceiptReply,
    SealedSubmission, deletion_hash,
};

use super::access_log::AccessLog;
use super::check::{
    AcceptedPolicy, check_beyond_schema, check_submission, is_lower_hex, parse_submission,
};
use super::content_type::require_json;
use super::enrollment_code_routes::{redeem_code, register_code};
use super::error::ApiError;
use super::notice_routes::{fetch_notices, post_notice};
use super::rate_limit::{RateLimiter, retry_after_seconds};
use super::storage::tokens::Spend;
use super::storage::{DeleteOutcome, InsertOutcome, NewSubmission, Storage};
use super::token_routes::issue_tokens;
use super::token_spend::{batch_items, paid_by_header, paid_by_item, with_challenge};
use super::tokens::TokenState;
use super::witness_routes::{list_checkpoints, post_checkpoint};

/// Length of a deletion token: 32 bytes in base64url without padding.
const DELETION_TOKEN_LEN: usize = 43;

pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// Everything the handlers share.
pub(crate) struct AppState {
    pub(crate) policy: AcceptedPolicy,
    pub(crate) envelope: Bytes,
    pub(crate) receipt_key: SigningKey,
    pub(crate) storage: Storage,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retention_days: u32,
    pub(crate) rate_limiter: Option<RateLimiter>,
    pub(crate) log: AccessLog,
    pub(crate) request_timeout: Duration,
    /// The root's revocation list relayed, if the operator gave one.
    pub(crate) revocations: Option<Arc<super::RevocationRelay>>,
    /// The console's Ed25519 public key notices must be signed with; without it
    /// `POST {base}/notices` is 404.
    pub(crate) console_key: Option<[u8; 32]>,
    /// Days a notice is kept after it was posted.
    pub(crate) notice_days: u32,
    /// Upload tokens, when the policy lists token keys.
    pub(crate) tokens: Option<Arc<TokenState>>,
    /// Typed enrollment codes, when the drop box was given the policy's root; without,
    /// `{base}/enrollment-codes` is 404.
    pub(crate) enrollment_codes: Option<super::enrollment_code_routes::EnrollmentCodes>,
}

/// The router for `base_path` (`""` or `"/v1"`, checked by the caller).
pub(crate) fn router(state: Arc<AppState>, base_path: &str) -> Router {
    Router::new()
        .route(
            &format!("{base_path}/submissions"),
            post(submit).route_layer(from_fn(require_json)),
        )
        // Its own body limit; the router-wide one below is for every other route.
        .route(
            &format!("{base_path}/submissions/batch"),
            post(submit_batch)
                .route_layer(from_fn(require_json))
                .layer(DefaultBodyLimit::max(MAX_BATCH_BYTES)),
        )
        .route(
            &format!("{base_path}/submissions/{{id}}"),
            delete(delete_submission),
        )
        .route(
            &format!("{base_path}/tokens"),
            post(issue_tokens).route_layer(from_fn(require_json)),
        )
        .route(&format!("{base_path}/policy"), get(policy))
        .route(&format!("{base_path}/revocations"), get(revocations))
        .route(
            &format!("{base_path}/notices"),
            get(fetch_notices).post(post_notice.layer(from_fn(require_json))),
        )
        .route(
            &format!("{base_path}/audit-checkpoints"),
            get(list_checkpoints).post(post_checkpoint.layer(from_fn(require_json))),
        )
        .route(
            &format!("{base_path}/enrollment-codes/redeem"),
            post(redeem_code).route_layer(from_fn(require_json)),
        )
        .route(
            &format!("{base_path}/enrollment-codes/{{code_hash}}"),
            put(register_code).route_layer(from_fn(require_json)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_SUBMISSION_BYTES))
        .layer(from_fn_with_state(state.clone(), limit_and_time))
        .layer(from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

/// The request body, or the error for a body over the route's limit (`too_large`) or one
/// that could not be read.
/// What the console posts (a notice, a checkpoint): the console key the drop box was given
/// and the body, or the reply — 404 when it was given none (the route is off), the body's
/// refusal otherwise.
pub(crate) fn console_post(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<([u8; 32], Bytes), ApiError> {
    let console_key = state.console_key.ok_or_else(ApiError::not_found)?;
    Ok((console_key, read_body(body, ApiError::too_large)?))
}

pub(crate) fn read_body(
    body: Result<Bytes, BytesRejection>,
    too_large: fn() -> ApiError,
) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::malformed("the body could not be read")
        }
    })
}

/// `POST {base}/submissions`: check, sign a receipt, store (or find the earlier copy).
async fn submit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(body, ApiError::too_large) {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let response = match store_submission(&state, &headers, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    with_challenge(response, &state)
}

async fn store_submission(
    state: &AppState,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let submission = check_submission(&body, &state.policy)?;
    let spend = paid_by_header(state, headers, &submission)?;
    let received = Received::now(state);
    let receipt = Receipt::sign(&state.receipt_key, &submission, &body, received.at.clone());
    let row = new_row(&submission, &body, receipt, &received)?;
    match state.storage.insert_paid(row, spend).await {
        Ok(InsertOutcome::Stored(reply)) => Ok(json(StatusCode::CREATED, reply)),
        Ok(InsertOutcome::Duplicate(reply)) => Ok(json(StatusCode::OK, reply)),
        Ok(InsertOutcome::Conflict) => Err(ApiError::conflict()),
        Ok(InsertOutcome::OverQuota) => Err(ApiError::insufficient_storage()),
        Ok(InsertOutcome::TokenSpent) => Err(ApiError::token_spent()),
        Err(_) => Err(ApiError::unavailable()),
    }
}

/// A batch item that passed every check: the submission, its exact bytes, and the token
/// paying for it (under a policy with token keys).
type CheckedItem<'a> = (SealedSubmission, &'a [u8], Option<Spend>);

/// When submissions were received: the receipt's time and the row's expiry.
struct Received {
    /// RFC 3339 UTC, whole seconds.
    at: String,
    /// Unix seconds after which the retention job deletes the row.
    expires_at: i64,
}

impl Received {
    fn now(state: &AppState) -> Self {
        let received = state.clock.now().with_timezone(&Utc);
        Self {
            at: received.to_rfc3339_opts(SecondsFormat::Secs, true),
            expires_at: received
                .timestamp()
                .saturating_add(i64::from(state.retention_days).saturating_mul(SECONDS_PER_DAY)),
        }
    }
}

/// The row for a checked submission and its receipt; the stored reply is
/// `{"receipt":{...}}`, returned again for every identical resend.
fn new_row(
    submission: &SealedSubmission,
    body: &[u8],
    receipt: Receipt,
    received: &Received,
) -> Result<NewSubmission, ApiError> {
    let body_sha256 = receipt.body_sha256.clone();
    let reply =
        serde_json::to_vec(&ReceiptReply { receipt }).map_err(|_| ApiError::unavailable())?;
    Ok(NewSubmission {
        id: submission.submission_id.clone(),
        policy_id: submission.policy_id.clone(),
        policy_version: submission.policy_version,
        body: body.to_vec(),
        body_sha256,
        deletion_hash: submission.deletion_hash.clone(),
        received_at: received.at.clone(),
        expires_at: received.expires_at,
        receipt: reply,
    })
}

/// `POST {base}/submissions/batch`: up to [`MAX_BATCH_ITEMS`] submissions in one
/// request of at most [`MAX_BATCH_BYTES`]. Each is checked and stored as
/// `POST {base}/submissions` would; those stored now share one `received_at` and one
/// commit, and their receipts share one signature over a hash tree of exactly those
/// receipts, signed after the commit (the device checks a batch with one verification).
/// An item stored before (a resend, or the same bytes earlier in the batch) gets the
/// receipt kept for it, signed alone; a refused item gets an error, and neither is a leaf
/// of the tree, so no receipt can be built from the reply for a body the database does
/// not hold, or with a `received_at` other than the one it holds. What is stored with
/// each submission is a receipt signed for it alone: the database links no two
/// submissions of a batch (a household's reports sent together) beyond the
/// `received_at` they share, as it would for requests of their own. The reply is 200
/// with one result per submission, in order: its receipt, or the status, code and
/// message a request of its own would have had. A request that is not a batch, or holds an
/// item that does not fit the schema of `selfreport.sealed/1`, is refused whole. The
/// rate limit takes one token per request, whatever the number of submissions, and the
/// request timeout covers the whole batch.
async fn submit_batch(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(body, ApiError::batch_too_large) {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let response = match store_batch(&state, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    with_challenge(response, &state)
}

async fn store_batch(state: &AppState, body: &[u8]) -> Result<Response, ApiError> {
    // batch/1, or batch/2 whose items carry their upload tokens.
    let items = batch_items(body, state.tokens.is_some())?;
    if items.is_empty() || items.len() > MAX_BATCH_ITEMS {
        return Err(ApiError::malformed(
            "`submissions` must hold one to 32 submissions",
        ));
    }
    // Each item must fit the schema of a submission, or the request is not a batch of the
    // format at all and is refused whole (a device then sends its items one by one). An
    // item too large for a request of its own, or breaking a rule beyond the schema (the
    // order of its parts, the served policy), is refused on its own, as that request
    // would be.
    let mut checked: Vec<Result<CheckedItem<'_>, ApiError>> = Vec::with_capacity(items.len());
    for (raw, token) in &items {
        let body = raw.get().as_bytes();
        let submission = parse_submission(body).map_err(|_| {
            ApiError::malformed(
                "a submission of the batch does not fit the schema of selfreport.sealed/1; none was stored",
            )
        })?;
        checked.push(if body.len() > MAX_SUBMISSION_BYTES {
            Err(ApiError::too_large())
        } else {
            check_beyond_schema(&submission, &state.policy)
                .and_then(|()| paid_by_item(state, token.as_deref(), &submission))
                .map(|spend| (submission, body, spend))
        });
    }
    // First store: one row per valid item, keeping a receipt signed for it alone. Only
    // once the database has said which rows it stored now is anything signed for the
    // batch, so its tree holds no receipt for a body the drop box refused (a conflicting
    // id) and no second `received_at` for one it already held (a resend).
    let received = Received::now(state);
    let mut row_items = Vec::with_capacity(checked.len());
    let mut rows = Vec::with_capacity(checked.len());
    let mut results: Vec<Result<Vec<u8>, ApiError>> = Vec::with_capacity(checked.len());
    for item in &checked {
        match item {
            Err(error) => results.push(Err(error.clone())),
            Ok((submission, body, spend)) => {
                let alone =
                    Receipt::sign(&state.receipt_key, submission, body, received.at.clone());
                match new_row(submission, body, alone, &received) {
                    Ok(row) => {
                        row_items.push((results.len(), submission, *body));
                        rows.push((row, spend.clone()));
                        // Filled in below from the row's outcome.
                        results.push(Err(ApiError::unavailable()));
                    }
                    Err(error) => results.push(Err(error)),
                }
            }
        }
    }
    let outcomes = state.storage.insert_all_paid(rows).await;
    let mut stored_now: Vec<(usize, &SealedSubmission, &[u8])> = Vec::new();
    for ((index, submission, body), outcome) in row_items.into_iter().zip(outcomes) {
        results[index] = match outcome {
            // Its receipt comes from the batch's tree below.
            Ok(InsertOutcome::Stored(_)) => {
                stored_now.push((index, submission, body));
                Err(ApiError::unavailable())
            }
            // Stored before (by an earlier request, or earlier in this one): the receipt it
            // got then, signed alone.
            Ok(InsertOutcome::Duplicate(kept)) => Ok(kept),
            Ok(InsertOutcome::Conflict) => Err(ApiError::conflict()),
            Ok(InsertOutcome::OverQuota) => Err(ApiError::insufficient_storage()),
            Ok(InsertOutcome::TokenSpent) => Err(ApiError::token_spent()),
            Err(_) => Err(ApiError::unavailable()),
        };
    }
    let leaves: Vec<(&SealedSubmission, &[u8])> = stored_now
        .iter()
        .map(|(_, submission, body)| (*submission, *body))
        .collect();
    let batch_receipts = if leaves.is_empty() {
        Vec::new()
    } else {
        Receipt::sign_batch(&state.receipt_key, &leaves, &received.at)
    };
    for ((index, _, _), receipt) in stored_now.iter().zip(batch_receipts) {
        // A reply is `{"receipt":{...}}`: a batch result as it is.
        results[*index] =
            serde_json::to_vec(&ReceiptReply { receipt }).map_err(|_| ApiError::unavailable());
    }

    let mut reply = Vec::with_capacity(64 + 1024 * checked.len());
    reply.extend_from_slice(br#"{"results":["#);
    for (n, result) in results.into_iter().enumerate() {
        if n > 0 {
            reply.push(b',');
        }
        match result {
            Ok(receipt) => reply.extend_from_slice(&receipt),
            Err(error) => {
                let result = BatchResult {
                    receipt: None,
                    error: Some(error.to_batch_error()),
                };
                serde_json::to_writer(&mut reply, &result).map_err(|_| ApiError::unavailable())?;
            }
        }
    }
    reply.extend_from_slice(b"]}");
    Ok(json(StatusCode::OK, reply))
}

/// `DELETE {base}/submissions/{id}` with `Authorization: Bearer <deletion token>`.
async fn delete_submission(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path(id)) = id else {
        return ApiError::not_found().into_response();
    };
    if !is_lower_hex(&id, 32) {
        return ApiError::not_found().into_response();
    }
    let token = match bearer_token(&headers) {
        Credentials::Token(token) => token,
        Credentials::Missing => return ApiError::unauthorized().into_response(),
        Credentials::Malformed => return ApiError::forbidden().into_response(),
    };
    match state.storage.delete(id, deletion_hash(token)).await {
        Ok(DeleteOutcome::Deleted) => StatusCode::NO_CONTENT.into_response(),
        Ok(DeleteOutcome::NotFound) => ApiError::not_found().into_response(),
        Ok(DeleteOutcome::Forbidden) => ApiError::forbidden().into_response(),
        Err(_) => ApiError::unavailable().into_response(),
    }
}

/// What a deletion request's `Authorization` header holds.
enum Credentials<'a> {
    /// No `Bearer` credentials: no header, another scheme, or a value that is not
    /// visible ASCII (401, with a `Bearer` challenge).
    Missing,
    /// `Bearer` and something that is not a deletion token (403).
    Malformed,
    /// `Bearer` and a deletion token's shape: 43 base64url characters.
    Token(&'a str),
}

/// The token of an `Authorization: Bearer` header (the scheme in any case, RFC 9110
/// §11.1), if it has the shape of a deletion token.
fn bearer_token(headers: &HeaderMap) -> Credentials<'_> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return Credentials::Missing;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return Credentials::Missing;
    };
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Credentials::Missing;
    }
    let well_formed = token.len() == DELETION_TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Credentials::Token(token)
    } else {
        Credentials::Malformed
    }
}

/// `GET {base}/policy`: the signed envelope exactly as the authority signed it.
async fn policy(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, state.envelope.clone())
}

/// `GET {base}/revocations`: the root's latest revocation list exactly as it signed it,
/// or 404 when the drop box relays none.
async fn revocations(State(state): State<Arc<AppState>>) -> Response {
    let Some(relay) = state.revocations.clone() else {
        return ApiError::not_found().into_response();
    };
    match tokio::task::spawn_blocking(move || relay.current()).await {
        Ok(list) => json(StatusCode::OK, list),
        Err(_) => ApiError::unavailable().into_response(),
    }
}

async fn not_found() -> Response {
    ApiError::not_found().into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::method_not_allowed().into_response()
}

pub(crate) fn json(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Rate limit, then the request timeout (which covers reading the body).
async fn limit_and_time(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(limiter) = &state.rate_limiter {
        // The peer's address, as the connection gave it (in memory only: never stored or
        // logged); a request without one (an in-process call) counts as one client.
        let client = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        if let Err(wait) = limiter.try_acquire(client, Instant::now()) {
            return ApiError::rate_limited(retry_after_seconds(wait)).into_response();
        }
    }
    match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout().into_response(),
    }
}

/// One access log line per request: method, route template, status, duration.
async fn log_request(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let response = next.run(request).await;
    state.log.request(
        &method,
        route.as_deref(),
        response.status(),
        started.elapsed(),
    );
    response
}
