//! `selfreport-authority confirm-arrival`: its arguments and what it does with them.

use std::path::PathBuf;

use selfreport_endpoint::AuthorityError;
use selfreport_endpoint::checkpoint::{ArrivalCheck, confirm_arrival as confirm};
use selfreport_endpoint::policy_file::PolicyFile;

/// Largest pass file read (a pass is about 300 bytes).
const MAX_PASS_FILE_BYTES: u64 = 4096;

/// Verify an arrival pass and issue an order bound to the pre-registration it proves.
#[derive(Debug, clap::Args)]
pub struct ConfirmArrivalArgs {
    /// The pass as scanned: its text (starting with `{`), or a file holding it.
    #[arg(value_name = "PASS")]
    pass: String,
    /// The signed policy the traveler pre-registered under.
    #[arg(long, value_name = "SIGNED.json")]
    policy: PathBuf,
    /// The root's public key (signing.pub) the policy is verified with.
    #[arg(long, value_name = "PUB")]
    trust: PathBuf,
    /// The key that signed the policy (the collector's): it signs the order and the
    /// confirmation.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The county-level GB/T 2260 district the person will be monitored in.
    #[arg(long, value_name = "CODE")]
    district: String,
    /// First day of monitoring (default: today).
    #[arg(long, value_name = "DATE")]
    start: Option<chrono::NaiveDate>,
    /// The confirmation register: read to refuse a second confirmation of the same
    /// registration, then appended to (created mode 0600 if missing).
    #[arg(long, value_name = "FILE")]
    confirmations: PathBuf,
    /// Where to write the signed order (refused if it exists); its QR code is written
    /// beside it (.png, .svg) for the traveler's device to scan.
    #[arg(long, value_name = "ORDER.json")]
    out: PathBuf,
}

/// Confirms the arrival; the lines for stdout.
pub fn confirm_arrival(args: ConfirmArrivalArgs) -> Result<Vec<String>, AuthorityError> {
    let pass = if args.pass.trim_start().starts_with('{') {
        args.pass.clone().into_bytes()
    } else {
        let path = PathBuf::from(&args.pass);
        let size = std::fs::metadata(&path)
            .map_err(|source| AuthorityError::Io {
                action: "read",
                path: path.clone(),
                source,
            })?
            .len();
        if size > MAX_PASS_FILE_BYTES {
            return Err(selfreport_core::arrival_pass::ArrivalPassError::Malformed {
                detail: format!("{} is {size} bytes: not a pass", path.display()),
            }
            .into());
        }
        std::fs::read(&path).map_err(|source| AuthorityError::Io {
            action: "read",
            path,
            source,
        })?
    };
    let now = chrono::Utc::now();
    let policy = PolicyFile::read(&args.policy, Some(&args.trust), now.date_naive())?;
    let confirmed = confirm(&ArrivalCheck {
        pass: &pass,
        policy: &policy,
        key_path: &args.key,
        district: args.district,
        start: args
            .start
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        register: &args.confirmations,
        out: &args.out,
        now,
    })?;
    Ok(confirmed.describe())
}
