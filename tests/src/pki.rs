//! Certificates made at test time: a private CA and a leaf certificate for 127.0.0.1
//! it signed, with the leaf key's SPKI pin as a policy names it.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// A test CA and a leaf certificate for 127.0.0.1.
pub struct TestPki {
    /// The CA certificate, DER.
    pub ca_der: Vec<u8>,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The leaf certificate, PEM.
    pub leaf_pem: String,
    /// The leaf's private key, PKCS#8 PEM.
    pub leaf_key_pem: String,
    /// The leaf's private key, PKCS#8 DER.
    pub leaf_key_der: Vec<u8>,
    /// The leaf certificate, DER.
    pub leaf_der: Vec<u8>,
    /// Standard base64 of SHA-256 of the leaf key's SubjectPublicKeyInfo.
    pub spki_pin: String,
}

impl TestPki {
    /// A new CA and leaf (ECDSA P-256).
    pub fn new() -> Self {
        let ca_key = KeyPair::generate().unwrap_or_else(|error| panic!("CA key: {error}"));
        let mut ca_params = CertificateParams::new(Vec::<String>::new())
            .unwrap_or_else(|error| panic!("CA params: {error}"));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "selfreport test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params
            .self_signed(&ca_key)
            .unwrap_or_else(|error| panic!("CA certificate: {error}"));
        let leaf_key = KeyPair::generate().unwrap_or_else(|error| panic!("leaf key: {error}"));
        let mut leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap_or_else(|error| panic!("leaf params: {error}"));
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap_or_else(|error| panic!("leaf certificate: {error}"));
        Self {
            ca_der: ca.der().to_vec(),
            ca_pem: ca.pem(),
            leaf_pem: leaf.pem(),
            leaf_key_pem: leaf_key.serialize_pem(),
            leaf_key_der: leaf_key.serialize_der(),
            leaf_der: leaf.der().to_vec(),
            spki_pin: STANDARD.encode(selfreport_core::crypto::sha256(&leaf_key.public_key_der())),
        }
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir`; returns their paths.
    pub fn write(&self, dir: &Path) -> PkiFiles {
        fs::create_dir_all(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        let files = PkiFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        for (path, text) in [
            (&files.ca, &self.ca_pem),
            (&files.cert, &self.leaf_pem),
            (&files.key, &self.leaf_key_pem),
        ] {
            fs::write(path, text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        }
        files
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

/// Where [`TestPki::write`] put the PEM files.
#[derive(Debug, Clone)]
pub struct PkiFiles {
    /// The CA certificate (for `selfreport --extra-root`).
    pub ca: PathBuf,
    /// The leaf certificate (for `selfreport-endpoint serve --tls-cert`).
    pub cert: PathBuf,
    /// The leaf key (for `--tls-key`).
    pub key: PathBuf,
}
