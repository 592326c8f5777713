//! The demo's disclosure steps: preview, consent and sync, the ledger, what the drop box
//! holds, and what the authority reads — and never received.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use selfreport_core::ledger::LedgerEvent;
use selfreport_core::model::{Profile, RecordId};
use selfreport_core::sync::transport::TransportConfig;
use selfreport_core::sync::{CancelToken, SyncEvent, SyncOptions};
use selfreport_core::{Clock as _, SelfReport};
use selfreport_endpoint::KeygenOutput;
use selfreport_endpoint::arrival_confirmation::ConfirmationRegister;
use selfreport_endpoint::keyfile::read_recipient_key;
use selfreport_endpoint::open::{OpenedSubmission, mark_confirmed, open_database, to_json};
use selfreport_endpoint::policy_file::PolicyFile;

use super::loopback::{Loopback, RunningDropBox, database_files};
use super::{Demo, authority_failure, internal, relative, say};
use crate::failure::{EXIT_INTEGRITY, Failure};
use crate::upload::field_line;
use crate::{network, scan};

/// A drop box's database after it stopped, with the policy it collected under.
pub(super) struct CollectedDatabase {
    policy_id: String,
    db: PathBuf,
}

/// What a field looked like on the device and what left it, across records.
#[derive(Default)]
struct Reduction {
    transform: String,
    typed: Vec<String>,
    sent: Vec<String>,
}

impl Demo {
    /// What one record discloses, before anything is sent.
    pub(super) fn preview(&self, report: &SelfReport, record: &RecordId) -> Result<(), Failure> {
        self.step(
            "Before anything is sent, Xiaowen previews her father's pre-registration: each field \
             as typed -> what leaves the device, and the exact JSON each recipient receives.",
        )?;
        let preview = report.preview(record)?;
        for field in &preview.fields {
            say(&format!("   {}", field_line(field)))?;
        }
        for part in &preview.parts {
            say(&format!(
                "   {} receives, sealed to its key and padded with spaces to {} bytes:\n     {}",
                part.recipient, part.padded_size, part.json
            ))?;
        }
        Ok(())
    }

    /// Consent to both policies, then one sync with its progress.
    pub(super) fn consent_and_sync(
        &self,
        report: &SelfReport,
        loopback: &Loopback,
    ) -> Result<(), Failure> {
        self.step(
            "She consents to both policies (each consent goes into the ledger) and syncs: every \
             record is minimized, sealed with HPKE to the recipients' keys, and sent over TLS \
             pinned to the drop box's key.",
        )?;
        for policy in report.policies()? {
            report.grant_consent(&policy.id)?;
        }
        let options = SyncOptions {
            transport: TransportConfig {
                extra_roots: vec![loopback.pki.ca_der.clone()],
                ..TransportConfig::default()
            },
            ..SyncOptions::default()
        };
        let events = std::sync::Mutex::new(Vec::new());
        let progress = |event: &SyncEvent| {
            if let Ok(mut events) = events.lock() {
                events.push(event.clone());
            }
        };
        let outcome = network::block_on(report.sync(&options, &progress, &CancelToken::new()))??;
        let events = events.into_inner().unwrap_or_default();
        let forms: BTreeMap<String, String> = events
            .iter()
            .filter_map(|event| match event {
                SyncEvent::Queued {
                    submission_id,
                    policy_id,
                    form_id,
                } => Some((submission_id.clone(), format!("{policy_id}/{form_id}"))),
                _ => None,
            })
            .collect();
        say(&format!(
            "   {} records minimized and sealed into the outbox.",
            outcome.queued
        ))?;
        for event in &events {
            let line = match event {
                SyncEvent::Queued { .. } => continue,
                SyncEvent::Delivered {
                    submission_id,
                    received_at,
                } => format!(
                    "   delivered {} ({}): receipt signed {received_at}, verified",
                    short(submission_id),
                    forms.get(submission_id).map_or("?", String::as_str)
                ),
                SyncEvent::RetryLater {
                    submission_id,
                    reason,
                    ..
                } => format!("   not delivered {}: {reason}", short(submission_id)),
                SyncEvent::Failed {
                    submission_id,
                    reason,
                } => format!("   refused {}: {reason}", short(submission_id)),
            };
            say(&line)?;
        }
        if outcome.delivered != outcome.queued || outcome.retry_later + outcome.failed > 0 {
            return Err(Failure::new(
                "DemoSyncIncomplete",
                format!(
                    "the demo's sync delivered {} of {} submissions",
                    outcome.delivered, outcome.queued
                ),
                crate::failure::EXIT_OTHER,
            ));
        }
        say(&format!(
            "   {} delivered, none to retry, none refused.",
            outcome.delivered
        ))
    }

    /// The ledger, verified.
    pub(super) fn ledger(&self, report: &SelfReport) -> Result<(), Failure> {
        self.step(
            "Her ledger: every consent and every disclosure with the drop box's signed receipt. \
             Its hash chain and each receipt are verified.",
        )?;
        let verification = report.verify_ledger()?;
        for (seq, entry) in report.ledger()? {
            let line = match &entry.event {
                LedgerEvent::Disclosure {
                    policy_id,
                    form,
                    fields,
                    receipt,
                    ..
                } => {
                    let fields: Vec<String> = fields
                        .iter()
                        .map(|field| format!("{} {}", field.field, field.transform))
                        .collect();
                    format!(
                        "#{seq} sent {policy_id}/{form}: {}; receipt {}",
                        fields.join(", "),
                        receipt.received_at
                    )
                }
                LedgerEvent::ConsentGranted {
                    policy_id, purpose, ..
                } => {
                    format!("#{seq} consent to {policy_id} for {purpose}")
                }
                LedgerEvent::ConsentCarriedOver {
                    policy_id,
                    to_version,
                    ..
                } => format!("#{seq} consent carried over to {policy_id} v{to_version}"),
                LedgerEvent::ConsentNeeded {
                    policy_id, version, ..
                } => format!("#{seq} {policy_id} v{version} needs consent again"),
                LedgerEvent::SubmissionDropped {
                    submission_id,
                    reason,
                    ..
                } => format!("#{seq} {} dropped: {reason}", short(submission_id)),
                LedgerEvent::PolicyRevoked {
                    policy_id, reason, ..
                } => format!("#{seq} {policy_id} revoked by its root ({reason})"),
                LedgerEvent::ConsentWithdrawn {
                    policy_id, dropped, ..
                } => format!("#{seq} consent withdrawn from {policy_id}, {dropped} dropped"),
                LedgerEvent::DeletionRequested {
                    submission_id,
                    outcome,
                    ..
                } => format!("#{seq} deletion of {}: {outcome}", short(submission_id)),
                LedgerEvent::AccessNotice {
                    office,
                    officer,
                    reason,
                    ..
                } => format!("#{seq} {office} officer {officer} saw her identity ({reason})"),
            };
            say(&format!("   {line}"))?;
        }
        if let Some(problem) = verification.problem {
            return Err(Failure::new(
                "LedgerInvalid",
                format!("the demo's ledger does not verify at entry {}", problem.seq),
                EXIT_INTEGRITY,
            ));
        }
        say(&format!(
            "   Verified: {} entries, hash chain intact, {} receipts signed by the key the policies name.",
            verification.entries, verification.receipts_verified
        ))
    }

    /// The drop boxes stop; their databases and logs are scanned for every typed value.
    pub(super) fn drop_box_scan(
        &self,
        drop_boxes: Vec<RunningDropBox>,
        loopback: &Loopback,
    ) -> Result<Vec<CollectedDatabase>, Failure> {
        self.step(
            "What the drop boxes hold. They stop; their database files and their access log are \
             scanned for every value typed above.",
        )?;
        let mut databases = Vec::new();
        let mut files = Vec::new();
        for drop_box in drop_boxes {
            let collected = CollectedDatabase {
                policy_id: drop_box.policy_id.clone(),
                db: drop_box.db.clone(),
            };
            drop_box.stop()?;
            files.extend(database_files(&collected.db));
            databases.push(collected);
        }
        let listed: Vec<String> = files
            .iter()
            .filter_map(|file| {
                std::fs::metadata(file).ok().map(|metadata| {
                    format!("{} ({} bytes)", relative(&self.dir, file), metadata.len())
                })
            })
            .collect();
        say(&format!("   Files: {}.", listed.join(", ")))?;
        let log = loopback.log.lines();
        say(&format!(
            "   The log has {} lines, one per request: time, method, route, status, duration. The first:",
            log.len()
        ))?;
        if let Some(first) = log.first() {
            say(&format!("     {first}"))?;
        }
        let in_files = scan::scan_files(&files, &self.typed)
            .map_err(|error| Failure::io("cannot read the drop box's files", &error))?;
        let in_log = scan::scan_lines(&log, &self.typed);
        if !in_files.is_empty() || !in_log.is_empty() {
            return Err(Failure::integrity(
                "PlaintextFound",
                format!(
                    "typed values were found at the drop box: {} in its files, {} in its log",
                    in_files.len(),
                    in_log.len()
                ),
            ));
        }
        say(&format!(
            "   Result: none of the {} values is there. The drop box holds sealed parts it cannot open.",
            self.typed.len()
        ))?;
        Ok(databases)
    }

    /// The authority opens what was collected, and what it never received is listed.
    pub(super) fn authority_view(
        &self,
        report: &SelfReport,
        keys: &KeygenOutput,
        databases: &[CollectedDatabase],
    ) -> Result<(), Failure> {
        self.step(
            "The authority opens the submissions with its recipient keys, checks each strictly \
             against its signed policy (`selfreport-authority open` does the same), and sees:",
        )?;
        let mut recipient_keys = BTreeMap::new();
        for recipient in &keys.recipients {
            let key = read_recipient_key(&recipient.key_path).map_err(authority_failure)?;
            recipient_keys.insert(recipient.name.clone(), key);
        }
        let mut opened: Vec<OpenedSubmission> = Vec::new();
        let mut dropped = 0;
        for database in databases {
            let signed = self
                .dir
                .join("policies")
                .join(policy_file_name(&database.policy_id));
            // Checked as a device checks it: from the commission's root key, through the
            // office's delegation.
            let root = self.dir.join("commission").join("signing.pub");
            let policy = PolicyFile::read(&signed, Some(&root), self.clock.today())
                .map_err(authority_failure)?;
            let mut collected = open_database(&database.db, policy.document(), &recipient_keys)
                .map_err(authority_failure)?;
            // The checkpoint's register: the pre-registrations it confirmed in person.
            let register = self.dir.join("authority").join("confirmations.jsonl");
            let signer = policy
                .signer_key()
                .ok_or_else(|| internal("the policy's signer is not known"))?;
            let confirmations =
                ConfirmationRegister::read(&register, signer, true).map_err(authority_failure)?;
            mark_confirmed(&mut collected, &database.policy_id, &confirmations);
            let confirmed = |pseudonym: Option<&str>| {
                pseudonym.and_then(|pseudonym| confirmations.find(&database.policy_id, pseudonym))
            };
            dropped += collected.dummies_dropped;
            for submission in &collected.submissions {
                say(&format!(
                    "   {}/{} for {}, pseudonym {}{}:",
                    database.policy_id,
                    submission.form.as_deref().unwrap_or("?"),
                    submission.date.as_deref().unwrap_or("?"),
                    submission.pseudonym.as_deref().map_or("?", short),
                    if submission.unconfirmed {
                        ", unconfirmed intake (anyone may file it about anyone; nobody has checked it in person)"
                            .to_owned()
                    } else {
                        confirmed(submission.pseudonym.as_deref())
                            .map(|confirmation| {
                                format!(
                                    ", confirmed in person at the checkpoint ({})",
                                    confirmation.confirmed_at
                                )
                            })
                            .unwrap_or_default()
                    }
                ))?;
                for (recipient, fields) in &submission.recipients {
                    let fields = serde_json::to_string(fields).unwrap_or_default();
                    say(&format!("     {recipient}: {fields}"))?;
                }
            }
            opened.extend(collected.submissions);
        }
        let flagged = opened
            .iter()
            .filter(|submission| !submission.flags.is_empty())
            .count();
        if flagged > 0 {
            return Err(Failure::integrity(
                "DemoFlagged",
                format!("{flagged} submissions did not conform to their policy"),
            ));
        }
        say(&format!(
            "   {} submissions, none flagged: every field is one the policy declares, reduced as it says{}.",
            opened.len(),
            if dropped > 0 {
                format!("; {dropped} cover submissions dropped")
            } else {
                String::new()
            }
        ))?;
        self.never_received(report, &to_json(&opened))
    }

    /// What stayed on the device or left it only reduced, checked against what the
    /// authority opened.
    fn never_received(&self, report: &SelfReport, opened_json: &str) -> Result<(), Failure> {
        say("   What it never received:")?;
        let mut reductions: Vec<(String, Reduction)> = Vec::new();
        let mut sent_by_profile: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for stored in report.records()?.records {
            let preview = report.preview(&stored.record.id)?;
            for field in &preview.fields {
                let leaves = field.recipient.is_some() && field.after.is_some();
                if leaves {
                    sent_by_profile
                        .entry(stored.record.profile_id.as_str().to_owned())
                        .or_default()
                        .insert(field.field.clone());
                }
                let (Some(before), false) = (&field.before, field.transform == "keep") else {
                    continue;
                };
                let position = reductions
                    .iter()
                    .position(|(id, _)| *id == field.field)
                    .unwrap_or_else(|| {
                        reductions.push((field.field.clone(), Reduction::default()));
                        reductions.len() - 1
                    });
                let Some((_, reduction)) = reductions.get_mut(position) else {
                    continue;
                };
                reduction.transform.clone_from(&field.transform);
                push_new(&mut reduction.typed, before);
                if let (true, Some(after)) = (leaves, &field.after) {
                    push_new(&mut reduction.sent, after);
                }
            }
        }
        let mut withheld = Vec::new();
        for (field, reduction) in &reductions {
            let typed = reduction.typed.join(", ");
            if reduction.sent.is_empty() {
                say(&format!("     {field}: {typed} (stayed on the device)"))?;
            } else {
                say(&format!(
                    "     {field}: {typed} (it got only {}: {})",
                    reduction.sent.join(", "),
                    reduction.transform
                ))?;
            }
            withheld.extend(reduction.typed.iter().cloned());
        }
        let profiles = report.profiles()?;
        for profile in &profiles {
            let sent = sent_by_profile.get(profile.id.as_str());
            let unasked: Vec<&str> = held_attributes(profile)
                .into_iter()
                .filter(|(attribute, _)| !sent.is_some_and(|sent| sent.contains(*attribute)))
                .map(|(attribute, value)| {
                    withheld.push(value);
                    attribute
                })
                .collect();
            if !unasked.is_empty() {
                say(&format!(
                    "     {}'s {}: no policy asked for {}",
                    profile.display_name,
                    unasked.join(", "),
                    if unasked.len() == 1 { "it" } else { "them" }
                ))?;
            }
        }
        let withheld: Vec<String> = withheld
            .into_iter()
            .filter(|value| !value.is_empty())
            .collect();
        let found = scan::scan_lines(&[opened_json.to_owned()], &withheld);
        if let Some(first) = found.first() {
            return Err(Failure::integrity(
                "DemoWithheldFound",
                format!(
                    "a value that should not have reached the authority did (the {}th listed)",
                    first + 1
                ),
            ));
        }
        say(&format!(
            "   Checked: none of these {} values is in what the authority opened.",
            withheld.len()
        ))
    }
}

/// The signed policy file the demo wrote for `policy_id`.
fn policy_file_name(policy_id: &str) -> String {
    match policy_id {
        "sh-daily-health" => "daily-report.signed.json".to_owned(),
        "sh-arrivals" => "traveler-preregistration.signed.json".to_owned(),
        other => format!("{other}.signed.json"),
    }
}

/// The profile attributes a profile holds, by form field id, with their values.
fn held_attributes(profile: &Profile) -> Vec<(&'static str, String)> {
    [
        ("name", profile.name.clone()),
        ("id_number", profile.id_number.clone()),
        ("phone", profile.phone.clone()),
        (
            "birth_date",
            profile.birth_date.map(|date| date.to_string()),
        ),
        ("passport_number", profile.passport_number.clone()),
    ]
    .into_iter()
    .filter_map(|(attribute, value)| value.map(|value| (attribute, value)))
    .collect()
}

fn push_new(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|known| known == value) {
        list.push(value.to_owned());
    }
}

/// The first eight characters of an id, for narration.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_shortened_for_narration() {
        assert_eq!(short("0123456789abcdef"), "01234567");
        assert_eq!(short("abc"), "abc");
    }

    #[test]
    fn values_are_listed_once() {
        let mut list = Vec::new();
        push_new(&mut list, "36.5");
        push_new(&mut list, "36.5");
        push_new(&mut list, "36.7");
        assert_eq!(list, ["36.5", "36.7"]);
    }
}
