//! A traveler's arrival, as the core acts on it: saving a registration that declares an
//! arrival date (its form's `arrival_date`, see [`crate::model::arrival_field`]) starts
//! the monitoring period its policy defines, from that day; a daily report of the same
//! person under the same policy dated before that day is refused
//! ([`Rule::BeforeArrival`]).
//!
//! Started when the registration is saved, not when the day comes: the device may be off
//! or offline on arrival, and a period that starts in the future owes nothing until then
//! (`due` lists only active periods). Not when the person already has a period under the
//! policy sharing a day with it (they started one, or an amended registration did):
//! periods of one person and policy never overlap, and `monitor correct` moves one.
//! Enrollment orders (a later issue) will start periods for forms that require them;
//! until the policy model has that notion, an arrival starts the period itself.

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::facade::SelfReport;
use crate::model::{
    MonitoringPeriod, MonitoringReason, ProfileId, Rule, ValidationError, arrival_field,
    stored_arrival,
};
use crate::policy::{Form, OncePer, PolicyDocument};
use crate::store::NewMonitoringPeriod;

/// The field errors about a record's own date name.
const DATE_FIELD: &str = "date";

impl SelfReport {
    /// The arrival date the profile's latest registration under `policy` declares (the
    /// most recently saved revision of a form with an arrival-date field), if any. Reads
    /// only the registration slots, by their blind index: a daily save stays cheap.
    pub fn arrival_date(
        &self,
        profile: &ProfileId,
        policy: &PolicyDocument,
    ) -> Result<Option<NaiveDate>> {
        let mut latest = None;
        for form in policy
            .forms
            .iter()
            .filter(|form| arrival_field(form).is_some())
        {
            for record in self
                .store()
                .registration_records(profile, &policy.id, &form.id)?
            {
                if let Some(arrival) = stored_arrival(form, &record.values) {
                    let key = (record.saved_at, record.revision);
                    if latest.is_none_or(|(seen, _)| key > seen) {
                        latest = Some((key, arrival));
                    }
                }
            }
        }
        Ok(latest.map(|(_, arrival)| arrival))
    }

    /// The arrival pass (`selfreport.arrival-pass/1`, [`crate::arrival_pass`]) the
    /// device shows at the checkpoint, as the text of a QR code: it proves this device
    /// filed the profile's pre-registration under `policy_id` (the pseudonym's arrival key
    /// signs it, now), so the checkpoint can confirm it in person and issue an order bound
    /// to it. Valid for [`crate::arrival_pass::MAX_PASS_AGE`]: make a new one each time it
    /// is shown. `NotFound` (`pre-registration`) when the profile has filed no open-intake
    /// registration under the policy; `Conflict` when its pseudonym predates arrival
    /// passes (random, committing to no key).
    pub fn arrival_pass(&self, profile: &ProfileId, policy_id: &str) -> Result<String> {
        self.store().profile(profile)?;
        let policy = self.store().policy(policy_id)?;
        let mut registered = false;
        for form in policy
            .document()
            .forms
            .iter()
            .filter(|form| form.is_open_intake())
        {
            registered |= !self
                .store()
                .registration_records(profile, policy_id, &form.id)?
                .is_empty();
        }
        if !registered {
            return Err(Error::NotFound {
                what: "pre-registration",
                id: format!("{} under {policy_id}", profile.as_str()),
            });
        }
        let key = self
            .store()
            .arrival_key(profile, policy_id)?
            .ok_or_else(|| {
                Error::Conflict(format!(
                    "this registration under {policy_id} was filed before arrival passes: its \
                 pseudonym commits to no key, so no pass can prove it"
                ))
            })?;
        let pseudonym = self.store().pseudonym(profile, policy_id)?;
        Ok(crate::arrival_pass::pass_text(
            &key,
            policy_id,
            &pseudonym,
            self.clock_now().with_timezone(&chrono::Utc),
        ))
    }

    /// Refuses a daily report (a form filed once a day during monitoring) dated before
    /// the arrival the person registered under the same policy.
    pub(crate) fn check_not_before_arrival(
        &self,
        profile: &ProfileId,
        policy: &PolicyDocument,
        form: &Form,
        date: NaiveDate,
    ) -> Result<()> {
        if form.once_per != OncePer::Day || !form.requires_monitoring {
            return Ok(());
        }
        match self.arrival_date(profile, policy)? {
            Some(arrival) if date < arrival => {
                Err(ValidationError::new(DATE_FIELD, Rule::BeforeArrival).into())
            }
            _ => Ok(()),
        }
    }

    /// After a registration declaring `arrival` was saved: starts the policy's monitoring
    /// period for the person from that day, unless the policy defines none, has no form
    /// that requires it, or a period of the person under the policy already shares a day
    /// with it (the store refuses the overlap: `Conflict`). Returns the period started.
    pub(crate) fn start_monitoring_on_arrival(
        &self,
        profile: &ProfileId,
        policy: &PolicyDocument,
        arrival: NaiveDate,
    ) -> Result<Option<MonitoringPeriod>> {
        let Some(monitoring) = policy.monitoring else {
            return Ok(None);
        };
        // Forms open only to enrolled people are monitored under the collector's order,
        // not from a date the person gave.
        let self_monitored = policy.forms.iter().any(|form| {
            form.requires_monitoring && form.enrollment == crate::policy::FormEnrollment::Open
        });
        if !self_monitored {
            return Ok(None);
        }
        let started = self.store().add_monitoring_period(NewMonitoringPeriod {
            profile_id: profile.clone(),
            policy_id: policy.id.clone(),
            start: arrival,
            days: monitoring.days,
            reason: MonitoringReason::Arrival,
            retention_days: policy.retention.device_days,
            order: None,
        });
        match started {
            Ok(period) => Ok(Some(period)),
            Err(Error::Conflict(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
#[path = "arrival_tests.rs"]
mod tests;
