//! The console as people use it (issue 16 item 8): headless Chromium (Debian's `chromium`),
//! driven through `chromedriver` by WebDriver, against the console on 127.0.0.1 over
//! HTTPS with a certificate made at test time and cases ingested from a real drop box.
//!
//! An officer of 420106 logs in with a TOTP code, sees only their district's cases (by
//! pseudonym, no name), finds another district's case "not found" by editing the URL (404
//! on the wire too, with the browser's own cookies), and reveals one identity with a
//! reason, the watermark on the page; a supervisor sees that reveal and the aggregates; an
//! auditor reads the log; `audit verify` passes, then fails once a row is edited in the
//! database. The revealed resident reports from a real device (the core, its own store),
//! and after the reveal that device finds the access notice at its next sync: the office,
//! the officer's number and the reason. Every page is saved as a screenshot under `target/console-screenshots/`.
//!
//! Skipped (loudly) when PostgreSQL or chromedriver is missing, except under `CI=true`,
//! where `./scripts/test` installs both and the test must run. Bounded to three minutes.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use selfreport_console::audit_log;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::ledger::LedgerEvent;
use selfreport_core::notice::NoticeKey;
use serde_json::json;

mod common;
mod console_web;
mod device;
mod dropbox;
use common::server_or_skip;
use console_web::{Console, PASSWORD, WANG, ZHANG};
use device::Device;
use dropbox::FilledDropBox;

/// The office the console names in its notices.
const OFFICE: &str = "Wuchang District CDC";

/// The longest the whole flow may take.
const BOUND: Duration = Duration::from_secs(180);

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `selfreport-console serve` on 127.0.0.1, its output kept in files (its logs), killed
/// when dropped.
struct Served {
    child: Child,
    base: String,
    out: PathBuf,
    log: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts the console's binary on `console`'s database and certificate, posting access
    /// notices to `console`'s drop box as `office`, signed with `audit_key`.
    async fn start(
        console: &Console,
        dir: &std::path::Path,
        audit_key: &SigningKey,
        office: &str,
    ) -> Self {
        let key_path = dir.join("audit.key");
        selfreport_endpoint::keyfile::write_signing_key(&key_path, audit_key).unwrap();
        let ca_path = dir.join("dropbox-ca.pem");
        std::fs::write(&ca_path, pem_certificate(&console.filled.drop_box.tls.ca)).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, &console.tls.cert_pem).unwrap();
        std::fs::write(&key, &console.tls.key_pem).unwrap();
        let (out, log) = (dir.join("serve.out"), dir.join("serve.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_selfreport-console"));
        command
            .args(["serve", "--db", &console.url, "--listen", "127.0.0.1:0"])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .args([
                "--dropbox-url",
                &console.filled.drop_box.url,
                "--office",
                office,
            ])
            .arg("--dropbox-ca")
            .arg(&ca_path)
            .arg("--audit-key")
            .arg(&key_path)
            .env("SELFREPORT_CONSOLE_KEK", console.kek.as_str())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&log).unwrap());
        if let Ok(ca) = std::env::var("SELFREPORT_TEST_POSTGRES_CA") {
            command.args(["--db-ca", &ca]);
        }
        let child = command.spawn().unwrap();
        let mut served = Self {
            child,
            base: String::new(),
            out,
            log,
        };
        for _ in 0..300 {
            let text = std::fs::read_to_string(&served.out).unwrap_or_default();
            if let Some(address) = text
                .lines()
                .find_map(|line| line.strip_prefix("the console listens on "))
            {
                served.base = address.to_owned();
                return served;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the console did not start: {}",
            std::fs::read_to_string(&served.log).unwrap_or_default()
        );
    }

    /// Stops it and returns everything it wrote.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let out = std::fs::read_to_string(&self.out).unwrap_or_default();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("{out}{log}")
    }
}

/// A DER certificate as PEM.
fn pem_certificate(der: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// The chromedriver binary: `SELFREPORT_CHROMEDRIVER`, else Debian's.
fn chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("SELFREPORT_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").map_or(true, |value| value != "true"),
        "chromedriver is not installed under CI: ./scripts/test installs chromium-driver"
    );
    eprintln!("*** SKIPPED: no chromedriver at {} ***", path.display());
    None
}

async fn start_driver(binary: &PathBuf) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        // The console's certificate is made by the test; the browser is told to accept it.
        "acceptInsecureCerts": true,
        "goog:chromeOptions": {
            "binary": std::env::var("SELFREPORT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// `target/console-screenshots/`.
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/browser-HASH
    let target = exe
        .ancestors()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shoot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

async fn log_in(browser: &Client, base: &str, console: &Console, username: &str) {
    browser.goto(&format!("{base}/login")).await.unwrap();
    let set = |name: &'static str, value: String| async move {
        browser
            .find(Locator::Css(&format!("form.login input[name={name}]")))
            .await
            .unwrap()
            .send_keys(&value)
            .await
            .unwrap();
    };
    set("username", username.to_owned()).await;
    set("password", PASSWORD.to_owned()).await;
    set("code", console.code(username)).await;
    browser
        .find(Locator::Css("form.login button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let landing = if username == "auditor" {
        "Audit log"
    } else {
        "Cases"
    };
    wait_for_title(browser, &format!("{landing} · selfreport console")).await;
}

async fn log_out(browser: &Client) {
    browser
        .find(Locator::Css("form.logout button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_title(browser, "Log in · selfreport console").await;
}

/// Waits (up to 10 s) until the page's title is `title`: a click returns before the page
/// it leads to has loaded.
async fn wait_for_title(browser: &Client, title: &str) {
    for _ in 0..100 {
        if browser.title().await.unwrap() == title {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.title().await.unwrap(), title);
}

async fn heading(browser: &Client) -> String {
    browser
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_supervisors_and_auditors_in_a_real_browser() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let Some(binary) = chromedriver() else {
        return;
    };
    tokio::time::timeout(BOUND, flow(server, binary))
        .await
        .expect("the browser flow finishes within its bound");
}

async fn flow(server: String, binary: PathBuf) {
    // Zhang reports from a real device (the core, its own store) to a drop box that takes
    // the console's access notices; Wang's report is sealed as the drop box's tests seal.
    let audit_key = SigningKey::generate().unwrap();
    let filled = FilledDropBox::start_with_notices(audit_key.public_key()).await;
    let zhang = Device::new(&filled, ZHANG.name, console_web::PHONE, ZHANG.district);
    zhang.report(ZHANG.district, "38.4");
    let sent = zhang.sync().await;
    let outbox: Vec<String> = zhang
        .core
        .store()
        .outbox()
        .unwrap()
        .iter()
        .map(|item| format!("{:?} {:?}", item.state, item.payload.last_error))
        .collect();
    assert_eq!(sent.delivered, 1, "{sent:?}: {outbox:?}");
    filled
        .send_with_notice_key(&WANG, "2026-12-06", 366, &NoticeKey::generate().unwrap())
        .await;
    let console = Console::start_on(&server, 20, filled, None, 2).await;
    let own = console.case_of(&ZHANG);
    let other = console.case_of(&WANG);
    // The console's own binary serves the browser, so its logs can be read afterwards.
    let files = tempfile::tempdir().unwrap();
    let served = Served::start(&console, files.path(), &audit_key, OFFICE).await;
    let base = served.base.clone();
    let driver = start_driver(&binary).await;
    let profile = tempfile::tempdir().unwrap();
    let browser = browser(&driver, profile.path()).await;

    // The login page, then an officer of 420106 with a TOTP code.
    browser.goto(&format!("{base}/login")).await.unwrap();
    shoot(&browser, "login").await;
    log_in(&browser, &base, &console, "officer.a").await;
    assert_eq!(heading(&browser).await, "Cases");
    assert!(browser.current_url().await.unwrap().path() == "/cases");
    let cases: Vec<String> = {
        let mut texts = Vec::new();
        for link in browser.find_all(Locator::Css("a.case")).await.unwrap() {
            texts.push(link.text().await.unwrap());
        }
        texts
    };
    assert_eq!(
        cases,
        std::slice::from_ref(&own),
        "only the officer's district"
    );
    let source = browser.source().await.unwrap();
    assert!(!source.contains(ZHANG.name) && !source.contains(WANG.name));
    assert!(!source.contains(&other));
    shoot(&browser, "cases").await;

    // Another district's case by editing the URL: not found, and 404 on the wire.
    browser
        .goto(&format!("{base}/cases/{other}"))
        .await
        .unwrap();
    assert_eq!(heading(&browser).await, "Not found");
    assert!(!browser.source().await.unwrap().contains(WANG.name));
    shoot(&browser, "other-district-not-found").await;
    let cookies = browser.get_all_cookies().await.unwrap();
    let cookie_header = cookies
        .iter()
        .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let status = console
        .http
        .get(format!("{base}/cases/{other}"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);

    // The own case, then its reveal with a reason and a note.
    browser.goto(&format!("{base}/cases/{own}")).await.unwrap();
    shoot(&browser, "case").await;
    browser
        .find(Locator::Css("a.reveal"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_title(&browser, &format!("Reveal case {own} · selfreport console")).await;
    shoot(&browser, "reveal-form").await;
    browser
        .find(Locator::Css("select[name=reason]"))
        .await
        .unwrap()
        .select_by_value("follow-up-symptoms")
        .await
        .unwrap();
    browser
        .find(Locator::Css("textarea[name=note]"))
        .await
        .unwrap()
        .send_keys("fever 38.4, phone to arrange a visit")
        .await
        .unwrap();
    browser
        .find(Locator::Css("form.reveal button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_title(
        &browser,
        &format!("Identity of case {own} · selfreport console"),
    )
    .await;
    assert_eq!(heading(&browser).await, format!("Identity of case {own}"));
    let identity = browser
        .find(Locator::Css("section.revealed"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(identity.contains(ZHANG.name), "{identity}");
    let officer_id = console.officer_ids["officer.a"];
    let watermark = browser.find(Locator::Css(".watermark span")).await.unwrap();
    assert!(
        watermark.is_displayed().await.unwrap(),
        "the watermark shows"
    );
    assert!(
        watermark
            .text()
            .await
            .unwrap()
            .starts_with(&format!("officer no. {officer_id} · officer.a · ")),
    );
    shoot(&browser, "revealed").await;
    log_out(&browser).await;

    // Zhang's device is told: the console's poster leaves the notice in the drop box's
    // mailbox (every few seconds), and the device finds it at its next sync.
    let mut notices = Vec::new();
    for _ in 0..60 {
        if zhang.sync().await.notices > 0 {
            notices = zhang.access_notices();
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(notices.len(), 1, "the device shows the access notice");
    let LedgerEvent::AccessNotice {
        office,
        officer,
        reason,
        ..
    } = &notices[0]
    else {
        unreachable!("filtered to access notices")
    };
    assert_eq!(
        (office.as_str(), officer.clone(), reason.as_str()),
        (OFFICE, officer_id.to_string(), "follow-up-symptoms")
    );

    // The supervisor sees the reveal, and the aggregates.
    log_in(&browser, &base, &console, "super.a").await;
    browser.goto(&format!("{base}/reveals")).await.unwrap();
    let reveals = browser
        .find(Locator::Css("table.reveals"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        reveals.contains(&format!("no. {officer_id} (officer.a)"))
            && reveals.contains(&own)
            && reveals.contains("follow-up-symptoms"),
        "{reveals}"
    );
    assert!(!reveals.contains(ZHANG.name));
    shoot(&browser, "reveals").await;
    browser
        .goto(&format!("{base}/aggregates?from=2026-12-05&to=2026-12-06"))
        .await
        .unwrap();
    assert_eq!(heading(&browser).await, "Aggregates");
    shoot(&browser, "aggregates").await;
    log_out(&browser).await;

    // The auditor reads the log.
    log_in(&browser, &base, &console, "auditor").await;
    browser.goto(&format!("{base}/audit")).await.unwrap();
    let log = browser
        .find(Locator::Css("table.audit"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("reveal") && log.contains("officer.a"), "{log}");
    shoot(&browser, "audit").await;
    browser.close().await.unwrap();

    // The canary check: after the whole run, no identity value of the residents (their
    // names, their phone; the policy sends no ID number) is anywhere in the console's
    // database, in any table, as text or as bytes, nor in the console's logs. The only
    // copies are inside the sealed submissions (`case_reports.sealed_body`, ciphertext).
    let logs = served.stop();
    // serve ran retention when it started (nothing was past it).
    assert!(
        logs.contains("retention: deleted 0 report(s) past their policy's server_days"),
        "{logs}"
    );
    let canaries = [ZHANG.name, WANG.name, console_web::PHONE];
    for canary in canaries {
        assert!(
            !logs.contains(canary),
            "{canary} in the console's logs:\n{logs}"
        );
    }
    let found = database_canaries(&console.db, &canaries).await;
    assert!(
        found.is_empty(),
        "identity values in the database: {found:?}"
    );
    // The scan does find one where it is (a control: the same scan, a planted copy).
    console
        .db
        .batch_execute(&format!(
            "CREATE TABLE canary_control (b bytea); INSERT INTO canary_control VALUES ('\\x{}')",
            hex(WANG.name.as_bytes())
        ))
        .await
        .unwrap();
    let found = database_canaries(&console.db, &canaries).await;
    assert_eq!(found, [("canary_control".to_owned(), WANG.name.to_owned())]);
    console
        .db
        .batch_execute("DROP TABLE canary_control")
        .await
        .unwrap();

    // audit verify passes against a checkpoint, and fails once a row is edited.
    let key = SigningKey::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints.jsonl");
    audit_log::write_checkpoint(&console.db, &key, &checkpoints, chrono::Utc::now())
        .await
        .unwrap();
    let verified = audit_log::verify_log(&console.db, &checkpoints, &key.public_key())
        .await
        .unwrap();
    assert!(verified.entries > 10, "{verified:?}");
    console
        .db
        .batch_execute(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
             UPDATE audit_log SET entry = convert_to(replace(convert_from(entry, 'UTF8'),
                 'officer.a', 'officer.b'), 'UTF8')
             WHERE entry LIKE '%\"action\":\"reveal\"%'::bytea",
        )
        .await
        .unwrap();
    let broken = audit_log::verify_log(&console.db, &checkpoints, &key.public_key())
        .await
        .unwrap_err();
    assert_eq!(broken.code(), "AuditAltered", "{broken}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every (table, canary) where a row of a table of the console's database holds the
/// canary: as text, or as bytes (a `bytea` column reads as `\x` and hex).
async fn database_canaries(
    db: &tokio_postgres::Client,
    canaries: &[&str],
) -> Vec<(String, String)> {
    let tables: Vec<String> = db
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(tables.len() >= 9, "{tables:?}");
    let mut found = Vec::new();
    for table in tables {
        let rows: Vec<String> = db
            .query(&format!("SELECT t::text FROM {table} t"), &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        for canary in canaries {
            let as_hex = hex(canary.as_bytes());
            if rows
                .iter()
                .any(|row| row.contains(canary) || row.contains(&as_hex))
            {
                found.push((table.clone(), (*canary).to_owned()));
            }
        }
    }
    found
}
