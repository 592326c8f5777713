//! A console serving on 127.0.0.1 over TLS (a certificate made at test time) in front of
//! a real PostgreSQL database, ingested from a real drop box: two cases in two counties,
//! officers of each county, a supervisor and an auditor; and a browser-like HTTPS client
//! that keeps cookies by hand and does not follow redirects.

#![allow(dead_code, reason = "each test binary uses what it needs")]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;

use chrono::Utc;
use rustls::ClientConfig;
use rustls::crypto::ring;
use selfreport_console::kek::KeyEncryptionKey;
use selfreport_console::officers::{NewOfficer, Role, add_officer};
use selfreport_console::schema::migrate;
use selfreport_console::totp::{STEP_SECONDS, TotpSecret};
use selfreport_console::web::db_pool::DbPool;
use selfreport_console::web::{ConsoleState, RunningConsole, serve};
use zeroize::Zeroizing;

use crate::common::{connect, new_database};
use crate::dropbox::endpoint_common::TestTls;
use crate::dropbox::{FilledDropBox, Person};

/// A resident of the county 420106.
pub const ZHANG: Person = Person {
    pseudonym: "0123456789abcdef0123456789abcdef",
    name: "张晓明",
    district: "420106",
};
/// A resident of the county 420111.
pub const WANG: Person = Person {
    pseudonym: "fedcba9876543210fedcba9876543210",
    name: "王丽华",
    district: "420111",
};

/// The phone every test resident's identity part carries (the drop box's tests' profile).
pub const PHONE: &str = "+8613800138000";

/// Every account's password.
pub const PASSWORD: &str = "correct horse battery";

/// The accounts: name, role, districts.
pub const ACCOUNTS: [(&str, Role, &str); 5] = [
    ("officer.a", Role::Officer, "420106"),
    ("officer.b", Role::Officer, "420111"),
    ("super.a", Role::Supervisor, "420106"),
    ("auditor", Role::Auditor, ""),
    ("locked.out", Role::Officer, "420106"),
];

/// A running console with its data.
pub struct Console {
    pub filled: FilledDropBox,
    pub db: tokio_postgres::Client,
    pub running: RunningConsole,
    pub base: String,
    pub tls: TestTls,
    pub secrets: BTreeMap<String, TotpSecret>,
    pub officer_ids: BTreeMap<String, i64>,
    /// Case pseudonyms by county.
    pub cases: BTreeMap<String, String>,
    pub http: reqwest::Client,
    /// The key-encryption key (standard base64).
    pub kek: Zeroizing<String>,
    /// The console database's URL.
    pub url: String,
}

impl Console {
    /// Everything started, with `reveal_cap` reveals per officer per day.
    pub async fn start(server: &str, reveal_cap: u32) -> Self {
        let filled = FilledDropBox::start().await;
        filled.send(&ZHANG, "2026-12-05", 365).await;
        filled.send(&ZHANG, "2026-12-06", 384).await;
        filled.send(&WANG, "2026-12-06", 366).await;
        Self::start_on(server, reveal_cap, filled, None, 3).await
    }

    /// [`Console::start`] under a policy with access notices: the drop box accepts notices
    /// signed with `console_key`, ZHANG's device sends `zhang_key` (WANG's a key of its
    /// own), and the console names `office` in its notices.
    pub async fn start_with_notices(
        server: &str,
        reveal_cap: u32,
        console_key: [u8; 32],
        zhang_key: &selfreport_core::notice::NoticeKey,
        office: &str,
    ) -> Self {
        let filled = FilledDropBox::start_with_notices(console_key).await;
        let wang_key = selfreport_core::notice::NoticeKey::generate().unwrap();
        filled
            .send_with_notice_key(&ZHANG, "2026-12-05", 365, zhang_key)
            .await;
        filled
            .send_with_notice_key(&ZHANG, "2026-12-06", 384, zhang_key)
            .await;
        filled
            .send_with_notice_key(&WANG, "2026-12-06", 366, &wang_key)
            .await;
        let office = selfreport_console::notices::Office::new(office).unwrap();
        Self::start_on(server, reveal_cap, filled, Some(office), 3).await
    }

    /// Everything started on what `filled` holds (`stored` reports, all of which ingest
    /// stores), the console naming `office` in its notices.
    pub async fn start_on(
        server: &str,
        reveal_cap: u32,
        filled: FilledDropBox,
        office: Option<selfreport_console::notices::Office>,
        stored: usize,
    ) -> Self {
        let url = new_database(server, "console_web").await;
        let mut db = connect(&url).await;
        migrate(&mut db).await.unwrap();
        let (kek, kek_text) = KeyEncryptionKey::generate().unwrap();
        filled.import_keys_into(&mut db, &kek, Utc::now()).await;
        let policy_id = filled.policy().document().id.clone();
        let report = filled.ingest_into(&mut db, &kek).await;
        assert_eq!(report.stored, stored);
        let mut secrets = BTreeMap::new();
        let mut officer_ids = BTreeMap::new();
        for (username, role, district) in ACCOUNTS {
            let scoped = role != Role::Auditor;
            let added = add_officer(
                &mut db,
                &kek,
                NewOfficer {
                    username: username.to_owned(),
                    role,
                    districts: if scoped {
                        vec![district.to_owned()]
                    } else {
                        vec![]
                    },
                    policies: if scoped {
                        vec![policy_id.clone()]
                    } else {
                        vec![]
                    },
                    password: Zeroizing::new(PASSWORD.to_owned()),
                },
                "admin",
                Utc::now(),
            )
            .await
            .unwrap();
            officer_ids.insert(username.to_owned(), added.officer.id);
            secrets.insert(username.to_owned(), added.totp);
        }
        let cases = db
            .query("SELECT district, pseudonym FROM cases", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        let tls = TestTls::new();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let database_url = url.clone();
        let state = ConsoleState {
            db: DbPool::new(
                2,
                Box::new(move || {
                    let url = url.clone();
                    Box::pin(async move { Ok(connect(&url).await) })
                }),
            ),
            kek: KeyEncryptionKey::from_base64(&kek_text).unwrap(),
            reveal_cap,
            office,
        };
        let running = serve(listener, tls.server_config(), state).await.unwrap();
        let base = format!("https://{}", running.local_addr());
        let http = client(&tls);
        Self {
            filled,
            db,
            running,
            base,
            tls,
            secrets,
            officer_ids,
            cases,
            http,
            kek: kek_text,
            url: database_url,
        }
    }

    /// Ingests what the drop box received since; returns how many reports were stored.
    pub async fn ingest_again(&mut self) -> usize {
        let kek = KeyEncryptionKey::from_base64(&self.kek).unwrap();
        let report = self.filled.ingest_into(&mut self.db, &kek).await;
        assert!(report.refused.is_empty(), "{:?}", report.refused);
        self.cases = self
            .db
            .query("SELECT district, pseudonym FROM cases", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        report.stored
    }

    /// The case pseudonym of `person`.
    pub fn case_of(&self, person: &Person) -> String {
        self.cases[person.district].clone()
    }

    /// `username`'s TOTP code now.
    pub fn code(&self, username: &str) -> String {
        let step = Utc::now().timestamp() as u64 / STEP_SECONDS;
        format!("{:06}", self.secrets[username].code_at(step))
    }

    /// GET `path` with `session`'s cookies (if any).
    pub async fn get(&self, path: &str, session: Option<&Session>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(session) = session {
            request = request.header("cookie", session.cookie_header());
        }
        request.send().await.unwrap()
    }

    /// POST the form `fields` to `path` with `session`'s cookies (if any).
    pub async fn post(
        &self,
        path: &str,
        session: Option<&Session>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(fields));
        if let Some(session) = session {
            request = request.header("cookie", session.cookie_header());
        }
        request.send().await.unwrap()
    }

    /// POSTs a reveal of `case` with `session`'s CSRF token, the reason
    /// `follow-up-symptoms` and `note`; returns the status and the page.
    pub async fn reveal(&self, case: &str, session: &Session, note: &str) -> (u16, String) {
        self.reveal_because(case, session, "follow-up-symptoms", note)
            .await
    }

    /// [`Console::reveal`] giving `reason`.
    pub async fn reveal_because(
        &self,
        case: &str,
        session: &Session,
        reason: &str,
        note: &str,
    ) -> (u16, String) {
        let response = self
            .post(
                &format!("/cases/{case}/reveal"),
                Some(session),
                &[
                    ("csrf", &session.csrf()),
                    ("reason", reason),
                    ("note", note),
                ],
            )
            .await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Opens the login form, then posts it with `code`; returns the reply and the cookies
    /// it set.
    pub async fn try_login(&self, username: &str, password: &str, code: &str) -> (u16, Session) {
        let form = self.get("/login", None).await;
        let login = Session::from_response(&form, Session::default());
        let html = form.text().await.unwrap();
        let csrf = hidden_csrf(&html);
        let reply = self
            .post(
                "/login",
                Some(&login),
                &[
                    ("username", username),
                    ("password", password),
                    ("code", code),
                    ("csrf", &csrf),
                ],
            )
            .await;
        let status = reply.status().as_u16();
        (status, Session::from_response(&reply, login))
    }

    /// Logs `username` in; panics unless it succeeds.
    pub async fn login(&self, username: &str) -> Session {
        let (status, session) = self
            .try_login(username, PASSWORD, &self.code(username))
            .await;
        assert_eq!(status, 303, "{username} logs in");
        assert!(session.cookies.contains_key("__Host-session"));
        session
    }
}

/// Cookies kept by hand.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub cookies: BTreeMap<String, String>,
    /// Every `Set-Cookie` line received, as sent.
    pub set_cookie_lines: Vec<String>,
}

impl Session {
    /// `previous` updated with the cookies `response` sets (a `Max-Age=0` one removed).
    pub fn from_response(response: &reqwest::Response, previous: Session) -> Self {
        let mut session = previous;
        for value in response.headers().get_all("set-cookie") {
            let line = value.to_str().unwrap().to_owned();
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if line.contains("Max-Age=0") {
                session.cookies.remove(name);
            } else {
                session.cookies.insert(name.to_owned(), value.to_owned());
            }
            session.set_cookie_lines.push(line);
        }
        session
    }

    /// The `Cookie` header for these cookies.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The session's CSRF token (from its cookie).
    pub fn csrf(&self) -> String {
        self.cookies["__Host-csrf"].clone()
    }
}

/// The value of the first hidden `csrf` field of `html`.
pub fn hidden_csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// `application/x-www-form-urlencoded` of `fields`.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A client trusting only the test CA, rustls on ring, no redirects followed.
pub fn client(tls: &TestTls) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(tls.ca.clone()).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
