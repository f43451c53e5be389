//! The claims of the access tokens the emulator issues.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The claims of an emulator-issued access token, as returned by
/// [`Emulator::validate_access_token`](crate::Emulator::validate_access_token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Claims {
    /// Audience: the resource URI without trailing slash.
    pub aud: String,
    /// Issuer: `{base}{tid}/v2.0` (v2 endpoint) or `{base}{tid}/` (v1 endpoint).
    pub iss: String,
    /// Issued at (Unix seconds, emulator clock).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Tenant ID.
    pub tid: Uuid,
    /// Client ID (v1 name).
    pub appid: Uuid,
    /// Client ID (v2 name).
    pub azp: Uuid,
    /// How the client authenticated: `0` public, `1` secret, `2` certificate (v1 name).
    pub appidacr: String,
    /// Same as `appidacr` (v2 name).
    pub azpacr: String,
    /// Object ID of the user, or of the app's service principal for app-only tokens.
    pub oid: Uuid,
    /// Subject: the same as `oid`.
    pub sub: String,
    /// Token version: `1.0` or `2.0`.
    pub ver: String,
    /// `app` for app-only tokens, `user` for user tokens.
    pub idtyp: String,
    /// Delegated permissions, space-separated (user tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// App roles (app-only tokens only; may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// User principal name (user tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// Sign-in name (user tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Display name (user tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Authentication methods (user tokens): `pwd`, plus `mfa` for interactive sign-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Unique token identifier.
    pub uti: String,
}

impl Claims {
    /// Whether this is an app-only (client-credentials) token.
    pub fn is_app_only(&self) -> bool {
        self.idtyp == "app"
    }

    /// The delegated permissions as a list.
    pub fn scopes(&self) -> Vec<&str> {
        self.scp
            .as_deref()
            .map(|scp| scp.split_whitespace().collect())
            .unwrap_or_default()
    }
}
