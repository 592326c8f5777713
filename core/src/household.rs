//! Changing what the device keeps about the household: a profile edited or removed, a
//! monitoring period ended early or corrected. CLI-facing operations of the facade (the
//! mobile bindings do not export them yet).
//!
//! Periods are started by the person (`start_monitoring`) or by a collector's enrollment
//! order (`enroll`); `end_monitoring` and `correct_monitoring` refuse the latter: a period
//! an order started is the collector's to change, not the person's.

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::facade::SelfReport;
use crate::model::{
    MonitoringId, MonitoringPeriod, MonitoringReason, NewProfile, Profile, ProfileId,
};
use crate::store::ProfileRemoval;

impl SelfReport {
    /// Replaces a profile's attributes with `profile`, validated as a new profile is
    /// (its id stays, so its records, periods and pseudonyms stay its own).
    pub fn update_profile(&self, id: &ProfileId, profile: NewProfile) -> Result<Profile> {
        let validated = profile.validate(self.today())?;
        self.store().update_profile(id, validated)
    }

    /// Removes a profile with its monitoring periods and the records it never queued or
    /// sent. Refused (`Conflict`) while it has records queued or sent: those, their
    /// deletion tokens and the ledger's entries stay until their retention ends.
    pub fn remove_profile(&self, id: &ProfileId) -> Result<ProfileRemoval> {
        let policy_ids: Vec<String> = self
            .store()
            .policies()?
            .iter()
            .map(|policy| policy.id().to_owned())
            .collect();
        self.store().remove_profile(id, &policy_ids)
    }

    /// The monitoring period with this id.
    pub fn monitoring_period(&self, id: &MonitoringId) -> Result<MonitoringPeriod> {
        self.monitoring_periods()?
            .into_iter()
            .find(|period| &period.id == id)
            .ok_or_else(|| Error::NotFound {
                what: "monitoring period",
                id: id.to_string(),
            })
    }

    /// Ends a period early: `last_day` (default today) becomes its last day, so nothing
    /// is due after it. `Conflict` when that day is before the period's start (correct the
    /// start instead) or not before its current last day (ending never lengthens).
    pub fn end_monitoring(
        &self,
        id: &MonitoringId,
        last_day: Option<NaiveDate>,
    ) -> Result<MonitoringPeriod> {
        let mut period = self.monitoring_period(id)?;
        crate::enrollment::check_not_ordered(&period)?;
        let last_day = last_day.unwrap_or_else(|| self.today());
        if last_day < period.start {
            return Err(Error::Conflict(format!(
                "the period starts on {}: it cannot end before that (correct its start instead)",
                period.start
            )));
        }
        if last_day >= period.last_day() {
            return Err(Error::Conflict(format!(
                "the period already ends on {}",
                period.last_day()
            )));
        }
        let days = (last_day - period.start).num_days().saturating_add(1);
        period.days = u32::try_from(days)
            .map_err(|_| Error::Conflict("the period is too long to end there".to_owned()))?;
        self.store_period(&period)?;
        Ok(period)
    }

    /// Corrects a period's first day (its length stays) and/or its reason. `Conflict`
    /// when the moved period would overlap another of the same profile and policy.
    pub fn correct_monitoring(
        &self,
        id: &MonitoringId,
        start: Option<NaiveDate>,
        reason: Option<MonitoringReason>,
    ) -> Result<MonitoringPeriod> {
        let mut period = self.monitoring_period(id)?;
        crate::enrollment::check_not_ordered(&period)?;
        if let Some(start) = start {
            period.start = start;
        }
        if let Some(reason) = reason {
            period.reason = reason;
        }
        self.store_period(&period)?;
        Ok(period)
    }

    /// Stores a changed period under the retention of its policy.
    fn store_period(&self, period: &MonitoringPeriod) -> Result<()> {
        let policy = self.policy(&period.policy_id)?;
        self.store()
            .replace_monitoring_period(period, policy.document().retention.device_days)
    }
}

#[cfg(test)]
#[path = "household_tests.rs"]
mod tests;
