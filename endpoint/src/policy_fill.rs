//! `selfreport-authority fill-policy`: a policy document from a template (such as
//! `examples/policies/daily-report.json`) with what only this deployment knows filled
//! in: the drop box's URL, the pins of its certificates' keys, the receipt key and each
//! recipient's public key, read from the files `keygen` and `tls-cert` wrote. Nobody has
//! to copy a key into JSON by hand.
//!
//! The result is checked as a device checks it before anything is written (a draft:
//! dates and signature aside), so a template that cannot become a valid policy is refused
//! here with the device's own error.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::authority::{read_policy_document, replace_file};
use crate::development_pki::certificate_pin;
use crate::error::{AuthorityError, Result};
use crate::keyfile::recipient_public_key_file;

/// Largest public key file read; a valid one is 45 bytes.
const MAX_PUBLIC_KEY_FILE_BYTES: usize = 1024;

/// What goes into the template.
#[derive(Debug, Clone)]
pub struct PolicyFill {
    /// The template (a policy document whose keys and endpoint are placeholders).
    pub template: PathBuf,
    /// The directory `keygen` wrote (`receipt.pub`, `recipient-NAME.pub`).
    pub keys: PathBuf,
    /// The drop box's base URL (`https://HOST[:PORT]/v1`).
    pub url: String,
    /// The drop box's certificates (PEM, leaf first): each one's key is pinned. Two during
    /// a key rotation.
    pub certificates: Vec<PathBuf>,
}

/// Fills the template and writes the policy document to `out` (replaced if it exists);
/// returns the pins it wrote.
pub fn fill_policy_file(fill: &PolicyFill, out: &Path) -> Result<Vec<String>> {
    if out == fill.template {
        return Err(AuthorityError::OutputIsInput {
            path: out.to_path_buf(),
            what: "template",
        });
    }
    let (document, pins) = filled_policy(fill)?;
    replace_file(out, document.as_bytes())?;
    Ok(pins)
}

/// The filled policy document (pretty JSON and a newline), and the pins in it.
pub fn filled_policy(fill: &PolicyFill) -> Result<(String, Vec<String>)> {
    let template_error = |detail: &str| AuthorityError::TemplateMalformed {
        path: fill.template.clone(),
        detail: detail.to_owned(),
    };
    let bytes = read_policy_document(&fill.template)?;
    let mut policy: Value =
        serde_json::from_slice(&bytes).map_err(|error| template_error(&error.to_string()))?;
    let pins = fill
        .certificates
        .iter()
        .map(|path| certificate_pin(path))
        .collect::<Result<Vec<String>>>()?;
    if pins.is_empty() {
        return Err(template_error("no certificate given to pin (--cert FILE)"));
    }
    let receipt_key = read_public_key(&fill.keys.join("receipt.pub"))?;
    let endpoint = policy
        .get_mut("endpoint")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| template_error("it has no `endpoint` object"))?;
    endpoint.insert("url".into(), fill.url.clone().into());
    endpoint.insert("spki_sha256".into(), pins.clone().into());
    endpoint.insert("receipt_key".into(), receipt_key.into());
    let recipients = policy
        .get_mut("recipients")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| template_error("it has no `recipients` object"))?;
    for (name, recipient) in recipients.iter_mut() {
        let recipient = recipient
            .as_object_mut()
            .ok_or_else(|| template_error(&format!("recipient `{name}` is not an object")))?;
        let key = read_public_key(&fill.keys.join(recipient_public_key_file(name)))?;
        recipient.insert("public_key".into(), key.into());
    }
    let mut document = serde_json::to_string_pretty(&policy)
        .map_err(|error| template_error(&error.to_string()))?;
    document.push('\n');
    // Refused here as a device would refuse it, rather than at signing or install.
    selfreport_core::policy::parse_policy_draft(document.as_bytes())?;
    Ok((document, pins))
}

/// A public key file `keygen` wrote: the standard base64 of 32 bytes on one line.
fn read_public_key(path: &Path) -> Result<String> {
    let malformed = || AuthorityError::PublicKeyMalformed {
        path: path.to_path_buf(),
    };
    let bytes = std::fs::read(path).map_err(AuthorityError::io("read", path))?;
    if bytes.len() > MAX_PUBLIC_KEY_FILE_BYTES {
        return Err(malformed());
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed())?.trim();
    match STANDARD.decode(text) {
        Ok(key) if key.len() == 32 => Ok(text.to_owned()),
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::keygen_with_recipients;
    use crate::development_pki::DevelopmentPki;

    const TEMPLATE: &str = include_str!("../../examples/policies/daily-report.json");

    fn setup() -> (tempfile::TempDir, PolicyFill, DevelopmentPki) {
        let dir = tempfile::tempdir().unwrap();
        keygen_with_recipients::<&str>(&dir.path().join("authority"), &[]).unwrap();
        let pki = DevelopmentPki::new("test CA", &["127.0.0.1".to_owned()]).unwrap();
        let files = pki.write(&dir.path().join("tls")).unwrap();
        std::fs::write(dir.path().join("template.json"), TEMPLATE).unwrap();
        let fill = PolicyFill {
            template: dir.path().join("template.json"),
            keys: dir.path().join("authority"),
            url: "https://127.0.0.1:8443/v1".to_owned(),
            certificates: vec![files.cert],
        };
        (dir, fill, pki)
    }

    #[test]
    fn every_deployment_value_comes_from_its_file() {
        let (dir, fill, pki) = setup();
        let out = dir.path().join("daily.json");
        let pins = fill_policy_file(&fill, &out).unwrap();
        assert_eq!(pins, vec![pki.spki_pin.clone()]);
        let policy: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let key = |file: &str| {
            std::fs::read_to_string(fill.keys.join(file))
                .unwrap()
                .trim()
                .to_owned()
        };
        assert_eq!(policy["endpoint"]["url"], "https://127.0.0.1:8443/v1");
        assert_eq!(
            policy["endpoint"]["spki_sha256"],
            serde_json::json!([pki.spki_pin])
        );
        assert_eq!(policy["endpoint"]["receipt_key"], key("receipt.pub"));
        for name in ["health", "identity"] {
            assert_eq!(
                policy["recipients"][name]["public_key"],
                key(&format!("recipient-{name}.pub"))
            );
        }
        // Everything else is the template's.
        let template: Value = serde_json::from_str(TEMPLATE).unwrap();
        assert_eq!(policy["forms"], template["forms"]);
        assert_eq!(policy["id"], template["id"]);
    }

    #[test]
    fn missing_or_wrong_inputs_are_refused_with_their_code() {
        let (dir, fill, _) = setup();
        let out = dir.path().join("daily.json");
        let mut no_cert = fill.clone();
        no_cert.certificates.clear();
        assert_eq!(
            fill_policy_file(&no_cert, &out).unwrap_err().code(),
            "TemplateMalformed"
        );
        let mut plain_http = fill.clone();
        plain_http.url = "http://report.example.org/v1".to_owned();
        assert!(
            fill_policy_file(&plain_http, &out)
                .unwrap_err()
                .code()
                .starts_with("Policy")
        );
        let mut elsewhere = fill.clone();
        elsewhere.keys = dir.path().join("tls");
        assert_eq!(fill_policy_file(&elsewhere, &out).unwrap_err().code(), "Io");
        std::fs::write(fill.keys.join("receipt.pub"), "not a key\n").unwrap();
        assert_eq!(
            fill_policy_file(&fill, &out).unwrap_err().code(),
            "PublicKeyMalformed"
        );
        assert_eq!(
            fill_policy_file(&fill, &fill.template).unwrap_err().code(),
            "OutputIsInput"
        );
        assert!(!out.exists(), "nothing is written on a refusal");
    }
}
