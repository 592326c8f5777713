//! A policy signed under a chain is stored without its delegations, which are stored once;
//! it reads back byte for byte, and a missing or swapped delegation row is damage.

use std::sync::Arc;

use chrono::DateTime;
use rusqlite::Connection;
use serde_json::json;

use crate::clock::FixedClock;
use crate::crypto::SigningKey;
use crate::error::Error;
use crate::facade::{Options, SelfReport};
use crate::policy::test_support::{
    anchor_for, delegation, policy_v2, signed_delegation, signed_under, test_key,
};
use crate::store::DB_FILE;
use crate::store::test_support::key_source;

struct Chained {
    dir: tempfile::TempDir,
    root: SigningKey,
    office: SigningKey,
    link: Vec<u8>,
}

impl Chained {
    fn new() -> Self {
        let root = test_key();
        let office = test_key();
        let link = signed_delegation(&root, &delegation(&office, 0));
        Self {
            dir: tempfile::tempdir().unwrap(),
            root,
            office,
            link,
        }
    }

    fn options(&self) -> Options {
        Options {
            trust_anchors: anchor_for(&self.root),
            clock: Arc::new(FixedClock::new(
                DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap(),
            )),
        }
    }

    fn create(&self) -> SelfReport {
        SelfReport::create(self.dir.path(), &key_source(5), self.options()).unwrap()
    }

    fn open(&self) -> crate::error::Result<SelfReport> {
        SelfReport::open(self.dir.path(), &key_source(5), self.options())
    }

    fn envelope(&self, version: u64) -> Vec<u8> {
        let mut policy = policy_v2();
        policy["version"] = json!(version);
        signed_under(&self.office, &policy, std::slice::from_ref(&self.link))
    }

    fn db(&self) -> Connection {
        Connection::open(self.dir.path().join(DB_FILE)).unwrap()
    }

    fn count(&self, table: &str) -> i64 {
        self.db()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap()
    }
}

#[test]
fn delegations_are_stored_once_and_the_envelope_reads_back_byte_for_byte() {
    let chained = Chained::new();
    let core = chained.create();
    let first = chained.envelope(3);
    core.install_policy(&first).unwrap();
    assert_eq!(chained.count("delegations"), 1);
    // The policy's row is smaller than its envelope by about the delegation: it is not
    // in it.
    let row_len: i64 = chained
        .db()
        .query_row("SELECT length(sealed) FROM policies", [], |row| row.get(0))
        .unwrap();
    assert!(
        (row_len as usize) < first.len() - chained.link.len() + 200,
        "row {row_len} bytes for an envelope of {} with a {}-byte delegation",
        first.len(),
        chained.link.len()
    );
    // The next version under the same chain adds no delegation.
    let second = chained.envelope(4);
    core.install_policy(&second).unwrap();
    assert_eq!(chained.count("delegations"), 1);
    drop(core);

    // Opened again (nothing cached), the envelope is the one installed, byte for byte.
    let core = chained.open().unwrap();
    let installed = core.policy("sh-arrivals").unwrap();
    assert_eq!(installed.envelope_bytes(), &second[..]);
    assert_eq!(installed.chain_subject_keys().len(), 1);
    // A later version still installs over the stored one.
    core.install_policy(&chained.envelope(5)).unwrap();
    assert_eq!(chained.count("delegations"), 1);
}

#[test]
fn a_missing_or_swapped_delegation_row_is_damage() {
    let chained = Chained::new();
    let core = chained.create();
    core.install_policy(&chained.envelope(3)).unwrap();
    // A root-signed policy of another id, for a row to swap in.
    drop(core);

    // The delegation's sealed row replaced by another row's sealed bytes: it does not
    // open under its own id.
    let db = chained.db();
    db.execute(
        "UPDATE delegations SET sealed = (SELECT sealed FROM policies LIMIT 1)",
        [],
    )
    .unwrap();
    drop(db);
    let core = chained.open().unwrap();
    assert!(
        matches!(core.policy("sh-arrivals"), Err(Error::Corrupt { .. })),
        "a swapped delegation row must read as damage"
    );
    drop(core);

    // Removed: the policy can no longer be rebuilt.
    chained.db().execute("DELETE FROM delegations", []).unwrap();
    let core = chained.open().unwrap();
    assert!(matches!(
        core.policy("sh-arrivals"),
        Err(Error::Corrupt { .. })
    ));
}
