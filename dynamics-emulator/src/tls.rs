//! The HTTPS certificate: a throw-away certificate authority and a server certificate it signs
//! for `127.0.0.1` and `localhost`, both generated at start. Clients trust the CA
//! ([`Emulator::tls_ca_pem`](crate::Emulator::tls_ca_pem)).

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::EmulatorError;

/// The generated certificates and the acceptor that uses them.
pub(crate) struct TlsMaterial {
    /// The CA certificate, PEM.
    pub(crate) ca_pem: String,
    /// The server certificate, PEM.
    pub(crate) certificate_pem: String,
    pub(crate) acceptor: TlsAcceptor,
}

/// Generates a CA and a server certificate (ECDSA P-256) and a TLS acceptor (HTTP/1.1).
pub(crate) fn generate() -> Result<TlsMaterial, EmulatorError> {
    let now = OffsetDateTime::now_utc();
    let ca_key = KeyPair::generate().map_err(EmulatorError::certificate)?;
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(EmulatorError::certificate)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "dynamics-emulator test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = now - Duration::days(1);
    ca_params.not_after = now + Duration::days(365);
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(EmulatorError::certificate)?;

    let server_key = KeyPair::generate().map_err(EmulatorError::certificate)?;
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(EmulatorError::certificate)?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    server_params.not_before = now - Duration::days(1);
    server_params.not_after = now + Duration::days(365);
    let server = server_params
        .signed_by(&server_key, &ca)
        .map_err(EmulatorError::certificate)?;

    let chain = vec![
        CertificateDer::from(server.der().to_vec()),
        CertificateDer::from(ca.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(EmulatorError::certificate)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(EmulatorError::certificate)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        ca_pem: ca.pem(),
        certificate_pem: server.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}
