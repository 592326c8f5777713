//! The PostgreSQL schema and its versioned migrations.
//!
//! `dropbox_schema_version` records each migration applied. Opening a database applies
//! the missing ones in one transaction, under an advisory lock, so several drop box
//! processes starting together migrate it once; a database newer than this drop box is
//! refused.
//!
//! Version 1: `submissions`, partitioned by `expiry_day` (the UTC day a submission's
//! retention ends: its received day plus the retention days). Retention drops whole
//! partitions. A unique index must contain the partition key, so idempotency by
//! submission id is not an index: every insert takes a transaction-scoped advisory lock
//! on its id and looks the id up across partitions (see the store). The primary key
//! `(id, expiry_day)` serves those lookups and still refuses a second copy within one
//! partition. There is no column naming a client, a batch or an order of arrival.
//!
//! Version 2: the disk quota's counts (see the `quota` module): `dropbox_quota`, bytes
//! stored per quota slot (slot -1: what was stored before, filled from the rows already
//! there; slots 0 to 15), and `dropbox_usage`, the same bytes per expiry day and slot,
//! so dropping a partition gives its bytes back. Neither names a submission, a client or
//! a batch.
//!
//! Version 3: the access-notice mailbox, `notices`: each sealed slot, its SHA-256 (unique,
//! so a resend finds its row), its posted day and expiry, and a sequence number from an
//! identity (never reused). Inserting transactions take a lock on the table that only
//! they conflict on, so numbers become visible in the order they were given (see
//! `notices`). And the audit log's witness, `audit_checkpoints`: each checkpoint of the
//! case console's audit log accepted, append-only (a trigger refuses updates, deletes and
//! truncation).
//!
//! Version 4: upload tokens, `token_issuance` and `spent_tokens` (see the `tokens`
//! module): hashes and days only.
//! Version 5: typed enrollment codes, `enrollment_codes`: the SHA-256 of each code
//! registered (never the code), the signed order it stands for, the order's SHA-256
//! (unique: one live code per order) and its expiry (see `enrollment_codes`).
//! Version 6: `token_issuance.last_day`, the last day of each issuance row's order, so
//! the retention job forgets an enrollment's rows after its period (the rows there get
//! none; see the `tokens` module).

use tokio_postgres::GenericClient;

/// The schema version this drop box writes.
pub(crate) const SCHEMA_VERSION: i32 = 6;

/// Advisory lock key held while migrating (`'selfreport-schema'`, arbitrary but fixed).
const MIGRATION_LOCK: i64 = 0x5345_4c46_5343_4845;

/// Each migration, in order: version `n` is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE submissions (
    id             text   NOT NULL,
    policy_id      text   NOT NULL,
    policy_version bigint NOT NULL,
    body           bytea  NOT NULL,
    body_sha256    text   NOT NULL,
    deletion_hash  text   NOT NULL,
    received_at    text   NOT NULL,
    expires_at     bigint NOT NULL,
    expiry_day     date   NOT NULL,
    receipt        bytea  NOT NULL,
    PRIMARY KEY (id, expiry_day)
) PARTITION BY RANGE (expiry_day);
",
    "
CREATE TABLE dropbox_quota (
    slot  smallint PRIMARY KEY,
    bytes bigint   NOT NULL
);
CREATE TABLE dropbox_usage (
    expiry_day date     NOT NULL,
    slot       smallint NOT NULL,
    bytes      bigint   NOT NULL,
    PRIMARY KEY (expiry_day, slot)
);
INSERT INTO dropbox_quota (slot, bytes) SELECT slot, 0 FROM generate_series(-1, 15) AS slot;
INSERT INTO dropbox_usage (expiry_day, slot, bytes)
    SELECT expiry_day, -1, sum(octet_length(body) + octet_length(receipt))::bigint
    FROM submissions GROUP BY expiry_day;
UPDATE dropbox_quota SET bytes = (SELECT coalesce(sum(bytes), 0) FROM dropbox_usage)
    WHERE slot = -1;
",
    "
CREATE TABLE notices (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slot        bytea  NOT NULL CHECK (octet_length(slot) = 512),
    slot_sha256 text   NOT NULL UNIQUE,
    posted_day  date   NOT NULL,
    expires_at  bigint NOT NULL
);
CREATE INDEX notices_expires_at ON notices (expires_at);
CREATE TABLE audit_checkpoints (
    seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    count             bigint NOT NULL,
    checkpoint        bytea  NOT NULL,
    checkpoint_sha256 text   NOT NULL UNIQUE,
    received_at       text   NOT NULL
);
CREATE FUNCTION audit_checkpoints_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit checkpoints are append-only';
END;
$$;
CREATE TRIGGER audit_checkpoints_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_are_append_only();
",
    super::tokens::MIGRATION,
    "
CREATE TABLE enrollment_codes (
    code_hash    text   PRIMARY KEY,
    order_sha256 text   NOT NULL UNIQUE,
    signed_order bytea  NOT NULL,
    expires_at   bigint NOT NULL
);
CREATE INDEX enrollment_codes_expires_at ON enrollment_codes (expires_at);
",
    super::tokens::LAST_DAY_MIGRATION,
];

/// Why the schema could not be brought to [`SCHEMA_VERSION`].
#[derive(Debug)]
pub(crate) enum MigrationError {
    /// The database failed.
    Database(tokio_postgres::Error),
    /// The database has a newer schema than this drop box knows.
    Newer(i32),
}

impl From<tokio_postgres::Error> for MigrationError {
    fn from(error: tokio_postgres::Error) -> Self {
        MigrationError::Database(error)
    }
}

impl std::fmt::Display for MigrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MigrationError::Database(error) => write!(f, "{}", super::describe(error)),
            MigrationError::Newer(version) => write!(
                f,
                "the database has schema version {version}, newer than this drop box ({SCHEMA_VERSION})"
            ),
        }
    }
}

/// Brings the schema to [`SCHEMA_VERSION`]; returns the version found before.
pub(crate) async fn migrate(client: &mut tokio_postgres::Client) -> Result<i32, MigrationError> {
    migrate_to(client, SCHEMA_VERSION).await
}

/// Brings the schema to `target` (tests stop at earlier versions with it).
pub(crate) async fn migrate_to(
    client: &mut tokio_postgres::Client,
    target: i32,
) -> Result<i32, MigrationError> {
    let transaction = client.transaction().await?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS dropbox_schema_version (
                 version    integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let found = current_version(&transaction).await?;
    if found > SCHEMA_VERSION {
        return Err(MigrationError::Newer(found));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate() {
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        if version <= found || version > target {
            continue;
        }
        transaction.batch_execute(migration).await?;
        transaction
            .execute(
                "INSERT INTO dropbox_schema_version (version) VALUES ($1)",
                &[&version],
            )
            .await?;
    }
    transaction.commit().await?;
    Ok(found)
}

/// The highest migration applied (0 for none).
pub(crate) async fn current_version(
    client: &impl GenericClient,
) -> Result<i32, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM dropbox_schema_version",
            &[],
        )
        .await?;
    row.try_get(0)
}
