//! Application users created through the Web API (`POST systemusers` with an `applicationid`):
//! the callers the security model applies to by default
//! ([`SecurityEnforcement::ApiApplicationUsers`](crate::dataverse::SecurityEnforcement)).

use uuid::Uuid;

use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::cell::CellRef;

pub(crate) use crate::dataverse::security::created_through_api;

/// Remembers row `id` of `table` when it is a `systemuser` with an `applicationid` (called
/// after a create or an upsert through the Web API, so an upsert-created application user is
/// checked too; `POST systemusers` also records it in the security module).
pub(crate) fn mark_if_application_user(store: &mut DataverseStore, table: u16, id: Uuid) {
    let definition = store.catalog.table(table);
    if definition.logical_name != "systemuser" {
        return;
    }
    let has_application = definition
        .attribute_index("applicationid")
        .and_then(|index| store.data.row(table, id)?.get(index))
        .and_then(CellRef::guid)
        .is_some();
    if has_application {
        store.security.api_users.insert(id);
    }
}
