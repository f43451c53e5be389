//! Where the Online Management API lives: one service URL per region, and custom endpoints
//! (the emulator, a proxy).

use std::fmt;
use std::str::FromStr;

use dynamics_auth::secure_url;
use url::Url;

use crate::AdminError;

/// A region with a documented Online Management API service URL
/// (`https://admin.services.crm{N}.dynamics.com`).
///
/// Regions opened after the API was deprecated (South Africa `crm14`, UAE `crm15`, Germany
/// `crm16`, Switzerland `crm17`, Norway `crm19`, Singapore `crm20`, Korea `crm21`) have no
/// documented admin host: use the Power Platform admin API
/// ([`PowerPlatformAdminClient`](crate::PowerPlatformAdminClient)) there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// North America, `crm`.
    NorthAmerica,
    /// North America 2 (also US GCC), `crm9`.
    NorthAmerica2,
    /// Europe, Middle East and Africa, `crm4`.
    Emea,
    /// Asia Pacific, `crm5`.
    Apac,
    /// Oceania, `crm6`.
    Oceania,
    /// Japan, `crm7`.
    Japan,
    /// South America, `crm2`.
    SouthAmerica,
    /// India, `crm8`.
    India,
    /// Canada, `crm3`.
    Canada,
    /// United Kingdom, `crm11`.
    UnitedKingdom,
    /// France, `crm12`.
    France,
}

impl Region {
    /// Every region with a documented service URL.
    pub const ALL: [Region; 11] = [
        Region::NorthAmerica,
        Region::NorthAmerica2,
        Region::Emea,
        Region::Apac,
        Region::Oceania,
        Region::Japan,
        Region::SouthAmerica,
        Region::India,
        Region::Canada,
        Region::UnitedKingdom,
        Region::France,
    ];

    /// The `crm{N}` label this region's hosts carry: `crm4` for EMEA, `crm` for North America.
    pub fn crm_host_label(self) -> &'static str {
        match self {
            Region::NorthAmerica => "crm",
            Region::NorthAmerica2 => "crm9",
            Region::Emea => "crm4",
            Region::Apac => "crm5",
            Region::Oceania => "crm6",
            Region::Japan => "crm7",
            Region::SouthAmerica => "crm2",
            Region::India => "crm8",
            Region::Canada => "crm3",
            Region::UnitedKingdom => "crm11",
            Region::France => "crm12",
        }
    }

    /// The display name, as Microsoft's service URL table writes it: `EMEA`, `North America 2`.
    pub fn name(self) -> &'static str {
        match self {
            Region::NorthAmerica => "North America",
            Region::NorthAmerica2 => "North America 2",
            Region::Emea => "EMEA",
            Region::Apac => "APAC",
            Region::Oceania => "Oceania",
            Region::Japan => "Japan",
            Region::SouthAmerica => "South America",
            Region::India => "India",
            Region::Canada => "Canada",
            Region::UnitedKingdom => "United Kingdom",
            Region::France => "France",
        }
    }

    /// The service URL: `https://admin.services.crm4.dynamics.com/` for EMEA.
    pub fn service_url(self) -> Url {
        let text = format!(
            "https://admin.services.{}.dynamics.com/",
            self.crm_host_label()
        );
        // Built from our own fixed labels, so always a valid URL.
        Url::parse(&text).unwrap_or_else(|_| unreachable!("fixed service URL {text}"))
    }

    /// The region of a Dataverse org URL (`https://contoso.crm4.dynamics.com` or just
    /// `contoso.crm4.dynamics.com`; `*.api.crm4...` and the admin host itself work too).
    ///
    /// A `crm14` or later host gives [`AdminError::NoAdminHost`]; a host outside
    /// `dynamics.com` (sovereign clouds, anything else) gives [`AdminError::NoAdminHost`] or
    /// [`AdminError::InvalidInput`].
    pub fn from_dataverse_url(org_url: &str) -> Result<Region, AdminError> {
        let text = org_url.trim();
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("https://{text}")
        };
        let invalid = |why: &str| AdminError::InvalidInput {
            what: format!("Dataverse org URL `{}`", secure_url::redact(org_url)),
            fix: format!("{why}; give the org URL such as https://contoso.crm4.dynamics.com"),
        };
        let url = Url::parse(&with_scheme).map_err(|e| invalid(&format!("not a URL ({e})")))?;
        if secure_url::has_user_info(&url) {
            return Err(invalid(
                "it carries user info (user@ or user:password@ before the host); remove it",
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| invalid("it has no host"))?
            .trim_end_matches('.')
            .to_ascii_lowercase();
        for sovereign in [
            "crm.microsoftdynamics.us",
            "crm.appsplatform.us",
            "crm.dynamics.cn",
        ] {
            if host == sovereign || host.ends_with(&format!(".{sovereign}")) {
                return Err(AdminError::NoAdminHost {
                    region_label: sovereign.to_string(),
                });
            }
        }
        let Some(rest) = host.strip_suffix(".dynamics.com") else {
            return Err(invalid(
                "the host is not a Dynamics 365 host (*.dynamics.com)",
            ));
        };
        let label = rest.rsplit('.').next().unwrap_or(rest);
        let is_crm_label = label
            .strip_prefix("crm")
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        if !is_crm_label || label == rest {
            return Err(invalid(
                "the host has no crm{N} label (expected <org>.crm{N}.dynamics.com)",
            ));
        }
        Region::ALL
            .into_iter()
            .find(|r| r.crm_host_label() == label)
            .ok_or_else(|| AdminError::NoAdminHost {
                region_label: label.to_string(),
            })
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Region::NorthAmerica => &["northamerica", "na", "nam", "crm"],
            Region::NorthAmerica2 => &["northamerica2", "na2", "crm9"],
            Region::Emea => &["emea", "europe", "eur", "crm4"],
            Region::Apac => &["apac", "asiapacific", "asia", "crm5"],
            Region::Oceania => &["oceania", "oce", "australia", "crm6"],
            Region::Japan => &["japan", "jpn", "crm7"],
            Region::SouthAmerica => &["southamerica", "sam", "latam", "crm2"],
            Region::India => &["india", "ind", "crm8"],
            Region::Canada => &["canada", "can", "crm3"],
            Region::UnitedKingdom => &["unitedkingdom", "uk", "gbr", "crm11"],
            Region::France => &["france", "fra", "crm12"],
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Region {
    type Err = AdminError;

    /// Accepts the display name (`EMEA`, `North America 2`), the variant name
    /// (`NorthAmerica2`), the host label (`crm4`) and short codes (`na`, `uk`, `fra`, `jpn`,
    /// ...), case-insensitively, ignoring spaces, dashes and underscores.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Region::ALL
            .into_iter()
            .find(|r| r.aliases().contains(&key.as_str()))
            .ok_or_else(|| {
                let names: Vec<String> = Region::ALL
                    .iter()
                    .map(|r| format!("{} ({})", r.name(), r.crm_host_label()))
                    .collect();
                AdminError::InvalidInput {
                    what: format!("region `{s}`"),
                    fix: format!("use one of: {}", names.join(", ")),
                }
            })
    }
}

/// Where to send Online Management API requests: a region's service URL, or any other
/// (the emulator, a proxy).
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceEndpoint {
    /// A region's documented service URL.
    Region(Region),
    /// Another base URL: `https`, or plain `http` to loopback only. A path is kept as a
    /// prefix (`http://127.0.0.1:7070/admin/` sends `/admin/api/v1.2/...`).
    Custom(Url),
}

impl ServiceEndpoint {
    /// Reads a region name (anything [`Region::from_str`] takes) or a URL. A URL that is a
    /// region's service URL becomes that region.
    pub fn parse(s: &str) -> Result<Self, AdminError> {
        let text = s.trim();
        if !text.contains("://") {
            return text
                .parse::<Region>()
                .map(ServiceEndpoint::Region)
                .map_err(|e| match e {
                    AdminError::InvalidInput { what, fix } => AdminError::InvalidInput {
                        what: format!("service endpoint ({what})"),
                        fix: format!(
                            "{fix}; or give a URL such as https://admin.services.crm4.dynamics.com"
                        ),
                    },
                    other => other,
                });
        }
        let url = secure_url::parse_secure_url("Online Management API service URL", text).map_err(
            |e| AdminError::InvalidInput {
                what: format!("service URL `{}`", secure_url::redact(text)),
                fix: e.to_string(),
            },
        )?;
        Self::from_url(url)
    }

    /// A custom endpoint from a URL, checked like [`ServiceEndpoint::parse`].
    pub fn from_url(url: Url) -> Result<Self, AdminError> {
        secure_url::ensure_secure("Online Management API service URL", &url).map_err(|e| {
            AdminError::InvalidInput {
                what: format!("service URL `{}`", secure_url::redact_url(&url)),
                fix: e.to_string(),
            }
        })?;
        if url.query().is_some() || url.fragment().is_some() || secure_url::has_user_info(&url) {
            return Err(AdminError::InvalidInput {
                what: format!("service URL `{}`", dynamics_http::redacted_url(&url)),
                fix: "give the base URL only, without user info, query or fragment".into(),
            });
        }
        let path_is_root = url.path() == "/" || url.path().is_empty();
        if path_is_root
            && url.scheme() == "https"
            && url.port().is_none()
            && let Some(region) = Region::ALL
                .into_iter()
                .find(|r| r.service_url().host_str() == url.host_str())
        {
            return Ok(ServiceEndpoint::Region(region));
        }
        let mut url = url;
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(ServiceEndpoint::Custom(url))
    }

    /// The base URL, ending with `/`.
    pub fn url(&self) -> Url {
        match self {
            ServiceEndpoint::Region(r) => r.service_url(),
            ServiceEndpoint::Custom(u) => {
                let mut u = u.clone();
                if !u.path().ends_with('/') {
                    let path = format!("{}/", u.path());
                    u.set_path(&path);
                }
                u
            }
        }
    }
}

impl From<Region> for ServiceEndpoint {
    fn from(region: Region) -> Self {
        ServiceEndpoint::Region(region)
    }
}

impl fmt::Display for ServiceEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceEndpoint::Region(r) => write!(f, "{} ({})", r.name(), r.service_url()),
            ServiceEndpoint::Custom(u) => f.write_str(u.as_str()),
        }
    }
}

impl FromStr for ServiceEndpoint {
    type Err = AdminError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceEndpoint::parse(s)
    }
}
