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
}
