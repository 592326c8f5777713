//! The authority's delegation tools through the `selfreport-authority` binary: a
//! commission root delegates to a city office, which delegates to a district office,
//! which signs a `/2` policy under that chain; a device that trusts only the root
//! installs it. `check-policy` lists every rule a hostile draft breaks, and nothing
//! widening or outside the chain is ever written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Days, Local};
use selfreport_core::policy::{SignedPolicy, TrustAnchor, TrustAnchors};
use serde_json::{Value, json};

fn authority(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_selfreport-authority"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// Keys for one party in `dir/name/`.
fn keygen(dir: &Path, name: &str) -> PathBuf {
    let keys = dir.join(name);
    ok(authority(&["keygen", "--out", keys.to_str().unwrap()]));
    keys
}

fn today_plus(days: u64) -> String {
    (Local::now().date_naive() + Days::new(days)).to_string()
}

/// The example daily-report policy as a `/2` document of `id`, valid for 60 days.
fn draft(id: &str) -> Value {
    let mut policy: Value =
        serde_json::from_slice(include_bytes!("../../examples/policies/daily-report.json"))
            .unwrap();
    policy["format"] = json!("selfreport.policy/2");
    policy["id"] = json!(id);
    policy["region"] = json!(["310101"]);
    policy["recipients"]["health"]["role"] = json!("health");
    policy["recipients"]["identity"]["role"] = json!("identity");
    policy["valid_from"] = json!(today_plus(0));
    policy["valid_until"] = json!(today_plus(60));
    selfreport_core::policy::declare_minimum_padded_sizes(&mut policy).expect("draft");
    policy
}

struct Offices {
    dir: tempfile::TempDir,
    root: PathBuf,
    city: PathBuf,
    district: PathBuf,
}

/// Root → city office (may delegate once more) → district office.
fn offices() -> Offices {
    let dir = tempfile::tempdir().unwrap();
    let root = keygen(dir.path(), "root");
    let city = keygen(dir.path(), "city");
    let district = keygen(dir.path(), "district");
    let until = today_plus(365);
    ok(authority(&[
        "delegate",
        "--key",
        &path(&root, "signing.key"),
        "--subject",
        &path(&city, "signing.pub"),
        "--namespace",
        "sh-",
        "--purpose",
        "epidemic-control",
        "--purpose",
        "health-monitoring",
        "--region",
        "310000",
        "--endpoint-host",
        ".example.org",
        "--depth",
        "1",
        "--valid-until",
        &until,
        "--name-en",
        "Shanghai CDC",
        "--out",
        &path(dir.path(), "city.delegation.json"),
    ]));
    ok(authority(&[
        "delegate",
        "--key",
        &path(&city, "signing.key"),
        "--parent",
        &path(dir.path(), "city.delegation.json"),
        "--subject",
        &path(&district, "signing.pub"),
        "--namespace",
        "sh-huangpu-",
        "--region",
        "310101",
        "--endpoint-host",
        "report.example.org",
        "--kind",
        "person_name=keep",
        "--kind",
        "phone=keep",
        "--kind",
        "temperature_c=threshold",
        "--kind",
        "multi_choice=keep",
        "--kind",
        "district=generalize:city",
        "--kind",
        "yes_no=keep",
        "--valid-until",
        &until,
        "--name-zh",
        "黄浦区疾病预防控制中心",
        "--out",
        &path(dir.path(), "district.delegation.json"),
    ]));
    Offices {
        dir,
        root,
        city,
        district,
    }
}

#[test]
fn a_district_office_signs_under_its_chain_and_a_device_trusting_the_root_installs_it() {
    let o = offices();
    let draft_path = path(o.dir.path(), "draft.json");
    std::fs::write(
        &draft_path,
        serde_json::to_vec_pretty(&draft("sh-huangpu-daily")).unwrap(),
    )
    .unwrap();
    let chain = [
        path(o.dir.path(), "city.delegation.json"),
        path(o.dir.path(), "district.delegation.json"),
    ];
    let checked = ok(authority(&[
        "check-policy",
        &draft_path,
        "--chain",
        &chain[0],
        "--chain",
        &chain[1],
        "--root",
        &path(&o.root, "signing.pub"),
    ]));
    assert!(checked.contains("a device would accept it"), "{checked}");
    let signed_path = path(o.dir.path(), "signed.json");
    ok(authority(&[
        "sign-policy",
        "--key",
        &path(&o.district, "signing.key"),
        "--in",
        &draft_path,
        "--chain",
        &chain[0],
        "--chain",
        &chain[1],
        "--root",
        &path(&o.root, "signing.pub"),
        "--out",
        &signed_path,
    ]));
    let root_pub = std::fs::read_to_string(path(&o.root, "signing.pub")).unwrap();
    let anchors: TrustAnchors = TrustAnchor::from_public_key_base64(&root_pub)
        .unwrap()
        .into();
    let verified = SignedPolicy::parse(&std::fs::read(&signed_path).unwrap())
        .unwrap()
        .verify(&anchors, Local::now().date_naive())
        .unwrap();
    assert_eq!(verified.namespace(), Some("sh-huangpu-"));
    assert_eq!(
        verified.root_key_id(),
        TrustAnchor::from_public_key_base64(&root_pub)
            .unwrap()
            .key_id()
    );
}

#[test]
fn nothing_wider_than_its_parent_or_outside_the_chain_is_written() {
    let o = offices();
    // The district office tries to delegate further (its depth is 0), and the city office
    // tries to grant a region outside its own.
    let out = path(o.dir.path(), "refused.json");
    let deeper = authority(&[
        "delegate",
        "--key",
        &path(&o.district, "signing.key"),
        "--parent",
        &path(o.dir.path(), "district.delegation.json"),
        "--subject",
        &path(&o.city, "signing.pub"),
        "--namespace",
        "sh-huangpu-",
        "--region",
        "310101",
        "--endpoint-host",
        "report.example.org",
        "--valid-until",
        &today_plus(30),
        "--out",
        &out,
    ]);
    assert_eq!(deeper.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&deeper.stderr).contains("error[PolicyDelegationWidens]"));
    let wider_region = authority(&[
        "delegate",
        "--key",
        &path(&o.city, "signing.key"),
        "--parent",
        &path(o.dir.path(), "city.delegation.json"),
        "--subject",
        &path(&o.district, "signing.pub"),
        "--namespace",
        "sh-huangpu-",
        "--region",
        "420100",
        "--endpoint-host",
        "report.example.org",
        "--valid-until",
        &today_plus(30),
        "--out",
        &out,
    ]);
    assert_eq!(wider_region.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wider_region.stderr).contains("regions"));
    assert!(!Path::new(&out).exists());

    // A policy outside the district's namespace is not signed.
    let draft_path = path(o.dir.path(), "draft.json");
    std::fs::write(&draft_path, serde_json::to_vec(&draft("sh-daily")).unwrap()).unwrap();
    let refused = authority(&[
        "sign-policy",
        "--key",
        &path(&o.district, "signing.key"),
        "--in",
        &draft_path,
        "--chain",
        &path(o.dir.path(), "city.delegation.json"),
        "--chain",
        &path(o.dir.path(), "district.delegation.json"),
        "--out",
        &out,
    ]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("error[PolicyOutsideDelegation]"));
    assert!(!Path::new(&out).exists());
}

#[test]
fn check_policy_lists_every_rule_a_hostile_draft_breaks() {
    let o = offices();
    let mut hostile = draft("sh-huangpu-daily");
    hostile["purpose"]["code"] = json!("marketing");
    hostile["retention"] = json!({"device_days": 3650, "server_days": 3650});
    let fields = hostile["forms"][0]["fields"].as_array_mut().unwrap();
    fields.push(json!({"id": "home_address", "kind": "text", "max_len": 200, "upload": "keep", "to": "identity"}));
    fields.push(json!({"id": "hometown", "kind": "district", "upload": "keep", "to": "health"}));
    // Sizes that hold the new fields: the rules this test is about are the others.
    selfreport_core::policy::declare_minimum_padded_sizes(&mut hostile).unwrap();
    let draft_path = path(o.dir.path(), "hostile.json");
    std::fs::write(&draft_path, serde_json::to_vec(&hostile).unwrap()).unwrap();
    let output = authority(&[
        "check-policy",
        &draft_path,
        "--chain",
        &path(o.dir.path(), "city.delegation.json"),
        "--chain",
        &path(o.dir.path(), "district.delegation.json"),
    ]);
    assert_eq!(output.status.code(), Some(3));
    let stdout = String::from_utf8(output.stdout).unwrap();
    for code in [
        "PolicyOutsideDelegation",
        "PolicyPurposeNotAllowed",
        "PolicyRetentionAboveLimit",
        "PolicyFreeTextUploaded",
    ] {
        assert!(
            stdout.contains(&format!("[{code}]")),
            "{code} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("hometown"), "{stdout}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("error[PolicyRefused]"));
    // Without a chain, a root signing it directly is refused by the guardrails too.
    let refused = authority(&[
        "sign-policy",
        "--key",
        &path(&o.root, "signing.key"),
        "--in",
        &draft_path,
        "--out",
        &path(o.dir.path(), "never.json"),
    ]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("error[PolicyPurposeNotAllowed]"));
}

/// A `/2` draft without padded sizes: `check-policy` names the minimum for each form and
/// recipient, `sign-policy` refuses it as a device would; with sizes below the minimum
/// or off the block, the same; at the minimum, it signs.
#[test]
fn check_policy_gives_the_minimum_padded_sizes_and_sign_policy_refuses_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = keygen(dir.path(), "root");
    let mut document = draft("sh-daily");
    let minimum = document["forms"][0]["padded_bytes"].clone();
    let health = minimum["health"].as_u64().unwrap();
    let identity = minimum["identity"].as_u64().unwrap();
    document["forms"][0]
        .as_object_mut()
        .unwrap()
        .remove("padded_bytes");
    let draft_path = path(dir.path(), "draft.json");
    std::fs::write(&draft_path, serde_json::to_vec(&document).unwrap()).unwrap();

    let checked = authority(&["check-policy", &draft_path]);
    assert_eq!(checked.status.code(), Some(3));
    let stdout = String::from_utf8(checked.stdout).unwrap();
    for (recipient, size) in [("health", health), ("identity", identity)] {
        assert!(
            stdout.contains(&format!(
                "[PolicyPaddedSizeMissing] form `daily`, recipient `{recipient}`: no padded size is declared; declare at least {size} bytes"
            )),
            "{stdout}"
        );
    }
    let sign = |draft_path: &str| {
        authority(&[
            "sign-policy",
            "--key",
            &path(&root, "signing.key"),
            "--in",
            draft_path,
            "--out",
            &path(dir.path(), "signed.json"),
        ])
    };
    let refused = sign(&draft_path);
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("error[PolicyPaddedSizeMissing]"));

    document["forms"][0]["padded_bytes"] =
        json!({"health": health - 512, "identity": identity + 1});
    std::fs::write(&draft_path, serde_json::to_vec(&document).unwrap()).unwrap();
    let stdout = String::from_utf8(authority(&["check-policy", &draft_path]).stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "[PolicyPaddedSizeBelowMinimum] form `daily`, recipient `health`: {} bytes is below the minimum of {health} bytes",
            health - 512
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("[PolicyPaddedSizeNotBlockMultiple]"),
        "{stdout}"
    );
    assert_eq!(sign(&draft_path).status.code(), Some(3));
    assert!(!dir.path().join("signed.json").exists());

    document["forms"][0]["padded_bytes"] = minimum;
    std::fs::write(&draft_path, serde_json::to_vec(&document).unwrap()).unwrap();
    ok(sign(&draft_path));
}
