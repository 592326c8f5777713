//! Time, injected: the person's local date decides what is due and what expires.
//!
//! Everything in the core that needs "now" or "today" asks a [`Clock`]. Apps use
//! [`SystemClock`]; tests use [`FixedClock`] to cross midnight and time zones at will.

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// A source of the current instant in the person's local time zone.
pub trait Clock: Send + Sync {
    /// The current instant, carrying the local UTC offset in force now.
    fn now(&self) -> DateTime<FixedOffset>;

    /// The person's local calendar date now.
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The operating system's clock and local time zone.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        chrono::Local::now().fixed_offset()
    }
}

/// A clock that stays where it is set; for tests, benchmarks and the demo.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<FixedOffset>>,
}

impl FixedClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<FixedOffset>) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// A clock at local noon of `date` in the zone `offset_seconds` east of UTC.
    ///
    /// Returns `None` when the offset is out of range (beyond ±24 hours).
    pub fn at_local_noon(date: NaiveDate, offset_seconds: i32) -> Option<Self> {
        let offset = FixedOffset::east_opt(offset_seconds)?;
        let noon = date.and_hms_opt(12, 0, 0)?;
        let local = noon.and_local_timezone(offset).single()?;
        Some(Self::new(local))
    }

    /// Moves the clock to `now`.
    pub fn set(&self, now: DateTime<FixedOffset>) {
        *self.lock() = now;
    }

    /// Moves the clock forward (or back, for negative values) by whole days.
    pub fn advance_days(&self, days: i64) {
        let mut guard = self.lock();
        *guard += chrono::Duration::days(days);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<FixedOffset>> {
        // A poisoned lock only means another test thread panicked while holding a
        // plain value; the value itself is still a valid instant.
        self.now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.lock()
    }
}

/// Days since 1970-01-01 of a calendar date; the unit of retention epochs.
pub fn day_number(date: NaiveDate) -> i64 {
    let epoch = DateTime::<Utc>::UNIX_EPOCH.date_naive();
    (date - epoch).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("valid test timestamp")
    }

    #[test]
    fn today_is_the_local_date_not_the_utc_date() {
        // 23:30 in Shanghai is 15:30 UTC the same day.
        let shanghai = FixedClock::new(at("2026-11-28T23:30:00+08:00"));
        assert_eq!(
            shanghai.today(),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
        // 00:30 in Shanghai is still the previous day in UTC, but the person's day is the 29th.
        shanghai.set(at("2026-11-29T00:30:00+08:00"));
        assert_eq!(
            shanghai.today(),
            NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
        );
        // The same instant seen from New York is the 28th.
        let new_york = FixedClock::new(at("2026-11-28T11:30:00-05:00"));
        assert_eq!(new_york.now(), shanghai.now());
        assert_eq!(
            new_york.today(),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
    }

    #[test]
    fn advancing_crosses_months() {
        let clock =
            FixedClock::at_local_noon(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), 8 * 3600)
                .unwrap();
        clock.advance_days(1);
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    }

    #[test]
    fn day_numbers_count_from_the_unix_epoch() {
        assert_eq!(day_number(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
        assert_eq!(
            day_number(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()),
            20_785
        );
    }
}
