//! Bearer authentication pinned to one origin.

use std::fmt;
use std::sync::Arc;

use dynamics_auth::{TokenCache, TokenCredential, secure_url};
use url::{Origin, Url};

use crate::HttpError;
use crate::request::redacted_url;

/// Adds `Authorization: Bearer ...` for one service: tokens for `scopes`, sent only to
/// requests whose origin (scheme, host, port) is the service's.
#[derive(Clone)]
pub struct BearerAuth {
    cache: TokenCache,
    scopes: Arc<Vec<String>>,
    origin: Origin,
    origin_text: String,
}

impl BearerAuth {
    /// Tokens from `credential` (cached) for `scopes`, for requests to `service_url`'s origin.
    /// `service_url` must be `https`, or `http` to loopback.
    pub fn new(
        credential: Arc<dyn TokenCredential>,
        scopes: Vec<String>,
        service_url: &Url,
    ) -> Result<Self, HttpError> {
        Self::with_cache(TokenCache::new(credential), scopes, service_url)
    }

    /// The same with a cache shared with other clients.
    pub fn with_cache(
        cache: TokenCache,
        scopes: Vec<String>,
        service_url: &Url,
    ) -> Result<Self, HttpError> {
        secure_url::ensure_secure("service URL", service_url).map_err(|e| {
            HttpError::ForeignHost {
                url: redacted_url(service_url),
                reason: e.to_string(),
            }
        })?;
        Ok(BearerAuth {
            cache,
            scopes: Arc::new(scopes),
            origin: service_url.origin(),
            origin_text: service_url.origin().ascii_serialization(),
        })
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The token cache (shared by clones).
    pub fn cache(&self) -> &TokenCache {
        &self.cache
    }

    /// Refuses any URL outside the service's origin.
    pub fn check_url(&self, url: &Url) -> Result<(), HttpError> {
        if url.origin() == self.origin {
            Ok(())
        } else {
            Err(HttpError::ForeignHost {
                url: redacted_url(url),
                reason: format!("the token is for {}, not for this host", self.origin_text),
            })
        }
    }

    pub(crate) async fn header_value(&self, url: &Url) -> Result<String, HttpError> {
        self.check_url(url)?;
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let token = self
            .cache
            .token(&scopes)
            .await
            .map_err(|e| HttpError::from_credential(redacted_url(url), e))?;
        Ok(format!("Bearer {}", token.token.secret()))
    }

    pub(crate) fn invalidate(&self) {
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        self.cache.invalidate(&scopes);
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("origin", &self.origin_text)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}
