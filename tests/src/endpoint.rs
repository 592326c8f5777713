//! The real drop box, `selfreport-endpoint serve`, as a child process: started, waited
//! for (its `listening on https://ADDR` line), killed and restarted; its stderr (the
//! access log) kept for the canary scan.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::binary;

/// How long the drop box may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// What `serve` is given.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// `--db`.
    pub db: PathBuf,
    /// `--tls-cert`.
    pub cert: PathBuf,
    /// `--tls-key`.
    pub key: PathBuf,
    /// `--receipt-key`.
    pub receipt_key: PathBuf,
    /// `--policy`.
    pub policy: PathBuf,
    /// `--revocations`, when the drop box relays a revocation list.
    pub revocations: Option<PathBuf>,
    /// `--trust`, the policy's root public key, when the drop box takes typed enrollment
    /// codes.
    pub trust: Option<PathBuf>,
    /// `--token-key`, each upload token issuer key the drop box signs with (the
    /// policy's `endpoint.token_keys`); empty under a policy without tokens.
    pub token_keys: Vec<PathBuf>,
}

/// A running `selfreport-endpoint serve`; killed on drop.
pub struct EndpointProcess {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_thread: Option<std::thread::JoinHandle<()>>,
}

impl EndpointProcess {
    /// Starts the drop box listening on `listen` (`127.0.0.1:0` for any port) and waits
    /// until it accepts connections.
    pub fn start(config: &EndpointConfig, listen: &str) -> Self {
        let program = binary("selfreport-endpoint");
        let mut child = Command::new(&program)
            .arg("serve")
            .args(["--listen", listen])
            .arg("--db")
            .arg(&config.db)
            .arg("--tls-cert")
            .arg(&config.cert)
            .arg("--tls-key")
            .arg(&config.key)
            .arg("--receipt-key")
            .arg(&config.receipt_key)
            .arg("--policy")
            .arg(&config.policy)
            .args(
                config
                    .revocations
                    .iter()
                    .flat_map(|path| [std::ffi::OsStr::new("--revocations"), path.as_os_str()]),
            )
            .args(
                config
                    .trust
                    .iter()
                    .flat_map(|path| [std::ffi::OsStr::new("--trust"), path.as_os_str()]),
            )
            .args(
                config
                    .token_keys
                    .iter()
                    .flat_map(|path| [std::ffi::OsStr::new("--token-key"), path.as_os_str()]),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_thread = child.stderr.take().map(|mut pipe| {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(read) = pipe.read(&mut chunk) {
                    if read == 0 {
                        break;
                    }
                    if let Ok(mut sink) = sink.lock() {
                        sink.extend_from_slice(&chunk[..read]);
                    }
                }
            })
        });
        let (listening, listening_rx) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = line.strip_prefix("listening on https://") {
                        let _ = listening.send(addr.trim().to_owned());
                    }
                }
            });
        }
        let mut process = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
            stderr_thread,
        };
        match listening_rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => {
                process.addr = addr
                    .parse()
                    .unwrap_or_else(|error| panic!("listening address {addr}: {error}"));
            }
            Err(_) => {
                process.kill();
                panic!(
                    "selfreport-endpoint did not start listening; stderr:\n{}",
                    process.log()
                );
            }
        }
        process
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything it wrote to stderr so far: its access log.
    pub fn log(&self) -> String {
        let bytes = self
            .stderr
            .lock()
            .map(|bytes| bytes.clone())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Kills it (SIGKILL: no graceful shutdown) and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(thread) = self.stderr_thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EndpointProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The database files of the drop box at `db`: the database, its WAL and shared memory.
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
