//! What an installed policy's row holds: its envelope exactly as received, or — for a
//! policy signed under a delegation chain — the envelope with each delegation cut out and
//! named by its SHA-256, the delegations themselves stored once in their own table.
//!
//! Every version of a policy signed under the same chain, and every policy of the same
//! office, names the same delegations, which are the larger part of such an envelope
//! (two links: 5.5 KB against 3.9 KB without). Stored once, an update writes a row the size
//! of a root-signed one, within one database page.
//!
//! The compact form, which cannot be taken for an envelope (those begin with `{`):
//!
//! ```text
//! "SRPOLICY1" || n (u8) || n × (offset: u32 big-endian, sha256: 32 bytes) || rest
//! ```
//!
//! `rest` is the envelope without its delegations; each `offset` is where its delegation
//! stands in the whole envelope, in increasing order. Rebuilding splices each delegation's
//! bytes back, each checked against its digest, so the envelope comes back byte for byte.

use std::ops::Range;

use crate::crypto::sha256;

/// Opens the compact form.
const MAGIC: &[u8] = b"SRPOLICY1";
/// A chain has at most this many links (the policy format's limit is lower).
const MAX_LINKS: usize = 16;
/// Bytes per link reference: offset and digest.
const REFERENCE_LEN: usize = 4 + 32;

/// A row's content, read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PolicyRow<'a> {
    /// The whole envelope.
    Envelope(&'a [u8]),
    /// The envelope without its delegations, and where each goes back.
    Compact {
        /// `(offset, sha256)` of each delegation, in order.
        links: Vec<(usize, [u8; 32])>,
        /// The rest of the envelope.
        rest: &'a [u8],
    },
}

/// The row for `envelope`, whose delegations stand at `spans` with their SHA-256 (in
/// order, not overlapping): the compact form and each delegation's digest and bytes, or
/// the envelope as it is when it has none. `None` if a span does not lie within the
/// envelope.
pub(crate) fn compact<'a>(
    envelope: &'a [u8],
    spans: &[(Range<usize>, [u8; 32])],
) -> Option<(Vec<u8>, Vec<StoredLink<'a>>)> {
    if spans.is_empty() {
        return Some((envelope.to_vec(), Vec::new()));
    }
    if spans.len() > MAX_LINKS {
        return None;
    }
    let removed: usize = spans.iter().map(|(span, _)| span.len()).sum();
    let mut row = Vec::with_capacity(
        MAGIC.len() + 1 + spans.len() * REFERENCE_LEN + envelope.len()
            - removed.min(envelope.len()),
    );
    row.extend_from_slice(MAGIC);
    row.push(u8::try_from(spans.len()).ok()?);
    let mut links = Vec::with_capacity(spans.len());
    let mut previous_end = 0;
    for (span, digest) in spans {
        if span.start < previous_end || span.end > envelope.len() || span.is_empty() {
            return None;
        }
        let bytes = &envelope[span.clone()];
        row.extend_from_slice(&u32::try_from(span.start).ok()?.to_be_bytes());
        row.extend_from_slice(digest);
        links.push((*digest, bytes));
        previous_end = span.end;
    }
    let mut previous_end = 0;
    for (span, _) in spans {
        row.extend_from_slice(&envelope[previous_end..span.start]);
        previous_end = span.end;
    }
    row.extend_from_slice(&envelope[previous_end..]);
    Some((row, links))
}

/// A delegation to store: its SHA-256 and its bytes.
pub(crate) type StoredLink<'a> = ([u8; 32], &'a [u8]);

/// Reads a row's content; `None` when it is neither form.
pub(crate) fn read(row: &[u8]) -> Option<PolicyRow<'_>> {
    let Some(body) = row.strip_prefix(MAGIC) else {
        return row.starts_with(b"{").then_some(PolicyRow::Envelope(row));
    };
    let (&count, body) = body.split_first()?;
    let count = usize::from(count);
    if count == 0 || count > MAX_LINKS || body.len() < count * REFERENCE_LEN {
        return None;
    }
    let (references, rest) = body.split_at(count * REFERENCE_LEN);
    let links = references
        .chunks_exact(REFERENCE_LEN)
        .map(|reference| {
            let (offset, digest) = reference.split_at(4);
            let offset = u32::from_be_bytes(offset.try_into().ok()?);
            Some((usize::try_from(offset).ok()?, digest.try_into().ok()?))
        })
        .collect::<Option<Vec<(usize, [u8; 32])>>>()?;
    Some(PolicyRow::Compact { links, rest })
}

/// The envelope a compact row stands for, each delegation's bytes from `link` (by its
/// digest) and checked against it. `None` when a delegation is missing or differs, or
/// the offsets do not fit.
pub(crate) fn rebuild(
    links: &[(usize, [u8; 32])],
    rest: &[u8],
    mut link: impl FnMut(&[u8; 32]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let mut envelope = Vec::with_capacity(rest.len() + links.len() * 2048);
    let mut taken = 0;
    for (offset, digest) in links {
        let gap = offset.checked_sub(envelope.len())?;
        let end = taken + gap;
        envelope.extend_from_slice(rest.get(taken..end)?);
        taken = end;
        let bytes = link(digest)?;
        if sha256(&bytes) != *digest {
            return None;
        }
        envelope.extend_from_slice(&bytes);
    }
    envelope.extend_from_slice(rest.get(taken..)?);
    Some(envelope)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENVELOPE: &[u8] = br#"{"format":"f","chain":[{"link":1},{"link":"two"}],"key_id":"k"}"#;

    fn spans() -> Vec<(Range<usize>, [u8; 32])> {
        let first = ENVELOPE
            .windows(10)
            .position(|w| w == br#"{"link":1}"#)
            .unwrap();
        let second = ENVELOPE
            .windows(14)
            .position(|w| w == br#"{"link":"two"}"#)
            .unwrap();
        [first..first + 10, second..second + 14]
            .into_iter()
            .map(|span| (span.clone(), sha256(&ENVELOPE[span])))
            .collect()
    }

    #[test]
    fn a_compact_row_rebuilds_the_envelope_byte_for_byte() {
        let (row, links) = compact(ENVELOPE, &spans()).unwrap();
        assert!(row.starts_with(MAGIC));
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].1, br#"{"link":1}"#);
        let Some(PolicyRow::Compact { links: refs, rest }) = read(&row) else {
            panic!("not compact");
        };
        assert!(!rest.windows(6).any(|w| w == b"\"link\""));
        let rebuilt = rebuild(&refs, rest, |digest| {
            links
                .iter()
                .find(|(known, _)| known == digest)
                .map(|(_, bytes)| bytes.to_vec())
        })
        .unwrap();
        assert_eq!(rebuilt, ENVELOPE);
    }

    #[test]
    fn an_envelope_without_a_chain_is_stored_as_it_is() {
        let (row, links) = compact(b"{\"a\":1}", &[]).unwrap();
        assert_eq!(row, b"{\"a\":1}");
        assert!(links.is_empty());
        assert_eq!(read(&row), Some(PolicyRow::Envelope(b"{\"a\":1}")));
    }

    #[test]
    fn a_missing_or_different_delegation_or_a_damaged_row_rebuilds_nothing() {
        let (row, links) = compact(ENVELOPE, &spans()).unwrap();
        let Some(PolicyRow::Compact { links: refs, rest }) = read(&row) else {
            panic!("not compact");
        };
        assert_eq!(rebuild(&refs, rest, |_| None), None);
        assert_eq!(
            rebuild(&refs, rest, |_| Some(br#"{"link":9}"#.to_vec())),
            None
        );
        let lookup = |digest: &[u8; 32]| {
            links
                .iter()
                .find(|(known, _)| known == digest)
                .map(|(_, bytes)| bytes.to_vec())
        };
        // Offsets past the rest.
        let mut far = refs.clone();
        far[1].0 = 10_000;
        assert_eq!(rebuild(&far, rest, lookup), None);
        // Offsets out of order.
        let mut swapped = refs.clone();
        swapped.swap(0, 1);
        assert_eq!(rebuild(&swapped, rest, lookup), None);
        // Rows that are neither form, or cut short.
        assert_eq!(read(b"garbage"), None);
        assert_eq!(read(&row[..MAGIC.len() + 10]), None);
        let mut zero = MAGIC.to_vec();
        zero.push(0);
        assert_eq!(read(&zero), None);
        // Spans outside the envelope or overlapping are refused.
        assert!(compact(ENVELOPE, &[(0..1000, [0; 32])]).is_none());
        assert!(compact(ENVELOPE, &[(5..20, [0; 32]), (10..30, [0; 32])]).is_none());
    }
}
