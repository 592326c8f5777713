//! What the measurement programs `sync_peak_memory` and `dropbox_load` share: the real
//! `selfreport-endpoint serve` as a separate process on 127.0.0.1 (so its memory and CPU
//! are its own), serving the example daily-report policy re-pointed at it, and readings
//! of `/proc/<pid>/status` and `/proc/<pid>/stat`.

// Each program uses part of this module.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
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

/// A drop box process and what a client needs to reach it.
pub struct DropBoxProcess {
    /// Keys, certificates, the policy, the database and the access log.
    pub dir: TempDir,
    child: Child,
    /// `https://127.0.0.1:PORT/v1`.
    pub endpoint_url: String,
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
    /// The drop box database.
    pub db: PathBuf,
}

impl DropBoxProcess {
    /// Starts `selfreport-endpoint serve` (the build beside this executable) on a free
    /// loopback port with the example daily-report policy, writing its access log to a
    /// file, and waits until it listens.
    pub fn start() -> Self {
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

        let db = dir.path().join("dropbox.db");
        let log = std::fs::File::create(dir.path().join("access.log")).expect("access log");
        let mut child = Command::new(binary("selfreport-endpoint"))
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(&db)
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
                if line.starts_with("listening on https://") {
                    let _ = listening.send(());
                }
            }
        });
        if listening_rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = child.kill();
            panic!(
                "selfreport-endpoint did not start listening on port {port}; its log:\n{}",
                std::fs::read_to_string(dir.path().join("access.log")).unwrap_or_default()
            );
        }
        Self {
            dir,
            child,
            endpoint_url: url,
            envelope,
            trust_anchors,
            authority_public_key: authority.public_key_base64(),
            ca_der: pki.ca_der,
            policy_id,
            db,
        }
    }

    /// The drop box's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Submissions stored in the drop box database.
    pub fn stored_submissions(&self) -> i64 {
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|index| fields.get(*index)?.parse::<u64>().ok())
        .sum();
    // Clock ticks are 100 a second on Linux (USER_HZ).
    Duration::from_millis(ticks * 10)
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
