//! Ingest: the drop box's submissions into the console's cases.
//!
//! Each new submission under one of the signed policies given is opened with the health key
//! and checked strictly against its policy, exactly as `selfreport-authority open` does
//! ([`reading`]). A conforming one is stored as a report of its case ([`facts`]: a keyed
//! pseudonym, the monitoring district, the flags), with its reduced health answers and the
//! whole submission as received, sealed under the key-encryption key: its identity part is
//! not opened here, only on a reveal. Cover traffic is dropped; a submission that does not
//! open or does not conform is refused with what is wrong, and stored nowhere but in the
//! list of what ingest dealt with.
//!
//! Every submission dealt with is recorded (`ingested`), in the transaction that stores it,
//! so running ingest again ingests nothing twice. Each run is one audit entry.
//!
//! Reports whose submission the drop box no longer holds (deleted on the device's request,
//! or past the drop box's retention) are deleted, with the cases they leave empty
//! ([`crate::retention`]); an audit entry records how many, never which. A drop box that
//! holds none of the submissions ingested before is refused, with nothing done: it is more
//! likely another database than a deletion of everything.

pub mod facts;
mod reading;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use selfreport_endpoint::dropbox::Database;
use selfreport_endpoint::open::recipient_of;
use selfreport_endpoint::policy_file::PolicyFile;
use tokio_postgres::{Client, Transaction};

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::case_summary::refresh;
use crate::error::ConsoleError;
use crate::kek::KeyEncryptionKey;
use crate::recipient_keys::{HEALTH, case_pseudonym_key, recipient_key};
use crate::retention::{Deleted, delete_reports};
use facts::{case_pseudonym, monitoring_district, report_flags};
use reading::{Conforming, Read, read_new};

/// Who ingest acts as in the audit log.
pub const INGEST_ACTOR: &str = "ingest";

/// A submission ingest refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The submission id.
    pub submission_id: String,
    /// What is wrong with it (`field: problem; ...`).
    pub problems: String,
}

/// What one ingest run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Reports stored.
    pub stored: usize,
    /// Cover traffic dropped.
    pub cover: usize,
    /// Submissions refused, with why.
    pub refused: Vec<Refusal>,
    /// Submissions dealt with by an earlier run, skipped.
    pub already: usize,
    /// Submissions under a policy not given, left alone.
    pub other_policy: usize,
    /// Reports (and cases left without one) deleted because the drop box no longer
    /// holds their submission: a device's deletion request, or the drop box's retention.
    pub deleted: Deleted,
}

/// The purpose a stored submission body is sealed for under the key-encryption key.
pub(crate) fn body_purpose(submission_id: &str) -> String {
    format!("submission/{submission_id}")
}

/// Ingests the new submissions of the drop box `database` under `policies` (signed policy
/// files, checked as `open` checks them), at `now`.
pub async fn ingest(
    client: &mut Client,
    kek: &KeyEncryptionKey,
    database: &Database,
    policies: &[PolicyFile],
    now: DateTime<Utc>,
) -> Result<IngestReport, ConsoleError> {
    let health = recipient_key(&*client, kek, HEALTH).await?;
    let documents: Vec<_> = policies
        .iter()
        .map(|file| file.document().clone())
        .collect();
    for document in &documents {
        if recipient_of(document, &health).as_deref() != Some(HEALTH) {
            return Err(ConsoleError::Invalid(format!(
                "the policy {} (version {}) does not name the imported key as its health recipient",
                document.id, document.version
            )));
        }
    }
    let pseudonym_key = case_pseudonym_key(&*client, kek).await?;
    let seen: HashSet<String> = client
        .query("SELECT submission_id FROM ingested", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let seen_before = seen.len();
    let database = database.clone();
    let read_documents = documents.clone();
    let mut all =
        tokio::task::spawn_blocking(move || read_new(&database, &read_documents, health, &seen))
            .await
            .map_err(|_| ConsoleError::Io("the reading task failed".into()))??;

    if seen_before > 0 && all.already == 0 {
        // Reports missing from the drop box are deleted below; a drop box that holds none of
        // what was ingested before is more likely another database than a deletion of all.
        return Err(ConsoleError::Invalid(format!(
            "the drop box holds none of the {seen_before} submission(s) ingested before: is \
             --dropbox the right database? (If its retention removed them all, run \
             `selfreport-console retention` first.) Nothing was ingested or deleted."
        )));
    }
    let present = std::mem::take(&mut all.present);
    let mut report = IngestReport {
        already: all.already,
        other_policy: all.other_policy,
        ..IngestReport::default()
    };
    let tx = client.transaction().await?;
    for file in policies {
        let document = file.document();
        let version = i64::try_from(document.version)
            .map_err(|_| ConsoleError::Invalid("a policy version beyond 2^63".into()))?;
        let days = document
            .monitoring
            .as_ref()
            .and_then(|monitoring| i32::try_from(monitoring.days).ok());
        tx.execute(
            "INSERT INTO policies (policy_id, version, envelope, monitoring_days)
             VALUES ($1, $2, $3, $4) ON CONFLICT (policy_id, version) DO NOTHING",
            &[&document.id, &version, &file.envelope_bytes(), &days],
        )
        .await?;
    }
    let mut touched: Vec<String> = Vec::new();
    for (submission_id, read) in all.read {
        let outcome = match read {
            Read::Cover => Outcome::Cover,
            Read::Refused(problems) => Outcome::Refused(problems),
            Read::Conforming(conforming) => {
                match case_of(&conforming, &documents, &pseudonym_key) {
                    Ok(case) => Outcome::Case(Box::new((conforming, case))),
                    Err(problems) => Outcome::Refused(problems),
                }
            }
        };
        if !record_ingested(&tx, &submission_id, &outcome, now).await? {
            report.already += 1;
            continue;
        }
        match outcome {
            Outcome::Cover => report.cover += 1,
            Outcome::Refused(problems) => report.refused.push(Refusal {
                submission_id,
                problems,
            }),
            Outcome::Case(case) => {
                let (conforming, case) = *case;
                store_report(&tx, kek, &submission_id, &conforming, &case).await?;
                touched.push(case.pseudonym);
                report.stored += 1;
            }
        }
    }
    touched.sort();
    touched.dedup();
    refresh(&tx, &touched).await?;
    let gone: Vec<String> = tx
        .query("SELECT submission_id FROM case_reports", &[])
        .await?
        .iter()
        .map(|row| row.get::<_, String>(0))
        .filter(|id| !present.contains(id))
        .collect();
    if !gone.is_empty() {
        report.deleted = delete_reports(&tx, &gone).await?;
        let detail = format!(
            "day {}: {} report(s) whose submission the drop box deleted, {} case(s) left without a report",
            now.date_naive(),
            report.deleted.reports,
            report.deleted.cases
        );
        append(
            &tx,
            now,
            Recorded {
                actor: INGEST_ACTOR,
                action: AuditAction::Deletion,
                subject: None,
                detail: Some(&detail),
            },
        )
        .await?;
    }
    let detail = format!(
        "{} stored, {} cover, {} refused{}",
        report.stored,
        report.cover,
        report.refused.len(),
        report
            .refused
            .iter()
            .map(|refusal| format!("; refused {}", refusal.submission_id))
            .collect::<String>()
    );
    append(
        &tx,
        now,
        Recorded {
            actor: INGEST_ACTOR,
            action: AuditAction::Ingest,
            subject: None,
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

enum Outcome {
    Case(Box<(Conforming, CaseFacts)>),
    Cover,
    Refused(String),
}

/// What a conforming submission says of its case.
struct CaseFacts {
    pseudonym: String,
    policy_id: String,
    district: String,
    monitoring_days: Option<i32>,
    date: NaiveDate,
    form: String,
    received_at: DateTime<Utc>,
    answers: String,
    flags: facts::ReportFlags,
}

fn case_of(
    conforming: &Conforming,
    documents: &[selfreport_core::policy::PolicyDocument],
    pseudonym_key: &[u8],
) -> Result<CaseFacts, String> {
    let policy = documents
        .get(conforming.policy)
        .ok_or_else(|| "no policy".to_owned())?;
    let opened = &conforming.opened;
    let (Some(form_id), Some(date), Some(device_pseudonym)) =
        (&opened.form, &opened.date, &opened.pseudonym)
    else {
        return Err("plaintext: the health part has no form, date or pseudonym".into());
    };
    let form = policy
        .forms
        .iter()
        .find(|form| &form.id == form_id)
        .ok_or_else(|| format!("form: the policy has no form {form_id}"))?;
    let empty = BTreeMap::new();
    let answers = opened.recipients.get(HEALTH).unwrap_or(&empty);
    let district = monitoring_district(
        policy,
        form,
        answers,
        opened.monitoring_district.as_deref(),
    )
    .ok_or_else(|| {
        "district: no monitoring district (no county in the health part, no region in the policy)"
            .to_owned()
    })?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| format!("date: `{date}` is not a date"))?;
    let received_at = DateTime::parse_from_rfc3339(&opened.received_at)
        .map_err(|_| "received_at: not an RFC 3339 time".to_owned())?
        .with_timezone(&Utc);
    Ok(CaseFacts {
        pseudonym: case_pseudonym(pseudonym_key, &policy.id, device_pseudonym),
        policy_id: policy.id.clone(),
        district,
        monitoring_days: policy
            .monitoring
            .as_ref()
            .and_then(|monitoring| i32::try_from(monitoring.days).ok()),
        date,
        form: form_id.clone(),
        received_at,
        answers: serde_json::to_string(answers).map_err(|error| error.to_string())?,
        flags: report_flags(form, answers),
    })
}

/// Records that `submission_id` was dealt with; false when another run did so first.
async fn record_ingested(
    tx: &Transaction<'_>,
    submission_id: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<bool, ConsoleError> {
    let (name, problems) = match outcome {
        Outcome::Case(_) => ("case", None),
        Outcome::Cover => ("cover", None),
        Outcome::Refused(problems) => ("rejected", Some(problems.as_str())),
    };
    let inserted = tx
        .execute(
            "INSERT INTO ingested (submission_id, outcome, problems, ingested_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (submission_id) DO NOTHING",
            &[&submission_id, &name, &problems, &now],
        )
        .await?;
    Ok(inserted == 1)
}

async fn store_report(
    tx: &Transaction<'_>,
    kek: &KeyEncryptionKey,
    submission_id: &str,
    conforming: &Conforming,
    case: &CaseFacts,
) -> Result<(), ConsoleError> {
    tx.execute(
        "INSERT INTO cases (pseudonym, policy_id, district, monitoring_days, first_date, last_date)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (pseudonym) DO UPDATE SET
             district = CASE WHEN excluded.last_date >= cases.last_date
                             THEN excluded.district ELSE cases.district END,
             first_date = least(cases.first_date, excluded.first_date),
             last_date = greatest(cases.last_date, excluded.last_date)",
        &[
            &case.pseudonym,
            &case.policy_id,
            &case.district,
            &case.monitoring_days,
            &case.date,
        ],
    )
    .await?;
    let sealed_body = kek.seal(&body_purpose(submission_id), &conforming.body)?;
    let version = i64::try_from(conforming.policy_version)
        .map_err(|_| ConsoleError::Invalid("a policy version beyond 2^63".into()))?;
    tx.execute(
        "INSERT INTO case_reports (submission_id, pseudonym, policy_version, form, report_date,
             received_at, district, answers, fever, symptoms, unconfirmed, sealed_body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &submission_id,
            &case.pseudonym,
            &version,
            &case.form,
            &case.date,
            &case.received_at,
            &case.district,
            &case.answers,
            &case.flags.fever,
            &case.flags.symptoms,
            &case.flags.unconfirmed,
            &sealed_body,
        ],
    )
    .await?;
    Ok(())
}
