//! `notice.json`: access notices (docs/protocol.md, "Access notices") sealed under fixed
//! notice keys and nonces, as the case console seals them and a device opens them.

use selfreport_core::notice::{AccessNotice, NoticeKey, seal_notice_with_nonce};
use serde_json::{Value, json};

use super::fixtures::{hex, seed};

/// The notices: an ASCII office, and an office and officer number in Chinese.
fn notices() -> [(&'static str, AccessNotice); 2] {
    [
        (
            "ascii-office",
            AccessNotice::new(
                "2026-12-07T09:30:00Z".to_owned(),
                "Wuchang District CDC".to_owned(),
                "42".to_owned(),
                "sh-daily-health".to_owned(),
                "follow-up-symptoms".to_owned(),
                "2b202736515017a3b36933612d96fae8".to_owned(),
            ),
        ),
        (
            "chinese-office",
            AccessNotice::new(
                "2026-12-07T10:05:00Z".to_owned(),
                "武昌区疾病预防控制中心".to_owned(),
                "第7号".to_owned(),
                "sh-arrivals".to_owned(),
                "confirm-intake".to_owned(),
                "00112233445566778899aabbccddeeff".to_owned(),
            ),
        ),
    ]
}

/// The vectors.
pub fn vectors() -> Vec<Value> {
    notices()
        .into_iter()
        .map(|(name, notice)| {
            let key_bytes = seed(&format!("notice key {name}"));
            let key = NoticeKey::from_hex(&hex(&key_bytes)).expect("32 bytes of hex");
            let mut nonce = [0u8; 12];
            nonce.copy_from_slice(&seed(&format!("notice nonce {name}"))[..12]);
            let slot = seal_notice_with_nonce(&key, &notice, nonce).expect("the notice seals");
            json!({
                "name": name,
                "notice_key": hex(&key_bytes),
                "nonce": hex(&nonce),
                "notice": serde_json::to_value(&notice).expect("a notice is JSON"),
                "plaintext_json": String::from_utf8(serde_json::to_vec(&notice).expect("JSON"))
                    .expect("UTF-8"),
                "slot": hex(&slot),
            })
        })
        .collect()
}
