//! `selfreport-authority enroll --register`: registers a fresh typed enrollment code for
//! a signed order at the drop box of the order's policy (docs/protocol.md, "Typed
//! enrollment codes"), for a person whose phone cannot scan the order's QR code.
//!
//! The drop box is reached as a device reaches it: core's pinned transport, with the
//! policy's endpoint URL and SPKI pins, plus the CA certificates given with
//! `--dropbox-ca` for a test or private CA. Only the code's SHA-256 is sent; the code
//! itself is returned to be shown once, and never written anywhere.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use selfreport_core::enrollment_code::EnrollmentCode;
use selfreport_core::policy::PolicyDocument;
use selfreport_core::sync::transport::{Transport, TransportConfig};
use selfreport_core::sync::wire::ErrorReply;
use serde::Deserialize;

use crate::error::{AuthorityError, Result};

/// Largest CA file read.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// A code the drop box registered.
#[derive(Debug)]
pub struct RegisteredCode {
    /// The code, to be shown to the person once (grouped: [`EnrollmentCode::grouped`]).
    pub code: EnrollmentCode,
    /// The first day (UTC) the drop box no longer gives the order out for it.
    pub expires: String,
}

/// The drop box's reply to a registration.
#[derive(Deserialize)]
struct Registered {
    expires: String,
}

/// Makes a code and registers it for `signed_order` at the drop box of `policy`, trusting
/// the WebPKI roots and the certificates in `ca_files` besides, and the policy's pins.
pub fn register_code(
    policy: &PolicyDocument,
    signed_order: &[u8],
    ca_files: &[PathBuf],
) -> Result<RegisteredCode> {
    let mut extra_roots = Vec::new();
    for path in ca_files {
        extra_roots.extend(read_certificates(path)?);
    }
    let code = EnrollmentCode::generate().map_err(|_| AuthorityError::Random)?;
    let config = TransportConfig {
        extra_roots,
        ..TransportConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| AuthorityError::CodeNotRegistered {
            detail: format!("cannot start the HTTPS client: {error}"),
        })?;
    let reply = runtime.block_on(async {
        let transport = Transport::for_endpoint(&policy.endpoint, &config)?;
        transport
            .register_enrollment_code(&code.lookup_hash(), signed_order.to_vec())
            .await
    })?;
    match reply.status {
        200 | 201 => {
            let registered: Registered = serde_json::from_slice(&reply.body).map_err(|_| {
                AuthorityError::CodeNotRegistered {
                    detail: "the drop box's reply could not be read".to_owned(),
                }
            })?;
            Ok(RegisteredCode {
                code,
                expires: registered.expires.chars().take(32).collect(),
            })
        }
        status => {
            let reason = serde_json::from_slice::<ErrorReply>(&reply.body).map_or_else(
                |_| String::new(),
                |reply| {
                    format!(
                        ": {} ({})",
                        reply.error.message.chars().take(200).collect::<String>(),
                        reply.error.code.chars().take(40).collect::<String>()
                    )
                },
            );
            Err(AuthorityError::CodeNotRegistered {
                detail: format!("the drop box answered {status}{reason}"),
            })
        }
    }
}

/// Every PEM certificate in the file at `path`, as DER.
fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>> {
    let file = std::fs::File::open(path).map_err(AuthorityError::io("read", path))?;
    let mut pem = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(AuthorityError::io("read", path))?;
    let malformed = || AuthorityError::CertificateMalformed {
        path: path.to_path_buf(),
    };
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(malformed());
    }
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .map(|certificate| certificate.map(|der| der.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| malformed())?;
    if certificates.is_empty() {
        return Err(malformed());
    }
    Ok(certificates)
}
