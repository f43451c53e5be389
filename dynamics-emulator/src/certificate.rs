//! Self-signed RSA test certificates: generation, thumbprints and PKCS#12 export.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use rcgen::{CertificateParams, DnType, KeyPair, PKCS_RSA_SHA256, RsaKeySize};
use sha1::{Digest, Sha1};
use time::{Duration, OffsetDateTime};

use crate::error::EmulatorError;

/// A self-signed RSA-2048 certificate and its private key, for certificate-credential tests.
///
/// The emulator registers one on the default confidential app
/// ([`DefaultSeed::certificate`](crate::DefaultSeed::certificate)); generate more to register on
/// other apps, or to prove that an unregistered certificate is rejected.
#[derive(Clone)]
pub struct TestCertificate {
    /// The X.509 certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    pub certificate_pem: String,
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub private_key_pem: String,
    /// SHA-1 of the certificate's DER: what Entra calls the thumbprint, and `x5t` carries.
    pub sha1_thumbprint: [u8; 20],
}

impl TestCertificate {
    /// Generates a self-signed RSA-2048 certificate with subject `CN={common_name}`, valid from a
    /// day ago for two years.
    pub fn generate(common_name: &str) -> Result<Self, EmulatorError> {
        let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
            .map_err(EmulatorError::certificate)?;
        let mut params =
            CertificateParams::new(Vec::<String>::new()).map_err(EmulatorError::certificate)?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(730);
        let certificate = params
            .self_signed(&key)
            .map_err(EmulatorError::certificate)?;
        Ok(Self {
            certificate_pem: certificate.pem(),
            private_key_pem: key.serialize_pem(),
            sha1_thumbprint: Sha1::digest(certificate.der()).into(),
        })
    }

    /// The certificate's DER bytes.
    pub fn certificate_der(&self) -> Result<Vec<u8>, EmulatorError> {
        pem_contents(&self.certificate_pem, "CERTIFICATE")
    }

    /// The base64url SHA-1 thumbprint, as a client puts it in a client assertion's `x5t` header.
    pub fn x5t(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.sha1_thumbprint)
    }

    /// The thumbprint as upper-case hex, as the Azure portal shows it.
    pub fn thumbprint_hex(&self) -> String {
        self.sha1_thumbprint
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect()
    }

    /// The certificate and key as a PKCS#12 (`.pfx`) archive protected by `password`
    /// (AES-256 encryption, HMAC-SHA256 integrity).
    pub fn to_pkcs12(&self, password: &str) -> Result<Vec<u8>, EmulatorError> {
        let certificate =
            Certificate::from_der(&self.certificate_der()?).map_err(EmulatorError::certificate)?;
        let key = PrivateKey::from_der(&pem_contents(&self.private_key_pem, "PRIVATE KEY")?)
            .map_err(EmulatorError::certificate)?;
        let chain = PrivateKeyChain::new(self.sha1_thumbprint.to_vec(), key, [certificate]);
        let mut store = KeyStore::new();
        store.add_entry("dynamics-emulator", KeyStoreEntry::PrivateKeyChain(chain));
        store
            .writer(password)
            .write()
            .map_err(EmulatorError::certificate)
    }
}

impl fmt::Debug for TestCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCertificate")
            .field("sha1_thumbprint", &self.thumbprint_hex())
            .field("private_key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The DER contents of a PEM block that must carry `tag`.
pub(crate) fn pem_contents(text: &str, tag: &str) -> Result<Vec<u8>, EmulatorError> {
    let block = pem::parse(text).map_err(EmulatorError::certificate)?;
    if block.tag() != tag {
        return Err(EmulatorError::Certificate(format!(
            "expected a PEM block labelled {tag}, found {}",
            block.tag()
        )));
    }
    Ok(block.into_contents())
}
