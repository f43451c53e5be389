//! A token obtained elsewhere, used as it is.

use std::fmt;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use time::OffsetDateTime;

use crate::AuthError;

/// Hands out one token obtained elsewhere (a script, another tool), whatever scope is asked.
/// Once it has expired every call fails with an error saying so.
#[derive(Clone)]
pub struct StaticTokenCredential {
    token: AccessToken,
}

impl StaticTokenCredential {
    /// A token and the moment it expires.
    pub fn new(token: impl Into<Secret>, expires_on: OffsetDateTime) -> Self {
        StaticTokenCredential {
            token: AccessToken::new(token.into(), expires_on),
        }
    }
}

impl fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokenCredential")
            .field("token", &"<redacted>")
            .field("expires_on", &self.token.expires_on)
            .finish()
    }
}

#[async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        if self.token.expires_on <= OffsetDateTime::now_utc() {
            return Err(AuthError::invalid(
                "static token",
                format!("expired at {}", self.token.expires_on),
                "obtain a new token, or use a credential that can refresh itself",
            )
            .into());
        }
        Ok(self.token.clone())
    }
}
