//! Rate limits per client, in memory only: each client address (an IPv4 address, or an
//! IPv6 /64, what one subscriber is usually given) has its own token bucket of at most
//! `per_second` requests a second on average, with bursts of up to one second's worth (or,
//! for a route limited on its own such as typed-code redemption, `count` requests per
//! `window`, with bursts of up to `count`). One client looping on a route empties its own
//! bucket, never another device's.
//!
//! No address is kept: buckets are found by a keyed hash of the address (SipHash under
//! keys drawn at start, never written anywhere), and the table is bounded
//! ([`MAX_CLIENTS`]): past it, buckets that have refilled are forgotten first, then the
//! least recently used. Behind a reverse proxy every request comes from the proxy's
//! address, so the proxy must apply its own per-client limit (docs/deployment.md).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clients tracked at most (about 40 bytes each).
pub(crate) const MAX_CLIENTS: usize = 100_000;

/// The per-client token buckets.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// Tokens a bucket refills by each second.
    per_second: f64,
    /// Tokens a full bucket holds (the largest burst).
    burst: f64,
    hasher: RandomState,
    buckets: Mutex<HashMap<u64, Bucket>>,
    max_clients: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    /// Buckets allowing `per_second` requests a second to each client (at least one).
    pub(crate) fn new(per_second: u32) -> Self {
        Self::with_capacity(per_second, MAX_CLIENTS)
    }

    /// Buckets allowing each client `count` requests (at least one) per `window` (at
    /// least a second) on average, with bursts of up to `count`.
    pub(crate) fn per_window(count: u32, window: Duration) -> Self {
        let count = f64::from(count.max(1));
        Self {
            per_second: count / window.as_secs_f64().max(1.0),
            burst: count,
            ..Self::with_capacity(1, MAX_CLIENTS)
        }
    }

    fn with_capacity(per_second: u32, max_clients: usize) -> Self {
        Self {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(per_second.max(1)),
            hasher: RandomState::new(),
            buckets: Mutex::new(HashMap::new()),
            max_clients: max_clients.max(1),
        }
    }

    /// Takes a token from `client`'s bucket at `now`, or says how long until one is
    /// available.
    pub(crate) fn try_acquire(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = self.hasher.hash_one(client_prefix(client));
        // A poisoned lock only means a thread panicked holding numbers; they are still
        // valid buckets.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !buckets.contains_key(&key) && buckets.len() >= self.max_clients {
            self.make_room(&mut buckets, now);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            refilled_at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled_at);
        bucket.tokens = (bucket.tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
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

    /// Forgets buckets that have refilled by `now` (a new one would be the same); if none
    /// has, the least recently used half.
    fn make_room(&self, buckets: &mut HashMap<u64, Bucket>, now: Instant) {
        let full_after = Duration::from_secs_f64(self.burst / self.per_second);
        buckets.retain(|_, bucket| now.saturating_duration_since(bucket.refilled_at) < full_after);
        if buckets.len() >= self.max_clients {
            let mut times: Vec<Instant> =
                buckets.values().map(|bucket| bucket.refilled_at).collect();
            let middle = times.len() / 2;
            let (_, cut, _) = times.select_nth_unstable(middle);
            let cut = *cut;
            buckets.retain(|_, bucket| bucket.refilled_at > cut);
        }
    }

    /// Clients tracked now.
    #[cfg(test)]
    fn clients(&self) -> usize {
        self.buckets.lock().map_or(0, |buckets| buckets.len())
    }
}

/// What identifies a client: its IPv4 address (an IPv4-mapped IPv6 address counts as
/// IPv4), or the first 64 bits of its IPv6 address.
pub(crate) fn client_prefix(client: IpAddr) -> [u8; 9] {
    let mut prefix = [0u8; 9];
    match client {
        IpAddr::V4(v4) => prefix[1..5].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => prefix[1..5].copy_from_slice(&v4.octets()),
            None => {
                prefix[0] = 6;
                prefix[1..].copy_from_slice(&v6.octets()[..8]);
            }
        },
    }
    prefix
}

/// Whole seconds for a `Retry-After` header: the wait rounded up, at least one.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const TWO: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn allows_a_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.try_acquire(ONE, start).is_ok());
        }
        let wait = limiter.try_acquire(ONE, start).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(334));
        assert!(
            limiter
                .try_acquire(ONE, start + Duration::from_millis(340))
                .is_ok()
        );
        assert!(
            limiter
                .try_acquire(ONE, start + Duration::from_millis(340))
                .is_err()
        );
        // A long pause refills to one second's worth, no more.
        let later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.try_acquire(ONE, later).is_ok());
        }
        assert!(limiter.try_acquire(ONE, later).is_err());
    }

    #[test]
    fn one_client_emptying_its_bucket_leaves_the_others_theirs() {
        let limiter = RateLimiter::new(2);
        let now = Instant::now();
        while limiter.try_acquire(ONE, now).is_ok() {}
        assert!(limiter.try_acquire(TWO, now).is_ok());
        assert!(limiter.try_acquire(TWO, now).is_ok());
        assert!(limiter.try_acquire(TWO, now).is_err());
    }

    #[test]
    fn an_ipv6_64_is_one_client_and_mapped_ipv4_is_ipv4() {
        let limiter = RateLimiter::new(1);
        let now = Instant::now();
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.try_acquire(a, now).is_ok());
        assert!(limiter.try_acquire(b, now).is_err(), "same /64");
        assert!(limiter.try_acquire(other, now).is_ok());
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert!(limiter.try_acquire(ONE, now).is_ok());
        assert!(
            limiter.try_acquire(mapped, now).is_err(),
            "the same IPv4 client"
        );
    }

    #[test]
    fn the_table_is_bounded_and_forgets_refilled_buckets_first() {
        let limiter = RateLimiter::with_capacity(1, 4);
        let start = Instant::now();
        for n in 0..4u8 {
            let client = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, n));
            assert!(limiter.try_acquire(client, start).is_ok());
        }
        assert_eq!(limiter.clients(), 4);
        // Two seconds later every bucket has refilled: they go, the new one comes in.
        let later = start + Duration::from_secs(2);
        assert!(limiter.try_acquire(TWO, later).is_ok());
        assert_eq!(limiter.clients(), 1);
        // A table full of busy clients drops its least recently used half.
        for n in 0..3u8 {
            let client = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 1, n));
            let at = later + Duration::from_millis(u64::from(n) + 1);
            assert!(limiter.try_acquire(client, at).is_ok());
        }
        assert_eq!(limiter.clients(), 4);
        assert!(
            limiter
                .try_acquire(ONE, later + Duration::from_millis(10))
                .is_ok()
        );
        assert!(limiter.clients() <= 4);
    }

    #[test]
    fn a_windowed_limit_allows_its_count_then_refills_over_the_window() {
        let limiter = RateLimiter::per_window(5, Duration::from_secs(600));
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limiter.try_acquire(ONE, start).is_ok());
        }
        let wait = limiter.try_acquire(ONE, start).unwrap_err();
        assert!(
            wait > Duration::from_secs(119) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        assert!(limiter.try_acquire(TWO, start).is_ok(), "another address");
        assert!(
            limiter
                .try_acquire(ONE, start + Duration::from_secs(60))
                .is_err()
        );
        assert!(
            limiter
                .try_acquire(ONE, start + Duration::from_secs(120))
                .is_ok()
        );
        // A long pause refills to the count, no more.
        let later = start + Duration::from_secs(6000);
        for _ in 0..5 {
            assert!(limiter.try_acquire(ONE, later).is_ok());
        }
        assert!(limiter.try_acquire(ONE, later).is_err());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(2)), 2);
    }
}
