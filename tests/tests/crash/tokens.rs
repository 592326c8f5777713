//! The crash suite's round with upload tokens: its household, whose members' orders
//! bring the tokens, the token accounting after each kill
//! ([`selfreport_tests::crash_tokens`]) and what it saw.

use std::time::Duration;

use selfreport_core::store::{OutboxItemState, OutboxState};
use selfreport_tests::crash::{ChildConfig, Scenario, open_store};
use selfreport_tests::crash_tokens::{Allowance, TokenCounts, check_tokens};
use selfreport_tests::loopback::{Loopback, ORDER_DAYS, TOKEN_POLICY_ID};

use crate::child::RunningChild;
use crate::{drain, failure_of};

/// Daily reports a day each household member's order allows: each order brings
/// `ORDER_DAYS × ORDER_PER_DAY` tokens, fetched in one exchange. Few, so that the
/// household keeps growing and most runs start with an issuance to kill.
pub(crate) const ORDER_PER_DAY: u32 = 1;

/// The drop box's slack over an order's allowance (docs/protocol.md, "Upload tokens":
/// `days × (Σ per_day + cover_traffic.daily) + 16`).
const ALLOWANCE_SLACK: u32 = 16;

/// Another member is enrolled when the tokens the device has or will fetch exceed what
/// its unsent records need by fewer than this.
const LOW_WATER: usize = 8;

/// What the token checks of a round saw.
#[derive(Default)]
pub(crate) struct TokenFigures {
    /// Orders signed (household members enrolled).
    pub(crate) orders: u32,
    /// Tokens the drop box issued.
    pub(crate) issued: usize,
    /// Kills that left an issuance request pending on the device (the kill came during
    /// issuance: after the request was kept, before its tokens were).
    pub(crate) pending_issuance: u32,
    /// Of those, kills after which the drop box had already signed the pending request
    /// (its reply was lost; the next sync asks again with the same messages).
    pub(crate) signed_not_finished: u32,
    /// Submissions whose reply was lost after the drop box stored them: resent with the
    /// same token and answered with the kept receipt.
    pub(crate) resent_after_lost_reply: usize,
}

impl TokenFigures {
    pub(crate) fn add(&mut self, other: &TokenFigures) {
        self.orders += other.orders;
        self.issued += other.issued;
        self.pending_issuance += other.pending_issuance;
        self.signed_not_finished += other.signed_not_finished;
        self.resent_after_lost_reply += other.resent_after_lost_reply;
    }
}

/// [`check_tokens`] on the round's store and drop box.
pub(crate) fn check_token_accounting(net: &Loopback, context: &str) -> TokenCounts {
    let store = open_store(&net.ws.store())
        .unwrap_or_else(|error| panic!("reopen for the token check ({context}): {error}"));
    let per_order = ORDER_DAYS * ORDER_PER_DAY;
    let allowance = Allowance {
        per_enrollment: usize::try_from(per_order + ALLOWANCE_SLACK).unwrap_or(usize::MAX),
        per_order,
    };
    check_tokens(&store, &net.config.db, TOKEN_POLICY_ID, allowance, context)
}

/// Keeps the device's tokens ahead of its reports: while what its pool holds and its
/// orders have yet to bring falls short of what its `unsent` records need plus
/// [`LOW_WATER`], another household member is enrolled with an order of their own (the
/// child's next sync fetches that order's tokens: another issuance to kill).
pub(crate) fn grow_household(
    net: &Loopback,
    household: &mut Vec<String>,
    tokens: &TokenCounts,
    unsent: usize,
) {
    let per_order = ORDER_DAYS * ORDER_PER_DAY;
    loop {
        let unfetched = (net.orders() * per_order).saturating_sub(tokens.obtained);
        let ahead = tokens.in_pool + usize::try_from(unfetched).unwrap_or(usize::MAX);
        if ahead >= unsent + LOW_WATER {
            return;
        }
        let member = net.add_member(&member_name(household.len()));
        net.enroll(&member, ORDER_PER_DAY);
        household.push(member);
    }
}

/// A name for the household's member number `index` (names hold no digits): "Member "
/// and the number in letters, base 26.
fn member_name(index: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = index;
    loop {
        letters.push(char::from(b'a' + u8::try_from(rest % 26).unwrap_or(0)));
        rest /= 26;
        if rest == 0 {
            break;
        }
    }
    letters.reverse();
    format!("Member {}", letters.into_iter().collect::<String>())
}

#[test]
fn the_token_checks_catch_a_lost_token_and_one_held_twice() {
    // Guards the guard: after a real run with tokens the accounting holds; a token gone
    // from the pool, and a spent token back in the pool, each make it fail.
    let net = Loopback::start_with_tokens();
    net.grant_consent();
    net.enroll(&net.profile, ORDER_PER_DAY);
    let config = ChildConfig {
        store: net.ws.store(),
        ca_pem: net.pki.ca.clone(),
        scenario: Scenario::Tokens,
        profiles: vec![net.profile.clone()],
        run: 0,
        seed: 1,
    };
    let mut child = RunningChild::start(&config);
    std::thread::sleep(Duration::from_millis(1200));
    assert!(child.kill(), "the child stopped on its own");
    let _ = child.finish();
    // Enough tokens for whatever the child left unsent.
    let unsent = open_store(&net.ws.store())
        .expect("open the store")
        .records()
        .expect("records")
        .records
        .iter()
        .filter(|stored| stored.state != OutboxState::Sent)
        .count();
    let tokens = check_token_accounting(&net, "before the last sync");
    grow_household(&net, &mut vec![net.profile.clone()], &tokens, unsent);
    drain(&net);
    let counts = check_token_accounting(&net, "intact");
    assert!(counts.spent > 0 && counts.in_pool > 0, "{counts:?}");

    let store = open_store(&net.ws.store()).expect("open the store");
    let intact = store.store().token_pool(TOKEN_POLICY_ID).expect("pool");
    let spent = store
        .outbox()
        .expect("outbox")
        .into_iter()
        .find(|item| item.state == OutboxItemState::Delivered)
        .and_then(|item| item.payload.upload_token)
        .expect("a delivered item's token");
    let damage = |pool: &selfreport_core::store::TokenPool| {
        store
            .store()
            .save_token_pool(TOKEN_POLICY_ID, pool)
            .expect("save the pool");
        failure_of(|| {
            check_token_accounting(&net, "damaged");
        })
    };
    let mut lost = intact.clone();
    lost.enrolled.pop();
    let failure = damage(&lost);
    assert!(failure.contains("tokens lost"), "{failure}");
    let mut twice = intact.clone();
    twice.enrolled[0] = spent;
    let failure = damage(&twice);
    assert!(failure.contains("also in the pool"), "{failure}");
    store
        .store()
        .save_token_pool(TOKEN_POLICY_ID, &intact)
        .expect("restore the pool");
    drop(store);
    check_token_accounting(&net, "restored");
}
