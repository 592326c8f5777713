//! The cap on `open` upload tokens: at most [`OPEN_TOKENS_PER_DAY`] per client address (an
//! IPv4 address or an IPv6 /64, as the rate limit keys them) and UTC day, counted in
//! memory only. Counters are found by a keyed hash of the address (SipHash under keys
//! drawn at start), never the address itself; nothing is written anywhere. The table is
//! bounded ([`MAX_CLIENTS`]): counters of earlier days go first; when it is still full a
//! new address is refused until the next day rather than letting old counts be forgotten.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::NaiveDate;

use super::rate_limit::{MAX_CLIENTS, client_prefix};

/// Open tokens issued per client address and UTC day.
pub(crate) const OPEN_TOKENS_PER_DAY: u32 = 8;

/// The per-address counts of the current day.
#[derive(Debug)]
pub(crate) struct OpenIssuance {
    hasher: RandomState,
    counts: Mutex<HashMap<u64, (NaiveDate, u32)>>,
    max_clients: usize,
}

impl OpenIssuance {
    /// No tokens issued yet.
    pub(crate) fn new() -> Self {
        Self::with_capacity(MAX_CLIENTS)
    }

    fn with_capacity(max_clients: usize) -> Self {
        Self {
            hasher: RandomState::new(),
            counts: Mutex::new(HashMap::new()),
            max_clients: max_clients.max(1),
        }
    }

    /// Counts `n` tokens for `client` on `day` if they fit its day's cap; `false` (nothing
    /// counted) otherwise.
    pub(crate) fn try_take(&self, client: IpAddr, day: NaiveDate, n: u32) -> bool {
        let key = self.hasher.hash_one(client_prefix(client));
        // A poisoned lock only means a thread panicked holding numbers; they are still
        // valid counts.
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !counts.contains_key(&key) && counts.len() >= self.max_clients {
            counts.retain(|_, (counted_on, _)| *counted_on == day);
            if counts.len() >= self.max_clients {
                return false;
            }
        }
        let entry = counts.entry(key).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        match entry.1.checked_add(n) {
            Some(total) if total <= OPEN_TOKENS_PER_DAY => {
                entry.1 = total;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn each_address_gets_eight_a_day_and_a_new_day_starts_over() {
        let issuance = OpenIssuance::new();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let today = day("2026-12-07");
        assert!(issuance.try_take(a, today, 5));
        assert!(!issuance.try_take(a, today, 4), "9 > 8: nothing counted");
        assert!(issuance.try_take(a, today, 3));
        assert!(!issuance.try_take(a, today, 1));
        assert!(
            issuance.try_take(b, today, 8),
            "another address is unaffected"
        );
        assert!(issuance.try_take(a, day("2026-12-08"), 8));
        // One IPv6 /64 is one client.
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(issuance.try_take(v6a, today, 8));
        assert!(!issuance.try_take(v6b, today, 1));
    }

    #[test]
    fn a_full_table_forgets_earlier_days_first_then_refuses() {
        let issuance = OpenIssuance::with_capacity(2);
        let [a, b, c]: [IpAddr; 3] =
            ["192.0.2.1", "192.0.2.2", "192.0.2.3"].map(|ip| ip.parse().unwrap());
        assert!(issuance.try_take(a, day("2026-12-06"), 8));
        assert!(issuance.try_take(b, day("2026-12-07"), 1));
        assert!(
            issuance.try_take(c, day("2026-12-07"), 1),
            "a's old count went"
        );
        assert!(
            !issuance.try_take(a, day("2026-12-07"), 1),
            "full of today's counts"
        );
        assert!(
            issuance.try_take(b, day("2026-12-07"), 1),
            "known addresses go on"
        );
    }
}
