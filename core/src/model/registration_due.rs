//! Registrations still owed: a traveler's pre-registration (a form filed once per
//! registration, outside monitoring) shows in `due` from when it is saved until it is
//! sent, so one filled in offline is not forgotten in the outbox.
//!
//! Not before it is saved: a policy with a registration form lists nobody who must
//! travel, and every profile of the household would otherwise owe it (the elderly
//! mother who reports daily and never travels included).

use chrono::NaiveDate;

use super::{DueItem, Owed, ProfileId};
use crate::policy::{Form, OncePer, PolicyDocument};

/// How far a profile's registration under a policy's form has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationFiling {
    /// No record yet.
    NotFiled,
    /// Saved or queued, not yet delivered.
    Unsent,
    /// Delivered with a verified receipt.
    Sent,
}

/// Whether `form` is a registration that `due` lists until it is sent: filed once per
/// registration, outside monitoring (a traveler's pre-registration).
pub fn is_registration(form: &Form) -> bool {
    form.once_per == OncePer::Registration && !form.requires_monitoring
}

/// The item `due` lists for a registration of `form` under `policy` that `profile` filled
/// in but has not sent, on `today`.
pub fn registration_due(
    today: NaiveDate,
    profile: &ProfileId,
    policy: &PolicyDocument,
    form: &Form,
) -> DueItem {
    DueItem {
        profile_id: profile.clone(),
        policy_id: policy.id.clone(),
        form_id: form.id.clone(),
        date: today,
        owed: Owed::Registration,
    }
}
