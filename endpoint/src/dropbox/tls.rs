//! The drop box's TLS configuration: rustls on ring's provider, built explicitly (no
//! process-wide provider is installed), TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1 by ALPN.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::ring;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::DropBoxError;
use crate::error::AuthorityError;

/// Largest certificate chain or key file read.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// A server configuration for the certificate chain (leaf first) and private key in the
/// PEM files `cert_path` and `key_path`.
pub fn server_config_from_pem_files(
    cert_path: &Path,
    key_path: &Path,
) -> Result<Arc<ServerConfig>, DropBoxError> {
    let cert_pem = read_pem(cert_path)?;
    let key_pem = zeroize::Zeroizing::new(read_pem(key_path)?);
    server_config_from_pem(&cert_pem, &key_pem)
}

/// A server configuration for a PEM certificate chain (leaf first) and PEM private key
/// (PKCS#8, PKCS#1 or SEC1).
pub fn server_config_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<ServerConfig>, DropBoxError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| tls_error("the certificate file is not PEM certificates"))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|_| tls_error("the key file holds no PEM private key"))?;
    server_config(chain, key)
}

/// A server configuration for a DER certificate chain (leaf first) and private key.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, DropBoxError> {
    if chain.is_empty() {
        return Err(tls_error("the certificate file holds no certificate"));
    }
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| tls_error(&error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| tls_error(&format!("the certificate and key cannot be used: {error}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

pub(crate) fn read_pem(path: &Path) -> Result<Vec<u8>, DropBoxError> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(AuthorityError::io("read", path))?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(AuthorityError::io("read", path))?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(tls_error("a certificate or key file is larger than 1 MiB"));
    }
    Ok(bytes)
}

pub(crate) fn tls_error(detail: &str) -> DropBoxError {
    DropBoxError::Tls {
        detail: detail.to_owned(),
    }
}
