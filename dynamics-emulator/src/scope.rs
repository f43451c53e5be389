//! Parsing the `scope` parameter into one resource, its permissions and the OIDC flags.

use crate::resource;

/// What a `scope` (v2) or `resource` (v1) parameter asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScopeRequest {
    /// The resource URI as written by the client (display form), if any non-OIDC scope was given.
    pub(crate) resource: Option<String>,
    /// Permission names for the resource, e.g. `.default` or `user_impersonation`.
    pub(crate) permissions: Vec<String>,
    /// `offline_access` was requested.
    pub(crate) offline_access: bool,
    /// `openid` was requested.
    pub(crate) openid: bool,
    /// `profile` was requested.
    pub(crate) profile: bool,
    /// `email` was requested.
    pub(crate) email: bool,
}

/// Why a `scope` parameter was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScopeError {
    /// A scope that names no resource, e.g. `User.Read` or `https://x` (no permission).
    Invalid(String),
    /// Non-OIDC scopes for more than one resource.
    MultipleResources(Vec<String>),
}

/// The delegated permission a `.default` request stands for in user flows.
pub(crate) const DEFAULT_DELEGATED_PERMISSION: &str = "user_impersonation";

impl ScopeRequest {
    /// Parses a space-separated v2 `scope` parameter.
    ///
    /// `https://x/.default`, `https://x/user_impersonation` and `https://x//user_impersonation`
    /// all name the resource `https://x`.
    pub(crate) fn parse(scope: &str) -> Result<Self, ScopeError> {
        let mut request = Self::empty();
        let mut resources: Vec<String> = Vec::new();
        for item in scope.split_whitespace() {
            match item.to_ascii_lowercase().as_str() {
                "offline_access" => request.offline_access = true,
                "openid" => request.openid = true,
                "profile" => request.profile = true,
                "email" => request.email = true,
                _ => {
                    let (resource, permission) = split_scope(item)?;
                    if !resources
                        .iter()
                        .any(|seen| resource::key(seen) == resource::key(&resource))
                    {
                        resources.push(resource);
                    }
                    if !request.permissions.contains(&permission) {
                        request.permissions.push(permission);
                    }
                }
            }
        }
        if resources.len() > 1 {
            return Err(ScopeError::MultipleResources(resources));
        }
        request.resource = resources.pop();
        Ok(request)
    }

    /// A v1 `resource` parameter: the resource with its default permissions.
    pub(crate) fn for_resource(resource: &str) -> Self {
        Self {
            resource: Some(resource::display_form(resource)),
            permissions: vec![".default".to_owned()],
            ..Self::empty()
        }
    }

    fn empty() -> Self {
        Self {
            resource: None,
            permissions: Vec::new(),
            offline_access: false,
            openid: false,
            profile: false,
            email: false,
        }
    }

    /// Whether every permission is `.default` (what client credentials require).
    pub(crate) fn is_default_only(&self) -> bool {
        self.permissions.iter().all(|p| p == ".default")
    }

    /// The delegated permissions a user token gets: `.default` stands for `user_impersonation`.
    pub(crate) fn delegated_permissions(&self) -> Vec<String> {
        let mut granted: Vec<String> = Vec::new();
        for permission in &self.permissions {
            let name = if permission == ".default" {
                DEFAULT_DELEGATED_PERMISSION
            } else {
                permission.as_str()
            };
            if !granted.iter().any(|g| g == name) {
                granted.push(name.to_owned());
            }
        }
        if granted.is_empty() {
            granted.push(DEFAULT_DELEGATED_PERMISSION.to_owned());
        }
        granted
    }

    /// The OIDC scopes that were requested, in canonical order.
    pub(crate) fn oidc_scopes(&self) -> Vec<&'static str> {
        [
            (self.openid, "openid"),
            (self.profile, "profile"),
            (self.email, "email"),
            (self.offline_access, "offline_access"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Splits `https://x//user_impersonation` into (`https://x`, `user_impersonation`).
fn split_scope(item: &str) -> Result<(String, String), ScopeError> {
    let invalid = || ScopeError::Invalid(item.to_owned());
    let (resource, permission) = item.rsplit_once('/').ok_or_else(invalid)?;
    let resource = resource.trim_end_matches('/');
    // `https://x` splits inside the scheme separator: it names no permission.
    if permission.is_empty() || resource.is_empty() || resource.ends_with(':') {
        return Err(invalid());
    }
    Ok((resource.to_owned(), permission.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_slash_scope_names_the_resource() {
        let request = ScopeRequest::parse(
            "https://contoso.crm.dynamics.com//user_impersonation offline_access",
        )
        .expect("valid scope");
        assert_eq!(
            request.resource.as_deref(),
            Some("https://contoso.crm.dynamics.com")
        );
        assert_eq!(request.permissions, ["user_impersonation"]);
        assert!(request.offline_access && !request.openid);
    }

    #[test]
    fn default_scope_with_oidc() {
        let request =
            ScopeRequest::parse("openid profile https://x/.default").expect("valid scope");
        assert_eq!(request.resource.as_deref(), Some("https://x"));
        assert!(request.is_default_only());
        assert_eq!(request.delegated_permissions(), ["user_impersonation"]);
        assert_eq!(request.oidc_scopes(), ["openid", "profile"]);
    }

    #[test]
    fn two_resources_are_rejected() {
        let err = ScopeRequest::parse("https://a/.default https://b/.default").unwrap_err();
        assert!(matches!(err, ScopeError::MultipleResources(r) if r.len() == 2));
    }

    #[test]
    fn same_resource_with_different_slashes_is_one_resource() {
        let request =
            ScopeRequest::parse("https://a/.default https://A//user_impersonation").expect("valid");
        assert_eq!(request.permissions, [".default", "user_impersonation"]);
    }

    #[test]
    fn scopes_without_a_resource_are_invalid() {
        for scope in ["User.Read", "https://x", "https://x/", "/.default"] {
            assert!(ScopeRequest::parse(scope).is_err(), "{scope}");
        }
    }
}
