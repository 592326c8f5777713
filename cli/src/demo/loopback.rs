//! The demo's network: drop boxes serving the certificate of a private test CA
//! (`DevelopmentPki`, as `selfreport-authority tls-cert` makes it), on 127.0.0.1, served in-process on loopback ports, their access logs
//! captured for the scan.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use selfreport_core::Clock;
use selfreport_core::policy::TrustAnchors;
use selfreport_endpoint::development_pki::DevelopmentPki;
use selfreport_endpoint::dropbox::{AccessLog, BackgroundDropBox, DropBox, server_config_from_pem};
use selfreport_endpoint::keyfile::read_signing_key;
use selfreport_endpoint::token_key::IssuerSecretKey;

use crate::failure::{EXIT_OTHER, Failure};

/// A loopback port reserved for a drop box: bound now, so its URL can go into the
/// policy before the drop box (which needs the signed policy) starts on it.
pub struct ReservedPort {
    listener: TcpListener,
    /// `https://127.0.0.1:PORT/v1`.
    pub url: String,
}

impl ReservedPort {
    /// Binds 127.0.0.1 on a free port.
    pub fn bind() -> Result<Self, Failure> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|error| Failure::io("cannot listen on 127.0.0.1", &error))?;
        let address = listener
            .local_addr()
            .map_err(|error| Failure::io("cannot read the listening address", &error))?;
        Ok(Self {
            listener,
            url: format!("https://{address}/v1"),
        })
    }
}

/// The access log lines of every drop box, as they were written.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<String>>>);

impl CapturedLog {
    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|lines| lines.clone()).unwrap_or_default()
    }

    fn access_log(&self) -> AccessLog {
        let lines = self.0.clone();
        AccessLog::to(move |line| {
            if let Ok(mut lines) = lines.lock() {
                lines.push(line.to_owned());
            }
        })
    }
}

/// A drop box serving one policy from this process.
pub struct RunningDropBox {
    /// The policy it serves.
    pub policy_id: String,
    /// Its endpoint URL.
    pub url: String,
    /// Its database.
    pub db: PathBuf,
    server: BackgroundDropBox,
}

/// What every demo drop box shares: the TLS certificate, the receipt key, the clock
/// and the captured access log.
pub struct Loopback {
    /// The test PKI.
    pub pki: DevelopmentPki,
    /// The access log of every drop box.
    pub log: CapturedLog,
    receipt_key: PathBuf,
    clock: Arc<dyn Clock>,
}

impl Loopback {
    /// Drop boxes serving `pki`'s certificate, signing receipts with the key in
    /// `receipt_key`, timing receipts by `clock`.
    pub fn new(pki: DevelopmentPki, receipt_key: &Path, clock: Arc<dyn Clock>) -> Self {
        Self {
            pki,
            log: CapturedLog::default(),
            receipt_key: receipt_key.to_path_buf(),
            clock,
        }
    }

    /// Starts a drop box for the signed policy in `envelope` on `port`, storing into
    /// `db`, issuing upload tokens with `token_keys` against orders verified under
    /// `trust` (the commission's key).
    pub fn start(
        &self,
        policy_id: &str,
        envelope: &[u8],
        db: PathBuf,
        port: ReservedPort,
        token_keys: Vec<IssuerSecretKey>,
        trust: TrustAnchors,
    ) -> Result<RunningDropBox, Failure> {
        let key = read_signing_key(&self.receipt_key)
            .map_err(|error| Failure::new(error.code(), error.to_string(), error.exit_code()))?;
        let tls = server_config_from_pem(
            self.pki.leaf_pem.as_bytes(),
            self.pki.leaf_key_pem.as_bytes(),
        )
        .map_err(drop_box_failure)?;
        let server = DropBox::new(envelope, key, &db)
            .map_err(drop_box_failure)?
            .with_clock(self.clock.clone())
            .with_access_log(self.log.access_log())
            .with_token_keys(token_keys)
            .with_trust(trust)
            .start_in_background(port.listener, tls)
            .map_err(drop_box_failure)?;
        Ok(RunningDropBox {
            policy_id: policy_id.to_owned(),
            url: server.endpoint_url(),
            db,
            server,
        })
    }
}

impl RunningDropBox {
    /// Stops serving; the database is checkpointed and closed.
    pub fn stop(self) -> Result<(), Failure> {
        self.server.stop().map_err(drop_box_failure)
    }
}

fn drop_box_failure(error: selfreport_endpoint::dropbox::DropBoxError) -> Failure {
    Failure::new(
        error.code(),
        format!("the demo drop box failed: {error}"),
        EXIT_OTHER,
    )
}

/// The database files of a drop box: the database and, when present, its WAL and
/// shared-memory files.
pub fn database_files(db: &Path) -> Vec<PathBuf> {
    let name = db
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    vec![
        db.to_path_buf(),
        db.with_file_name(format!("{name}-wal")),
        db.with_file_name(format!("{name}-shm")),
    ]
}
