//! docs/vectors/: the checked-in files are exactly what the code produces (so a byte rule
//! changed in the Rust code without new vectors fails here), and every vector holds
//! through the production code paths: the authority's `hpke`-crate open, the device's
//! `ReceiptChecker`, policy verification, the ledger verifier. Regenerate the files with
//! `cargo run -p selfreport-tests --example write-vectors`.

#[path = "vector_generator/mod.rs"]
mod vectors;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::NaiveDate;
use serde_json::Value;

use selfreport_core::crypto::{
    hpke_seal_with_ephemeral_key, key_id, sha256, submission_info, verify_ed25519,
};
use selfreport_core::ledger::{LedgerRow, verify_chain};
use selfreport_core::minimize::padded_size;
use selfreport_core::policy::{
    SignedDelegation, SignedPolicy, TrustAnchor, sign_policy_with_chain,
};
use selfreport_core::sync::receipt_tree;
use selfreport_core::sync::wire::{Receipt, ReceiptChecker, SentSubmission, deletion_hash};
use selfreport_endpoint::open::decrypt::open_part;
use selfreport_endpoint::recipient_key::RecipientKeyPair;
use selfreport_tests::printed_ledger::{hex, unhex, verify_printed_chain};

/// The vectors of the checked-in file of `topic`.
fn checked_in(topic: &str) -> Vec<Value> {
    let path = vectors::vectors_dir().join(format!("{topic}.json"));
    let file: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("a vector file")).expect("JSON");
    assert_eq!(file["format"], "selfreport.vectors/1");
    assert_eq!(file["topic"], topic);
    file["vectors"].as_array().expect("vectors").clone()
}

fn bytes(vector: &Value, field: &str) -> Vec<u8> {
    unhex(vector[field].as_str().unwrap_or_else(|| panic!("{field}")))
        .unwrap_or_else(|| panic!("{field} is not hex"))
}

fn text<'a>(vector: &'a Value, field: &str) -> &'a str {
    vector[field].as_str().unwrap_or_else(|| panic!("{field}"))
}

fn key32(vector: &Value, field: &str) -> [u8; 32] {
    bytes(vector, field).try_into().expect("32 bytes")
}

fn valid(vector: &Value) -> bool {
    vector["valid"].as_bool().expect("valid")
}

#[test]
fn the_checked_in_vectors_are_what_the_code_produces() {
    let mut stale = Vec::new();
    for topic in vectors::TOPICS {
        let path = vectors::vectors_dir().join(format!("{topic}.json"));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        if on_disk != vectors::file_text(topic) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "these vector files differ from what the code produces: {stale:?}. If a byte rule \
         changed on purpose, run `cargo run -p selfreport-tests --example write-vectors`, \
         and say what changed in docs/vectors/README.md and docs/protocol.md"
    );
}

#[test]
fn names_are_unique_in_every_file() {
    for topic in vectors::TOPICS {
        let vectors = checked_in(topic);
        let mut names: Vec<&str> = vectors.iter().map(|v| text(v, "name")).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "{topic}");
    }
}

/// The fixed-ephemeral seal reproduces RFC 9180 A.1.1 and A.2.1 (first encryption).
#[test]
fn the_fixed_ephemeral_seal_reproduces_rfc_9180() {
    let cases = [
        (
            "x25519-sha256-aes128gcm",
            "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
            "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
            "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
        ),
        (
            "x25519-sha256-chacha20poly1305",
            "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600",
            "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a",
            "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28",
        ),
    ];
    for (suite, sk_e, pk_r, ct) in cases {
        let seal = hpke_seal_with_ephemeral_key(
            suite,
            &unhex(pk_r).unwrap().try_into().unwrap(),
            &unhex(sk_e).unwrap().try_into().unwrap(),
            &unhex("4f6465206f6e2061204772656369616e2055726e").unwrap(),
            &unhex("436f756e742d30").unwrap(),
            &unhex("4265617574792069732074727574682c20747275746820626561757479").unwrap(),
        )
        .unwrap();
        assert_eq!(hex(&seal.sealed.ct), ct, "{suite}");
    }
}

#[test]
fn hpke_vectors_open_with_the_authoritys_hpke_crate() {
    let vectors = checked_in("hpke");
    let suites: std::collections::BTreeSet<&str> =
        vectors.iter().map(|v| text(v, "suite")).collect();
    assert_eq!(suites.len(), 2, "both suites");
    for vector in &vectors {
        let name = text(vector, "name");
        let key = RecipientKeyPair::from_private_key_base64(
            &STANDARD.encode(bytes(vector, "recipient_private_key_hex")),
        )
        .unwrap();
        assert_eq!(
            key.public_key_base64(),
            text(vector, "recipient_public_key")
        );
        let version = vector["policy_version"].as_u64().unwrap();
        let info = submission_info(
            text(vector, "policy_id"),
            version,
            text(vector, "recipient"),
        );
        assert_eq!(hex(&info), text(vector, "info_hex"), "{name}");
        assert_eq!(
            bytes(vector, "aad_hex"),
            text(vector, "submission_id").as_bytes()
        );
        let enc = STANDARD.decode(text(vector, "enc")).unwrap();
        let ct = STANDARD.decode(text(vector, "ct")).unwrap();
        assert_eq!(enc, bytes(vector, "enc_hex"));
        assert_eq!(ct, bytes(vector, "ct_hex"));
        let suite = text(vector, "suite");
        let aad = bytes(vector, "aad_hex");
        let opened = open_part(suite, &key, &enc, &ct, &info, &aad).expect(name);
        assert_eq!(opened, bytes(vector, "plaintext_hex"), "{name}");
        let mut tampered = ct.clone();
        tampered[0] ^= 1;
        assert!(open_part(suite, &key, &enc, &tampered, &info, &aad).is_err());
        // The sealing side: the device's key schedule with the vector's ephemeral key.
        let seal = hpke_seal_with_ephemeral_key(
            suite,
            &key32(vector, "recipient_public_key_hex"),
            &key32(vector, "ephemeral_private_key_hex"),
            &info,
            &aad,
            &bytes(vector, "plaintext_hex"),
        )
        .unwrap();
        assert_eq!(hex(&seal.shared_secret), text(vector, "shared_secret_hex"));
        assert_eq!(hex(&seal.key), text(vector, "key_hex"));
        assert_eq!(hex(&seal.base_nonce), text(vector, "base_nonce_hex"));
    }
}

#[test]
fn padding_vectors_are_padded_to_the_size_the_signed_policy_declares() {
    let policy = vectors::fixtures::policy();
    for vector in checked_in("padding") {
        let name = text(&vector, "name");
        let canonical = bytes(&vector, "canonical_hex");
        assert_eq!(canonical, text(&vector, "canonical_json").as_bytes());
        let padded = bytes(&vector, "padded_hex");
        let declared = vector["padded_bytes"].as_u64().unwrap() as usize;
        assert_eq!(padded.len(), declared, "{name}");
        assert_eq!(&padded[..canonical.len()], canonical.as_slice());
        assert!(padded[canonical.len()..].iter().all(|byte| *byte == b' '));
        let form = text(&vector, "form");
        let recipient = text(&vector, "recipient");
        assert_eq!(
            padded_size(&policy, form, recipient).unwrap(),
            declared,
            "{name}"
        );
        let parsed: Value = serde_json::from_slice(&canonical).unwrap();
        assert_eq!(serde_json::to_vec(&parsed).unwrap(), canonical, "canonical");
    }
}

fn sent(vector: &Value) -> (String, String, u64, Vec<u8>) {
    let sent = &vector["sent"];
    (
        text(sent, "submission_id").to_owned(),
        text(sent, "policy_id").to_owned(),
        sent["policy_version"].as_u64().unwrap(),
        bytes(sent, "body_hex"),
    )
}

fn check_receipt(checker: &mut ReceiptChecker, vector: &Value) -> bool {
    let receipt: Receipt = serde_json::from_value(vector["receipt"].clone()).unwrap();
    let (submission_id, policy_id, policy_version, body) = sent(vector);
    assert_eq!(
        hex(&receipt.signed_message()),
        text(vector, "signed_message_hex")
    );
    checker.check(
        &receipt,
        &SentSubmission {
            submission_id: &submission_id,
            policy_id: &policy_id,
            policy_version,
            body: &body,
        },
    )
}

fn receipt_key(vector: &Value) -> [u8; 32] {
    let key = selfreport_core::crypto::SigningKey::from_seed_base64(
        &STANDARD.encode(bytes(vector, "receipt_key_seed_hex")),
    )
    .unwrap();
    assert_eq!(key.public_key_base64(), text(vector, "receipt_key"));
    key.public_key()
}

#[test]
fn receipt_vectors_verify_as_the_device_verifies_them() {
    let vectors = checked_in("receipt");
    assert!(vectors.iter().any(|v| !valid(v)));
    for vector in &vectors {
        let mut checker = ReceiptChecker::new(receipt_key(vector));
        assert_eq!(
            check_receipt(&mut checker, vector),
            valid(vector),
            "{}",
            text(vector, "name")
        );
    }
}

#[test]
fn batch_vectors_verify_leaf_by_leaf_with_one_signature_check() {
    let vectors = checked_in("batch");
    let sizes: Vec<u64> = vectors
        .iter()
        .filter(|v| valid(v))
        .map(|v| v["size"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [1, 2, 3, 7, 16]);
    for vector in &vectors {
        let name = text(vector, "name");
        let mut checker = ReceiptChecker::new(receipt_key(vector));
        let leaves = vector["leaves"].as_array().unwrap();
        assert_eq!(leaves.len() as u64, vector["size"].as_u64().unwrap());
        for leaf in leaves {
            assert_eq!(
                hex(&receipt_tree::leaf(&bytes(leaf, "signed_message_hex"))),
                text(leaf, "leaf_hex")
            );
            let mut leaf = leaf.clone();
            leaf["receipt_key_seed_hex"] = vector["receipt_key_seed_hex"].clone();
            assert_eq!(
                check_receipt(&mut checker, &leaf),
                valid(vector),
                "{name} leaf {}",
                leaf["index"]
            );
        }
        if valid(vector) {
            assert_eq!(checker.signatures_checked(), 1, "{name}");
            assert!(verify_ed25519(
                &receipt_key(vector),
                &bytes(vector, "signed_message_hex"),
                &bytes(vector, "signature_hex")
            ));
        }
    }
}

/// The rows a printed ledger stands for: sequence numbers, stored hashes, entry bytes.
fn rows(entries: &Value) -> Vec<LedgerRow> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["seq"].as_u64().unwrap(),
                bytes(entry, "hash").try_into().unwrap(),
                bytes(entry, "bytes_hex"),
            )
        })
        .collect()
}

#[test]
fn ledger_vectors_verify_by_hand_and_with_the_ledger_verifier() {
    let vectors = checked_in("ledger");
    for vector in &vectors {
        let name = text(vector, "name");
        let verified = verify_chain(&rows(&vector["entries"]));
        assert_eq!(verified.is_valid(), valid(vector), "{name}: {verified:?}");
        if valid(vector) {
            let formats = verify_printed_chain(&vector["entries"]).unwrap();
            assert!(
                formats.contains(&"selfreport.ledger/1".to_owned()),
                "{formats:?}"
            );
            assert!(
                formats.contains(&"selfreport.ledger/2".to_owned()),
                "{formats:?}"
            );
            assert_eq!(verified.receipts_verified, 1);
        }
    }
    // The chain breaks the by-hand check too, except where only a receipt is forged.
    for vector in vectors.iter().filter(|v| !valid(v)) {
        let by_hand = verify_printed_chain(&vector["entries"]);
        assert_eq!(
            by_hand.is_ok(),
            text(vector, "name") == "receipt-forged",
            "{}",
            text(vector, "name")
        );
    }
}

fn verification_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

#[test]
fn signature_vectors_verify_as_devices_verify_policies_and_delegations() {
    let vectors = checked_in("signatures");
    for vector in &vectors {
        let name = text(vector, "name");
        let public_key = key32(vector, "signer_public_key_hex");
        let envelope = serde_json::to_vec(&vector["envelope"]).unwrap();
        let signature_verifies = verify_ed25519(
            &public_key,
            &bytes(vector, "signed_message_hex"),
            &bytes(vector, "signature_hex"),
        ) && text(vector, "key_id") == key_id(&public_key)
            && vector["envelope"]["key_id"] == vector["key_id"];
        assert_eq!(signature_verifies, valid(vector), "{name}");
        let payload = URL_SAFE_NO_PAD
            .decode(text(&vector["envelope"], "payload"))
            .unwrap();
        let context = text(vector, "context").as_bytes();
        assert_eq!(
            bytes(vector, "signed_message_hex"),
            [context, payload.as_slice()].concat()
        );
        match text(vector, "kind") {
            "policy" => {
                let verified = SignedPolicy::parse(&envelope).and_then(|policy| {
                    policy.verify(&TrustAnchor::new(public_key).into(), verification_day())
                });
                assert_eq!(verified.is_ok(), valid(vector), "{name}: {verified:?}");
            }
            "delegation" => {
                // A policy the delegation's subject signs under it verifies from the root
                // exactly when the delegation's signature holds.
                let collector = vectors::fixtures::signing_key(vectors::signatures::COLLECTOR_KEY);
                let policy = sign_policy_with_chain(
                    &collector,
                    &vectors::signatures::policy_payload(),
                    std::slice::from_ref(&envelope),
                    None,
                )
                .unwrap();
                let verified = SignedPolicy::parse(&policy).and_then(|policy| {
                    policy.verify(&TrustAnchor::new(public_key).into(), verification_day())
                });
                assert_eq!(verified.is_ok(), valid(vector), "{name}: {verified:?}");
                assert!(SignedDelegation::parse(&envelope).is_ok());
            }
            other => panic!("unknown kind {other}"),
        }
    }
}

#[test]
fn deletion_vectors_hash_the_tokens_ascii() {
    for vector in checked_in("deletion") {
        let token = text(&vector, "token");
        assert_eq!(token.len(), 43);
        assert_eq!(
            URL_SAFE_NO_PAD.decode(token).unwrap(),
            bytes(&vector, "token_bytes_hex")
        );
        assert_eq!(
            hex(&sha256(token.as_bytes())),
            text(&vector, "deletion_hash")
        );
        assert_eq!(deletion_hash(token), text(&vector, "deletion_hash"));
    }
}

#[test]
fn notice_vectors_open_with_their_keys_to_their_notices() {
    use selfreport_core::notice::{NoticeKey, open_notice};
    for vector in checked_in("notice") {
        let key = NoticeKey::from_hex(text(&vector, "notice_key")).unwrap();
        let slot = bytes(&vector, "slot");
        assert_eq!(slot.len(), 512);
        assert_eq!(slot[..12], bytes(&vector, "nonce")[..]);
        let opened = open_notice(&key, &slot).unwrap().expect("it opens");
        assert_eq!(serde_json::to_value(&opened).unwrap(), vector["notice"]);
        assert_eq!(
            serde_json::to_string(&opened).unwrap(),
            text(&vector, "plaintext_json")
        );
        // Another key opens nothing.
        let other = NoticeKey::from_hex(&"00".repeat(32)).unwrap();
        assert_eq!(open_notice(&other, &slot).unwrap(), None);
    }
}

/// The fixed-ephemeral seal stays out of what ships: builds of the bindings library and
/// of the binaries (`selfreport`, `selfreport-endpoint`, `selfreport-authority`), which
/// take no dev-dependencies, do not enable the core's `test-vectors` feature.
#[test]
fn the_shipped_library_has_no_fixed_ephemeral_seal() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "selfreport-ffi",
            "-p",
            "selfreport-cli",
            "-p",
            "selfreport-endpoint",
            "-e",
            "normal,build,features",
            "-i",
            "selfreport-core",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(tree.contains("selfreport-core"), "{tree}");
    assert!(!tree.contains("test-vectors"), "{tree}");
}

/// The worked examples of docs/protocol.md are the vectors' values, so the prose cannot
/// drift from the code either.
#[test]
fn protocol_md_quotes_the_vectors() {
    let protocol = std::fs::read_to_string(vectors::vectors_dir().join("../protocol.md"))
        .expect("docs/protocol.md");
    let first = |topic: &str, name: &str| -> Value {
        checked_in(topic)
            .into_iter()
            .find(|vector| vector["name"] == name)
            .unwrap_or_else(|| panic!("{topic} {name}"))
    };
    let hpke = first("hpke", "health-x25519-sha256-chacha20poly1305");
    let receipt = first("receipt", "valid");
    let deletion = first("deletion", "token-1");
    let batch = first("batch", "tree-of-3");
    let ledger = first("ledger", "chain");
    let third = &ledger["entries"][2];
    let quoted = [
        text(&hpke, "info_hex").to_owned(),
        text(&hpke, "aad_hex").to_owned(),
        text(&receipt, "signed_message").to_owned(),
        text(&deletion, "token").to_owned(),
        text(&deletion, "deletion_hash").to_owned(),
        text(&batch, "root_hex").to_owned(),
        String::from_utf8(bytes(third, "bytes_hex")).unwrap(),
        text(third, "prev_hash").to_owned(),
        text(third, "hash").to_owned(),
    ];
    for value in quoted {
        assert!(
            protocol.contains(&value),
            "docs/protocol.md does not quote {value}"
        );
    }
}

/// The challenge of each vector, rebuilt here from protocol.md's words with SHA-256 alone
/// (not the core's encoder): the host as written, the redemption context of the policy id.
#[test]
fn token_challenges_are_built_as_the_protocol_says() {
    use selfreport_core::crypto::sha256;
    let vectors = checked_in("token");
    assert_eq!(vectors.len(), 3);
    for vector in vectors {
        let host = text(&vector, "issuer_name");
        assert_eq!(text(&vector, "origin_info"), host);
        let context =
            sha256(format!("selfreport.token/1\n{}", text(&vector, "policy_id")).as_bytes());
        assert_eq!(bytes(&vector, "redemption_context"), context);
        let mut challenge = vec![0x00, 0x02];
        challenge.extend_from_slice(&(host.len() as u16).to_be_bytes());
        challenge.extend_from_slice(host.as_bytes());
        challenge.push(32);
        challenge.extend_from_slice(&context);
        challenge.extend_from_slice(&(host.len() as u16).to_be_bytes());
        challenge.extend_from_slice(host.as_bytes());
        assert_eq!(bytes(&vector, "token_challenge"), challenge);
        assert_eq!(bytes(&vector, "challenge_digest"), sha256(&challenge));
        assert!(
            !host.contains([':', '[', '@']) || host.contains("::"),
            "{host}"
        );
    }
}

/// Each pass verifies at the checkpoint, its pseudonym rebuilt here from protocol.md's
/// words with SHA-256 alone, and each confirmation line verifies with the signer's key.
#[test]
fn arrival_passes_and_confirmations_verify_as_the_protocol_says() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use selfreport_core::arrival_pass::ArrivalPass;
    use selfreport_core::crypto::sha256;
    use selfreport_endpoint::arrival_confirmation::ArrivalConfirmation;
    let vectors = checked_in("arrival");
    assert_eq!(vectors.len(), 2);
    for vector in vectors {
        let public = URL_SAFE_NO_PAD
            .decode(text(&vector, "arrival_public_key"))
            .unwrap();
        let mut input = b"selfreport.pseudonym/1\n".to_vec();
        input.extend_from_slice(&public);
        assert_eq!(text(&vector, "pseudonym"), hex(&sha256(&input)[..16]));
        let shown_at: chrono::DateTime<chrono::Utc> = text(&vector, "shown_at").parse().unwrap();
        let pass = ArrivalPass::verify(
            text(&vector, "pass").as_bytes(),
            text(&vector, "policy_id"),
            shown_at + chrono::Duration::minutes(1),
        )
        .unwrap();
        assert_eq!(pass.pseudonym, text(&vector, "pseudonym"));
        assert_eq!(
            bytes(&vector, "signed_message_hex"),
            format!(
                "selfreport.arrival-pass/1\n{}\n{}\n{}",
                text(&vector, "policy_id"),
                text(&vector, "pseudonym"),
                text(&vector, "shown_at")
            )
            .into_bytes()
        );
        let signer: [u8; 32] = URL_SAFE_NO_PAD
            .decode(text(&vector, "signer_public_key"))
            .unwrap()
            .try_into()
            .unwrap();
        let confirmation =
            ArrivalConfirmation::verify_line(text(&vector, "confirmation_line"), &signer).unwrap();
        assert_eq!(confirmation.pseudonym, text(&vector, "pseudonym"));
        assert_eq!(confirmation.district, text(&vector, "district"));
    }
}
