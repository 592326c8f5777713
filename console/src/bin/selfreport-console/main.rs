//! `selfreport-console`: the case console's administration commands (issue 16).
//!
//! `user add|disable|reset|list` manage accounts; `audit keygen|checkpoint|verify` anchor and
//! check the audit log; `keys import` seals the recipient keys into the console; `retention` deletes
//! what is past its policy's retention; `aggregates`
//! writes the only export (counts, small cells suppressed); `ingest`
//! brings the drop box's submissions in; `confirmations import` brings a checkpoint's
//! arrivals confirmed in person in; `serve` runs the web application. The database is named by `--db` or `SELFREPORT_CONSOLE_DB`; the
//! key-encryption key comes from `--kek-file` or `SELFREPORT_CONSOLE_KEK`. Errors are one
//! line on stderr, `error[Code]: message`; exit status 2 for usage, 3 for invalid input, 4
//! for a key problem, 5 when the audit log does not verify, ingest refused a submission or
//! a confirmation register did not verify,
//! 1 otherwise.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use clap::{Parser, Subcommand};
use selfreport_console::aggregates::{Format as AggregateFormat, export};
use selfreport_console::audit_log::{verify_log, write_checkpoint};
use selfreport_console::confirmations::import_confirmations;
use selfreport_console::error::ConsoleError;
use selfreport_console::ingest::ingest;
use selfreport_console::kek::{KEK_VARIABLE, KeyEncryptionKey};
use selfreport_console::officers::{
    Credentials, NewOfficer, Role, add_officer, disable_officer, officers, reset_officer,
};
use selfreport_console::recipient_keys::import_keys;
use selfreport_console::retention::{RetentionReport, retention};
use selfreport_console::reveal::DEFAULT_DAILY_CAP;
use selfreport_console::schema::migrate;
use selfreport_console::scope::Scope;
use selfreport_console::web::db_pool::DEFAULT_CONNECTIONS;
use selfreport_console::witness::{Witness, verify_with_witness};
use selfreport_core::crypto::signature::SigningKey;
use selfreport_endpoint::dropbox::{Database as DropBoxDatabase, postgres_connector};
use selfreport_endpoint::keyfile::{read_signing_key, write_public_key, write_signing_key};
use selfreport_endpoint::policy_file::PolicyFile;
use zeroize::Zeroizing;

/// Who the command line acts as in the audit log.
const ADMIN: &str = "admin";
/// The variable a new password may come from (scripts); otherwise it is asked twice.
const PASSWORD_VARIABLE: &str = "SELFREPORT_CONSOLE_PASSWORD";
/// The issuer authenticator apps show beside the account.
const TOTP_ISSUER: &str = "selfreport console";

/// The case console's administration: accounts and the audit log.
#[derive(Debug, Parser)]
#[command(name = "selfreport-console", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, clap::Args)]
struct Database {
    /// The console's PostgreSQL database (postgres://...); TLS is verified against the
    /// WebPKI roots and any --db-ca.
    #[arg(
        long,
        env = "SELFREPORT_CONSOLE_DB",
        value_name = "URL",
        hide_env_values = true
    )]
    db: String,
    /// A PEM CA certificate the database's TLS certificate may chain to; repeatable.
    #[arg(long = "db-ca", value_name = "FILE")]
    db_ca: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or upgrade the console's tables.
    Migrate {
        #[command(flatten)]
        database: Database,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Anchor and verify the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Serve the console's web application over HTTPS on a loopback address, until
    /// interrupted.
    Serve(Box<ServeArgs>),
    /// Manage the recipient keys the console opens submissions with.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Delete the reports past their policy's retention.server_days, and the cases left
    /// without a report (serve also does this when it starts and daily). Audited, counts
    /// only.
    Retention {
        #[command(flatten)]
        database: Database,
    },
    /// Write counts of cases by district, day and flag (reports, fever, symptoms,
    /// unconfirmed) to stdout, counts from 1 to 4 and their complements suppressed: the
    /// console's only export. Audited.
    Aggregates {
        #[command(flatten)]
        database: Database,
        /// The first report date (YYYY-MM-DD).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// The last report date (YYYY-MM-DD), at most 366 days after --from.
        #[arg(long)]
        to: chrono::NaiveDate,
        /// csv or json.
        #[arg(long, value_parser = parse_format, default_value = "csv")]
        format: AggregateFormat,
    },
    /// Open the drop box's new submissions (health part only), check each against its
    /// signed policy, and store them as pseudonymous cases. Exits 5 when one was refused.
    Ingest {
        #[command(flatten)]
        database: Database,
        /// The key-encryption key file (else SELFREPORT_CONSOLE_KEK).
        #[arg(long, value_name = "FILE")]
        kek_file: Option<PathBuf>,
        /// The drop box's database: a SQLite file or a postgres:// URL (only read).
        #[arg(long, value_name = "DB")]
        dropbox: String,
        /// A PEM CA certificate the drop box database's TLS certificate may chain to.
        #[arg(long = "dropbox-ca", value_name = "FILE")]
        dropbox_ca: Vec<PathBuf>,
        /// A signed policy the submissions are checked against; repeatable.
        #[arg(long = "policy", value_name = "FILE", required = true)]
        policies: Vec<PathBuf>,
        /// The policy-signing public key the policies must verify with.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
    /// Import a checkpoint's register of arrivals confirmed in person.
    #[command(subcommand)]
    Confirmations(ConfirmationsCommand),
}

#[derive(Debug, Subcommand)]
enum ConfirmationsCommand {
    /// Import the confirmations of one policy from a register `selfreport-authority
    /// confirm-arrival` wrote: every line verified with the policy's signer (one bad line
    /// refuses the register, nothing imported, exit 5), the new ones stored in one
    /// transaction; prints how many were new. Audited, counts only.
    Import {
        #[command(flatten)]
        database: Database,
        /// The key-encryption key file (else SELFREPORT_CONSOLE_KEK).
        #[arg(long, value_name = "FILE")]
        kek_file: Option<PathBuf>,
        /// The register (one selfreport.arrival-confirmation/1 line per confirmation).
        #[arg(long, value_name = "REGISTER")]
        file: PathBuf,
        /// The signed policy the confirmations are of.
        #[arg(long, value_name = "SIGNED.json")]
        policy: PathBuf,
        /// The policy-signing root's public key the policy must verify with.
        #[arg(long, value_name = "ROOT.pub")]
        trust: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    database: Database,
    /// The key-encryption key file (else SELFREPORT_CONSOLE_KEK).
    #[arg(long, value_name = "FILE")]
    kek_file: Option<PathBuf>,
    /// The loopback address to listen on (127.0.0.1:PORT or [::1]:PORT).
    #[arg(long, value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// The PEM certificate chain (leaf first).
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// The PEM private key.
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
    /// Identities each officer may reveal per day (UTC).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_DAILY_CAP)]
    reveal_cap: u32,
    /// Database connections at most (requests beyond wait for one).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONNECTIONS)]
    connections: usize,
    /// The drop box's endpoint URL (https://HOST:PORT/v1): each reveal's access notice is
    /// posted to its mailbox, signed with --audit-key (the drop box is given its public
    /// half with --console-key). Needs --office and --audit-key.
    #[arg(long, value_name = "URL", requires_all = ["office", "audit_key"])]
    dropbox_url: Option<String>,
    /// A PEM CA certificate the drop box's TLS certificate may chain to; repeatable.
    #[arg(long = "dropbox-ca", value_name = "FILE", requires = "dropbox_url")]
    dropbox_ca: Vec<PathBuf>,
    /// The office name access notices carry (1 to 96 bytes); required with --dropbox-url.
    #[arg(long, value_name = "NAME", requires = "dropbox_url")]
    office: Option<String>,
    /// The audit signing key (as for `audit checkpoint`), which signs the notices posted.
    #[arg(long, value_name = "FILE", requires = "dropbox_url")]
    audit_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Seal the authority's recipient key files into the console's database (replacing
    /// any imported before); the files can then be kept offline.
    Import {
        #[command(flatten)]
        database: Database,
        /// The key-encryption key file (else SELFREPORT_CONSOLE_KEK).
        #[arg(long, value_name = "FILE")]
        kek_file: Option<PathBuf>,
        /// The health recipient's key file (recipient-health.key).
        #[arg(long, value_name = "FILE")]
        health: PathBuf,
        /// The identity recipient's key file (recipient-identity.key).
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an account; prints its TOTP secret once (as an otpauth URI and in base32).
    ///
    /// The password is read from SELFREPORT_CONSOLE_PASSWORD, or asked twice.
    Add {
        #[command(flatten)]
        database: Database,
        /// The key-encryption key file (else SELFREPORT_CONSOLE_KEK).
        #[arg(long, value_name = "FILE")]
        kek_file: Option<PathBuf>,
        /// The login name (a-z 0-9 . _ -).
        #[arg(long)]
        username: String,
        /// officer, supervisor or auditor.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A GB/T 2260 region the account sees; repeatable.
        #[arg(long = "district", value_name = "CODE")]
        districts: Vec<String>,
        /// A policy id the account sees; repeatable.
        #[arg(long = "policy", value_name = "ID")]
        policies: Vec<String>,
    },
    /// Disable an account: it can no longer log in.
    Disable {
        #[command(flatten)]
        database: Database,
        /// The login name.
        #[arg(long)]
        username: String,
    },
    /// Give an account a new password and TOTP secret, and lift its lockout.
    Reset {
        #[command(flatten)]
        database: Database,
        /// The key-encryption key file (else SELFREPORT_CONSOLE_KEK).
        #[arg(long, value_name = "FILE")]
        kek_file: Option<PathBuf>,
        /// The login name.
        #[arg(long)]
        username: String,
    },
    /// List accounts (no secret is shown).
    List {
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Make the audit signing key: FILE (private, mode 0600; keep it off the database's
    /// host) and FILE.pub.
    Keygen {
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a checkpoint of the log as it stands and append it to the checkpoint file.
    Checkpoint {
        #[command(flatten)]
        database: Database,
        /// The audit signing key.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The checkpoint file (JSON lines, appended).
        #[arg(long, value_name = "FILE")]
        checkpoints: PathBuf,
        #[command(flatten)]
        witness: WitnessArgs,
    },
    /// Verify the log against its checkpoints: exits 5 when an entry was altered,
    /// removed or reordered, or its tail cut.
    Verify {
        #[command(flatten)]
        database: Database,
        /// The audit signing key's public half (FILE.pub).
        #[arg(long, value_name = "FILE")]
        public_key: PathBuf,
        /// The checkpoint file.
        #[arg(long, value_name = "FILE")]
        checkpoints: PathBuf,
        #[command(flatten)]
        witness: WitnessArgs,
    },
}

/// The drop box witnessing the audit log.
#[derive(Debug, Clone, clap::Args)]
struct WitnessArgs {
    /// The drop box's endpoint URL (https://HOST:PORT/v1), which keeps the checkpoints
    /// too (it must be given the audit key's public half with --console-key).
    #[arg(long, value_name = "URL")]
    witness: Option<String>,
    /// A PEM CA certificate the drop box's TLS certificate may chain to; repeatable.
    #[arg(long = "dropbox-ca", value_name = "FILE", requires = "witness")]
    dropbox_ca: Vec<PathBuf>,
}

impl WitnessArgs {
    fn witness(&self) -> Result<Option<Witness>, ConsoleError> {
        self.witness
            .as_deref()
            .map(|url| Witness::new(url, &self.dropbox_ca))
            .transpose()
    }
}

fn parse_format(text: &str) -> Result<AggregateFormat, String> {
    match text {
        "csv" => Ok(AggregateFormat::Csv),
        "json" => Ok(AggregateFormat::Json),
        _ => Err("expected csv or json".to_owned()),
    }
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| "expected officer, supervisor or auditor".to_owned())
}

mod serve;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error[Runtime]: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(lines) => {
            for line in lines.iter() {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error[{}]: {error}", error.code());
            ExitCode::from(error.exit_code())
        }
    }
}

async fn run(command: Command) -> Result<Zeroizing<Vec<String>>, ConsoleError> {
    let mut out = Zeroizing::new(Vec::new());
    match command {
        Command::Migrate { database } => {
            connect(&database).await?;
            out.push("the console's tables are up to date".to_owned());
        }
        Command::User(UserCommand::Add {
            database,
            kek_file,
            username,
            role,
            districts,
            policies,
        }) => {
            let kek = kek(kek_file.as_deref())?;
            let password = new_password()?;
            let mut client = connect(&database).await?;
            let new = NewOfficer {
                username,
                role,
                districts,
                policies,
                password,
            };
            let credentials = add_officer(&mut client, &kek, new, ADMIN, Utc::now()).await?;
            show_credentials(&credentials, &mut out);
        }
        Command::User(UserCommand::Disable { database, username }) => {
            let mut client = connect(&database).await?;
            disable_officer(&mut client, &username, ADMIN, Utc::now()).await?;
            out.push(format!("{username} is disabled"));
        }
        Command::User(UserCommand::Reset {
            database,
            kek_file,
            username,
        }) => {
            let kek = kek(kek_file.as_deref())?;
            let password = new_password()?;
            let mut client = connect(&database).await?;
            let credentials =
                reset_officer(&mut client, &kek, &username, &password, ADMIN, Utc::now()).await?;
            show_credentials(&credentials, &mut out);
        }
        Command::User(UserCommand::List { database }) => {
            let client = connect(&database).await?;
            for officer in officers(&client).await? {
                let state = match (officer.disabled_at, officer.locked_until) {
                    (Some(_), _) => "disabled",
                    (None, Some(until)) if until > Utc::now() => "locked",
                    _ => "active",
                };
                out.push(format!(
                    "{}\t{}\t{}\tdistricts {}\tpolicies {}\t{state}",
                    officer.id,
                    officer.username,
                    officer.role.as_str(),
                    officer.districts.join(","),
                    officer.policies.join(","),
                ));
            }
        }
        Command::Audit(AuditCommand::Keygen { out: path }) => {
            let key = SigningKey::generate()
                .map_err(|_| ConsoleError::Io("the system random generator failed".into()))?;
            let public = public_path(&path);
            write_signing_key(&path, &key).map_err(authority_error)?;
            write_public_key(&public, &key).map_err(authority_error)?;
            out.push(key.key_id().to_owned());
        }
        Command::Audit(AuditCommand::Checkpoint {
            database,
            key,
            checkpoints,
            witness,
        }) => {
            let key = read_signing_key(&key).map_err(authority_error)?;
            let witness = witness.witness()?;
            let client = connect(&database).await?;
            let checkpoint = write_checkpoint(&client, &key, &checkpoints, Utc::now()).await?;
            out.push(format!(
                "checkpoint of {} entries, head {}",
                checkpoint.count, checkpoint.head
            ));
            if let Some(witness) = witness {
                witness.post(&checkpoint).await?;
                out.push("the drop box witnessed it".to_owned());
            }
        }
        Command::Audit(AuditCommand::Verify {
            database,
            public_key,
            checkpoints,
            witness,
        }) => {
            let public_key = read_public_key(&public_key)?;
            let witness = witness.witness()?;
            let client = connect(&database).await?;
            let verified = verify_log(&client, &checkpoints, &public_key).await?;
            out.push(format!(
                "the audit log verifies: {} entries, {} checkpoints, {} entries after the last",
                verified.entries, verified.checkpoints, verified.unanchored
            ));
            if let Some(witness) = witness {
                let witnessed = verify_with_witness(&client, &witness, &public_key).await?;
                out.push(format!(
                    "the drop box's {} witnessed checkpoints agree",
                    witnessed.checkpoints
                ));
            }
        }
        Command::Serve(args) => serve::serve(*args).await?,
        Command::Retention { database } => {
            let mut client = connect(&database).await?;
            let report = retention(&mut client, Utc::now()).await?;
            out.push(retention_line(&report));
        }
        Command::Aggregates {
            database,
            from,
            to,
            format,
        } => {
            let mut client = connect(&database).await?;
            let policies: Vec<String> = client
                .query("SELECT DISTINCT policy_id FROM policies", &[])
                .await?
                .iter()
                .map(|row| row.get(0))
                .collect();
            let scope = Scope::all_districts(policies);
            let (_, rendered) =
                export(&mut client, &scope, ADMIN, (from, to), format, Utc::now()).await?;
            out.push(rendered.trim_end().to_owned());
        }
        Command::Keys(KeysCommand::Import {
            database,
            kek_file,
            health,
            identity,
        }) => {
            let kek = kek(kek_file.as_deref())?;
            let mut client = connect(&database).await?;
            let (health, identity) =
                import_keys(&mut client, &kek, &health, &identity, ADMIN, Utc::now()).await?;
            out.push(format!("imported the health key {health}"));
            out.push(format!("imported the identity key {identity}"));
        }
        Command::Confirmations(ConfirmationsCommand::Import {
            database,
            kek_file,
            file,
            policy,
            trust,
        }) => {
            let kek = kek(kek_file.as_deref())?;
            let policy = PolicyFile::read(&policy, Some(&trust), Utc::now().date_naive())
                .map_err(authority_error)?;
            let mut client = connect(&database).await?;
            let import =
                import_confirmations(&mut client, &kek, &file, &policy, ADMIN, Utc::now()).await?;
            out.push(format!(
                "imported {} new confirmation(s) of {}; {} read, {} under other policies",
                import.new,
                policy.document().id,
                import.read,
                import.other_policy
            ));
        }
        Command::Ingest {
            database,
            kek_file,
            dropbox,
            dropbox_ca,
            policies,
            trust,
        } => {
            let kek = kek(kek_file.as_deref())?;
            let mut dropbox = DropBoxDatabase::parse(&dropbox)
                .map_err(|error| ConsoleError::Invalid(error.to_string()))?;
            if let DropBoxDatabase::Postgres(config) = &mut dropbox {
                for ca in dropbox_ca {
                    *config = config.clone().with_ca_file(ca);
                }
            }
            let today = Utc::now().date_naive();
            let policies = policies
                .iter()
                .map(|path| PolicyFile::read(path, trust.as_deref(), today))
                .collect::<Result<Vec<_>, _>>()
                .map_err(authority_error)?;
            let mut client = connect(&database).await?;
            let report = ingest(&mut client, &kek, &dropbox, &policies, Utc::now()).await?;
            out.push(format!(
                "ingested {} report(s); dropped {} cover submission(s); {} refused; {} seen before; {} under other policies",
                report.stored,
                report.cover,
                report.refused.len(),
                report.already,
                report.other_policy
            ));
            if report.deleted.reports > 0 {
                out.push(format!(
                    "deleted {} report(s) the drop box no longer holds, and {} case(s) left without a report",
                    report.deleted.reports, report.deleted.cases
                ));
            }
            if !report.refused.is_empty() {
                // The summary still goes out: what was stored stays stored.
                for line in out.iter() {
                    println!("{line}");
                }
                return Err(ConsoleError::Refused(
                    report
                        .refused
                        .iter()
                        .map(|refusal| {
                            format!("submission {}: {}", refusal.submission_id, refusal.problems)
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                ));
            }
        }
    }
    Ok(out)
}

fn retention_line(report: &RetentionReport) -> String {
    format!(
        "retention: deleted {} report(s) past their policy's server_days, and {} case(s) left without a report",
        report.deleted.reports, report.deleted.cases
    )
}

fn show_credentials(credentials: &Credentials, out: &mut Vec<String>) {
    out.push(format!(
        "account {} ({}), officer number {}",
        credentials.officer.username,
        credentials.officer.role.as_str(),
        credentials.officer.id
    ));
    out.push(
        credentials
            .totp
            .otpauth_uri(TOTP_ISSUER, &credentials.officer.username)
            .to_string(),
    );
    out.push(format!(
        "TOTP secret (base32, shown once): {}",
        credentials.totp.base32().as_str()
    ));
}

/// Connects to the console's database and brings its tables up to date.
async fn connect(database: &Database) -> Result<tokio_postgres::Client, ConsoleError> {
    let mut client = open_connection(database).await?;
    migrate(&mut client).await?;
    Ok(client)
}

/// A new connection to the console's database.
async fn open_connection(database: &Database) -> Result<tokio_postgres::Client, ConsoleError> {
    let connector = postgres_connector(&database.db_ca)
        .map_err(|error| ConsoleError::Database(error.to_string()))?;
    let (client, connection) = tokio_postgres::connect(&database.db, connector).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            eprintln!("the database connection ended: {error}");
        }
    });
    Ok(client)
}

fn kek(file: Option<&Path>) -> Result<KeyEncryptionKey, ConsoleError> {
    match file {
        Some(path) => Ok(KeyEncryptionKey::from_file(path)?),
        None => KeyEncryptionKey::from_environment()
            .ok_or_else(|| {
                ConsoleError::Invalid(format!(
                    "no key-encryption key: give --kek-file FILE or set {KEK_VARIABLE}"
                ))
            })?
            .map_err(ConsoleError::from),
    }
}

fn new_password() -> Result<Zeroizing<String>, ConsoleError> {
    if let Ok(password) = std::env::var(PASSWORD_VARIABLE) {
        return Ok(Zeroizing::new(password));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|error| ConsoleError::Io(format!("cannot read the password: {error}")))
    };
    let first = ask("New password: ")?;
    let second = ask("Again: ")?;
    if *first != *second {
        return Err(ConsoleError::Invalid("the two passwords differ".into()));
    }
    Ok(first)
}

fn public_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn read_public_key(path: &Path) -> Result<[u8; 32], ConsoleError> {
    let malformed =
        || ConsoleError::Invalid(format!("{} is not a public key file", path.display()));
    let text = std::fs::read_to_string(path)
        .map_err(|error| ConsoleError::Io(format!("cannot read {}: {error}", path.display())))?;
    let bytes = STANDARD.decode(text.trim()).map_err(|_| malformed())?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| malformed())
}

fn authority_error(error: selfreport_endpoint::AuthorityError) -> ConsoleError {
    match error.exit_code() {
        3 => ConsoleError::Invalid(error.to_string()),
        _ => ConsoleError::Io(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVE: [&str; 10] = [
        "selfreport-console",
        "serve",
        "--db",
        "postgres://u@127.0.0.1/c",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "c.pem",
        "--tls-key",
        "k.pem",
    ];

    fn serve_with(extra: &[&str]) -> Result<ServeArgs, clap::Error> {
        let args: Vec<&str> = SERVE.iter().chain(extra).copied().collect();
        match Cli::try_parse_from(args)?.command {
            Command::Serve(args) => Ok(*args),
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn posting_notices_needs_the_drop_box_the_office_and_the_audit_key_together() {
        let args = serve_with(&[]).unwrap();
        assert_eq!(
            (args.dropbox_url, args.office, args.audit_key),
            (None, None, None)
        );
        let args = serve_with(&[
            "--dropbox-url",
            "https://127.0.0.1:8443/v1",
            "--dropbox-ca",
            "ca.pem",
            "--office",
            "Wuchang CDC",
            "--audit-key",
            "audit.key",
        ])
        .unwrap();
        assert_eq!(args.office.as_deref(), Some("Wuchang CDC"));
        assert_eq!(args.dropbox_ca, [PathBuf::from("ca.pem")]);
        for missing in [
            &["--dropbox-url", "https://h/v1", "--office", "O"][..],
            &["--dropbox-url", "https://h/v1", "--audit-key", "k"],
            &["--office", "O"],
            &["--audit-key", "k", "--office", "O"],
        ] {
            assert!(serve_with(missing).is_err(), "{missing:?}");
        }
    }
}
