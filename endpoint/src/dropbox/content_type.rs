//! The media type every request with a body must declare: `application/json`.
//!
//! RFC 8259 registers `application/json` without parameters and says a `charset` added to
//! it "has no effect on compliant recipients"; JSON exchanged between systems is UTF-8
//! (§8.1). RFC 9110 §8.3.1 makes the type and subtype case-insensitive and allows
//! parameters after `;` with optional whitespace around it. So the drop box takes
//! `application/json` in any case, with or without parameters, as long as the header
//! parses as a media type, appears once, and a `charset` parameter (if any) names UTF-8.
//! Anything else — another type, `text/plain`, `application/*`, a second `Content-Type`,
//! none at all — gets `415 Unsupported Media Type` before the body is read.

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Middleware for routes that take a body: refuses a request whose `Content-Type` is not
/// JSON (see the module) with 415 `UnsupportedMediaType`.
pub(crate) async fn require_json(request: Request, next: Next) -> Response {
    if declares_json(request.headers()) {
        next.run(request).await
    } else {
        ApiError::unsupported_media_type().into_response()
    }
}

/// Whether `headers` hold exactly one `Content-Type` and it is `application/json` (any
/// case, well-formed parameters, a `charset` only if UTF-8).
pub(crate) fn declares_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().is_ok_and(is_json_media_type),
        _ => false,
    }
}

/// `media-type = type "/" subtype parameters`, `parameters = *( OWS ";" OWS [ parameter ] )`
/// (RFC 9110 §5.6.6, §8.3.1).
fn is_json_media_type(value: &str) -> bool {
    let mut pieces = value.split(';');
    let essence = pieces.next().unwrap_or_default().trim_matches(is_ows);
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    pieces.all(|parameter| {
        let parameter = parameter.trim_matches(is_ows);
        parameter.is_empty() || is_acceptable_parameter(parameter)
    })
}

/// `parameter = name "=" ( token / quoted-string )`; `charset` must be UTF-8.
fn is_acceptable_parameter(parameter: &str) -> bool {
    let Some((name, value)) = parameter.split_once('=') else {
        return false;
    };
    if !is_token(name) {
        return false;
    }
    let Some(value) = parameter_value(value) else {
        return false;
    };
    !name.eq_ignore_ascii_case("charset") || value.eq_ignore_ascii_case("utf-8")
}

/// The value of a parameter written as a token or a quoted string (a `;` inside quotes is
/// not supported: no parameter of `application/json` needs one).
fn parameter_value(value: &str) -> Option<String> {
    if is_token(value) {
        return Some(value.to_owned());
    }
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let mut unquoted = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => unquoted.push(chars.next().filter(|c| is_quoted_char(*c))?),
            '"' => return None,
            c if is_quoted_char(c) => unquoted.push(c),
            _ => return None,
        }
    }
    Some(unquoted)
}

/// `token = 1*tchar` (RFC 9110 §5.6.2).
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A character allowed in a quoted string: visible ASCII, space or tab (`header::to_str`
/// has already refused anything outside visible ASCII).
fn is_quoted_char(c: char) -> bool {
    c == '\t' || c == ' ' || c.is_ascii_graphic()
}

/// Optional whitespace: spaces and tabs.
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn json_in_any_case_with_utf8_or_other_parameters_is_taken() {
        for value in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
            "application/json ; charset=\"utf-8\"",
            "application/json; charset=utf-8;",
            "application/json; foo=bar",
        ] {
            assert!(declares_json(&headers(&[value])), "{value}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for value in [
            "",
            "text/plain",
            "application/json-seq",
            "application/jsonx",
            "application/*",
            "*/*",
            "application/x-www-form-urlencoded",
            "application / json",
            "application/json; charset=latin1",
            "application/json; charset=utf8",
            "application/json; charset",
            "application/json; =utf-8",
            "application/json; charset=\"utf-8",
            "application/json; charset=\"utf\"-8\"",
            "application/json; charset=utf-8 x",
            "multipart/form-data; boundary=x",
        ] {
            assert!(!declares_json(&headers(&[value])), "{value:?}");
        }
        assert!(!declares_json(&HeaderMap::new()));
        assert!(!declares_json(&headers(&[
            "application/json",
            "application/json"
        ])));
        let mut opaque = HeaderMap::new();
        opaque.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_bytes(b"application/json; charset=\xe9").unwrap(),
        );
        assert!(!declares_json(&opaque));
    }
}
