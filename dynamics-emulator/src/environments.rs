//! Environments (Dataverse instances) of every tenant and the users present in each. The admin
//! APIs change them; the Dataverse service reads them.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

use crate::error::EmulatorError;
use crate::seed::{InstanceSeed, InstanceState, InstanceType};
use crate::wire_enum::wire_enum;

mod users;

pub(crate) use users::EnvironmentUsers;

wire_enum! {
    /// Who holds an instance's encryption key (the v1.2 `ProtectionStatus`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum ProtectionStatus {
        /// Microsoft-managed key.
        MicrosoftEncrypted,
        /// The tenant's own protection key.
        TenantEncrypted,
    }
}

/// All instances, in the order they were added.
#[derive(Default)]
pub(crate) struct Environments {
    instances: Vec<Instance>,
}

/// One instance (environment).
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub(crate) tenant_id: Uuid,
    pub(crate) id: Uuid,
    pub(crate) unique_name: String,
    pub(crate) friendly_name: String,
    pub(crate) domain_name: String,
    pub(crate) application_url: String,
    pub(crate) api_url: String,
    /// Whether the URLs were derived from the domain name (and follow it when it changes).
    pub(crate) urls_derived: bool,
    pub(crate) version: String,
    pub(crate) state: InstanceState,
    pub(crate) instance_type: InstanceType,
    pub(crate) base_language: i32,
    pub(crate) purpose: Option<String>,
    pub(crate) security_group_id: Option<Uuid>,
    pub(crate) initial_user_email: Option<String>,
    pub(crate) initial_user_principal_name: Option<String>,
    pub(crate) admin_mode: bool,
    pub(crate) background_operations_enabled: bool,
    pub(crate) admin_mode_notification: Option<String>,
    pub(crate) protection_status: ProtectionStatus,
    pub(crate) is_locked: bool,
    pub(crate) additional_properties: BTreeMap<String, String>,
    pub(crate) created_on: OffsetDateTime,
    /// Object IDs of the users present in the environment, in the order they were added.
    pub(crate) users: EnvironmentUsers,
}

impl Instance {
    /// An instance from seed data (validated by [`Environments::add`]).
    pub(crate) fn from_seed(tenant_id: Uuid, seed: InstanceSeed, now: OffsetDateTime) -> Self {
        let domain_name = seed.domain_name.trim().to_ascii_lowercase();
        let urls_derived = seed.application_url.is_none() && seed.api_url.is_none();
        let unique_name = if seed.unique_name.trim().is_empty() {
            let simple = seed.id.simple().to_string();
            format!("org{}", simple.get(..8).unwrap_or(&simple))
        } else {
            seed.unique_name.trim().to_owned()
        };
        let friendly_name = if seed.friendly_name.trim().is_empty() {
            domain_name.clone()
        } else {
            seed.friendly_name
        };
        Self {
            tenant_id,
            id: seed.id,
            unique_name,
            friendly_name,
            application_url: seed
                .application_url
                .unwrap_or_else(|| derived_application_url(&domain_name)),
            api_url: seed
                .api_url
                .unwrap_or_else(|| derived_api_url(&domain_name)),
            domain_name,
            urls_derived,
            version: seed.version,
            state: seed.state,
            instance_type: seed.instance_type,
            base_language: seed.base_language,
            purpose: seed.purpose,
            security_group_id: seed.security_group_id,
            initial_user_principal_name: seed.initial_user_email.clone(),
            initial_user_email: seed.initial_user_email,
            admin_mode: seed.admin_mode,
            background_operations_enabled: true,
            admin_mode_notification: None,
            protection_status: ProtectionStatus::MicrosoftEncrypted,
            is_locked: false,
            additional_properties: BTreeMap::new(),
            created_on: now,
            users: EnvironmentUsers::from(seed.users),
        }
    }

    /// Changes the domain name, and the URLs with it when they were derived from it.
    pub(crate) fn rename_domain(&mut self, domain_name: &str) {
        self.domain_name = domain_name.to_ascii_lowercase();
        if self.urls_derived {
            self.application_url = derived_application_url(&self.domain_name);
            self.api_url = derived_api_url(&self.domain_name);
        }
    }

    /// Whether the instance's type allows deletion, reset and being a restore target: the
    /// non-production types.
    pub(crate) fn is_sandbox_like(&self) -> bool {
        matches!(
            self.instance_type,
            InstanceType::Sandbox
                | InstanceType::Trial
                | InstanceType::Developer
                | InstanceType::Support
                | InstanceType::Preview
        )
    }

    /// Adds a user; `false` if it was already present.
    pub(crate) fn add_user(&mut self, object_id: Uuid) -> bool {
        self.users.add(object_id)
    }
}

/// `https://{domain}.crm.dynamics.com/`.
pub(crate) fn derived_application_url(domain_name: &str) -> String {
    format!("https://{domain_name}.crm.dynamics.com/")
}

/// `https://{domain}.api.crm.dynamics.com`.
fn derived_api_url(domain_name: &str) -> String {
    format!("https://{domain_name}.api.crm.dynamics.com")
}

/// Whether `name` is a valid instance domain name: 1–63 lower-case letters, digits and hyphens,
/// starting with a letter and not ending with a hyphen.
pub(crate) fn is_valid_domain_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && !name.ends_with('-')
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

impl Environments {
    /// Adds an instance after checking its ID, domain, unique name and URLs.
    pub(crate) fn add(&mut self, instance: Instance) -> Result<(), EmulatorError> {
        if instance.id.is_nil() {
            return Err(EmulatorError::seed("an instance needs a non-nil ID"));
        }
        if !is_valid_domain_name(&instance.domain_name) {
            return Err(EmulatorError::seed(format!(
                "instance domain name `{}` must be 1-63 lower-case letters, digits or hyphens, \
                 starting with a letter",
                instance.domain_name
            )));
        }
        for url in [&instance.application_url, &instance.api_url] {
            Url::parse(url)
                .map_err(|e| EmulatorError::seed(format!("instance URL `{url}`: {e}")))?;
        }
        if self.get(instance.id).is_some() {
            return Err(EmulatorError::seed(format!(
                "instance {} already exists",
                instance.id
            )));
        }
        if self.domain_in_use(&instance.domain_name, None) {
            return Err(EmulatorError::seed(format!(
                "instance domain name {} is already in use",
                instance.domain_name
            )));
        }
        if self
            .instances
            .iter()
            .any(|i| i.unique_name.eq_ignore_ascii_case(&instance.unique_name))
        {
            return Err(EmulatorError::seed(format!(
                "instance unique name {} is already in use",
                instance.unique_name
            )));
        }
        self.instances.push(instance);
        Ok(())
    }

    /// Every instance, in the order they were added.
    pub(crate) fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.instances.iter()
    }

    /// The instance with this ID, in any tenant.
    pub(crate) fn get(&self, id: Uuid) -> Option<&Instance> {
        self.instances.iter().find(|i| i.id == id)
    }

    /// The instance with this ID, in any tenant, for changing.
    pub(crate) fn get_mut(&mut self, id: Uuid) -> Option<&mut Instance> {
        self.instances.iter_mut().find(|i| i.id == id)
    }

    /// The instance with this ID if it belongs to the tenant.
    pub(crate) fn in_tenant(&self, tenant_id: Uuid, id: Uuid) -> Option<&Instance> {
        self.get(id).filter(|i| i.tenant_id == tenant_id)
    }

    /// The tenant's instances, in the order they were added.
    pub(crate) fn of_tenant(&self, tenant_id: Uuid) -> impl Iterator<Item = &Instance> {
        self.instances
            .iter()
            .filter(move |i| i.tenant_id == tenant_id)
    }

    /// Every instance of the tenant, for changing.
    pub(crate) fn of_tenant_mut(&mut self, tenant_id: Uuid) -> impl Iterator<Item = &mut Instance> {
        self.instances
            .iter_mut()
            .filter(move |i| i.tenant_id == tenant_id)
    }

    /// Removes an instance.
    pub(crate) fn remove(&mut self, id: Uuid) -> Option<Instance> {
        let position = self.instances.iter().position(|i| i.id == id)?;
        Some(self.instances.remove(position))
    }

    /// Whether an instance other than `except` uses this domain name (any case).
    pub(crate) fn domain_in_use(&self, domain_name: &str, except: Option<Uuid>) -> bool {
        self.instances
            .iter()
            .any(|i| Some(i.id) != except && i.domain_name.eq_ignore_ascii_case(domain_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_checked() {
        assert!(is_valid_domain_name("contoso-dev2"));
        assert!(!is_valid_domain_name(""));
        assert!(!is_valid_domain_name("2contoso"));
        assert!(!is_valid_domain_name("Contoso"));
        assert!(!is_valid_domain_name("contoso-"));
        assert!(!is_valid_domain_name("con toso"));
        assert!(!is_valid_domain_name(&"a".repeat(64)));
    }

    #[test]
    fn derived_urls_follow_a_new_domain() {
        let seed = InstanceSeed::new(Uuid::new_v4(), "alpha");
        let mut instance = Instance::from_seed(Uuid::new_v4(), seed, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(instance.application_url, "https://alpha.crm.dynamics.com/");
        assert!(instance.unique_name.starts_with("org"));
        instance.rename_domain("beta");
        assert_eq!(instance.api_url, "https://beta.api.crm.dynamics.com");
    }
}
