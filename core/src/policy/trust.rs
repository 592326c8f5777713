//! Trust anchors: the authority keys an app accepts policies from, each with a validity window.
//!
//! The app developer (or the CLI's `init --trust`) configures them; a policy is only ever
//! installed when its envelope names one of them and the signature verifies.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::crypto::signature::{ED25519_PUBLIC_KEY_LEN, key_id};

use super::PolicyError;

/// One trusted policy-signing key and the days it may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    key_id: String,
    public_key: [u8; ED25519_PUBLIC_KEY_LEN],
    not_before: Option<NaiveDate>,
    not_after: Option<NaiveDate>,
    namespaces: Vec<String>,
}

impl TrustAnchor {
    /// An anchor for `public_key`, valid on every day; the key id is derived from the key.
    pub fn new(public_key: [u8; ED25519_PUBLIC_KEY_LEN]) -> Self {
        Self {
            key_id: key_id(&public_key),
            public_key,
            not_before: None,
            not_after: None,
            namespaces: Vec::new(),
        }
    }

    /// An anchor from the content of a `.pub` file: the raw public key in standard base64
    /// on one line (surrounding whitespace ignored).
    pub fn from_public_key_base64(text: &str) -> Result<Self, PolicyError> {
        let public_key = decode_key_32(text.trim()).ok_or_else(|| PolicyError::BadKey {
            what: "the trust anchor's public key".into(),
        })?;
        Ok(Self::new(public_key))
    }

    /// The same anchor, valid only from `not_before` to `not_after` (inclusive; `None` leaves
    /// that side open). Fails with [`PolicyError::InvalidWindow`] when the window is empty.
    pub fn with_window(
        mut self,
        not_before: Option<NaiveDate>,
        not_after: Option<NaiveDate>,
    ) -> Result<Self, PolicyError> {
        if let (Some(from), Some(until)) = (not_before, not_after) {
            if until < from {
                return Err(PolicyError::InvalidWindow {
                    valid_from: from,
                    valid_until: until,
                });
            }
        }
        self.not_before = not_before;
        self.not_after = not_after;
        Ok(self)
    }

    /// The same anchor, owning only policy ids in `namespaces` (each a prefix such as
    /// `"sh-"`): a policy or delegation under this root outside them is refused, so two
    /// trusted roots cannot both claim one policy id. Empty (the default) leaves it open.
    /// Fails with [`PolicyError::BadSetting`] for a namespace that is no id prefix.
    pub fn with_namespaces(mut self, namespaces: Vec<String>) -> Result<Self, PolicyError> {
        for namespace in &namespaces {
            super::parse::check_id("namespace", namespace)?;
        }
        self.namespaces = namespaces;
        Ok(self)
    }

    /// The namespaces this root owns; empty when it was configured with none.
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }

    /// The key id, derived from the public key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &[u8; ED25519_PUBLIC_KEY_LEN] {
        &self.public_key
    }

    /// The public key in standard base64.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key)
    }

    /// The first day the key may be used, if bounded.
    pub fn not_before(&self) -> Option<NaiveDate> {
        self.not_before
    }

    /// The last day the key may be used, if bounded.
    pub fn not_after(&self) -> Option<NaiveDate> {
        self.not_after
    }

    /// Whether the key may be used on `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.not_before.is_none_or(|from| from <= date)
            && self.not_after.is_none_or(|until| date <= until)
    }
}

/// The set of trust anchors, at most one per key id.
///
/// Serialized as a JSON array of `{"key_id", "public_key" (standard base64), "not_before",
/// "not_after"}`; reading it back checks that each key id matches its key and that no key
/// appears twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor>,
}

impl TrustAnchors {
    /// No anchors: every policy would be refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `anchor`, replacing an anchor with the same key id (a key given twice).
    pub fn insert(&mut self, anchor: TrustAnchor) {
        match self
            .anchors
            .iter_mut()
            .find(|existing| existing.key_id == anchor.key_id)
        {
            Some(existing) => *existing = anchor,
            None => self.anchors.push(anchor),
        }
    }

    /// The anchor with this key id, if trusted.
    pub fn find(&self, key_id: &str) -> Option<&TrustAnchor> {
        self.anchors.iter().find(|anchor| anchor.key_id == key_id)
    }

    /// Every anchor, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &TrustAnchor> {
        self.anchors.iter()
    }

    /// The number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there are no anchors.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

impl FromIterator<TrustAnchor> for TrustAnchors {
    fn from_iter<I: IntoIterator<Item = TrustAnchor>>(iter: I) -> Self {
        let mut anchors = TrustAnchors::new();
        for anchor in iter {
            anchors.insert(anchor);
        }
        anchors
    }
}

impl From<TrustAnchor> for TrustAnchors {
    fn from(anchor: TrustAnchor) -> Self {
        std::iter::once(anchor).collect()
    }
}

/// The JSON form of one anchor.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnchorRecord {
    key_id: String,
    public_key: String,
    #[serde(default)]
    not_before: Option<NaiveDate>,
    #[serde(default)]
    not_after: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    namespaces: Vec<String>,
}

impl Serialize for TrustAnchors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.anchors.iter().map(|anchor| AnchorRecord {
            key_id: anchor.key_id.clone(),
            public_key: anchor.public_key_base64(),
            not_before: anchor.not_before,
            not_after: anchor.not_after,
            namespaces: anchor.namespaces.clone(),
        }))
    }
}

impl<'de> Deserialize<'de> for TrustAnchors {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let records = Vec::<AnchorRecord>::deserialize(deserializer)?;
        let mut anchors = TrustAnchors::new();
        for record in records {
            let anchor = TrustAnchor::from_public_key_base64(&record.public_key)
                .and_then(|anchor| anchor.with_window(record.not_before, record.not_after))
                .and_then(|anchor| anchor.with_namespaces(record.namespaces))
                .map_err(D::Error::custom)?;
            if anchor.key_id != record.key_id {
                return Err(D::Error::custom(format!(
                    "trust anchor key id `{}` does not match its public key (expected {})",
                    record.key_id, anchor.key_id
                )));
            }
            if anchors.find(&anchor.key_id).is_some() {
                return Err(D::Error::custom(format!(
                    "trust anchor {} appears twice",
                    anchor.key_id
                )));
            }
            anchors.insert(anchor);
        }
        Ok(anchors)
    }
}

/// Standard base64 of exactly 32 bytes, or `None`.
pub(crate) fn decode_key_32(text: &str) -> Option<[u8; 32]> {
    // 48 bytes covers the decoder's estimate for a 44-character key; longer input fails.
    let mut buffer = [0u8; 48];
    let written = STANDARD.decode_slice(text.as_bytes(), &mut buffer).ok()?;
    if written != 32 {
        return None;
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&buffer[..32]);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::signature::SigningKey;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn anchor_from_a_pub_file_line_derives_the_key_id() {
        let key = SigningKey::generate().unwrap();
        let anchor =
            TrustAnchor::from_public_key_base64(&format!("{}\n", key.public_key_base64())).unwrap();
        assert_eq!(anchor.key_id(), key.key_id());
        assert_eq!(anchor.public_key(), &key.public_key());
    }

    #[test]
    fn bad_public_keys_are_rejected() {
        for text in [
            "",
            "???",
            &STANDARD.encode([0u8; 31]),
            &STANDARD.encode([0u8; 64]),
        ] {
            assert!(
                matches!(
                    TrustAnchor::from_public_key_base64(text),
                    Err(PolicyError::BadKey { .. })
                ),
                "{text:?}"
            );
        }
    }

    #[test]
    fn windows_are_inclusive_and_open_sides_are_unbounded() {
        let anchor = TrustAnchor::new([3u8; 32])
            .with_window(Some(day("2026-01-01")), Some(day("2026-12-31")))
            .unwrap();
        assert!(!anchor.covers(day("2025-12-31")));
        assert!(anchor.covers(day("2026-01-01")));
        assert!(anchor.covers(day("2026-12-31")));
        assert!(!anchor.covers(day("2027-01-01")));
        let open = TrustAnchor::new([3u8; 32])
            .with_window(None, Some(day("2026-12-31")))
            .unwrap();
        assert!(open.covers(day("1990-01-01")));
        assert!(
            TrustAnchor::new([3u8; 32])
                .with_window(Some(day("2026-02-01")), Some(day("2026-01-31")))
                .is_err()
        );
    }

    #[test]
    fn anchors_round_trip_through_json() {
        let anchors: TrustAnchors = [
            TrustAnchor::new([1u8; 32]),
            TrustAnchor::new([2u8; 32])
                .with_window(Some(day("2026-01-01")), None)
                .unwrap(),
        ]
        .into_iter()
        .collect();
        let json = serde_json::to_string(&anchors).unwrap();
        let back: TrustAnchors = serde_json::from_str(&json).unwrap();
        assert_eq!(back, anchors);
        assert_eq!(back.len(), 2);
        assert!(back.find(&key_id(&[2u8; 32])).is_some());
    }

    #[test]
    fn json_with_a_wrong_key_id_or_a_duplicate_is_rejected() {
        let public_key = STANDARD.encode([1u8; 32]);
        let wrong_id = format!(r#"[{{"key_id":"0000000000000000","public_key":"{public_key}"}}]"#);
        assert!(serde_json::from_str::<TrustAnchors>(&wrong_id).is_err());
        let id = key_id(&[1u8; 32]);
        let twice = format!(
            r#"[{{"key_id":"{id}","public_key":"{public_key}"}},{{"key_id":"{id}","public_key":"{public_key}"}}]"#
        );
        assert!(serde_json::from_str::<TrustAnchors>(&twice).is_err());
    }

    #[test]
    fn inserting_the_same_key_replaces_it() {
        let mut anchors = TrustAnchors::new();
        anchors.insert(TrustAnchor::new([1u8; 32]));
        anchors.insert(
            TrustAnchor::new([1u8; 32])
                .with_window(None, Some(day("2030-01-01")))
                .unwrap(),
        );
        assert_eq!(anchors.len(), 1);
        assert_eq!(
            anchors.iter().next().unwrap().not_after(),
            Some(day("2030-01-01"))
        );
    }
}
