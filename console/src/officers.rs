//! Accounts: officers, supervisors and auditors, each scoped to districts (GB/T 2260) and
//! policies, with an Argon2id password and a TOTP secret sealed under the key-encryption
//! key. Every change is recorded in the audit log in the same transaction.

use chrono::{DateTime, Utc};
use selfreport_core::policy::region::RegionCode;
use tokio_postgres::Client;
use zeroize::Zeroizing;

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::error::ConsoleError;
use crate::kek::KeyEncryptionKey;
use crate::password::hash_password;
use crate::totp::TotpSecret;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sees the pseudonymous cases of their districts and policies; may reveal one
    /// identity at a time, with a reason.
    Officer,
    /// An officer who also sees the reveals of the officers of their districts.
    Supervisor,
    /// Reads the audit log; sees no case.
    Auditor,
}

impl Role {
    /// The role's name, as stored and typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "officer" => Some(Role::Officer),
            "supervisor" => Some(Role::Supervisor),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

/// An account as listed (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// Its number, shown as the officer's id on revealed identities and notices.
    pub id: i64,
    /// The login name.
    pub username: String,
    /// Its role.
    pub role: Role,
    /// The GB/T 2260 regions it sees (provinces, cities or counties).
    pub districts: Vec<String>,
    /// The policy ids it sees.
    pub policies: Vec<String>,
    /// Since when it is disabled, if it is.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until when it is locked after failed logins, if it is.
    pub locked_until: Option<DateTime<Utc>>,
}

/// An account to add.
pub struct NewOfficer {
    /// The login name: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
    pub username: String,
    /// Its role.
    pub role: Role,
    /// The regions it sees (at least one, except for an auditor).
    pub districts: Vec<String>,
    /// The policies it sees (at least one, except for an auditor).
    pub policies: Vec<String>,
    /// Its first password.
    pub password: Zeroizing<String>,
}

/// An account just added or reset, with the TOTP secret to give its holder (shown once;
/// the database keeps it sealed).
#[derive(Debug)]
pub struct Credentials {
    /// The account.
    pub officer: Officer,
    /// Its new TOTP secret.
    pub totp: TotpSecret,
}

/// The purpose a TOTP secret is sealed for: its owner's name.
pub(crate) fn totp_purpose(username: &str) -> String {
    format!("totp/{username}")
}

fn check_username(username: &str) -> Result<(), ConsoleError> {
    let bytes = username.as_bytes();
    let well_formed = (1..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && !bytes[0].is_ascii_uppercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b));
    if well_formed {
        Ok(())
    } else {
        Err(ConsoleError::Invalid(format!(
            "`{}` is not a user name: use 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit",
            username.chars().take(64).collect::<String>()
        )))
    }
}

fn check_scope(new: &NewOfficer) -> Result<(), ConsoleError> {
    for district in &new.districts {
        if RegionCode::parse(district).is_none() {
            return Err(ConsoleError::Invalid(format!(
                "`{}` is not a GB/T 2260 region code (six digits: 310000, 310100, 310104)",
                district.chars().take(16).collect::<String>()
            )));
        }
    }
    for policy in &new.policies {
        let well_formed = (1..=64).contains(&policy.len())
            && policy
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(ConsoleError::Invalid(format!(
                "`{}` is not a policy id",
                policy.chars().take(64).collect::<String>()
            )));
        }
    }
    if new.role != Role::Auditor && (new.districts.is_empty() || new.policies.is_empty()) {
        return Err(ConsoleError::Invalid(
            "an officer or supervisor sees at least one district and one policy".into(),
        ));
    }
    Ok(())
}

/// Adds an account, recorded as done by `actor`; returns it with its TOTP secret.
pub async fn add_officer(
    client: &mut Client,
    kek: &KeyEncryptionKey,
    new: NewOfficer,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Credentials, ConsoleError> {
    check_username(&new.username)?;
    check_scope(&new)?;
    let password_hash = hash_password(&new.password)?;
    let totp = TotpSecret::generate()
        .ok_or_else(|| ConsoleError::Io("the system random generator failed".into()))?;
    let sealed = kek.seal(&totp_purpose(&new.username), totp.bytes())?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "INSERT INTO officers (username, role, districts, policies, password_hash, totp_sealed)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (username) DO NOTHING
             RETURNING id",
            &[
                &new.username,
                &new.role.as_str(),
                &new.districts,
                &new.policies,
                &password_hash,
                &sealed,
            ],
        )
        .await?;
    let Some(row) = row else {
        return Err(ConsoleError::UserExists(new.username));
    };
    let detail = format!(
        "role {}; districts {}; policies {}",
        new.role.as_str(),
        new.districts.join(","),
        new.policies.join(",")
    );
    append(
        &tx,
        now,
        Recorded {
            actor,
            action: AuditAction::UserAdd,
            subject: Some(&new.username),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Credentials {
        officer: Officer {
            id: row.get(0),
            username: new.username,
            role: new.role,
            districts: new.districts,
            policies: new.policies,
            disabled_at: None,
            locked_until: None,
        },
        totp,
    })
}

/// Disables an account: it can no longer log in. Its history stays.
pub async fn disable_officer(
    client: &mut Client,
    username: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), ConsoleError> {
    let tx = client.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE officers SET disabled_at = coalesce(disabled_at, $2) WHERE username = $1",
            &[&username, &now],
        )
        .await?;
    if changed == 0 {
        return Err(ConsoleError::UnknownUser(username.to_owned()));
    }
    append(
        &tx,
        now,
        Recorded {
            actor,
            action: AuditAction::UserDisable,
            subject: Some(username),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives an account a new password and a new TOTP secret, and lifts its lockout (a
/// disabled account stays disabled). Returns the new secret to give its holder.
pub async fn reset_officer(
    client: &mut Client,
    kek: &KeyEncryptionKey,
    username: &str,
    password: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Credentials, ConsoleError> {
    let password_hash = hash_password(password)?;
    let totp = TotpSecret::generate()
        .ok_or_else(|| ConsoleError::Io("the system random generator failed".into()))?;
    let sealed = kek.seal(&totp_purpose(username), totp.bytes())?;
    let tx = client.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE officers SET password_hash = $2, totp_sealed = $3, totp_last_step = NULL,
                 failed_logins = 0, locked_until = NULL
             WHERE username = $1",
            &[&username, &password_hash, &sealed],
        )
        .await?;
    if changed == 0 {
        return Err(ConsoleError::UnknownUser(username.to_owned()));
    }
    append(
        &tx,
        now,
        Recorded {
            actor,
            action: AuditAction::UserReset,
            subject: Some(username),
            detail: None,
        },
    )
    .await?;
    let officer = officer_in(&tx, username).await?;
    tx.commit().await?;
    Ok(Credentials { officer, totp })
}

/// Every account, by name.
pub async fn officers(client: &Client) -> Result<Vec<Officer>, ConsoleError> {
    client
        .query(
            "SELECT id, username, role, districts, policies, disabled_at, locked_until
             FROM officers ORDER BY username",
            &[],
        )
        .await?
        .iter()
        .map(officer_from_row)
        .collect()
}

/// The account named `username`.
pub async fn officer(client: &Client, username: &str) -> Result<Officer, ConsoleError> {
    officer_in(client, username).await
}

/// The account numbered `id`, if there is one.
pub async fn officer_by_id(client: &Client, id: i64) -> Result<Option<Officer>, ConsoleError> {
    client
        .query_opt(
            "SELECT id, username, role, districts, policies, disabled_at, locked_until
             FROM officers WHERE id = $1",
            &[&id],
        )
        .await?
        .as_ref()
        .map(officer_from_row)
        .transpose()
}

async fn officer_in(
    client: &impl tokio_postgres::GenericClient,
    username: &str,
) -> Result<Officer, ConsoleError> {
    let row = client
        .query_opt(
            "SELECT id, username, role, districts, policies, disabled_at, locked_until
             FROM officers WHERE username = $1",
            &[&username],
        )
        .await?
        .ok_or_else(|| ConsoleError::UnknownUser(username.to_owned()))?;
    officer_from_row(&row)
}

fn officer_from_row(row: &tokio_postgres::Row) -> Result<Officer, ConsoleError> {
    let role: String = row.get(2);
    Ok(Officer {
        id: row.get(0),
        username: row.get(1),
        role: Role::parse(&role).ok_or_else(|| ConsoleError::Corrupt(format!("role {role}")))?,
        districts: row.get(3),
        policies: row.get(4),
        disabled_at: row.get(5),
        locked_until: row.get(6),
    })
}

/// The TOTP secret of `username`, opened with the key-encryption key.
pub async fn totp_secret(
    client: &Client,
    kek: &KeyEncryptionKey,
    username: &str,
) -> Result<TotpSecret, ConsoleError> {
    let row = client
        .query_opt(
            "SELECT totp_sealed FROM officers WHERE username = $1",
            &[&username],
        )
        .await?
        .ok_or_else(|| ConsoleError::UnknownUser(username.to_owned()))?;
    let sealed: Vec<u8> = row.get(0);
    Ok(TotpSecret::from_bytes(
        kek.open(&totp_purpose(username), &sealed)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(username: &str, districts: &[&str], policies: &[&str], role: Role) -> NewOfficer {
        NewOfficer {
            username: username.into(),
            role,
            districts: districts.iter().map(|d| (*d).to_owned()).collect(),
            policies: policies.iter().map(|p| (*p).to_owned()).collect(),
            password: Zeroizing::new("a long enough password".into()),
        }
    }

    #[test]
    fn names_and_scopes_are_checked_before_anything_is_stored() {
        for bad in ["", "Upper", "-dash", "with space", &"x".repeat(65), "名字"] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
        for good in ["officer17", "li.wei", "a", "x_y-z"] {
            assert!(check_username(good).is_ok(), "{good}");
        }
        let ok = new("li", &["310104"], &["sh-daily-health"], Role::Officer);
        assert!(check_scope(&ok).is_ok());
        let bad_region = new("li", &["310004"], &["sh-daily-health"], Role::Officer);
        assert!(check_scope(&bad_region).is_err());
        let bad_policy = new("li", &["310104"], &["SH daily"], Role::Officer);
        assert!(check_scope(&bad_policy).is_err());
        let unscoped = new("li", &[], &[], Role::Supervisor);
        assert!(check_scope(&unscoped).is_err());
        let auditor = new("audit", &[], &[], Role::Auditor);
        assert!(check_scope(&auditor).is_ok());
        for role in [Role::Officer, Role::Supervisor, Role::Auditor] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
