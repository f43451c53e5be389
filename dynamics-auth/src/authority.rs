//! The Entra ID authority: an authority host plus a tenant, and the endpoint URLs built from it.

use std::fmt;

use url::Url;

use crate::{AuthError, Cloud, secure_url};

/// A validated tenant: a directory GUID, a verified domain (`contoso.onmicrosoft.com`), or one
/// of the multi-tenant aliases `common`, `organizations`, `consumers`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    /// Validates a tenant id or domain.
    pub fn parse(value: &str) -> Result<Self, AuthError> {
        let v = value.trim();
        if let Ok(guid) = uuid::Uuid::parse_str(v) {
            return Ok(TenantId(guid.hyphenated().to_string()));
        }
        let lower = v.to_ascii_lowercase();
        if matches!(lower.as_str(), "common" | "organizations" | "consumers") {
            return Ok(TenantId(lower));
        }
        if is_domain(&lower) {
            return Ok(TenantId(lower));
        }
        Err(AuthError::invalid(
            "tenant id",
            value,
            "use the Directory (tenant) ID GUID from the Entra admin center, a verified domain \
             such as contoso.onmicrosoft.com, or `organizations`",
        ))
    }

    /// The tenant as it goes into URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `true` for `common`, `organizations` and `consumers`, which app-only sign-in cannot use.
    pub fn is_multi_tenant_alias(&self) -> bool {
        matches!(self.0.as_str(), "common" | "organizations" | "consumers")
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_domain(v: &str) -> bool {
    let labels: Vec<&str> = v.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Where to sign in: an authority host and a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Always ends with `/`, so joining keeps any path prefix.
    host: Url,
    tenant: TenantId,
}

impl Authority {
    /// The authority of a national cloud for a tenant.
    pub fn new(cloud: Cloud, tenant: &str) -> Result<Self, AuthError> {
        Self::with_host(cloud.authority_host(), tenant)
    }

    /// An authority at another host, for the emulator or a test server. The host must be
    /// `https`, or plain `http` to loopback.
    pub fn with_host(host: &str, tenant: &str) -> Result<Self, AuthError> {
        let mut host = secure_url::parse_secure_url("authority host", host)?;
        if host.query().is_some() || host.fragment().is_some() {
            return Err(AuthError::invalid(
                "authority host",
                host.as_str(),
                "give the host only, without a query or fragment",
            ));
        }
        if !host.path().ends_with('/') {
            let path = format!("{}/", host.path());
            host.set_path(&path);
        }
        Ok(Authority {
            host,
            tenant: TenantId::parse(tenant)?,
        })
    }

    /// The authority host.
    pub fn host(&self) -> &Url {
        &self.host
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The same host with another tenant.
    pub fn for_tenant(&self, tenant: &str) -> Result<Self, AuthError> {
        Ok(Authority {
            host: self.host.clone(),
            tenant: TenantId::parse(tenant)?,
        })
    }

    fn endpoint(&self, tail: &str) -> Url {
        // The tenant was validated to URL-safe characters, so this join cannot fail.
        self.host
            .join(&format!("{}/{tail}", self.tenant))
            .unwrap_or_else(|_| self.host.clone())
    }

    /// The v2 token endpoint, `{host}/{tenant}/oauth2/v2.0/token`.
    pub fn token_endpoint(&self) -> Url {
        self.endpoint("oauth2/v2.0/token")
    }

    /// The legacy v1 token endpoint, `{host}/{tenant}/oauth2/token` (takes `resource=`).
    pub fn v1_token_endpoint(&self) -> Url {
        self.endpoint("oauth2/token")
    }

    /// The device authorization endpoint, `{host}/{tenant}/oauth2/v2.0/devicecode`.
    pub fn device_code_endpoint(&self) -> Url {
        self.endpoint("oauth2/v2.0/devicecode")
    }

    /// The authorize endpoint, `{host}/{tenant}/oauth2/v2.0/authorize`.
    pub fn authorize_endpoint(&self) -> Url {
        self.endpoint("oauth2/v2.0/authorize")
    }

    /// The URL an administrator opens to consent to `client_id` for the whole tenant.
    /// On success Entra redirects to `redirect_uri?tenant=...&state=...&admin_consent=True`.
    pub fn admin_consent_url(
        &self,
        client_id: uuid::Uuid,
        redirect_uri: Option<&Url>,
        state: Option<&str>,
    ) -> Url {
        let mut url = self.endpoint("adminconsent");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &client_id.hyphenated().to_string());
            if let Some(state) = state {
                q.append_pair("state", state);
            }
            if let Some(redirect) = redirect_uri {
                q.append_pair("redirect_uri", redirect.as_str());
            }
        }
        url
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.host, self.tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_validated() {
        assert_eq!(
            TenantId::parse("72F988BF-86F1-41AF-91AB-2D7CD011DB47")
                .expect("guid")
                .as_str(),
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
        assert!(TenantId::parse("contoso.onmicrosoft.com").is_ok());
        assert!(
            TenantId::parse("Organizations")
                .expect("alias")
                .is_multi_tenant_alias()
        );
        for bad in ["", "contoso", "a/b.com", "x.com?y", "-a.com", "12345"] {
            assert!(TenantId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_are_built_from_host_and_tenant() {
        let a = Authority::new(Cloud::Public, "contoso.onmicrosoft.com").expect("valid");
        assert_eq!(
            a.token_endpoint().as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            a.v1_token_endpoint().as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token"
        );
        let emu = Authority::with_host("http://127.0.0.1:7070/prefix", "common").expect("loopback");
        assert_eq!(
            emu.device_code_endpoint().as_str(),
            "http://127.0.0.1:7070/prefix/common/oauth2/v2.0/devicecode"
        );
    }

    #[test]
    fn plain_http_authority_is_refused_unless_loopback() {
        let err = Authority::with_host("http://login.example.com", "common").expect_err("http");
        assert!(err.to_string().contains("loopback"), "{err}");
    }

    #[test]
    fn admin_consent_url_carries_client_state_and_redirect() {
        let a = Authority::new(Cloud::Public, "contoso.onmicrosoft.com").expect("valid");
        let redirect = Url::parse("https://app.example.com/consented").expect("url");
        let url = a.admin_consent_url(
            uuid::Uuid::from_u128(0x11111111_2222_3333_4444_555555555555),
            Some(&redirect),
            Some("s1"),
        );
        assert_eq!(
            url.as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=11111111-2222-3333-4444-555555555555&state=s1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fconsented"
        );
    }
}
