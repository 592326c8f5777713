//! A process-wide token bucket: at most `per_second` requests a second on average, with
//! bursts of up to one second's worth.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The token bucket.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    /// A full bucket allowing `per_second` requests a second (at least one).
    pub(crate) fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second.max(1));
        Self {
            per_second,
            state: Mutex::new(Bucket {
                tokens: per_second,
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Takes a token at `now`, or says how long until one is available.
    pub(crate) fn try_acquire(&self, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means a thread panicked holding two numbers; they are
        // still a valid bucket.
        let mut bucket = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let elapsed = now.saturating_duration_since(bucket.refilled_at);
        bucket.tokens =
            (bucket.tokens + elapsed.as_secs_f64() * self.per_second).min(self.per_second);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

/// Whole seconds for a `Retry-After` header: the wait rounded up, at least one.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.try_acquire(start).is_ok());
        }
        let wait = limiter.try_acquire(start).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(334));
        assert!(
            limiter
                .try_acquire(start + Duration::from_millis(340))
                .is_ok()
        );
        assert!(
            limiter
                .try_acquire(start + Duration::from_millis(340))
                .is_err()
        );
        // A long pause refills to one second's worth, no more.
        let later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.try_acquire(later).is_ok());
        }
        assert!(limiter.try_acquire(later).is_err());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(2)), 2);
    }
}
