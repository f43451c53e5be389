//! [`Access`]: the checks the handlers and the writer call, for one request's caller. Built
//! once per operation (each part of a `$batch` builds its own, so a role assigned by an
//! earlier part counts for the next), never kept across requests.

use uuid::Uuid;

use super::denied::{missing_global_privilege, missing_privilege, no_access, no_roles};
use super::marker::created_through_api;
use super::principal::{Principal, privilege_id};
use super::rights::{Right, privilege_name};
use super::scope::RowFilter;
use crate::dataverse::env::Caller;
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::settings::SecurityEnforcement;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::Data;

/// The privilege that lets a caller act as another user (`CallerObjectId`, `MSCRMCallerID`).
const IMPERSONATION: &str = "prvActOnBehalfOfAnotherUser";

/// Checks that `caller` (before impersonation) may impersonate another user: a checked caller
/// needs `prvActOnBehalfOfAnotherUser`, otherwise any caller could act as an administrator.
pub(crate) fn check_impersonation(
    store: &DataverseStore,
    caller: Caller,
    mode: SecurityEnforcement,
) -> Result<(), ApiError> {
    let access = Access::resolve(store, caller, mode);
    let Some(principal) = access.principal() else {
        return Ok(());
    };
    if principal.roles.is_empty() {
        return Err(no_roles(principal));
    }
    let id = privilege_id(&store.catalog, &store.data, IMPERSONATION);
    if principal.grants_of(id).is_empty() {
        return Err(missing_global_privilege(principal, IMPERSONATION, id));
    }
    Ok(())
}

/// Whether and how the caller is checked.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// Nothing is checked: enforcement is off for this caller, or it holds System
    /// Administrator.
    Unrestricted,
    /// The caller's privileges decide.
    Enforced(Box<Principal>),
}

impl Access {
    /// The access of `caller` under the `mode` setting.
    pub(crate) fn resolve(
        store: &DataverseStore,
        caller: Caller,
        mode: SecurityEnforcement,
    ) -> Self {
        let applies = match mode {
            SecurityEnforcement::Off => false,
            SecurityEnforcement::ApiApplicationUsers => created_through_api(store, caller.user_id),
            SecurityEnforcement::AllPrincipals => caller.user_id != store.org.system_user,
        };
        if !applies {
            return Self::Unrestricted;
        }
        let principal = Principal::load(&store.catalog, &store.data, &store.org, caller.user_id);
        if principal.system_administrator {
            Self::Unrestricted
        } else {
            Self::Enforced(Box::new(principal))
        }
    }

    /// The checked principal (`None` when unrestricted).
    pub(crate) fn principal(&self) -> Option<&Principal> {
        match self {
            Self::Unrestricted => None,
            Self::Enforced(principal) => Some(principal),
        }
    }

    /// The rows of `table` the caller reaches with `right`: `None` for all of them. Fails
    /// when the caller has no role, or does not hold the privilege at any depth.
    pub(crate) fn filter(
        &self,
        catalog: &Catalog,
        data: &Data,
        right: Right,
        table: u16,
    ) -> Result<Option<RowFilter>, ApiError> {
        let Some(principal) = self.principal() else {
            return Ok(None);
        };
        if principal.roles.is_empty() {
            return Err(no_roles(principal));
        }
        let definition = catalog.table(table);
        let name = privilege_name(right, definition);
        let id = privilege_id(catalog, data, &name);
        let grants = principal.grants_of(id);
        if grants.is_empty() {
            return Err(missing_privilege(principal, &name, id, definition));
        }
        Ok(Some(RowFilter::new(
            catalog, data, principal, table, grants,
        )))
    }

    /// Checks `right` on row `id` of `table` (a row that does not exist passes: the operation
    /// answers its own 404).
    pub(crate) fn check_row(
        &self,
        catalog: &Catalog,
        data: &Data,
        right: Right,
        table: u16,
        id: Uuid,
    ) -> Result<(), ApiError> {
        let Some(filter) = self.filter(catalog, data, right, table)? else {
            return Ok(());
        };
        let Some(row) = data.row(table, id) else {
            return Ok(());
        };
        if filter.allows(catalog, data, id, row) {
            return Ok(());
        }
        let principal = self
            .principal()
            .ok_or_else(|| ApiError::bad_request("An unrestricted caller cannot be denied."))?;
        let definition = catalog.table(table);
        let name = privilege_name(right, definition);
        let depth = principal.max_depth(privilege_id(catalog, data, &name));
        Err(no_access(principal, right, definition, id, &name, depth))
    }
}
