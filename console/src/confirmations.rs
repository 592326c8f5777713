//! Arrival confirmations into the console (issue 14): which pre-registrations a checkpoint
//! confirmed in person.
//!
//! `selfreport-authority confirm-arrival` appends one signed line to a register for each
//! traveler it confirms (`selfreport.arrival-confirmation/1`: policy, device pseudonym,
//! the county of the order it issued, time). [`import_confirmations`] reads such a
//! register with the drop box's own reader, every line verified with the key that signed
//! the policy: one line edited, added or signed by another key refuses the whole
//! register, and nothing is imported. The lines of the policy given are stored, in one
//! transaction, as `arrival_confirmations` rows keyed by the case's pseudonym (the
//! console's HMAC of the device's pseudonym, as ingest keys cases: the device's pseudonym
//! is not kept), idempotently: importing the same register again, or a longer one, adds
//! only what is new. The cases they confirm are refreshed ([`crate::case_summary`]), and
//! so is a case ingested later, so the order of import and ingest does not matter.
//!
//! Each import is one audit entry with counts, never a pseudonym. A confirmation is kept
//! after its case's reports are deleted: it holds a pseudonym only the console can
//! compute, a county and a time, and a case whose daily reports go on after its intake
//! expired still shows confirmed.

use std::path::Path;

use chrono::{DateTime, Utc};
use selfreport_core::policy::region::RegionCode;
use selfreport_endpoint::AuthorityError;
use selfreport_endpoint::arrival_confirmation::{ArrivalConfirmation, ConfirmationRegister};
use selfreport_endpoint::policy_file::PolicyFile;
use tokio_postgres::Client;

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::case_summary::refresh;
use crate::error::ConsoleError;
use crate::ingest::facts::case_pseudonym;
use crate::kek::KeyEncryptionKey;
use crate::recipient_keys::case_pseudonym_key;

/// What one import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConfirmationImport {
    /// Confirmations of the policy the register held.
    pub read: usize,
    /// Those not imported before.
    pub new: usize,
    /// Confirmations of other policies the register held, left alone.
    pub other_policy: usize,
}

/// A confirmation checked for storing: the case's pseudonym, the county, the time.
struct Checked {
    pseudonym: String,
    district: String,
    confirmed_at: DateTime<Utc>,
}

/// Imports the confirmations of `policy` (read with trust: its signer verifies the
/// register) from the register at `register`, as `actor`, at `now`.
pub async fn import_confirmations(
    client: &mut Client,
    kek: &KeyEncryptionKey,
    register: &Path,
    policy: &PolicyFile,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ConfirmationImport, ConsoleError> {
    let signer = *policy.signer_key().ok_or_else(|| {
        ConsoleError::Invalid(
            "a confirmation register is verified with the policy's signer: give --trust".into(),
        )
    })?;
    let policy_id = policy.document().id.clone();
    let path = register.to_path_buf();
    let confirmations = tokio::task::spawn_blocking(move || read_register(&path, &signer))
        .await
        .map_err(|_| ConsoleError::Io("the reading task failed".into()))??;
    let pseudonym_key = case_pseudonym_key(&*client, kek).await?;
    let mut import = ConfirmationImport::default();
    let mut checked = Vec::new();
    for (number, confirmation) in confirmations.iter().enumerate() {
        if confirmation.policy_id != policy_id {
            import.other_policy += 1;
            continue;
        }
        let (district, confirmed_at) = check(confirmation).map_err(|problem| {
            ConsoleError::ConfirmationRefused(format!(
                "{}: confirmation {} of the register: {problem}",
                register.display(),
                number + 1
            ))
        })?;
        checked.push(Checked {
            pseudonym: case_pseudonym(&pseudonym_key, &policy_id, &confirmation.pseudonym),
            district,
            confirmed_at,
        });
    }
    import.read = checked.len();
    let tx = client.transaction().await?;
    let mut confirmed = Vec::new();
    for confirmation in &checked {
        let inserted = tx
            .execute(
                "INSERT INTO arrival_confirmations
                     (policy_id, pseudonym, district, confirmed_at, imported_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (policy_id, pseudonym) DO NOTHING",
                &[
                    &policy_id,
                    &confirmation.pseudonym,
                    &confirmation.district,
                    &confirmation.confirmed_at,
                    &now,
                ],
            )
            .await?;
        if inserted == 1 {
            import.new += 1;
            confirmed.push(confirmation.pseudonym.clone());
        }
    }
    confirmed.sort();
    confirmed.dedup();
    refresh(&tx, &confirmed).await?;
    let detail = format!(
        "policy {policy_id}: {} confirmation(s) read, {} new, {} under other policies",
        import.read, import.new, import.other_policy
    );
    append(
        &tx,
        now,
        Recorded {
            actor,
            action: AuditAction::ConfirmationsImport,
            subject: None,
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(import)
}

/// Every confirmation of the register at `path`, each verified with `signer`.
fn read_register(path: &Path, signer: &[u8; 32]) -> Result<Vec<ArrivalConfirmation>, ConsoleError> {
    match ConfirmationRegister::read(path, signer, false) {
        Ok(register) => Ok(register.confirmations().to_vec()),
        Err(error @ AuthorityError::ConfirmationRefused { .. }) => {
            Err(ConsoleError::ConfirmationRefused(error.to_string()))
        }
        Err(error) => Err(ConsoleError::Io(error.to_string())),
    }
}

/// The county and time of a signed confirmation, if they are what `confirm-arrival`
/// writes (a signature says who wrote a line, not that its values are well formed).
fn check(confirmation: &ArrivalConfirmation) -> Result<(String, DateTime<Utc>), String> {
    let pseudonym = &confirmation.pseudonym;
    if pseudonym.len() != 32
        || !pseudonym
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    {
        return Err("the pseudonym is not 32 lowercase hex digits".into());
    }
    let district = &confirmation.district;
    if RegionCode::parse(district).is_none() || district.ends_with("00") {
        return Err(format!("`{district}` is not a county code"));
    }
    let confirmed_at = DateTime::parse_from_rfc3339(&confirmation.confirmed_at)
        .map_err(|_| "the time is not RFC 3339".to_owned())?
        .with_timezone(&Utc);
    Ok((district.clone(), confirmed_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confirmation(pseudonym: &str, district: &str, at: &str) -> ArrivalConfirmation {
        ArrivalConfirmation {
            policy_id: "sh-arrivals".into(),
            pseudonym: pseudonym.into(),
            district: district.into(),
            confirmed_at: at.into(),
        }
    }

    #[test]
    fn only_what_confirm_arrival_writes_is_stored() {
        let good = "0123456789abcdef0123456789abcdef";
        let (district, at) = check(&confirmation(good, "420106", "2026-12-08T09:30:00Z")).unwrap();
        assert_eq!(district, "420106");
        assert_eq!(at.to_rfc3339(), "2026-12-08T09:30:00+00:00");
        for (pseudonym, district, at) in [
            (
                "0123456789ABCDEF0123456789abcdef",
                "420106",
                "2026-12-08T09:30:00Z",
            ),
            ("0123", "420106", "2026-12-08T09:30:00Z"),
            (good, "420100", "2026-12-08T09:30:00Z"),
            (good, "42010x", "2026-12-08T09:30:00Z"),
            (good, "420106", "yesterday"),
        ] {
            assert!(
                check(&confirmation(pseudonym, district, at)).is_err(),
                "{pseudonym} {district} {at}"
            );
        }
    }
}
