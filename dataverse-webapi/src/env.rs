//! Building a client from `DYNAMICS_*` environment variables, as the workspace's examples do.
//!
//! | Variable | Meaning |
//! |---|---|
//! | `DYNAMICS_ORG_URL` | the org, e.g. `https://contoso.crm4.dynamics.com` (required) |
//! | `DYNAMICS_TENANT_ID` | the tenant, GUID or domain (required) |
//! | `DYNAMICS_CLIENT_ID` | the application (client) id (required) |
//! | `DYNAMICS_CLOUD` | `public` (default), `usgov`, `usgovhigh`, `dod`, `china` |
//! | `DYNAMICS_AUTHORITY_HOST` | sign-in host instead of the cloud's, e.g. an emulator's URL (https, or http to loopback) |
//! | `DYNAMICS_CLIENT_SECRET` | sign in with a client secret, or... |
//! | `DYNAMICS_CERTIFICATE_PEM` + `DYNAMICS_PRIVATE_KEY_PEM` | ...a certificate and key (PEM file paths), or... |
//! | `DYNAMICS_CERTIFICATE_PFX` (+ `DYNAMICS_CERTIFICATE_PFX_PASSWORD`) | ...a PKCS#12 file |
//!
//! Exactly one credential must be set: the choice is explicit, never a hidden chain.

use std::sync::Arc;

use dynamics_auth::{
    AuthError, Authority, ClientCertificate, ClientCertificateCredential, ClientSecretCredential,
    Cloud, CredentialOptions, TokenCredential, Uuid, parse_client_id,
};

use crate::client::{ClientOptions, DataverseClient};
use crate::error::DataverseError;

/// The org URL.
pub const ENV_ORG_URL: &str = "DYNAMICS_ORG_URL";
/// The tenant (GUID or domain).
pub const ENV_TENANT_ID: &str = "DYNAMICS_TENANT_ID";
/// The application (client) id.
pub const ENV_CLIENT_ID: &str = "DYNAMICS_CLIENT_ID";
/// The national cloud (optional; public by default).
pub const ENV_CLOUD: &str = "DYNAMICS_CLOUD";
/// The sign-in (authority) host, replacing the cloud's (optional; for an emulator or a test
/// server). The `d365` CLI's `D365_AUTHORITY_HOST` means the same.
pub const ENV_AUTHORITY_HOST: &str = "DYNAMICS_AUTHORITY_HOST";
/// A client secret.
pub const ENV_CLIENT_SECRET: &str = "DYNAMICS_CLIENT_SECRET";
/// Path of a PEM certificate (with [`ENV_PRIVATE_KEY_PEM`]).
pub const ENV_CERTIFICATE_PEM: &str = "DYNAMICS_CERTIFICATE_PEM";
/// Path of the PEM private key of [`ENV_CERTIFICATE_PEM`].
pub const ENV_PRIVATE_KEY_PEM: &str = "DYNAMICS_PRIVATE_KEY_PEM";
/// Path of a PKCS#12 (`.pfx`) certificate.
pub const ENV_CERTIFICATE_PFX: &str = "DYNAMICS_CERTIFICATE_PFX";
/// Password of [`ENV_CERTIFICATE_PFX`] (optional).
pub const ENV_CERTIFICATE_PFX_PASSWORD: &str = "DYNAMICS_CERTIFICATE_PFX_PASSWORD";

/// Why a client could not be built from the environment. Never carries a secret's value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FromEnvError {
    /// A required variable is absent or blank.
    #[error("set {name}: {hint}")]
    Missing {
        /// The variable to set.
        name: &'static str,
        /// What it holds.
        hint: &'static str,
    },
    /// No credential variable is set.
    #[error(
        "set a credential: {ENV_CLIENT_SECRET}, or {ENV_CERTIFICATE_PEM} with {ENV_PRIVATE_KEY_PEM}, or {ENV_CERTIFICATE_PFX}"
    )]
    NoCredential,
    /// More than one credential is set; the choice must be explicit.
    #[error("set only one credential; found {first} and {second}")]
    ConflictingCredentials {
        /// One variable set.
        first: &'static str,
        /// Another variable set.
        second: &'static str,
    },
    /// One of two variables that go together is set without the other.
    #[error("set {missing} too: it goes with {present}")]
    Incomplete {
        /// The variable that is set.
        present: &'static str,
        /// The variable to add.
        missing: &'static str,
    },
    /// A file a variable names cannot be read.
    #[error("cannot read the file {name} names: {source}")]
    File {
        /// The variable naming the file.
        name: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A variable's value was refused (the message names the variable; secrets are not shown).
    #[error("{name} is not usable: {source}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why.
        #[source]
        source: AuthError,
    },
    /// The credential could not be built.
    #[error("cannot build the credential: {0}")]
    Credential(#[source] AuthError),
    /// The client could not be built (for example an org URL that is not https).
    #[error("{ENV_ORG_URL}: {0}")]
    Client(#[source] DataverseError),
}

impl DataverseClient {
    /// A client for the org in `DYNAMICS_ORG_URL`, signing in app-only as
    /// `DYNAMICS_CLIENT_ID` in `DYNAMICS_TENANT_ID` with a client secret or a certificate
    /// (see [`FromEnvError`] and the table in [`Self::from_env_with`]).
    pub fn from_env() -> std::result::Result<Self, FromEnvError> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`Self::from_env`], reading variables through `lookup` (tests pass a map). Blank
    /// values count as unset. Variables:
    ///
    /// | Variable | Meaning |
    /// |---|---|
    /// | `DYNAMICS_ORG_URL` | the org, e.g. `https://contoso.crm4.dynamics.com` (required) |
    /// | `DYNAMICS_TENANT_ID` | the tenant, GUID or domain (required) |
    /// | `DYNAMICS_CLIENT_ID` | the application (client) id (required) |
    /// | `DYNAMICS_CLOUD` | `public` (default), `usgov`, `usgovhigh`, `dod`, `china` |
    /// | `DYNAMICS_AUTHORITY_HOST` | sign-in host instead of the cloud's, e.g. an emulator's URL (https, or http to loopback) |
    /// | `DYNAMICS_CLIENT_SECRET` | a client secret, or |
    /// | `DYNAMICS_CERTIFICATE_PEM` + `DYNAMICS_PRIVATE_KEY_PEM` | certificate and key PEM file paths, or |
    /// | `DYNAMICS_CERTIFICATE_PFX` (+ `DYNAMICS_CERTIFICATE_PFX_PASSWORD`) | a PKCS#12 file |
    ///
    /// Exactly one credential must be set.
    pub fn from_env_with(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<Self, FromEnvError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str, hint: &'static str| {
            var(name).ok_or(FromEnvError::Missing { name, hint })
        };
        let org_url = required(
            ENV_ORG_URL,
            "the org, e.g. https://contoso.crm4.dynamics.com",
        )?;
        let tenant = required(ENV_TENANT_ID, "the tenant id (GUID) or domain")?;
        let client_id = required(ENV_CLIENT_ID, "the application (client) id")?;
        let client_id = parse_client_id(&client_id).map_err(|source| FromEnvError::Invalid {
            name: ENV_CLIENT_ID,
            source,
        })?;
        let cloud = match var(ENV_CLOUD) {
            Some(name) => name
                .parse::<Cloud>()
                .map_err(|source| FromEnvError::Invalid {
                    name: ENV_CLOUD,
                    source,
                })?,
            None => Cloud::Public,
        };
        let tenant = tenant.trim();
        // The tenant is checked on its own first, so a bad tenant is blamed on its variable
        // even when a custom host is set.
        let authority = Authority::new(cloud, tenant).map_err(|source| FromEnvError::Invalid {
            name: ENV_TENANT_ID,
            source,
        })?;
        let authority = match var(ENV_AUTHORITY_HOST) {
            Some(host) => Authority::with_host(host.trim(), tenant).map_err(|source| {
                FromEnvError::Invalid {
                    name: ENV_AUTHORITY_HOST,
                    source,
                }
            })?,
            None => authority,
        };
        let credential = credential(&var, authority, client_id)?;
        DataverseClient::new(org_url.trim(), credential, ClientOptions::default())
            .map_err(FromEnvError::Client)
    }
}

fn credential(
    var: &impl Fn(&str) -> Option<String>,
    authority: Authority,
    client_id: Uuid,
) -> std::result::Result<Arc<dyn TokenCredential>, FromEnvError> {
    let secret = var(ENV_CLIENT_SECRET);
    let pem = match (var(ENV_CERTIFICATE_PEM), var(ENV_PRIVATE_KEY_PEM)) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(FromEnvError::Incomplete {
                present: ENV_CERTIFICATE_PEM,
                missing: ENV_PRIVATE_KEY_PEM,
            });
        }
        (None, Some(_)) => {
            return Err(FromEnvError::Incomplete {
                present: ENV_PRIVATE_KEY_PEM,
                missing: ENV_CERTIFICATE_PEM,
            });
        }
    };
    let pfx = var(ENV_CERTIFICATE_PFX);
    let set: Vec<&'static str> = [
        (secret.is_some(), ENV_CLIENT_SECRET),
        (pem.is_some(), ENV_CERTIFICATE_PEM),
        (pfx.is_some(), ENV_CERTIFICATE_PFX),
    ]
    .into_iter()
    .filter_map(|(is_set, name)| is_set.then_some(name))
    .collect();
    if let [first, second, ..] = set[..] {
        return Err(FromEnvError::ConflictingCredentials { first, second });
    }
    let options = CredentialOptions::default();
    if let Some(secret) = secret {
        let credential = ClientSecretCredential::new(authority, client_id, secret, options)
            .map_err(FromEnvError::Credential)?;
        return Ok(Arc::new(credential));
    }
    let certificate = if let Some((cert_path, key_path)) = pem {
        let cert = read_text(ENV_CERTIFICATE_PEM, &cert_path)?;
        let key = read_text(ENV_PRIVATE_KEY_PEM, &key_path)?;
        ClientCertificate::from_pem(&cert, &key).map_err(|source| FromEnvError::Invalid {
            name: ENV_CERTIFICATE_PEM,
            source,
        })?
    } else if let Some(pfx_path) = pfx {
        let bytes = std::fs::read(&pfx_path).map_err(|source| FromEnvError::File {
            name: ENV_CERTIFICATE_PFX,
            source,
        })?;
        let password = var(ENV_CERTIFICATE_PFX_PASSWORD).unwrap_or_default();
        ClientCertificate::from_pkcs12(&bytes, &password).map_err(|source| {
            FromEnvError::Invalid {
                name: ENV_CERTIFICATE_PFX,
                source,
            }
        })?
    } else {
        return Err(FromEnvError::NoCredential);
    };
    let credential = ClientCertificateCredential::new(authority, client_id, certificate, options)
        .map_err(FromEnvError::Credential)?;
    Ok(Arc::new(credential))
}

fn read_text(name: &'static str, path: &str) -> std::result::Result<String, FromEnvError> {
    std::fs::read_to_string(path).map_err(|source| FromEnvError::File { name, source })
}
