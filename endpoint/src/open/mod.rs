//! `selfreport-authority open`: decrypt the drop box's submissions with recipient keys,
//! check each strictly against the policy, drop cover traffic, export.
//!
//! Decryption uses the `hpke` crate (see [`decrypt`]). Every problem found — a part that
//! does not open, a plaintext that is not the format, a field the policy does not send
//! to this recipient, a value more precise than its transform allows — becomes a
//! [`Flag`] on the submission in the output; a field that does not conform is left out,
//! never silently accepted.

mod carried;
mod conformance;
pub mod decrypt;
mod export;
pub mod identity_access;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate};
use selfreport_core::policy::{Form, PolicyDocument};
use selfreport_core::sync::wire::SealedSubmission;
use serde::Serialize;
use serde_json::Value;

pub use conformance::Flag;
pub use export::{to_csv, to_fhir, to_json};
pub use identity_access::{IdentityAccess, Restricted};

use crate::arrival_confirmation::ConfirmationRegister;
use crate::dropbox::{Database, DropBoxError, StoredSubmission, for_each_stored};
use crate::error::{AuthorityError, Result};
use crate::keyfile::read_recipient_key;
use crate::policy_file::PolicyFile;
use crate::recipient_key::RecipientKeyPair;
use conformance::{CheckedPart, Envelope, Header, check_part};
use decrypt::{open_part, submission_info};

/// Output formats of `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// A JSON array of [`OpenedSubmission`].
    Json,
    /// CSV, one row per submission, a column per field.
    Csv,
    /// A FHIR R4 Bundle of QuestionnaireResponse resources.
    Fhir,
}

/// One submission as the authority sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenedSubmission {
    /// The submission id.
    pub submission_id: String,
    /// When the drop box received it (RFC 3339 UTC).
    pub received_at: String,
    /// The form, when a part says which.
    pub form: Option<String>,
    /// The record's local date.
    pub date: Option<String>,
    /// The pseudonym of (person, policy).
    pub pseudonym: Option<String>,
    /// The county the person is monitored in, from the enrollment order the report was
    /// filed under (a form filed under orders; read from its health part).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitoring_district: Option<String>,
    /// The person's notice key (64 hex), from the identity part under a policy with access
    /// notices: what the case console seals an access notice to. Never output.
    #[serde(skip)]
    pub notice_key: Option<String>,
    /// Open intake nobody has confirmed ([`Form::is_open_intake`]: a traveler's
    /// pre-registration, which anyone may file about anyone), so what it says about who is
    /// arriving is the sender's word only. Reports under a monitoring period are not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
    /// Per recipient whose key was given, the fields that conform to the policy.
    pub recipients: BTreeMap<String, BTreeMap<String, Value>>,
    /// Everything wrong with it; empty for a conforming submission.
    pub flags: Vec<Flag>,
}

/// What [`open_database`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenReport {
    /// Submissions with at least one part opened or a problem found, in order of
    /// arrival.
    pub submissions: Vec<OpenedSubmission>,
    /// Cover traffic, opened and dropped.
    pub dummies_dropped: usize,
    /// Submissions under another policy, left alone.
    pub other_policy: usize,
    /// Submissions with no part for the keys given.
    pub not_for_these_keys: usize,
}

impl OpenReport {
    /// How many submissions carry at least one flag.
    pub fn flagged(&self) -> usize {
        self.submissions
            .iter()
            .filter(|submission| !submission.flags.is_empty())
            .count()
    }
}

/// Reads the signed policy, the recipient keys and the drop box's database (a SQLite
/// file, or PostgreSQL: see [`Database`]), opens every submission and renders it in
/// `format`, identity values only as `access` allows ([`identity_access`]). With
/// `trust_path`, the policy's signature must verify with that key. With
/// `confirmations` (a checkpoint's register, which needs `trust_path`: its lines are
/// verified with the policy's signer), the pre-registrations it confirms are no longer
/// marked unconfirmed ([`mark_confirmed`]).
pub fn open_command(
    database: &Database,
    key_paths: &[PathBuf],
    policy_path: &Path,
    trust_path: Option<&Path>,
    confirmations: Option<&Path>,
    format: OutputFormat,
    access: &IdentityAccess,
) -> Result<(String, OpenReport, Restricted)> {
    let today = chrono::Utc::now().date_naive();
    let policy = PolicyFile::read(policy_path, trust_path, today)?;
    let document = policy.document();
    let register = match confirmations {
        Some(path) => {
            let signer =
                policy
                    .signer_key()
                    .ok_or_else(|| AuthorityError::ConfirmationRefused {
                        path: path.to_path_buf(),
                        line: 0,
                        detail: "a confirmation register is checked against the policy's \
                                 signer: give --trust"
                            .to_owned(),
                    })?;
            Some(ConfirmationRegister::read(path, signer, false)?)
        }
        None => None,
    };
    let mut keys = BTreeMap::new();
    for path in key_paths {
        let key = read_recipient_key(path)?;
        let name = recipient_of(document, &key).ok_or_else(|| {
            AuthorityError::RecipientKeyNotInPolicy {
                path: path.clone(),
                policy_id: document.id.clone(),
            }
        })?;
        keys.insert(name, key);
    }
    let mut report = open_stored(database, document, &keys)?;
    if let Some(register) = &register {
        mark_confirmed(&mut report, &document.id, register);
    }
    let restricted = identity_access::restrict(&mut report, document, access);
    let rendered = match format {
        OutputFormat::Json => to_json(&report.submissions),
        OutputFormat::Csv => to_csv(&report.submissions, document),
        OutputFormat::Fhir => to_fhir(&report.submissions, document)?,
    };
    Ok((rendered, report, restricted))
}

/// Clears `unconfirmed` on every submission under `policy_id` whose pseudonym a
/// checkpoint confirmed in person (an entry of `register`). Open intake of any other
/// pseudonym stays unconfirmed: a registration filed about someone else never gets a
/// confirmation, since its filer cannot pass the checkpoint's identity check.
pub fn mark_confirmed(report: &mut OpenReport, policy_id: &str, register: &ConfirmationRegister) {
    for submission in &mut report.submissions {
        let confirmed = submission
            .pseudonym
            .as_deref()
            .is_some_and(|pseudonym| register.find(policy_id, pseudonym).is_some());
        if confirmed {
            submission.unconfirmed = false;
        }
    }
}

/// The recipient of `policy` whose public key is `key`'s.
pub fn recipient_of(policy: &PolicyDocument, key: &RecipientKeyPair) -> Option<String> {
    policy
        .recipients
        .iter()
        .find(|(_, recipient)| {
            STANDARD
                .decode(recipient.public_key.trim())
                .is_ok_and(|public| public == key.public_key())
        })
        .map(|(name, _)| name.clone())
}

/// Opens every submission in the SQLite drop box database at `db_path` with `keys` (by
/// recipient name) and checks it against `policy`.
pub fn open_database(
    db_path: &Path,
    policy: &PolicyDocument,
    keys: &BTreeMap<String, RecipientKeyPair>,
) -> Result<OpenReport> {
    open_stored(&Database::from(db_path), policy, keys)
}

/// Opens every submission stored in `database` (SQLite or PostgreSQL, read through the
/// drop box's storage: [`for_each_stored`]), in order of arrival, with `keys` (by
/// recipient name) and checks it against `policy`.
pub fn open_stored(
    database: &Database,
    policy: &PolicyDocument,
    keys: &BTreeMap<String, RecipientKeyPair>,
) -> Result<OpenReport> {
    let mut report = OpenReport::default();
    for_each_stored(database, |row| open_row(&row, policy, keys, &mut report)).map_err(
        |error| AuthorityError::Database {
            path: PathBuf::from(database.describe()),
            detail: match error {
                DropBoxError::Database { detail, .. } => detail,
                other => other.to_string(),
            },
        },
    )?;
    Ok(report)
}

/// What opening one stored submission gave (see [`open_one`]).
#[derive(Debug, Clone, PartialEq)]
pub enum OneOpened {
    /// A submission to output: opened, or with problems found (its flags).
    Opened(Box<OpenedSubmission>),
    /// Cover traffic, opened and dropped.
    Dummy,
    /// Under another policy, left alone.
    OtherPolicy,
    /// No part for the keys given.
    NotForTheseKeys,
}

/// Opens one stored submission with `keys` (by recipient name) and checks it against
/// `policy`, exactly as [`open_stored`] does for each row (for callers that read the
/// rows themselves, such as the case console's ingest).
pub fn open_one(
    row: &StoredSubmission,
    policy: &PolicyDocument,
    keys: &BTreeMap<String, RecipientKeyPair>,
) -> OneOpened {
    let mut report = OpenReport::default();
    open_row(row, policy, keys, &mut report);
    if let Some(opened) = report.submissions.pop() {
        OneOpened::Opened(Box::new(opened))
    } else if report.dummies_dropped > 0 {
        OneOpened::Dummy
    } else if report.other_policy > 0 {
        OneOpened::OtherPolicy
    } else {
        OneOpened::NotForTheseKeys
    }
}

fn open_row(
    row: &StoredSubmission,
    policy: &PolicyDocument,
    keys: &BTreeMap<String, RecipientKeyPair>,
    report: &mut OpenReport,
) {
    let mut opened = OpenedSubmission {
        submission_id: row.id.clone(),
        received_at: row.received_at.clone(),
        form: None,
        date: None,
        pseudonym: None,
        monitoring_district: None,
        notice_key: None,
        unconfirmed: false,
        recipients: BTreeMap::new(),
        flags: Vec::new(),
    };
    let Ok(submission) = serde_json::from_slice::<SealedSubmission>(&row.body) else {
        opened.flags.push(Flag::new(
            "body",
            "the stored body is not a sealed submission",
        ));
        report.submissions.push(opened);
        return;
    };
    if submission.policy_id != policy.id {
        report.other_policy += 1;
        return;
    }
    if submission.submission_id != row.id {
        opened.flags.push(Flag::new(
            "submission_id",
            "the stored body names another submission id",
        ));
    }
    if submission.policy_version > policy.version {
        opened.flags.push(Flag::new(
            "policy_version",
            format!(
                "sealed under version {}, newer than the policy given (version {})",
                submission.policy_version, policy.version
            ),
        ));
    }
    let received_on = DateTime::parse_from_rfc3339(&row.received_at)
        .map(|at| at.date_naive())
        .unwrap_or(NaiveDate::MAX);

    let mut headers: Vec<Header> = Vec::new();
    let mut any_part_for_us = false;
    for part in &submission.parts {
        let field = format!("part:{}", part.to);
        let Some(recipient) = policy.recipients.get(&part.to) else {
            opened.flags.push(Flag::new(
                field,
                "addressed to a recipient the policy does not name",
            ));
            continue;
        };
        let Some(key) = keys.get(&part.to) else {
            continue;
        };
        any_part_for_us = true;
        let (Ok(enc), Ok(ct)) = (STANDARD.decode(&part.enc), STANDARD.decode(&part.ct)) else {
            opened
                .flags
                .push(Flag::new(field, "`enc` or `ct` is not standard base64"));
            continue;
        };
        let info = submission_info(&submission.policy_id, submission.policy_version, &part.to);
        let Ok(plaintext) = open_part(
            &recipient.suite,
            key,
            &enc,
            &ct,
            &info,
            submission.submission_id.as_bytes(),
        ) else {
            opened.flags.push(Flag::new(
                field,
                "does not open with the recipient key (wrong key, or tampered in transit or storage)",
            ));
            continue;
        };
        let envelope = Envelope {
            policy_id: &submission.policy_id,
            policy_version: submission.policy_version,
            submission_id: &submission.submission_id,
            recipient: &part.to,
            received_on,
        };
        let CheckedPart {
            header,
            fields,
            carried,
            flags,
        } = check_part(&plaintext, &envelope, policy);
        opened.flags.extend(flags);
        opened.monitoring_district = opened
            .monitoring_district
            .take()
            .or(carried.monitoring_district);
        opened.notice_key = opened.notice_key.take().or(carried.notice_key);
        if let Some(header) = header {
            if !header.dummy {
                opened.recipients.insert(part.to.clone(), fields);
            }
            headers.push(header);
        }
    }
    if !any_part_for_us && opened.flags.is_empty() {
        report.not_for_these_keys += 1;
        return;
    }
    if let Some(first) = headers.first() {
        if headers.iter().any(|header| header != first) {
            opened.flags.push(Flag::new(
                "parts",
                "the parts disagree on form, date, pseudonym or cover traffic",
            ));
        } else if first.dummy && opened.flags.is_empty() {
            report.dummies_dropped += 1;
            return;
        }
        opened.form = Some(first.form.clone());
        opened.date = Some(first.date.clone());
        opened.pseudonym = Some(first.pseudonym.clone());
        opened.unconfirmed = policy.form(&first.form).is_some_and(Form::is_open_intake);
    }
    report.submissions.push(opened);
}
