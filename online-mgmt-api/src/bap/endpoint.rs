//! Where the Power Platform admin API lives, per cloud, and the scope its tokens need.

use dynamics_auth::{Cloud, secure_url};
use url::Url;

use crate::AdminError;

/// The Power Platform admin API of a cloud, or another base URL (the emulator, a proxy).
#[derive(Clone, Debug, PartialEq)]
pub enum BapEndpoint {
    /// A Microsoft cloud: public `https://api.bap.microsoft.com`, GCC
    /// `https://gov.api.bap.microsoft.us`, GCC High `https://high.api.bap.microsoft.us`,
    /// DoD `https://api.bap.appsplatform.us`, China `https://api.bap.partner.microsoftonline.cn`;
    /// the scope is `dynamics_auth::Cloud::bap_scope`.
    Cloud(Cloud),
    /// Another base URL (`https`, or `http` to loopback) and the scope to sign in for.
    Custom {
        /// The base URL; a path is kept as a prefix.
        base_url: Url,
        /// The scope, such as `https://service.powerapps.com/.default`.
        scope: String,
    },
}

impl Default for BapEndpoint {
    fn default() -> Self {
        BapEndpoint::Cloud(Cloud::Public)
    }
}

impl BapEndpoint {
    /// The base URL (ending with `/`).
    pub fn base_url(&self) -> Result<Url, AdminError> {
        let mut url = match self {
            BapEndpoint::Cloud(cloud) => {
                let host = bap_host(*cloud).ok_or_else(|| {
                    AdminError::invalid(
                        format!("cloud {cloud}"),
                        "no Power Platform admin host is known for it: use BapEndpoint::Custom",
                    )
                })?;
                Url::parse(host).map_err(|e| AdminError::invalid("BAP host", e.to_string()))?
            }
            BapEndpoint::Custom { base_url, .. } => {
                secure_url::ensure_secure("Power Platform admin API URL", base_url).map_err(
                    |e| {
                        AdminError::invalid(
                            format!("BAP URL `{}`", secure_url::redact_url(base_url)),
                            e.to_string(),
                        )
                    },
                )?;
                if base_url.cannot_be_a_base()
                    || base_url.query().is_some()
                    || base_url.fragment().is_some()
                {
                    return Err(AdminError::invalid(
                        format!("BAP URL `{}`", dynamics_http::redacted_url(base_url)),
                        "give the base URL only, such as https://api.bap.microsoft.com",
                    ));
                }
                base_url.clone()
            }
        };
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }

    /// The scope tokens are asked for.
    pub fn scope(&self) -> String {
        match self {
            BapEndpoint::Cloud(cloud) => cloud.bap_scope().to_string(),
            BapEndpoint::Custom { scope, .. } => scope.clone(),
        }
    }
}

fn bap_host(cloud: Cloud) -> Option<&'static str> {
    match cloud {
        Cloud::Public => Some("https://api.bap.microsoft.com/"),
        Cloud::UsGovernmentGcc => Some("https://gov.api.bap.microsoft.us/"),
        Cloud::UsGovernmentHigh => Some("https://high.api.bap.microsoft.us/"),
        Cloud::UsGovernmentDod => Some("https://api.bap.appsplatform.us/"),
        Cloud::China => Some("https://api.bap.partner.microsoftonline.cn/"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_has_a_host_and_scope() {
        let expected = [
            (
                Cloud::Public,
                "https://api.bap.microsoft.com/",
                "https://service.powerapps.com/.default",
            ),
            (
                Cloud::UsGovernmentGcc,
                "https://gov.api.bap.microsoft.us/",
                "https://service.powerapps.us/.default",
            ),
            (
                Cloud::UsGovernmentHigh,
                "https://high.api.bap.microsoft.us/",
                "https://high.service.apps.appsplatform.us/.default",
            ),
            (
                Cloud::UsGovernmentDod,
                "https://api.bap.appsplatform.us/",
                "https://service.apps.appsplatform.us/.default",
            ),
            (
                Cloud::China,
                "https://api.bap.partner.microsoftonline.cn/",
                "https://service.powerapps.cn/.default",
            ),
        ];
        for (cloud, host, scope) in expected {
            let e = BapEndpoint::Cloud(cloud);
            assert_eq!(e.base_url().expect("host").as_str(), host);
            assert_eq!(e.scope(), scope);
        }
        let custom = BapEndpoint::Custom {
            base_url: Url::parse("http://example.com").expect("url"),
            scope: "x/.default".into(),
        };
        assert!(custom.base_url().is_err(), "plain http off loopback");
    }
}
