//! What the examples share: where to run (the emulator by default, a real tenant when its
//! environment variables are set) and how to describe a token without showing it.

#![allow(dead_code)] // Each example uses its own part of this module.

pub(crate) mod admin;
pub(crate) mod connector_platform;
pub(crate) mod dataverse;
pub(crate) mod lead_writer_emulator;
pub(crate) mod lead_writer_role;
pub(crate) mod user_sync_demo;

use std::path::PathBuf;

use base64::Engine as _;
use dynamics_rs::auth::{
    AccessToken, AuthError, Authority, Cloud, CredentialOptions, DeviceCodeCredential,
    TokenCredential, UsernamePasswordCredential, Uuid, parse_client_id,
};

/// A real tenant, read from `DYNAMICS_*` environment variables (see README.md).
pub(crate) struct TenantSettings {
    pub(crate) cloud: Cloud,
    pub(crate) tenant: String,
    pub(crate) client_id: Uuid,
    pub(crate) public_client_id: Uuid,
    pub(crate) client_secret: Option<String>,
    pub(crate) certificate_pem: Option<(PathBuf, PathBuf)>,
    pub(crate) certificate_pfx: Option<(PathBuf, String)>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) device_code: bool,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) org_url: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// An application (client) id from `name`; a typo is blamed on the variable.
fn client_id_var(name: &str, value: &str) -> Result<Uuid, String> {
    parse_client_id(value).map_err(|e| format!("{name}: {e}"))
}

impl TenantSettings {
    /// `None` when the variables that name a tenant are absent: run against the emulator only.
    pub(crate) fn from_env() -> Result<Option<Self>, String> {
        let (Some(tenant), Some(client_id)) =
            (var("DYNAMICS_TENANT_ID"), var("DYNAMICS_CLIENT_ID"))
        else {
            return Ok(None);
        };
        let client_id = client_id_var("DYNAMICS_CLIENT_ID", &client_id)?;
        let public_client_id = match var("DYNAMICS_PUBLIC_CLIENT_ID") {
            Some(v) => client_id_var("DYNAMICS_PUBLIC_CLIENT_ID", &v)?,
            None => client_id,
        };
        let org_url = var("DYNAMICS_ORG_URL")
            .ok_or("DYNAMICS_ORG_URL is required with DYNAMICS_TENANT_ID, e.g. https://contoso.crm4.dynamics.com")?;
        let cloud = match var("DYNAMICS_CLOUD") {
            Some(name) => name.parse::<Cloud>().map_err(|e| e.to_string())?,
            None => Cloud::Public,
        };
        let certificate_pem =
            match (
                var("DYNAMICS_CERTIFICATE_PEM"),
                var("DYNAMICS_PRIVATE_KEY_PEM"),
            ) {
                (Some(cert), Some(key)) => Some((cert.into(), key.into())),
                (None, None) => None,
                _ => return Err(
                    "set both DYNAMICS_CERTIFICATE_PEM and DYNAMICS_PRIVATE_KEY_PEM, or neither"
                        .into(),
                ),
            };
        let certificate_pfx = var("DYNAMICS_CERTIFICATE_PFX").map(|path| {
            (
                path.into(),
                var("DYNAMICS_CERTIFICATE_PFX_PASSWORD").unwrap_or_default(),
            )
        });
        Ok(Some(TenantSettings {
            cloud,
            public_client_id,
            tenant,
            client_id,
            client_secret: var("DYNAMICS_CLIENT_SECRET"),
            certificate_pem,
            certificate_pfx,
            username: var("DYNAMICS_USERNAME"),
            password: var("DYNAMICS_PASSWORD"),
            device_code: var("DYNAMICS_DEVICE_CODE")
                .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            redirect_uri: var("DYNAMICS_REDIRECT_URI"),
            org_url,
        }))
    }

    pub(crate) fn authority(&self) -> Result<Authority, AuthError> {
        Authority::new(self.cloud, &self.tenant)
    }

    /// An administrator signing in as a user: with `DYNAMICS_USERNAME`/`DYNAMICS_PASSWORD`, or
    /// by device code (`DYNAMICS_DEVICE_CODE=1`, or no password given).
    pub(crate) fn user_credential(
        &self,
    ) -> Result<std::sync::Arc<dyn TokenCredential>, Box<dyn std::error::Error>> {
        let authority = self.authority()?;
        Ok(match (&self.username, &self.password) {
            (Some(user), Some(password)) if !self.device_code => {
                std::sync::Arc::new(UsernamePasswordCredential::new(
                    authority,
                    self.public_client_id,
                    user,
                    password.clone(),
                    CredentialOptions::default(),
                )?)
            }
            _ => std::sync::Arc::new(DeviceCodeCredential::new(
                authority,
                self.public_client_id,
                |info| println!("{}", info.message),
                CredentialOptions::default(),
            )?),
        })
    }
}

/// One line about a token: when it expires, who it is for and what it allows. Reads the
/// token's claims without verifying them (the service does that); never prints the token.
pub(crate) fn describe(token: &AccessToken) -> String {
    let claims = token
        .token
        .secret()
        .split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .unwrap_or_default();
    let text = |key: &str| {
        claims
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("-")
            .to_string()
    };
    let roles = claims.get("roles").and_then(|v| v.as_array()).map(|r| {
        r.iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let grants = match (claims.get("scp").and_then(|v| v.as_str()), roles) {
        (Some(scp), _) => format!("scopes: {scp}"),
        (None, Some(roles)) if !roles.is_empty() => format!("app-only, roles: {roles}"),
        (None, _) => "app-only, no app roles".to_string(),
    };
    let who = match claims
        .get("upn")
        .or_else(|| claims.get("preferred_username"))
    {
        Some(_) => "a signed-in user",
        None => "the application",
    };
    let minutes = (token.expires_on - time::OffsetDateTime::now_utc()).whole_minutes();
    // Fixed-width fields, so that the lines of several tokens line up.
    format!(
        "valid {minutes:>2} min | audience {:<32} | for {who:<16} | {grants}",
        text("aud"),
    )
}
