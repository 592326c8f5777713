//! The audit log as a hash chain nobody can quietly edit.
//!
//! Every entry (a login, a list viewed, an identity revealed, an export, an administration
//! step) is a small JSON object whose `seq` numbers it from 1. Its link hash is
//! `SHA-256("selfreport.console.audit/1\n" || previous link hash || entry bytes)`, the
//! first entry's previous hash being 32 zero bytes. Editing, removing or reordering an entry
//! changes every hash after it; but whoever can edit the table can recompute them too, so
//! the chain is anchored outside the database: a **checkpoint** (the entry count, the head
//! hash, the time) is signed with an Ed25519 key kept outside the database, over
//! `"selfreport.console.checkpoint/1\n" || count (u64, big-endian) || head || at`, and
//! appended to a file of its own (JSON lines). [`verify`] recomputes the chain and checks
//! every checkpoint against it: an altered, removed or reordered entry before a checkpoint
//! breaks it, and so does a tail cut below the last checkpoint's count.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;

use selfreport_core::crypto::sha256;
pub use selfreport_endpoint::audit_checkpoint::Checkpoint;
use serde::{Deserialize, Serialize};

/// Prefixed to every link hash's input.
const CHAIN_CONTEXT: &[u8] = b"selfreport.console.audit/1\n";
/// The previous hash of the first entry.
pub const GENESIS: [u8; 32] = [0; 32];
/// Largest checkpoint file read.
const MAX_CHECKPOINT_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What an entry records. The set is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    /// An officer logged in.
    Login,
    /// A login was refused (wrong password or code, a locked or disabled account).
    LoginRefused,
    /// An account was locked after repeated failures.
    Lockout,
    /// An officer logged out.
    Logout,
    /// A list of cases was shown.
    CaseList,
    /// One case was shown.
    CaseView,
    /// A case's identity was revealed.
    Reveal,
    /// An aggregate export was made.
    Export,
    /// An account was added.
    UserAdd,
    /// An account was disabled.
    UserDisable,
    /// An account's password and TOTP secret were reset.
    UserReset,
    /// The log was verified.
    AuditVerify,
    /// Recipient keys were imported into the console.
    KeysImport,
    /// Submissions were ingested from the drop box.
    Ingest,
    /// A supervisor read the list of reveals.
    RevealList,
    /// An auditor read the audit log.
    AuditRead,
    /// Reports past their policy's retention were deleted (counts only).
    Retention,
    /// Reports of submissions the drop box deleted on a device's request were deleted
    /// (counts only).
    Deletion,
    /// An access notice of a reveal was queued for the person (never its key or slot).
    NoticeQueued,
    /// A checkpoint's arrival confirmations were imported (counts only).
    ConfirmationsImport,
}

/// One entry, as hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Its position, from 1.
    pub seq: u64,
    /// When, RFC 3339 in UTC.
    pub at: String,
    /// Who: an officer's user name, or `admin` for the command line.
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// On what (a case pseudonym, a user name), if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The reason given or other detail, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AuditEntry {
    /// The bytes hashed and stored: compact JSON, members in declaration order.
    pub fn bytes(&self) -> Vec<u8> {
        // A struct of strings, integers and a unit enum always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The link hash of an entry whose bytes are `entry` after the entry whose hash is
/// `previous`.
pub fn link_hash(previous: &[u8; 32], entry: &[u8]) -> [u8; 32] {
    let mut input = Vec::with_capacity(CHAIN_CONTEXT.len() + 32 + entry.len());
    input.extend_from_slice(CHAIN_CONTEXT);
    input.extend_from_slice(previous);
    input.extend_from_slice(entry);
    sha256(&input)
}

/// An entry as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The row's sequence number.
    pub seq: u64,
    /// The entry's bytes.
    pub bytes: Vec<u8>,
    /// The link hash stored beside it.
    pub hash: [u8; 32],
}

/// What [`verify`] found wrong. Each names the first place the log breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditBreak {
    /// An entry is missing or out of place: position `position` holds `seq`.
    #[error("entry {position} is missing or out of place (found seq {seq})")]
    OutOfOrder {
        /// The position (from 1).
        position: u64,
        /// The sequence number found there.
        seq: u64,
    },
    /// An entry's bytes are not an audit entry, or name another position.
    #[error("entry {seq} is not a well-formed audit entry for its position")]
    Malformed {
        /// The entry.
        seq: u64,
    },
    /// An entry's stored hash is not its link hash: it, or one before it, was altered.
    #[error("entry {seq} does not chain: it or an earlier entry was altered")]
    Altered {
        /// The entry.
        seq: u64,
    },
    /// A checkpoint's signature does not verify.
    #[error("the checkpoint of {count} entries is not signed by the audit key")]
    CheckpointSignature {
        /// Its count.
        count: u64,
    },
    /// Checkpoints do not follow each other in count and time.
    #[error("the checkpoint of {count} entries is out of order in the checkpoint file")]
    CheckpointOrder {
        /// Its count.
        count: u64,
    },
    /// A checkpoint's head is not the chain's at its count: entries before it were
    /// altered, removed or reordered, and their hashes recomputed.
    #[error(
        "the log differs from its checkpoint of {count} entries: entries before it were changed"
    )]
    CheckpointDiffers {
        /// Its count.
        count: u64,
    },
    /// The log holds fewer entries than a checkpoint counted: its tail was cut.
    #[error(
        "the log holds {entries} entries, but a checkpoint counted {count}: its tail was removed"
    )]
    Truncated {
        /// The checkpoint's count.
        count: u64,
        /// Entries found.
        entries: u64,
    },
    /// The checkpoint file cannot be read.
    #[error("the checkpoint file cannot be read: {0}")]
    CheckpointFile(String),
}

impl AuditBreak {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuditBreak::OutOfOrder { .. } => "AuditOutOfOrder",
            AuditBreak::Malformed { .. } => "AuditMalformed",
            AuditBreak::Altered { .. } => "AuditAltered",
            AuditBreak::CheckpointSignature { .. } => "AuditCheckpointSignature",
            AuditBreak::CheckpointOrder { .. } => "AuditCheckpointOrder",
            AuditBreak::CheckpointDiffers { .. } => "AuditCheckpointDiffers",
            AuditBreak::Truncated { .. } => "AuditTruncated",
            AuditBreak::CheckpointFile(_) => "AuditCheckpointFile",
        }
    }
}

/// What a verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerified {
    /// Entries checked.
    pub entries: u64,
    /// The head hash.
    pub head: [u8; 32],
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// Entries after the last checkpoint (chained, but not yet anchored outside).
    pub unanchored: u64,
}

/// Checks the chain `entries` (in sequence order) and every checkpoint, signed by
/// `public_key`, against it.
pub fn verify(
    entries: impl IntoIterator<Item = StoredEntry>,
    checkpoints: &[Checkpoint],
    public_key: &[u8; 32],
) -> Result<AuditVerified, AuditBreak> {
    let mut last_count = None;
    for checkpoint in checkpoints {
        if !checkpoint.verifies(public_key) {
            return Err(AuditBreak::CheckpointSignature {
                count: checkpoint.count,
            });
        }
        if last_count.is_some_and(|last| checkpoint.count < last) {
            return Err(AuditBreak::CheckpointOrder {
                count: checkpoint.count,
            });
        }
        last_count = Some(checkpoint.count);
    }
    let mut pending = checkpoints.iter().peekable();
    let mut head = GENESIS;
    let mut count = 0u64;
    // A checkpoint of an empty log.
    while let Some(checkpoint) = pending.next_if(|checkpoint| checkpoint.count == 0) {
        check_head(checkpoint, &head)?;
    }
    for entry in entries {
        let position = count + 1;
        if entry.seq != position {
            return Err(AuditBreak::OutOfOrder {
                position,
                seq: entry.seq,
            });
        }
        match serde_json::from_slice::<AuditEntry>(&entry.bytes) {
            Ok(parsed) if parsed.seq == position => {}
            _ => return Err(AuditBreak::Malformed { seq: entry.seq }),
        }
        head = link_hash(&head, &entry.bytes);
        if head != entry.hash {
            return Err(AuditBreak::Altered { seq: entry.seq });
        }
        count = position;
        while let Some(checkpoint) = pending.next_if(|checkpoint| checkpoint.count == count) {
            check_head(checkpoint, &head)?;
        }
    }
    if let Some(checkpoint) = pending.next() {
        return Err(AuditBreak::Truncated {
            count: checkpoint.count,
            entries: count,
        });
    }
    Ok(AuditVerified {
        entries: count,
        head,
        checkpoints: checkpoints.len(),
        unanchored: count - last_count.unwrap_or(0).min(count),
    })
}

fn check_head(checkpoint: &Checkpoint, head: &[u8; 32]) -> Result<(), AuditBreak> {
    if checkpoint.head == hex(head) {
        Ok(())
    } else {
        Err(AuditBreak::CheckpointDiffers {
            count: checkpoint.count,
        })
    }
}

/// Appends `checkpoint` to the file at `path` (created if missing) as one JSON line, and
/// syncs it to disk.
pub fn append_checkpoint(path: &Path, checkpoint: &Checkpoint) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(checkpoint).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    file.write_all(&line)?;
    file.sync_all()
}

/// The checkpoints in the file at `path`, in file order; none when it does not exist yet.
pub fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, AuditBreak> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(AuditBreak::CheckpointFile(error.to_string())),
    };
    let reader = BufReader::new(file.take(MAX_CHECKPOINT_FILE_BYTES));
    let mut checkpoints = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(|error| AuditBreak::CheckpointFile(error.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let checkpoint = serde_json::from_str(&line).map_err(|_| {
            AuditBreak::CheckpointFile(format!("line {} is not a checkpoint", index + 1))
        })?;
        checkpoints.push(checkpoint);
    }
    Ok(checkpoints)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use selfreport_core::crypto::signature::SigningKey;

    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_seed_base64(&STANDARD.encode([5u8; 32])).unwrap()
    }

    fn entry(seq: u64, action: AuditAction) -> AuditEntry {
        AuditEntry {
            seq,
            at: format!("2026-12-07T10:{:02}:00Z", seq % 60),
            actor: "officer-17".into(),
            action,
            subject: Some(format!("case-{seq}")),
            detail: None,
        }
    }

    /// A chain of `n` entries as the database would hold it.
    fn chain(n: u64) -> Vec<StoredEntry> {
        let mut head = GENESIS;
        (1..=n)
            .map(|seq| {
                let bytes = entry(seq, AuditAction::CaseView).bytes();
                head = link_hash(&head, &bytes);
                StoredEntry {
                    seq,
                    bytes,
                    hash: head,
                }
            })
            .collect()
    }

    /// The chain's entries with their hashes recomputed, as an editor of the table would.
    fn rehashed(entries: Vec<StoredEntry>) -> Vec<StoredEntry> {
        let mut head = GENESIS;
        entries
            .into_iter()
            .map(|mut entry| {
                head = link_hash(&head, &entry.bytes);
                entry.hash = head;
                entry
            })
            .collect()
    }

    fn checkpoint_at(entries: &[StoredEntry], count: u64) -> Checkpoint {
        let head = if count == 0 {
            GENESIS
        } else {
            entries[count as usize - 1].hash
        };
        Checkpoint::sign(&key(), count, &head, "2026-12-07T11:00:00Z")
    }

    #[test]
    fn an_intact_log_verifies_with_its_checkpoints() {
        let entries = chain(10);
        let checkpoints = vec![
            checkpoint_at(&entries, 0),
            checkpoint_at(&entries, 4),
            checkpoint_at(&entries, 8),
        ];
        let verified = verify(entries.clone(), &checkpoints, &key().public_key()).unwrap();
        assert_eq!(verified.entries, 10);
        assert_eq!(verified.head, entries[9].hash);
        assert_eq!(verified.checkpoints, 3);
        assert_eq!(verified.unanchored, 2);
    }

    #[test]
    fn an_edited_entry_breaks_the_chain_and_rehashing_breaks_the_checkpoint() {
        let entries = chain(6);
        let checkpoints = vec![checkpoint_at(&entries, 5)];
        let mut edited = entries.clone();
        let mut changed = entry(3, AuditAction::CaseView);
        changed.subject = Some("another-case".into());
        edited[2].bytes = changed.bytes();
        assert_eq!(
            verify(edited.clone(), &checkpoints, &key().public_key()),
            Err(AuditBreak::Altered { seq: 3 })
        );
        assert_eq!(
            verify(rehashed(edited), &checkpoints, &key().public_key()),
            Err(AuditBreak::CheckpointDiffers { count: 5 })
        );
    }

    #[test]
    fn removed_reordered_and_cut_entries_are_found() {
        let entries = chain(6);
        let checkpoints = vec![checkpoint_at(&entries, 6)];
        let public = key().public_key();
        // A removed entry leaves a gap in the positions.
        let mut removed = entries.clone();
        removed.remove(2);
        assert_eq!(
            verify(removed.clone(), &checkpoints, &public),
            Err(AuditBreak::OutOfOrder {
                position: 3,
                seq: 4
            })
        );
        // Renumbered to hide the gap: each entry's bytes name its own position.
        let renumbered: Vec<StoredEntry> = removed
            .into_iter()
            .enumerate()
            .map(|(index, mut entry)| {
                entry.seq = index as u64 + 1;
                entry
            })
            .collect();
        assert_eq!(
            verify(rehashed(renumbered), &checkpoints, &public),
            Err(AuditBreak::Malformed { seq: 3 })
        );
        // Two entries swapped.
        let mut swapped = entries.clone();
        swapped.swap(1, 2);
        assert!(matches!(
            verify(swapped, &checkpoints, &public),
            Err(AuditBreak::OutOfOrder { position: 2, .. })
        ));
        // The tail cut below the checkpoint's count.
        let cut: Vec<StoredEntry> = entries.into_iter().take(4).collect();
        assert_eq!(
            verify(cut, &checkpoints, &public),
            Err(AuditBreak::Truncated {
                count: 6,
                entries: 4
            })
        );
    }

    #[test]
    fn checkpoints_must_be_signed_by_the_audit_key_and_in_order() {
        let entries = chain(4);
        let stranger = SigningKey::from_seed_base64(&STANDARD.encode([6u8; 32])).unwrap();
        let forged = Checkpoint::sign(&stranger, 4, &entries[3].hash, "2026-12-07T11:00:00Z");
        assert_eq!(
            verify(entries.clone(), &[forged], &key().public_key()),
            Err(AuditBreak::CheckpointSignature { count: 4 })
        );
        let mut tampered = checkpoint_at(&entries, 4);
        tampered.count = 3;
        assert_eq!(
            verify(entries.clone(), &[tampered], &key().public_key()),
            Err(AuditBreak::CheckpointSignature { count: 3 })
        );
        let out_of_order = vec![checkpoint_at(&entries, 3), checkpoint_at(&entries, 2)];
        assert_eq!(
            verify(entries, &out_of_order, &key().public_key()),
            Err(AuditBreak::CheckpointOrder { count: 2 })
        );
    }

    #[test]
    fn checkpoints_round_trip_through_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit-checkpoints.jsonl");
        assert!(read_checkpoints(&path).unwrap().is_empty());
        let entries = chain(3);
        let written = vec![checkpoint_at(&entries, 1), checkpoint_at(&entries, 3)];
        for checkpoint in &written {
            append_checkpoint(&path, checkpoint).unwrap();
        }
        assert_eq!(read_checkpoints(&path).unwrap(), written);
        std::fs::write(&path, "{\"count\": 1}\n").unwrap();
        assert_eq!(
            read_checkpoints(&path).unwrap_err().code(),
            "AuditCheckpointFile"
        );
    }
}
