//! selfreport core: daily health reports and travel pre-registration that cannot leak.
//!
//! The flow this crate implements reads like its modules:
//! answers → [`model`] validation → encrypted [`store`] → (next) minimization through a
//! verified [`policy`] → sealing → sync. Keys and primitives live in [`crypto`]; time comes
//! from an injectable [`clock`]. [`SelfReport`] is the facade apps and the CLI use.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod arrival;
pub mod arrival_pass;
pub mod clock;
mod code_enrollment;
mod consent;
mod corrections;
pub mod crypto;
mod enrollment;
pub mod enrollment_code;
pub mod error;
mod export;
mod facade;
mod form_check;
mod hex;
mod household;
pub mod ledger;
pub mod minimize;
pub mod model;
pub mod notice;
mod notices;
pub mod policy;
mod revocations;
pub mod store;
pub mod sync;
pub mod token;
mod upload;

pub use clock::{Clock, FixedClock, SystemClock};
pub use consent::ConsentStatus;
pub use corrections::{FlaggedProfile, FlaggedRecord, NeedsCorrection};
pub use error::{Error, ErrorCategory, Result};
pub use export::{Export, ExportedSubmission};
pub use facade::{Options, PolicySummary, SelfReport};
pub use revocations::{RevocationListInfo, RevocationStatus, RevocationUpdate};
pub use upload::{DeletionOutcome, PossiblyHeld};
