//! `selfreport-console serve`: the web application, with its access-notice poster and
//! its daily retention run.

use chrono::Utc;
use selfreport_console::error::ConsoleError;
use selfreport_console::notice_poster::NoticePoster;
use selfreport_console::notices::Office;
use selfreport_console::retention::retention;
use selfreport_console::web::db_pool::DbPool;
use selfreport_console::web::{self, ConsoleState};
use selfreport_endpoint::dropbox::server_config_from_pem_files;
use selfreport_endpoint::keyfile::read_signing_key;

use super::{ServeArgs, authority_error, connect, kek, open_connection, retention_line};

/// Serves until interrupted; requests in flight then finish.
pub(super) async fn serve(args: ServeArgs) -> Result<(), ConsoleError> {
    if !args.listen.ip().is_loopback() {
        return Err(ConsoleError::Invalid(format!(
            "--listen {}: the console listens on loopback only (127.0.0.1 or [::1])",
            args.listen
        )));
    }
    let kek = kek(args.kek_file.as_deref())?;
    let tls = server_config_from_pem_files(&args.tls_cert, &args.tls_key)
        .map_err(|error| ConsoleError::Invalid(error.to_string()))?;
    // Tables up to date before serving.
    connect(&args.database).await?;
    let database = args.database.clone();
    let pool = DbPool::new(
        args.connections,
        Box::new(move || {
            let database = database.clone();
            Box::pin(async move { open_connection(&database).await })
        }),
    );
    let listener = std::net::TcpListener::bind(args.listen)
        .map_err(|error| ConsoleError::Io(format!("cannot listen on {}: {error}", args.listen)))?;
    let notices = match (&args.dropbox_url, &args.office, &args.audit_key) {
        (Some(url), Some(office), Some(audit_key)) => {
            let key = read_signing_key(audit_key).map_err(authority_error)?;
            Some((
                Office::new(office)?,
                NoticePoster::new(url, &args.dropbox_ca, key)?,
            ))
        }
        // clap holds the three together.
        _ => None,
    };
    let state = ConsoleState {
        db: pool,
        kek,
        reveal_cap: args.reveal_cap,
        office: notices.as_ref().map(|(office, _)| office.clone()),
    };
    let running = web::serve(listener, tls, state).await?;
    if let Some((_, poster)) = notices {
        let database = args.database.clone();
        tokio::spawn(poster.run(move || {
            let database = database.clone();
            async move { open_connection(&database).await }
        }));
    }
    // Retention now, then daily while serving.
    let database = args.database.clone();
    tokio::spawn(async move {
        loop {
            match open_connection(&database).await {
                Ok(mut client) => match retention(&mut client, Utc::now()).await {
                    Ok(report) => eprintln!("{}", retention_line(&report)),
                    Err(error) => eprintln!("retention failed: error[{}]", error.code()),
                },
                Err(error) => eprintln!("retention failed: error[{}]", error.code()),
            }
            tokio::time::sleep(RETENTION_EVERY).await;
        }
    });
    println!("the console listens on https://{}", running.local_addr());
    // Runs until interrupted; then requests in flight finish.
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await
}

/// How often `serve` runs retention.
const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
