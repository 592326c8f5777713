//! `open` end to end: reports minimized and sealed by the core (ring HPKE) travel to the
//! drop box over loopback HTTPS and open with the `hpke` crate; tampered parts do not
//! open; crafted submissions (an extra field, a temperature more precise than its
//! transform) are flagged; cover traffic is dropped; the drop box's files hold none of
//! it in the clear; the `selfreport-authority open` binary writes JSON, CSV and FHIR.

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{
    Backend, PSEUDONYM, TestDropBox, crafted_plaintext, device_plaintexts, dummy_plaintexts,
    random_hex_id, seal, seal_with,
};
use selfreport_core::crypto::{hpke_seal, submission_info};
use selfreport_core::policy::PolicyDocument;
use selfreport_endpoint::keyfile::read_recipient_key;
use selfreport_endpoint::open::decrypt::open_part;
use selfreport_endpoint::open::{
    IdentityAccess, OpenReport, OpenedSubmission, OutputFormat, Restricted, open_command,
    open_stored, to_csv, to_fhir, to_json,
};
use selfreport_endpoint::policy_file::PolicyFile;
use selfreport_endpoint::recipient_key::RecipientKeyPair;
use serde_json::{Value, json};

const NAME_CANARY: &str = "Canary-Zhang-San";

/// Opens everything with both keys through the library (`open_stored`, which the console
/// and the demo use), identity values included: what the conformance checks look at.
fn open(drop_box: &TestDropBox, format: OutputFormat) -> (String, OpenReport) {
    let policy_path = drop_box.db.path().with_file_name("policy.signed.json");
    std::fs::write(&policy_path, &drop_box.envelope).unwrap();
    let policy = PolicyFile::read(
        &policy_path,
        Some(&drop_box.authority.keys.public_key_path),
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    let keys: BTreeMap<String, RecipientKeyPair> = ["health", "identity"]
        .iter()
        .map(|name| {
            let path = drop_box.authority.recipient_key_path(name);
            ((*name).to_owned(), read_recipient_key(&path).unwrap())
        })
        .collect();
    let document = policy.document();
    let report = open_stored(&drop_box.db.database(), document, &keys).unwrap();
    let rendered = match format {
        OutputFormat::Json => to_json(&report.submissions),
        OutputFormat::Csv => to_csv(&report.submissions, document),
        OutputFormat::Fhir => to_fhir(&report.submissions, document).unwrap(),
    };
    (rendered, report)
}

/// `open_command`, as the binary runs it, with both keys and `access`.
fn open_as_command(drop_box: &TestDropBox, access: &IdentityAccess) -> (String, Restricted) {
    let keys: Vec<PathBuf> = ["health", "identity"]
        .iter()
        .map(|name| drop_box.authority.recipient_key_path(name))
        .collect();
    let policy = drop_box.db.path().with_file_name("policy.signed.json");
    std::fs::write(&policy, &drop_box.envelope).unwrap();
    let (rendered, _, restricted) = open_command(
        &drop_box.db.database(),
        &keys,
        &policy,
        Some(&drop_box.authority.keys.public_key_path),
        None,
        OutputFormat::Json,
        access,
    )
    .unwrap();
    (rendered, restricted)
}

fn find<'a>(report: &'a OpenReport, id: &str) -> &'a OpenedSubmission {
    report
        .submissions
        .iter()
        .find(|submission| submission.submission_id == id)
        .unwrap_or_else(|| panic!("{id} not in the report: {report:#?}"))
}

#[test]
fn device_sealed_parts_open_with_the_hpke_crate_and_tampering_fails() {
    let recipient = RecipientKeyPair::generate().unwrap();
    let aad = random_hex_id();
    let info = submission_info("sh", 3, "health");
    let plaintext = b"{\"fields\":{}}    ";
    for suite in ["x25519-sha256-chacha20poly1305", "x25519-sha256-aes128gcm"] {
        let sealed = hpke_seal(
            suite,
            &recipient.public_key(),
            &info,
            aad.as_bytes(),
            plaintext,
        )
        .unwrap();
        let opened = open_part(
            suite,
            &recipient,
            &sealed.enc,
            &sealed.ct,
            &info,
            aad.as_bytes(),
        );
        assert_eq!(opened.unwrap(), plaintext, "{suite}");
        // The endpoint's own `info` is byte for byte the device's.
        assert_eq!(
            selfreport_endpoint::open::decrypt::submission_info("sh", 3, "health"),
            info
        );
        for index in [0, 31] {
            let mut enc = sealed.enc;
            enc[index] ^= 0x01;
            assert!(open_part(suite, &recipient, &enc, &sealed.ct, &info, aad.as_bytes()).is_err());
        }
        for index in [0, sealed.ct.len() / 2, sealed.ct.len() - 1] {
            let mut ct = sealed.ct.clone();
            ct[index] ^= 0x80;
            assert!(open_part(suite, &recipient, &sealed.enc, &ct, &info, aad.as_bytes()).is_err());
        }
        for index in [0, info.len() - 1] {
            let mut bad_info = info.clone();
            bad_info[index] ^= 0x01;
            assert!(
                open_part(
                    suite,
                    &recipient,
                    &sealed.enc,
                    &sealed.ct,
                    &bad_info,
                    aad.as_bytes()
                )
                .is_err()
            );
        }
        let mut bad_aad = aad.clone().into_bytes();
        bad_aad[5] ^= 0x01;
        assert!(open_part(suite, &recipient, &sealed.enc, &sealed.ct, &info, &bad_aad).is_err());
    }
}

/// The device's plaintexts of a daily report under `id` with the health part replaced by
/// `health`: a crafted part still travels with the other parts its form sends, as the drop
/// box takes only parts for exactly the recipients of one form.
fn with_health(policy: &PolicyDocument, id: &str, health: Vec<u8>) -> BTreeMap<String, Vec<u8>> {
    let mut plaintexts = device_plaintexts(policy, id, NAME_CANARY, 365);
    plaintexts.insert("health".to_owned(), health);
    plaintexts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authority_sees_exactly_the_minimized_report_and_flags_what_breaks_the_policy() {
    let drop_box = TestDropBox::start(Backend::Sqlite, |d| d).await;
    let policy = &drop_box.policy;

    // A real report: minimized and sealed by the core.
    let real_id = random_hex_id();
    let real = seal(
        policy,
        &real_id,
        &device_plaintexts(policy, &real_id, NAME_CANARY, 374),
    );
    // Cover traffic made by the core.
    let dummy_id = random_hex_id();
    let dummy = seal(policy, &dummy_id, &dummy_plaintexts(policy, &dummy_id));
    // A crafted report with a field the policy never uploads.
    let extra_id = random_hex_id();
    let extra = seal(
        policy,
        &extra_id,
        &with_health(
            policy,
            &extra_id,
            crafted_plaintext(
                policy,
                &extra_id,
                "health",
                json!({"temperature": false, "symptoms": [], "contact_with_case": false,
                       "notes": "EXTRA-CANARY"}),
            ),
        ),
    );
    // A crafted report with a temperature more precise than round{0.5} allows.
    let precise_id = random_hex_id();
    let precise = seal(
        policy,
        &precise_id,
        &with_health(
            policy,
            &precise_id,
            crafted_plaintext(
                policy,
                &precise_id,
                "health",
                json!({"temperature": true, "symptoms": ["cough"], "contact_with_case": false,
                       "temperature_rounded": 37.3}),
            ),
        ),
    );
    // Parts sealed with the wrong info (another version) and the wrong aad.
    let bad_info_id = random_hex_id();
    let bad_info = seal_with(
        policy,
        &bad_info_id,
        &device_plaintexts(policy, &bad_info_id, NAME_CANARY, 365),
        |recipient, info, _| {
            if recipient == "health" {
                *info = submission_info(&policy_id(&drop_box), 999, recipient);
            }
        },
    );
    let bad_aad_id = random_hex_id();
    let bad_aad = seal_with(
        policy,
        &bad_aad_id,
        &device_plaintexts(policy, &bad_aad_id, NAME_CANARY, 365),
        |recipient, _, aad| {
            if recipient == "identity" {
                *aad = random_hex_id().into_bytes();
            }
        },
    );
    // A flipped byte in `ct` and in `enc`, which the drop box cannot notice.
    let flipped_id = random_hex_id();
    let mut flipped = seal(
        policy,
        &flipped_id,
        &device_plaintexts(policy, &flipped_id, NAME_CANARY, 365),
    );
    for (index, part) in flipped.submission.parts.iter_mut().enumerate() {
        let field = if index == 0 {
            &mut part.ct
        } else {
            &mut part.enc
        };
        let mut bytes = STANDARD.decode(&*field).unwrap();
        bytes[3] ^= 0x01;
        *field = STANDARD.encode(bytes);
    }
    flipped.body = flipped.submission.to_body();

    for sealed in [
        &real, &dummy, &extra, &precise, &bad_info, &bad_aad, &flipped,
    ] {
        assert_eq!(drop_box.post(&sealed.body).await.status(), 201);
    }

    let (json_text, report) = open(&drop_box, OutputFormat::Json);
    assert_eq!(report.dummies_dropped, 1);
    assert_eq!(report.submissions.len(), 6);
    assert!(
        report
            .submissions
            .iter()
            .all(|s| s.submission_id != dummy_id)
    );

    // The real report: exactly the declared uploads after their transforms.
    let opened = find(&report, &real_id);
    assert_eq!(opened.flags, vec![], "{opened:#?}");
    assert_eq!(opened.form.as_deref(), Some("daily"));
    assert_eq!(opened.date.as_deref(), Some(common::DATE));
    assert_eq!(opened.pseudonym.as_deref(), Some(PSEUDONYM));
    assert_eq!(
        serde_json::to_value(&opened.recipients).unwrap(),
        json!({
            "health": {
                "contact_with_case": false,
                "district": "420100",
                "symptoms": ["cough", "fatigue"],
                "temperature": true,
                "temperature_rounded": 37.5
            },
            "identity": {"name": NAME_CANARY, "phone": "+8613800138000"}
        })
    );
    assert!(!json_text.contains("NOTES-CANARY"));

    let extra = find(&report, &extra_id);
    assert_eq!(extra.flags.len(), 1, "{extra:#?}");
    assert_eq!(extra.flags[0].field, "notes");
    assert!(!extra.recipients["health"].contains_key("notes"));
    assert!(!json_text.contains("EXTRA-CANARY"));

    let precise = find(&report, &precise_id);
    assert_eq!(precise.flags.len(), 1, "{precise:#?}");
    assert_eq!(precise.flags[0].field, "temperature_rounded");
    assert!(
        precise.flags[0]
            .problem
            .contains("more precise than its transform allows")
    );
    assert!(!precise.recipients["health"].contains_key("temperature_rounded"));

    for (id, part) in [
        (&bad_info_id, "part:health"),
        (&bad_aad_id, "part:identity"),
        (&flipped_id, "part:health"),
        (&flipped_id, "part:identity"),
    ] {
        let opened = find(&report, id);
        assert!(
            opened
                .flags
                .iter()
                .any(|flag| flag.field == part && flag.problem.contains("does not open")),
            "{id} {part}: {opened:#?}"
        );
    }
    // The part that was not tampered with still opens.
    assert!(
        find(&report, &bad_info_id)
            .recipients
            .contains_key("identity")
    );

    // The drop box's files hold none of it in the clear.
    let dir = drop_box.db.path().parent().unwrap();
    for canary in [
        NAME_CANARY,
        "EXTRA-CANARY",
        "+8613800138000",
        "fatigue",
        PSEUDONYM,
    ] {
        assert!(
            !common::files_contain(dir, "dropbox.db", canary.as_bytes()),
            "{canary} found in the drop box database"
        );
    }
    for line in drop_box.log_lines() {
        assert!(
            !line.contains(NAME_CANARY) && !line.contains(&real_id),
            "{line}"
        );
    }

    // The command withholds identity values unless one case is named.
    let (withheld, restricted) = open_as_command(&drop_box, &IdentityAccess::Withheld);
    assert!(!withheld.contains(NAME_CANARY) && !withheld.contains("+8613800138000"));
    assert!(withheld.contains("temperature_rounded"), "{withheld}");
    assert!(restricted.withheld_values >= 2, "{restricted:?}");
    let (one, restricted) =
        open_as_command(&drop_box, &IdentityAccess::OneCase(PSEUDONYM.to_owned()));
    assert!(one.contains(NAME_CANARY), "{one}");
    assert_eq!(restricted.withheld_values, 0);
    let other = "ffffffffffffffffffffffffffffffff".to_owned();
    let (none, restricted) = open_as_command(&drop_box, &IdentityAccess::OneCase(other));
    assert_eq!(serde_json::from_str::<Value>(&none).unwrap(), json!([]));
    assert!(restricted.other_cases > 0);

    // CSV and FHIR carry the same data.
    let (csv, _) = open(&drop_box, OutputFormat::Csv);
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "submission_id,received_at,form,date,pseudonym,name,phone,temperature,symptoms,district,contact_with_case,temperature_rounded,unconfirmed,flags"
    );
    let real_row = csv.lines().find(|line| line.starts_with(&real_id)).unwrap();
    assert!(
        real_row.contains(NAME_CANARY) && real_row.contains(",420100,"),
        "{real_row}"
    );
    let (fhir, _) = open(&drop_box, OutputFormat::Fhir);
    let bundle: Value = serde_json::from_str(&fhir).unwrap();
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    let response = entries
        .iter()
        .map(|entry| &entry["resource"])
        .find(|resource| resource["id"] == real_id.as_str())
        .unwrap();
    assert_eq!(response["status"], "completed");
    assert_eq!(
        response["questionnaire"],
        format!(
            "https://selfreport.example.org/fhir/Questionnaire/{}.daily|1",
            policy.id
        )
    );
    drop_box.running.shutdown().await.unwrap();
}

fn policy_id(drop_box: &TestDropBox) -> String {
    drop_box.policy.id.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authority_binary_opens_to_stdout_and_refuses_foreign_keys() {
    let drop_box = TestDropBox::start(Backend::Sqlite, |d| d).await;
    let policy = &drop_box.policy;
    let id = random_hex_id();
    let sealed = seal(
        policy,
        &id,
        &device_plaintexts(policy, &id, NAME_CANARY, 380),
    );
    assert_eq!(drop_box.post(&sealed.body).await.status(), 201);
    drop_box.running.shutdown().await.unwrap();

    let dir = drop_box.db.path().parent().unwrap().to_path_buf();
    let policy_path = dir.join("policy.signed.json");
    std::fs::write(&policy_path, &drop_box.envelope).unwrap();
    let health_key = drop_box.authority.recipient_key_path("health");
    let run = |extra: &[&str], keys: &[&PathBuf]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_selfreport-authority"));
        command.arg("open").arg("--db").arg(drop_box.db.path());
        for key in keys {
            command.arg("--key").arg(key);
        }
        command.arg("--policy").arg(&policy_path).args(extra);
        command.output().unwrap()
    };

    // Only the health key: the identity part stays sealed.
    let output = run(&[], &[&health_key]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let opened: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(opened[0]["submission_id"], id.as_str());
    assert_eq!(opened[0]["recipients"]["health"]["temperature"], true);
    assert!(opened[0]["recipients"].get("identity").is_none());
    assert_eq!(opened[0]["flags"], json!([]));
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(
        summary.contains("opened 1 submission(s), 0 flagged"),
        "{summary}"
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains(NAME_CANARY));

    // Both keys, no case named: identity values are withheld, and the user told where
    // to go instead.
    let identity_key = drop_box.authority.recipient_key_path("identity");
    let output = run(&[], &[&health_key, &identity_key]);
    assert!(output.status.success());
    assert!(!String::from_utf8_lossy(&output.stdout).contains(NAME_CANARY));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("identity value(s) withheld") && stderr.contains("--case PSEUDONYM"),
        "{stderr}"
    );
    // One case: its identity, with a warning pointing to the console.
    let output = run(&["--case", PSEUDONYM], &[&health_key, &identity_key]);
    assert!(output.status.success());
    let opened: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(opened[0]["recipients"]["identity"]["name"], NAME_CANARY);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("warning:") && stderr.contains("selfreport-console"),
        "{stderr}"
    );

    let trust = drop_box
        .authority
        .keys
        .public_key_path
        .to_string_lossy()
        .to_string();
    let output = run(&["--format", "fhir", "--trust", &trust], &[&health_key]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bundle: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");

    // A key of another authority is refused by name, with its own exit status.
    let stranger = common::Authority::new();
    let foreign = stranger.recipient_key_path("health");
    let output = run(&[], &[&foreign]);
    assert_eq!(output.status.code(), Some(3));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.starts_with("error[RecipientKeyNotInPolicy]"),
        "{message}"
    );
    // And a policy signed by another key does not pass --trust.
    let other_trust = stranger.keys.public_key_path.to_string_lossy().to_string();
    let output = run(&["--trust", &other_trust], &[&health_key]);
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("PolicyUnknownKey"));
}
