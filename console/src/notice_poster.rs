//! Posts the outbox's access notices to the drop box's mailbox (`POST {url}/notices`,
//! docs/protocol.md), signed with the console's audit key, which the drop box knows from
//! `serve --console-key`.
//!
//! A background task of `serve` runs [`NoticePoster::post_pending`] every few seconds:
//! each pending slot is posted; on 200 or 201 its row is marked posted with the sequence
//! number the drop box gave; on any failure (the drop box down, a refusal) it is tried
//! again later, the wait doubling from [`FIRST_RETRY`] up to [`MAX_RETRY`]. Posting the
//! same slot again is idempotent at the drop box, so a reply lost after the store only
//! costs a second post.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use selfreport_core::crypto::signature::SigningKey;
use selfreport_endpoint::notice_mailbox::{NoticePost, NoticePosted};
use tokio_postgres::Client;

use crate::dropbox_client::{dropbox_client, read_capped};
use crate::error::ConsoleError;

/// The wait after a first failed post.
pub const FIRST_RETRY: Duration = Duration::from_secs(5);
/// The longest wait between two posts of one notice.
pub const MAX_RETRY: Duration = Duration::from_secs(3600);
/// How often `serve` runs a round.
pub const ROUND_EVERY: Duration = Duration::from_secs(5);
/// Notices posted per round at most.
const PER_ROUND: i64 = 32;
/// The largest reply read from the drop box.
const MAX_REPLY_BYTES: usize = 4096;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostRound {
    /// Notices the drop box stored (or had).
    pub posted: u64,
    /// Notices left for a later round.
    pub failed: u64,
}

/// Posts notices to one drop box.
#[derive(Clone)]
pub struct NoticePoster {
    notices_url: String,
    http: reqwest::Client,
    key: Arc<SigningKey>,
}

impl std::fmt::Debug for NoticePoster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoticePoster")
            .field("notices_url", &self.notices_url)
            .finish_non_exhaustive()
    }
}

impl NoticePoster {
    /// A poster to the drop box at `dropbox_url` (`https://HOST:PORT/v1`, the policy's
    /// endpoint URL), trusting the WebPKI roots and the certificates in `ca_files`,
    /// signing with `key` (the console's audit key).
    pub fn new(
        dropbox_url: &str,
        ca_files: &[PathBuf],
        key: SigningKey,
    ) -> Result<Self, ConsoleError> {
        let (base, http) = dropbox_client(dropbox_url, ca_files)?;
        Ok(Self {
            notices_url: format!("{base}/notices"),
            http,
            key: Arc::new(key),
        })
    }

    /// Posts the notices due at `now` (oldest first, at most 32), marking each posted or
    /// scheduling its next try.
    pub async fn post_pending(
        &self,
        client: &Client,
        now: DateTime<Utc>,
    ) -> Result<PostRound, ConsoleError> {
        let rows = client
            .query(
                "SELECT id, slot, attempts FROM notice_outbox
                 WHERE posted_at IS NULL AND next_attempt_at <= $1
                 ORDER BY id LIMIT $2",
                &[&now, &PER_ROUND],
            )
            .await?;
        let mut round = PostRound::default();
        for row in rows {
            let id: i64 = row.get(0);
            let slot: Vec<u8> = row.get(1);
            let attempts: i32 = row.get(2);
            match self.post(&slot).await {
                Some(seq) => {
                    client
                        .execute(
                            "UPDATE notice_outbox
                             SET posted_at = $2, seq = $3, attempts = attempts + 1
                             WHERE id = $1",
                            &[&id, &now, &seq],
                        )
                        .await?;
                    round.posted += 1;
                }
                None => {
                    let wait = retry_after(attempts.saturating_add(1));
                    let next = now
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                    client
                        .execute(
                            "UPDATE notice_outbox
                             SET attempts = attempts + 1, next_attempt_at = $2
                             WHERE id = $1",
                            &[&id, &next],
                        )
                        .await?;
                    round.failed += 1;
                }
            }
        }
        Ok(round)
    }

    /// Posts pending notices every [`ROUND_EVERY`], for ever, each round on a connection
    /// `connect` makes; a failure is logged to stderr (a count or a code, never a notice)
    /// and the notices wait for a later round.
    pub async fn run<F, C>(self, connect: C)
    where
        C: Fn() -> F,
        F: std::future::Future<Output = Result<Client, ConsoleError>>,
    {
        loop {
            match connect().await {
                Ok(client) => match self.post_pending(&client, Utc::now()).await {
                    Ok(round) if round.failed > 0 => eprintln!(
                        "access notices: {} posted, {} to retry (the drop box is unreachable or refused them)",
                        round.posted, round.failed
                    ),
                    Ok(_) => {}
                    Err(error) => eprintln!("access notices failed: error[{}]", error.code()),
                },
                Err(error) => eprintln!("access notices failed: error[{}]", error.code()),
            }
            tokio::time::sleep(ROUND_EVERY).await;
        }
    }

    /// Posts one slot; its sequence number if the drop box stored it (now or before).
    async fn post(&self, slot: &[u8]) -> Option<i64> {
        let body = serde_json::to_vec(&NoticePost::sign(&self.key, slot)).ok()?;
        let response = self
            .http
            .post(&self.notices_url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .ok()?;
        if !matches!(response.status().as_u16(), 200 | 201) {
            return None;
        }
        let reply = read_capped(response, MAX_REPLY_BYTES).await?;
        let posted: NoticePosted = serde_json::from_slice(&reply).ok()?;
        Some(posted.seq)
    }
}

/// The wait after the `attempts`-th failed post: [`FIRST_RETRY`], doubling, at most
/// [`MAX_RETRY`].
pub fn retry_after(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    FIRST_RETRY.saturating_mul(1u32 << doublings).min(MAX_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_an_hour() {
        assert_eq!(retry_after(1), Duration::from_secs(5));
        assert_eq!(retry_after(2), Duration::from_secs(10));
        assert_eq!(retry_after(4), Duration::from_secs(40));
        assert_eq!(retry_after(11), MAX_RETRY);
        assert_eq!(retry_after(i32::MAX), MAX_RETRY);
        assert_eq!(retry_after(0), FIRST_RETRY);
    }

    #[test]
    fn the_drop_box_url_must_be_https() {
        let key = SigningKey::generate().unwrap();
        assert!(NoticePoster::new("http://127.0.0.1:1/v1", &[], key).is_err());
        let key = SigningKey::generate().unwrap();
        let poster = NoticePoster::new("https://127.0.0.1:1/v1/", &[], key).unwrap();
        assert_eq!(poster.notices_url, "https://127.0.0.1:1/v1/notices");
    }
}
