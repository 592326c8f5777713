//! When to try again: exponential backoff with full jitter and a cap, and `Retry-After`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::crypto::random_array;

/// The retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first backoff ceiling.
    pub base: Duration,
    /// The largest backoff ceiling.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(6 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The ceiling after `attempts` failed attempts: `min(cap, base * 2^(attempts-1))`.
    pub fn ceiling(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        self.base
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// A delay drawn uniformly from `[0, ceiling(attempts)]` ("full jitter"), so many
    /// devices failing together do not retry together.
    pub fn delay(&self, attempts: u32) -> Duration {
        let ceiling = self.ceiling(attempts).as_millis();
        let ceiling = u64::try_from(ceiling).unwrap_or(u64::MAX);
        let draw = random_array::<8>()
            .map(u64::from_le_bytes)
            .unwrap_or(ceiling);
        Duration::from_millis(draw % ceiling.saturating_add(1))
    }

    /// The delay before the next attempt: the jittered backoff, but never earlier than
    /// the server's `Retry-After`, and never beyond the cap unless the server asked.
    pub fn next_delay(&self, attempts: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self.delay(attempts);
        match retry_after {
            Some(asked) => asked.max(backoff),
            None => backoff,
        }
    }
}

/// When a retry `delay` after `now` falls due, in the outbox's Unix seconds: the first whole
/// second at or after `now + delay`, so that a retry is never due before its delay (a
/// server's `Retry-After` in particular) has passed in full. Rounding down instead would
/// let a retry go out up to a second early. A zero delay is due at once (`now`'s second).
pub fn due_at(now: DateTime<Utc>, delay: Duration) -> i64 {
    if delay.is_zero() {
        return now.timestamp();
    }
    let nanos = u128::from(now.timestamp_subsec_nanos()).saturating_add(delay.as_nanos());
    let whole = nanos / 1_000_000_000 + u128::from(nanos % 1_000_000_000 != 0);
    now.timestamp()
        .saturating_add(i64::try_from(whole).unwrap_or(i64::MAX))
}

/// Longest `Retry-After` honoured; a hostile server cannot park a submission for months.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parses `Retry-After`: delay-seconds or an HTTP-date, relative to `now`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let when = DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc);
        (when - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(10),
        };
        let ceilings: Vec<u64> = (1..=6).map(|n| policy.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 10, 10]);
        assert_eq!(policy.ceiling(1_000), Duration::from_secs(10));
    }

    #[test]
    fn jitter_stays_within_the_ceiling_and_varies() {
        let policy = RetryPolicy {
            base: Duration::from_secs(8),
            cap: Duration::from_secs(60),
        };
        let draws: Vec<Duration> = (0..200).map(|_| policy.delay(3)).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_secs(32)));
        assert!(
            draws.iter().any(|d| *d != draws[0]),
            "full jitter draws differ"
        );
    }

    #[test]
    fn retry_after_is_honoured_as_a_floor() {
        let policy = RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
        };
        assert!(policy.next_delay(1, Some(Duration::from_secs(5))) >= Duration::from_secs(5));
    }

    /// The suite in `tests/tests/network_faults.rs` found retries sent up to a second
    /// before a `429`'s `Retry-After` had passed: the due time was `now` in whole seconds,
    /// rounded down, plus the delay.
    #[test]
    fn a_retry_is_never_due_before_its_delay_has_passed() {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        };
        let second = |text: &str| at(text).timestamp();
        let late = at("2026-11-28T08:00:00.900Z");
        assert_eq!(
            due_at(late, Duration::from_secs(1)),
            second("2026-11-28T08:00:02Z")
        );
        assert_eq!(
            due_at(late, Duration::from_millis(100)),
            second("2026-11-28T08:00:01Z")
        );
        assert_eq!(
            due_at(late, Duration::from_millis(101)),
            second("2026-11-28T08:00:02Z")
        );
        let exact = at("2026-11-28T08:00:00Z");
        assert_eq!(
            due_at(exact, Duration::from_secs(2)),
            second("2026-11-28T08:00:02Z")
        );
        assert_eq!(due_at(late, Duration::ZERO), second("2026-11-28T08:00:00Z"));
        assert_eq!(due_at(late, Duration::MAX), i64::MAX);
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 08:01:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
    }
}
