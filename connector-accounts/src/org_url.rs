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

    /// `true` when the host is a Dataverse org host of some cloud: `{org}.crm.dynamics.com`
    /// or a regional `{org}.crm{N}.dynamics.com`, US GCC High `{org}.crm.microsoftdynamics.us`,
    /// DoD `{org}.crm.appsplatform.us`, China `{org}.crm.dynamics.cn` (REFERENCE 6.2, from
    /// Microsoft's Dataverse client `DiscoveryServers.cs`), over `https` on the default port.
    pub fn is_dataverse_host(&self) -> bool {
        let url = self.url();
        let Some(host) = url.host_str() else {
            return false;
        };
        if url.scheme() != "https" || url.port().is_some() {
            return false;
        }
        let host = host.trim_end_matches('.');
        let Some((org, suffix)) = host.split_once('.') else {
            return false;
        };
        // The org's own label(s) come first; the suffix names the cloud and region.
        !org.is_empty() && is_dataverse_suffix(suffix)
    }

    /// `true` when the host is a loopback address or `localhost` (an emulator, a test server).
    pub fn is_loopback(&self) -> bool {
        let url = self.url();
        match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
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

/// `crm.dynamics.com`, `crm{N}.dynamics.com` (N from 2 to 99, no leading zero: the regions
/// run crm2..crm21 today and new ones keep the pattern), and the sovereign clouds' suffixes.
fn is_dataverse_suffix(suffix: &str) -> bool {
    const SOVEREIGN: [&str; 3] = [
        "crm.microsoftdynamics.us",
        "crm.appsplatform.us",
        "crm.dynamics.cn",
    ];
    if SOVEREIGN.contains(&suffix) {
        return true;
    }
    let Some(region) = suffix
        .strip_prefix("crm")
        .and_then(|rest| rest.strip_suffix(".dynamics.com"))
    else {
        return false;
    };
    region.is_empty()
        || (region.len() <= 2
            && !region.starts_with('0')
            && region.bytes().all(|b| b.is_ascii_digit())
            && region != "1")
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
    fn knows_dataverse_hosts_of_every_cloud() {
        for host in [
            "https://contoso.crm.dynamics.com",
            "https://contoso.crm4.dynamics.com",
            "https://contoso.crm21.dynamics.com",
            "https://contoso.crm.microsoftdynamics.us",
            "https://contoso.crm.appsplatform.us",
            "https://contoso.crm.dynamics.cn",
        ] {
            assert!(OrgUrl::parse(host).unwrap().is_dataverse_host(), "{host}");
        }
        for host in [
            "https://evil.example.com",
            "https://crm.dynamics.com",
            "https://contoso.crm.dynamics.com.evil.example",
            "https://contoso.crm04.dynamics.com",
            "https://contoso.crm1.dynamics.com",
            "https://contoso.crmx.dynamics.com",
            "https://contoso.crm.dynamics.com:8443",
            "https://169.254.169.254",
            "http://127.0.0.1:8080",
        ] {
            assert!(!OrgUrl::parse(host).unwrap().is_dataverse_host(), "{host}");
        }
        assert!(
            OrgUrl::parse("http://127.0.0.1:8080")
                .unwrap()
                .is_loopback()
        );
        assert!(OrgUrl::parse("https://localhost").unwrap().is_loopback());
        assert!(OrgUrl::parse("http://[::1]:80").unwrap().is_loopback());
        assert!(
            !OrgUrl::parse("https://contoso.crm.dynamics.com")
                .unwrap()
                .is_loopback()
        );
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
