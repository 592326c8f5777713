//! selfreport for apps: the uniffi facade Kotlin, Swift and Python call.
//!
//! This crate is deliberately thin. It converts between plain records the bindings
//! generators understand ([`types`]) and the core's types, maps every core failure to one
//! [`SelfReportError`] with a stable code, bridges the app's [`KeySource`] and [`Logger`]
//! into the core, and runs every call that can take long on the core's own threads
//! ([`runtime`]: a tokio runtime and its blocking pool), never on the app's. Every
//! rule (validation, policy checks, minimization, sealing, retention) stays in
//! `selfreport-core`.
//!
//! Dates are each platform's date type ([`dates`]: `java.time.LocalDate`, `datetime.date`,
//! the Swift package's `LocalDate`), ids types of their own ([`ids`]); answers cross as the
//! text forms the CLI also accepts (`"37.2"`, `"cough,fever"`, `"420106:2026-11-01:2026-11-03"`).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

uniffi::setup_scaffolding!("selfreport");

mod clock;
mod convert;
pub mod dates;
mod error;
mod facade;
pub mod forms;
pub mod household;
pub mod ids;
mod key_source;
mod logger;
pub mod revocation;
pub mod runtime;
mod sync;
pub mod types;

pub use error::SelfReportError;
pub use facade::{SelfReport, erase_store, store_exists};
pub use key_source::{KeySource, KeySourceError, passphrase_key_source};
pub use logger::{CallbackError, LogLevel, Logger, set_logger};
pub use sync::{SyncCancellation, SyncListener};

/// The selfreport release of this library: the workspace version, which every package
/// (wheel, jar, AAR, Swift package) carries, and which `OpenOptions.bindings_version`
/// must equal.
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The selfreport release of the native library (`"0.1.0"`), for about screens and bug
/// reports. Bindings of another release are refused by `SelfReport.open`.
#[uniffi::export]
pub fn library_version() -> String {
    LIBRARY_VERSION.to_owned()
}
