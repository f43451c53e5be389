//! What a long-running operation does to the emulator's state when it succeeds. A check that
//! fails here (the instance vanished, the user has no licence) fails the operation instead.

use time::OffsetDateTime;
use uuid::Uuid;

use super::Work;
use crate::admin::model::backup::Backup;
use crate::admin::model::key::KeyState;
use crate::admin::model::notification::Notification;
use crate::admin::model::operation_status::ItemDescription;
use crate::admin::model::requests::ResetRequest;
use crate::environments::{Instance, ProtectionStatus};
use crate::seed::InstanceState;
use crate::state::Store;

/// The result of a completed operation: the instance state to report, or the errors.
type Completion = Result<Option<InstanceState>, Vec<ItemDescription>>;

/// Applies the effect of `work` for the tenant.
pub(super) fn complete(
    store: &mut Store,
    tenant_id: Uuid,
    work: &Work,
    now: OffsetDateTime,
) -> Completion {
    match work {
        Work::Provision(instance) => provision(store, instance),
        Work::Backup(backup) => backup_instance(store, backup, now),
        Work::Restore { target_id, backup } => restore(store, *target_id, backup),
        Work::Reset {
            instance_id,
            request,
            version,
        } => reset(store, *instance_id, request, version.as_deref()),
        Work::Delete { instance_id } => {
            store.environments.remove(*instance_id);
            store
                .admin
                .backups
                .retain(|backup| backup.instance_id != *instance_id);
            Ok(None)
        }
        Work::ApplyUser {
            instance_id,
            user_id,
        } => apply_user(store, tenant_id, *instance_id, *user_id),
        Work::SetTenantProtectionKey { key_name } => set_protection_key(store, tenant_id, key_name),
        Work::PostUserNotification(notification) => {
            store
                .admin
                .notifications
                .push(Notification::clone(notification));
            Ok(None)
        }
    }
}

fn error(subject: &str, code: &str, description: String) -> Vec<ItemDescription> {
    vec![ItemDescription::new(subject, code, description)]
}

fn instance_gone(subject: &str, instance_id: Uuid) -> Vec<ItemDescription> {
    error(
        subject,
        "InstanceNotFound",
        format!("The instance {instance_id} no longer exists."),
    )
}

fn provision(store: &mut Store, instance: &Instance) -> Completion {
    store
        .environments
        .add(instance.clone())
        .map(|()| Some(InstanceState::Ready))
        .map_err(|e| error("ProvisionInstance", "ProvisioningFailed", e.to_string()))
}

fn backup_instance(store: &mut Store, backup: &Backup, now: OffsetDateTime) -> Completion {
    let instance = store
        .environments
        .get(backup.instance_id)
        .ok_or_else(|| instance_gone("BackupInstance", backup.instance_id))?;
    let created = Backup {
        users: instance.users.ids().to_vec(),
        version: instance.version.clone(),
        created_on: now,
        expires_on: now + time::Duration::days(7),
        ..backup.clone()
    };
    store.admin.backups.push(created);
    Ok(None)
}

fn restore(store: &mut Store, target_id: Uuid, backup: &Backup) -> Completion {
    let target = store
        .environments
        .get_mut(target_id)
        .ok_or_else(|| instance_gone("RestoreInstance", target_id))?;
    target.version = backup.version.clone();
    target.users.replace(backup.users.clone());
    Ok(Some(InstanceState::Ready))
}

fn reset(
    store: &mut Store,
    instance_id: Uuid,
    request: &ResetRequest,
    version: Option<&str>,
) -> Completion {
    if let Some(domain) = &request.domain_name
        && store.environments.domain_in_use(domain, Some(instance_id))
    {
        return Err(error(
            "ResetInstance",
            "DomainNameInUse",
            format!("The domain name {domain} is already in use."),
        ));
    }
    let instance = store
        .environments
        .get_mut(instance_id)
        .ok_or_else(|| instance_gone("ResetInstance", instance_id))?;
    if let Some(name) = &request.friendly_name {
        instance.friendly_name.clone_from(name);
    }
    if let Some(domain) = &request.domain_name {
        instance.rename_domain(domain);
    }
    if request.purpose.is_some() {
        instance.purpose.clone_from(&request.purpose);
    }
    if request.security_group_id.is_some() {
        instance.security_group_id = request.security_group_id;
    }
    if let Some(language) = request
        .base_language_code
        .and_then(|l| i32::try_from(l).ok())
    {
        instance.base_language = language;
    }
    if let Some(version) = version {
        version.clone_into(&mut instance.version);
    }
    instance
        .additional_properties
        .extend(request.additional_properties.clone());
    // A reset is a fresh organisation: nobody is in it until users are applied again.
    instance.users.replace(Vec::new());
    Ok(Some(InstanceState::Ready))
}

fn apply_user(store: &mut Store, tenant_id: Uuid, instance_id: Uuid, user_id: Uuid) -> Completion {
    let user = store
        .directory
        .tenant(tenant_id)
        .and_then(|tenant| tenant.user(user_id))
        .ok_or_else(|| {
            error(
                "ApplyUser",
                "UserNotFound",
                format!("The user {user_id} was not found in the tenant's directory."),
            )
        })?;
    if !user.licensed {
        return Err(error(
            "ApplyUser",
            "UserNotLicensed",
            format!(
                "The user {} ({user_id}) does not have a license that grants access to this \
                 environment. Assign a Dynamics 365 or Power Apps license and apply the user \
                 again.",
                user.upn
            ),
        ));
    }
    let instance = store
        .environments
        .get_mut(instance_id)
        .ok_or_else(|| instance_gone("ApplyUser", instance_id))?;
    instance.add_user(user_id);
    Ok(None)
}

fn set_protection_key(store: &mut Store, tenant_id: Uuid, key_name: &str) -> Completion {
    if !store
        .admin
        .keys
        .iter()
        .any(|k| k.tenant_id == tenant_id && k.name.eq_ignore_ascii_case(key_name))
    {
        return Err(error(
            "SetTenantProtectionKey",
            "KeyNotFound",
            format!("The tenant has no key named {key_name}."),
        ));
    }
    for key in store
        .admin
        .keys
        .iter_mut()
        .filter(|k| k.tenant_id == tenant_id)
    {
        key.state = if key.name.eq_ignore_ascii_case(key_name) {
            KeyState::Active
        } else if key.state == KeyState::Active {
            KeyState::Available
        } else {
            key.state
        };
    }
    for instance in store.environments.of_tenant_mut(tenant_id) {
        instance.protection_status = ProtectionStatus::TenantEncrypted;
    }
    Ok(None)
}
