//! National clouds: where to sign in, and the admin API scopes that differ per cloud.

use std::fmt;
use std::str::FromStr;

use crate::AuthError;

/// A Microsoft cloud. Each has its own Entra ID authority host and admin API audiences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Cloud {
    /// The public (commercial) cloud, `login.microsoftonline.com`.
    #[default]
    Public,
    /// US Government Community Cloud ("GCC moderate"): public sign-in, government admin APIs.
    UsGovernmentGcc,
    /// US Government GCC High, `login.microsoftonline.us`.
    UsGovernmentHigh,
    /// US Department of Defense, `login.microsoftonline.us`.
    UsGovernmentDod,
    /// China, operated by 21Vianet, `login.partner.microsoftonline.cn`.
    China,
}

impl Cloud {
    /// Every cloud, for listings.
    pub const ALL: [Cloud; 5] = [
        Cloud::Public,
        Cloud::UsGovernmentGcc,
        Cloud::UsGovernmentHigh,
        Cloud::UsGovernmentDod,
        Cloud::China,
    ];

    /// The Entra ID authority host, without a trailing slash.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public | Cloud::UsGovernmentGcc => "https://login.microsoftonline.com",
            Cloud::UsGovernmentHigh | Cloud::UsGovernmentDod => "https://login.microsoftonline.us",
            // The Entra docs name this host; older tools use login.chinacloudapi.cn.
            Cloud::China => "https://login.partner.microsoftonline.cn",
        }
    }

    /// Every Entra ID sign-in host of this cloud (host names, lower case): the documented
    /// authority host first, then the older aliases Microsoft still serves.
    pub fn authority_host_names(self) -> &'static [&'static str] {
        match self {
            // login.windows.net is the older alias the Online Management API's Swagger names.
            Cloud::Public | Cloud::UsGovernmentGcc => {
                &["login.microsoftonline.com", "login.windows.net"]
            }
            Cloud::UsGovernmentHigh | Cloud::UsGovernmentDod => &["login.microsoftonline.us"],
            Cloud::China => &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
        }
    }

    /// `true` when `host` (a host name, any case, optionally with a trailing dot) is one of
    /// this cloud's Entra ID sign-in hosts.
    pub fn is_authority_host(self, host: &str) -> bool {
        let host = normalize_host(host);
        self.authority_host_names().iter().any(|h| *h == host)
    }

    /// The clouds whose Entra ID sign-in host `host` is (GCC shares the public host, so a
    /// public host gives both), empty for any other host. Microsoft Cloud Deutschland
    /// (`login.microsoftonline.de`) closed in 2021 and is not listed.
    pub fn of_authority_host(host: &str) -> Vec<Cloud> {
        Cloud::ALL
            .into_iter()
            .filter(|c| c.is_authority_host(host))
            .collect()
    }

    /// The Online Management API (admin) host names this cloud documents or derives from its
    /// Dataverse domain: `admin.services.crm.dynamics.com` and the regional
    /// `admin.services.crm{N}.dynamics.com` for the public cloud and GCC (whose admin host is
    /// `crm9`), `admin.services.crm.microsoftdynamics.us` (GCC High),
    /// `admin.services.crm.appsplatform.us` (DoD), `admin.services.crm.dynamics.cn` (China).
    ///
    /// `true` when `host` (a host name, any case) is one of them.
    pub fn is_admin_service_host(self, host: &str) -> bool {
        let host = normalize_host(host);
        match self {
            Cloud::Public | Cloud::UsGovernmentGcc => host
                .strip_prefix("admin.services.crm")
                .and_then(|rest| rest.strip_suffix(".dynamics.com"))
                .is_some_and(|n| {
                    n.is_empty()
                        || (n.len() <= 2
                            && !n.starts_with('0')
                            && n.bytes().all(|b| b.is_ascii_digit()))
                }),
            Cloud::UsGovernmentHigh => host == "admin.services.crm.microsoftdynamics.us",
            Cloud::UsGovernmentDod => host == "admin.services.crm.appsplatform.us",
            Cloud::China => host == "admin.services.crm.dynamics.cn",
        }
    }

    /// The clouds `host` is an admin (Online Management API) host of; empty for any other.
    pub fn of_admin_service_host(host: &str) -> Vec<Cloud> {
        Cloud::ALL
            .into_iter()
            .filter(|c| c.is_admin_service_host(host))
            .collect()
    }

    /// The scope for the Power Platform admin API ("BAP", `api.bap.microsoft.com` and its
    /// national equivalents), which succeeds the Online Management API.
    pub fn bap_scope(self) -> &'static str {
        match self {
            Cloud::Public => "https://service.powerapps.com/.default",
            Cloud::UsGovernmentGcc => "https://service.powerapps.us/.default",
            Cloud::UsGovernmentHigh => "https://high.service.apps.appsplatform.us/.default",
            Cloud::UsGovernmentDod => "https://service.apps.appsplatform.us/.default",
            Cloud::China => "https://service.powerapps.cn/.default",
        }
    }

    /// The scope for the Power Platform API (`api.powerplatform.com` and equivalents).
    pub fn power_platform_api_scope(self) -> &'static str {
        match self {
            Cloud::Public => "https://api.powerplatform.com/.default",
            Cloud::UsGovernmentGcc => "https://api.gov.powerplatform.microsoft.us/.default",
            Cloud::UsGovernmentHigh | Cloud::UsGovernmentDod => {
                "https://api.appsplatform.us/.default"
            }
            Cloud::China => "https://api.powerplatform.partner.microsoftonline.cn/.default",
        }
    }

    /// The short name accepted by [`Cloud::from_str`].
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::UsGovernmentGcc => "usgov",
            Cloud::UsGovernmentHigh => "usgovhigh",
            Cloud::UsGovernmentDod => "dod",
            Cloud::China => "china",
        }
    }
}

fn normalize_host(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cloud {
    type Err = AuthError;

    /// Accepts the short names (`public`, `usgov`, `usgovhigh`, `dod`, `china`) and common
    /// spellings (`gcc`, `gcchigh`, `azurechina`, ...), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "public" | "global" | "commercial" | "azurepublic" | "azurecloud" => Ok(Cloud::Public),
            "usgov" | "gcc" | "usgovernment" | "usgovernmentgcc" => Ok(Cloud::UsGovernmentGcc),
            "usgovhigh" | "gcchigh" | "usgovernmenthigh" => Ok(Cloud::UsGovernmentHigh),
            "dod" | "usdod" | "usgovernmentdod" => Ok(Cloud::UsGovernmentDod),
            "china" | "azurechina" | "mooncake" | "21vianet" => Ok(Cloud::China),
            _ => Err(AuthError::invalid(
                "cloud",
                s,
                "use one of: public, usgov, usgovhigh, dod, china",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for cloud in Cloud::ALL {
            assert_eq!(cloud.name().parse::<Cloud>().expect("parses"), cloud);
        }
        assert_eq!(
            "GCC High".parse::<Cloud>().expect("parses"),
            Cloud::UsGovernmentHigh
        );
        assert!("mars".parse::<Cloud>().is_err());
    }

    #[test]
    fn government_clouds_sign_in_at_the_us_host() {
        assert_eq!(
            Cloud::UsGovernmentDod.authority_host(),
            "https://login.microsoftonline.us"
        );
        assert_eq!(
            Cloud::UsGovernmentGcc.authority_host(),
            "https://login.microsoftonline.com"
        );
        assert_eq!(
            Cloud::Public.bap_scope(),
            "https://service.powerapps.com/.default"
        );
    }

    #[test]
    fn sign_in_hosts_are_known_per_cloud() {
        assert_eq!(
            Cloud::of_authority_host("LOGIN.microsoftonline.com."),
            vec![Cloud::Public, Cloud::UsGovernmentGcc]
        );
        assert_eq!(
            Cloud::of_authority_host("login.chinacloudapi.cn"),
            vec![Cloud::China]
        );
        assert!(Cloud::UsGovernmentHigh.is_authority_host("login.microsoftonline.us"));
        assert!(!Cloud::Public.is_authority_host("login.microsoftonline.us"));
        for other in [
            "evil.example.com",
            "login.microsoftonline.com.evil.example",
            "xlogin.microsoftonline.com",
            "127.0.0.1",
            "login.microsoftonline.de",
        ] {
            assert!(Cloud::of_authority_host(other).is_empty(), "{other}");
        }
    }

    #[test]
    fn admin_hosts_are_known_per_cloud() {
        for host in [
            "admin.services.crm.dynamics.com",
            "admin.services.crm4.dynamics.com",
            "admin.services.crm12.dynamics.com",
            "ADMIN.services.crm9.dynamics.com.",
        ] {
            assert!(Cloud::Public.is_admin_service_host(host), "{host}");
        }
        assert_eq!(
            Cloud::of_admin_service_host("admin.services.crm.microsoftdynamics.us"),
            vec![Cloud::UsGovernmentHigh]
        );
        for other in [
            "graph.microsoft.com",
            "admin.services.crm.dynamics.com.evil.example",
            "admin.services.crmx.dynamics.com",
            "admin.services.crm004.dynamics.com",
            "evil.admin.services.crm.dynamics.com",
            "contoso.crm.dynamics.com",
        ] {
            assert!(Cloud::of_admin_service_host(other).is_empty(), "{other}");
        }
    }
}
