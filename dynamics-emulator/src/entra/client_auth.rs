//! Client authentication at the token endpoint: public clients, client secrets (form or HTTP
//! Basic) and certificate assertions.

use jsonwebtoken::TokenData;
use serde_json::Value;
use time::OffsetDateTime;

use super::assertion::{self, JWT_BEARER};
use super::error::AadError;
use super::params::{BasicCredentials, Params};
use crate::directory::{App, Tenant};
use crate::state::Shared;

/// How the client proved its identity; becomes the `appidacr`/`azpacr` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    /// A public client without credential.
    Public,
    /// A client secret.
    Secret,
    /// A certificate assertion.
    Certificate,
}

impl ClientAuth {
    /// The `appidacr` value: `0`, `1` or `2`.
    pub(crate) fn acr(self) -> &'static str {
        match self {
            Self::Public => "0",
            Self::Secret => "1",
            Self::Certificate => "2",
        }
    }
}

/// The client-identifying parts of a token request.
pub(crate) struct ClientCredentials<'a> {
    pub(crate) params: &'a Params,
    pub(crate) basic: Option<&'a BasicCredentials>,
}

impl ClientCredentials<'_> {
    /// The client ID: the `client_id` parameter, else the Basic user name, else the (not yet
    /// verified) `sub` of the client assertion.
    pub(crate) fn client_id(&self) -> Option<String> {
        if let Some(id) = self.params.get("client_id") {
            return Some(id.to_owned());
        }
        if let Some(basic) = self.basic {
            return Some(basic.client_id.clone());
        }
        let assertion = self.params.get("client_assertion")?;
        let data: TokenData<Value> = jsonwebtoken::dangerous::insecure_decode(assertion).ok()?;
        data.claims.get("sub")?.as_str().map(str::to_owned)
    }

    /// Authenticates the client. A public client (`public_client` app) may send nothing when
    /// `public_allowed`; a confidential one must send a secret or an assertion (AADSTS7000218).
    pub(crate) fn authenticate(
        &self,
        shared: &Shared,
        tenant: &Tenant,
        segment: &str,
        app: &App,
        public_allowed: bool,
    ) -> Result<ClientAuth, AadError> {
        let assertion = self.params.get("client_assertion");
        let secret = self.params.get("client_secret");
        let presented = assertion.is_some() || secret.is_some() || self.basic.is_some();
        if presented && app.public_client && !app.has_credentials() {
            return Err(AadError::public_client_with_credential());
        }
        if let Some(assertion) = assertion {
            match self.params.get("client_assertion_type") {
                Some(JWT_BEARER) => {}
                Some(_) => return Err(AadError::bad_assertion_type()),
                None => return Err(AadError::missing_parameter("client_assertion_type")),
            }
            assertion::verify(assertion, shared, tenant, segment, app)?;
            return Ok(ClientAuth::Certificate);
        }
        let now = shared.clock.now();
        if let Some(secret) = secret {
            check_secret(app, &[secret], now)?;
            return Ok(ClientAuth::Secret);
        }
        if let Some(basic) = self.basic {
            check_secret(app, &[&basic.secret, &basic.raw_secret], now)?;
            return Ok(ClientAuth::Secret);
        }
        if public_allowed && app.public_client {
            Ok(ClientAuth::Public)
        } else {
            Err(AadError::missing_client_credential())
        }
    }
}

/// Accepts any of `candidates` that equals a registered, unexpired secret.
fn check_secret(app: &App, candidates: &[&str], now: OffsetDateTime) -> Result<(), AadError> {
    let mut expired = false;
    for secret in &app.secrets {
        if candidates
            .iter()
            .any(|c| constant_time_eq(c.as_bytes(), secret.value.as_bytes()))
        {
            match secret.expires {
                Some(expires) if expires <= now => expired = true,
                _ => return Ok(()),
            }
        }
    }
    Err(if expired {
        AadError::expired_secret(app.client_id)
    } else {
        AadError::invalid_secret(app.client_id)
    })
}

/// Compares two byte strings without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
