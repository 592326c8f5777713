//! `selfreport-authority padded-sizes`: the sizes devices pad each form's parts to, as
//! JSON, for a `/1` policy (computed) and a `/2` one (declared) — what a third party needs
//! to open or seal parts without reproducing the core's computation.

use std::process::Command;

use selfreport_core::minimize::padded_size;
use selfreport_core::policy::{declare_minimum_padded_sizes, parse_policy_document};
use serde_json::{Value, json};

const DAILY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/policies/daily-report.json"
);

fn padded_sizes(path: &std::path::Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_selfreport-authority"))
        .args(["padded-sizes", "--policy", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_v1_policy_gets_the_sizes_devices_compute() {
    let bytes = std::fs::read(DAILY).unwrap();
    let document = parse_policy_document(&bytes).unwrap();
    let printed = padded_sizes(std::path::Path::new(DAILY));
    let mut expected = serde_json::Map::new();
    for form in &document.forms {
        let mut sizes = serde_json::Map::new();
        for field in form.fields.iter().filter(|field| field.upload.uploads()) {
            let recipient = field.to.clone().unwrap();
            let size = padded_size(&document, &form.id, &recipient).unwrap();
            sizes.insert(recipient, json!(size));
        }
        expected.insert(form.id.clone(), Value::Object(sizes));
    }
    assert_eq!(printed, Value::Object(expected));
    assert!(printed["daily"]["health"].as_u64().unwrap() > 0);
}

#[test]
fn a_v2_policy_gets_the_sizes_it_declares() {
    let mut policy: Value = serde_json::from_slice(&std::fs::read(DAILY).unwrap()).unwrap();
    policy["format"] = json!("selfreport.policy/2");
    policy["region"] = json!(["310000"]);
    policy["recipients"]["health"]["role"] = json!("health");
    policy["recipients"]["identity"]["role"] = json!("identity");
    declare_minimum_padded_sizes(&mut policy).unwrap();
    // Declared above the minimum: the declared size is what devices pad to.
    let block = policy["padding"]["block_bytes"].as_u64().unwrap();
    let health = policy["forms"][0]["padded_bytes"]["health"]
        .as_u64()
        .unwrap()
        + 2 * block;
    policy["forms"][0]["padded_bytes"]["health"] = json!(health);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&policy).unwrap()).unwrap();
    let printed = padded_sizes(&path);
    assert_eq!(printed["daily"]["health"], json!(health));
    assert_eq!(printed["daily"], policy["forms"][0]["padded_bytes"]);
}
