//! What network commands share: the transport configuration (extra development trust
//! roots, timeouts), the retry schedule, and the async runtime they run on.

use std::future::Future;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use selfreport_core::sync::retry::RetryPolicy;
use selfreport_core::sync::transport::TransportConfig;

use crate::args::NetworkArgs;
use crate::failure::{EXIT_OTHER, Failure};
use crate::i18n::tr_with;

/// Largest certificate file read.
const MAX_CERTIFICATE_FILE_BYTES: u64 = 1024 * 1024;

/// The transport configuration: the CA certificates in `extra_roots` (PEM or DER) as
/// extra trust roots, and the timeouts of `network`. Policies' key pins still apply.
pub fn transport_config(
    extra_roots: &[PathBuf],
    network: &NetworkArgs,
) -> Result<TransportConfig, Failure> {
    let mut roots = Vec::new();
    for path in extra_roots {
        roots.extend(read_certificates(path)?);
    }
    Ok(TransportConfig {
        extra_roots: roots,
        connect_timeout: Duration::from_secs(network.connect_timeout.max(1)),
        total_timeout: Duration::from_secs(network.timeout.max(1)),
        ..TransportConfig::default()
    })
}

/// The retry schedule given on the command line.
pub fn retry_policy(base_seconds: u64, cap_seconds: u64) -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_secs(base_seconds),
        cap: Duration::from_secs(cap_seconds.max(base_seconds)),
    }
}

/// The DER certificates in a file: every `CERTIFICATE` block of a PEM file, or the file
/// itself when it is DER. Each must be a certificate rustls accepts as a trust anchor,
/// so a wrong file is refused here rather than failing every request later.
pub fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, Failure> {
    let bytes = read_bounded(path)?;
    let certificates: Vec<Vec<u8>> = if bytes.starts_with(b"-----") || is_text(&bytes) {
        CertificateDer::pem_slice_iter(&bytes)
            .map(|certificate| certificate.map(|der| der.as_ref().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|_| bad_root(path, "not a PEM certificate file"))?
    } else {
        vec![bytes]
    };
    if certificates.is_empty() {
        return Err(bad_root(path, "holds no certificate"));
    }
    for der in &certificates {
        let mut store = rustls::RootCertStore::empty();
        store
            .add(CertificateDer::from(der.as_slice()))
            .map_err(|error| bad_root(path, &format!("not a usable CA certificate ({error})")))?;
    }
    Ok(certificates)
}

fn is_text(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|byte| byte.is_ascii_graphic() || byte.is_ascii_whitespace())
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, Failure> {
    let cannot_read = |error: std::io::Error| {
        Failure::io(
            tr_with("io.cannot_read", &[("path", &path.display())]),
            &error,
        )
    };
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    let mut bytes = Vec::new();
    file.take(MAX_CERTIFICATE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_CERTIFICATE_FILE_BYTES {
        return Err(bad_root(path, "is larger than 1 MiB"));
    }
    Ok(bytes)
}

fn bad_root(path: &Path, what: &str) -> Failure {
    Failure::invalid("ExtraRoot", format!("{}: {what}", path.display()))
}

/// Runs `future` to completion on a runtime of its own (one thread: the CLI sends one
/// request at a time).
pub fn block_on<F: Future>(future: F) -> Result<F::Output, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            Failure::new(
                "Runtime",
                format!("cannot start the async runtime: {error}"),
                EXIT_OTHER,
            )
        })?;
    Ok(runtime.block_on(future))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca() -> rcgen::Certificate {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap()
    }

    #[test]
    fn extra_roots_are_read_from_pem_or_der() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (ca(), ca());
        let pem = dir.path().join("ca.pem");
        std::fs::write(&pem, format!("{}{}", first.pem(), second.pem())).unwrap();
        let der = dir.path().join("ca.der");
        std::fs::write(&der, first.der()).unwrap();
        let network = NetworkArgs {
            timeout: 5,
            connect_timeout: 2,
        };
        let config = transport_config(&[pem, der], &network).unwrap();
        assert_eq!(
            config.extra_roots,
            vec![
                first.der().to_vec(),
                second.der().to_vec(),
                first.der().to_vec()
            ]
        );
        assert_eq!(config.total_timeout, Duration::from_secs(5));
        assert_eq!(config.connect_timeout, Duration::from_secs(2));
    }

    #[test]
    fn a_file_that_is_no_certificate_is_invalid_input() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello\n").unwrap();
        let binary = dir.path().join("junk.der");
        std::fs::write(&binary, [0x30, 0x03, 0x01, 0x02, 0xff]).unwrap();
        for path in [text, binary, dir.path().join("missing.pem")] {
            let failure = read_certificates(&path).unwrap_err();
            assert!(
                matches!(failure.code(), "ExtraRoot" | "Io"),
                "{}",
                failure.line()
            );
        }
        let failure = read_certificates(&dir.path().join("notes.txt")).unwrap_err();
        assert_eq!(failure.exit_code(), crate::failure::EXIT_INVALID_INPUT);
    }
}
