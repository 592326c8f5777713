//! What every response carries, and the cookies.
//!
//! - Headers on every response (pages, redirects, errors, the stylesheet): a content
//!   security policy without any script source, frame denial, no MIME sniffing, no
//!   referrer, no caching ([`SECURITY_HEADERS`]).
//! - Cookies are `__Host-` prefixed, `Secure; HttpOnly; SameSite=Strict; Path=/`: the
//!   session token, and the session's CSRF token (which the server writes into each form
//!   and checks against the digest it keeps; a page cannot read it, another site cannot
//!   send it). Before login, a login-form token plays the CSRF token's part.

use axum::extract::Request;
use axum::http::header::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The session token's cookie.
pub const SESSION_COOKIE: &str = "__Host-session";
/// The session's CSRF token's cookie.
pub const CSRF_COOKIE: &str = "__Host-csrf";
/// The login form's CSRF token's cookie.
pub const LOGIN_COOKIE: &str = "__Host-login";

/// The headers set on every response.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
];

/// Middleware: sets [`SECURITY_HEADERS`] on the response, whatever produced it.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// The value of the cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for `name=value` lasting `max_age_seconds` (0 clears it).
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
    // Tokens are base64url: nothing in them needs quoting.
    let text = format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_static("x__Host-session=no; __Host-session=yes; other=1"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("yes"));
        assert_eq!(cookie(&headers, CSRF_COOKIE), None);
        let set = set_cookie(SESSION_COOKIE, "abc", 60);
        let set = set.to_str().unwrap();
        for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(part), "{set}");
        }
    }
}
