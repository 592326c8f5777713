//! What the measurement programs `sync_peak_memory` and `dropbox_load` share: the real
//! `selfreport-endpoint serve` as a separate process on 127.0.0.1 (so its memory and CPU
//! are its own), serving the example daily-report policy re-pointed at it, and readings
//! of `/proc/<pid>/status` and `/proc/<pid>/stat`.

// Each program uses part of this module.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use selfreport_core::crypto::SigningKey;
use selfreport_core::policy::{TrustAnchor, TrustAnchors, sign_policy};
use selfreport_endpoint::keyfile::write_signing_key;
use selfreport_endpoint::recipient_key::RecipientKeyPair;
use selfreport_tests::pki::TestPki;
use selfreport_tests::{DAILY_REPORT_POLICY, binary, current_policy};
use tempfile::TempDir;

/// A drop box process (or several on one PostgreSQL database) and what a client needs
/// to reach it.
pub struct DropBoxProcess {
    /// Keys, certificates, the policy, the database and the access log.
    pub dir: TempDir,
    children: Vec<Child>,
    /// `https://127.0.0.1:PORT/v1` of the first process.
    pub endpoint_url: String,
    /// The endpoint URL of each process, the first one's first.
    pub endpoint_urls: Vec<String>,
    /// The signed policy it serves.
    pub envelope: Vec<u8>,
    /// The authority's public key, as a device trusts it.
    pub trust_anchors: TrustAnchors,
    /// The same key, standard base64.
    pub authority_public_key: String,
    /// The test CA, DER, for clients to trust.
    pub ca_der: Vec<u8>,
    /// The policy id.
    pub policy_id: String,
    /// The drop box database: what `--db` was given.
    pub db: String,
}

impl DropBoxProcess {
    /// Starts `selfreport-endpoint serve` (the build beside this executable) on a free
    /// loopback port with the example daily-report policy and a SQLite database, writing
    /// its access log to a file, and waits until it listens.
    pub fn start() -> Self {
        Self::start_on(None, 1)
    }

    /// As [`DropBoxProcess::start`], storing into `database` (a `postgres://` URL; `None`:
    /// a SQLite file in the temporary directory), with `processes` processes sharing it,
    /// each on a port of its own (the policy names the first one's; only its path matters
    /// to a drop box).
    pub fn start_on(database: Option<&str>, processes: usize) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let pki = TestPki::new();
        let files = pki.write(&dir.path().join("tls"));
        let authority = SigningKey::generate().expect("signing key");
        let receipt_key = SigningKey::generate().expect("receipt key");
        let receipt_key_path = dir.path().join("receipt.key");
        write_signing_key(&receipt_key_path, &receipt_key).expect("receipt key file");

        // The port must be in the policy before the drop box reads it: take a free one.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let url = format!("https://127.0.0.1:{port}/v1");
        let mut policy: serde_json::Value =
            serde_json::from_str(&current_policy(DAILY_REPORT_POLICY)).expect("policy");
        policy["endpoint"]["url"] = url.clone().into();
        policy["endpoint"]["spki_sha256"] = serde_json::json!([pki.spki_pin]);
        policy["endpoint"]["receipt_key"] = receipt_key.public_key_base64().into();
        for recipient in ["health", "identity"] {
            let key = RecipientKeyPair::generate().expect("recipient key");
            policy["recipients"][recipient]["public_key"] = key.public_key_base64().into();
        }
        let policy_id = policy["id"].as_str().expect("policy id").to_owned();
        let envelope = sign_policy(&authority, policy.to_string().as_bytes()).expect("signed");
        let policy_path = dir.path().join("policy.signed.json");
        std::fs::write(&policy_path, &envelope).expect("policy file");
        let trust_anchors = TrustAnchors::from(
            TrustAnchor::from_public_key_base64(&authority.public_key_base64()).expect("anchor"),
        );

        let db = database.map_or_else(
            || dir.path().join("dropbox.db").display().to_string(),
            str::to_owned,
        );
        let mut children = Vec::new();
        let mut endpoint_urls = Vec::new();
        for n in 0..processes.max(1) {
            // The first process takes the port the policy names; the others any free one.
            let listen = if n == 0 {
                format!("127.0.0.1:{port}")
            } else {
                "127.0.0.1:0".to_owned()
            };
            let log_path = dir.path().join(format!("access-{n}.log"));
            let log = std::fs::File::create(&log_path).expect("access log");
            let mut child = Command::new(binary("selfreport-endpoint"))
                .arg("serve")
                .args(["--listen", &listen])
                .args(["--db", &db])
                .arg("--tls-cert")
                .arg(&files.cert)
                .arg("--tls-key")
                .arg(&files.key)
                .arg("--receipt-key")
                .arg(&receipt_key_path)
                .arg("--policy")
                .arg(&policy_path)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::from(log))
                .spawn()
                .expect("start selfreport-endpoint");
            let (listening, listening_rx) = mpsc::channel();
            let stdout = child.stdout.take().expect("stdout");
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = line.strip_prefix("listening on https://") {
                        let _ = listening.send(addr.to_owned());
                    }
                }
            });
            match listening_rx.recv_timeout(Duration::from_secs(30)) {
                Ok(addr) => endpoint_urls.push(format!("https://{addr}/v1")),
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "selfreport-endpoint did not start listening on {listen}; its log:\n{}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
            }
            children.push(child);
        }
        Self {
            dir,
            children,
            endpoint_url: url,
            endpoint_urls,
            envelope,
            trust_anchors,
            authority_public_key: authority.public_key_base64(),
            ca_der: pki.ca_der,
            policy_id,
            db,
        }
    }

    /// The first drop box process's id.
    pub fn pid(&self) -> u32 {
        self.children[0].id()
    }

    /// Every drop box process's id.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// Submissions stored in the drop box database (call outside an async runtime).
    pub fn stored_submissions(&self) -> i64 {
        if self.db.starts_with("postgres") {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            return runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&self.db, tokio_postgres::NoTls)
                    .await
                    .expect("connect to the drop box database");
                tokio::spawn(connection);
                client
                    .query_one("SELECT count(*) FROM submissions", &[])
                    .await
                    .expect("count submissions")
                    .get(0)
            });
        }
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open drop box database");
        conn.query_row("SELECT count(*) FROM submissions", [], |row| row.get(0))
            .expect("count submissions")
    }
}

impl Drop for DropBoxProcess {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// CPU time (user + system) used so far by a PostgreSQL server and its backends: the
/// postmaster whose pid heads `data_dir/postmaster.pid`, and its children (other
/// clusters on the machine are not counted). Zero without a data directory.
pub fn postgres_cpu_time(data_dir: Option<&std::path::Path>) -> Duration {
    let Some(postmaster) = data_dir
        .and_then(|dir| std::fs::read_to_string(dir.join("postmaster.pid")).ok())
        .and_then(|text| text.lines().next()?.trim().parse::<u32>().ok())
    else {
        return Duration::ZERO;
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    let children: Duration = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| parent_of(*pid) == Some(postmaster))
        // A backend may end between the listing and the reading.
        .filter_map(try_cpu_time)
        .sum();
    children + try_cpu_time(postmaster).unwrap_or_default()
}

/// The parent process id of `pid`, from `/proc/<pid>/stat`.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Creates a database with a random name on the PostgreSQL server of `server_url` (a
/// superuser's URL); returns the new database's URL.
pub fn new_postgres_database(server_url: &str) -> String {
    let name = format!(
        "load_{}",
        selfreport_core::sync::wire::hex(
            &selfreport_core::crypto::random_array::<8>().expect("random")
        )
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(server_url, tokio_postgres::NoTls)
            .await
            .expect("connect to the PostgreSQL server");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the load database");
    });
    let base = server_url.split('?').next().unwrap_or(server_url);
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    format!("{server}/{name}")
}

/// A `kB` field (`VmRSS`, `VmHWM`) of `/proc/<pid>/status`, in KiB; `pid` `None` is this
/// process.
pub fn status_kib(pid: Option<u32>, field: &str) -> u64 {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(&path).expect("read /proc status");
    status
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("no {field} in {path}"))
}

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
pub fn cpu_time(pid: u32) -> Duration {
    try_cpu_time(pid).expect("read /proc stat")
}

/// [`cpu_time`], or `None` when the process is gone.
fn try_cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|index| fields.get(*index)?.parse::<u64>().ok())
        .sum();
    // Clock ticks are 100 a second on Linux (USER_HZ).
    Some(Duration::from_millis(ticks * 10))
}

/// A distinct name per person (names take no digits): 测试 and the index in Chinese
/// numerals.
pub fn chinese_name(index: usize) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let digits: String = index
        .to_string()
        .bytes()
        .map(|digit| DIGITS[usize::from(digit - b'0')])
        .collect();
    format!("测试{digits}")
}
