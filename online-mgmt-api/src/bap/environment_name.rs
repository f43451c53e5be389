//! The name by which the Power Platform admin API addresses an environment: a GUID, or
//! `Default-<tenant id>` for a tenant's default environment.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::AdminError;

const DEFAULT_PREFIX: &str = "Default-";

/// A Power Platform environment's name (its id in the admin API's URLs): a GUID such as
/// `1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b`, or `Default-<tenant id>` for the tenant's default
/// environment. Parse text with [`EnvironmentName::parse`]; a [`Uuid`] converts with `into()`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnvironmentName(Inner);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Inner {
    Id(Uuid),
    Default(Uuid),
}

impl EnvironmentName {
    /// The default environment of `tenant_id` (`Default-<tenant id>`).
    pub fn default_of(tenant_id: Uuid) -> Self {
        EnvironmentName(Inner::Default(tenant_id))
    }

    /// Reads a GUID, or `Default-<GUID>` (the prefix in any case); surrounding white space is
    /// ignored. Anything else is [`AdminError::InvalidInput`] saying where the name is found.
    pub fn parse(text: &str) -> Result<Self, AdminError> {
        let trimmed = text.trim();
        let refused = || {
            AdminError::invalid(
                format!(
                    "environment name `{}`",
                    trimmed.chars().take(100).collect::<String>()
                ),
                "use the Environment ID from the Power Platform admin center > Environments > \
                 your environment (a GUID, or Default-<tenant id> for the default environment)",
            )
        };
        let name = match trimmed.get(..DEFAULT_PREFIX.len()) {
            Some(prefix) if prefix.eq_ignore_ascii_case(DEFAULT_PREFIX) => {
                let tenant =
                    Uuid::try_parse(&trimmed[DEFAULT_PREFIX.len()..]).map_err(|_| refused())?;
                Inner::Default(tenant)
            }
            _ => Inner::Id(Uuid::try_parse(trimmed).map_err(|_| refused())?),
        };
        let id = match name {
            Inner::Id(id) | Inner::Default(id) => id,
        };
        if id.is_nil() {
            return Err(refused());
        }
        Ok(EnvironmentName(name))
    }

    /// The name as a URL path segment; the all-zero GUID (a placeholder, such as from
    /// `Uuid::default()`) is refused.
    pub(crate) fn path_segment(&self) -> Result<String, AdminError> {
        let (Inner::Id(id) | Inner::Default(id)) = self.0;
        if id.is_nil() {
            return Err(AdminError::invalid(
                "environment id (all zeros)",
                "give the real environment id",
            ));
        }
        Ok(self.to_string())
    }

    /// The GUID, for an environment named by one (not a default environment). The Online
    /// Management API addresses an environment by its instance id, a GUID.
    pub fn as_uuid(&self) -> Option<Uuid> {
        match self.0 {
            Inner::Id(id) => Some(id),
            Inner::Default(_) => None,
        }
    }

    /// The tenant whose default environment this is, for `Default-<tenant id>`.
    pub fn default_of_tenant(&self) -> Option<Uuid> {
        match self.0 {
            Inner::Default(tenant) => Some(tenant),
            Inner::Id(_) => None,
        }
    }
}

impl From<Uuid> for EnvironmentName {
    fn from(id: Uuid) -> Self {
        EnvironmentName(Inner::Id(id))
    }
}

impl FromStr for EnvironmentName {
    type Err = AdminError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EnvironmentName::parse(s)
    }
}

impl fmt::Display for EnvironmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Inner::Id(id) => write!(f, "{}", id.hyphenated()),
            Inner::Default(tenant) => write!(f, "{DEFAULT_PREFIX}{}", tenant.hyphenated()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    #[test]
    fn guids_and_default_environments_are_read_and_written_as_bap_writes_them() {
        let id = EnvironmentName::parse(" 1B2C3D4E-5F60-4718-9A0B-1C2D3E4F5A6B ").expect("guid");
        assert_eq!(id.to_string(), "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b");
        assert!(id.as_uuid().is_some());
        let default = EnvironmentName::parse(&format!("default-{TENANT}")).expect("default");
        assert_eq!(default.to_string(), format!("Default-{TENANT}"));
        assert_eq!(default.as_uuid(), None);
        assert_eq!(default.default_of_tenant(), Some(TENANT.parse().unwrap()));
        assert_eq!(
            default,
            EnvironmentName::default_of(TENANT.parse().unwrap())
        );
    }

    #[test]
    fn anything_else_is_refused_with_where_to_find_the_name() {
        for bad in [
            "",
            "contoso",
            "Default-",
            "Default-contoso",
            "00000000-0000-0000-0000-000000000000",
            "Default-00000000-0000-0000-0000-000000000000",
            "../scopes",
        ] {
            let err = EnvironmentName::parse(bad).expect_err(bad);
            assert!(
                err.hint()
                    .unwrap_or_default()
                    .contains("Power Platform admin center"),
                "{bad}: {err}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_a_name_that_round_trips_or_an_error(text in "\\PC{0,60}") {
            if let Ok(name) = EnvironmentName::parse(&text) {
                prop_assert_eq!(EnvironmentName::parse(&name.to_string()).unwrap(), name);
            }
        }

        #[test]
        fn every_guid_names_an_environment(bytes in any::<[u8; 16]>()) {
            let id = Uuid::from_bytes(bytes);
            prop_assume!(!id.is_nil());
            let name = EnvironmentName::from(id);
            prop_assert_eq!(EnvironmentName::parse(&name.to_string()).unwrap(), name.clone());
            let default = EnvironmentName::default_of(id);
            prop_assert_eq!(EnvironmentName::parse(&default.to_string()).unwrap(), default);
        }
    }
}
