//! Resource discovery: an unauthenticated `GET {ServiceUrl}/api/aad/challenge` answers `401`
//! with a Bearer challenge naming the authority and the resource (token audience) to sign in
//! for, which Microsoft documents as different from the service URL.

use dynamics_auth::{Authority, BearerChallenge};
use dynamics_http::{HttpRequest, Pipeline, PipelineOptions};

use crate::{AdminError, ServiceEndpoint};

/// What the challenge said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The resource to ask a token for (`resource_id`), when the challenge named one.
    pub resource: Option<String>,
    /// Where to sign in (from `authorization_uri`).
    pub authority: Option<Authority>,
    /// The tenant named in `authorization_uri` (`common` reads as `organizations`).
    pub tenant_id: Option<String>,
}

impl Discovery {
    /// The scope to ask for: `{resource}/.default`, when a resource was found.
    pub fn scope(&self) -> Option<String> {
        self.resource
            .as_deref()
            .map(dynamics_auth::scopes::default_scope_for)
    }
}

/// The challenge URL of an endpoint.
pub(crate) fn challenge_request(endpoint: &ServiceEndpoint) -> HttpRequest {
    let mut url = endpoint.url();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(["api", "aad", "challenge"]);
    }
    HttpRequest::get(url).header("Accept", "application/json")
}

/// Reads a challenge header; `None` when it is not a usable Bearer challenge.
pub(crate) fn parse_challenge(header: &str) -> Option<Discovery> {
    let challenge = match BearerChallenge::parse(header) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "the Online Management API challenge could not be read");
            return None;
        }
    };
    Some(Discovery {
        resource: challenge.resource_id.clone(),
        authority: challenge.authority().ok(),
        tenant_id: challenge.tenant(),
    })
}

/// Probes the challenge endpoint without a token. A transport failure is an error; an
/// answer without a usable challenge gives an empty [`Discovery`].
pub(crate) async fn discover(
    endpoint: &ServiceEndpoint,
    pipeline: PipelineOptions,
) -> Result<Discovery, AdminError> {
    let pipeline = Pipeline::new(None, pipeline)?;
    let response = pipeline
        .send_any_status(challenge_request(endpoint))
        .await?;
    if response.status() != 401 {
        tracing::debug!(
            status = response.status(),
            "the challenge endpoint did not answer 401"
        );
        return Ok(Discovery::default());
    }
    Ok(response
        .header("www-authenticate")
        .and_then(parse_challenge)
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Region;

    #[test]
    fn the_challenge_url_is_under_the_service_url() {
        let req = challenge_request(&ServiceEndpoint::Region(Region::Emea));
        assert_eq!(
            req.url().as_str(),
            "https://admin.services.crm4.dynamics.com/api/aad/challenge"
        );
        assert!(req.header_value("authorization").is_none());
    }

    #[test]
    fn a_challenge_gives_resource_authority_and_tenant() {
        let d = parse_challenge(
            "Bearer authorization_uri=https://login.microsoftonline.com/0b3a6a4f-0000-4000-8000-000000000001/oauth2/authorize, resource_id=https://admin.services.crm4.dynamics.com/",
        )
        .expect("usable");
        assert_eq!(
            d.scope().as_deref(),
            Some("https://admin.services.crm4.dynamics.com/.default")
        );
        assert_eq!(
            d.tenant_id.as_deref(),
            Some("0b3a6a4f-0000-4000-8000-000000000001")
        );
        assert!(d.authority.is_some());
        assert!(parse_challenge("Basic realm=x").is_none());
    }
}
