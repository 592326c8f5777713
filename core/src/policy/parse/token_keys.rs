//! `endpoint.token_keys` (`selfreport.policy/2`): the schedule of the drop box's upload
//! token issuer keys, one key at a time per use, rotated on the days the policy publishes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use serde_json::Value;

use super::super::{PolicyError, TokenKey, TokenKeyUse};
use super::checks::{check_count, setting};
use crate::token::{IssuerKey, MAX_SPKI_BYTES};

/// Most issuer keys one policy may list.
const MAX_TOKEN_KEYS: usize = 32;

/// The keys of one schedule entry.
const ENTRY_KEYS: [&str; 4] = ["from", "spki", "until", "use"];

/// Reads the schedule, strictly: an array of objects of exactly `use`, `spki`, `from`
/// and `until`; each key a 2048-bit RSASSA-PSS (SHA-384) SubjectPublicKeyInfo in standard
/// base64, no key listed twice, and for each use its keys' windows following one another
/// without gap or overlap from `valid_from` to `valid_until`, so that on every day of the
/// policy exactly one key of each use issues.
pub(super) fn build_token_keys(
    raw: &Value,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
) -> Result<Vec<TokenKey>, PolicyError> {
    let malformed = |detail: &str| PolicyError::Malformed {
        detail: format!("endpoint.token_keys: {detail}"),
    };
    let entries = raw
        .as_array()
        .ok_or_else(|| malformed("expected an array"))?;
    check_count("endpoint token keys", entries.len(), MAX_TOKEN_KEYS)?;
    let mut keys: Vec<TokenKey> = Vec::with_capacity(entries.len());
    let mut key_ids: Vec<[u8; 32]> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let what = || format!("endpoint.token_keys[{index}]");
        let object = entry
            .as_object()
            .ok_or_else(|| malformed("each key is an object"))?;
        if object.len() != ENTRY_KEYS.len()
            || !ENTRY_KEYS.iter().all(|key| object.contains_key(*key))
        {
            return Err(malformed("each key has exactly use, spki, from and until"));
        }
        let text = |name: &str| {
            object
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("use, spki, from and until are strings"))
        };
        let date = |name: &str| {
            text(name)?
                .parse::<NaiveDate>()
                .map_err(|_| malformed("from and until are dates (YYYY-MM-DD)"))
        };
        let usage = match text("use")? {
            "enrolled" => TokenKeyUse::Enrolled,
            "open" => TokenKeyUse::Open,
            _ => return Err(setting(what(), "`use` must be `enrolled` or `open`")),
        };
        let encoded = text("spki")?;
        if encoded.len() > MAX_SPKI_BYTES * 4 / 3 + 4 {
            return Err(PolicyError::BadKey { what: what() });
        }
        let spki = STANDARD
            .decode(encoded)
            .map_err(|_| PolicyError::BadKey { what: what() })?;
        let key = IssuerKey::from_spki(&spki).map_err(|_| PolicyError::BadKey { what: what() })?;
        if key_ids.contains(key.key_id()) {
            return Err(PolicyError::Duplicate {
                what: "endpoint token key".into(),
                id: encoded.to_owned(),
            });
        }
        key_ids.push(*key.key_id());
        let (from, until) = (date("from")?, date("until")?);
        if until < from {
            return Err(setting(what(), "`until` is before `from`"));
        }
        keys.push(TokenKey {
            usage,
            spki,
            from,
            until,
        });
    }
    for usage in [TokenKeyUse::Enrolled, TokenKeyUse::Open] {
        let of_use: Vec<&TokenKey> = keys.iter().filter(|key| key.usage == usage).collect();
        if of_use.is_empty() {
            continue;
        }
        // Walk the schedule from valid_from: each day after a key's window must start
        // exactly one other key, until valid_until is reached by the last.
        let mut next = valid_from;
        for _ in 0..of_use.len() {
            let starting: Vec<&&TokenKey> = of_use.iter().filter(|key| key.from == next).collect();
            let [key] = starting.as_slice() else {
                return Err(setting(
                    "endpoint.token_keys",
                    format!(
                        "the `{}` keys must follow one another from valid_from to valid_until \
                         without gap or overlap; {} of them start on {next}",
                        usage.as_str(),
                        starting.len()
                    ),
                ));
            };
            next = key.until.succ_opt().unwrap_or(key.until);
        }
        if next.pred_opt() != Some(valid_until) {
            return Err(setting(
                "endpoint.token_keys",
                format!(
                    "the `{}` keys must follow one another from valid_from and reach valid_until",
                    usage.as_str()
                ),
            ));
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use chrono::NaiveDate;
    use serde_json::{Value, json};

    use super::super::parse_policy_document;
    use crate::policy::test_support::{policy_v2, test_policy_value};
    use crate::policy::{PolicyError, TokenKeyUse};

    /// RFC 9578's 2048-bit issuer key, and a second key: the same modulus with e = 3
    /// (another SubjectPublicKeyInfo, so another key id; nothing here signs).
    fn spkis() -> [String; 2] {
        let vectors: Value =
            serde_json::from_str(include_str!("../../token/rfc9578_vectors.json")).unwrap();
        let hex = vectors["vectors"][0]["pkS"].as_str().unwrap();
        let first: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let mut second = first.clone();
        // ... 02 03 01 00 01 → 02 03 00 00 03 would not be minimal; keep the length and
        // change the exponent to 0x010003 (odd, in range).
        let len = second.len();
        second[len - 1] = 0x03;
        [STANDARD.encode(first), STANDARD.encode(second)]
    }

    fn window(policy: &Value) -> (NaiveDate, NaiveDate) {
        let date = |name: &str| policy[name].as_str().unwrap().parse().unwrap();
        (date("valid_from"), date("valid_until"))
    }

    fn with_keys(keys: Value) -> Value {
        let mut policy = policy_v2();
        policy["endpoint"]["token_keys"] = keys;
        policy
    }

    fn code(policy: &Value) -> &'static str {
        parse_policy_document(policy.to_string().as_bytes())
            .unwrap_err()
            .code()
    }

    #[test]
    fn a_schedule_of_keys_reads_and_finds_the_key_of_each_day() {
        let [first, second] = spkis();
        let (from, until) = window(&policy_v2());
        let middle = from + (until - from) / 2;
        let policy = with_keys(json!([
            {"use": "enrolled", "spki": first.clone(), "from": from.to_string(), "until": middle.to_string()},
            {"use": "enrolled", "spki": second, "from": middle.succ_opt().unwrap().to_string(), "until": until.to_string()},
            {"use": "open", "spki": first.clone(), "from": from.to_string(), "until": until.to_string()}
        ]));
        // The open key repeats the first key: refused as a duplicate.
        assert_eq!(code(&policy), "PolicyDuplicate");

        let policy = with_keys(json!([
            {"use": "enrolled", "spki": first, "from": from.to_string(), "until": middle.to_string()},
            {"use": "open", "spki": second, "from": from.to_string(), "until": until.to_string()},
            {"use": "enrolled", "spki": second.clone(), "from": middle.succ_opt().unwrap().to_string(), "until": until.to_string()}
        ]));
        assert_eq!(code(&policy), "PolicyDuplicate");

        let policy = with_keys(json!([
            {"use": "enrolled", "spki": first, "from": from.to_string(), "until": middle.to_string()},
            {"use": "open", "spki": second, "from": from.to_string(), "until": until.to_string()}
        ]));
        assert_eq!(
            code(&policy),
            "PolicyBadSetting",
            "the enrolled keys stop at the middle"
        );

        let policy = with_keys(json!([
            {"use": "enrolled", "spki": first, "from": from.to_string(), "until": until.to_string()},
            {"use": "open", "spki": second, "from": from.to_string(), "until": until.to_string()}
        ]));
        let document = parse_policy_document(policy.to_string().as_bytes()).unwrap();
        let keys = &document.endpoint.token_keys;
        assert_eq!(keys.len(), 2);
        assert_eq!(
            document
                .endpoint
                .token_key(TokenKeyUse::Enrolled, middle)
                .unwrap()
                .spki,
            STANDARD.decode(&first).unwrap()
        );
        assert_eq!(
            document
                .endpoint
                .token_key(TokenKeyUse::Open, from)
                .unwrap()
                .spki,
            STANDARD.decode(&second).unwrap()
        );
        assert!(
            document
                .endpoint
                .token_key(TokenKeyUse::Open, until.succ_opt().unwrap())
                .is_none()
        );
    }

    #[test]
    fn gaps_overlaps_bad_keys_and_v1_are_refused() {
        let [first, second] = spkis();
        let (from, until) = window(&policy_v2());
        let next = |day: NaiveDate| day.succ_opt().unwrap().to_string();
        let gap = with_keys(json!([
            {"use": "enrolled", "spki": first, "from": from.to_string(), "until": from.to_string()},
            {"use": "enrolled", "spki": second, "from": next(from.succ_opt().unwrap()), "until": until.to_string()}
        ]));
        assert_eq!(code(&gap), "PolicyBadSetting");
        let overlap = with_keys(json!([
            {"use": "enrolled", "spki": first, "from": from.to_string(), "until": next(from)},
            {"use": "enrolled", "spki": second, "from": next(from), "until": until.to_string()}
        ]));
        assert_eq!(code(&overlap), "PolicyBadSetting");
        let late = with_keys(json!([
            {"use": "open", "spki": first, "from": next(from), "until": until.to_string()}
        ]));
        assert_eq!(code(&late), "PolicyBadSetting");
        let backwards = with_keys(json!([
            {"use": "open", "spki": first, "from": until.to_string(), "until": from.to_string()}
        ]));
        assert_eq!(code(&backwards), "PolicyBadSetting");
        let usage = with_keys(json!([
            {"use": "everyone", "spki": first, "from": from.to_string(), "until": until.to_string()}
        ]));
        assert_eq!(code(&usage), "PolicyBadSetting");
        for spki in ["not base64!", "AAAA", &STANDARD.encode([0u8; 342])] {
            let bad = with_keys(json!([
                {"use": "open", "spki": spki, "from": from.to_string(), "until": until.to_string()}
            ]));
            assert_eq!(code(&bad), "PolicyBadKey", "{spki}");
        }
        let unknown = with_keys(json!([
            {"use": "open", "spki": first, "from": from.to_string(), "until": until.to_string(), "note": 1}
        ]));
        assert_eq!(code(&unknown), "PolicyMalformed");

        let mut v1 = test_policy_value("v1-policy", 1, crate::policy::test_support::today());
        let (from, until) = window(&v1);
        v1["endpoint"]["token_keys"] = json!([{"use": "open", "spki": first, "from": from.to_string(), "until": until.to_string()}]);
        assert!(matches!(
            parse_policy_document(v1.to_string().as_bytes()),
            Err(PolicyError::BadSetting { .. } | PolicyError::Malformed { .. })
        ));
    }
}
