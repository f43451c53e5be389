//! Building the scope strings each service expects.
//!
//! Entra ID v2 asks for scopes, not resources: `{resource}/.default` for app-only sign-in and
//! every permission the app was granted, `{resource}/user_impersonation` for a signed-in user
//! of Dataverse. The Power Platform admin scopes depend on the cloud: see
//! [`Cloud::bap_scope`](crate::Cloud::bap_scope).

use url::Url;

use crate::{AuthError, secure_url};

/// The scope for app-only (client secret or certificate) access to a Dataverse org:
/// `https://contoso.crm4.dynamics.com/.default`. Any path on `org_url` is ignored.
pub fn dataverse_default(org_url: &str) -> Result<String, AuthError> {
    Ok(format!("{}/.default", dataverse_resource(org_url)?))
}

/// The delegated scope for a signed-in user of a Dataverse org:
/// `https://contoso.crm4.dynamics.com/user_impersonation`.
///
/// Microsoft's .NET client sends the same with a double slash; Entra treats both alike.
pub fn dataverse_user_impersonation(org_url: &str) -> Result<String, AuthError> {
    Ok(format!(
        "{}/user_impersonation",
        dataverse_resource(org_url)?
    ))
}

/// The resource (token audience) of a Dataverse org: its origin, `https://contoso.crm4.dynamics.com`.
pub fn dataverse_resource(org_url: &str) -> Result<String, AuthError> {
    let url = secure_url::parse_secure_url("Dataverse org URL", org_url)?;
    Ok(origin(&url))
}

/// `{resource}/.default` for any resource URI, such as the Online Management API resource
/// found through its `/api/aad/challenge` endpoint. A trailing slash on `resource` is dropped.
pub fn default_scope_for(resource: &str) -> String {
    format!("{}/.default", resource.trim_end_matches('/'))
}

/// The Online Management API scope for a regional service URL
/// (`https://admin.services.crm4.dynamics.com` gives `https://admin.services.crm4.dynamics.com/.default`).
///
/// Microsoft documents that the API's resource is found by sending an unauthenticated request
/// to `{service URL}/api/aad/challenge` and reading the Bearer challenge
/// ([`BearerChallenge::default_scope`](crate::BearerChallenge::default_scope)); use that when
/// you can. This is the fallback when the challenge names no resource.
pub fn online_management_api(service_url: &str) -> Result<String, AuthError> {
    let url = secure_url::parse_secure_url("Online Management API service URL", service_url)?;
    Ok(format!("{}/.default", origin(&url)))
}

/// The Power Platform admin ("BAP") scope of a cloud, for force-syncing users and registering
/// management applications. Same as [`Cloud::bap_scope`](crate::Cloud::bap_scope).
pub fn power_platform_admin(cloud: crate::Cloud) -> &'static str {
    cloud.bap_scope()
}

/// The resource a scope belongs to: `https://x.crm.dynamics.com/.default` gives
/// `https://x.crm.dynamics.com`. OpenID scopes (`openid`, `offline_access`, ...) give `None`.
pub fn resource_of(scope: &str) -> Option<&str> {
    if is_openid_scope(scope) {
        return None;
    }
    match scope.rfind('/') {
        Some(i) if scope[..i].contains("://") => Some(scope[..i].trim_end_matches('/')),
        _ => Some(scope),
    }
}

/// `true` for the scopes that ask for sign-in artefacts rather than a resource.
pub fn is_openid_scope(scope: &str) -> bool {
    matches!(scope, "openid" | "profile" | "email" | "offline_access")
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataverse_scopes_use_the_org_origin() {
        assert_eq!(
            dataverse_default("https://contoso.crm4.dynamics.com/api/data/v9.2/").expect("ok"),
            "https://contoso.crm4.dynamics.com/.default"
        );
        assert_eq!(
            dataverse_user_impersonation("https://contoso.crm.dynamics.com").expect("ok"),
            "https://contoso.crm.dynamics.com/user_impersonation"
        );
        assert_eq!(
            dataverse_default("http://127.0.0.1:7070").expect("loopback"),
            "http://127.0.0.1:7070/.default"
        );
        assert!(dataverse_default("http://contoso.crm.dynamics.com").is_err());
    }

    #[test]
    fn resources_come_back_out_of_scopes() {
        assert_eq!(
            resource_of("https://x.crm.dynamics.com/.default"),
            Some("https://x.crm.dynamics.com")
        );
        assert_eq!(
            resource_of("https://service.powerapps.com//.default"),
            Some("https://service.powerapps.com")
        );
        assert_eq!(resource_of("offline_access"), None);
        assert_eq!(
            default_scope_for("https://admin.services.crm.dynamics.com/"),
            "https://admin.services.crm.dynamics.com/.default"
        );
    }
}
