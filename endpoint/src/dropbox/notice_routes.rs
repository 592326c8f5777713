//! The access-notice mailbox's two routes (docs/protocol.md, "Access notices"):
//! `GET {base}/notices?after=SEQ`, which every device polls, and `POST {base}/notices`,
//! which only the console holding the key given with `--console-key` can use.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use selfreport_core::crypto::random_array;
use selfreport_core::notice::NOTICE_SLOT_BYTES;
use selfreport_core::sync::wire::body_digest;

use super::error::ApiError;
use super::routes::{AppState, SECONDS_PER_DAY, console_post, json};
use super::storage::notices::{NewNotice, NoticeStored};
use crate::notice_mailbox::{
    NOTICE_BATCH_SLOTS, NoticeBatch, NoticePost, NoticePostRefusal, NoticePosted,
};

/// `GET {base}/notices?after=SEQ`: exactly [`NOTICE_BATCH_SLOTS`] slots, the stored ones
/// after `after` first, then random filler; the reply always has the same size.
pub(crate) async fn fetch_notices(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let after = match after_of(query.as_deref()) {
        Ok(after) => after,
        Err(error) => return error.into_response(),
    };
    let page = match state.storage.notices_after(after, NOTICE_BATCH_SLOTS).await {
        Ok(page) => page,
        Err(_) => return ApiError::mailbox_unavailable().into_response(),
    };
    let next = page.slots.last().map_or(after, |(seq, _)| *seq);
    let mut batch: Vec<String> = page
        .slots
        .iter()
        .map(|(_, slot)| STANDARD.encode(slot))
        .collect();
    while batch.len() < NOTICE_BATCH_SLOTS {
        match random_array::<NOTICE_SLOT_BYTES>() {
            Ok(filler) => batch.push(STANDARD.encode(filler)),
            Err(_) => return ApiError::mailbox_unavailable().into_response(),
        }
    }
    let reply = NoticeBatch {
        batch,
        more: page.more,
        next,
    };
    json(StatusCode::OK, reply.to_padded_body())
}

/// The `after` of a query: absent (0), or a decimal integer from 0 to `i64::MAX`. Any
/// other parameter, or `after` twice, is malformed.
fn after_of(query: Option<&str>) -> Result<i64, ApiError> {
    let malformed = || ApiError::malformed("`after` must be a non-negative decimal integer");
    let mut after = None;
    for pair in query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
    {
        let Some(("after", value)) = pair.split_once('=') else {
            return Err(ApiError::malformed(
                "the only query parameter is `after`, a non-negative decimal integer",
            ));
        };
        if after.is_some()
            || value.is_empty()
            || value.len() > 19
            || !value.bytes().all(|byte| byte.is_ascii_digit())
        {
            return Err(malformed());
        }
        after = Some(value.parse::<i64>().map_err(|_| malformed())?);
    }
    Ok(after.unwrap_or(0))
}

/// `POST {base}/notices`: a slot signed by the console key; 201 with its new sequence
/// number, 200 with the one it has when posted before. 404 when the drop box has no
/// console key.
pub(crate) async fn post_notice(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (console_key, body) = match console_post(&state, body) {
        Ok(posted) => posted,
        Err(error) => return error.into_response(),
    };
    let slot = match NoticePost::verified_slot(&body, &console_key) {
        Ok(slot) => slot,
        Err(NoticePostRefusal::Malformed) => {
            return ApiError::malformed(
                "the body must be {\"notice\",\"signature\"}: a 512-byte slot and an Ed25519 signature, in standard base64",
            )
            .into_response();
        }
        Err(NoticePostRefusal::Forbidden) => {
            return ApiError::notice_signature_invalid().into_response();
        }
    };
    let posted = state.clock.now().with_timezone(&Utc);
    let notice = NewNotice {
        slot_sha256: body_digest(&slot),
        slot,
        posted_day: posted.format("%Y-%m-%d").to_string(),
        expires_at: posted
            .timestamp()
            .saturating_add(i64::from(state.notice_days).saturating_mul(SECONDS_PER_DAY)),
    };
    let (status, seq) = match state.storage.insert_notice(notice).await {
        Ok(NoticeStored::New(seq)) => (StatusCode::CREATED, seq),
        Ok(NoticeStored::Again(seq)) => (StatusCode::OK, seq),
        Err(_) => return ApiError::notice_unavailable().into_response(),
    };
    match serde_json::to_vec(&NoticePosted { seq }) {
        Ok(reply) => json(status, reply),
        Err(_) => ApiError::notice_unavailable().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_is_absent_or_one_non_negative_integer() {
        assert_eq!(after_of(None), Ok(0));
        assert_eq!(after_of(Some("")), Ok(0));
        assert_eq!(after_of(Some("after=0")), Ok(0));
        assert_eq!(after_of(Some("after=42")), Ok(42));
        assert_eq!(after_of(Some("after=9223372036854775807")), Ok(i64::MAX));
        for bad in [
            "after=",
            "after=-1",
            "after=+1",
            "after=1.5",
            "after=x",
            "after=9223372036854775808",
            "after=99999999999999999999",
            "after=1&after=2",
            "after",
            "before=1",
            "after=1&x=2",
            "after=%31",
        ] {
            let error = after_of(Some(bad)).unwrap_err();
            assert_eq!(
                (error.status().as_u16(), error.code()),
                (400, "Malformed"),
                "{bad}"
            );
        }
    }
}
