//! Resource discovery: an unauthenticated `GET {ServiceUrl}/api/aad/challenge` answers `401`
//! with a Bearer challenge naming the authority and the resource (token audience) to sign in
//! for, which Microsoft documents as different from the service URL.
//!
//! Whatever answers at the service URL writes that challenge, so it is checked before use:
//! a typo'd or hostile service URL must not pick the audience of an administrator's token
//! (Microsoft Graph, say) nor the page where the administrator signs in.
//!
//! - `resource_id` is accepted when it is the service's own origin, or an Online Management
//!   API admin host of the service's cloud ([`Cloud::is_admin_service_host`]:
//!   `https://admin.services.crm{N}.dynamics.com` and the sovereign clouds' hosts).
//! - `authorization_uri` is accepted on the cloud's Microsoft Entra ID sign-in hosts
//!   ([`Cloud::authority_host_names`]); on the service's own origin when that is a loopback
//!   address (the emulator serves both); or, when the caller configured an authority host
//!   ([`ClientOptions::authority_host`](crate::ClientOptions::authority_host)), that host is
//!   used with the challenge's tenant.
//!
//! Anything else is [`AdminError::UntrustedChallenge`].

use dynamics_auth::{Authority, BearerChallenge, Cloud, secure_url};
use dynamics_http::{HttpRequest, Pipeline, PipelineOptions};
use url::Url;

use crate::{AdminError, ServiceEndpoint};

/// What the challenge said, after the checks above.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The resource to ask a token for (`resource_id`), when the challenge named one.
    pub resource: Option<String>,
    /// Where to sign in (from `authorization_uri`, or the configured authority host with the
    /// challenge's tenant).
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

/// The clouds whose admin resources and sign-in hosts a service endpoint may name: the public
/// cloud (and GCC) for a region; for a custom URL on a known admin host, that host's cloud;
/// for any other custom URL (the emulator, a proxy), every cloud.
fn clouds_of(endpoint: &ServiceEndpoint) -> Vec<Cloud> {
    match endpoint {
        ServiceEndpoint::Region(_) => vec![Cloud::Public, Cloud::UsGovernmentGcc],
        ServiceEndpoint::Custom(url) => {
            let clouds = Cloud::of_admin_service_host(url.host_str().unwrap_or_default());
            if clouds.is_empty() {
                Cloud::ALL.to_vec()
            } else {
                clouds
            }
        }
    }
}

fn untrusted(what: &'static str, value: &str, fix: String) -> AdminError {
    AdminError::UntrustedChallenge {
        what,
        value: secure_url::redact(value),
        fix,
    }
}

/// Accepts a challenge's `resource_id` for `endpoint`, or says why not.
pub(crate) fn check_resource(resource: &str, endpoint: &ServiceEndpoint) -> Result<(), AdminError> {
    let service = endpoint.url();
    let fix = || {
        format!(
            "check that the service URL ({}) is the Online Management API of your region; if \
             this resource is really the one to sign in for, set it explicitly \
             (ClientOptions::resource, or Resource / D365_RESOURCE for d365)",
            secure_url::redact_url(&service)
        )
    };
    let Ok(url) = Url::parse(resource.trim()) else {
        return Err(untrusted(
            "resource_id",
            resource,
            format!("it is not an absolute URL; {}", fix()),
        ));
    };
    if secure_url::has_user_info(&url) || url.query().is_some() || url.fragment().is_some() {
        return Err(untrusted(
            "resource_id",
            resource,
            format!("it carries user info, a query or a fragment; {}", fix()),
        ));
    }
    if url.origin() == service.origin() {
        return Ok(());
    }
    let clouds = clouds_of(endpoint);
    let host = url.host_str().unwrap_or_default();
    let admin_host = url.scheme() == "https"
        && url.port().is_none()
        && matches!(url.path(), "" | "/")
        && clouds.iter().any(|c| c.is_admin_service_host(host));
    if admin_host {
        return Ok(());
    }
    Err(untrusted(
        "resource_id",
        resource,
        format!(
            "it is neither the service's own origin nor an Online Management API admin \
             resource (https://admin.services.crm[N].dynamics.com or a sovereign cloud's); {}",
            fix()
        ),
    ))
}

/// The authority a challenge names, if it is trusted for `endpoint` (see the module docs).
pub(crate) fn check_authority(
    challenge: &BearerChallenge,
    endpoint: &ServiceEndpoint,
    authority_host: Option<&str>,
) -> Result<Authority, AdminError> {
    if let Some(host) = authority_host {
        return challenge.authority_at(host).map_err(|e| {
            AdminError::invalid("authority host or the challenge's tenant", e.to_string())
        });
    }
    let service = endpoint.url();
    let uri = &challenge.authorization_uri;
    if uri.origin() == service.origin() && secure_url::is_loopback(&service) {
        // The emulator (or another local server) signs in at its own address.
        let origin = uri.origin().ascii_serialization();
        return challenge.authority_at(&origin).map_err(|e| {
            untrusted(
                "authorization_uri",
                uri.as_str(),
                format!("it names no usable tenant ({e})"),
            )
        });
    }
    let clouds = clouds_of(endpoint);
    let mut last = None;
    for cloud in &clouds {
        match challenge.authority_for(*cloud) {
            Ok(authority) => return Ok(authority),
            Err(e) => last = Some(e),
        }
    }
    let mut hosts: Vec<&str> = clouds
        .iter()
        .flat_map(|c| c.authority_host_names().iter().copied())
        .collect();
    hosts.sort_unstable();
    hosts.dedup();
    let tenant_problem = last
        .map(|e| e.to_string())
        .filter(|t| t.contains("names no tenant"));
    Err(untrusted(
        "authorization_uri",
        uri.as_str(),
        match tenant_problem {
            Some(problem) => problem,
            None => format!(
                "it is not on a Microsoft Entra ID sign-in host of the service's cloud ({}); \
                 check the service URL, or configure the authority host explicitly \
                 (ClientOptions::authority_host, or AuthorityHost / --authority-host for d365) \
                 if this service signs in elsewhere",
                hosts.join(", ")
            ),
        },
    ))
}

/// The challenge URL of an endpoint.
pub(crate) fn challenge_request(endpoint: &ServiceEndpoint) -> HttpRequest {
    let mut url = endpoint.url();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(["api", "aad", "challenge"]);
    }
    HttpRequest::get(url).header("Accept", "application/json")
}

/// Reads a challenge header: `Ok(None)` when it is not a usable Bearer challenge, an
/// [`AdminError::UntrustedChallenge`] when it names a resource or sign-in host that is not
/// trusted for `endpoint`.
pub(crate) fn parse_challenge(
    header: &str,
    endpoint: &ServiceEndpoint,
    authority_host: Option<&str>,
) -> Result<Option<Discovery>, AdminError> {
    let challenge = match BearerChallenge::parse(header) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "the Online Management API challenge could not be read");
            return Ok(None);
        }
    };
    if let Some(resource) = &challenge.resource_id {
        check_resource(resource, endpoint)?;
    }
    let authority = check_authority(&challenge, endpoint, authority_host)?;
    Ok(Some(Discovery {
        resource: challenge.resource_id.clone(),
        authority: Some(authority),
        tenant_id: challenge.tenant(),
    }))
}

/// Probes the challenge endpoint without a token. A transport failure is an error, and so is
/// a challenge naming an untrusted resource or sign-in host; an answer without a usable
/// challenge gives an empty [`Discovery`].
pub(crate) async fn discover(
    endpoint: &ServiceEndpoint,
    pipeline: PipelineOptions,
    authority_host: Option<&str>,
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
    match response.header("www-authenticate") {
        Some(header) => Ok(parse_challenge(header, endpoint, authority_host)?.unwrap_or_default()),
        None => Ok(Discovery::default()),
    }
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

    const TENANT: &str = "0b3a6a4f-0000-4000-8000-000000000001";

    fn challenge(authorization_uri: &str, resource: &str) -> String {
        format!("Bearer authorization_uri={authorization_uri}, resource_id={resource}")
    }

    fn emea() -> ServiceEndpoint {
        ServiceEndpoint::Region(Region::Emea)
    }

    #[test]
    fn a_challenge_gives_resource_authority_and_tenant() {
        let d = parse_challenge(
            &challenge(
                &format!("https://login.microsoftonline.com/{TENANT}/oauth2/authorize"),
                "https://admin.services.crm4.dynamics.com/",
            ),
            &emea(),
            None,
        )
        .expect("trusted")
        .expect("usable");
        assert_eq!(
            d.scope().as_deref(),
            Some("https://admin.services.crm4.dynamics.com/.default")
        );
        assert_eq!(d.tenant_id.as_deref(), Some(TENANT));
        assert!(d.authority.is_some());
        assert!(
            parse_challenge("Basic realm=x", &emea(), None)
                .expect("not an error")
                .is_none()
        );
    }

    #[test]
    fn a_foreign_resource_is_refused_with_a_typed_error() {
        let login = format!("https://login.microsoftonline.com/{TENANT}/oauth2/authorize");
        for resource in [
            "https://graph.microsoft.com",
            "https://graph.microsoft.com/",
            "https://management.azure.com/",
            "https://contoso.crm4.dynamics.com/",
            "https://admin.services.crm4.dynamics.com.evil.example/",
            "https://admin.services.crm4.dynamics.com:8443/",
            "https://admin.services.crm5.dynamics.com/other",
            "http://admin.services.crm4.dynamics.com/",
            "https://admin.services.crm.microsoftdynamics.us/",
            "00000003-0000-0000-c000-000000000000",
            "https://alice:hunter2@admin.services.crm4.dynamics.com/",
        ] {
            let err =
                parse_challenge(&challenge(&login, resource), &emea(), None).expect_err(resource);
            let AdminError::UntrustedChallenge { what, value, .. } = &err else {
                panic!("{resource}: {err:?}");
            };
            assert_eq!(*what, "resource_id");
            assert!(
                !value.contains("hunter2") && !value.contains("alice"),
                "{value}"
            );
            let text = err.to_string();
            assert!(text.contains("resource_id"), "{text}");
            assert!(
                err.hint().expect("hint").contains("set it explicitly"),
                "{text}"
            );
        }
    }

    #[test]
    fn own_origin_and_admin_resources_are_accepted() {
        let login = format!("https://login.microsoftonline.com/{TENANT}/oauth2/authorize");
        for resource in [
            "https://admin.services.crm.dynamics.com",
            "https://admin.services.crm.dynamics.com/",
            "https://ADMIN.services.crm11.dynamics.com/",
        ] {
            assert!(
                parse_challenge(&challenge(&login, resource), &emea(), None).is_ok(),
                "{resource}"
            );
        }
        let custom =
            ServiceEndpoint::parse("https://oma-proxy.contoso.example/admin/").expect("endpoint");
        assert!(
            parse_challenge(
                &challenge(&login, "https://oma-proxy.contoso.example/"),
                &custom,
                None
            )
            .is_ok()
        );
        let high =
            ServiceEndpoint::parse("https://admin.services.crm.microsoftdynamics.us").expect("ok");
        let login_us = format!("https://login.microsoftonline.us/{TENANT}/oauth2/authorize");
        assert!(
            parse_challenge(
                &challenge(
                    &login_us,
                    "https://admin.services.crm.microsoftdynamics.us/"
                ),
                &high,
                None
            )
            .is_ok()
        );
        // A GCC High service does not get a public-cloud sign-in page.
        assert!(
            parse_challenge(
                &challenge(&login, "https://admin.services.crm.microsoftdynamics.us/"),
                &high,
                None
            )
            .is_err()
        );
    }

    #[test]
    fn a_foreign_sign_in_host_is_refused_unless_configured() {
        let resource = "https://admin.services.crm4.dynamics.com/";
        for uri in [
            format!("https://login.evil.example/{TENANT}/oauth2/authorize"),
            format!("https://login.microsoftonline.com.evil.example/{TENANT}/oauth2/authorize"),
            format!("https://login.microsoftonline.com:8443/{TENANT}/oauth2/authorize"),
            format!("http://127.0.0.1:7070/{TENANT}/oauth2/authorize"),
        ] {
            let err = parse_challenge(&challenge(&uri, resource), &emea(), None).expect_err(&uri);
            assert!(
                matches!(
                    err,
                    AdminError::UntrustedChallenge {
                        what: "authorization_uri",
                        ..
                    }
                ),
                "{uri}: {err:?}"
            );
        }
        // An explicitly configured authority host wins, with the challenge's tenant.
        let d = parse_challenge(
            &challenge(
                &format!("https://login.evil.example/{TENANT}/oauth2/authorize"),
                resource,
            ),
            &emea(),
            Some("http://127.0.0.1:7070"),
        )
        .expect("configured")
        .expect("usable");
        let authority = d.authority.expect("authority");
        assert_eq!(authority.host().as_str(), "http://127.0.0.1:7070/");
        assert_eq!(authority.tenant().as_str(), TENANT);
    }

    #[test]
    fn a_loopback_service_may_sign_in_at_its_own_origin() {
        let emulator = ServiceEndpoint::parse("http://127.0.0.1:7070").expect("endpoint");
        let d = parse_challenge(
            &challenge(
                &format!("http://127.0.0.1:7070/{TENANT}/oauth2/authorize"),
                "https://admin.services.crm.dynamics.com/",
            ),
            &emulator,
            None,
        )
        .expect("trusted")
        .expect("usable");
        assert_eq!(
            d.authority.expect("authority").host().as_str(),
            "http://127.0.0.1:7070/"
        );
        // ...but not at another loopback port.
        assert!(
            parse_challenge(
                &challenge(
                    &format!("http://127.0.0.1:9999/{TENANT}/oauth2/authorize"),
                    "https://admin.services.crm.dynamics.com/",
                ),
                &emulator,
                None,
            )
            .is_err()
        );
    }
}
