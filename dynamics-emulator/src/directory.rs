//! The directory: tenants and what they contain (apps, users, resources, consents).

mod users;

use std::collections::{BTreeMap, HashSet};

use jsonwebtoken::DecodingKey;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::certificate::pem_contents;
use crate::der;
use crate::error::EmulatorError;
use crate::resource;
use crate::seed::{AdminRole, AppSeed, MfaState, SecretSeed, TenantSeed, UserSeed};

pub(crate) use users::Users;

/// All tenants, in the order they were added.
#[derive(Default)]
pub(crate) struct Directory {
    tenants: Vec<Tenant>,
}

/// One tenant.
pub(crate) struct Tenant {
    pub(crate) id: Uuid,
    pub(crate) domain: String,
    pub(crate) apps: Vec<App>,
    pub(crate) users: Users,
    pub(crate) resources: Vec<Resource>,
    /// (client ID, resource key) pairs with delegated consent.
    consents: HashSet<(Uuid, String)>,
}

/// An app registration with its service principal.
pub(crate) struct App {
    pub(crate) client_id: Uuid,
    pub(crate) display_name: String,
    pub(crate) secrets: Vec<SecretSeed>,
    pub(crate) certificates: Vec<RegisteredCertificate>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) public_client: bool,
    /// App roles per resource key.
    pub(crate) app_roles: BTreeMap<String, Vec<String>>,
    pub(crate) service_principal_id: Uuid,
}

/// A certificate credential: its thumbprints and public key.
pub(crate) struct RegisteredCertificate {
    pub(crate) sha1: [u8; 20],
    pub(crate) sha256: [u8; 32],
    pub(crate) key: DecodingKey,
}

/// A user account.
pub(crate) struct User {
    pub(crate) object_id: Uuid,
    pub(crate) upn: String,
    pub(crate) password: String,
    pub(crate) mfa: MfaState,
    pub(crate) display_name: String,
    pub(crate) admin_roles: Vec<AdminRole>,
    pub(crate) licensed: bool,
    /// The profile Microsoft Graph serves.
    pub(crate) profile: Profile,
    /// Insertion order within the tenant (set by [`Users`]).
    pub(crate) added: u64,
}

/// A user's directory profile: what Microsoft Graph returns besides ID, UPN and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Profile {
    pub(crate) given_name: Option<String>,
    pub(crate) surname: Option<String>,
    pub(crate) mail: Option<String>,
    pub(crate) department: Option<String>,
    pub(crate) job_title: Option<String>,
    pub(crate) office_location: Option<String>,
    pub(crate) city: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) usage_location: Option<String>,
    pub(crate) account_enabled: bool,
    pub(crate) licences: Vec<Uuid>,
}

/// A resource service principal (token audience).
pub(crate) struct Resource {
    /// As registered, without trailing slash: the `aud` of tokens for it.
    pub(crate) uri: String,
    /// Comparison key (see [`resource::key`]).
    pub(crate) key: String,
}

impl Directory {
    /// The tenant with this ID.
    pub(crate) fn tenant(&self, id: Uuid) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == id)
    }

    fn tenant_mut(&mut self, id: Uuid) -> Result<&mut Tenant, EmulatorError> {
        self.tenants
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| EmulatorError::seed(format!("unknown tenant {id}")))
    }

    /// The tenant named by an authority path segment: its GUID or its domain (any case).
    pub(crate) fn find_tenant(&self, segment: &str) -> Option<&Tenant> {
        match Uuid::parse_str(segment) {
            Ok(id) => self.tenant(id),
            Err(_) => self
                .tenants
                .iter()
                .find(|t| t.domain.eq_ignore_ascii_case(segment)),
        }
    }

    /// Whether any tenant has a user with this object ID.
    pub(crate) fn has_user(&self, object_id: Uuid) -> bool {
        self.tenants.iter().any(|t| t.user(object_id).is_some())
    }

    /// The first tenant added (the one admin-API challenges name).
    pub(crate) fn first_tenant_id(&self) -> Option<Uuid> {
        self.tenants.first().map(|t| t.id)
    }

    /// Applies `change` to the user with this object ID in every tenant that has it; fails if
    /// none has.
    pub(crate) fn update_user(
        &mut self,
        object_id: Uuid,
        mut change: impl FnMut(&mut User),
    ) -> Result<(), EmulatorError> {
        let mut found = false;
        for user in self
            .tenants
            .iter_mut()
            .flat_map(|t| t.users.iter_mut())
            .filter(|u| u.object_id == object_id)
        {
            change(user);
            found = true;
        }
        if found {
            Ok(())
        } else {
            Err(EmulatorError::seed(format!(
                "no user with object ID {object_id}"
            )))
        }
    }

    /// The first tenant (in seeding order) where `client_id` is registered.
    pub(crate) fn home_tenant_of(&self, client_id: Uuid) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.app(client_id).is_some())
    }

    /// Adds a tenant; re-adding the same ID with the same domain is a no-op.
    pub(crate) fn add_tenant(&mut self, seed: TenantSeed) -> Result<(), EmulatorError> {
        let domain = seed.domain.trim().to_owned();
        if seed.id.is_nil() {
            return Err(EmulatorError::seed("a tenant needs a non-nil ID"));
        }
        if domain.is_empty() {
            return Err(EmulatorError::seed("a tenant needs a domain"));
        }
        if let Some(existing) = self.tenant(seed.id) {
            return if existing.domain.eq_ignore_ascii_case(&domain) {
                Ok(())
            } else {
                Err(EmulatorError::seed(format!(
                    "tenant {} already exists with domain {}",
                    seed.id, existing.domain
                )))
            };
        }
        if self.find_tenant(&domain).is_some() {
            return Err(EmulatorError::seed(format!(
                "domain {domain} is already in use"
            )));
        }
        self.tenants.push(Tenant {
            id: seed.id,
            domain,
            apps: Vec::new(),
            users: Users::default(),
            resources: Vec::new(),
            consents: HashSet::new(),
        });
        Ok(())
    }

    /// Registers an app (replacing an app with the same client ID in that tenant).
    pub(crate) fn add_app(&mut self, tenant_id: Uuid, seed: AppSeed) -> Result<(), EmulatorError> {
        if seed.client_id.is_nil() {
            return Err(EmulatorError::seed("an app needs a non-nil client ID"));
        }
        let certificates = seed
            .certificates
            .iter()
            .map(|pem| RegisteredCertificate::from_pem(pem))
            .collect::<Result<Vec<_>, _>>()?;
        let tenant = self.tenant_mut(tenant_id)?;
        let app = App {
            client_id: seed.client_id,
            display_name: seed.display_name,
            secrets: seed.secrets,
            certificates,
            redirect_uris: seed.redirect_uris,
            public_client: seed.public_client,
            app_roles: seed
                .app_roles
                .into_iter()
                .map(|(resource, roles)| (resource::key(&resource), roles))
                .collect(),
            service_principal_id: seed
                .service_principal_id
                .unwrap_or_else(|| derived_id(tenant_id, seed.client_id)),
        };
        tenant
            .apps
            .retain(|existing| existing.client_id != app.client_id);
        tenant.apps.push(app);
        Ok(())
    }

    /// Adds a user (replacing a user with the same object ID in that tenant); returns the user
    /// it replaced.
    pub(crate) fn add_user(
        &mut self,
        tenant_id: Uuid,
        seed: UserSeed,
    ) -> Result<Option<User>, EmulatorError> {
        let tenant = self.tenant_mut(tenant_id)?;
        let upn = seed.user_principal_name.trim().to_owned();
        if seed.object_id.is_nil() {
            return Err(EmulatorError::seed("a user needs a non-nil object ID"));
        }
        if upn.is_empty() {
            return Err(EmulatorError::seed("a user needs a user principal name"));
        }
        if tenant.users.upn_taken_by_other(&upn, seed.object_id) {
            return Err(EmulatorError::seed(format!("user {upn} already exists")));
        }
        let display_name = if seed.display_name.is_empty() {
            upn.clone()
        } else {
            seed.display_name
        };
        let user = User {
            object_id: seed.object_id,
            upn,
            password: seed.password,
            mfa: seed.mfa,
            display_name,
            admin_roles: seed.admin_roles,
            licensed: seed.licensed,
            profile: Profile {
                given_name: seed.given_name,
                surname: seed.surname,
                mail: seed.mail,
                department: seed.department,
                job_title: seed.job_title,
                office_location: seed.office_location,
                city: seed.city,
                country: seed.country,
                usage_location: seed.usage_location,
                account_enabled: seed.account_enabled,
                licences: seed.licences,
            },
            added: 0,
        };
        Ok(tenant.users.insert(user))
    }

    /// Removes a user from a tenant (as deleting it in Entra does); returns it.
    pub(crate) fn remove_user(
        &mut self,
        tenant_id: Uuid,
        object_id: Uuid,
    ) -> Result<User, EmulatorError> {
        self.tenant_mut(tenant_id)?
            .users
            .remove(object_id)
            .ok_or_else(|| {
                EmulatorError::seed(format!("no user {object_id} in tenant {tenant_id}"))
            })
    }

    /// Registers a resource URI (idempotent).
    pub(crate) fn add_resource(&mut self, tenant_id: Uuid, uri: &str) -> Result<(), EmulatorError> {
        let tenant = self.tenant_mut(tenant_id)?;
        let key = resource::key(uri);
        if key.is_empty() {
            return Err(EmulatorError::seed("a resource URI must not be empty"));
        }
        if tenant.resource(&key).is_none() {
            tenant.resources.push(Resource {
                uri: resource::display_form(uri),
                key,
            });
        }
        Ok(())
    }

    /// Records delegated consent of `client_id` for `uri`.
    pub(crate) fn grant_consent(
        &mut self,
        tenant_id: Uuid,
        client_id: Uuid,
        uri: &str,
    ) -> Result<(), EmulatorError> {
        let tenant = self.tenant_mut(tenant_id)?;
        let key = resource::key(uri);
        if tenant.app(client_id).is_none() {
            return Err(EmulatorError::seed(format!(
                "app {client_id} is not registered in tenant {tenant_id}"
            )));
        }
        if tenant.resource(&key).is_none() {
            return Err(EmulatorError::seed(format!(
                "resource {uri} is not registered in tenant {tenant_id}"
            )));
        }
        tenant.consents.insert((client_id, key));
        Ok(())
    }

    /// Records consent of `client_id` for every resource in the tenant (admin consent).
    pub(crate) fn grant_admin_consent(
        &mut self,
        tenant_id: Uuid,
        client_id: Uuid,
    ) -> Result<(), EmulatorError> {
        let tenant = self.tenant_mut(tenant_id)?;
        let keys: Vec<String> = tenant.resources.iter().map(|r| r.key.clone()).collect();
        tenant
            .consents
            .extend(keys.into_iter().map(|key| (client_id, key)));
        Ok(())
    }
}

impl Tenant {
    /// The app with this client ID.
    pub(crate) fn app(&self, client_id: Uuid) -> Option<&App> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    /// The user with this UPN (any case).
    pub(crate) fn user_by_upn(&self, upn: &str) -> Option<&User> {
        self.users.by_upn(upn)
    }

    /// The user with this object ID.
    pub(crate) fn user(&self, object_id: Uuid) -> Option<&User> {
        self.users.get(object_id)
    }

    /// The user interactive flows sign in when no user is named: the first one added.
    pub(crate) fn default_user(&self) -> Option<&User> {
        self.users.first()
    }

    /// The resource with this URI (compared by [`resource::key`]).
    pub(crate) fn resource(&self, uri: &str) -> Option<&Resource> {
        let key = resource::key(uri);
        self.resources.iter().find(|r| r.key == key)
    }

    /// Whether `client_id` has delegated consent for the resource.
    pub(crate) fn has_consent(&self, client_id: Uuid, resource: &Resource) -> bool {
        self.consents.contains(&(client_id, resource.key.clone()))
    }
}

impl User {
    /// The user as seed data (what [`Directory::add_user`] would turn back into this user).
    pub(crate) fn to_seed(&self) -> UserSeed {
        let profile = self.profile.clone();
        UserSeed {
            object_id: self.object_id,
            user_principal_name: self.upn.clone(),
            password: self.password.clone(),
            mfa: self.mfa,
            display_name: self.display_name.clone(),
            admin_roles: self.admin_roles.clone(),
            licensed: self.licensed,
            given_name: profile.given_name,
            surname: profile.surname,
            mail: profile.mail,
            department: profile.department,
            job_title: profile.job_title,
            office_location: profile.office_location,
            city: profile.city,
            country: profile.country,
            usage_location: profile.usage_location,
            account_enabled: profile.account_enabled,
            licences: profile.licences,
        }
    }

    /// Whether the user holds any of these roles.
    pub(crate) fn has_any_role(&self, roles: &[AdminRole]) -> bool {
        self.admin_roles.iter().any(|role| roles.contains(role))
    }
}

impl App {
    /// The roles granted to this app for a resource.
    pub(crate) fn roles_for(&self, resource: &Resource) -> Vec<String> {
        self.app_roles
            .get(&resource.key)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the app has any client credential.
    pub(crate) fn has_credentials(&self) -> bool {
        !self.secrets.is_empty() || !self.certificates.is_empty()
    }
}

impl RegisteredCertificate {
    fn from_pem(pem: &str) -> Result<Self, EmulatorError> {
        let der_bytes = pem_contents(pem, "CERTIFICATE")?;
        let key =
            der::rsa_public_key_from_certificate(&der_bytes).map_err(EmulatorError::certificate)?;
        Ok(Self {
            sha1: Sha1::digest(&der_bytes).into(),
            sha256: Sha256::digest(&der_bytes).into(),
            key: DecodingKey::from_rsa_der(key),
        })
    }
}

/// A stable, UUID-shaped ID derived from two IDs (used for service principal object IDs).
fn derived_id(a: Uuid, b: Uuid) -> Uuid {
    let digest = Sha256::new()
        .chain_update(a.as_bytes())
        .chain_update(b.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}
