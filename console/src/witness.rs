//! The audit log's witness at the drop box (issue 16 item 4; docs/protocol.md, "The audit
//! log's witness"): `audit checkpoint --witness URL` posts each new checkpoint to the drop
//! box, which keeps it append-only; `audit verify --witness URL` checks the log against
//! the checkpoints the drop box kept as well as against the file. A log whose tail was
//! cut, or whose entries were rewritten with their hashes and the checkpoint file, still
//! breaks against what another machine kept.

use std::path::PathBuf;

use selfreport_endpoint::audit_checkpoint::{Checkpoint, WitnessedCheckpoints};
use tokio_postgres::Client;

use crate::audit::{AuditVerified, verify};
use crate::audit_log::entries;
use crate::dropbox_client::{dropbox_client, read_capped};
use crate::error::ConsoleError;

/// The largest list of checkpoints read from the witness (about 250 bytes each: years of
/// hourly checkpoints).
const MAX_LIST_BYTES: usize = 64 * 1024 * 1024;
/// The largest reply to a posted checkpoint.
const MAX_REPLY_BYTES: usize = 4096;

/// The drop box that witnesses the audit log.
#[derive(Debug, Clone)]
pub struct Witness {
    url: String,
    http: reqwest::Client,
}

impl Witness {
    /// The witness at the drop box whose endpoint URL is `dropbox_url`, trusting the
    /// WebPKI roots and `ca_files`.
    pub fn new(dropbox_url: &str, ca_files: &[PathBuf]) -> Result<Self, ConsoleError> {
        let (base, http) = dropbox_client(dropbox_url, ca_files)?;
        Ok(Self {
            url: format!("{base}/audit-checkpoints"),
            http,
        })
    }

    /// Posts `checkpoint`; `Ok` when the witness kept it (now or before).
    pub async fn post(&self, checkpoint: &Checkpoint) -> Result<(), ConsoleError> {
        let body = serde_json::to_vec(checkpoint)
            .map_err(|error| ConsoleError::Io(format!("the checkpoint: {error}")))?;
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| ConsoleError::Io(format!("the witness cannot be reached: {error}")))?;
        let status = response.status().as_u16();
        let reply = read_capped(response, MAX_REPLY_BYTES).await;
        match status {
            200 | 201 => Ok(()),
            409 => Err(ConsoleError::Refused(
                "the witness keeps a checkpoint counting as many entries or more: the log was cut or rewritten since"
                    .into(),
            )),
            _ => Err(ConsoleError::Io(format!(
                "the witness refused the checkpoint ({status}{})",
                reply
                    .and_then(|body| error_code(&body))
                    .map_or(String::new(), |code| format!(" {code}"))
            ))),
        }
    }

    /// Every checkpoint the witness kept, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>, ConsoleError> {
        let response =
            self.http.get(&self.url).send().await.map_err(|error| {
                ConsoleError::Io(format!("the witness cannot be reached: {error}"))
            })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(ConsoleError::Io(format!(
                "the witness answered {status} to the list of checkpoints"
            )));
        }
        let body = read_capped(response, MAX_LIST_BYTES)
            .await
            .ok_or_else(|| ConsoleError::Io("the witness's list could not be read".into()))?;
        let list: WitnessedCheckpoints = serde_json::from_slice(&body).map_err(|_| {
            ConsoleError::Io("the witness's list is not a list of checkpoints".into())
        })?;
        Ok(list.checkpoints)
    }
}

/// Verifies the log behind `client` against the checkpoints `witness` kept, signed by
/// `public_key` (as [`crate::audit_log::verify_log`] does against the file).
pub async fn verify_with_witness(
    client: &Client,
    witness: &Witness,
    public_key: &[u8; 32],
) -> Result<AuditVerified, ConsoleError> {
    let checkpoints = witness.checkpoints().await?;
    let entries = entries(client).await?;
    Ok(verify(entries, &checkpoints, public_key)?)
}

/// The `error.code` of an error reply.
fn error_code(body: &[u8]) -> Option<String> {
    let reply: serde_json::Value = serde_json::from_slice(body).ok()?;
    reply["error"]["code"].as_str().map(str::to_owned)
}
