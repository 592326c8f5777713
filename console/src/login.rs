//! Logging in: a password and a TOTP code, with a lockout after repeated failures, and a
//! session for what follows. Every attempt is an audit entry, in the transaction that
//! records its outcome.
//!
//! - An unknown name, a disabled or locked account, a wrong password and a wrong, replayed
//!   or malformed code are all refused alike ([`LoginRefused`]): the person at the
//!   keyboard learns nothing about which. An unknown name is checked against a decoy hash,
//!   so it takes as long as a wrong password.
//! - [`MAX_FAILURES`] failures in a row lock the account for [`LOCKOUT_MINUTES`]; a success
//!   resets the count. An administrator's `user reset` lifts a lockout.
//! - A session is a random 256-bit token given to the browser once; the database keeps its
//!   SHA-256 only, with the officer, a CSRF token for the session's forms, and its expiry.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use ring::rand::{SecureRandom as _, SystemRandom};
use selfreport_core::crypto::sha256;
use tokio_postgres::Client;
use zeroize::Zeroizing;

use crate::audit::AuditAction;
use crate::audit_log::{Recorded, append};
use crate::error::ConsoleError;
use crate::kek::KeyEncryptionKey;
use crate::officers::totp_purpose;
use crate::password::{decoy_hash, verify_password};
use crate::totp::TotpSecret;

/// Failures in a row that lock an account.
pub const MAX_FAILURES: i32 = 5;
/// How long a lockout lasts.
pub const LOCKOUT_MINUTES: i64 = 15;
/// How long a session lasts without being renewed.
pub const SESSION_HOURS: i64 = 8;

/// What a login attempt gives.
pub struct Credentials<'a> {
    /// The login name.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
    /// The current TOTP code.
    pub code: &'a str,
}

/// A login was refused; deliberately says nothing of why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the name, password or code is not right, or the account cannot log in now")]
pub struct LoginRefused;

/// A session just opened: the tokens to give the browser (shown once; the database keeps
/// their digests' worth only).
pub struct NewSession {
    /// The officer's number.
    pub officer_id: i64,
    /// The session token, for a `Secure; HttpOnly; SameSite=Strict` cookie.
    pub token: Zeroizing<String>,
    /// The CSRF token every form of the session carries.
    pub csrf: Zeroizing<String>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("officer_id", &self.officer_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Checks `credentials` at `now`; on success opens a session.
pub async fn log_in(
    client: &mut Client,
    kek: &KeyEncryptionKey,
    credentials: Credentials<'_>,
    now: DateTime<Utc>,
) -> Result<Result<NewSession, LoginRefused>, ConsoleError> {
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "SELECT id, password_hash, totp_sealed, totp_last_step, failed_logins, locked_until,
                    disabled_at
             FROM officers WHERE username = $1 FOR UPDATE",
            &[&credentials.username],
        )
        .await?;
    let Some(row) = row else {
        // As long as a wrong password takes.
        let _ = verify_password(credentials.password, decoy_hash());
        refuse(&tx, credentials.username, "unknown name", now).await?;
        tx.commit().await?;
        return Ok(Err(LoginRefused));
    };
    let id: i64 = row.get(0);
    let password_hash: String = row.get(1);
    let totp_sealed: Vec<u8> = row.get(2);
    let last_step: Option<i64> = row.get(3);
    let failed: i32 = row.get(4);
    let locked_until: Option<DateTime<Utc>> = row.get(5);
    let disabled_at: Option<DateTime<Utc>> = row.get(6);

    let password_ok = verify_password(credentials.password, &password_hash);
    let why = if disabled_at.is_some() {
        Some("disabled")
    } else if locked_until.is_some_and(|until| until > now) {
        Some("locked")
    } else if !password_ok {
        Some("wrong password")
    } else {
        let secret =
            TotpSecret::from_bytes(kek.open(&totp_purpose(credentials.username), &totp_sealed)?);
        let last = last_step.and_then(|step| u64::try_from(step).ok());
        let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
        match secret.verify(credentials.code, seconds, last) {
            Ok(step) => {
                let step =
                    i64::try_from(step).map_err(|_| ConsoleError::Corrupt("TOTP step".into()))?;
                tx.execute(
                    "UPDATE officers SET totp_last_step = $2, failed_logins = 0, locked_until = NULL
                     WHERE id = $1",
                    &[&id, &step],
                )
                .await?;
                None
            }
            Err(crate::totp::TotpRefusal::Replayed) => Some("code used already"),
            Err(_) => Some("wrong code"),
        }
    };
    if let Some(why) = why {
        // A locked or disabled account's attempts do not extend anything.
        if why == "wrong password" || why == "wrong code" || why == "code used already" {
            let failures = failed + 1;
            let lock = (failures >= MAX_FAILURES).then(|| now + Duration::minutes(LOCKOUT_MINUTES));
            tx.execute(
                "UPDATE officers SET failed_logins = $2, locked_until = coalesce($3, locked_until)
                 WHERE id = $1",
                &[&id, &(if lock.is_some() { 0 } else { failures }), &lock],
            )
            .await?;
            refuse(&tx, credentials.username, why, now).await?;
            if lock.is_some() {
                append(
                    &tx,
                    now,
                    Recorded {
                        actor: credentials.username,
                        action: AuditAction::Lockout,
                        subject: Some(credentials.username),
                        detail: Some(&format!(
                            "{MAX_FAILURES} failures in a row; {LOCKOUT_MINUTES} minutes"
                        )),
                    },
                )
                .await?;
            }
        } else {
            refuse(&tx, credentials.username, why, now).await?;
        }
        tx.commit().await?;
        return Ok(Err(LoginRefused));
    }
    let token = random_token()?;
    let csrf = random_token()?;
    let expires_at = now + Duration::hours(SESSION_HOURS);
    // Expired sessions go as new ones come: their digests serve no one.
    tx.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now])
        .await?;
    tx.execute(
        "INSERT INTO sessions (token_sha256, officer_id, csrf_sha256, expires_at) VALUES ($1, $2, $3, $4)",
        &[&sha256(token.as_bytes()).as_slice(), &id, &sha256(csrf.as_bytes()).as_slice(), &expires_at],
    )
    .await?;
    append(
        &tx,
        now,
        Recorded {
            actor: credentials.username,
            action: AuditAction::Login,
            subject: None,
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(NewSession {
        officer_id: id,
        token,
        csrf,
        expires_at,
    }))
}

/// The officer a session token belongs to, if the session exists and has not expired.
pub async fn session_officer(
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, ConsoleError> {
    let row = client
        .query_opt(
            "SELECT s.officer_id FROM sessions s JOIN officers o ON o.id = s.officer_id
             WHERE s.token_sha256 = $1 AND s.expires_at > $2 AND o.disabled_at IS NULL",
            &[&sha256(token.as_bytes()).as_slice(), &now],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// A session found by its token: its officer's number and the SHA-256 of its CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    /// The officer's number.
    pub officer_id: i64,
    /// The SHA-256 of the session's CSRF token.
    pub csrf_sha256: [u8; 32],
}

impl ActiveSession {
    /// Whether `csrf` is the session's CSRF token (compared in constant time, as
    /// digests).
    pub fn csrf_matches(&self, csrf: &str) -> bool {
        let digest = sha256(csrf.as_bytes());
        digest
            .iter()
            .zip(self.csrf_sha256.iter())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
    }
}

/// The session of `token`, if it exists, has not expired and its officer is not
/// disabled.
pub async fn active_session(
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<ActiveSession>, ConsoleError> {
    let row = client
        .query_opt(
            "SELECT s.officer_id, s.csrf_sha256 FROM sessions s JOIN officers o ON o.id = s.officer_id
             WHERE s.token_sha256 = $1 AND s.expires_at > $2 AND o.disabled_at IS NULL",
            &[&sha256(token.as_bytes()).as_slice(), &now],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let csrf: Vec<u8> = row.get(1);
    Ok(Some(ActiveSession {
        officer_id: row.get(0),
        csrf_sha256: <[u8; 32]>::try_from(csrf.as_slice())
            .map_err(|_| ConsoleError::Corrupt("a session's CSRF digest".into()))?,
    }))
}

/// Ends the session of `token` (of the officer `username`), with an audit entry.
pub async fn log_out(
    client: &mut Client,
    token: &str,
    username: &str,
    now: DateTime<Utc>,
) -> Result<(), ConsoleError> {
    let tx = client.transaction().await?;
    tx.execute(
        "DELETE FROM sessions WHERE token_sha256 = $1",
        &[&sha256(token.as_bytes()).as_slice()],
    )
    .await?;
    append(
        &tx,
        now,
        Recorded {
            actor: username,
            action: AuditAction::Logout,
            subject: None,
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new random token: 32 bytes, base64url without padding.
pub fn new_token() -> Result<Zeroizing<String>, ConsoleError> {
    random_token()
}

async fn refuse(
    tx: &tokio_postgres::Transaction<'_>,
    username: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), ConsoleError> {
    // The name typed is recorded as typed (bounded), so that guessing shows in the log.
    let typed: String = username.chars().take(64).collect();
    append(
        tx,
        now,
        Recorded {
            actor: &typed,
            action: AuditAction::LoginRefused,
            subject: None,
            detail: Some(why),
        },
    )
    .await?;
    Ok(())
}

fn random_token() -> Result<Zeroizing<String>, ConsoleError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    SystemRandom::new()
        .fill(bytes.as_mut())
        .map_err(|_| ConsoleError::Io("the system random generator failed".into()))?;
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref())))
}
