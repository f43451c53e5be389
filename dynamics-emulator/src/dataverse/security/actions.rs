//! The Web API messages of the security model: the bound actions `AddPrivilegesRole`,
//! `ReplacePrivilegesRole`, `RemovePrivilegeRole` (on a role), `SetBusinessSystemUser` (on a
//! user), the bound functions `RetrieveUserPrivileges` and `RetrieveTeamPrivileges`, and the
//! unbound function `RetrieveRolePrivilegesRole(RoleId=…)`.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::catalogue::privilege_id;
use super::depth::Depth;
use super::privileges::{add, held, remove, replace};
use super::rows::Rows;
use super::users::{guid, set_business};
use crate::dataverse::access::Right;
use crate::dataverse::errors::ApiError;
use crate::dataverse::handlers::{Call, json_body, write};
use crate::dataverse::keys::KeyMatch;
use crate::dataverse::odata::literal::Literal;
use crate::dataverse::odata::path::{Key, Segment};
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// A bound operation on one record.
type BoundOperation = fn(&mut DataverseStore, &Call<'_>, Uuid) -> ApiResult;

/// A bound operation on the record `key` of `table` (`roles(id)/Microsoft.Dynamics.CRM.X`), or
/// `None` when the segment names none of these.
pub(crate) fn bound(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
    rest: &[Segment],
) -> Option<ApiResult> {
    let [segment] = rest else {
        return None;
    };
    let name = segment
        .name
        .strip_prefix(NAMESPACE)
        .unwrap_or(&segment.name);
    let logical = store.catalog.table(table).logical_name.clone();
    let method = call.request.method.clone();
    let (expected, run): (Method, BoundOperation) = match (logical.as_str(), name) {
        ("role", "AddPrivilegesRole") => (Method::POST, add_privileges),
        ("role", "ReplacePrivilegesRole") => (Method::POST, replace_privileges),
        ("role", "RemovePrivilegeRole") => (Method::POST, remove_privilege),
        ("systemuser", "SetBusinessSystemUser") => (Method::POST, set_business),
        ("systemuser", "RetrieveUserPrivileges") => (Method::GET, user_privileges),
        ("team", "RetrieveTeamPrivileges") => (Method::GET, team_privileges),
        _ => return None,
    };
    if method != expected {
        return Some(Err(ApiError::method_not_allowed(method.as_str(), name)));
    }
    if let Err(e) = call.options.allow_only(&[]) {
        return Some(Err(e));
    }
    match key.find(&store.data, table) {
        Some(id) => Some(run(store, call, id)),
        None => Some(Err(key.not_found(&logical))),
    }
}

/// `GET RetrieveRolePrivilegesRole(RoleId=<guid>)` (or `RoleId=@p1` with `?@p1=<guid>`), or
/// `None` for another segment.
pub(crate) fn unbound(
    store: &DataverseStore,
    call: &Call<'_>,
    segments: &[Segment],
) -> Option<ApiResult> {
    let [segment] = segments else {
        return None;
    };
    if segment.name != "RetrieveRolePrivilegesRole" {
        return None;
    }
    if let Err(e) = call.options.allow_only(&[]) {
        return Some(Err(e));
    }
    Some(retrieve_role_privileges(store, call, segment))
}

fn retrieve_role_privileges(
    store: &DataverseStore,
    call: &Call<'_>,
    segment: &Segment,
) -> ApiResult {
    if call.request.method != Method::GET {
        return Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            "RetrieveRolePrivilegesRole",
        ));
    }
    let missing = || {
        ApiError::bad_request(
            "RetrieveRolePrivilegesRole needs the role: RetrieveRolePrivilegesRole(RoleId=<guid>).",
        )
    };
    let role = match &segment.key {
        Some(Key::Id(id)) => *id,
        Some(Key::Values(values)) => {
            let (_, literal) = values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("RoleId"))
                .ok_or_else(missing)?;
            match literal {
                Literal::Guid(id) => *id,
                Literal::Text(alias) if alias.starts_with('@') => alias_guid(call, alias)?,
                _ => return Err(missing()),
            }
        }
        _ => return Err(missing()),
    };
    let rows = Rows::new(&store.catalog, &store.data);
    if !rows.exists("role", role) {
        return Err(ApiError::record_not_found("role", role));
    }
    let unit = rows.guid("role", role, "businessunitid");
    let list: Vec<Value> = held(rows, role)
        .into_iter()
        .map(|(privilege, depth)| render(rows, privilege, depth, unit))
        .collect();
    Ok(ApiResponse::json(
        StatusCode::OK,
        json!({
            "@odata.context": call.env.context("Microsoft.Dynamics.CRM.RetrieveRolePrivilegesRoleResponse"),
            "RolePrivileges": list,
        }),
    ))
}

fn alias_guid(call: &Call<'_>, alias: &str) -> Result<Uuid, ApiError> {
    call.request
        .query
        .get(alias)
        .and_then(|v| Uuid::parse_str(v.trim().trim_matches(['{', '}', '\''])).ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "The parameter alias {alias} must be given a GUID in the query string."
            ))
        })
}

/// One `RolePrivilege` of an answer.
fn render(rows: Rows<'_>, privilege: Uuid, depth: Depth, unit: Option<Uuid>) -> Value {
    json!({
        "Depth": depth.name(),
        "PrivilegeId": privilege,
        "BusinessUnitId": unit,
        "PrivilegeName": rows.text("privilege", privilege, "name"),
    })
}

/// Reads `Privileges`: `[{"PrivilegeId": guid, "Depth": "Global" | 0..3, "BusinessUnitId": …}]`.
/// `PrivilegeName` instead of `PrivilegeId` is accepted as an emulator convenience.
fn read_privileges(body: &Map<String, Value>) -> Result<Vec<(Uuid, Depth)>, ApiError> {
    let items = body.get("Privileges").and_then(Value::as_array).ok_or_else(|| {
        ApiError::bad_request(
            "The action needs 'Privileges': [{\"PrivilegeId\":\"<guid>\",\"Depth\":\"Global\"}].",
        )
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let id = item
                .get("PrivilegeId")
                .and_then(guid)
                .or_else(|| item.get("PrivilegeName").and_then(Value::as_str).map(privilege_id))
                .ok_or_else(|| {
                    ApiError::bad_request(format!("Privileges[{i}] needs 'PrivilegeId' (a GUID)."))
                })?;
            let depth = item.get("Depth").and_then(Depth::from_json).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Privileges[{i}].Depth must be one of Basic, Local, Deep, Global (or 0 to 3); got {}.",
                    item.get("Depth").unwrap_or(&Value::Null)
                ))
            })?;
            Ok((id, depth))
        })
        .collect::<Result<Vec<_>, ApiError>>()
        .map(dedupe)
}

/// One entry per privilege (the last one named wins), so a request never does more work than
/// the catalogue has privileges.
fn dedupe(list: Vec<(Uuid, Depth)>) -> Vec<(Uuid, Depth)> {
    let mut out: Vec<(Uuid, Depth)> = Vec::with_capacity(list.len());
    for (id, depth) in list {
        match out.iter_mut().find(|(seen, _)| *seen == id) {
            Some(entry) => entry.1 = depth,
            None => out.push((id, depth)),
        }
    }
    out
}

/// Changing a role's privileges is a write of the role: a checked caller needs Write on it
/// (without this, a caller could widen its own role).
fn require_role_write(store: &DataverseStore, call: &Call<'_>, role: Uuid) -> Result<(), ApiError> {
    let Some(table) = store.catalog.by_logical("role") else {
        return Ok(());
    };
    call.access
        .check_row(&store.catalog, &store.data, Right::Write, table, role)
}

fn add_privileges(store: &mut DataverseStore, call: &Call<'_>, role: Uuid) -> ApiResult {
    require_role_write(store, call, role)?;
    let privileges = read_privileges(&json_body(call.request)?)?;
    write(store, call, |writer| add(writer, role, &privileges))?;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}

fn replace_privileges(store: &mut DataverseStore, call: &Call<'_>, role: Uuid) -> ApiResult {
    require_role_write(store, call, role)?;
    let privileges = read_privileges(&json_body(call.request)?)?;
    write(store, call, |writer| replace(writer, role, &privileges))?;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}

fn remove_privilege(store: &mut DataverseStore, call: &Call<'_>, role: Uuid) -> ApiResult {
    require_role_write(store, call, role)?;
    let body = json_body(call.request)?;
    let privilege = body.get("PrivilegeId").and_then(guid).ok_or_else(|| {
        ApiError::bad_request("RemovePrivilegeRole needs 'PrivilegeId' (a GUID).")
    })?;
    if !Rows::new(&store.catalog, &store.data).exists("privilege", privilege) {
        return Err(ApiError::record_not_found("privilege", privilege));
    }
    write(store, call, |writer| remove(writer, role, privilege))?;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}

/// The highest depth per privilege over `roles`, with the business unit of the role that gave
/// it.
fn combined(rows: Rows<'_>, roles: &[Uuid]) -> Vec<Value> {
    let mut best: BTreeMap<Uuid, (Depth, Option<Uuid>)> = BTreeMap::new();
    for role in roles {
        let unit = rows.guid("role", *role, "businessunitid");
        for (privilege, depth) in held(rows, *role) {
            let entry = best.entry(privilege).or_insert((depth, unit));
            if depth > entry.0 {
                *entry = (depth, unit);
            }
        }
    }
    best.into_iter()
        .map(|(privilege, (depth, unit))| render(rows, privilege, depth, unit))
        .collect()
}

/// A user's roles: its own and those of the teams it is a member of.
pub(crate) fn user_roles(rows: Rows<'_>, user: Uuid) -> Vec<Uuid> {
    let mut roles = rows.linked("systemuser", user, "systemuserroles_association");
    for team in rows.linked("systemuser", user, "teammembership_association") {
        roles.extend(rows.linked("team", team, "teamroles_association"));
    }
    roles.sort();
    roles.dedup();
    roles
}

fn user_privileges(store: &mut DataverseStore, call: &Call<'_>, user: Uuid) -> ApiResult {
    let rows = Rows::new(&store.catalog, &store.data);
    let list = combined(rows, &user_roles(rows, user));
    Ok(ApiResponse::json(
        StatusCode::OK,
        json!({
            "@odata.context": call.env.context("Microsoft.Dynamics.CRM.RetrieveUserPrivilegesResponse"),
            "RolePrivileges": list,
        }),
    ))
}

fn team_privileges(store: &mut DataverseStore, call: &Call<'_>, team: Uuid) -> ApiResult {
    let rows = Rows::new(&store.catalog, &store.data);
    let roles = rows.linked("team", team, "teamroles_association");
    Ok(ApiResponse::json(
        StatusCode::OK,
        json!({
            "@odata.context": call.env.context("Microsoft.Dynamics.CRM.RetrieveTeamPrivilegesResponse"),
            "RolePrivileges": combined(rows, &roles),
        }),
    ))
}
