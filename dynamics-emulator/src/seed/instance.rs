//! Seed types for environments (Dataverse instances): their state, type and settings.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire_enum::wire_enum;

wire_enum! {
    /// The state of an instance (the Online Management API's `InstanceState`).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum InstanceState {
        /// No state.
        None,
        /// Ready for use (the default).
        #[default]
        Ready,
        /// Being provisioned or changed.
        Pending,
        /// Inactive.
        Inactive,
        /// Disabled.
        Disabled,
        /// Provisioning failed.
        FailedProvisioning,
        /// Being prepared.
        PreparingInstance,
        /// Provisioned, waiting for configuration.
        ReadyToConfigure,
        /// Locked.
        Locked,
    }
}

wire_enum! {
    /// The type of an instance (the Online Management API's `InstanceType`; `Default` and
    /// `Developer` exist from v1.2 on).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum InstanceType {
        /// No type.
        None,
        /// A production environment (the default).
        #[default]
        Production,
        /// A sandbox: the only kind that can be reset, deleted or restored into.
        Sandbox,
        /// A support environment.
        Support,
        /// A preview environment.
        Preview,
        /// A trial environment.
        Trial,
        /// The tenant's default environment (v1.2).
        Default,
        /// A developer environment (v1.2).
        Developer,
    }
}

/// An environment (Dataverse instance) of a tenant, as the admin APIs report it.
///
/// The instance ID is also its Power Platform (BAP) environment name. `Default` gives the nil ID,
/// which [`Seeder::add_instance`](crate::Seeder::add_instance) rejects: use
/// [`InstanceSeed::new`] or set `id` and `domain_name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstanceSeed {
    /// The instance ID (`Id`), also the BAP environment name.
    pub id: Uuid,
    /// The sub-domain, e.g. `contoso` for `https://contoso.crm.dynamics.com/`. Lower-case letters,
    /// digits and hyphens, starting with a letter; unique across the emulator.
    pub domain_name: String,
    /// `UniqueName`; derived from the ID (`org` + 8 hex digits) when empty.
    pub unique_name: String,
    /// `FriendlyName` (the BAP display name); the domain name when empty.
    pub friendly_name: String,
    /// `ApplicationUrl`, the organisation URL; `https://{domain_name}.crm.dynamics.com/` when `None`.
    pub application_url: Option<String>,
    /// `ApiUrl`; `https://{domain_name}.api.crm.dynamics.com` when `None`.
    pub api_url: Option<String>,
    /// `Version`, e.g. `9.2.24101.00201`.
    pub version: String,
    /// `State`. Default [`InstanceState::Ready`].
    pub state: InstanceState,
    /// `Type`. Default [`InstanceType::Production`].
    #[serde(rename = "type")]
    pub instance_type: InstanceType,
    /// `BaseLanguage` (LCID). Default 1033.
    pub base_language: i32,
    /// `Purpose`.
    pub purpose: Option<String>,
    /// `SecurityGroupId`.
    pub security_group_id: Option<Uuid>,
    /// `InitialUserEmail`.
    pub initial_user_email: Option<String>,
    /// `AdminMode`.
    pub admin_mode: bool,
    /// Object IDs of the tenant's users already present in the environment (the users that
    /// ApplyUser and BAP `addUser` add to). Each must be a user of the tenant.
    pub users: Vec<Uuid>,
}

impl InstanceSeed {
    /// A ready production instance with this ID and domain name; fill in the rest with struct
    /// update syntax.
    pub fn new(id: Uuid, domain_name: impl Into<String>) -> Self {
        Self {
            id,
            domain_name: domain_name.into(),
            ..Self::default()
        }
    }
}

impl Default for InstanceSeed {
    fn default() -> Self {
        Self {
            id: Uuid::nil(),
            domain_name: String::new(),
            unique_name: String::new(),
            friendly_name: String::new(),
            application_url: None,
            api_url: None,
            version: DEFAULT_INSTANCE_VERSION.to_owned(),
            state: InstanceState::Ready,
            instance_type: InstanceType::Production,
            base_language: 1033,
            purpose: None,
            security_group_id: None,
            initial_user_email: None,
            admin_mode: false,
            users: Vec::new(),
        }
    }
}

/// The version of instances seeded without one.
const DEFAULT_INSTANCE_VERSION: &str = "9.2.24101.00201";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_enum::WireEnum;

    #[test]
    fn positions_follow_the_spec() {
        assert_eq!(InstanceState::Pending.index(), 2);
        assert_eq!(InstanceState::FailedProvisioning.index(), 5);
        assert_eq!(InstanceType::Sandbox.index(), 2);
        assert_eq!(InstanceType::Developer.index(), 7);
    }

    #[test]
    fn seed_json_uses_snake_case() {
        let seed: InstanceSeed = serde_json::from_str(
            r#"{"id":"5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b","domain_name":"fab","type":"sandbox"}"#,
        )
        .expect("parses");
        assert_eq!(seed.instance_type, InstanceType::Sandbox);
        assert_eq!(seed.base_language, 1033);
        assert_eq!(seed.state, InstanceState::Ready);
    }
}
