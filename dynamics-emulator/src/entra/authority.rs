//! The `{tenant}` path segment: a tenant GUID or domain, or `common` / `organizations` /
//! `consumers`, and how a client app is found through it.

use uuid::Uuid;

use super::error::AadError;
use crate::directory::{App, Directory, Tenant};

/// What the `{tenant}` path segment names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authority {
    /// A specific tenant (by GUID or domain).
    Tenant(Uuid),
    /// `common`: work accounts of any tenant (the emulator has no personal accounts).
    Common,
    /// `organizations`: work accounts of any tenant.
    Organizations,
    /// `consumers`: personal accounts, which the emulator does not have.
    Consumers,
}

impl Authority {
    /// Resolves a path segment; an unknown tenant is AADSTS90002.
    pub(crate) fn resolve(directory: &Directory, segment: &str) -> Result<Self, AadError> {
        match segment.to_ascii_lowercase().as_str() {
            "common" => Ok(Self::Common),
            "organizations" => Ok(Self::Organizations),
            "consumers" => Ok(Self::Consumers),
            _ => directory
                .find_tenant(segment)
                .map(|tenant| Self::Tenant(tenant.id))
                .ok_or_else(|| AadError::unknown_tenant(segment)),
        }
    }

    /// The tenant ID, for a tenant-specific authority.
    pub(crate) fn tenant_id(self) -> Option<Uuid> {
        match self {
            Self::Tenant(id) => Some(id),
            _ => None,
        }
    }

    /// Finds the client app for a user flow. On `common` and `organizations` the app's home
    /// tenant (the first tenant it was registered in) is used; `consumers` is AADSTS9001023.
    pub(crate) fn client_app<'d>(
        self,
        directory: &'d Directory,
        segment: &str,
        client_id: &str,
    ) -> Result<(&'d Tenant, &'d App), AadError> {
        let parsed = Uuid::parse_str(client_id).ok();
        let tenant = match self {
            Self::Tenant(id) => directory.tenant(id),
            Self::Common | Self::Organizations => {
                parsed.and_then(|id| directory.home_tenant_of(id))
            }
            Self::Consumers => return Err(AadError::tenant_required(segment)),
        };
        let tenant = tenant.ok_or_else(|| AadError::unknown_app(client_id, segment))?;
        let app = parsed
            .and_then(|id| tenant.app(id))
            .ok_or_else(|| AadError::unknown_app(client_id, &tenant.domain))?;
        Ok((tenant, app))
    }

    /// Whether a grant issued in `tenant_id` may be redeemed through this authority.
    pub(crate) fn admits(self, tenant_id: Uuid) -> bool {
        match self {
            Self::Tenant(id) => id == tenant_id,
            Self::Common | Self::Organizations => true,
            Self::Consumers => false,
        }
    }
}
