//! `selfreport-fixture --out DIR`: everything a binding test (Kotlin, Python) needs to run
//! the whole flow against a real drop box on loopback, made fresh at test time.
//!
//! It writes into `DIR` the authority's keys (`selfreport-authority keygen`), a test PKI
//! whose leaf certificate is for 127.0.0.1, the daily-report policy pointed at
//! `https://127.0.0.1:PORT/v1` with that leaf's key pinned, signed by the trusted key, the
//! same policy signed by an untrusted key (to prove refusals), a version 2 that lets more
//! leave (to prove consent is asked again), the root's revocation list revoking the
//! signed version (to prove it stops everything), a `selfreport.policy/2` whose daily form
//! needs an enrollment order with an order for it and one signed by the untrusted key
//! (issue 14), and `fixture.json`
//! describing it all, including the exact `selfreport-endpoint serve` command line. The
//! test starts that command itself, so the drop box lives exactly as long as the test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use selfreport_tests::pki::TestPki;
use selfreport_tests::{DAILY_REPORT_POLICY, binary, current_policy, enrollment_policy};
use serde_json::json;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let out = match (args.next().as_deref(), args.next(), args.next()) {
        (Some("--out"), Some(dir), None) => PathBuf::from(dir),
        _ => {
            eprintln!("usage: selfreport-fixture --out DIR");
            return ExitCode::from(2);
        }
    };
    match make(&out) {
        Ok(description) => {
            println!("{}", description.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn make(out: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(out).map_err(|error| format!("{}: {error}", out.display()))?;
    let authority = out.join("authority");
    let untrusted = out.join("untrusted");
    for dir in [&authority, &untrusted] {
        authority_tool(&["keygen", "--out", &text(dir)])?;
    }

    let pki = TestPki::new();
    let tls = pki.write(&out.join("tls"));
    let ca_der = out.join("tls").join("ca.der");
    write(&ca_der, &pki.ca_der)?;

    // The drop box's port goes into the signed policy, so it is chosen before the drop box
    // starts: a port the system just handed out and released.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|error| format!("no free loopback port: {error}"))?
        .port();
    let url = format!("https://127.0.0.1:{port}/v1");

    let mut policy: serde_json::Value = serde_json::from_str(&current_policy(DAILY_REPORT_POLICY))
        .map_err(|error| format!("policy: {error}"))?;
    policy["endpoint"]["url"] = url.clone().into();
    policy["endpoint"]["spki_sha256"] = json!([pki.spki_pin]);
    policy["endpoint"]["receipt_key"] = read_key(&authority.join("receipt.pub"))?.into();
    for recipient in ["health", "identity"] {
        policy["recipients"][recipient]["public_key"] =
            read_key(&authority.join(format!("recipient-{recipient}.pub")))?.into();
    }
    let policy_json = out.join("policy.json");
    let text_policy =
        serde_json::to_string_pretty(&policy).map_err(|error| format!("policy: {error}"))?;
    write(&policy_json, text_policy.as_bytes())?;

    let signed = out.join("policy.signed.json");
    let refused = out.join("policy.untrusted.json");
    for (dir, path) in [(&authority, &signed), (&untrusted, &refused)] {
        authority_tool(&[
            "sign-policy",
            "--key",
            &text(&dir.join("signing.key")),
            "--in",
            &text(&policy_json),
            "--out",
            &text(path),
        ])?;
    }

    // Version 2 of the same policy by the same authority, letting more leave: the
    // temperature as typed instead of "at or above 37.3". Installing it must not carry
    // consent over (issue 13).
    let mut wider = policy.clone();
    wider["version"] = (policy["version"].as_u64().unwrap_or(1) + 1).into();
    let temperature = wider["forms"][0]["fields"]
        .as_array_mut()
        .and_then(|fields| fields.iter_mut().find(|field| field["id"] == "temperature"))
        .ok_or("the daily-report policy has no temperature field")?;
    temperature["upload"] = "keep".into();
    let wider_json = out.join("policy.v2-wider.json");
    let text_wider =
        serde_json::to_string_pretty(&wider).map_err(|error| format!("policy: {error}"))?;
    write(&wider_json, text_wider.as_bytes())?;
    let wider_signed = out.join("policy.v2-wider.signed.json");
    authority_tool(&[
        "sign-policy",
        "--key",
        &text(&authority.join("signing.key")),
        "--in",
        &text(&wider_json),
        "--out",
        &text(&wider_signed),
    ])?;

    // The root's revocation list revoking the version `signed_policy` is (issue 13):
    // installing it stops everything sent under that version.
    let revocations = out.join("revocations.json");
    authority_tool(&[
        "revoke",
        "--key",
        &text(&authority.join("signing.key")),
        "--policy",
        &format!(
            "{}@{}",
            policy["id"].as_str().unwrap_or_default(),
            policy["version"].as_u64().unwrap_or(1)
        ),
        "--reason",
        "superseded",
        "--out",
        &text(&revocations),
    ])?;

    // Issue 14: a policy whose daily form only enrolled people file, and orders for it.
    let enrollment_json = out.join("enrollment-policy.json");
    write(&enrollment_json, enrollment_policy().as_bytes())?;
    let enrollment_signed = out.join("enrollment-policy.signed.json");
    authority_tool(&[
        "sign-policy",
        "--key",
        &text(&authority.join("signing.key")),
        "--in",
        &text(&enrollment_json),
        "--out",
        &text(&enrollment_signed),
    ])?;
    let mut orders = Vec::new();
    for (dir, name) in [
        (&authority, "order.json"),
        (&untrusted, "order.untrusted.json"),
    ] {
        let path = out.join(name);
        authority_tool(&[
            "enroll",
            "--key",
            &text(&dir.join("signing.key")),
            "--policy",
            "sh-arrivals",
            "--district",
            "310101",
            "--reason",
            "close_contact",
            "--form",
            "daily=1",
            "--out",
            &text(&path),
        ])?;
        orders.push(text(&path));
    }

    let description = json!({
        "trust_anchor": read_key(&authority.join("signing.pub"))?,
        "ca_der": text(&ca_der),
        "signed_policy": text(&signed),
        "untrusted_policy": text(&refused),
        "wider_policy_v2": text(&wider_signed),
        "revocations": text(&revocations),
        "enrollment_policy": text(&enrollment_signed),
        "enrollment_order": orders[0],
        "untrusted_enrollment_order": orders[1],
        "policy_id": policy["id"],
        "form_id": "daily",
        "endpoint_url": url,
        "dropbox_db": text(&out.join("dropbox.db")),
        "endpoint_command": [
            text(&binary("selfreport-endpoint")),
            "serve",
            "--listen", format!("127.0.0.1:{port}"),
            "--db", text(&out.join("dropbox.db")),
            "--tls-cert", text(&tls.cert),
            "--tls-key", text(&tls.key),
            "--receipt-key", text(&authority.join("receipt.key")),
            "--policy", text(&signed),
        ],
        "answers": {
            "temperature": "37.6",
            "symptoms": "cough,fatigue",
            "district": "310104",
            "contact_with_case": "no",
            "notes": "canary-note-7f3a9c",
        },
    });
    let path = out.join("fixture.json");
    let bytes = serde_json::to_vec_pretty(&description)
        .map_err(|error| format!("fixture.json: {error}"))?;
    write(&path, &bytes)?;
    Ok(path)
}

fn authority_tool(args: &[&str]) -> Result<(), String> {
    let program = binary("selfreport-authority");
    let output = Command::new(&program)
        .args(args)
        .output()
        .map_err(|error| format!("{}: {error}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "selfreport-authority {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn read_key(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|key| key.trim().to_owned())
        .map_err(|error| format!("{}: {error}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|error| format!("{}: {error}", path.display()))
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
