//! What the seeder does in the admin service's state: system backups, application identities
//! and admin management applications.

use time::OffsetDateTime;
use uuid::Uuid;

use super::model::backup::Backup;
use crate::environments::Instance;
use crate::state::Store;

/// Adds the automatic "System backup" every seeded instance starts with (a day old).
pub(crate) fn add_system_backup(store: &mut Store, instance: &Instance, now: OffsetDateTime) {
    let created_on = now - time::Duration::days(1);
    store.admin.backups.push(Backup {
        id: Uuid::new_v4(),
        tenant_id: instance.tenant_id,
        instance_id: instance.id,
        label: "System backup".to_owned(),
        notes: Some("Taken automatically by the service.".to_owned()),
        created_by: "System".to_owned(),
        created_on,
        expires_on: created_on + time::Duration::days(28),
        version: instance.version.clone(),
        users: instance.users.ids().to_vec(),
    });
}

/// Registers an enabled tenant application identity (idempotent); returns its ID.
pub(crate) fn register_identity(
    store: &mut Store,
    tenant_id: Uuid,
    app_id: Uuid,
    now: OffsetDateTime,
) -> Uuid {
    if let Some(identity) = store.admin.identity_for_app(tenant_id, app_id) {
        return identity.id;
    }
    store
        .admin
        .register_identity(tenant_id, app_id, true, now)
        .map_or_else(Uuid::nil, |identity| identity.id)
}

/// Registers an admin management application (idempotent).
pub(crate) fn register_admin_application(
    store: &mut Store,
    tenant_id: Uuid,
    app_id: Uuid,
    now: OffsetDateTime,
) {
    store
        .admin
        .register_admin_application(tenant_id, app_id, now);
}
