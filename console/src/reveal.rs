//! Revealing one case's identity: the only place the identity key is opened.
//!
//! An officer gives a reason from a closed list ([`RevealReason`]) and a note. In one
//! transaction, with the officer's row locked (so two reveals at once cannot both pass the
//! cap): the case must be in the officer's scope (else the case is "not found"), the
//! officer's reveals of the day (UTC) must be under the cap, the latest submission of the
//! case is unsealed from the key-encryption key and its identity part opened with the
//! identity key and checked strictly against its signed policy, as `open` does; then the
//! reveal is recorded (`reveals`) with an audit entry. The identity goes back to the page
//! that shows it once, and is stored nowhere.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use selfreport_core::notice::NoticeKey;
use selfreport_endpoint::dropbox::StoredSubmission;
use selfreport_endpoint::open::{OneOpened, open_one};
use selfreport_endpoint::policy_file::PolicyFile;
use serde_json::Value;
use tokio_postgres::Client;

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::error::ConsoleError;
use crate::ingest::body_purpose;
use crate::kek::KeyEncryptionKey;
use crate::notices::{Office, RevealFacts, queue_notice};
use crate::officers::Officer;
use crate::recipient_keys::{IDENTITY, recipient_key};
use crate::scope::{Scope, ScopedCases};

/// Reveals per officer per day unless configured otherwise.
pub const DEFAULT_DAILY_CAP: u32 = 20;
/// Longest note kept.
pub const MAX_NOTE_CHARS: usize = 500;

/// Why an identity is revealed: a closed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealReason {
    /// To phone about a fever or symptoms reported.
    FollowUpSymptoms,
    /// To phone about days without a report.
    MissedReports,
    /// To arrange a test or medical care.
    ArrangeCare,
    /// To confirm an open-intake registration in person.
    ConfirmIntake,
}

impl RevealReason {
    /// Every reason, in the order a form lists them.
    pub const ALL: [RevealReason; 4] = [
        RevealReason::FollowUpSymptoms,
        RevealReason::MissedReports,
        RevealReason::ArrangeCare,
        RevealReason::ConfirmIntake,
    ];

    /// The reason's code, as stored and posted.
    pub fn code(self) -> &'static str {
        match self {
            RevealReason::FollowUpSymptoms => "follow-up-symptoms",
            RevealReason::MissedReports => "missed-reports",
            RevealReason::ArrangeCare => "arrange-care",
            RevealReason::ConfirmIntake => "confirm-intake",
        }
    }

    /// The reason in plain words.
    pub fn label(self) -> &'static str {
        match self {
            RevealReason::FollowUpSymptoms => "Follow up a fever or symptoms reported",
            RevealReason::MissedReports => "Follow up days without a report",
            RevealReason::ArrangeCare => "Arrange a test or medical care",
            RevealReason::ConfirmIntake => "Confirm an open-intake registration",
        }
    }

    /// The reason whose code is `code`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.code() == code)
    }
}

/// A revealed identity, to be shown once.
#[derive(Debug, Clone, PartialEq)]
pub struct Revealed {
    /// The case.
    pub pseudonym: String,
    /// The identity fields (name, phone...).
    pub identity: BTreeMap<String, Value>,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether the person is told.
    pub notice: NoticeOutcome,
}

/// Whether a reveal's access notice went to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// Queued in the outbox, in the reveal's transaction; posted to the drop box soon.
    Queued,
    /// The identity part carries no notice key (its policy asks for no access notices):
    /// the person cannot be told.
    NoNoticeKey,
    /// The console posts no notices (`serve` without `--dropbox-url`).
    NotConfigured,
}

/// Why a reveal did not happen.
#[derive(Debug)]
pub enum RevealRefused {
    /// No such case in the officer's scope.
    NotFound,
    /// The officer reached the day's cap.
    CapReached(u32),
    /// The identity part does not open or does not conform: what is wrong.
    Unreadable(String),
    /// Something else failed.
    Failed(ConsoleError),
}

impl From<ConsoleError> for RevealRefused {
    fn from(error: ConsoleError) -> Self {
        RevealRefused::Failed(error)
    }
}

impl From<tokio_postgres::Error> for RevealRefused {
    fn from(error: tokio_postgres::Error) -> Self {
        RevealRefused::Failed(error.into())
    }
}

/// What an officer asks.
pub struct RevealRequest<'a> {
    /// The case.
    pub pseudonym: &'a str,
    /// Why.
    pub reason: RevealReason,
    /// A note (cut to [`MAX_NOTE_CHARS`]).
    pub note: &'a str,
}

/// Reveals the identity of one case to `officer`, within `daily_cap` reveals a day. With
/// `office` (the console posts notices) and a notice key in the identity part, an access
/// notice to the person is queued in the same transaction ([`crate::notices`]).
pub async fn reveal(
    client: &mut Client,
    kek: &KeyEncryptionKey,
    officer: &Officer,
    request: RevealRequest<'_>,
    daily_cap: u32,
    office: Option<&Office>,
    now: DateTime<Utc>,
) -> Result<Revealed, RevealRefused> {
    let scope = Scope::of(officer);
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT 1 FROM officers WHERE id = $1 FOR UPDATE",
        &[&officer.id],
    )
    .await?;
    let Some(latest) = ScopedCases::new(&tx, &scope)
        .latest_sealed(request.pseudonym)
        .await?
    else {
        return Err(RevealRefused::NotFound);
    };
    let day_start = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(now - Duration::days(1), |start| start.and_utc());
    let today: i64 = tx
        .query_one(
            "SELECT count(*) FROM reveals WHERE officer_id = $1 AND revealed_at >= $2",
            &[&officer.id, &day_start],
        )
        .await?
        .get(0);
    if today >= i64::from(daily_cap) {
        return Err(RevealRefused::CapReached(daily_cap));
    }
    let (policy_id, version) = &latest.policy;
    let envelope: Vec<u8> = tx
        .query_opt(
            "SELECT envelope FROM policies WHERE policy_id = $1 AND version = $2",
            &[policy_id, version],
        )
        .await?
        .ok_or_else(|| ConsoleError::Corrupt(format!("no policy {policy_id} version {version}")))?
        .get(0);
    let policy = PolicyFile::parse(&envelope, None, now.date_naive())
        .map_err(|error| ConsoleError::Corrupt(format!("the stored policy: {error}")))?;
    let body = kek
        .open(&body_purpose(&latest.submission_id), &latest.sealed_body)
        .map_err(ConsoleError::from)?;
    let row = StoredSubmission {
        id: latest.submission_id.clone(),
        body: body.to_vec(),
        received_at: latest
            .received_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let key = recipient_key(&tx, kek, IDENTITY).await?;
    let keys = BTreeMap::from([(IDENTITY.to_owned(), key)]);
    let (identity, notice_key) = match open_one(&row, policy.document(), &keys) {
        OneOpened::Opened(opened) if opened.flags.is_empty() => (
            opened.recipients.get(IDENTITY).cloned().unwrap_or_default(),
            opened.notice_key.clone(),
        ),
        OneOpened::Opened(opened) => {
            return Err(RevealRefused::Unreadable(
                opened
                    .flags
                    .iter()
                    .map(|flag| format!("{}: {}", flag.field, flag.problem))
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        _ => {
            return Err(RevealRefused::Unreadable(
                "the submission has no identity part".into(),
            ));
        }
    };
    let note: String = request.note.trim().chars().take(MAX_NOTE_CHARS).collect();
    tx.execute(
        "INSERT INTO reveals (officer_id, pseudonym, reason, note, revealed_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &officer.id,
            &request.pseudonym,
            &request.reason.code(),
            &note,
            &now,
        ],
    )
    .await?;
    let detail = format!("reason {}; note {note}", request.reason.code());
    append(
        &tx,
        now,
        Recorded {
            actor: &officer.username,
            action: AuditAction::Reveal,
            subject: Some(request.pseudonym),
            detail: Some(&detail),
        },
    )
    .await?;
    let notice = match (office, notice_key) {
        (None, _) => NoticeOutcome::NotConfigured,
        (Some(_), None) => NoticeOutcome::NoNoticeKey,
        (Some(office), Some(hex)) => {
            // open checked it is 64 lowercase hex.
            let key = NoticeKey::from_hex(&hex).map_err(|_| {
                RevealRefused::Unreadable("notice_key: not 64 lowercase hex characters".into())
            })?;
            queue_notice(
                &tx,
                &key,
                &RevealFacts {
                    office,
                    officer_id: officer.id,
                    reason: request.reason.code(),
                    policy_id,
                    submission_id: &latest.submission_id,
                    pseudonym: request.pseudonym,
                    actor: &officer.username,
                    at: now,
                },
            )
            .await?;
            NoticeOutcome::Queued
        }
    };
    tx.commit().await?;
    Ok(Revealed {
        pseudonym: request.pseudonym.to_owned(),
        identity,
        at: now,
        notice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_a_closed_list() {
        for reason in RevealReason::ALL {
            assert_eq!(RevealReason::parse(reason.code()), Some(reason));
        }
        assert_eq!(RevealReason::parse("curiosity"), None);
        assert_eq!(RevealReason::parse(""), None);
    }
}
