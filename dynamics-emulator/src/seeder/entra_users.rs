//! [`Seeder`] methods for the directory as Microsoft Graph sees it: adding many users, changing,
//! disabling and deleting them, groups and their members. Every change feeds the log behind
//! `/users/delta`.

use std::collections::BTreeSet;

use time::OffsetDateTime;
use uuid::Uuid;

use super::Seeder;
use crate::error::EmulatorError;
use crate::graph::{Removal, store_group};
use crate::seed::{GeneratedUsers, GroupSeed, UserSeed};
use crate::state::Store;

impl Seeder {
    /// Adds (or replaces, by object ID) many users in one go, all or nothing per user in order:
    /// users before a failing one stay. Linear in the number of users. Returns how many were
    /// added.
    pub fn add_users(
        &self,
        tenant_id: Uuid,
        users: impl IntoIterator<Item = UserSeed>,
    ) -> Result<usize, EmulatorError> {
        let mut store = self.shared.lock();
        let mut added = 0;
        for user in users {
            add_user_recorded(&mut store, tenant_id, user)?;
            added += 1;
        }
        Ok(added)
    }

    /// Adds the users `spec` describes to a tenant (see [`GeneratedUsers`]); returns their
    /// object IDs in order.
    pub fn add_generated_users(
        &self,
        tenant_id: Uuid,
        spec: &GeneratedUsers,
    ) -> Result<Vec<Uuid>, EmulatorError> {
        let mut store = self.shared.lock();
        add_generated(&mut store, tenant_id, spec)
    }

    /// A user as seed data (current profile included), or `None`.
    pub fn user(&self, tenant_id: Uuid, object_id: Uuid) -> Option<UserSeed> {
        self.shared
            .lock()
            .directory
            .tenant(tenant_id)
            .and_then(|t| t.user(object_id))
            .map(|u| u.to_seed())
    }

    /// Changes a user (department moved, renamed, …) as an admin would in Entra; the change
    /// shows in the next `/users/delta` round. The object ID cannot change.
    pub fn update_user(
        &self,
        tenant_id: Uuid,
        object_id: Uuid,
        change: impl FnOnce(&mut UserSeed),
    ) -> Result<(), EmulatorError> {
        let mut store = self.shared.lock();
        let mut seed = store
            .directory
            .tenant(tenant_id)
            .and_then(|t| t.user(object_id))
            .map(|u| u.to_seed())
            .ok_or_else(|| no_user(tenant_id, object_id))?;
        change(&mut seed);
        if seed.object_id != object_id {
            return Err(EmulatorError::seed(
                "update_user cannot change a user's object ID; delete and add instead",
            ));
        }
        add_user_recorded(&mut store, tenant_id, seed)
    }

    /// Enables or disables a user account (`accountEnabled`).
    pub fn set_account_enabled(
        &self,
        tenant_id: Uuid,
        object_id: Uuid,
        enabled: bool,
    ) -> Result<(), EmulatorError> {
        self.update_user(tenant_id, object_id, |user| user.account_enabled = enabled)
    }

    /// Deletes a user as Entra does by default (soft delete, restorable for 30 days): it leaves
    /// the directory, its groups and sign-in, and the next delta round reports it with
    /// `"@removed": {"reason": "changed"}`. Adding it again ([`Seeder::add_user`] with the same
    /// object ID) stands in for a restore and shows as a new user.
    pub fn delete_user(&self, tenant_id: Uuid, object_id: Uuid) -> Result<(), EmulatorError> {
        let mut store = self.shared.lock();
        let Store {
            directory, graph, ..
        } = &mut *store;
        directory.remove_user(tenant_id, object_id)?;
        graph.record_removal(tenant_id, object_id, Removal::Changed);
        Ok(())
    }

    /// Deletes a user for good (or purges a soft-deleted one): the next delta round reports it
    /// with `"@removed": {"reason": "deleted"}`.
    pub fn purge_user(&self, tenant_id: Uuid, object_id: Uuid) -> Result<(), EmulatorError> {
        let mut store = self.shared.lock();
        let Store {
            directory, graph, ..
        } = &mut *store;
        let present = directory.remove_user(tenant_id, object_id).is_ok();
        let soft_deleted =
            graph.tenant(tenant_id).and_then(|t| t.removal(object_id)) == Some(Removal::Changed);
        if !present && !soft_deleted {
            return Err(no_user(tenant_id, object_id));
        }
        graph.record_removal(tenant_id, object_id, Removal::Deleted);
        Ok(())
    }

    /// Adds or replaces a group. Fails for a nil ID, an unknown tenant or a member who is not
    /// a user of the tenant.
    pub fn add_group(&self, tenant_id: Uuid, group: GroupSeed) -> Result<(), EmulatorError> {
        let now = self.shared.clock.now();
        add_group(&mut self.shared.lock(), tenant_id, group, now)
    }

    /// Replaces a group's members. Fails for an unknown group or a member who is not a user
    /// of the tenant.
    pub fn set_group_members(
        &self,
        tenant_id: Uuid,
        group_id: Uuid,
        members: impl IntoIterator<Item = Uuid>,
    ) -> Result<(), EmulatorError> {
        let mut store = self.shared.lock();
        let members = checked_members(&store, tenant_id, members)?;
        let group = store
            .graph
            .tenant_mut(tenant_id)
            .groups
            .get_mut(&group_id)
            .ok_or_else(|| {
                EmulatorError::seed(format!("no group {group_id} in tenant {tenant_id}"))
            })?;
        group.members = members;
        Ok(())
    }

    /// Invalidates every Graph delta token of the tenant (as a service-side reset does): their
    /// next use gets `410 Gone` with `resyncRequired` and a `Location` to start over.
    pub fn reset_graph_delta(&self, tenant_id: Uuid) {
        self.shared.lock().graph.tenant_mut(tenant_id).epoch += 1;
    }
}

/// Adds or replaces a user and records the change for delta.
pub(super) fn add_user_recorded(
    store: &mut Store,
    tenant_id: Uuid,
    user: UserSeed,
) -> Result<(), EmulatorError> {
    let Store {
        directory, graph, ..
    } = store;
    let object_id = user.object_id;
    let old = directory.add_user(tenant_id, user)?;
    if let Some(new) = directory.tenant(tenant_id).and_then(|t| t.user(object_id)) {
        graph.record_user(tenant_id, old.as_ref(), new);
    }
    Ok(())
}

/// Adds generated users; returns their object IDs.
pub(super) fn add_generated(
    store: &mut Store,
    tenant_id: Uuid,
    spec: &GeneratedUsers,
) -> Result<Vec<Uuid>, EmulatorError> {
    let domain = store
        .directory
        .tenant(tenant_id)
        .map(|t| t.domain.clone())
        .ok_or_else(|| EmulatorError::seed(format!("unknown tenant {tenant_id}")))?;
    let mut ids = Vec::with_capacity(spec.count);
    for user in spec.users(tenant_id, &domain) {
        ids.push(user.object_id);
        add_user_recorded(store, tenant_id, user)?;
    }
    Ok(ids)
}

/// Checks and adds a group.
pub(super) fn add_group(
    store: &mut Store,
    tenant_id: Uuid,
    group: GroupSeed,
    now: OffsetDateTime,
) -> Result<(), EmulatorError> {
    if group.id.is_nil() {
        return Err(EmulatorError::seed("a group needs a non-nil ID"));
    }
    if group.display_name.trim().is_empty() {
        return Err(EmulatorError::seed("a group needs a display name"));
    }
    let members = checked_members(store, tenant_id, group.members.iter().copied())?;
    store_group(&mut store.graph, tenant_id, group, members, now);
    Ok(())
}

/// The members as a set, if all are users of the tenant.
fn checked_members(
    store: &Store,
    tenant_id: Uuid,
    members: impl IntoIterator<Item = Uuid>,
) -> Result<BTreeSet<Uuid>, EmulatorError> {
    let tenant = store
        .directory
        .tenant(tenant_id)
        .ok_or_else(|| EmulatorError::seed(format!("unknown tenant {tenant_id}")))?;
    members
        .into_iter()
        .map(|id| {
            tenant
                .user(id)
                .map(|_| id)
                .ok_or_else(|| no_user(tenant_id, id))
        })
        .collect()
}

fn no_user(tenant_id: Uuid, object_id: Uuid) -> EmulatorError {
    EmulatorError::seed(format!("no user {object_id} in tenant {tenant_id}"))
}
