//! Roles per business unit. A role belongs to one unit and has a copy in every unit below it
//! (own `roleid`, `parentrootroleid` = the original's ID; the original points at itself). A new
//! business unit receives a copy of every role of its parent unit, with its privileges. Renames
//! and deletions of the original apply to its copies.
//!
//! Dataverse lets administrators create a role in a child business unit (such a role is not
//! solution-aware and is inherited only by the units below it); the emulator does the same.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::platform::as_platform;
use super::privileges::{copy_from, family, root_of};
use super::rows::Rows;
use crate::dataverse::errors::{ApiError, DUPLICATE_RECORD};
use crate::dataverse::ids::name_uuid;
use crate::dataverse::store::cell::Cell;
use crate::dataverse::write::ops::Writer;

/// The ID of the copy of root role `root` in business unit `unit` (deterministic, so repeated
/// imports and unit creations agree).
pub(crate) fn copy_id(root: Uuid, unit: Uuid) -> Uuid {
    name_uuid("rolecopy", &format!("{root}:{unit}"))
}

/// The role named `name` (case-insensitive) in business unit `unit`, if any.
pub(crate) fn by_name(rows: Rows<'_>, unit: Uuid, name: &str) -> Option<Uuid> {
    rows.ids_where("role", "businessunitid", unit)
        .into_iter()
        .find(|id| {
            rows.text("role", *id, "name")
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
}

fn set_lookup(
    writer: &mut Writer<'_>,
    logical: &str,
    id: Uuid,
    column: &str,
    target: &str,
    value: Uuid,
) -> Result<(), ApiError> {
    let table = writer.catalog.by_logical(logical).unwrap_or_default();
    let target = writer.catalog.by_logical(target).unwrap_or_default();
    let index = writer
        .catalog
        .table(table)
        .attribute_index(column)
        .unwrap_or_default();
    writer.change(
        table,
        id,
        vec![(
            index,
            Some(Cell::Lookup {
                id: value,
                table: target,
            }),
        )],
    )
}

/// Refuses a second role with the same name in one business unit.
fn check_unique(rows: Rows<'_>, role: Uuid, unit: Uuid) -> Result<(), ApiError> {
    let name = rows.text("role", role, "name").unwrap_or_default();
    let clash = rows
        .ids_where("role", "businessunitid", unit)
        .into_iter()
        .any(|other| {
            other != role
                && rows
                    .text("role", other, "name")
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
    if clash {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            DUPLICATE_RECORD,
            format!(
                "A security role named '{name}' already exists in business unit {unit}. Role names are unique per business unit: update the existing role or pick another name."
            ),
        ));
    }
    Ok(())
}

/// The body of a copy of `role` for another unit.
fn copy_body(rows: Rows<'_>, role: Uuid, root: Uuid, unit: Uuid) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert(
        "name".to_owned(),
        json!(rows.text("role", role, "name").unwrap_or_default()),
    );
    body.insert(
        "businessunitid@odata.bind".to_owned(),
        json!(format!("/businessunits({unit})")),
    );
    body.insert(
        "parentrootroleid@odata.bind".to_owned(),
        json!(format!("/roles({root})")),
    );
    body.insert(
        "parentroleid@odata.bind".to_owned(),
        json!(format!("/roles({role})")),
    );
    body.insert(
        "ismanaged".to_owned(),
        json!(rows.flag("role", role, "ismanaged")),
    );
    if let Some(template) = rows.guid("role", role, "roletemplateid") {
        body.insert("roletemplateid".to_owned(), json!(template));
    }
    body
}

/// A client created a role: it defaults to the root unit, is unique by name in its unit, is
/// its own root, and gets a copy in every unit below its own.
pub(crate) fn after_role_created(writer: &mut Writer<'_>, role: Uuid) -> Result<(), ApiError> {
    let root_unit = writer.rules.org.root_business_unit;
    let unit = match Rows::new(writer.catalog, writer.data).guid("role", role, "businessunitid") {
        Some(unit) => unit,
        None => {
            set_lookup(
                writer,
                "role",
                role,
                "businessunitid",
                "businessunit",
                root_unit,
            )?;
            root_unit
        }
    };
    check_unique(Rows::new(writer.catalog, writer.data), role, unit)?;
    as_platform(writer, |writer| {
        set_lookup(writer, "role", role, "parentrootroleid", "role", role)?;
        let rows = Rows::new(writer.catalog, writer.data);
        let units: Vec<Uuid> = rows
            .unit_and_descendants(unit)
            .into_iter()
            .skip(1)
            .collect();
        for below in units {
            copy_into(writer, role, below)?;
        }
        Ok(())
    })
}

/// Creates the copy of `role` (and of its privileges) in `unit`; `role` is the parent unit's
/// copy. Returns the copy's ID.
pub(crate) fn copy_into(writer: &mut Writer<'_>, role: Uuid, unit: Uuid) -> Result<Uuid, ApiError> {
    let rows = Rows::new(writer.catalog, writer.data);
    let root = root_of(rows, role);
    let body = copy_body(rows, role, root, unit);
    let table = writer.catalog.by_logical("role").unwrap_or_default();
    let id = copy_id(root, unit);
    as_platform(writer, |writer| {
        if writer.data.row(table, id).is_none() {
            writer.create(table, &body, Some(id), &[])?;
        }
        copy_from(writer, role, id)?;
        Ok(id)
    })
}

/// A client created a business unit: it defaults to a child of the root unit and receives a
/// copy of every role of its parent unit.
pub(crate) fn after_unit_created(writer: &mut Writer<'_>, unit: Uuid) -> Result<(), ApiError> {
    let root_unit = writer.rules.org.root_business_unit;
    let parent = match Rows::new(writer.catalog, writer.data).guid(
        "businessunit",
        unit,
        "parentbusinessunitid",
    ) {
        Some(parent) => parent,
        None => {
            set_lookup(
                writer,
                "businessunit",
                unit,
                "parentbusinessunitid",
                "businessunit",
                root_unit,
            )?;
            root_unit
        }
    };
    let mut roles =
        Rows::new(writer.catalog, writer.data).ids_where("role", "businessunitid", parent);
    roles.sort();
    for role in roles {
        copy_into(writer, role, unit)?;
    }
    Ok(())
}

/// A client updated a role: the name stays unique in its unit, and a root role's new name
/// reaches its copies.
pub(crate) fn after_role_updated(writer: &mut Writer<'_>, role: Uuid) -> Result<(), ApiError> {
    let rows = Rows::new(writer.catalog, writer.data);
    if let Some(unit) = rows.guid("role", role, "businessunitid") {
        check_unique(rows, role, unit)?;
    }
    if root_of(rows, role) != role {
        return Ok(());
    }
    let name = rows
        .text("role", role, "name")
        .unwrap_or_default()
        .to_owned();
    let copies: Vec<Uuid> = family(rows, role).into_iter().skip(1).collect();
    let table = writer.catalog.by_logical("role").unwrap_or_default();
    as_platform(writer, |writer| {
        for copy in copies {
            let mut body = Map::new();
            body.insert("name".to_owned(), json!(name));
            writer.update(table, copy, &body)?;
        }
        Ok(())
    })
}

/// A client deletes a role: a copy cannot be deleted on its own (delete the original); the
/// original takes its copies and every role's privilege rows with it.
pub(crate) fn before_role_deleted(writer: &mut Writer<'_>, role: Uuid) -> Result<(), ApiError> {
    let rows = Rows::new(writer.catalog, writer.data);
    let root = root_of(rows, role);
    if root != role && rows.exists("role", root) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            crate::dataverse::errors::VALIDATION,
            format!(
                "The role {role} is a business unit's copy of role {root} and cannot be deleted on its own. Delete role {root} instead."
            ),
        ));
    }
    let family = family(rows, role);
    let privilege_rows: Vec<Uuid> = family
        .iter()
        .flat_map(|r| rows.ids_where("roleprivileges", "roleid", *r))
        .collect();
    let table = writer.catalog.by_logical("role").unwrap_or_default();
    let rp = writer
        .catalog
        .by_logical("roleprivileges")
        .unwrap_or_default();
    as_platform(writer, |writer| {
        for id in privilege_rows {
            writer.delete(rp, id)?;
        }
        for copy in family.into_iter().skip(1) {
            if writer.data.row(table, copy).is_some() {
                writer.delete(table, copy)?;
            }
        }
        Ok(())
    })
}
