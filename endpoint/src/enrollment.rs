//! `selfreport-authority enroll`: a collector's signed enrollment order
//! (`selfreport.enrollment/1`, issue 14). The order names no person; it carries a fresh
//! random secret, so the file is written readable by its owner only and never replaced.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use selfreport_core::policy::enrollment::{ENROLLMENT_FORMAT, sign_enrollment};

use crate::authority::refuse_same_file;
use crate::error::{AuthorityError, Result};
use crate::keyfile::{read_signing_key, write_new_file};
use crate::order_qr::OrderQr;

/// Bytes of an order's random secret: 128 bits.
const SECRET_BYTES: usize = 16;

/// What an order says.
#[derive(Debug, Clone)]
pub struct EnrollmentRequest {
    /// The policy it enrolls under.
    pub policy_id: String,
    /// The county-level district the person is monitored in.
    pub district: String,
    /// First day of monitoring.
    pub start: NaiveDate,
    /// Days of monitoring.
    pub days: u32,
    /// `arrival`, `close_contact` or `secondary_contact`.
    pub reason: String,
    /// Each form the order allows, with how many submissions a day.
    pub forms: Vec<(String, u32)>,
    /// For an order confirming a pre-registration in person: its pseudonym, which binds
    /// the order to the device that filed it (`confirm-arrival`).
    pub pseudonym: Option<String>,
    /// When it is issued (default: now). A checkpoint stamps the moment it confirmed.
    pub issued_at: Option<chrono::DateTime<Utc>>,
}

/// What `enroll_file` wrote.
#[derive(Debug)]
pub struct EnrollmentOutput {
    /// The id of the key that signed the order.
    pub signer_key_id: String,
    /// The file written.
    pub out_path: PathBuf,
    /// The same order as a QR code: a PNG and an SVG beside it.
    pub qr_paths: [PathBuf; 2],
}

impl EnrollmentOutput {
    /// The line `selfreport-authority enroll` prints.
    pub fn describe(&self, request: &EnrollmentRequest) -> String {
        format!(
            "key {} signed an enrollment order under `{}` for district {} into {}, and as a QR code into {} and {} (mode 0600: they hold the order's secret)",
            self.signer_key_id,
            request.policy_id,
            request.district,
            self.out_path.display(),
            self.qr_paths[0].display(),
            self.qr_paths[1].display()
        )
    }
}

/// Signs an order for `request` with the key in `key_path` (the key that signed the
/// policy: a root's, or the collector's at the end of the policy's chain) and writes it
/// to `out_path`, and as a QR code beside it (`out_path` with the extensions `png` and
/// `svg`), all mode 0600, refusing to replace any file: all three are written or none. The
/// order is checked as a device reads it; whether it lies within the policy is checked by
/// the device at `enroll`.
pub fn enroll_file(
    key_path: &Path,
    request: &EnrollmentRequest,
    out_path: &Path,
) -> Result<EnrollmentOutput> {
    refuse_same_file(out_path, key_path, "signing key")?;
    let qr_paths = [
        out_path.with_extension("png"),
        out_path.with_extension("svg"),
    ];
    for path in std::iter::once(out_path).chain(qr_paths.iter().map(PathBuf::as_path)) {
        if path.exists() {
            return Err(AuthorityError::KeyFileExists {
                path: path.to_path_buf(),
            });
        }
    }
    let key = read_signing_key(key_path)?;
    let secret = Zeroizing::new(
        selfreport_core::crypto::random_array::<SECRET_BYTES>()
            .map_err(|_| AuthorityError::Random)?,
    );
    let mut forms = Map::new();
    for (form, per_day) in &request.forms {
        forms.insert(form.clone(), json!({ "per_day": per_day }));
    }
    let mut document = json!({
        "format": ENROLLMENT_FORMAT,
        "policy_id": request.policy_id,
        "monitoring": {"start": request.start.to_string(), "days": request.days},
        "reason": request.reason,
        "district": request.district,
        "forms": Value::Object(forms),
        "secret": URL_SAFE_NO_PAD.encode(secret.as_slice()),
        "issued_at": request
            .issued_at
            .unwrap_or_else(Utc::now)
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    if let Some(pseudonym) = &request.pseudonym {
        document["pseudonym"] = Value::String(pseudonym.clone());
    }
    // A JSON value always serializes; an empty payload would be refused just below.
    let payload = Zeroizing::new(serde_json::to_vec(&document).unwrap_or_default());
    let envelope = sign_enrollment(&key, &payload)?;
    let qr = OrderQr::encode(&envelope)?;
    let png = qr.to_png()?;
    let svg = qr.to_svg();
    let files: [(&Path, &[u8]); 3] = [
        (out_path, &envelope),
        (&qr_paths[0], &png),
        (&qr_paths[1], svg.as_bytes()),
    ];
    for (written, (path, contents)) in files.iter().enumerate() {
        if let Err(error) = write_new_file(path, contents, 0o600) {
            for (earlier, _) in &files[..written] {
                let _ = std::fs::remove_file(earlier);
            }
            return Err(error);
        }
    }
    Ok(EnrollmentOutput {
        signer_key_id: key.key_id().to_owned(),
        out_path: out_path.to_path_buf(),
        qr_paths,
    })
}

/// `FORM=N` pairs of `--form` (`daily=1`).
pub fn form_allowances(forms: &[String]) -> Result<Vec<(String, u32)>> {
    forms
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .and_then(|(form, per_day)| Some((form.to_owned(), per_day.parse().ok()?)))
                .ok_or_else(|| {
                    selfreport_core::policy::PolicyError::BadEnrollment {
                        detail: format!("--form `{pair}` is not FORM=N (submissions a day)"),
                    }
                    .into()
                })
        })
        .collect()
}
