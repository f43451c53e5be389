//! Options every credential takes.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{self, Clock};

/// Which generation of the Entra ID token endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EndpointVersion {
    /// `/{tenant}/oauth2/v2.0/token` with `scope=`. The default.
    #[default]
    V2,
    /// The legacy `/{tenant}/oauth2/token` with `resource=`, for old tenants and tools that
    /// still need v1 tokens. Only the grants v1 has are allowed (not device code).
    V1,
}

/// Options shared by every credential.
///
/// ```
/// use std::time::Duration;
/// use dynamics_auth::CredentialOptions;
/// let options = CredentialOptions {
///     timeout: Duration::from_secs(10),
///     ..Default::default()
/// };
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct CredentialOptions {
    /// Time allowed for each attempt at a token request, connect included.
    pub timeout: Duration,
    /// Extra attempts after a network error, a 429 or a 5xx answer.
    pub max_retries: u32,
    /// The User-Agent sent to the token endpoint.
    pub user_agent: String,
    /// v2 (default) or the legacy v1 token endpoint.
    pub endpoint_version: EndpointVersion,
    /// Where "now" and waiting come from; replace it in tests.
    pub clock: Arc<dyn Clock>,
}

impl Default for CredentialOptions {
    fn default() -> Self {
        CredentialOptions {
            timeout: Duration::from_secs(30),
            max_retries: 2,
            user_agent: concat!("dynamics-auth/", env!("CARGO_PKG_VERSION")).to_string(),
            endpoint_version: EndpointVersion::V2,
            clock: clock::system(),
        }
    }
}
