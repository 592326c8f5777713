//! TLS to the database: rustls on ring's provider (no OpenSSL, no process-wide
//! provider), the server's certificate verified against the WebPKI roots and the CA
//! files the operator names.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::crypto::ring;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::super::super::error::DropBoxError;
use super::super::super::tls::{read_pem, tls_error};

/// The connector for a PostgreSQL database: WebPKI roots plus every certificate in
/// `ca_files` (the drop box's, and the case console's, which reads the same database).
pub fn connector(ca_files: &[PathBuf]) -> Result<MakeRustlsConnect, DropBoxError> {
    Ok(MakeRustlsConnect::new(client_config(ca_files)?))
}

/// A TLS client configuration on ring's provider trusting the WebPKI roots and every
/// certificate in `ca_files`: the database's, and the drop box's for the case console,
/// which posts access notices to it.
pub fn client_config(ca_files: &[PathBuf]) -> Result<ClientConfig, DropBoxError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for path in ca_files {
        let pem = read_pem(path)?;
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| tls_error("the CA file is not PEM certificates"))?;
        if certificates.is_empty() {
            return Err(tls_error("the CA file holds no certificate"));
        }
        for certificate in certificates {
            roots
                .add(certificate)
                .map_err(|error| tls_error(&format!("a CA certificate: {error}")))?;
        }
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| tls_error(&error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
