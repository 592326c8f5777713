//! `selfreport-authority enroll`: its arguments and what it does with them.

use std::path::PathBuf;

use selfreport_endpoint::AuthorityError;
use selfreport_endpoint::code_registration::register_code;
use selfreport_endpoint::enrollment::{EnrollmentRequest, enroll_file, form_allowances};
use selfreport_endpoint::policy_file::PolicyFile;

/// Sign an enrollment order: one person (unnamed) to be monitored under a policy.
/// Signed by the key that signed the policy; written mode 0600 (it holds a secret).
#[derive(Debug, clap::Args)]
pub struct EnrollArgs {
    /// The key that signed the policy: a root's signing.key, or the collector's.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The policy the person is enrolled under.
    #[arg(long, value_name = "PID")]
    policy: String,
    /// The county-level GB/T 2260 district the person is monitored in.
    #[arg(long, value_name = "CODE")]
    district: String,
    /// First day of monitoring (default: today).
    #[arg(long, value_name = "DATE")]
    start: Option<chrono::NaiveDate>,
    /// Days of monitoring (at most the policy's monitoring.days).
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// Why: arrival, close_contact or secondary_contact.
    #[arg(long)]
    reason: String,
    /// A form the order allows and how many submissions a day (`daily=1`); repeatable,
    /// at least one.
    #[arg(long = "form", value_name = "FORM=N", required = true)]
    forms: Vec<String>,
    /// Where to write the signed order (refused if it exists).
    #[arg(long, value_name = "ORDER.json")]
    out: PathBuf,
    /// Also register a typed enrollment code for the order at the policy's drop box (for
    /// a phone without a camera) and print it once: the person types it into
    /// `selfreport enroll`. It is never written to a file. Needs --policy-file.
    #[arg(long, requires = "policy_file")]
    register: bool,
    /// The signed policy (its drop box's URL and TLS pins), with --register.
    #[arg(long, value_name = "SIGNED.json")]
    policy_file: Option<PathBuf>,
    /// A PEM CA certificate trusted for the drop box's TLS certificate besides the WebPKI
    /// roots (a test or private CA), with --register; repeatable.
    #[arg(long = "dropbox-ca", value_name = "PEM", requires = "register")]
    dropbox_ca: Vec<PathBuf>,
}

/// Signs the order (and with --register registers a code for it); the lines for stdout.
pub fn enroll(args: EnrollArgs) -> Result<Vec<String>, AuthorityError> {
    let policy = match &args.policy_file {
        Some(path) => {
            let today = chrono::Utc::now().date_naive();
            let policy = PolicyFile::read(path, None, today)?;
            if policy.document().id != args.policy {
                return Err(AuthorityError::CodeNotRegistered {
                    detail: format!(
                        "--policy-file holds policy {}, not {}",
                        policy.document().id,
                        args.policy
                    ),
                });
            }
            Some(policy)
        }
        None => None,
    };
    let request = EnrollmentRequest {
        policy_id: args.policy,
        district: args.district,
        start: args
            .start
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        days: args.days,
        reason: args.reason,
        forms: form_allowances(&args.forms)?,
        pseudonym: None,
        issued_at: None,
    };
    let output = enroll_file(&args.key, &request, &args.out)?;
    let mut lines = vec![output.describe(&request)];
    if let (true, Some(policy)) = (args.register, policy) {
        let order = std::fs::read(&args.out).map_err(|source| AuthorityError::Io {
            action: "read",
            path: args.out.clone(),
            source,
        })?;
        let registered = register_code(policy.document(), &order, &args.dropbox_ca)?;
        lines.push(format!(
            "enrollment code (shown once, give it to the person): {}",
            registered.code.grouped().as_str()
        ));
        lines.push(format!(
            "the drop box gives the order for it once; the code expires at the start of {} (UTC)",
            registered.expires
        ));
    }
    Ok(lines)
}
