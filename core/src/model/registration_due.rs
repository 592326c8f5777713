//! Registrations still owed: a traveler's pre-registration (a form filed once per
//! registration, outside monitoring) shows in `due` from when it is saved until it is
//! sent, so one filled in offline is not forgotten in the outbox.
//!
//! Not before it is saved: a policy with a registration form lists nobody who must
//! travel, and every profile of the household would otherwise owe it (the elderly
//! mother who reports daily and never travels included).

use chrono::NaiveDate;

use super::{DueItem, Owed, ProfileId};
use crate::policy::{OncePer, PolicyDocument};

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

/// The registrations each profile has filled in but not sent, `today`, under installed
/// policies valid today; ordered by profile, then policy id, then the form's order in
/// the policy. `filing(profile, policy, form)` says how far the profile's record of that
/// form has gone.
pub fn registrations_due(
    today: NaiveDate,
    profiles: &[ProfileId],
    policies: &[&PolicyDocument],
    filing: impl Fn(&ProfileId, &str, &str) -> RegistrationFiling,
) -> Vec<DueItem> {
    let mut valid: Vec<&PolicyDocument> = policies
        .iter()
        .copied()
        .filter(|policy| policy.valid_from <= today && today <= policy.valid_until)
        .collect();
    valid.sort_by(|a, b| a.id.cmp(&b.id));
    let mut profiles: Vec<&ProfileId> = profiles.iter().collect();
    profiles.sort();
    let mut items = Vec::new();
    for profile in profiles {
        for policy in &valid {
            let registrations = policy
                .forms
                .iter()
                .filter(|form| form.once_per == OncePer::Registration && !form.requires_monitoring);
            for form in registrations {
                if filing(profile, &policy.id, &form.id) != RegistrationFiling::Unsent {
                    continue;
                }
                items.push(DueItem {
                    profile_id: profile.clone(),
                    policy_id: policy.id.clone(),
                    form_id: form.id.clone(),
                    date: today,
                    owed: Owed::Registration,
                });
            }
        }
    }
    items
}
