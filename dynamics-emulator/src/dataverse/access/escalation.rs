//! Role assignment (`systemuserroles_association` and `teamroles_association`, from either
//! side): the assigner needs `prvReadRole` and `prvAssignRole` reaching the role, and cannot
//! hand out a role holding any privilege deeper than the assigner holds it ("can't assign
//! someone else to a security role that has more privileges than the assigner", Power Platform
//! admin docs, "Assign a security role to a user"). System Administrator is exempt, as every
//! unrestricted caller is.

use uuid::Uuid;

use super::check::Access;
use super::denied::escalation;
use super::principal::{privilege_name_of, role_privileges};
use super::rights::Right;
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::store::Data;
use crate::dataverse::store::cell::CellRef;

/// The many-to-many relationships that give a principal a role.
pub(crate) fn assigns_roles(schema_name: &str) -> bool {
    matches!(
        schema_name,
        "systemuserroles_association" | "teamroles_association"
    )
}

/// Checks that the caller may give (`granting`) or take away `role`.
pub(crate) fn check_role_assignment(
    access: &Access,
    catalog: &Catalog,
    data: &Data,
    role: Uuid,
    granting: bool,
) -> Result<(), ApiError> {
    let Some(principal) = access.principal() else {
        return Ok(());
    };
    let Some(role_table) = catalog.by_logical("role") else {
        return Ok(());
    };
    access.check_row(catalog, data, Right::Read, role_table, role)?;
    access.check_row(catalog, data, Right::Assign, role_table, role)?;
    if !granting {
        return Ok(());
    }
    for (privilege, depth) in role_privileges(catalog, data, role) {
        let held = principal.max_depth(privilege);
        if held.is_none_or(|held| held < depth) {
            let name = privilege_name_of(catalog, data, privilege)
                .unwrap_or_else(|| format!("the privilege {privilege}"));
            let role_name = catalog
                .table(role_table)
                .attribute_index("name")
                .and_then(|index| data.row(role_table, role)?.get(index))
                .and_then(CellRef::as_text)
                .unwrap_or_default()
                .to_owned();
            return Err(escalation(principal, role, &role_name, &name, depth, held));
        }
    }
    Ok(())
}
