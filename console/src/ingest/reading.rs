//! Reading the drop box's new submissions and opening their health parts, through the
//! authority's own code: the drop box's storage reads the rows ([`for_each_stored`], SQLite
//! or PostgreSQL), and `open`'s decryption and strict conformance check opens and checks
//! each one ([`open_one`]) with the health key alone.

use std::collections::{BTreeMap, HashSet};

use selfreport_core::policy::PolicyDocument;
use selfreport_core::sync::wire::SealedSubmission;
use selfreport_endpoint::dropbox::{Database, DropBoxError, StoredSubmission, for_each_stored};
use selfreport_endpoint::open::{OneOpened, OpenedSubmission, open_one};
use selfreport_endpoint::recipient_key::RecipientKeyPair;

use crate::error::ConsoleError;
use crate::recipient_keys::HEALTH;

/// A submission that opened and conforms to its policy.
#[derive(Debug)]
pub(crate) struct Conforming {
    /// Which of the policies given it was checked against.
    pub(crate) policy: usize,
    /// The version it was sealed under.
    pub(crate) policy_version: u64,
    /// What opening it gave (only the health part opened).
    pub(crate) opened: Box<OpenedSubmission>,
    /// The body as received, for the reveal of its identity part.
    pub(crate) body: Vec<u8>,
}

/// What reading one new submission gave.
#[derive(Debug)]
pub(crate) enum Read {
    /// It conforms.
    Conforming(Conforming),
    /// Cover traffic.
    Cover,
    /// It does not open or does not conform: what is wrong.
    Refused(String),
}

/// New submissions read, and how many were of no policy given.
#[derive(Debug, Default)]
pub(crate) struct ReadAll {
    /// By submission id, in order of arrival.
    pub(crate) read: Vec<(String, Read)>,
    /// Submissions under a policy not given, left alone.
    pub(crate) other_policy: usize,
    /// Submissions dealt with before, skipped.
    pub(crate) already: usize,
    /// The id of every submission the drop box holds now (of any policy).
    pub(crate) present: HashSet<String>,
}

/// Reads every submission of `database` not in `seen` and opens those under one of
/// `policies` with `health`. Blocking.
pub(crate) fn read_new(
    database: &Database,
    policies: &[PolicyDocument],
    health: RecipientKeyPair,
    seen: &HashSet<String>,
) -> Result<ReadAll, ConsoleError> {
    let keys = BTreeMap::from([(HEALTH.to_owned(), health)]);
    let mut all = ReadAll::default();
    for_each_stored(database, |row| {
        all.present.insert(row.id.clone());
        if seen.contains(&row.id) {
            all.already += 1;
            return;
        }
        match read_one(&row, policies, &keys) {
            Some(read) => all.read.push((row.id.clone(), read)),
            None => all.other_policy += 1,
        }
    })
    .map_err(|error| match error {
        DropBoxError::Database { database, detail } => {
            ConsoleError::Database(format!("the drop box database {database}: {detail}"))
        }
        other => ConsoleError::Database(other.to_string()),
    })?;
    Ok(all)
}

/// `None` for a submission under a policy not given.
fn read_one(
    row: &StoredSubmission,
    policies: &[PolicyDocument],
    keys: &BTreeMap<String, RecipientKeyPair>,
) -> Option<Read> {
    let Ok(submission) = serde_json::from_slice::<SealedSubmission>(&row.body) else {
        return Some(Read::Refused(
            "body: the stored body is not a sealed submission".into(),
        ));
    };
    // The latest version given of its policy (one sealed under a later version is flagged).
    let (index, policy) = policies
        .iter()
        .enumerate()
        .filter(|(_, policy)| policy.id == submission.policy_id)
        .max_by_key(|(_, policy)| policy.version)?;
    Some(match open_one(row, policy, keys) {
        OneOpened::Dummy => Read::Cover,
        OneOpened::OtherPolicy => return None,
        OneOpened::NotForTheseKeys => {
            Read::Refused("part:health: the submission has no part for the health key".into())
        }
        OneOpened::Opened(opened) if !opened.flags.is_empty() => Read::Refused(
            opened
                .flags
                .iter()
                .map(|flag| format!("{}: {}", flag.field, flag.problem))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        OneOpened::Opened(opened) => Read::Conforming(Conforming {
            policy: index,
            policy_version: submission.policy_version,
            opened,
            body: row.body.clone(),
        }),
    })
}
