//! [`Principal`]: who the caller is to the security model: its business unit, teams, roles
//! (direct and through teams) and the privileges they grant, each with its depth and the
//! principal it is anchored to (the user, or the team whose role grants it).
//!
//! Team roles follow the default "member's privilege inheritance" of Dataverse, *Team
//! privileges only*: a member acts as the team, so a team role's Basic depth reaches records
//! the team owns and its Local and Deep depths start from the team's business unit, not the
//! member's. (The emulator's `role` table has no inheritance column, so *Direct User (Basic)
//! access level and Team privileges* is not modelled.)

use std::collections::HashMap;

use uuid::Uuid;

use super::rights::Depth;
use crate::dataverse::ids::name_uuid;
use crate::dataverse::metadata::catalog::{Catalog, Navigation};
use crate::dataverse::state::OrgIds;
use crate::dataverse::store::Data;
use crate::dataverse::store::cell::CellRef;

/// Whose privilege a [`Grant`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// A role of the user itself.
    User,
    /// A role of a team the user belongs to: the team and its business unit.
    Team { team: Uuid, business_unit: Uuid },
}

/// One privilege held at one depth through one principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) depth: Depth,
    pub(crate) anchor: Anchor,
}

/// The caller as the security model sees it.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) user: Uuid,
    pub(crate) business_unit: Uuid,
    /// `azureactivedirectoryobjectid` (for the error text).
    pub(crate) object_id: Option<Uuid>,
    /// `accessmode` (for the error text).
    pub(crate) access_mode: i64,
    /// Teams the user is a member of.
    pub(crate) teams: Vec<Uuid>,
    /// Roles held directly or through a team (each once).
    pub(crate) roles: Vec<Uuid>,
    /// Whether one of those roles is a copy of System Administrator.
    pub(crate) system_administrator: bool,
    /// Privilege ID → the grants of it (highest depth per anchor).
    pub(crate) grants: HashMap<Uuid, Vec<Grant>>,
}

impl Principal {
    /// Reads the user's roles, teams and privileges.
    pub(crate) fn load(catalog: &Catalog, data: &Data, org: &OrgIds, user: Uuid) -> Self {
        let business_unit = column_guid(catalog, data, "systemuser", user, "businessunitid")
            .unwrap_or(org.root_business_unit);
        let object_id = column_guid(
            catalog,
            data,
            "systemuser",
            user,
            "azureactivedirectoryobjectid",
        );
        let access_mode = column_int(catalog, data, "systemuser", user, "accessmode").unwrap_or(0);
        let teams = linked(
            catalog,
            data,
            "systemuser",
            "teammembership_association",
            user,
        );
        let mut roles: Vec<Uuid> = Vec::new();
        let mut grants: HashMap<Uuid, Vec<Grant>> = HashMap::new();
        let mut add = |role: Uuid, anchor: Anchor, roles: &mut Vec<Uuid>| {
            if !roles.contains(&role) {
                roles.push(role);
            }
            for (privilege, depth) in role_privileges(catalog, data, role) {
                let list = grants.entry(privilege).or_default();
                match list.iter_mut().find(|g| g.anchor == anchor) {
                    Some(existing) => existing.depth = existing.depth.max(depth),
                    None => list.push(Grant { depth, anchor }),
                }
            }
        };
        for role in linked(
            catalog,
            data,
            "systemuser",
            "systemuserroles_association",
            user,
        ) {
            add(role, Anchor::User, &mut roles);
        }
        for team in &teams {
            let team_unit = column_guid(catalog, data, "team", *team, "businessunitid")
                .unwrap_or(org.root_business_unit);
            for role in linked(catalog, data, "team", "teamroles_association", *team) {
                let anchor = Anchor::Team {
                    team: *team,
                    business_unit: team_unit,
                };
                add(role, anchor, &mut roles);
            }
        }
        let system_administrator = roles
            .iter()
            .any(|role| is_system_administrator(catalog, data, org, *role));
        Self {
            user,
            business_unit,
            object_id,
            access_mode,
            teams,
            roles,
            system_administrator,
            grants,
        }
    }

    /// The number of distinct privileges held (the service's `privilegeCount`).
    pub(crate) fn privilege_count(&self) -> usize {
        self.grants.len()
    }

    /// The grants of a privilege (empty when not held).
    pub(crate) fn grants_of(&self, privilege: Uuid) -> &[Grant] {
        self.grants.get(&privilege).map_or(&[], Vec::as_slice)
    }

    /// The deepest depth at which the privilege is held.
    pub(crate) fn max_depth(&self, privilege: Uuid) -> Option<Depth> {
        self.grants_of(privilege).iter().map(|g| g.depth).max()
    }
}

/// Whether a role is the System Administrator role or one of its per-unit copies.
pub(crate) fn is_system_administrator(
    catalog: &Catalog,
    data: &Data,
    org: &OrgIds,
    role: Uuid,
) -> bool {
    role == org.system_administrator_role
        || column_guid(catalog, data, "role", role, "parentrootroleid")
            == Some(org.system_administrator_role)
}

/// The privileges of a role with their depth (`roleprivileges` rows).
pub(crate) fn role_privileges(catalog: &Catalog, data: &Data, role: Uuid) -> Vec<(Uuid, Depth)> {
    let Some(table) = catalog.by_logical("roleprivileges") else {
        return Vec::new();
    };
    let definition = catalog.table(table);
    let (Some(role_index), Some(privilege_index), Some(mask_index)) = (
        definition.attribute_index("roleid"),
        definition.attribute_index("privilegeid"),
        definition.attribute_index("privilegedepthmask"),
    ) else {
        return Vec::new();
    };
    data.table(table)
        .rows
        .values()
        .filter(|row| row.get(role_index).and_then(CellRef::guid) == Some(role))
        .filter_map(|row| {
            let privilege = row.get(privilege_index).and_then(CellRef::guid)?;
            let mask = match row.get(mask_index)? {
                CellRef::Int(mask) => mask,
                _ => return None,
            };
            Some((privilege, Depth::from_mask(mask)?))
        })
        .collect()
}

/// The ID of a privilege by name: the `privilege` row of that name (case-insensitive), else
/// the ID the catalogue gives it (`name_uuid("privilege", name)`).
pub(crate) fn privilege_id(catalog: &Catalog, data: &Data, name: &str) -> Uuid {
    catalog
        .by_logical("privilege")
        .and_then(|table| {
            let index = catalog.table(table).attribute_index("name")?;
            data.table(table)
                .rows
                .iter()
                .find(|(_, row)| {
                    row.get(index)
                        .and_then(CellRef::as_text)
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .map(|(id, _)| *id)
        })
        .unwrap_or_else(|| name_uuid("privilege", name))
}

/// The name of a privilege row (`None` when the catalogue has no such row).
pub(crate) fn privilege_name_of(catalog: &Catalog, data: &Data, privilege: Uuid) -> Option<String> {
    let table = catalog.by_logical("privilege")?;
    let index = catalog.table(table).attribute_index("name")?;
    data.row(table, privilege)?
        .get(index)
        .and_then(CellRef::as_text)
        .map(str::to_owned)
}

/// A GUID or lookup column of a row of a built-in table.
pub(crate) fn column_guid(
    catalog: &Catalog,
    data: &Data,
    table: &str,
    id: Uuid,
    column: &str,
) -> Option<Uuid> {
    let table = catalog.by_logical(table)?;
    let index = catalog.table(table).attribute_index(column)?;
    data.row(table, id)?.get(index).and_then(CellRef::guid)
}

/// An integer (or choice) column of a row of a built-in table.
fn column_int(catalog: &Catalog, data: &Data, table: &str, id: Uuid, column: &str) -> Option<i64> {
    let table = catalog.by_logical(table)?;
    let index = catalog.table(table).attribute_index(column)?;
    match data.row(table, id)?.get(index)? {
        CellRef::Int(value) => Some(value),
        _ => None,
    }
}

/// The rows linked to `id` through a many-to-many navigation property of `table`, read without
/// spending the query budget (the security model is not part of the caller's query).
pub(crate) fn linked(
    catalog: &Catalog,
    data: &Data,
    table: &str,
    nav: &str,
    id: Uuid,
) -> Vec<Uuid> {
    let Some(table) = catalog.by_logical(table) else {
        return Vec::new();
    };
    let Some(Navigation::ManyToMany { rel, first }) = catalog.navigation(table, nav) else {
        return Vec::new();
    };
    // Partners come in id order, each once: the order the set gave before.
    data.links[rel].partners(id, first).collect()
}
