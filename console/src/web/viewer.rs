//! Who is asking: the officer of the request's session ([`Viewer`]), and forms posted by
//! them with the session's CSRF token checked before the handler sees the form
//! ([`Posted`]). Handlers that change anything take a [`Posted`], so none can forget the
//! check. Also the answers a page gives when it cannot be shown ([`PageError`]).

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, body::Body};
use chrono::Utc;
use serde::de::DeserializeOwned;

use super::ConsoleState;
use super::html::{Nav, document, escape};
use super::security::{CSRF_COOKIE, SESSION_COOKIE, cookie};
use crate::error::ConsoleError;
use crate::login::{ActiveSession, active_session};
use crate::officers::{Officer, officer_by_id};
use std::sync::Arc;

/// The logged-in officer of a request.
pub struct Viewer {
    /// The account.
    pub officer: Officer,
    /// The session token (to end it at logout).
    pub session_token: String,
    /// The session's CSRF token, from its cookie, checked against the session's digest
    /// (empty when it does not match: the forms then fail the check).
    pub csrf: String,
    session: ActiveSession,
}

impl Viewer {
    /// The navigation for this viewer's pages.
    pub fn nav(&self) -> Nav<'_> {
        Nav {
            username: &self.officer.username,
            officer_id: self.officer.id,
            role: self.officer.role.as_str(),
            csrf: &self.csrf,
        }
    }
}

/// Why a page is not shown.
#[derive(Debug)]
pub enum PageError {
    /// No session: log in first.
    LoginNeeded,
    /// Nothing here, or nothing this officer may see (the same answer, so ids are not
    /// confirmed).
    NotFound,
    /// Not for this role.
    Forbidden,
    /// A form without the session's CSRF token, or with another.
    CsrfRefused,
    /// A form that is not what the page expects.
    BadForm(String),
    /// Something failed.
    Failed(ConsoleError),
}

impl From<ConsoleError> for PageError {
    fn from(error: ConsoleError) -> Self {
        PageError::Failed(error)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self {
            PageError::LoginNeeded => return Redirect::to("/login").into_response(),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here for you.".to_owned(),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not for your role",
                "Your role does not include this page.".to_owned(),
            ),
            PageError::CsrfRefused => (
                StatusCode::FORBIDDEN,
                "Form refused",
                "The form did not carry this session's token. Reload the page and try again."
                    .to_owned(),
            ),
            PageError::BadForm(why) => (StatusCode::BAD_REQUEST, "Form refused", why),
            PageError::Failed(error) => {
                // The code only: messages may name stored values.
                eprintln!("console error[{}]", error.code());
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something failed",
                    format!("The console could not do this (error {}).", error.code()),
                )
            }
        };
        let body = format!("<p>{}</p>", escape(&text));
        (status, axum::response::Html(document(title, None, &body))).into_response()
    }
}

impl<S> FromRequestParts<S> for Viewer
where
    Arc<ConsoleState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = Arc::<ConsoleState>::from_ref(state);
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::LoginNeeded);
        };
        let csrf_cookie = cookie(&parts.headers, CSRF_COOKIE).unwrap_or("");
        let db = state.db.get().await?;
        let Some(session) = active_session(&db, token, Utc::now()).await? else {
            return Err(PageError::LoginNeeded);
        };
        let Some(officer) = officer_by_id(&db, session.officer_id).await? else {
            return Err(PageError::LoginNeeded);
        };
        let csrf = if session.csrf_matches(csrf_cookie) {
            csrf_cookie.to_owned()
        } else {
            String::new()
        };
        Ok(Viewer {
            officer,
            session_token: token.to_owned(),
            csrf,
            session,
        })
    }
}

/// A form that carries a CSRF token in its `csrf` field.
pub trait CarriesCsrf {
    /// The token posted.
    fn csrf(&self) -> &str;
}

/// A form posted by a logged-in officer, its CSRF token checked against the session's.
pub struct Posted<T> {
    /// Who posted it.
    pub viewer: Viewer,
    /// The form.
    pub form: T,
}

impl<S, T> FromRequest<S> for Posted<T>
where
    Arc<ConsoleState>: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned + CarriesCsrf + Send,
{
    type Rejection = PageError;

    async fn from_request(request: Request<Body>, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let Form(form) = Form::<T>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| PageError::BadForm(rejection.body_text()))?;
        // The posted token must be the session's: its digest is compared with the one the
        // session keeps, in constant time.
        if !viewer.session.csrf_matches(form.csrf()) {
            return Err(PageError::CsrfRefused);
        }
        Ok(Posted { viewer, form })
    }
}
