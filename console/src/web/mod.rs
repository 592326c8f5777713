//! The console's web application: axum over HTTPS (rustls on ring, as the drop box),
//! server-rendered HTML without any script, on the console's PostgreSQL database.
//!
//! Routes: `/login` (password and TOTP), `/cases` (the officer's cases, pseudonymous),
//! `/cases/{pseudonym}` (one case), `/cases/{pseudonym}/reveal` (the reveal form, and the
//! identity shown once), `/reveals` (supervisors: reveals in their scope), `/audit`
//! (auditors: the audit log), `/aggregates` (supervisors: counts, small cells
//! suppressed, the only export), `/logout`, `/static/console.css`. Every page view and every
//! reveal is an audit entry; every response carries the security headers of
//! [`security`]; every form posted by a logged-in officer has its CSRF token checked
//! ([`viewer::Posted`]).

pub mod db_pool;
pub mod html;
mod pages;
pub mod security;
pub mod viewer;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use axum_server::Handle;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rustls::ServerConfig;
use tokio::task::JoinHandle;

use crate::error::ConsoleError;
use crate::kek::KeyEncryptionKey;
use db_pool::DbPool;

/// What every request shares.
pub struct ConsoleState {
    /// The console's database connections.
    pub db: DbPool,
    /// The key-encryption key.
    pub kek: KeyEncryptionKey,
    /// Reveals per officer per day.
    pub reveal_cap: u32,
    /// The office access notices name; `None` when the console posts no notices (no
    /// drop box configured).
    pub office: Option<crate::notices::Office>,
}

/// The routes, with the security headers on every response.
pub fn router(state: Arc<ConsoleState>) -> Router {
    Router::new()
        .route("/", get(pages::login::home))
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/logout", axum::routing::post(pages::login::logout))
        .route("/cases", get(pages::cases::list))
        .route("/cases/{pseudonym}", get(pages::cases::detail))
        .route(
            "/cases/{pseudonym}/reveal",
            get(pages::reveal::form).post(pages::reveal::submit),
        )
        .route("/reveals", get(pages::oversight::reveals))
        .route("/audit", get(pages::oversight::audit))
        .route("/aggregates", get(pages::aggregates::aggregates))
        .route("/static/console.css", get(pages::stylesheet))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(security::security_headers))
        .with_state(state)
}

/// A console serving in the current tokio runtime.
#[derive(Debug)]
pub struct RunningConsole {
    local_addr: SocketAddr,
    handle: Handle<SocketAddr>,
    server: JoinHandle<std::io::Result<()>>,
}

impl RunningConsole {
    /// The address it accepts connections on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits until the server stops.
    pub async fn wait(self) -> Result<(), ConsoleError> {
        match self.server.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(ConsoleError::Io(error.to_string())),
            Err(error) => Err(ConsoleError::Io(error.to_string())),
        }
    }

    /// Stops accepting connections and lets requests in flight finish.
    pub async fn shutdown(self) -> Result<(), ConsoleError> {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(5)));
        self.wait().await
    }
}

/// Serves the console on `listener` (which must be a loopback address) with `tls`.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    state: ConsoleState,
) -> Result<RunningConsole, ConsoleError> {
    let local_addr = listener
        .local_addr()
        .map_err(|error| ConsoleError::Io(error.to_string()))?;
    if !local_addr.ip().is_loopback() {
        return Err(ConsoleError::Invalid(format!(
            "the console listens on loopback only (127.0.0.1 or ::1), not {local_addr}"
        )));
    }
    listener
        .set_nonblocking(true)
        .map_err(|error| ConsoleError::Io(error.to_string()))?;
    let app = router(Arc::new(state));
    let handle = Handle::new();
    let server = axum_server::from_tcp(listener)
        .map_err(|error| ConsoleError::Io(error.to_string()))?
        .acceptor(RustlsAcceptor::new(RustlsConfig::from_config(tls)))
        .handle(handle.clone());
    let server = tokio::spawn(async move { server.serve(app.into_make_service()).await });
    if handle.listening().await.is_none() {
        return Err(match server.await {
            Ok(Err(error)) => ConsoleError::Io(error.to_string()),
            _ => ConsoleError::Io("the console did not start".into()),
        });
    }
    Ok(RunningConsole {
        local_addr,
        handle,
        server,
    })
}
