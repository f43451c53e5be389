//! [`OrgUrl`]: a customer's Dataverse org URL, normalised, and the scopes built from it.

use std::fmt;

use dynamics_auth::secure_url;
use url::Url;

use crate::ConnectorError;

/// Which delegated scope the sign-in asks for on the customer's org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScopeStyle {
    /// `{org}/user_impersonation`, Dataverse's one delegated permission (the default).
    #[default]
    UserImpersonation,
    /// `{org}/.default`: every permission consented for the app on that org.
    Default,
}

/// A customer's org URL (the connector's "Resource"): `https://contoso.crm4.dynamics.com`.
///
/// Normalised to its origin: scheme and host lower-case, no trailing slash; a path of
/// `/api/data/...` (a Web API URL pasted by mistake) is dropped. Only `https`, or plain
/// `http` to a loopback address (an emulator), is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgUrl(String);

impl OrgUrl {
    /// Parses and normalises an org URL as a customer typed it.
    pub fn parse(value: &str) -> Result<Self, ConnectorError> {
        let trimmed = value.trim();
        let url = secure_url::parse_secure_url("org URL", trimmed).map_err(|e| {
            ConnectorError::invalid(
                "org URL",
                shown(trimmed),
                format!("{e}; give the environment URL, such as https://contoso.crm4.dynamics.com"),
            )
        })?;
        let path = url.path().trim_end_matches('/');
        let path_ok = path.is_empty() || path.to_ascii_lowercase().starts_with("/api/data");
        if !path_ok || url.query().is_some() || url.fragment().is_some() {
            return Err(ConnectorError::invalid(
                "org URL",
                shown(trimmed),
                "give the environment URL only (scheme and host, such as \
                 https://contoso.crm4.dynamics.com), without a path or query",
            ));
        }
        // `Url` lower-cases the scheme and host already; the origin drops path and slash.
        Ok(OrgUrl(url.origin().ascii_serialization()))
    }

    /// The org URL without trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The org URL as a [`Url`] (with the slash `Url` always adds).
    pub fn url(&self) -> Url {
        // Built from a parsed origin, so it parses again.
        Url::parse(&self.0)
            .unwrap_or_else(|_| Url::parse("https://invalid.invalid").expect("static URL"))
    }

    /// The resource scope to ask for: `{org}/user_impersonation` or `{org}/.default`.
    pub fn scope(&self, style: ScopeStyle) -> String {
        match style {
            ScopeStyle::UserImpersonation => format!("{}/user_impersonation", self.0),
            ScopeStyle::Default => format!("{}/.default", self.0),
        }
    }

    /// `true` when `resource` (a scope's resource part) is this org, whatever its case or
    /// trailing slash.
    pub fn is_resource(&self, resource: &str) -> bool {
        OrgUrl::parse(resource).is_ok_and(|other| other == *self)
    }
}

impl fmt::Display for OrgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn shown(value: &str) -> String {
    match Url::parse(value) {
        Ok(url) => secure_url::redact_url(&url),
        Err(_) => value.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_slash_and_web_api_paths() {
        let expected = "https://contoso.crm4.dynamics.com";
        for input in [
            "https://contoso.crm4.dynamics.com",
            "https://Contoso.CRM4.dynamics.com/",
            "  HTTPS://contoso.crm4.dynamics.com//  ",
            "https://contoso.crm4.dynamics.com/api/data/v9.2/",
        ] {
            assert_eq!(OrgUrl::parse(input).unwrap().as_str(), expected, "{input}");
        }
    }

    #[test]
    fn scopes_come_from_the_org() {
        let org = OrgUrl::parse("https://contoso.crm.dynamics.com/").unwrap();
        assert_eq!(
            org.scope(ScopeStyle::UserImpersonation),
            "https://contoso.crm.dynamics.com/user_impersonation"
        );
        assert_eq!(
            org.scope(ScopeStyle::Default),
            "https://contoso.crm.dynamics.com/.default"
        );
        assert!(org.is_resource("https://CONTOSO.crm.dynamics.com/"));
        assert!(!org.is_resource("https://other.crm.dynamics.com"));
    }

    #[test]
    fn refuses_plain_http_off_loopback_and_extra_parts() {
        assert!(OrgUrl::parse("http://contoso.crm.dynamics.com").is_err());
        assert!(OrgUrl::parse("http://127.0.0.1:8080/").is_ok());
        assert!(OrgUrl::parse("https://contoso.crm.dynamics.com/main.aspx").is_err());
        assert!(OrgUrl::parse("https://contoso.crm.dynamics.com/?x=1").is_err());
        assert!(OrgUrl::parse("contoso").is_err());
        let error = OrgUrl::parse("https://user:pw@contoso.crm.dynamics.com").unwrap_err();
        assert!(!error.to_string().contains("pw"), "{error}");
    }
}
