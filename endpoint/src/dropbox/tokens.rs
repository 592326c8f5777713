//! Upload tokens at the drop box (issue 14, docs/protocol.md "Upload tokens"): the
//! served policy's schedule of issuer keys matched to the private keys the operator gave
//! (`serve --token-key FILE`), the fixed challenge every token answers, and what issuing
//! against an enrollment order needs (the policy verified under its root).
//!
//! Built once at start ([`TokenState::new`]); `None` when the policy lists no token keys,
//! and then the drop box behaves as it always did.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::HeaderValue;
use chrono::{Days, NaiveDate};
use selfreport_core::policy::{
    PolicyDocument, SignedPolicy, TokenKeyUse, TrustAnchors, VerifiedPolicy,
};
use selfreport_core::sync::wire::hex;
use selfreport_core::token::{IssuerKey, Token, TokenChallenge};

use super::error::DropBoxError;
use super::open_issuance::OpenIssuance;
use crate::token_key::IssuerSecretKey;

/// One key of the policy's schedule.
pub(crate) struct ScheduledKey {
    pub(crate) usage: TokenKeyUse,
    pub(crate) from: NaiveDate,
    pub(crate) until: NaiveDate,
    pub(crate) spki: Vec<u8>,
    pub(crate) public: IssuerKey,
    /// The private key, when the operator gave it (every key issuing today or later).
    pub(crate) secret: Option<Arc<IssuerSecretKey>>,
}

/// What issuing against enrollment orders needs: the served policy verified under its
/// root, as a device holds it.
pub(crate) struct OrderCheck {
    pub(crate) policy: VerifiedPolicy,
    pub(crate) anchors: TrustAnchors,
}

/// The drop box's upload token setup.
pub(crate) struct TokenState {
    pub(crate) keys: Vec<ScheduledKey>,
    /// The SHA-256 of the policy's fixed `TokenChallenge`.
    pub(crate) challenge_digest: [u8; 32],
    challenge: TokenChallenge,
    /// `None` when the policy has no `enrolled` keys.
    pub(crate) orders: Option<OrderCheck>,
    /// `cover_traffic.daily` of the policy (dummies per day an enrollment also pays for).
    pub(crate) cover_daily: u32,
    /// The in-memory count of `open` tokens per client address and day.
    pub(crate) open: OpenIssuance,
}

impl TokenState {
    /// The setup for `document` (served as `envelope`) with the private keys `given`, on
    /// `today`: `None` without token keys in the policy. Refuses a given key the schedule
    /// does not list, a scheduled key issuing today or later that was not given, and a
    /// policy with `enrolled` keys without `trust` (its root's key) to verify orders with.
    pub(crate) fn new(
        document: &PolicyDocument,
        envelope: &[u8],
        given: Vec<IssuerSecretKey>,
        trust: Option<TrustAnchors>,
        today: NaiveDate,
    ) -> Result<Option<Self>, DropBoxError> {
        let scheduled = &document.endpoint.token_keys;
        if scheduled.is_empty() {
            return match given.first() {
                Some(key) => Err(DropBoxError::TokenKeyNotInPolicy {
                    spki_sha256: hex(key.public().key_id()),
                }),
                None => Ok(None),
            };
        }
        let mut secrets: Vec<Arc<IssuerSecretKey>> = given.into_iter().map(Arc::new).collect();
        let listed: BTreeSet<&[u8]> = scheduled.iter().map(|key| key.spki.as_slice()).collect();
        if let Some(stray) = secrets.iter().find(|key| !listed.contains(key.spki())) {
            return Err(DropBoxError::TokenKeyNotInPolicy {
                spki_sha256: hex(stray.public().key_id()),
            });
        }
        let mut keys = Vec::with_capacity(scheduled.len());
        for entry in scheduled {
            let public = IssuerKey::from_spki(&entry.spki).map_err(|_| {
                DropBoxError::Policy(selfreport_core::policy::PolicyError::Malformed {
                    detail: "a token key of endpoint.token_keys is not an RFC 9578 key".to_owned(),
                })
            })?;
            let secret = secrets
                .iter()
                .position(|key| key.spki() == entry.spki.as_slice())
                .map(|index| secrets.swap_remove(index));
            if secret.is_none() && entry.until >= today {
                return Err(DropBoxError::TokenKeyMissing {
                    usage: entry.usage.as_str(),
                    from: entry.from,
                    until: entry.until,
                });
            }
            keys.push(ScheduledKey {
                usage: entry.usage,
                from: entry.from,
                until: entry.until,
                spki: entry.spki.clone(),
                public,
                secret,
            });
        }
        let orders = if keys.iter().any(|key| key.usage == TokenKeyUse::Enrolled) {
            let anchors = trust.ok_or(DropBoxError::TokenTrustMissing)?;
            let date = today.clamp(document.valid_from, document.valid_until);
            let policy = SignedPolicy::parse(envelope)?.verify(&anchors, date)?;
            Some(OrderCheck { policy, anchors })
        } else {
            None
        };
        let challenge = TokenChallenge::for_endpoint(&document.endpoint.url, &document.id);
        let challenge_digest = challenge.digest().map_err(|_| {
            DropBoxError::Policy(selfreport_core::policy::PolicyError::Malformed {
                detail: "the endpoint URL has no host a token challenge can name".to_owned(),
            })
        })?;
        Ok(Some(Self {
            keys,
            challenge_digest,
            challenge,
            orders,
            cover_daily: document.cover_traffic.daily,
            open: OpenIssuance::new(),
        }))
    }

    /// The key of `usage` whose window holds `day`.
    pub(crate) fn issuing_on(&self, usage: TokenKeyUse, day: NaiveDate) -> Option<&ScheduledKey> {
        self.keys
            .iter()
            .find(|key| key.usage == usage && key.from <= day && day <= key.until)
    }

    /// Whether the policy has keys of `usage` at all.
    pub(crate) fn has(&self, usage: TokenKeyUse) -> bool {
        self.keys.iter().any(|key| key.usage == usage)
    }

    /// The key a request for `usage` with `truncated_key_id` names: the one issuing
    /// `today`, or the one that issued the day before (a device near midnight); only if
    /// the drop box holds its private key.
    pub(crate) fn signer_for(
        &self,
        usage: TokenKeyUse,
        truncated_key_id: u8,
        today: NaiveDate,
    ) -> Option<&Arc<IssuerSecretKey>> {
        let yesterday = today.checked_sub_days(Days::new(1)).unwrap_or(today);
        [today, yesterday]
            .into_iter()
            .filter_map(|day| self.issuing_on(usage, day))
            .find(|key| key.public.truncated_key_id() == truncated_key_id)
            .and_then(|key| key.secret.as_ref())
    }

    /// The key of the schedule that issued `token`, if its window has begun by `today`
    /// and the token answers the policy's challenge with a valid signature of it.
    pub(crate) fn verify(&self, token: &Token, today: NaiveDate) -> Option<&ScheduledKey> {
        let key = self
            .keys
            .iter()
            .find(|key| key.public.key_id()[..] == *token.token_key_id())?;
        (key.from <= today && token.verifies(&key.public, &self.challenge_digest)).then_some(key)
    }

    /// `WWW-Authenticate` for a 401: the challenge with today's `enrolled` key (today's
    /// `open` key under a policy with only open keys).
    pub(crate) fn www_authenticate(&self, today: NaiveDate) -> Option<HeaderValue> {
        let key = self
            .issuing_on(TokenKeyUse::Enrolled, today)
            .or_else(|| self.issuing_on(TokenKeyUse::Open, today))?;
        let value = self.challenge.www_authenticate(&key.spki).ok()?;
        HeaderValue::from_str(&value).ok()
    }
}
