//! Monitoring periods, sealed under the epoch in which their retention ends.

use chrono::{Days, NaiveDate};
use rusqlite::params;

use super::rows::{decode, encode};
use super::{Inner, Store};
use crate::clock::day_number;
use crate::crypto::random_id;
use crate::error::{Error, Result};
use crate::model::{MonitoringId, MonitoringPeriod, MonitoringReason, ProfileId};

const TABLE: &str = "monitoring_periods";

/// The epoch of data dated `date` kept `retention_days`: the day its retention ends.
pub(crate) fn expiry_epoch(date: NaiveDate, retention_days: u32) -> i64 {
    let expiry = date
        .checked_add_days(Days::new(u64::from(retention_days)))
        .unwrap_or(NaiveDate::MAX);
    // Epoch 0 is the standing epoch; dated data always lands after it.
    day_number(expiry).max(1)
}

pub(crate) fn profile_index(inner: &mut Inner, profile: &ProfileId) -> [u8; 32] {
    inner.keys.profile_index(profile.as_str()).0
}

/// A monitoring period to be stored.
#[derive(Debug, Clone)]
pub struct NewMonitoringPeriod {
    /// Who is monitored.
    pub profile_id: ProfileId,
    /// Under which policy.
    pub policy_id: String,
    /// First day.
    pub start: NaiveDate,
    /// Length in days, from the policy.
    pub days: u32,
    /// Why.
    pub reason: MonitoringReason,
    /// Device retention of the policy, in days after the last day.
    pub retention_days: u32,
    /// The enrollment order that set it, if one did.
    pub order: Option<crate::model::PeriodOrder>,
}

impl Store {
    /// Stores a monitoring period; `Conflict` if it overlaps one of the same profile and
    /// policy.
    pub fn add_monitoring_period(&self, new: NewMonitoringPeriod) -> Result<MonitoringPeriod> {
        let period = MonitoringPeriod {
            id: MonitoringId::from_random_bytes(random_id()?),
            profile_id: new.profile_id,
            policy_id: new.policy_id,
            start: new.start,
            days: new.days,
            reason: new.reason,
            order: new.order,
        };
        if let Some(existing) = self
            .monitoring_periods()?
            .into_iter()
            .find(|existing| existing.overlaps(&period))
        {
            return Err(Error::Conflict(format!(
                "a monitoring period for this profile and policy already runs from {} to {}",
                existing.start,
                existing.last_day()
            )));
        }
        let epoch = expiry_epoch(period.last_day(), new.retention_days);
        let plaintext = encode(&period)?;
        let mut guard = self.lock();
        let inner = &mut *guard;
        let profile_idx = profile_index(inner, &period.profile_id);
        let sealed =
            inner
                .keys
                .seal_row(&inner.conn, TABLE, period.id.as_str(), epoch, &plaintext)?;
        inner.conn.execute(
            "INSERT INTO monitoring_periods (id, epoch, profile_idx, sealed) VALUES (?1, ?2, ?3, ?4)",
            params![period.id.as_str(), epoch, profile_idx, sealed],
        )?;
        Ok(period)
    }

    /// Replaces the stored period with the same id by `period` (ended early, or its start
    /// or reason corrected), sealed again under the epoch its new last day and
    /// `retention_days` give. `Conflict` if it would overlap another period of the same
    /// profile and policy; `NotFound` if there is no such period.
    pub fn replace_monitoring_period(
        &self,
        period: &MonitoringPeriod,
        retention_days: u32,
    ) -> Result<()> {
        let others = self.monitoring_periods()?;
        if !others.iter().any(|existing| existing.id == period.id) {
            return Err(Error::NotFound {
                what: "monitoring period",
                id: period.id.to_string(),
            });
        }
        if let Some(existing) = others
            .iter()
            .find(|existing| existing.id != period.id && existing.overlaps(period))
        {
            return Err(Error::Conflict(format!(
                "another monitoring period for this profile and policy runs from {} to {}",
                existing.start,
                existing.last_day()
            )));
        }
        let epoch = expiry_epoch(period.last_day(), retention_days);
        let plaintext = encode(period)?;
        let mut guard = self.lock();
        let inner = &mut *guard;
        let sealed =
            inner
                .keys
                .seal_row(&inner.conn, TABLE, period.id.as_str(), epoch, &plaintext)?;
        inner.conn.execute(
            "UPDATE monitoring_periods SET epoch = ?2, sealed = ?3 WHERE id = ?1",
            params![period.id.as_str(), epoch, sealed],
        )?;
        Ok(())
    }

    /// Every stored monitoring period, ordered by start date.
    pub fn monitoring_periods(&self) -> Result<Vec<MonitoringPeriod>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let rows: Vec<(String, i64, Vec<u8>)> = {
            let mut statement = inner
                .conn
                .prepare_cached("SELECT id, epoch, sealed FROM monitoring_periods")?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut periods = Vec::with_capacity(rows.len());
        for (id, epoch, sealed) in rows {
            let plaintext = inner
                .keys
                .open_row(&inner.conn, TABLE, &id, epoch, &sealed)?;
            periods.push(decode::<MonitoringPeriod>(TABLE, &id, &plaintext)?);
        }
        periods.sort_by(|a, b| a.start.cmp(&b.start).then(a.id.cmp(&b.id)));
        Ok(periods)
    }
}
