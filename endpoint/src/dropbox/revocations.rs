//! The revocation list the drop box relays at `GET {base}/revocations`: its policy's
//! root's latest list, read from a file the operator replaces (write, then rename) when
//! the root publishes the next one. Every drop box under a root relays the root's list, so
//! a revoked collector's own drop box cannot keep the news from devices that talk to any
//! other.
//!
//! The file is looked at again (one `stat`) at most once a second; a new file is read
//! and checked (a `selfreport.revocations/1` list of the policy's root, its sequence not
//! below the one relayed) before it is relayed; a file that fails keeps the last good list
//! and is reported on stderr. The drop box does not verify the root's signature (it does
//! not hold the root's key): devices do, as they do for the policy it serves.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use selfreport_core::policy::SignedRevocations;

use super::error::DropBoxError;

/// How often the file is looked at again.
const RECHECK: Duration = Duration::from_secs(1);

/// A relayed list file and the last good list read from it.
pub struct RevocationRelay {
    path: PathBuf,
    root_key_id: String,
    state: Mutex<RelayState>,
}

struct RelayState {
    checked_at: Instant,
    seen: Option<(SystemTime, u64)>,
    relayed: Bytes,
    sequence: u64,
}

impl RevocationRelay {
    /// Reads the list at `path` for the root with `root_key_id`; refuses a file that is
    /// not such a list.
    pub fn open(path: &Path, root_key_id: &str) -> Result<Self, DropBoxError> {
        let (stamp, bytes, sequence) = read(path, root_key_id)?;
        Ok(Self {
            path: path.to_path_buf(),
            root_key_id: root_key_id.to_owned(),
            state: Mutex::new(RelayState {
                checked_at: Instant::now(),
                seen: Some(stamp),
                relayed: bytes,
                sequence,
            }),
        })
    }

    /// The list to relay now: the file's, if it changed and holds a newer or equal list
    /// of the root, else the last good one.
    pub fn current(&self) -> Bytes {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        if state.checked_at.elapsed() < RECHECK {
            return state.relayed.clone();
        }
        state.checked_at = Instant::now();
        let stamp = stamp_of(&self.path).ok();
        if stamp.is_none() || stamp == state.seen {
            return state.relayed.clone();
        }
        state.seen = stamp;
        match read(&self.path, &self.root_key_id) {
            Ok((_, bytes, sequence)) if sequence >= state.sequence => {
                state.relayed = bytes;
                state.sequence = sequence;
            }
            Ok((_, _, sequence)) => eprintln!(
                "revocations: {} holds list {sequence}, older than list {} relayed; keeping it",
                self.path.display(),
                state.sequence
            ),
            Err(error) => eprintln!(
                "revocations: {}: {error}; keeping list {}",
                self.path.display(),
                state.sequence
            ),
        }
        state.relayed.clone()
    }
}

fn stamp_of(path: &Path) -> std::io::Result<(SystemTime, u64)> {
    let metadata = std::fs::metadata(path)?;
    Ok((metadata.modified()?, metadata.len()))
}

fn read(path: &Path, root_key_id: &str) -> Result<((SystemTime, u64), Bytes, u64), DropBoxError> {
    let unreadable = |detail: String| DropBoxError::Revocations {
        path: path.to_path_buf(),
        detail,
    };
    let stamp = stamp_of(path).map_err(|error| unreadable(error.to_string()))?;
    // Read as `revoke --previous` reads it: never more than a list may be.
    let bytes =
        crate::revocation::read_revocations(path).map_err(|error| unreadable(error.to_string()))?;
    let list = SignedRevocations::parse(&bytes).map_err(|error| unreadable(error.to_string()))?;
    if list.key_id() != root_key_id {
        return Err(unreadable(format!(
            "it is signed by key {}, not by the policy's root {root_key_id}",
            list.key_id()
        )));
    }
    let sequence = list.document().sequence;
    Ok((stamp, Bytes::from(bytes), sequence))
}
