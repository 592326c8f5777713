//! A private CA and a drop box certificate it signed, for tests and development
//! (`selfreport-authority tls-cert`), and the pin of a certificate's key
//! (`selfreport-authority pin`).
//!
//! A drop box in production has a certificate from a public CA, which devices trust
//! already; the policy pins its key either way. A development drop box has this one: the
//! device is given the CA with `selfreport --extra-root`, and the policy pins the leaf's
//! key as it would pin a real one.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use selfreport_core::crypto::sha256;
use zeroize::Zeroizing;

use crate::error::{AuthorityError, Result};
use crate::keyfile::{PRIVATE_KEY_MODE, PUBLIC_KEY_MODE, write_new_file};

/// Largest certificate file read.
const MAX_CERTIFICATE_FILE_BYTES: u64 = 1024 * 1024;

/// A private CA and a leaf certificate for the given hosts that it signed (both ECDSA
/// P-256).
pub struct DevelopmentPki {
    /// The CA certificate, DER: the extra trust root devices are given.
    pub ca_der: Vec<u8>,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The leaf certificate, PEM: what the drop box serves.
    pub leaf_pem: String,
    /// The leaf's private key, PEM (PKCS #8).
    pub leaf_key_pem: Zeroizing<String>,
    /// Standard base64 of SHA-256 of the leaf key's SubjectPublicKeyInfo: the policy's pin.
    pub spki_pin: String,
}

/// The files [`DevelopmentPki::write`] made.
#[derive(Debug, Clone)]
pub struct DevelopmentPkiFiles {
    /// `DIR/ca.pem`, for `selfreport --extra-root`.
    pub ca: PathBuf,
    /// `DIR/cert.pem`, for `selfreport-endpoint serve --tls-cert`.
    pub cert: PathBuf,
    /// `DIR/key.pem` (mode 0600), for `--tls-key`.
    pub key: PathBuf,
}

impl DevelopmentPki {
    /// Makes a CA named `ca_name` and a certificate it signs for `hosts` (DNS names or IP
    /// addresses; at least one).
    pub fn new(ca_name: &str, hosts: &[String]) -> Result<Self> {
        if hosts.is_empty() {
            return Err(certificate_error("a certificate needs at least one host"));
        }
        let ca_key = KeyPair::generate().map_err(rcgen_error)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_error)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key).map_err(rcgen_error)?;

        let leaf_key = KeyPair::generate().map_err(rcgen_error)?;
        let mut leaf_params = CertificateParams::new(hosts.to_vec()).map_err(rcgen_error)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "selfreport drop box (development)");
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca, &ca_key)
            .map_err(rcgen_error)?;
        Ok(Self {
            ca_der: ca.der().to_vec(),
            ca_pem: ca.pem(),
            leaf_pem: leaf.pem(),
            leaf_key_pem: Zeroizing::new(leaf_key.serialize_pem()),
            spki_pin: STANDARD.encode(sha256(&leaf_key.public_key_der())),
        })
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` (mode 0600) into `dir` (created if
    /// missing); nothing there is ever overwritten.
    pub fn write(&self, dir: &Path) -> Result<DevelopmentPkiFiles> {
        fs::create_dir_all(dir).map_err(AuthorityError::io("create", dir))?;
        let files = DevelopmentPkiFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        for path in [&files.ca, &files.cert, &files.key] {
            if path.symlink_metadata().is_ok() {
                return Err(AuthorityError::KeyFileExists { path: path.clone() });
            }
        }
        write_new_file(&files.key, self.leaf_key_pem.as_bytes(), PRIVATE_KEY_MODE)?;
        write_new_file(&files.cert, self.leaf_pem.as_bytes(), PUBLIC_KEY_MODE)?;
        write_new_file(&files.ca, self.ca_pem.as_bytes(), PUBLIC_KEY_MODE)?;
        Ok(files)
    }
}

/// The pin of the first certificate in the PEM file at `path` (a drop box's certificate,
/// or its chain with the leaf first): standard base64 of SHA-256 of its
/// SubjectPublicKeyInfo, the form of a policy's `endpoint.spki_sha256`.
pub fn certificate_pin(path: &Path) -> Result<String> {
    let malformed = || AuthorityError::CertificateMalformed {
        path: path.to_path_buf(),
    };
    let file = fs::File::open(path).map_err(AuthorityError::io("read", path))?;
    let mut pem = Vec::new();
    file.take(MAX_CERTIFICATE_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(AuthorityError::io("read", path))?;
    if pem.len() as u64 > MAX_CERTIFICATE_FILE_BYTES {
        return Err(malformed());
    }
    let certificate = CertificateDer::pem_slice_iter(&pem)
        .next()
        .ok_or_else(malformed)?
        .map_err(|_| malformed())?;
    let parsed =
        rustls::server::ParsedCertificate::try_from(&certificate).map_err(|_| malformed())?;
    Ok(STANDARD.encode(sha256(parsed.subject_public_key_info().as_ref())))
}

fn rcgen_error(error: rcgen::Error) -> AuthorityError {
    certificate_error(&error.to_string())
}

fn certificate_error(detail: &str) -> AuthorityError {
    AuthorityError::Certificate {
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_of_the_written_certificate_is_the_leaf_keys() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevelopmentPki::new("test CA", &["127.0.0.1".to_owned()]).unwrap();
        let files = pki.write(&dir.path().join("tls")).unwrap();
        assert_eq!(certificate_pin(&files.cert).unwrap(), pki.spki_pin);
        // The CA's pin is another key's.
        assert_ne!(certificate_pin(&files.ca).unwrap(), pki.spki_pin);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&files.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Nothing is overwritten.
        assert_eq!(
            pki.write(&dir.path().join("tls")).unwrap_err().code(),
            "KeyFileExists"
        );
    }

    #[test]
    fn a_file_without_a_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.pem");
        fs::write(&path, "not a certificate").unwrap();
        assert_eq!(
            certificate_pin(&path).unwrap_err().code(),
            "CertificateMalformed"
        );
        let pki = DevelopmentPki::new("test CA", &["localhost".to_owned()]).unwrap();
        fs::write(&path, pki.leaf_key_pem.as_bytes()).unwrap();
        assert_eq!(
            certificate_pin(&path).unwrap_err().code(),
            "CertificateMalformed"
        );
        assert!(DevelopmentPki::new("test CA", &[]).is_err());
    }
}
