//! The device's upload tokens of each policy (docs/protocol.md, "Upload tokens"): tokens
//! finished and not yet spent, requests sent and not yet answered, and how many tokens
//! each enrollment order has brought.
//!
//! A policy's pool is one sealed row of the `pseudonyms` table (the per-policy values the
//! device keeps for its submissions), found by a blind index of the policy id. Tokens are
//! bearer credentials and pending requests hold blinding secrets, so both stay sealed.
//! A token moves from the pool into an outbox item's sealed payload in one transaction,
//! so a crash never loses it or spends it twice: the item keeps it for every resend.

use rusqlite::params;
use zeroize::Zeroizing;

use super::consent::read_pseudonyms_bytes;
use super::outbox::{find_payload, write_payload};
use super::{Inner, Keyring, STANDING_EPOCH, Store};
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::policy::TokenKeyUse;

/// Requests sent to the issuer and not answered yet, kept so a lost reply is asked again
/// with the same blinded messages (the drop box signs them again without counting them
/// twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    /// The use of the key they were blinded for.
    pub usage: TokenKeyUse,
    /// For `enrolled`: the digest of the order they are asked under.
    pub order: Option<String>,
    /// Each pending token ([`crate::token::PendingToken::to_bytes`]), base64url.
    pub tokens: Vec<String>,
    /// The encoded token request of each, base64url, sent again as it was.
    pub requests: Vec<String>,
}

/// One policy's tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenPool {
    /// Finished tokens for enrolled forms, base64url.
    pub enrolled: Vec<String>,
    /// Finished tokens for open forms, base64url.
    pub open: Vec<String>,
    /// Requests awaiting their reply.
    pub pending: Vec<PendingRequest>,
    /// Tokens each order has brought (its digest, count), or asked for when the drop box
    /// said its allowance was spent.
    pub obtained: Vec<(String, u32)>,
}

impl TokenPool {
    /// The finished tokens of `usage`.
    pub fn ready(&mut self, usage: TokenKeyUse) -> &mut Vec<String> {
        match usage {
            TokenKeyUse::Enrolled => &mut self.enrolled,
            TokenKeyUse::Open => &mut self.open,
        }
    }

    /// Tokens the order `digest` has brought.
    pub fn obtained_by(&self, digest: &str) -> u32 {
        self.obtained
            .iter()
            .find(|(order, _)| order == digest)
            .map_or(0, |(_, count)| *count)
    }

    /// Sets the count of the order `digest`.
    pub fn set_obtained(&mut self, digest: &str, count: u32) {
        match self.obtained.iter_mut().find(|(order, _)| order == digest) {
            Some(entry) => entry.1 = count,
            None => self.obtained.push((digest.to_owned(), count)),
        }
    }

    /// The row's plaintext: one item per line, words separated by spaces (every word is
    /// base64url, hex, a use or a count, none holds a space or a comma): `e TOKEN`,
    /// `o TOKEN`, `n DIGEST COUNT`, `p USE ORDER|- PENDING,… REQUEST,…`.
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = String::new();
        for (kind, tokens) in [("e", &self.enrolled), ("o", &self.open)] {
            for token in tokens {
                out.push_str(&format!("{kind} {token}\n"));
            }
        }
        for (digest, count) in &self.obtained {
            out.push_str(&format!("n {digest} {count}\n"));
        }
        for pending in &self.pending {
            out.push_str(&format!(
                "p {} {} {} {}\n",
                pending.usage.as_str(),
                pending.order.as_deref().unwrap_or("-"),
                pending.tokens.join(","),
                pending.requests.join(",")
            ));
        }
        Zeroizing::new(out.into_bytes())
    }

    /// Reads a row's plaintext back; `None` if it is not one [`TokenPool::encode`] wrote.
    fn decode(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut pool = Self::default();
        let list = |words: &str| words.split(',').map(str::to_owned).collect::<Vec<_>>();
        for line in text.lines() {
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["e", token] => pool.enrolled.push((*token).to_owned()),
                ["o", token] => pool.open.push((*token).to_owned()),
                ["n", digest, count] => pool
                    .obtained
                    .push(((*digest).to_owned(), count.parse().ok()?)),
                ["p", usage, order, tokens, requests] => {
                    let usage = match *usage {
                        "enrolled" => TokenKeyUse::Enrolled,
                        "open" => TokenKeyUse::Open,
                        _ => return None,
                    };
                    let (tokens, requests) = (list(tokens), list(requests));
                    if tokens.len() != requests.len() {
                        return None;
                    }
                    pool.pending.push(PendingRequest {
                        usage,
                        order: (*order != "-").then(|| (*order).to_owned()),
                        tokens,
                        requests,
                    });
                }
                _ => return None,
            }
        }
        Some(pool)
    }
}

/// The pool kept in the row `id`, or an empty one.
fn read_pool(inner: &mut Inner, id: &str) -> Result<TokenPool> {
    match read_pseudonyms_bytes(inner, id)? {
        Some(plaintext) => {
            TokenPool::decode(&plaintext).ok_or_else(|| Error::corrupt(format!("pseudonyms/{id}")))
        }
        None => Ok(TokenPool::default()),
    }
}

fn pool_id(inner: &Inner, policy_id: &str) -> String {
    hex(&inner
        .keys
        .blind_index("token-pool", &[policy_id.as_bytes()])
        .0)
}

fn write_pool(
    keys: &mut Keyring,
    conn: &rusqlite::Connection,
    id: &str,
    pool: &TokenPool,
) -> Result<()> {
    let sealed = keys.seal_row(conn, "pseudonyms", id, STANDING_EPOCH, &pool.encode())?;
    conn.execute(
        "INSERT INTO pseudonyms (id, sealed) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed",
        params![id, sealed],
    )?;
    Ok(())
}

impl Store {
    /// The policy's token pool (empty before its first token).
    pub fn token_pool(&self, policy_id: &str) -> Result<TokenPool> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = pool_id(inner, policy_id);
        read_pool(inner, &id)
    }

    /// Replaces the policy's token pool.
    pub fn save_token_pool(&self, policy_id: &str, pool: &TokenPool) -> Result<()> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = pool_id(inner, policy_id);
        let tx = inner.conn.transaction()?;
        write_pool(&mut inner.keys, &tx, &id, pool)?;
        tx.commit()?;
        Ok(())
    }

    /// Moves one token of `usage` from the policy's pool into the pending outbox item
    /// `submission_id`, in one transaction, and returns it. `None` when the pool has none
    /// of that use, or the item is no longer pending or already holds one.
    pub fn assign_upload_token(
        &self,
        submission_id: &str,
        policy_id: &str,
        usage: TokenKeyUse,
    ) -> Result<Option<String>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = pool_id(inner, policy_id);
        let mut pool = read_pool(inner, &id)?;
        let Some((epoch, mut payload)) = find_payload(inner, submission_id, true)? else {
            return Ok(None);
        };
        if payload.upload_token.is_some() {
            return Ok(None);
        }
        let Some(token) = pool.ready(usage).pop() else {
            return Ok(None);
        };
        payload.upload_token = Some(token.clone());
        let tx = inner.conn.transaction()?;
        write_payload(&mut inner.keys, &tx, submission_id, epoch, &payload)?;
        write_pool(&mut inner.keys, &tx, &id, &pool)?;
        tx.commit()?;
        Ok(Some(token))
    }

    /// Takes the token off a pending outbox item the drop box refused it for (invalid,
    /// or a key no longer in the schedule), so the next attempt takes a fresh one.
    pub fn clear_upload_token(&self, submission_id: &str) -> Result<()> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let Some((epoch, mut payload)) = find_payload(inner, submission_id, true)? else {
            return Ok(());
        };
        if payload.upload_token.take().is_some() {
            let tx = inner.conn.transaction()?;
            write_payload(&mut inner.keys, &tx, submission_id, epoch, &payload)?;
            tx.commit()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::new_store;

    #[test]
    fn a_pool_round_trips_sealed_per_policy() {
        let (_dir, store) = new_store(1);
        assert_eq!(store.token_pool("sh").unwrap(), TokenPool::default());
        let mut pool = TokenPool::default();
        pool.enrolled.push("token-a".into());
        pool.pending.push(PendingRequest {
            usage: TokenKeyUse::Enrolled,
            order: Some("ab".repeat(32)),
            tokens: vec!["pending-1".into(), "pending-2".into()],
            requests: vec!["request-1".into(), "request-2".into()],
        });
        pool.pending.push(PendingRequest {
            usage: TokenKeyUse::Open,
            order: None,
            tokens: vec!["pending".into()],
            requests: vec!["request".into()],
        });
        pool.set_obtained(&"ab".repeat(32), 3);
        pool.set_obtained(&"ab".repeat(32), 5);
        assert_eq!(pool.obtained_by(&"ab".repeat(32)), 5);
        store.save_token_pool("sh", &pool).unwrap();
        assert_eq!(store.token_pool("sh").unwrap(), pool);
        assert_eq!(store.token_pool("other").unwrap(), TokenPool::default());
    }

    #[test]
    fn a_row_that_is_not_a_pool_is_refused() {
        for bad in [
            "x 1",
            "n ab notanumber",
            "p everyone - a b",
            "p open - a,b c",
            "e",
        ] {
            assert!(TokenPool::decode(bad.as_bytes()).is_none(), "{bad}");
        }
        assert_eq!(TokenPool::decode(b"").unwrap(), TokenPool::default());
    }
}
