//! The tokened drop box of the throughput bench (issue 14): the bench's daily-report
//! policy as `selfreport.policy/2` with one `enrolled` upload token key, the issuer's
//! private key given to the drop box and kept by the bench to mint tokens before each
//! measured batch, and the checks that the tokened lines really paid with tokens.

use std::path::Path;

use chrono::{Days, NaiveDate, Utc};
use selfreport_core::policy::{TokenKeyUse, declare_minimum_padded_sizes};
use selfreport_core::token::{IssuerKey, PendingToken, TokenChallenge};
use selfreport_endpoint::token_key::{IssuerSecretKey, TokenKeyEntry, add_token_key};
use serde_json::{Value, json};

/// Threads minting tokens (the machine's two cores; the drop box is idle meanwhile).
const MINTING_THREADS: usize = 2;

/// Turns the bench's `/1` daily-report `policy` into `selfreport.policy/2` with
/// `issuer_spki` as its one `enrolled` token key, valid from 30 days ago for 180 days.
/// The padded sizes declared are the computed minimum, which a `/1` policy pads to, so
/// the bodies are the same size under both policies.
pub fn upgrade_to_tokened(policy: &mut Value, issuer_spki: &[u8]) {
    let today = Utc::now().date_naive();
    let (from, until) = (days_before(today, 30), today + Days::new(180));
    policy["format"] = json!("selfreport.policy/2");
    policy["valid_from"] = json!(from.to_string());
    policy["valid_until"] = json!(until.to_string());
    policy["region"] = json!(["310000"]);
    for name in ["health", "identity"] {
        policy["recipients"][name]["role"] = json!(name);
    }
    for form in policy["forms"].as_array_mut().unwrap() {
        form["enrollment"] = json!("required");
    }
    declare_minimum_padded_sizes(policy).unwrap();
    let entry = TokenKeyEntry {
        usage: TokenKeyUse::Enrolled,
        spki: issuer_spki.to_vec(),
        from,
        until,
    };
    add_token_key(policy, &entry).unwrap();
}

fn days_before(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(days)).unwrap()
}

/// Makes valid tokens of the drop box's issuer key, as a device gets them: blinded by
/// the core, blindly signed with the issuer's private key, finished (and verified) by
/// the core.
pub struct Minter {
    secret: IssuerSecretKey,
    public: IssuerKey,
    challenge_digest: [u8; 32],
}

impl Minter {
    /// A minter for tokens of `secret` answering the challenge of the policy `policy_id`
    /// served at `url`.
    pub fn new(secret: IssuerSecretKey, url: &str, policy_id: &str) -> Self {
        let public = IssuerKey::from_spki(secret.spki()).unwrap();
        let challenge_digest = TokenChallenge::for_endpoint(url, policy_id)
            .digest()
            .unwrap();
        Self {
            secret,
            public,
            challenge_digest,
        }
    }

    /// `count` distinct tokens, each as an `Authorization: PrivateToken token="…"` value.
    pub fn authorizations(&self, count: usize) -> Vec<String> {
        let per_thread = count.div_ceil(MINTING_THREADS);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..MINTING_THREADS)
                .map(|n| {
                    let share = per_thread.min(count.saturating_sub(n * per_thread));
                    scope.spawn(move || (0..share).map(|_| self.one()).collect::<Vec<_>>())
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap())
                .collect()
        })
    }

    fn one(&self) -> String {
        let (pending, request) = PendingToken::new(&self.public, &self.challenge_digest).unwrap();
        let signature = self.secret.blind_sign(&request.blinded_msg).unwrap();
        pending
            .finish(&self.public, &signature)
            .unwrap()
            .authorization()
    }
}

/// The spent tokens the drop box's SQLite database at `path` keeps.
pub fn spent_rows(path: &Path) -> u64 {
    let connection =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let count: i64 = connection
        .query_row("SELECT count(*) FROM spent_tokens", [], |row| row.get(0))
        .unwrap();
    u64::try_from(count).unwrap()
}
