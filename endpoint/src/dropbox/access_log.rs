//! The access log: one line per request with the time, method, route template, status
//! and duration. Never the path as sent (it carries submission ids), headers (the
//! deletion token), bodies or client addresses.

use std::fmt;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};

/// A function receiving log lines.
type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// Where access log lines (and the retention job's notes) go.
#[derive(Clone)]
pub struct AccessLog {
    sink: Option<Sink>,
}

impl AccessLog {
    /// Lines go to standard error, one write per line.
    pub fn stderr() -> Self {
        Self::to(|line| {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "{line}");
        })
    }

    /// No log.
    pub fn off() -> Self {
        Self { sink: None }
    }

    /// Lines go to `sink` (a test collecting them, a logging framework).
    pub fn to(sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self {
            sink: Some(Arc::new(sink)),
        }
    }

    /// Writes one line.
    pub(crate) fn line(&self, line: &str) {
        if let Some(sink) = &self.sink {
            sink(line);
        }
    }

    /// The line for one request.
    pub(crate) fn request(
        &self,
        method: &Method,
        route: Option<&str>,
        status: StatusCode,
        duration: Duration,
    ) {
        if self.sink.is_none() {
            return;
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // Only standard methods are echoed: an extension method is client-chosen text.
        let method = match *method {
            Method::GET
            | Method::POST
            | Method::DELETE
            | Method::PUT
            | Method::HEAD
            | Method::OPTIONS
            | Method::PATCH
            | Method::TRACE
            | Method::CONNECT => method.as_str(),
            _ => "OTHER",
        };
        self.line(&format!(
            "{now} {method} {} {} {:.1}ms",
            route.unwrap_or("(no route)"),
            status.as_u16(),
            duration.as_secs_f64() * 1000.0
        ));
    }
}

impl fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessLog")
            .field("enabled", &self.sink.is_some())
            .finish()
    }
}

impl Default for AccessLog {
    fn default() -> Self {
        Self::stderr()
    }
}
