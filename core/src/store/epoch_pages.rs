//! Epoch keys on disk: sealed together in pages of [`PAGE_EPOCHS`] consecutive epochs.
//!
//! A page (a `meta` row named `epoch_page/<n>`, schema version 3) is one AEAD value under
//! the store's wrapping key, bound to `"selfreport.epoch-page/1" || page number`, so a page cannot be
//! moved to another number. Its plaintext is a run of entries, one per key, in increasing
//! epoch order: the epoch's offset in the page (one byte, below [`PAGE_EPOCHS`]) and the
//! key's 32 bytes. A month of history needs one or two pages instead of one wrapped key per
//! day, which is what lets `unlock` load every key of the store with the query that reads
//! the wrapped store key.
//!
//! Shredding an epoch rewrites its page without the key (fresh nonce) or deletes the page
//! when it was the last one; with `secure_delete` on, the old cell is zeroed, and purge's
//! WAL truncation removes the old frame.

use std::ops::RangeInclusive;

use zeroize::Zeroizing;

use crate::crypto::{AssociatedData, AssociatedDataTooLong, DataKey, open_in_place, seal};
use crate::error::Result;

/// Epochs per page: a month of days fits in one or two pages.
pub(crate) const PAGE_EPOCHS: i64 = 32;

/// Bytes of one entry: offset and key.
const ENTRY_LEN: usize = 1 + 32;

/// The page holding `epoch`.
pub(crate) fn page_of(epoch: i64) -> i64 {
    epoch.div_euclid(PAGE_EPOCHS)
}

/// The epochs of `page`.
pub(crate) fn epochs_of(page: i64) -> RangeInclusive<i64> {
    let first = page.saturating_mul(PAGE_EPOCHS);
    first..=first.saturating_add(PAGE_EPOCHS - 1)
}

fn page_ad(page: i64) -> std::result::Result<AssociatedData, AssociatedDataTooLong> {
    AssociatedData::new("selfreport.epoch-page/1")?.part(&page.to_be_bytes())
}

/// Seals the keys of one page; `keys` are in increasing epoch order, all inside `page`.
pub(crate) fn seal_page<'a>(
    wrapping_key: &DataKey,
    page: i64,
    keys: impl Iterator<Item = (i64, &'a DataKey)>,
) -> Result<Vec<u8>> {
    let first = *epochs_of(page).start();
    let mut plaintext = Zeroizing::new(Vec::with_capacity(PAGE_EPOCHS as usize * ENTRY_LEN));
    for (epoch, key) in keys {
        let offset = epoch
            .checked_sub(first)
            .filter(|offset| (0..PAGE_EPOCHS).contains(offset))
            .and_then(|offset| u8::try_from(offset).ok())
            .ok_or(crate::error::Error::Crypto(
                "an epoch key outside the page it is sealed in",
            ))?;
        plaintext.push(offset);
        plaintext.extend_from_slice(key.bytes());
    }
    seal(wrapping_key, &page_ad(page)?, &plaintext)
}

/// Why a page's bytes did not give its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DamagedPage;

/// Opens a page sealed by [`seal_page`]: its keys by epoch, in increasing order.
pub(crate) fn open_page(
    wrapping_key: &DataKey,
    page: i64,
    sealed: Vec<u8>,
) -> std::result::Result<Vec<(i64, DataKey)>, DamagedPage> {
    let ad = page_ad(page).map_err(|_| DamagedPage)?;
    let plaintext = open_in_place(wrapping_key, &ad, sealed).map_err(|_| DamagedPage)?;
    if plaintext.len() % ENTRY_LEN != 0 {
        return Err(DamagedPage);
    }
    let first = *epochs_of(page).start();
    let mut keys = Vec::with_capacity(plaintext.len() / ENTRY_LEN);
    let mut previous: Option<u8> = None;
    for entry in plaintext.chunks_exact(ENTRY_LEN) {
        let (&offset, key) = entry.split_first().ok_or(DamagedPage)?;
        // Offsets inside the page, each once, in order: anything else was not written here.
        if i64::from(offset) >= PAGE_EPOCHS || previous.is_some_and(|last| offset <= last) {
            return Err(DamagedPage);
        }
        previous = Some(offset);
        let bytes: [u8; 32] = key.try_into().map_err(|_| DamagedPage)?;
        keys.push((first + i64::from(offset), DataKey::from_bytes(bytes)));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes([byte; 32])
    }

    #[test]
    fn pages_cover_every_epoch_once_including_negative_ones() {
        for epoch in [-65, -33, -32, -1, 0, 1, 31, 32, 20_800, 20_831, 20_832] {
            let page = page_of(epoch);
            assert!(epochs_of(page).contains(&epoch), "{epoch}");
            assert!(!epochs_of(page + 1).contains(&epoch));
            assert!(!epochs_of(page - 1).contains(&epoch));
        }
        assert_eq!(page_of(0), 0);
        assert_eq!(page_of(-1), -1);
        assert_eq!(epochs_of(650), 20_800..=20_831);
    }

    #[test]
    fn a_page_opens_to_the_keys_it_sealed() {
        let wrapping = key(7);
        let keys = [(20_800, key(1)), (20_801, key(2)), (20_831, key(3))];
        let sealed = seal_page(&wrapping, 650, keys.iter().map(|(e, k)| (*e, k))).unwrap();
        let opened = open_page(&wrapping, 650, sealed).unwrap();
        let opened: Vec<(i64, [u8; 32])> = opened
            .iter()
            .map(|(epoch, key)| (*epoch, *key.bytes()))
            .collect();
        let expected: Vec<(i64, [u8; 32])> = keys.iter().map(|(e, k)| (*e, *k.bytes())).collect();
        assert_eq!(opened, expected);
        // An empty page is valid too (it is deleted rather than written, but reads fine).
        let empty = seal_page(&wrapping, 650, std::iter::empty()).unwrap();
        assert!(open_page(&wrapping, 650, empty).unwrap().is_empty());
    }

    #[test]
    fn a_page_under_another_number_or_key_or_with_any_byte_flipped_is_damaged() {
        let wrapping = key(7);
        let keys = [(20_800, key(1)), (20_810, key(2))];
        let sealed = seal_page(&wrapping, 650, keys.iter().map(|(e, k)| (*e, k))).unwrap();
        assert_eq!(
            open_page(&wrapping, 651, sealed.clone()).err(),
            Some(DamagedPage)
        );
        assert_eq!(
            open_page(&key(8), 650, sealed.clone()).err(),
            Some(DamagedPage)
        );
        for index in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[index] ^= 0x01;
            assert_eq!(
                open_page(&wrapping, 650, flipped).err(),
                Some(DamagedPage),
                "{index}"
            );
        }
        assert_eq!(
            open_page(&wrapping, 650, Vec::new()).err(),
            Some(DamagedPage)
        );
    }

    #[test]
    fn a_key_outside_its_page_is_refused_when_sealing() {
        let wrapping = key(7);
        let outside = key(1);
        for epoch in [20_799, 20_832] {
            assert!(seal_page(&wrapping, 650, [(epoch, &outside)].into_iter()).is_err());
        }
    }

    #[test]
    fn entries_out_of_order_repeated_or_cut_short_are_damaged() {
        let wrapping = key(7);
        let sealed_plaintext =
            |plaintext: &[u8]| seal(&wrapping, &page_ad(650).unwrap(), plaintext).unwrap();
        let entry = |offset: u8| {
            let mut bytes = vec![offset];
            bytes.extend_from_slice(&[9; 32]);
            bytes
        };
        let repeated = [entry(3), entry(3)].concat();
        let backwards = [entry(4), entry(3)].concat();
        let beyond = entry(32);
        let cut = entry(1)[..20].to_vec();
        for plaintext in [repeated, backwards, beyond, cut] {
            assert_eq!(
                open_page(&wrapping, 650, sealed_plaintext(&plaintext)).err(),
                Some(DamagedPage)
            );
        }
    }
}
