//! `selfreport-endpoint`: the reference drop box.
//!
//! `serve` receives sealed submissions over HTTPS, stores ciphertext only (in a SQLite
//! file, or a PostgreSQL database several processes share), answers with signed
//! receipts, deletes on the device's token and forgets at retention end. `migrate` moves
//! a SQLite drop box into PostgreSQL, kept receipts included. It prints
//! `listening on https://ADDR` on stdout once it accepts connections, writes one access
//! log line per request to stderr (never bodies, tokens, ids or client addresses), and
//! shuts down gracefully on SIGTERM or Ctrl-C. Errors are one line on stderr,
//! `error[Code]: message`, with exit status 2 for usage, 3 for invalid input, 1 otherwise.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::io::Write as _;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};
use selfreport_core::policy::{TrustAnchor, TrustAnchors};
use selfreport_endpoint::dropbox::{
    ConnectionLimits, DEFAULT_MAX_CONNECTIONS, DEFAULT_NOTICE_DAYS, DEFAULT_QUOTA_BYTES, Database,
    DropBox, DropBoxError, PostgresConfig, move_sqlite_to_postgres, server_config_from_pem_files,
};
use selfreport_endpoint::keyfile::{read_public_key, read_signing_key};
use selfreport_endpoint::policy_file::PolicyFile;
use selfreport_endpoint::token_key::IssuerSecretKey;

/// The selfreport reference drop box.
#[derive(Debug, Parser)]
#[command(name = "selfreport-endpoint", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the drop box over HTTPS.
    ///
    /// Routes live under the path of the policy's endpoint URL (for
    /// https://host/v1: POST /v1/submissions, DELETE /v1/submissions/{id},
    /// GET /v1/policy, GET and POST /v1/notices and /v1/audit-checkpoints, PUT
    /// /v1/enrollment-codes/{hash} and POST /v1/enrollment-codes/redeem).
    Serve(Box<ServeArgs>),
    /// Move a SQLite drop box into PostgreSQL, kept receipts included.
    ///
    /// Copies every stored submission as it is; running it again stores nothing twice.
    /// The SQLite file is only read. Stop the old drop box first.
    Migrate(MigrateArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (`0.0.0.0:8443`, `127.0.0.1:0` for any free port).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Where submissions are stored: a SQLite file (created if missing), or a
    /// PostgreSQL URL `postgres://user:password@host:port/dbname` (add
    /// `?sslmode=require` for TLS, the server's certificate always verified). Several
    /// drop box processes may share one PostgreSQL database.
    #[arg(
        long,
        value_name = "FILE|URL",
        env = "SELFREPORT_DROPBOX_DB",
        hide_env_values = true
    )]
    db: String,
    #[command(flatten)]
    postgres: PostgresArgs,
    /// The TLS certificate chain, PEM, leaf first.
    #[arg(long, value_name = "PEM")]
    tls_cert: PathBuf,
    /// The TLS private key, PEM.
    #[arg(long, value_name = "PEM")]
    tls_key: PathBuf,
    /// The receipt-signing key (receipt.key from `selfreport-authority keygen`); its
    /// public half must be the policy's endpoint.receipt_key.
    #[arg(long, value_name = "FILE")]
    receipt_key: PathBuf,
    /// The signed policy served at GET {endpoint}/policy and checked against.
    #[arg(long, value_name = "SIGNED.json")]
    policy: PathBuf,
    /// The policy's root's latest revocation list (`selfreport-authority revoke`), relayed
    /// at GET {endpoint}/revocations and re-read when the file is replaced.
    #[arg(long, value_name = "REVOCATIONS.json")]
    revocations: Option<PathBuf>,
    /// Days a submission is kept (default and maximum: the policy's retention.server_days).
    #[arg(long, value_name = "N")]
    retention_days: Option<u32>,
    /// Requests accepted per second from each client address (an IPv4 address or an IPv6
    /// /64); more get 429 (default: no limit).
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// Bytes the drop box may store (each submission's body and kept receipt, counted in
    /// the whole database: with PostgreSQL, across every process sharing it); past it a
    /// new submission gets 507 and nothing of it is stored. Default: 10 GiB.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_QUOTA_BYTES)]
    quota_bytes: u64,
    /// Open connections this process keeps at most; more are closed when accepted.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// The console's audit public key (FILE.pub from `selfreport-console audit keygen`):
    /// access notices posted to POST {endpoint}/notices, and audit checkpoints posted to
    /// POST {endpoint}/audit-checkpoints (the drop box witnesses them), must be signed with
    /// it. Without it those routes answer 404.
    #[arg(long, value_name = "FILE")]
    console_key: Option<PathBuf>,
    /// Days an access notice is kept after it was posted.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_NOTICE_DAYS)]
    notice_days: u32,
    /// An upload token issuer key (the PEM file `selfreport-authority token-key generate`
    /// wrote); repeatable. Each must be in the policy's endpoint.token_keys, and every key
    /// listed there that issues today or later must be given.
    #[arg(long = "token-key", value_name = "FILE")]
    token_keys: Vec<PathBuf>,
    /// The policy's root public key (signing.pub): with `enrolled` token keys, enrollment
    /// orders are verified under it at POST {endpoint}/tokens, as devices verify them; and
    /// it turns on typed enrollment codes (PUT {endpoint}/enrollment-codes/{hash} registers
    /// an order the policy's signer signed, POST {endpoint}/enrollment-codes/redeem gives it
    /// once; without it those routes answer 404). The served policy must verify under it.
    #[arg(long, value_name = "FILE")]
    trust: Option<PathBuf>,
    /// Seconds between runs of the retention job.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, hide = true)]
    retention_interval: u64,
}

/// PostgreSQL settings beside its URL.
#[derive(Debug, clap::Args)]
struct PostgresArgs {
    /// PEM CA certificates trusted for the database's TLS certificate, besides the
    /// WebPKI roots (PostgreSQL only).
    #[arg(long, value_name = "PEM")]
    db_ca: Vec<PathBuf>,
    /// Connections this process keeps to the database at most (PostgreSQL only).
    #[arg(long, value_name = "N", default_value_t = PostgresConfig::DEFAULT_POOL_SIZE)]
    db_pool: usize,
}

impl PostgresArgs {
    /// `text` as a database: a SQLite file, or PostgreSQL with these settings.
    fn database(&self, text: &str) -> Result<Database, DropBoxError> {
        Ok(match Database::parse(text)? {
            Database::Postgres(config) => Database::Postgres(self.configure(config)),
            other => other,
        })
    }

    fn configure(&self, config: PostgresConfig) -> PostgresConfig {
        self.db_ca
            .iter()
            .fold(config.with_pool_size(self.db_pool), |config, path| {
                config.with_ca_file(path)
            })
    }
}

#[derive(Debug, clap::Args)]
struct MigrateArgs {
    /// The SQLite drop box database to move.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// The PostgreSQL database to move it into, as for `serve --db`.
    #[arg(
        long,
        value_name = "URL",
        env = "SELFREPORT_DROPBOX_DB",
        hide_env_values = true
    )]
    to: String,
    #[command(flatten)]
    postgres: PostgresArgs,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let outcome = match cli.command {
        Command::Serve(args) => run(*args),
        Command::Migrate(args) => migrate(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error[{}]: {error}", error.code());
            ExitCode::from(error.exit_code())
        }
    }
}

fn run(args: ServeArgs) -> Result<(), DropBoxError> {
    let drop_box = configure(&args)?;
    let tls = server_config_from_pem_files(&args.tls_cert, &args.tls_key)?;
    let listener = TcpListener::bind(&args.listen).map_err(|source| DropBoxError::Listen {
        addr: args.listen.clone(),
        source,
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DropBoxError::Server)?;
    // The address goes to stdout only: stderr is the access log, which never names an
    // address (on loopback the server's and the clients' are the same).
    let serving = format!(
        "serving policy {} version {} under the path `{}`",
        drop_box.policy().id,
        drop_box.policy().version,
        drop_box.base_path()
    );
    runtime.block_on(async move {
        let running = drop_box.serve(listener, tls).await?;
        eprintln!("{serving}");
        {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "listening on https://{}", running.local_addr());
            let _ = stdout.flush();
        }
        let shutdown = running.shutdown_handle();
        tokio::spawn(async move {
            wait_for_signal().await;
            eprintln!("shutting down");
            shutdown.shutdown();
        });
        running.wait().await
    })
}

/// `migrate`: prints `moved N submission(s), M already there` on stdout, and as much for
/// the access notices, the audit checkpoints and the typed enrollment codes, if any.
fn migrate(args: MigrateArgs) -> Result<(), DropBoxError> {
    let Database::Postgres(to) = args.postgres.database(&args.to)? else {
        return Err(DropBoxError::DatabaseUrl {
            detail: "--to must be a postgres:// URL".to_owned(),
        });
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DropBoxError::Server)?;
    let report = runtime.block_on(move_sqlite_to_postgres(&args.from, &to))?;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "moved {} submission(s), {} already there",
        report.moved, report.already_there
    );
    if report.notices_moved + report.notices_already_there > 0 {
        let _ = writeln!(
            stdout,
            "moved {} access notice(s), {} already there",
            report.notices_moved, report.notices_already_there
        );
    }
    if report.checkpoints_moved + report.checkpoints_already_there > 0 {
        let _ = writeln!(
            stdout,
            "moved {} audit checkpoint(s), {} already there",
            report.checkpoints_moved, report.checkpoints_already_there
        );
    }
    if report.codes_moved + report.codes_already_there > 0 {
        let _ = writeln!(
            stdout,
            "moved {} enrollment code(s), {} already there",
            report.codes_moved, report.codes_already_there
        );
    }
    Ok(())
}

fn configure(args: &ServeArgs) -> Result<DropBox, DropBoxError> {
    let today = chrono::Utc::now().date_naive();
    let policy = PolicyFile::read(&args.policy, None, today)?;
    let receipt_key = read_signing_key(&args.receipt_key)?;
    let database = args.postgres.database(&args.db)?;
    let mut drop_box = DropBox::new(policy.envelope_bytes(), receipt_key, database)?
        .with_rate_limit(args.rate_limit)?
        .with_quota_bytes(args.quota_bytes)?
        .with_notice_days(args.notice_days)?
        .with_retention_interval(Duration::from_secs(args.retention_interval.max(1)));
    if let Some(days) = args.retention_days {
        drop_box = drop_box.with_retention_days(days)?;
    }
    drop_box = drop_box.with_connection_limits(ConnectionLimits {
        max_connections: args.max_connections,
        ..ConnectionLimits::default()
    });
    if let Some(path) = &args.revocations {
        drop_box = drop_box.with_revocations(path)?;
    }
    if let Some(path) = &args.console_key {
        drop_box = drop_box.with_console_key(read_public_key(path)?);
    }
    let token_keys = args
        .token_keys
        .iter()
        .map(|path| IssuerSecretKey::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    drop_box = drop_box.with_token_keys(token_keys);
    if let Some(path) = &args.trust {
        drop_box =
            drop_box.with_trust(TrustAnchors::from(TrustAnchor::new(read_public_key(path)?)));
    }
    Ok(drop_box)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            // Without a SIGTERM handler, Ctrl-C still works.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// Help and version go to stdout with status 0; any other parse failure is one line on
/// stderr with status 2.
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        _ => {
            let rendered = error.render().to_string();
            let message: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|line| !line.is_empty() && !line.starts_with("Usage:"))
                .collect();
            let message = message.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            eprintln!("error[Usage]: {message} (see --help)");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn serve_parses_with_its_documented_options() {
        let cli = Cli::try_parse_from([
            "selfreport-endpoint",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            "d.db",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--receipt-key",
            "receipt.key",
            "--policy",
            "p.json",
            "--retention-days",
            "7",
            "--rate-limit",
            "100",
            "--quota-bytes",
            "5000000",
            "--console-key",
            "audit.key.pub",
            "--notice-days",
            "14",
            "--token-key",
            "enrolled.pem",
            "--token-key",
            "open.pem",
            "--trust",
            "signing.pub",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.listen, "127.0.0.1:0");
        assert_eq!(args.db, "d.db");
        assert_eq!(args.postgres.db_pool, PostgresConfig::DEFAULT_POOL_SIZE);
        assert_eq!(args.retention_days, Some(7));
        assert_eq!(args.rate_limit, Some(100));
        assert_eq!(args.quota_bytes, 5_000_000);
        assert_eq!(args.retention_interval, 3600);
        assert_eq!(
            args.console_key.as_deref(),
            Some(Path::new("audit.key.pub"))
        );
        assert_eq!(args.notice_days, 14);
        assert_eq!(
            args.token_keys,
            [Path::new("enrolled.pem"), Path::new("open.pem")]
        );
        assert_eq!(args.trust.as_deref(), Some(Path::new("signing.pub")));
        assert!(Cli::try_parse_from(["selfreport-endpoint", "serve", "--listen", "x"]).is_err());
    }

    #[test]
    fn migrate_parses_and_wants_a_postgres_url() {
        let cli = Cli::try_parse_from([
            "selfreport-endpoint",
            "migrate",
            "--from",
            "dropbox.db",
            "--to",
            "postgres://u@127.0.0.1/d",
            "--db-ca",
            "ca.pem",
        ])
        .unwrap();
        let Command::Migrate(args) = cli.command else {
            panic!("not migrate")
        };
        assert_eq!(args.from, Path::new("dropbox.db"));
        assert_eq!(args.postgres.db_ca, [Path::new("ca.pem")]);
        let error = migrate(MigrateArgs {
            to: "other.db".to_owned(),
            ..args
        })
        .unwrap_err();
        assert_eq!(error.code(), "DatabaseUrl");
    }
}
