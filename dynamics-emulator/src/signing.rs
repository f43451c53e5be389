//! The emulator's token-signing key: signing, verification and its JWK.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};

use crate::certificate::TestCertificate;
use crate::der;
use crate::error::EmulatorError;

/// An RSA key (with a self-signed certificate) that signs every token the emulator issues.
pub(crate) struct SigningKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    modulus: String,
    exponent: String,
    certificate: String,
}

impl SigningKey {
    /// Uses `certificate` (and its private key) as the signing key. The key ID is the
    /// certificate's base64url SHA-1 thumbprint, as in Entra.
    pub(crate) fn new(certificate: &TestCertificate) -> Result<Self, EmulatorError> {
        let der_bytes = certificate.certificate_der()?;
        let public =
            der::rsa_public_key_from_certificate(&der_bytes).map_err(EmulatorError::certificate)?;
        let (modulus, exponent) = der::rsa_modulus_exponent(public)
            .ok_or_else(|| EmulatorError::certificate("malformed RSA public key"))?;
        Ok(Self {
            encoding: EncodingKey::from_rsa_pem(certificate.private_key_pem.as_bytes())
                .map_err(EmulatorError::certificate)?,
            decoding: DecodingKey::from_rsa_der(public),
            kid: certificate.x5t(),
            modulus: URL_SAFE_NO_PAD.encode(modulus),
            exponent: URL_SAFE_NO_PAD.encode(exponent),
            certificate: STANDARD.encode(&der_bytes),
        })
    }

    /// Signs `claims` as an RS256 JWT with `kid` and `x5t` headers.
    pub(crate) fn sign<T: Serialize>(
        &self,
        claims: &T,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("JWT".to_owned());
        header.kid = Some(self.kid.clone());
        header.x5t = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// The key ID.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key, for verifying tokens this key signed.
    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The public key as a JWK, in the shape Entra's `discovery/v2.0/keys` uses.
    pub(crate) fn jwk(&self, issuer: &str) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": self.modulus,
            "e": self.exponent,
            "x5c": [self.certificate],
            "issuer": issuer,
        })
    }
}
