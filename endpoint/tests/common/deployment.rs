//! The same drop box run as separate `selfreport-endpoint serve` processes, as a
//! deployment behind a load balancer runs it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use selfreport_core::policy::{PolicyDocument, parse_policy_document};
use tempfile::TempDir;

use crate::common::{Authority, Sealed, TestTls, random_hex_id, seal};

/// The same drop box (policy, receipt key, certificate) run as separate processes.
pub struct Deployment {
    pub authority: Authority,
    pub tls: TestTls,
    pub dir: TempDir,
    pub policy: PolicyDocument,
    pub policy_path: PathBuf,
}

impl Deployment {
    pub fn new() -> Self {
        let authority = Authority::new();
        let tls = TestTls::new();
        let dir = tempfile::tempdir().unwrap();
        // The host and port of the policy's URL do not matter to the drop box, only its
        // path; each process listens on a port of its own.
        let policy_json = authority.policy_json("https://127.0.0.1:1/v1");
        let policy_path = dir.path().join("policy.signed.json");
        std::fs::write(&policy_path, authority.sign(&policy_json)).unwrap();
        std::fs::write(dir.path().join("cert.pem"), &tls.cert_pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), &tls.key_pem).unwrap();
        let policy = parse_policy_document(&serde_json::to_vec(&policy_json).unwrap()).unwrap();
        Self {
            authority,
            tls,
            dir,
            policy,
            policy_path,
        }
    }

    /// Starts `selfreport-endpoint serve --db DB` and waits until it listens.
    pub fn spawn(&self, db: &str, name: &str) -> DropBoxProcess {
        self.spawn_with(db, name, &[])
    }

    /// As [`Deployment::spawn`], with `extra` arguments to `serve`.
    pub fn spawn_with(&self, db: &str, name: &str, extra: &[&str]) -> DropBoxProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_selfreport-endpoint"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db])
            .args(extra)
            .arg("--tls-cert")
            .arg(self.dir.path().join("cert.pem"))
            .arg("--tls-key")
            .arg(self.dir.path().join("key.pem"))
            .arg("--receipt-key")
            .arg(&self.authority.keys.receipt_key_path)
            .arg("--policy")
            .arg(&self.policy_path)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on https://")
            .unwrap_or_else(|| {
                let log =
                    std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap();
                panic!("{name} did not start: {line:?}\n{log}")
            })
            .to_owned();
        DropBoxProcess {
            child,
            url: format!("https://{addr}/v1"),
        }
    }

    pub fn sealed(&self) -> Sealed {
        seal(
            &self.policy,
            &random_hex_id(),
            &crate::common::daily_blanks(&self.policy),
        )
    }
}

/// A drop box process; killed on drop.
pub struct DropBoxProcess {
    pub child: Child,
    pub url: String,
}

impl Drop for DropBoxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Posts `body` to `{url}/submissions`: the status and the reply's bytes.
pub async fn post(client: &reqwest::Client, url: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let response = client
        .post(format!("{url}/submissions"))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.bytes().await.unwrap().to_vec(),
    )
}
