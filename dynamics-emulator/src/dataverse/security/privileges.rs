//! A role's privileges: `roleprivileges` rows (role, privilege, depth) kept together with the
//! `roleprivileges_association` links, and the rule that a change to one copy of a role applies
//! to every business unit's copy.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::depth::Depth;
use super::platform::as_platform;
use super::rows::Rows;
use crate::dataverse::errors::{ApiError, VALIDATION};
use crate::dataverse::ids::name_uuid;
use crate::dataverse::write::ops::Writer;

/// The ID of the `roleprivileges` row of one role and privilege (deterministic, so the pair is
/// found without a scan).
pub(crate) fn role_privilege_id(role: Uuid, privilege: Uuid) -> Uuid {
    name_uuid("roleprivilege", &format!("{role}:{privilege}"))
}

/// The root copy of a role (`parentrootroleid`; the role itself when it has none).
pub(crate) fn root_of(rows: Rows<'_>, role: Uuid) -> Uuid {
    rows.guid("role", role, "parentrootroleid").unwrap_or(role)
}

/// Every copy of a role, across business units, the root copy first.
pub(crate) fn family(rows: Rows<'_>, role: Uuid) -> Vec<Uuid> {
    let root = root_of(rows, role);
    let mut all = vec![root];
    let mut copies: Vec<Uuid> = rows
        .ids_where("role", "parentrootroleid", root)
        .into_iter()
        .filter(|id| *id != root)
        .collect();
    copies.sort();
    all.extend(copies);
    all
}

/// The privileges a role holds, with their depth, sorted by privilege ID.
pub(crate) fn held(rows: Rows<'_>, role: Uuid) -> Vec<(Uuid, Depth)> {
    let mut list: Vec<(Uuid, Depth)> = rows
        .ids_where("roleprivileges", "roleid", role)
        .into_iter()
        .filter_map(|id| {
            let privilege = rows.guid("roleprivileges", id, "privilegeid")?;
            let depth = Depth::from_mask(rows.int("roleprivileges", id, "privilegedepthmask")?)?;
            Some((privilege, depth))
        })
        .collect();
    list.sort();
    list
}

/// Refuses a privilege that does not exist or cannot be held at `depth` (its `canbe*`).
pub(crate) fn check(rows: Rows<'_>, privilege: Uuid, depth: Depth) -> Result<(), ApiError> {
    if !rows.exists("privilege", privilege) {
        return Err(ApiError::record_not_found("privilege", privilege));
    }
    if rows.flag("privilege", privilege, depth.can_be_column()) {
        return Ok(());
    }
    let name = rows
        .text("privilege", privilege, "name")
        .unwrap_or_default();
    let allowed: Vec<&str> = Depth::ALL
        .iter()
        .filter(|d| rows.flag("privilege", privilege, d.can_be_column()))
        .map(|d| d.name())
        .collect();
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        VALIDATION,
        format!(
            "The privilege {name} ({privilege}) cannot be given at depth {}. It can be given at: {}.",
            depth.name(),
            allowed.join(", ")
        ),
    ))
}

/// Gives one role (this copy only) a privilege at `depth`, or changes the depth it has.
fn set_one(
    writer: &mut Writer<'_>,
    role: Uuid,
    privilege: Uuid,
    depth: Depth,
) -> Result<(), ApiError> {
    let table = writer
        .catalog
        .by_logical("roleprivileges")
        .unwrap_or_default();
    let id = role_privilege_id(role, privilege);
    if writer.data.row(table, id).is_some() {
        let mut body = Map::new();
        body.insert("privilegedepthmask".to_owned(), json!(depth.mask()));
        return writer.update(table, id, &body);
    }
    let mut body = Map::new();
    body.insert(
        "roleid@odata.bind".to_owned(),
        Value::String(format!("/roles({role})")),
    );
    body.insert(
        "privilegeid@odata.bind".to_owned(),
        Value::String(format!("/privileges({privilege})")),
    );
    body.insert("privilegedepthmask".to_owned(), json!(depth.mask()));
    writer.create(table, &body, Some(id), &[])?;
    let privileges = writer.catalog.by_logical("privilege").unwrap_or_default();
    if let Some(nav) = writer
        .catalog
        .navigation(privileges, "roleprivileges_association")
    {
        writer.relate(privileges, privilege, nav, role)?;
    }
    Ok(())
}

fn remove_one(writer: &mut Writer<'_>, role: Uuid, privilege: Uuid) -> Result<bool, ApiError> {
    let table = writer
        .catalog
        .by_logical("roleprivileges")
        .unwrap_or_default();
    let id = role_privilege_id(role, privilege);
    if writer.data.row(table, id).is_none() {
        return Ok(false);
    }
    writer.delete(table, id)?;
    let privileges = writer.catalog.by_logical("privilege").unwrap_or_default();
    if let Some(nav) = writer
        .catalog
        .navigation(privileges, "roleprivileges_association")
    {
        writer.unrelate(privileges, privilege, nav, Some(role))?;
    }
    Ok(true)
}

/// Gives every copy of `role` the privileges (adding, or changing the depth of those it has),
/// after checking each depth.
pub(crate) fn add(
    writer: &mut Writer<'_>,
    role: Uuid,
    privileges: &[(Uuid, Depth)],
) -> Result<(), ApiError> {
    let rows = Rows::new(writer.catalog, writer.data);
    for (privilege, depth) in privileges {
        check(rows, *privilege, *depth)?;
    }
    let family = family(rows, role);
    as_platform(writer, |writer| {
        for copy in &family {
            for (privilege, depth) in privileges {
                set_one(writer, *copy, *privilege, *depth)?;
            }
        }
        Ok(())
    })
}

/// Makes `privileges` the whole privilege set of every copy of `role`.
pub(crate) fn replace(
    writer: &mut Writer<'_>,
    role: Uuid,
    privileges: &[(Uuid, Depth)],
) -> Result<(), ApiError> {
    let rows = Rows::new(writer.catalog, writer.data);
    for (privilege, depth) in privileges {
        check(rows, *privilege, *depth)?;
    }
    let family = family(rows, role);
    let stale: Vec<(Uuid, Uuid)> = family
        .iter()
        .flat_map(|copy| held(rows, *copy).into_iter().map(move |(p, _)| (*copy, p)))
        .filter(|(_, p)| !privileges.iter().any(|(keep, _)| keep == p))
        .collect();
    as_platform(writer, |writer| {
        for (copy, privilege) in stale {
            remove_one(writer, copy, privilege)?;
        }
        for copy in &family {
            for (privilege, depth) in privileges {
                set_one(writer, *copy, *privilege, *depth)?;
            }
        }
        Ok(())
    })
}

/// Takes a privilege away from every copy of `role`; `false` when the role did not hold it.
pub(crate) fn remove(
    writer: &mut Writer<'_>,
    role: Uuid,
    privilege: Uuid,
) -> Result<bool, ApiError> {
    let family = family(Rows::new(writer.catalog, writer.data), role);
    as_platform(writer, |writer| {
        let mut any = false;
        for copy in family {
            any |= remove_one(writer, copy, privilege)?;
        }
        Ok(any)
    })
}

/// Gives one new copy of a role the privileges of another copy (a new business unit's copy).
pub(crate) fn copy_from(writer: &mut Writer<'_>, from: Uuid, to: Uuid) -> Result<(), ApiError> {
    let privileges = held(Rows::new(writer.catalog, writer.data), from);
    as_platform(writer, |writer| {
        for (privilege, depth) in privileges {
            set_one(writer, to, privilege, depth)?;
        }
        Ok(())
    })
}
