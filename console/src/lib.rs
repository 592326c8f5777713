//! The collector's case console (issue 16): where a health office works with what the drop
//! box collected, without anyone holding a list.
//!
//! This crate holds the parts every console page and command stands on:
//!
//! - [`password`]: officers' passwords as Argon2id hashes;
//! - [`totp`]: the second factor, RFC 6238 codes accepted once each, with one step of
//!   drift;
//! - [`kek`]: the key-encryption key every secret the console stores is sealed under,
//!   kept outside its database;
//! - [`audit`]: the audit log as a hash chain anchored by checkpoints signed outside the
//!   database, and its verification; [`audit_log`] keeps it in PostgreSQL;
//! - [`login`]: a password and a TOTP code, a lockout after repeated failures, sessions;
//! - [`officers`]: accounts, their roles and scopes, added, disabled and reset with an
//!   audit entry each;
//! - [`recipient_keys`]: the recipient keys, sealed under the key-encryption key;
//! - [`ingest`]: the drop box's submissions opened (health part only), checked and stored
//!   as pseudonymous cases;
//! - [`retention`]: reports deleted at their policy's retention and after the drop box
//!   deleted them, the audit log keeping counts only;
//! - [`confirmations`]: a checkpoint's signed register of arrivals confirmed in person,
//!   imported: only it takes a case out of unconfirmed intake;
//! - [`case_summary`]: what the case list shows of each case, kept on its row;
//! - [`scope`]: the cases an officer may see, every query filtered in one place;
//! - [`reveal`]: one case's identity, opened with the identity key on a reasoned,
//!   capped, audited request;
//! - [`aggregates`]: the only export, counts by district, day and flag, small cells
//!   suppressed;
//! - [`web`]: the web application (axum, server-rendered HTML, no script);
//! - [`schema`]: the console's tables, versioned.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod aggregates;
pub mod audit;
pub mod audit_log;
pub mod base32;
#[macro_use]
pub mod case_summary;
pub mod confirmations;
pub mod dropbox_client;
pub mod error;
pub mod ingest;
pub mod kek;
pub mod login;
pub mod notice_poster;
pub mod notices;
pub mod officers;
pub mod password;
pub mod recipient_keys;
pub mod retention;
pub mod reveal;
pub mod schema;
pub mod scope;
pub mod totp;
pub mod web;
pub mod witness;
