//! The console's tables in PostgreSQL, versioned: each migration runs once, in its own
//! transaction, and the version reached is recorded beside them.
//!
//! - `officers`: one row per account, its role and scope (districts and policies), its
//!   Argon2id password hash, its TOTP secret sealed under the key-encryption key, the
//!   step of its last accepted code, and its lockout state.
//! - `sessions` (version 2): each login's session, by the SHA-256 of its token.
//! - `console_keys` (version 3): the recipient keys and the case-pseudonym key, each sealed
//!   under the key-encryption key.
//! - `policies` (version 3): the signed policies submissions were ingested under, as signed.
//! - `cases` and `case_reports` (version 3): what ingest stored: per case (a keyed pseudonym
//!   per person and policy) its monitoring district, and per submission its date, reduced
//!   health answers and flags, and the submission as received sealed under the
//!   key-encryption key (its identity part is opened only on a reveal).
//! - `ingested` (version 3): every drop box submission ingest has dealt with, and how, so
//!   that running it again ingests nothing twice.
//! - `reveals` (version 3): each identity shown, by whom, why and when.
//! - version 4: each case's row also keeps what the case list shows of it (days reported,
//!   the latest report's answers and flags), so the list reads one table.
//! - `notice_outbox` (version 5): access notices queued by reveals until the drop box
//!   stored them.
//! - `arrival_confirmations` (version 6): pre-registrations a checkpoint confirmed in
//!   person, imported from its signed register; each case's row keeps its confirmation.
//! - `audit_log`: the hash chain of [`crate::audit`]; rows are only ever inserted, and a
//!   trigger refuses updates and deletes (a database owner can drop the trigger: the signed
//!   checkpoints outside the database are what catch that).

use tokio_postgres::Client;

use crate::error::ConsoleError;

/// Migrations in order; entry `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6];

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

/// Version 3: recipient keys, ingested cases and reports, reveals.
const V3: &str = "
CREATE TABLE console_keys (
    name         text PRIMARY KEY CHECK (name IN ('health', 'identity', 'case-pseudonym')),
    public_key   text,
    sealed       bytea NOT NULL,
    imported_at  timestamptz NOT NULL
);

CREATE TABLE policies (
    policy_id  text NOT NULL,
    version    bigint NOT NULL,
    envelope   bytea NOT NULL,
    monitoring_days integer,
    PRIMARY KEY (policy_id, version)
);

CREATE TABLE cases (
    pseudonym        text PRIMARY KEY CHECK (pseudonym ~ '^[0-9a-f]{32}$'),
    policy_id        text NOT NULL,
    district         text NOT NULL CHECK (district ~ '^[0-9]{6}$'),
    monitoring_days  integer,
    first_date       date NOT NULL,
    last_date        date NOT NULL
);
CREATE INDEX cases_by_scope ON cases (policy_id, district);

CREATE TABLE case_reports (
    submission_id   text PRIMARY KEY CHECK (submission_id ~ '^[0-9a-f]{32}$'),
    pseudonym       text NOT NULL REFERENCES cases (pseudonym),
    policy_version  bigint NOT NULL,
    form            text NOT NULL,
    report_date     date NOT NULL,
    received_at     timestamptz NOT NULL,
    district        text NOT NULL,
    answers         text NOT NULL,
    fever           boolean NOT NULL,
    symptoms        boolean NOT NULL,
    unconfirmed     boolean NOT NULL,
    sealed_body     bytea NOT NULL
);
CREATE INDEX case_reports_by_case ON case_reports (pseudonym, report_date);

CREATE TABLE ingested (
    submission_id  text PRIMARY KEY,
    outcome        text NOT NULL CHECK (outcome IN ('case', 'cover', 'rejected')),
    problems       text,
    ingested_at    timestamptz NOT NULL
);

CREATE TABLE reveals (
    id           bigserial PRIMARY KEY,
    officer_id   bigint NOT NULL REFERENCES officers (id),
    pseudonym    text NOT NULL REFERENCES cases (pseudonym),
    reason       text NOT NULL,
    note         text NOT NULL,
    revealed_at  timestamptz NOT NULL
);
CREATE INDEX reveals_by_officer_and_time ON reveals (officer_id, revealed_at);
";

/// Version 4: what the case list shows of each case, kept on its row
/// ([`crate::case_summary`]), filled from the reports, and indexed in the list's order.
/// Its refresh is the one of version 4, kept here as it was: the refresh of
/// [`crate::case_summary`] reads tables of later versions.
const V4: &str = "ALTER TABLE cases
        ADD COLUMN days_reported integer NOT NULL DEFAULT 0,
        ADD COLUMN latest_answers text NOT NULL DEFAULT '{}',
        ADD COLUMN latest_fever boolean NOT NULL DEFAULT false,
        ADD COLUMN latest_symptoms boolean NOT NULL DEFAULT false,
        ADD COLUMN latest_unconfirmed boolean NOT NULL DEFAULT false;
UPDATE cases c SET
    first_date = s.first_date,
    last_date = s.last_date,
    district = s.district,
    days_reported = s.days_reported,
    latest_answers = s.answers,
    latest_fever = s.fever,
    latest_symptoms = s.symptoms,
    latest_unconfirmed = s.unconfirmed
FROM (
    SELECT r.pseudonym,
           min(r.report_date) AS first_date,
           max(r.report_date) AS last_date,
           count(DISTINCT r.report_date)::integer AS days_reported,
           (array_agg(r.district ORDER BY r.report_date DESC, r.received_at DESC))[1] AS district,
           (array_agg(r.answers ORDER BY r.report_date DESC, r.received_at DESC))[1] AS answers,
           (array_agg(r.fever ORDER BY r.report_date DESC, r.received_at DESC))[1] AS fever,
           (array_agg(r.symptoms ORDER BY r.report_date DESC, r.received_at DESC))[1] AS symptoms,
           (array_agg(r.unconfirmed ORDER BY r.report_date DESC, r.received_at DESC))[1] AS unconfirmed
    FROM case_reports r
    GROUP BY r.pseudonym
) s
WHERE c.pseudonym = s.pseudonym;
CREATE INDEX cases_by_urgency ON cases (district, latest_fever DESC, last_date DESC, pseudonym);
";

/// Version 5: the access-notice outbox ([`crate::notices`]): each sealed slot queued by a
/// reveal, until the drop box stored it (`posted_at`, and the sequence number it gave),
/// with its attempts and when it is tried next. No column names the person, the case or
/// the officer: the slot is sealed to the person's notice key.
const V5: &str = "
CREATE TABLE notice_outbox (
    id               bigserial PRIMARY KEY,
    slot             bytea NOT NULL CHECK (octet_length(slot) = 512),
    queued_at        timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    posted_at        timestamptz,
    seq              bigint
);
CREATE INDEX notice_outbox_pending ON notice_outbox (next_attempt_at) WHERE posted_at IS NULL;
";

/// Version 6: arrival confirmations ([`crate::confirmations`]), imported from a
/// checkpoint's signed register: per policy and case (the console's pseudonym, never the
/// device's), the county of the order the checkpoint issued and when. A case's row keeps
/// its confirmation, and `unconfirmed_intake` (was `latest_unconfirmed`, the latest
/// report's flag, which a daily report cleared) now says: some report of the case is open
/// intake and no checkpoint confirmed it.
const V6: &str = concat!(
    "CREATE TABLE arrival_confirmations (
    policy_id     text NOT NULL,
    pseudonym     text NOT NULL CHECK (pseudonym ~ '^[0-9a-f]{32}$'),
    district      text NOT NULL CHECK (district ~ '^[0-9]{6}$'),
    confirmed_at  timestamptz NOT NULL,
    imported_at   timestamptz NOT NULL,
    PRIMARY KEY (policy_id, pseudonym)
);
ALTER TABLE cases RENAME COLUMN latest_unconfirmed TO unconfirmed_intake;
ALTER TABLE cases
    ADD COLUMN confirmed_at timestamptz,
    ADD COLUMN confirmed_district text;
",
    refresh_cases_sql!("true"),
    ";\n"
);

/// Brings the console's tables up to [`CURRENT_VERSION`].
pub async fn migrate(client: &mut Client) -> Result<(), ConsoleError> {
    migrate_up_to(client, CURRENT_VERSION).await
}

/// Brings the console's tables up to `target` (at most [`CURRENT_VERSION`]): what the
/// migration tests use to build an older schema to migrate from.
pub async fn migrate_up_to(client: &mut Client, target: i32) -> Result<(), ConsoleError> {
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
            .filter(|_| found < target)
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
