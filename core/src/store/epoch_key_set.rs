//! The epoch keys held in memory: one vector sorted by epoch.
//!
//! A store holds a few dozen to a few hundred epoch keys, all opened at unlock and looked
//! up once per row read. A sorted vector is built from the opened pages with one sort of
//! already ordered runs, searched in a handful of comparisons, and dropped without a tree
//! walk; inserts (a new day's key, a few times a month) shift a few kilobytes at most.

use std::ops::RangeInclusive;

use crate::crypto::DataKey;

/// Epoch keys by epoch, each epoch at most once. Keys are zeroized when dropped.
#[derive(Default)]
pub(crate) struct EpochKeySet {
    keys: Vec<(i64, DataKey)>,
}

impl EpochKeySet {
    /// The set of `keys`, in any order; of two keys for one epoch, one is kept.
    pub(crate) fn from_keys(mut keys: Vec<(i64, DataKey)>) -> Self {
        keys.sort_by_key(|(epoch, _)| *epoch);
        keys.dedup_by_key(|(epoch, _)| *epoch);
        Self { keys }
    }

    fn position(&self, epoch: i64) -> Result<usize, usize> {
        self.keys.binary_search_by_key(&epoch, |(held, _)| *held)
    }

    /// The key of `epoch`, if held.
    pub(crate) fn get(&self, epoch: i64) -> Option<&DataKey> {
        self.position(epoch)
            .ok()
            .and_then(|index| self.keys.get(index))
            .map(|(_, key)| key)
    }

    /// Whether the key of `epoch` is held.
    pub(crate) fn contains(&self, epoch: i64) -> bool {
        self.position(epoch).is_ok()
    }

    /// Holds `key` for `epoch`, in place of any key held for it.
    pub(crate) fn insert(&mut self, epoch: i64, key: DataKey) {
        match self.position(epoch) {
            Ok(index) => {
                if let Some(slot) = self.keys.get_mut(index) {
                    slot.1 = key;
                }
            }
            Err(index) => self.keys.insert(index, (epoch, key)),
        }
    }

    /// The keys held for `epochs`, in increasing order.
    pub(crate) fn range(
        &self,
        epochs: RangeInclusive<i64>,
    ) -> impl Iterator<Item = (i64, &DataKey)> {
        let start = self
            .keys
            .partition_point(|(epoch, _)| epoch < epochs.start());
        let end = self
            .keys
            .partition_point(|(epoch, _)| epoch <= epochs.end());
        self.keys
            .get(start..end.max(start))
            .unwrap_or_default()
            .iter()
            .map(|(epoch, key)| (*epoch, key))
    }

    /// Keeps the keys whose epoch `keep` accepts; the others are dropped (zeroized).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(i64) -> bool) {
        self.keys.retain(|(epoch, _)| keep(*epoch));
    }

    /// Replaces the keys held for `epochs` with `keys` (all inside `epochs`).
    pub(crate) fn replace_range(&mut self, epochs: RangeInclusive<i64>, keys: Vec<(i64, DataKey)>) {
        self.retain(|epoch| !epochs.contains(&epoch));
        for (epoch, key) in keys {
            self.insert(epoch, key);
        }
    }

    /// How many keys are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes([byte; 32])
    }

    fn held(set: &EpochKeySet, epochs: RangeInclusive<i64>) -> Vec<(i64, u8)> {
        set.range(epochs)
            .map(|(epoch, key)| (epoch, key.bytes()[0]))
            .collect()
    }

    #[test]
    fn keys_given_in_any_order_are_found_by_epoch() {
        let set =
            EpochKeySet::from_keys(vec![(40, key(4)), (0, key(0)), (33, key(3)), (2, key(2))]);
        assert_eq!(
            held(&set, i64::MIN..=i64::MAX),
            [(0, 0), (2, 2), (33, 3), (40, 4)]
        );
        assert_eq!(set.get(33).map(|key| key.bytes()[0]), Some(3));
        assert!(set.get(34).is_none());
        assert!(set.contains(0) && !set.contains(1) && !set.contains(-1));
        assert_eq!(held(&set, 1..=33), [(2, 2), (33, 3)]);
        assert_eq!(held(&set, 34..=39), []);
        #[allow(clippy::reversed_empty_ranges)] // the point: a range with nothing in it
        let reversed = 10..=5;
        assert_eq!(held(&set, reversed), [], "an empty range");
    }

    #[test]
    fn insert_keeps_the_order_and_replaces_an_epoch_held() {
        let mut set = EpochKeySet::default();
        for (epoch, byte) in [(5, 5), (1, 1), (9, 9), (5, 6)] {
            set.insert(epoch, key(byte));
        }
        assert_eq!(held(&set, 0..=10), [(1, 1), (5, 6), (9, 9)]);
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn retain_and_replace_range_touch_only_their_epochs() {
        let mut set =
            EpochKeySet::from_keys((0..10).map(|epoch| (epoch, key(epoch as u8))).collect());
        set.retain(|epoch| epoch % 2 == 0);
        assert_eq!(held(&set, 0..=9), [(0, 0), (2, 2), (4, 4), (6, 6), (8, 8)]);
        set.replace_range(3..=6, vec![(3, key(30)), (5, key(50))]);
        assert_eq!(
            held(&set, 0..=9),
            [(0, 0), (2, 2), (3, 30), (5, 50), (8, 8)]
        );
    }
}
