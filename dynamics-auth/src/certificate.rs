//! Client certificates: loading a certificate and its RSA private key (PEM or PKCS#12) and
//! signing the JWT client assertion Entra ID accepts in place of a secret.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha1::Digest as _;
use time::OffsetDateTime;
use url::Url;

use crate::AuthError;

/// How long a client assertion is valid; Entra wants 5 to 10 minutes.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// An X.509 certificate registered on the app, with its RSA private key.
///
/// `Debug` shows the thumbprint only, never the key.
#[derive(Clone)]
pub struct ClientCertificate {
    key: EncodingKey,
    sha1_thumbprint: [u8; 20],
    sha256_thumbprint: [u8; 32],
}

impl ClientCertificate {
    /// From the certificate PEM (`-----BEGIN CERTIFICATE-----`) and the private key PEM
    /// (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`). The first certificate in
    /// `certificate_pem` is the one registered on the app.
    pub fn from_pem(certificate_pem: &str, private_key_pem: &str) -> Result<Self, AuthError> {
        let cert = pem::parse_many(certificate_pem)
            .map_err(|e| {
                AuthError::Certificate(format!("the certificate PEM cannot be read: {e}"))
            })?
            .into_iter()
            .find(|p| p.tag() == "CERTIFICATE")
            .ok_or_else(|| {
                AuthError::Certificate("no `-----BEGIN CERTIFICATE-----` block found".into())
            })?;
        let key = private_key_block(private_key_pem)?;
        Self::from_parts(cert.contents(), &key)
    }

    /// From one PEM text holding both the certificate and its private key, as many tools
    /// export them.
    pub fn from_pem_bundle(bundle: &str) -> Result<Self, AuthError> {
        Self::from_pem(bundle, bundle)
    }

    /// From a PKCS#12 (`.pfx` / `.p12`) file and its password, as Windows and Azure Key Vault
    /// export them.
    #[cfg(feature = "pkcs12")]
    pub fn from_pkcs12(pfx: &[u8], password: &str) -> Result<Self, AuthError> {
        use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
        let store = KeyStore::from_pkcs12(pfx, password, Pkcs12ImportPolicy::Relaxed).map_err(|e| {
            AuthError::Certificate(format!(
                "the PKCS#12 file cannot be opened ({e}); check the password and that it is a .pfx/.p12 file"
            ))
        })?;
        let (_, chain) = store.private_key_chain().ok_or_else(|| {
            AuthError::Certificate(
                "the PKCS#12 file holds no private key with a certificate".into(),
            )
        })?;
        let cert = chain.certs().first().ok_or_else(|| {
            AuthError::Certificate("the PKCS#12 file's private key has no certificate".into())
        })?;
        let key = pem::encode(&pem::Pem::new("PRIVATE KEY", chain.key().as_der().to_vec()));
        Self::from_parts(cert.as_der(), &key)
    }

    fn from_parts(cert_der: &[u8], key_pem: &str) -> Result<Self, AuthError> {
        let key = EncodingKey::from_rsa_pem(key_pem.as_bytes()).map_err(|e| {
            AuthError::Certificate(format!(
                "the private key is not a usable RSA key ({e}); Entra ID needs RSA (2048 bits or more)"
            ))
        })?;
        let cert_pem = pem::encode(&pem::Pem::new("CERTIFICATE", cert_der.to_vec()));
        let public = DecodingKey::from_rsa_pem(cert_pem.as_bytes()).map_err(|e| {
            AuthError::Certificate(format!("the certificate has no RSA public key ({e})"))
        })?;
        check_key_matches(&key, &public)?;
        Ok(ClientCertificate {
            key,
            sha1_thumbprint: sha1::Sha1::digest(cert_der).into(),
            sha256_thumbprint: sha2::Sha256::digest(cert_der).into(),
        })
    }

    /// The SHA-1 thumbprint in upper-case hex, as the Entra portal shows it.
    pub fn thumbprint(&self) -> String {
        self.sha1_thumbprint
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    /// Signs a client assertion for `client_id`, addressed to `token_endpoint`.
    pub(crate) fn assertion(
        &self,
        client_id: uuid::Uuid,
        token_endpoint: &Url,
        now: OffsetDateTime,
    ) -> Result<String, AuthError> {
        let mut header = Header::new(Algorithm::RS256);
        header.x5t = Some(URL_SAFE_NO_PAD.encode(self.sha1_thumbprint));
        header.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(self.sha256_thumbprint));
        let issued = now.unix_timestamp();
        let client_id = client_id.hyphenated().to_string();
        let claims = AssertionClaims {
            aud: token_endpoint.as_str(),
            iss: &client_id,
            sub: &client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: issued,
            iat: issued,
            exp: issued + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            AuthError::Certificate(format!("signing the client assertion failed: {e}"))
        })
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

fn private_key_block(text: &str) -> Result<String, AuthError> {
    let blocks = pem::parse_many(text)
        .map_err(|e| AuthError::Certificate(format!("the private key PEM cannot be read: {e}")))?;
    if let Some(key) = blocks
        .iter()
        .find(|p| p.tag() == "PRIVATE KEY" || p.tag() == "RSA PRIVATE KEY")
    {
        return Ok(pem::encode(key));
    }
    if blocks.iter().any(|p| p.tag() == "ENCRYPTED PRIVATE KEY") {
        return Err(AuthError::Certificate(
            "the private key is encrypted: decrypt it (`openssl pkcs8 -in key.pem -out plain.pem`) \
             or load the certificate from its PKCS#12 file with the password"
                .into(),
        ));
    }
    Err(AuthError::Certificate(
        "no `PRIVATE KEY` or `RSA PRIVATE KEY` block found".into(),
    ))
}

/// Signs a probe with the key and checks it with the certificate's public key, so a key that
/// does not belong to the certificate fails here and not as an opaque AADSTS700027 later.
fn check_key_matches(key: &EncodingKey, public: &DecodingKey) -> Result<(), AuthError> {
    #[derive(Serialize, Deserialize)]
    struct Probe {
        probe: bool,
    }
    let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &Probe { probe: true }, key)
        .map_err(|e| AuthError::Certificate(format!("the private key cannot sign: {e}")))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    jsonwebtoken::decode::<Probe>(&token, public, &validation).map_err(|_| {
        AuthError::Certificate("the private key does not belong to the certificate".into())
    })?;
    Ok(())
}
