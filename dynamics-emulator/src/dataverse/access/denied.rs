//! The service's answers to a denied operation, all HTTP 403:
//!
//! - a missing privilege: `0x80040220` (`PrivilegeDenied`, -2147220960), "Principal user
//!   (Id=…, type=8, roleCount=…, privilegeCount=…, accessMode=…), is missing prvCreateLead
//!   privilege (Id=…) on OTC=4 for entity 'lead' …", the form Dataverse answers today
//!   (Microsoft's "Troubleshoot Dataverse client errors" lists the code and the message shape);
//! - a record the privilege's depth does not reach: `0x80048306` (-2147187962), "Principal
//!   with id = … does not have ReadAccess right(s) for record with id = … of entity account"
//!   (the same page; the exact casing of the current text is UNCONFIRMED, older versions said
//!   "SecLib::AccessCheckEx failed. Returned hr = -2147187962, ObjectID: …");
//! - a principal with no role at all: "SecLib::RetrievePrivilegeForUser failed - no roles are
//!   assigned to user." (text from Microsoft's marketplace lead FAQ; the code `0x80042f09`,
//!   -2147209463, is the `Returned hr` widely quoted with it: UNCONFIRMED in Microsoft docs);
//! - assigning a role holding more than the assigner: the rule is documented ("can't assign
//!   someone else to a security role that has more privileges than the assigner"), the code and
//!   text are not: UNCONFIRMED, answered with `0x80040220` and a message naming the privilege.

use axum::http::StatusCode;
use uuid::Uuid;

use super::principal::Principal;
use super::rights::{Depth, Right};
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::model::Table;

/// Code of a missing privilege (`PrivilegeDenied`).
pub(crate) const PRIVILEGE_DENIED: &str = "0x80040220";
/// Code of a failed record-level access check.
pub(crate) const ACCESS_DENIED: &str = "0x80048306";
/// Code of "no roles are assigned to user" (UNCONFIRMED, see the module docs).
pub(crate) const NO_ROLES: &str = "0x80042f09";

/// The `accessmode` value with its label, as the service quotes it.
fn access_mode(mode: i64) -> String {
    let label = match mode {
        0 => "Read-Write",
        1 => "Administrative",
        2 => "Read",
        3 => "Support User",
        4 => "Non-interactive",
        5 => "Delegated Admin",
        _ => "Unknown",
    };
    format!("'{mode} {label}'")
}

/// `Principal user (Id=…, type=8, roleCount=…, …)`.
fn principal_text(principal: &Principal) -> String {
    let object_id = principal
        .object_id
        .map(|id| format!(", AADObjectId='{id}'"))
        .unwrap_or_default();
    format!(
        "Principal user (Id={}, type=8, roleCount={}, privilegeCount={}, accessMode={}{object_id}, businessUnitId={})",
        principal.user,
        principal.roles.len(),
        principal.privilege_count(),
        access_mode(principal.access_mode),
        principal.business_unit,
    )
}

/// 403: the principal has no role.
pub(crate) fn no_roles(principal: &Principal) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        NO_ROLES,
        format!(
            "SecLib::RetrievePrivilegeForUser failed - no roles are assigned to user. Returned \
             hr = -2147209463, User: {}. Assign a security role to the user (or to a team it \
             belongs to).",
            principal.user
        ),
    )
}

/// 403: the principal does not hold the privilege at any depth.
pub(crate) fn missing_privilege(
    principal: &Principal,
    privilege: &str,
    privilege_id: Uuid,
    table: &Table,
) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        PRIVILEGE_DENIED,
        format!(
            "{}, is missing {privilege} privilege (Id={privilege_id}) on OTC={} for entity '{}' \
             (LocalizedName='{}'). context.Caller={}. Consider adding missed privilege to one of \
             the principal (user/team) roles.",
            principal_text(principal),
            table.object_type_code,
            table.logical_name,
            table.display_name,
            principal.user,
        ),
    )
}

/// 403: the principal does not hold a privilege that belongs to no table
/// (`prvActOnBehalfOfAnotherUser`): the same message without the table part (UNCONFIRMED).
pub(crate) fn missing_global_privilege(
    principal: &Principal,
    privilege: &str,
    privilege_id: Uuid,
) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        PRIVILEGE_DENIED,
        format!(
            "{}, is missing {privilege} privilege (Id={privilege_id}). context.Caller={}. \
             Consider adding missed privilege to one of the principal (user/team) roles.",
            principal_text(principal),
            principal.user,
        ),
    )
}

/// 403: the privilege is held, but its depth does not reach the record.
pub(crate) fn no_access(
    principal: &Principal,
    right: Right,
    table: &Table,
    record: Uuid,
    privilege: &str,
    depth: Option<Depth>,
) -> ApiError {
    let held = depth.map_or("no", Depth::label);
    ApiError::new(
        StatusCode::FORBIDDEN,
        ACCESS_DENIED,
        format!(
            "Principal with id = {} does not have {} right(s) for record with id = {record} of \
             entity {}. The principal holds {privilege} at {held} depth, which does not reach \
             the record's owner; give it a deeper {privilege} or make it (or one of its teams) \
             the owner.",
            principal.user,
            right.access_name(),
            table.logical_name,
        ),
    )
}

/// 403: the role holds a privilege deeper than the assigner does.
pub(crate) fn escalation(
    principal: &Principal,
    role: Uuid,
    role_name: &str,
    privilege: &str,
    role_depth: Depth,
    held: Option<Depth>,
) -> ApiError {
    let held = held.map_or_else(
        || "does not hold it".to_owned(),
        |d| format!("holds it at {} depth", d.label()),
    );
    ApiError::new(
        StatusCode::FORBIDDEN,
        PRIVILEGE_DENIED,
        format!(
            "{} cannot assign security role '{role_name}' (Id={role}): the role has {privilege} \
             at {} depth and the assigner {held}. A principal can only assign a role whose \
             privileges it holds at the same depth or deeper.",
            principal_text(principal),
            role_depth.label(),
        ),
    )
}
