//! What the platform does around a client's writes to the security tables (Dataverse runs
//! these as its own plug-ins): role copies per business unit, the business unit of roles and
//! teams, and the checks on giving a role to a user or a team. Called by
//! [`Writer`](crate::dataverse::write::ops::Writer) for client writes only; errors roll the
//! whole request back.

use axum::http::StatusCode;
use uuid::Uuid;

use super::platform::is_client;
use super::roles;
use super::rows::Rows;
use crate::dataverse::errors::{ApiError, VALIDATION};
use crate::dataverse::metadata::catalog::Navigation;
use crate::dataverse::store::cell::Cell;
use crate::dataverse::write::ops::Writer;

/// Code of "the role is not in the principal's business unit". UNCONFIRMED: the service's
/// code for this case is not documented; this is Dataverse's generic invalid-argument code.
pub(crate) const ROLE_OUTSIDE_UNIT: &str = "0x80040203";
/// Code of "the user is disabled" (the code the service uses for a disabled caller).
pub(crate) const USER_DISABLED: &str = "0x80040225";

fn logical<'a>(writer: &'a Writer<'_>, table: u16) -> &'a str {
    writer.catalog.table(table).logical_name.as_str()
}

/// After a row is created.
pub(crate) fn after_create(writer: &mut Writer<'_>, table: u16, id: Uuid) -> Result<(), ApiError> {
    if !is_client(writer) {
        return Ok(());
    }
    match logical(writer, table) {
        "role" => roles::after_role_created(writer, id),
        "businessunit" => roles::after_unit_created(writer, id),
        "team" => after_team_written(writer, id),
        _ => Ok(()),
    }
}

/// After a row is updated.
pub(crate) fn after_update(writer: &mut Writer<'_>, table: u16, id: Uuid) -> Result<(), ApiError> {
    if !is_client(writer) {
        return Ok(());
    }
    match logical(writer, table) {
        "role" => roles::after_role_updated(writer, id),
        "team" => after_team_written(writer, id),
        "systemuser" => drop_roles_of_other_units(writer, id),
        _ => Ok(()),
    }
}

/// A user whose business unit changed with a PATCH loses the roles of its former unit, as
/// with `SetBusinessSystemUser` (classic model; UNCONFIRMED, see
/// [`set_business`](super::users::set_business)).
fn drop_roles_of_other_units(writer: &mut Writer<'_>, user: Uuid) -> Result<(), ApiError> {
    let rows = Rows::new(writer.catalog, writer.data);
    let unit = rows.guid("systemuser", user, "businessunitid");
    let stale: Vec<Uuid> = rows
        .linked("systemuser", user, "systemuserroles_association")
        .into_iter()
        .filter(|role| rows.guid("role", *role, "businessunitid") != unit)
        .collect();
    let users = writer.catalog.by_logical("systemuser").unwrap_or_default();
    if let Some(nav @ Navigation::ManyToMany { .. }) = writer
        .catalog
        .navigation(users, "systemuserroles_association")
    {
        for role in stale {
            writer.unrelate(users, user, nav, Some(role))?;
        }
    }
    Ok(())
}

/// Before a row is deleted.
pub(crate) fn before_delete(writer: &mut Writer<'_>, table: u16, id: Uuid) -> Result<(), ApiError> {
    if !is_client(writer) {
        return Ok(());
    }
    match logical(writer, table) {
        "role" => roles::before_role_deleted(writer, id),
        _ => Ok(()),
    }
}

/// After a many-to-many association (`$ref`, `@odata.bind` of a collection, deep insert).
pub(crate) fn after_relate(
    writer: &mut Writer<'_>,
    table: u16,
    id: Uuid,
    nav: Navigation,
    other: Uuid,
) -> Result<(), ApiError> {
    if !is_client(writer) {
        return Ok(());
    }
    let Navigation::ManyToMany { rel, .. } = nav else {
        return Ok(());
    };
    let relationship = writer.catalog.many_to_many[rel].schema_name.clone();
    let (principal, role) = if logical(writer, table) == "role" {
        (other, id)
    } else {
        (id, other)
    };
    match relationship.as_str() {
        "systemuserroles_association" => {
            check_user_role(Rows::new(writer.catalog, writer.data), principal, role)
        }
        "teamroles_association" => {
            check_team_role(Rows::new(writer.catalog, writer.data), principal, role)
        }
        _ => Ok(()),
    }
}

/// A user can hold a role only while enabled, and (classic business units) only the copy of
/// the role in its own business unit.
fn check_user_role(rows: Rows<'_>, user: Uuid, role: Uuid) -> Result<(), ApiError> {
    if rows.flag("systemuser", user, "isdisabled") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            USER_DISABLED,
            format!(
                "The user {user} is disabled and cannot be given a security role. Enable the user first (PATCH isdisabled false)."
            ),
        ));
    }
    let user_unit = rows.guid("systemuser", user, "businessunitid");
    let role_unit = rows.guid("role", role, "businessunitid");
    if user_unit != role_unit {
        return Err(outside_unit("user", user, user_unit, rows, role, role_unit));
    }
    Ok(())
}

/// A team can hold only the copy of a role in its own business unit.
fn check_team_role(rows: Rows<'_>, team: Uuid, role: Uuid) -> Result<(), ApiError> {
    let team_unit = rows.guid("team", team, "businessunitid");
    let role_unit = rows.guid("role", role, "businessunitid");
    if team_unit != role_unit {
        return Err(outside_unit("team", team, team_unit, rows, role, role_unit));
    }
    Ok(())
}

fn outside_unit(
    kind: &str,
    principal: Uuid,
    principal_unit: Option<Uuid>,
    rows: Rows<'_>,
    role: Uuid,
    role_unit: Option<Uuid>,
) -> ApiError {
    let unit = |id: Option<Uuid>| match id {
        Some(id) => format!(
            "'{}' ({id})",
            rows.text("businessunit", id, "name").unwrap_or_default()
        ),
        None => "none".to_owned(),
    };
    let name = rows.text("role", role, "name").unwrap_or_default();
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ROLE_OUTSIDE_UNIT,
        format!(
            "The role '{name}' ({role}) belongs to business unit {}, but the {kind} {principal} is in business unit {}. Assign the copy of the role that belongs to the {kind}'s business unit (roles?$filter=name eq '{name}' and _businessunitid_value eq <unit id>).",
            unit(role_unit),
            unit(principal_unit)
        ),
    )
}

/// Teams default to the root business unit; Entra group teams (type 2 and 3) need the group's
/// object ID.
fn after_team_written(writer: &mut Writer<'_>, team: Uuid) -> Result<(), ApiError> {
    let rows = Rows::new(writer.catalog, writer.data);
    let kind = rows.int("team", team, "teamtype").unwrap_or(0);
    if matches!(kind, 2 | 3)
        && rows
            .guid("team", team, "azureactivedirectoryobjectid")
            .is_none()
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            VALIDATION,
            "A team of type 'Security Group' (2) or 'Office Group' (3) needs the Entra group's object ID in azureactivedirectoryobjectid.",
        ));
    }
    if rows.guid("team", team, "businessunitid").is_none() {
        let table = writer.catalog.by_logical("team").unwrap_or_default();
        let units = writer
            .catalog
            .by_logical("businessunit")
            .unwrap_or_default();
        let index = writer
            .catalog
            .table(table)
            .attribute_index("businessunitid")
            .unwrap_or_default();
        let root = writer.rules.org.root_business_unit;
        writer.change(
            table,
            team,
            vec![(
                index,
                Some(Cell::Lookup {
                    id: root,
                    table: units,
                }),
            )],
        )?;
    }
    Ok(())
}
