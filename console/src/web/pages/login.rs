//! Logging in and out.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html as HtmlResponse, IntoResponse, Redirect, Response};
use chrono::Utc;
use selfreport_core::crypto::sha256;
use serde::Deserialize;

use super::super::ConsoleState;
use super::super::html::{Html, document};
use super::super::security::{CSRF_COOKIE, LOGIN_COOKIE, SESSION_COOKIE, cookie, set_cookie};
use super::super::viewer::{CarriesCsrf, PageError, Posted, Viewer};
use crate::login::{Credentials, SESSION_HOURS, log_in, log_out, new_token};
use crate::officers::Role;

/// How long a login form stays usable.
const LOGIN_FORM_SECONDS: i64 = 15 * 60;

/// `GET /`: where the viewer's work starts.
pub(in super::super) async fn home(viewer: Result<Viewer, PageError>) -> Redirect {
    match viewer {
        Ok(viewer) if viewer.officer.role == Role::Auditor => Redirect::to("/audit"),
        Ok(_) => Redirect::to("/cases"),
        Err(_) => Redirect::to("/login"),
    }
}

/// `GET /login`.
pub(in super::super) async fn form() -> Result<Response, PageError> {
    login_page(StatusCode::OK, None)
}

fn login_page(status: StatusCode, message: Option<&str>) -> Result<Response, PageError> {
    let token = new_token()?;
    let mut page = Html::new();
    if let Some(message) = message {
        page.raw("<p class=\"refused\">").text(message).raw("</p>");
    }
    page.raw(r#"<form method="post" action="/login" class="login">"#)
        .csrf_field(&token)
        .raw(r#"<label>User name <input name="username" autocomplete="username" required></label>"#)
        .raw(r#"<label>Password <input name="password" type="password" autocomplete="current-password" required></label>"#)
        .raw(r#"<label>Code from your authenticator <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required></label>"#)
        .raw(r#"<button type="submit">Log in</button></form>"#);
    let mut headers = HeaderMap::new();
    headers.append(
        SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &token, LOGIN_FORM_SECONDS),
    );
    Ok((
        status,
        headers,
        HtmlResponse(document("Log in", None, &page.into_body())),
    )
        .into_response())
}

/// The login form.
#[derive(Deserialize)]
pub(in super::super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`.
pub(in super::super) async fn submit(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    // The login form's token must be the one its cookie carries (digests compared in
    // constant time).
    let expected = sha256(cookie(&headers, LOGIN_COOKIE).unwrap_or("").as_bytes());
    let posted = sha256(form.csrf.as_bytes());
    let same = expected
        .iter()
        .zip(posted.iter())
        .fold(0u8, |diff, (a, b)| diff | (a ^ b))
        == 0;
    if !same || form.csrf.is_empty() {
        return Err(PageError::CsrfRefused);
    }
    let outcome = {
        let mut db = state.db.get().await?;
        log_in(
            &mut db,
            &state.kek,
            Credentials {
                username: &form.username,
                password: &form.password,
                code: &form.code,
            },
            Utc::now(),
        )
        .await?
    };
    let Ok(session) = outcome else {
        return login_page(
            StatusCode::UNAUTHORIZED,
            Some("The name, password or code is not right, or the account cannot log in now."),
        );
    };
    let seconds = SESSION_HOURS * 3600;
    let mut headers = HeaderMap::new();
    headers.append(
        SET_COOKIE,
        set_cookie(SESSION_COOKIE, &session.token, seconds),
    );
    headers.append(SET_COOKIE, set_cookie(CSRF_COOKIE, &session.csrf, seconds));
    headers.append(SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0));
    Ok((headers, Redirect::to("/")).into_response())
}

/// The logout form.
#[derive(Deserialize)]
pub(in super::super) struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

impl CarriesCsrf for LogoutForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /logout`.
pub(in super::super) async fn logout(
    State(state): State<Arc<ConsoleState>>,
    Posted { viewer, .. }: Posted<LogoutForm>,
) -> Result<Response, PageError> {
    {
        let mut db = state.db.get().await?;
        log_out(
            &mut db,
            &viewer.session_token,
            &viewer.officer.username,
            Utc::now(),
        )
        .await?;
    }
    let mut headers = HeaderMap::new();
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        headers.append(SET_COOKIE, set_cookie(name, "", 0));
    }
    Ok((headers, Redirect::to("/login")).into_response())
}
