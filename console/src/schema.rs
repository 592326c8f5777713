//! The console's tables in PostgreSQL, versioned: each migration runs once, in its own
//! transaction, and the version reached is recorded beside them.
//!
//! - `officers`: one row per account, its role and scope (districts and policies), its
//!   Argon2id password hash, its TOTP secret sealed under the key-encryption key, the
//!   step of its last accepted code, and its lockout state.
//! - `sessions` (version 2): each login's session, by the SHA-256 of its token.
//! - `audit_log`: the hash chain of [`crate::audit`]; rows are only ever inserted, and a
//!   trigger refuses updates and deletes (a database owner can drop the trigger: the signed
//!   checkpoints outside the database are what catch that).

use tokio_postgres::Client;

use crate::error::ConsoleError;

/// Migrations in order; entry `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this code writes.
pub const CURRENT_VERSION: i32 = MIGRATIONS.len() as i32;

const V1: &str = "
CREATE TABLE officers (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    role            text NOT NULL CHECK (role IN ('officer', 'supervisor', 'auditor')),
    districts       text[] NOT NULL,
    policies        text[] NOT NULL,
    password_hash   text NOT NULL,
    totp_sealed     bytea NOT NULL,
    totp_last_step  bigint,
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    seq    bigint PRIMARY KEY CHECK (seq > 0),
    entry  bytea NOT NULL,
    hash   bytea NOT NULL CHECK (length(hash) = 32)
);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
";

/// Version 2: sessions, found by the SHA-256 of their token (the token itself is only ever
/// in the officer's cookie), with the digest of their CSRF token and their expiry.
const V2: &str = "
CREATE TABLE sessions (
    token_sha256  bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
    officer_id    bigint NOT NULL REFERENCES officers (id),
    csrf_sha256   bytea NOT NULL CHECK (length(csrf_sha256) = 32),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
";

/// Brings the console's tables up to [`CURRENT_VERSION`].
pub async fn migrate(client: &mut Client) -> Result<(), ConsoleError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS console_schema (
                 only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                 version  integer NOT NULL
             )",
        )
        .await?;
    loop {
        let tx = client.transaction().await?;
        // One migrating process at a time; the others wait, then find the work done.
        tx.execute("LOCK TABLE console_schema IN EXCLUSIVE MODE", &[])
            .await?;
        let found: i32 = tx
            .query_opt("SELECT version FROM console_schema", &[])
            .await?
            .map_or(0, |row| row.get(0));
        if found < 0 {
            return Err(ConsoleError::Corrupt(format!("schema version {found}")));
        }
        if found > CURRENT_VERSION {
            return Err(ConsoleError::SchemaTooNew {
                found,
                supported: CURRENT_VERSION,
            });
        }
        let Some(sql) = usize::try_from(found)
            .ok()
            .and_then(|step| MIGRATIONS.get(step))
        else {
            return Ok(());
        };
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO console_schema (version) VALUES ($1)
             ON CONFLICT (only_row) DO UPDATE SET version = excluded.version",
            &[&(found + 1)],
        )
        .await?;
        tx.commit().await?;
    }
}
