//! The audit chain of [`crate::audit`] in PostgreSQL: entries appended inside the
//! transaction of what they record (so an action and its entry commit together or not at
//! all), one appender at a time, and read back in order for verification.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use selfreport_core::crypto::signature::SigningKey;
use tokio_postgres::{Client, GenericClient};

use crate::audit::{
    AuditAction, AuditEntry, AuditVerified, Checkpoint, GENESIS, StoredEntry, append_checkpoint,
    link_hash, read_checkpoints, verify,
};
use crate::error::ConsoleError;

/// The advisory lock every appender takes for the rest of its transaction, so entries
/// chain one after another whatever the number of console processes.
const APPEND_LOCK: i64 = 0x5345_4c46_4155_4454; // "SELFAUDT"

/// Entries read per query while verifying.
const PAGE: i64 = 10_000;

/// What an entry says, beside its position and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded<'a> {
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: AuditAction,
    /// On what, if anything.
    pub subject: Option<&'a str>,
    /// Why, or other detail, if any.
    pub detail: Option<&'a str>,
}

/// Appends an entry at `at` in the transaction `tx` is part of; returns its position.
pub async fn append(
    tx: &impl GenericClient,
    at: DateTime<Utc>,
    recorded: Recorded<'_>,
) -> Result<u64, ConsoleError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])
        .await?;
    let (count, previous) = head_of(tx).await?;
    let entry = AuditEntry {
        seq: count + 1,
        at: at.to_rfc3339_opts(SecondsFormat::Secs, true),
        actor: recorded.actor.to_owned(),
        action: recorded.action,
        subject: recorded.subject.map(str::to_owned),
        detail: recorded.detail.map(str::to_owned),
    };
    let bytes = entry.bytes();
    let hash = link_hash(&previous, &bytes);
    let seq = i64::try_from(entry.seq).map_err(|_| ConsoleError::Corrupt("audit seq".into()))?;
    tx.execute(
        "INSERT INTO audit_log (seq, entry, hash) VALUES ($1, $2, $3)",
        &[&seq, &bytes, &hash.as_slice()],
    )
    .await?;
    Ok(entry.seq)
}

/// The number of entries and the head hash.
pub async fn head_of(client: &impl GenericClient) -> Result<(u64, [u8; 32]), ConsoleError> {
    let row = client
        .query_opt(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await?;
    let Some(row) = row else {
        return Ok((0, GENESIS));
    };
    let seq: i64 = row.get(0);
    let hash: Vec<u8> = row.get(1);
    let count = u64::try_from(seq).map_err(|_| ConsoleError::Corrupt("audit seq".into()))?;
    let hash = <[u8; 32]>::try_from(hash.as_slice())
        .map_err(|_| ConsoleError::Corrupt(format!("audit entry {seq}")))?;
    Ok((count, hash))
}

/// Every entry, in sequence order.
pub async fn entries(client: &Client) -> Result<Vec<StoredEntry>, ConsoleError> {
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let rows = client
            .query(
                "SELECT seq, entry, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &PAGE],
            )
            .await?;
        let Some(last) = rows.last() else {
            return Ok(out);
        };
        after = last.get(0);
        for row in rows {
            let seq: i64 = row.get(0);
            let hash: Vec<u8> = row.get(2);
            out.push(StoredEntry {
                seq: u64::try_from(seq).map_err(|_| ConsoleError::Corrupt("audit seq".into()))?,
                bytes: row.get(1),
                // A hash of another length is an altered row: it cannot chain.
                hash: <[u8; 32]>::try_from(hash.as_slice()).unwrap_or([0xff; 32]),
            });
        }
    }
}

/// The latest `count` entries, latest first (for reading in the console; verification
/// reads them all, [`entries`]).
pub async fn latest_entries(client: &Client, count: i64) -> Result<Vec<StoredEntry>, ConsoleError> {
    client
        .query(
            "SELECT seq, entry, hash FROM audit_log ORDER BY seq DESC LIMIT $1",
            &[&count],
        )
        .await?
        .iter()
        .map(|row| {
            let seq: i64 = row.get(0);
            let hash: Vec<u8> = row.get(2);
            Ok(StoredEntry {
                seq: u64::try_from(seq).map_err(|_| ConsoleError::Corrupt("audit seq".into()))?,
                bytes: row.get(1),
                hash: <[u8; 32]>::try_from(hash.as_slice()).unwrap_or([0xff; 32]),
            })
        })
        .collect()
}

/// Signs a checkpoint of the log as it stands with `key` and appends it to the file at
/// `path`.
pub async fn write_checkpoint(
    client: &Client,
    key: &SigningKey,
    path: &Path,
    at: DateTime<Utc>,
) -> Result<Checkpoint, ConsoleError> {
    let (count, head) = head_of(client).await?;
    let checkpoint = Checkpoint::sign(
        key,
        count,
        &head,
        &at.to_rfc3339_opts(SecondsFormat::Secs, true),
    );
    append_checkpoint(path, &checkpoint).map_err(|error| {
        ConsoleError::Io(format!("cannot append to {}: {error}", path.display()))
    })?;
    Ok(checkpoint)
}

/// Verifies the log against the checkpoints in the file at `path`, signed by
/// `public_key`.
pub async fn verify_log(
    client: &Client,
    path: &Path,
    public_key: &[u8; 32],
) -> Result<AuditVerified, ConsoleError> {
    let checkpoints = read_checkpoints(path)?;
    let entries = entries(client).await?;
    Ok(verify(entries, &checkpoints, public_key)?)
}
