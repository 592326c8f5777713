//! The console's web application over HTTPS on 127.0.0.1, against real PostgreSQL and
//! cases ingested from a real drop box: scoping (another county's case is 404 on every
//! route, and never listed), CSRF on every form, the lockout, the security headers on
//! every route, and reveals (audited, capped, the identity only in their own response).

use selfreport_console::audit::{AuditAction, AuditEntry};
use selfreport_console::audit_log;

mod common;
mod console_web;
mod dropbox;
use common::server_or_skip;
use console_web::{Console, PASSWORD, Session, WANG, ZHANG, hidden_csrf};

async fn body(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn audit_entries(console: &Console) -> Vec<AuditEntry> {
    audit_log::entries(&console.db)
        .await
        .unwrap()
        .iter()
        .map(|entry| serde_json::from_slice(&entry.bytes).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_countys_case_is_not_found_on_every_route_and_never_listed() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = Console::start(&server, 20).await;
    let own = console.case_of(&ZHANG);
    let other = console.case_of(&WANG);
    let session = console.login("officer.a").await;

    let (status, list) = body(console.get("/cases", Some(&session)).await).await;
    assert_eq!(status, 200);
    assert!(list.contains(&own), "{list}");
    assert!(!list.contains(&other), "{list}");
    assert!(!list.contains("420111"), "{list}");

    // Own case: each route answers.
    assert_eq!(
        console
            .get(&format!("/cases/{own}"), Some(&session))
            .await
            .status(),
        200
    );
    assert_eq!(
        console
            .get(&format!("/cases/{own}/reveal"), Some(&session))
            .await
            .status(),
        200
    );
    // Another county's case, and one that does not exist: the same 404 on every route.
    let missing = "0".repeat(32);
    let mut pages = Vec::new();
    for id in [&other, &missing] {
        let (status, page) = body(console.get(&format!("/cases/{id}"), Some(&session)).await).await;
        assert_eq!(status, 404, "/cases/{id}");
        assert!(!page.contains(WANG.name));
        pages.push(page);
        let (status, _) = body(
            console
                .get(&format!("/cases/{id}/reveal"), Some(&session))
                .await,
        )
        .await;
        assert_eq!(status, 404, "/cases/{id}/reveal");
        let (status, page) = console
            .reveal(&id.to_string(), &session, "fever reported")
            .await;
        assert_eq!(status, 404, "POST /cases/{id}/reveal");
        assert!(!page.contains(WANG.name), "{page}");
    }
    assert_eq!(pages[0], pages[1], "out of scope and missing look the same");
    let reveals: i64 = console
        .db
        .query_one("SELECT count(*) FROM reveals", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(reveals, 0);

    // The other county's officer sees theirs, not ours.
    let other_session = console.login("officer.b").await;
    let (_, list) = body(console.get("/cases", Some(&other_session)).await).await;
    assert!(list.contains(&other) && !list.contains(&own), "{list}");
    // A supervisor of the first county does not see the second county's reveals.
    let reveal = console
        .post(
            &format!("/cases/{other}/reveal"),
            Some(&other_session),
            &[
                ("csrf", &other_session.csrf()),
                ("reason", "missed-reports"),
                ("note", "no report"),
            ],
        )
        .await;
    assert_eq!(reveal.status(), 200);
    let supervisor = console.login("super.a").await;
    let (status, page) = body(console.get("/reveals", Some(&supervisor)).await).await;
    assert_eq!(status, 200);
    assert!(!page.contains(&other), "{page}");
    // Roles: an auditor sees no case; an officer no audit log nor reveal list.
    let auditor = console.login("auditor").await;
    assert_eq!(console.get("/cases", Some(&auditor)).await.status(), 403);
    assert_eq!(
        console
            .get(&format!("/cases/{own}"), Some(&auditor))
            .await
            .status(),
        404
    );
    assert_eq!(console.get("/audit", Some(&session)).await.status(), 403);
    assert_eq!(console.get("/reveals", Some(&session)).await.status(), 403);
    // Without a session, every page sends to the login.
    for path in ["/cases", &format!("/cases/{own}"), "/reveals", "/audit"] {
        let response = console.get(path, None).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/login");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_the_sessions_token_is_refused() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = Console::start(&server, 20).await;
    let own = console.case_of(&ZHANG);
    let session = console.login("officer.a").await;
    let other = console.login("officer.b").await;
    let path = format!("/cases/{own}/reveal");
    let fields = |csrf: &'static str| {
        vec![
            ("csrf", csrf),
            ("reason", "follow-up-symptoms"),
            ("note", "fever"),
        ]
    };
    // No token, an empty one, a made-up one, another session's.
    let missing = console
        .post(
            &path,
            Some(&session),
            &[("reason", "follow-up-symptoms"), ("note", "fever")],
        )
        .await;
    assert_eq!(missing.status(), 403);
    assert_eq!(
        console
            .post(&path, Some(&session), &fields(""))
            .await
            .status(),
        403
    );
    assert_eq!(
        console
            .post(
                &path,
                Some(&session),
                &fields("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            )
            .await
            .status(),
        403
    );
    let others = other.csrf();
    let posted = console
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &others),
                ("reason", "follow-up-symptoms"),
                ("note", "fever"),
            ],
        )
        .await;
    assert_eq!(posted.status(), 403);
    // The page's own token is the session's, and works.
    let (_, form) = body(console.get(&path, Some(&session)).await).await;
    let token = hidden_csrf(&form);
    assert_eq!(token, session.csrf());
    let reveals: i64 = console
        .db
        .query_one("SELECT count(*) FROM reveals", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(reveals, 0, "no refused form revealed anything");
    // Logout without a token leaves the session alive; with it, ends it.
    assert_eq!(
        console.post("/logout", Some(&session), &[]).await.status(),
        403
    );
    assert_eq!(console.get("/cases", Some(&session)).await.status(), 200);
    let out = console
        .post("/logout", Some(&session), &[("csrf", &session.csrf())])
        .await;
    assert_eq!(out.status(), 303);
    assert_eq!(console.get("/cases", Some(&session)).await.status(), 303);
    // The login form needs its own token: a post without the form's cookie is refused.
    let bare = console
        .post(
            "/login",
            None,
            &[
                ("username", "officer.a"),
                ("password", PASSWORD),
                ("code", &console.code("officer.a")),
                ("csrf", "made-up"),
            ],
        )
        .await;
    assert_eq!(bare.status(), 403);
    assert!(
        bare.headers()
            .get_all("set-cookie")
            .iter()
            .all(|value| { !value.to_str().unwrap().starts_with("__Host-session=") })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_the_account_even_for_the_right_code() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = Console::start(&server, 20).await;
    for _ in 0..5 {
        let (status, session) = console.try_login("locked.out", PASSWORD, "000000").await;
        assert_eq!(status, 401);
        assert!(!session.cookies.contains_key("__Host-session"));
    }
    let right = console.code("locked.out");
    let (status, session) = console.try_login("locked.out", PASSWORD, &right).await;
    assert_eq!(status, 401, "locked");
    assert!(!session.cookies.contains_key("__Host-session"));
    let locked: bool = console
        .db
        .query_one(
            "SELECT locked_until > now() FROM officers WHERE username = 'locked.out'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(locked);
    let actions: Vec<AuditAction> = audit_entries(&console)
        .await
        .iter()
        .map(|entry| entry.action)
        .collect();
    assert!(actions.contains(&AuditAction::Lockout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_sends_the_security_headers() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = Console::start(&server, 20).await;
    let own = console.case_of(&ZHANG);
    let officer = console.login("officer.a").await;
    let supervisor = console.login("super.a").await;
    let auditor = console.login("auditor").await;
    // The cookies the login set.
    for line in &officer.set_cookie_lines {
        if line.starts_with("__Host-session=") || line.starts_with("__Host-csrf=") {
            for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
                assert!(line.contains(part), "{line}");
            }
        }
    }
    let expected = [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ];
    let none: Option<&Session> = None;
    let mut responses = vec![
        ("GET /", console.get("/", none).await),
        ("GET /login", console.get("/login", none).await),
        ("GET /cases (no session)", console.get("/cases", none).await),
        ("GET /cases", console.get("/cases", Some(&officer)).await),
        (
            "GET /cases/{own}",
            console.get(&format!("/cases/{own}"), Some(&officer)).await,
        ),
        (
            "GET /cases/{missing}",
            console
                .get(&format!("/cases/{}", "0".repeat(32)), Some(&officer))
                .await,
        ),
        (
            "GET /cases/{own}/reveal",
            console
                .get(&format!("/cases/{own}/reveal"), Some(&officer))
                .await,
        ),
        (
            "POST /cases/{own}/reveal (no token)",
            console
                .post(&format!("/cases/{own}/reveal"), Some(&officer), &[])
                .await,
        ),
        (
            "GET /reveals",
            console.get("/reveals", Some(&supervisor)).await,
        ),
        ("GET /audit", console.get("/audit", Some(&auditor)).await),
        (
            "GET /audit (officer)",
            console.get("/audit", Some(&officer)).await,
        ),
        (
            "GET /static/console.css",
            console.get("/static/console.css", none).await,
        ),
        (
            "GET /nowhere",
            console.get("/nowhere", Some(&officer)).await,
        ),
        (
            "POST /login (no token)",
            console.post("/login", none, &[]).await,
        ),
        (
            "POST /logout (no token)",
            console.post("/logout", Some(&officer), &[]).await,
        ),
    ];
    responses.push((
        "POST /logout",
        console
            .post("/logout", Some(&officer), &[("csrf", &officer.csrf())])
            .await,
    ));
    for (route, response) in &responses {
        for (name, value) in expected {
            assert_eq!(
                response.headers().get(name).map(|v| v.to_str().unwrap()),
                Some(value),
                "{route}: {name}"
            );
        }
    }
    // Pages carry no script and load only the console's stylesheet.
    let (_, page) = body(console.get("/login", none).await).await;
    assert!(!page.contains("<script"), "{page}");
    let css = console.get("/static/console.css", none).await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reveal_is_audited_capped_and_shows_the_identity_only_once() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = Console::start(&server, 2).await;
    let own = console.case_of(&ZHANG);
    let officer_id = console.officer_ids["officer.a"];
    let session = console.login("officer.a").await;
    let path = format!("/cases/{own}/reveal");
    let reveal = |note: &'static str| {
        let session = session.clone();
        let console = &console;
        let own = own.to_string();
        async move { console.reveal(&own, &session, note).await }
    };
    // Before: the name is nowhere on the officer's pages.
    let (_, list) = body(console.get("/cases", Some(&session)).await).await;
    assert!(!list.contains(ZHANG.name));

    let (status, page) = reveal("fever 38.4 <script>x</script>").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(ZHANG.name), "{page}");
    assert!(page.contains("+8613800138000"), "{page}");
    // This console posts no access notices: the page says the person is not told.
    assert!(page.contains("The person could not be told"), "{page}");
    assert!(
        page.contains(&format!("officer no. {officer_id}")),
        "the watermark names the officer: {page}"
    );
    assert!(!page.contains("<script"), "{page}");
    // An audit entry names the officer, the case and the reason.
    let entries = audit_entries(&console).await;
    let reveals: Vec<&AuditEntry> = entries
        .iter()
        .filter(|entry| entry.action == AuditAction::Reveal)
        .collect();
    assert_eq!(reveals.len(), 1);
    assert_eq!(reveals[0].actor, "officer.a");
    assert_eq!(reveals[0].subject.as_deref(), Some(own.as_str()));
    assert!(
        reveals[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("follow-up-symptoms")
    );
    for entry in &entries {
        let text = serde_json::to_string(entry).unwrap();
        assert!(!text.contains(ZHANG.name), "{text}");
    }
    // Page views are audited too.
    assert!(
        entries
            .iter()
            .any(|entry| entry.action == AuditAction::CaseList)
    );

    // The identity appears in that response only: not on the case's pages, not to the
    // supervisor (who sees the reveal), not to the auditor.
    let (_, detail) = body(console.get(&format!("/cases/{own}"), Some(&session)).await).await;
    assert!(!detail.contains(ZHANG.name));
    let (_, form) = body(console.get(&path, Some(&session)).await).await;
    assert!(!form.contains(ZHANG.name));
    let supervisor = console.login("super.a").await;
    let (_, reveals_page) = body(console.get("/reveals", Some(&supervisor)).await).await;
    assert!(reveals_page.contains(&own), "{reveals_page}");
    assert!(reveals_page.contains(&format!("no. {officer_id}")));
    assert!(reveals_page.contains("follow-up-symptoms"));
    assert!(!reveals_page.contains(ZHANG.name));
    assert!(!reveals_page.contains("<script>x"), "the note is escaped");
    let auditor = console.login("auditor").await;
    let (_, audit_page) = body(console.get("/audit", Some(&auditor)).await).await;
    assert!(audit_page.contains("reveal") && audit_page.contains(&own));
    assert!(!audit_page.contains(ZHANG.name));
    // Nor in the console's tables, outside the sealed submissions.
    let dump: String = console
        .db
        .query_one(
            "SELECT (SELECT string_agg(v::text, '') FROM reveals v) ||
                    (SELECT string_agg(c::text, '') FROM cases c) ||
                    (SELECT string_agg(r.answers, '') FROM case_reports r)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!dump.contains(ZHANG.name));

    // The cap: the second reveal of the day passes, the third is refused.
    let (status, _) = reveal("second call").await;
    assert_eq!(status, 200);
    let (status, page) = reveal("third call").await;
    assert_eq!(status, 429, "{page}");
    assert!(!page.contains(ZHANG.name));
    let count: i64 = console
        .db
        .query_one(
            "SELECT count(*) FROM reveals WHERE officer_id = $1",
            &[&officer_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2);
    // Another officer's cap is their own.
    let other = console.login("officer.b").await;
    let other_case = console.case_of(&WANG);
    let (status, page) = console
        .reveal_because(&other_case.to_string(), &other, "arrange-care", "test")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(WANG.name));
    // A reason outside the list is refused.
    let (status, _) = console
        .reveal_because(&other_case.to_string(), &other, "curiosity", "test")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_command_serves_https_on_loopback_only() {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command, Stdio};

    let Some(server) = server_or_skip() else {
        return;
    };
    let url = common::new_database(&server, "console_serve").await;
    let (_, kek) = selfreport_console::kek::KeyEncryptionKey::generate().unwrap();
    let tls = dropbox::endpoint_common::TestTls::new();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("console.crt");
    let key = dir.path().join("console.key");
    std::fs::write(&cert, &tls.cert_pem).unwrap();
    std::fs::write(&key, &tls.key_pem).unwrap();
    let serve = |listen: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_selfreport-console"));
        command
            .args(["serve", "--listen", listen, "--tls-cert"])
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .env("SELFREPORT_CONSOLE_DB", &url)
            .env("SELFREPORT_CONSOLE_KEK", kek.as_str())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Ok(ca) = std::env::var("SELFREPORT_TEST_POSTGRES_CA") {
            command.args(["--db-ca", &ca]);
        }
        command
    };
    let refused = serve("0.0.0.0:0").output().unwrap();
    assert_eq!(refused.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("loopback"), "{stderr}");

    let mut child = serve("127.0.0.1:0").spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("the console listens on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    assert!(address.starts_with("https://127.0.0.1:"), "{address}");
    let response = console_web::client(&tls)
        .get(format!("{address}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(response.text().await.unwrap().contains("name=\"csrf\""));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_part_that_does_not_open_is_refused_and_not_counted() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    let Some(server) = server_or_skip() else {
        return;
    };
    let mut console = Console::start(&server, 20).await;
    // A report whose identity part was altered after sealing: the health part opens, so
    // ingest takes it (it cannot open the identity part); the reveal finds the damage.
    let li = dropbox::Person {
        pseudonym: "00000000111111112222222233333333",
        name: "李建国",
        district: "420102",
    };
    let mut sealed = console.filled.report(&li, "2026-12-06", 366);
    let part = sealed
        .submission
        .parts
        .iter_mut()
        .find(|part| part.to == "identity")
        .unwrap();
    let mut ct = STANDARD.decode(&part.ct).unwrap();
    ct[5] ^= 1;
    part.ct = STANDARD.encode(&ct);
    sealed.body = sealed.submission.to_body();
    console.filled.post(&sealed).await;
    assert_eq!(console.ingest_again().await, 1);
    let case = console.cases["420102"].clone();
    // An officer of the whole city sees it.
    console
        .db
        .execute(
            "UPDATE officers SET districts = '{420100}' WHERE username = 'officer.a'",
            &[],
        )
        .await
        .unwrap();
    let session = console.login("officer.a").await;
    let (status, page) = console.reveal(&case.to_string(), &session, "call").await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("does not open"), "{page}");
    assert!(!page.contains(li.name));
    let reveals: i64 = console
        .db
        .query_one("SELECT count(*) FROM reveals", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(reveals, 0, "a failed reveal is not counted");
    assert!(
        !audit_entries(&console)
            .await
            .iter()
            .any(|entry| entry.action == AuditAction::Reveal)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_again_after_the_database_dropped_the_consoles_connections() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let console = Console::start(&server, 20).await;
    let session = console.login("officer.a").await;
    assert_eq!(console.get("/cases", Some(&session)).await.status(), 200);
    let ended: i64 = console
        .db
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()) ended",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(ended >= 1, "the console's connections were ended");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, page) = body(console.get("/cases", Some(&session)).await).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&console.case_of(&ZHANG)));
}
