//! The audit log's witness (issue 16 item 4; docs/protocol.md, "The audit log's
//! witness"): `POST {base}/audit-checkpoints` keeps a checkpoint of the case console's
//! audit log signed with the key given with `--console-key`, append-only, and
//! `GET {base}/audit-checkpoints` lists every one kept. Without a console key both are
//! 404.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use selfreport_core::sync::wire::body_digest;

use super::error::ApiError;
use super::routes::{AppState, console_post, json};
use super::storage::witness::{CheckpointKept, NewCheckpoint};
use crate::audit_checkpoint::{Checkpoint, WitnessedCheckpoints};

/// `POST {base}/audit-checkpoints`: 201 kept, 200 kept before, 409 when it counts no
/// more entries than the last kept, 403 when not signed by the console key.
pub(crate) async fn post_checkpoint(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (console_key, body) = match console_post(&state, body) {
        Ok(posted) => posted,
        Err(error) => return error.into_response(),
    };
    let Ok(checkpoint) = serde_json::from_slice::<Checkpoint>(&body) else {
        return ApiError::malformed(
            "the body must be a checkpoint as `selfreport-console audit checkpoint` writes it",
        )
        .into_response();
    };
    let Ok(count) = i64::try_from(checkpoint.count) else {
        return ApiError::malformed("`count` is too large").into_response();
    };
    if !checkpoint.verifies(&console_key) {
        return ApiError::checkpoint_signature_invalid().into_response();
    }
    // Kept as the drop box writes it, so a resend with other whitespace is the same.
    let Ok(canonical) = serde_json::to_vec(&checkpoint) else {
        return ApiError::checkpoint_unavailable().into_response();
    };
    let received_at = state
        .clock
        .now()
        .with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let kept = NewCheckpoint {
        count,
        checkpoint_sha256: body_digest(&canonical),
        checkpoint: canonical.clone(),
        received_at,
    };
    match state.storage.insert_checkpoint(kept).await {
        Ok(CheckpointKept::New) => json(StatusCode::CREATED, canonical),
        Ok(CheckpointKept::Again) => json(StatusCode::OK, canonical),
        Ok(CheckpointKept::NotAfterLast) => ApiError::checkpoint_not_after_last().into_response(),
        Err(_) => ApiError::checkpoint_unavailable().into_response(),
    }
}

/// `GET {base}/audit-checkpoints`: every checkpoint kept, oldest first.
pub(crate) async fn list_checkpoints(State(state): State<Arc<AppState>>) -> Response {
    if state.console_key.is_none() {
        return ApiError::not_found().into_response();
    }
    let Ok(rows) = state.storage.checkpoints().await else {
        return ApiError::checkpoint_unavailable().into_response();
    };
    let mut checkpoints = Vec::with_capacity(rows.len());
    for row in rows {
        match serde_json::from_slice::<Checkpoint>(&row) {
            Ok(checkpoint) => checkpoints.push(checkpoint),
            Err(_) => return ApiError::checkpoint_unavailable().into_response(),
        }
    }
    match serde_json::to_vec(&WitnessedCheckpoints { checkpoints }) {
        Ok(body) => json(StatusCode::OK, body),
        Err(_) => ApiError::checkpoint_unavailable().into_response(),
    }
}
