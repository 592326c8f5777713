//! The crash suite's token accounting (issue 14): after each kill, every upload token is
//! somewhere, once.
//!
//! The drop box keeps, per enrollment, the SHA-256 of each blinded message it signed
//! (`token_issuance`) and the SHA-256 of each token spent, with the digest of the body
//! it paid for (`spent_tokens`); by design nothing links the two. The device keeps its
//! tokens sealed in its store: finished ones in the policy's pool, requests sent and not
//! yet answered as pending requests, and each outbox item's token in its sealed payload
//! (read here through `selfreport_core`'s public `Store` API). [`check_tokens`] ties them
//! together:
//!
//! - **nothing lost**: the messages the drop box signed, less those whose reply the
//!   device has not finished yet (still pending, to be asked again unchanged), are exactly
//!   as many as the tokens the device holds: in its pool or held by an outbox item;
//! - **none held twice**: no token is in the pool twice, held by two items, or both in
//!   the pool and held by an item; every delivered item holds one;
//! - **none spent twice**: every spent token is held by the one item whose bytes it paid
//!   for, and every delivered item's token is spent for its bytes;
//! - **every stored submission paid**: each submission at the drop box has exactly one
//!   spent token, verified by the drop box before it stored it;
//! - **the allowance holds**: no enrollment has more messages signed than its order
//!   allows, and no order brought the device more than its period's reports.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rusqlite::{Connection, OpenFlags};
use selfreport_core::SelfReport;
use selfreport_core::store::OutboxItemState;

/// Where the tokens were at one check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Blinded messages the drop box signed (its issuance rows).
    pub issued: usize,
    /// Of those, messages the device still holds as a pending request: the reply was
    /// lost (the kill came between the drop box's commit and the device's), and the next
    /// sync asks again with the same messages.
    pub issued_pending: usize,
    /// Requests the device holds pending, signed or not.
    pub pending: usize,
    /// Finished tokens in the device's pool.
    pub in_pool: usize,
    /// Tokens held by outbox items (pending or delivered).
    pub held: usize,
    /// Tokens the drop box has spent.
    pub spent: usize,
    /// Held by an item still pending although the drop box stored its submission: its
    /// reply was lost, and it is sent again with this same token.
    pub spent_by_pending: BTreeSet<String>,
    /// Enrollments the drop box issued to.
    pub enrollments: usize,
    /// Tokens the device's orders have brought, all orders together.
    pub obtained: u32,
}

/// What an enrollment may be issued, and what each order should bring the device.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    /// Messages the drop box signs at most per enrollment (`days × per_day + 16`).
    pub per_enrollment: usize,
    /// Tokens the device asks for per order (`days × per_day`).
    pub per_order: u32,
}

/// Checks the accounting of the module docs for `policy_id`, between the store `store`
/// and the drop box database `drop_box_db`; panics naming `context` on a violation.
pub fn check_tokens(
    store: &SelfReport,
    drop_box_db: &Path,
    policy_id: &str,
    allowance: Allowance,
    context: &str,
) -> TokenCounts {
    let pool = store
        .store()
        .token_pool(policy_id)
        .unwrap_or_else(|error| panic!("read the token pool ({context}): {error}"));
    assert_eq!(
        pool.open,
        Vec::<String>::new(),
        "open-intake tokens under daily reports only ({context})"
    );
    let mut in_pool = BTreeSet::new();
    for token in &pool.enrolled {
        assert!(
            in_pool.insert(token_hash(token, context)),
            "a token is in the pool twice ({context})"
        );
    }
    for (order, obtained) in &pool.obtained {
        assert!(
            *obtained <= allowance.per_order,
            "order {order} brought {obtained} tokens, more than its {} ({context})",
            allowance.per_order
        );
    }

    // Each token held once, by one item, and not also in the pool.
    let outbox = store
        .outbox()
        .unwrap_or_else(|error| panic!("outbox ({context}): {error}"));
    let mut holder: HashMap<String, (String, OutboxItemState, String)> = HashMap::new();
    for item in &outbox {
        let id = &item.payload.submission_id;
        let Some(token) = &item.payload.upload_token else {
            assert_ne!(
                item.state,
                OutboxItemState::Delivered,
                "{id} was delivered without a token ({context})"
            );
            continue;
        };
        let hash = token_hash(token, context);
        assert!(
            !in_pool.contains(&hash),
            "{id} holds a token that is also in the pool ({context})"
        );
        let sent = sent_digest(item, context);
        if let Some((other, _, _)) = holder.insert(hash, (id.clone(), item.state, sent)) {
            panic!("{id} and {other} hold the same token ({context})");
        }
    }

    // Every spent token paid for its holder's bytes; every delivery's token is spent.
    let drop_box = DropBoxTokens::read(drop_box_db, context);
    let mut spent_by_pending = BTreeSet::new();
    for (hash, body) in &drop_box.spent {
        let (id, state, sent) = holder.get(hash).unwrap_or_else(|| {
            panic!("the drop box spent a token no outbox item holds, for body {body} ({context})")
        });
        assert_eq!(
            sent, body,
            "{id}'s token paid for other bytes than {id}'s ({context})"
        );
        if *state == OutboxItemState::Pending {
            spent_by_pending.insert(id.clone());
        }
    }
    for (hash, (id, state, _)) in &holder {
        if *state == OutboxItemState::Delivered {
            assert!(
                drop_box.spent.contains_key(hash),
                "{id} was delivered but its token is not spent ({context})"
            );
        }
    }

    // Every stored submission was paid with exactly one token.
    let mut paid: HashMap<&str, usize> = HashMap::new();
    for body in drop_box.spent.values() {
        *paid.entry(body.as_str()).or_default() += 1;
    }
    for (id, body) in &drop_box.submissions {
        assert_eq!(
            paid.get(body.as_str()).copied().unwrap_or(0),
            1,
            "submission {id} at the drop box is not paid by exactly one spent token ({context})"
        );
    }
    assert_eq!(
        drop_box.spent.len(),
        drop_box.submissions.len(),
        "spent tokens and stored submissions ({context})"
    );

    // The allowance holds; every signed message is a token the device holds or still asks.
    for (enrollment, count) in &drop_box.issued_per_enrollment {
        assert!(
            *count <= allowance.per_enrollment,
            "enrollment {enrollment} was issued {count} tokens, past its allowance of {} \
             ({context})",
            allowance.per_enrollment
        );
    }
    let pending: Vec<String> = pool
        .pending
        .iter()
        .flat_map(|request| request.requests.iter())
        .map(|request| blinded_hash(request, context))
        .collect();
    let issued_pending = pending
        .iter()
        .filter(|hash| drop_box.issued.contains(*hash))
        .count();
    let finished = drop_box.issued.len() - issued_pending;
    assert_eq!(
        finished,
        in_pool.len() + holder.len(),
        "the drop box signed {} messages ({issued_pending} still pending on the device), but \
         the device holds {} tokens in its pool and {} in outbox items: tokens lost \
         ({context})",
        drop_box.issued.len(),
        in_pool.len(),
        holder.len()
    );

    TokenCounts {
        issued: drop_box.issued.len(),
        issued_pending,
        pending: pending.len(),
        in_pool: in_pool.len(),
        held: holder.len(),
        spent: drop_box.spent.len(),
        spent_by_pending,
        enrollments: drop_box.issued_per_enrollment.len(),
        obtained: pool.obtained.iter().map(|(_, count)| count).sum(),
    }
}

/// The drop box's token rows and submissions.
struct DropBoxTokens {
    /// SHA-256 of each blinded message signed (hex), over all enrollments.
    issued: BTreeSet<String>,
    /// Messages signed per enrollment.
    issued_per_enrollment: BTreeMap<String, usize>,
    /// Spent tokens: token SHA-256 → the body SHA-256 it paid for.
    spent: BTreeMap<String, String>,
    /// Stored submissions: id → body SHA-256.
    submissions: BTreeMap<String, String>,
}

impl DropBoxTokens {
    fn read(db: &Path, context: &str) -> Self {
        let connection = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|error| panic!("open the drop box database ({context}): {error}"));
        let pairs = |sql: &str| -> Vec<(String, String)> {
            let mut statement = connection
                .prepare(sql)
                .unwrap_or_else(|error| panic!("{sql} ({context}): {error}"));
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .and_then(|rows| rows.collect())
                .unwrap_or_else(|error| panic!("{sql} ({context}): {error}"))
        };
        let mut issued = BTreeSet::new();
        let mut issued_per_enrollment = BTreeMap::new();
        for (enrollment, blinded) in
            pairs("SELECT enrollment_sha256, blinded_sha256 FROM token_issuance")
        {
            *issued_per_enrollment.entry(enrollment).or_default() += 1;
            issued.insert(blinded);
        }
        Self {
            issued,
            issued_per_enrollment,
            spent: pairs("SELECT token_sha256, body_sha256 FROM spent_tokens")
                .into_iter()
                .collect(),
            submissions: pairs("SELECT id, body_sha256 FROM submissions")
                .into_iter()
                .collect(),
        }
    }
}

/// The digest of the bytes an item stands for at the drop box: of its queued body, or
/// once delivered (the body is then dropped), the one its receipt acknowledged.
fn sent_digest(item: &selfreport_core::store::OutboxItem, context: &str) -> String {
    match (&item.payload.body, &item.payload.receipt) {
        (Some(body), None) => {
            let body = STANDARD
                .decode(body)
                .unwrap_or_else(|error| panic!("outbox body ({context}): {error}"));
            hex(&selfreport_core::crypto::sha256(&body))
        }
        (None, Some(receipt)) => receipt.body_sha256.clone(),
        _ => panic!(
            "outbox item {} has neither a body nor a receipt alone ({context})",
            item.payload.submission_id
        ),
    }
}

/// SHA-256 (hex) of a token as the device keeps it (base64url): the drop box's key for a
/// spent token (RFC 9578's whole `Token` structure).
fn token_hash(token: &str, context: &str) -> String {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .unwrap_or_else(|error| panic!("a token that is not base64url ({context}): {error}"));
    hex(&selfreport_core::crypto::sha256(&bytes))
}

/// SHA-256 (hex) of the blinded message of a pending request (RFC 9578 §6.1
/// `TokenRequest`: 2 bytes of type, 1 of truncated key id, then the message), as the
/// drop box records what it signed.
fn blinded_hash(request: &str, context: &str) -> String {
    let bytes = URL_SAFE_NO_PAD
        .decode(request.trim_end_matches('='))
        .unwrap_or_else(|error| panic!("a request that is not base64url ({context}): {error}"));
    let blinded = bytes
        .get(3..)
        .unwrap_or_else(|| panic!("a request of {} bytes ({context})", bytes.len()));
    hex(&selfreport_core::crypto::sha256(blinded))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
