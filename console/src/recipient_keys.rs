//! The recipient keys the console opens submissions with, kept in its database sealed
//! under the key-encryption key (officers' computers never hold one), and the key the
//! console's case pseudonyms are made with.
//!
//! `selfreport-console keys import --health FILE --identity FILE` reads the authority's
//! key files (as `selfreport-authority keygen` wrote them) and seals each, with an audit
//! entry; importing again replaces them. The health key opens every submission at ingest;
//! the identity key is opened only to reveal one case.

use std::path::Path;

use chrono::{DateTime, Utc};
use ring::rand::{SecureRandom as _, SystemRandom};
use selfreport_endpoint::keyfile::read_recipient_key;
use selfreport_endpoint::recipient_key::RecipientKeyPair;
use tokio_postgres::{Client, GenericClient};
use zeroize::Zeroizing;

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::error::ConsoleError;
use crate::kek::KeyEncryptionKey;

/// The recipient whose key opens the health part.
pub const HEALTH: &str = "health";
/// The recipient whose key opens the identity part.
pub const IDENTITY: &str = "identity";
/// The name of the case-pseudonym key.
const CASE_PSEUDONYM: &str = "case-pseudonym";

fn purpose(name: &str) -> String {
    format!("console-key/{name}")
}

/// Seals the recipient keys in the files `health` and `identity` into the database
/// (replacing any imported before), makes the case-pseudonym key if there is none yet, and
/// records it in the audit log as done by `actor`. Returns the two public keys (base64).
pub async fn import_keys(
    client: &mut Client,
    kek: &KeyEncryptionKey,
    health: &Path,
    identity: &Path,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), ConsoleError> {
    let read = |path: &Path| {
        read_recipient_key(path).map_err(|error| match error.exit_code() {
            3 => ConsoleError::Invalid(error.to_string()),
            _ => ConsoleError::Io(error.to_string()),
        })
    };
    let health_key = read(health)?;
    let identity_key = read(identity)?;
    if health_key.public_key() == identity_key.public_key() {
        return Err(ConsoleError::Invalid(
            "the health and identity keys are the same key: they must differ".into(),
        ));
    }
    let tx = client.transaction().await?;
    for (name, key) in [(HEALTH, &health_key), (IDENTITY, &identity_key)] {
        let sealed = kek.seal(&purpose(name), key.private_key_base64().as_bytes())?;
        tx.execute(
            "INSERT INTO console_keys (name, public_key, sealed, imported_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE
             SET public_key = excluded.public_key, sealed = excluded.sealed,
                 imported_at = excluded.imported_at",
            &[&name, &key.public_key_base64(), &sealed, &now],
        )
        .await?;
    }
    let mut pseudonym_key = Zeroizing::new([0u8; 32]);
    SystemRandom::new()
        .fill(pseudonym_key.as_mut())
        .map_err(|_| ConsoleError::Io("the system random generator failed".into()))?;
    let sealed = kek.seal(&purpose(CASE_PSEUDONYM), pseudonym_key.as_ref())?;
    tx.execute(
        "INSERT INTO console_keys (name, sealed, imported_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING",
        &[&CASE_PSEUDONYM, &sealed, &now],
    )
    .await?;
    let detail = format!(
        "health {}; identity {}",
        health_key.public_key_base64(),
        identity_key.public_key_base64()
    );
    append(
        &tx,
        now,
        Recorded {
            actor,
            action: AuditAction::KeysImport,
            subject: None,
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        health_key.public_key_base64(),
        identity_key.public_key_base64(),
    ))
}

/// The recipient key `name` ([`HEALTH`] or [`IDENTITY`]), opened with the key-encryption
/// key.
pub async fn recipient_key(
    client: &impl GenericClient,
    kek: &KeyEncryptionKey,
    name: &str,
) -> Result<RecipientKeyPair, ConsoleError> {
    let sealed = sealed_key(client, name).await?;
    let text = kek.open(&purpose(name), &sealed)?;
    let text =
        std::str::from_utf8(&text).map_err(|_| ConsoleError::Corrupt(format!("the {name} key")))?;
    RecipientKeyPair::from_private_key_base64(text)
        .map_err(|_| ConsoleError::Corrupt(format!("the {name} key")))
}

/// The case-pseudonym key, opened with the key-encryption key.
pub async fn case_pseudonym_key(
    client: &impl GenericClient,
    kek: &KeyEncryptionKey,
) -> Result<Zeroizing<Vec<u8>>, ConsoleError> {
    let sealed = sealed_key(client, CASE_PSEUDONYM).await?;
    Ok(kek.open(&purpose(CASE_PSEUDONYM), &sealed)?)
}

async fn sealed_key(client: &impl GenericClient, name: &str) -> Result<Vec<u8>, ConsoleError> {
    let row = client
        .query_opt("SELECT sealed FROM console_keys WHERE name = $1", &[&name])
        .await?
        .ok_or_else(|| {
            ConsoleError::Invalid(format!(
                "no {name} key in the console: run `selfreport-console keys import` first"
            ))
        })?;
    Ok(row.get(0))
}
