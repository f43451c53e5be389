//! Application users (`POST systemusers` with `applicationid`) and moving a user to another
//! business unit (`SetBusinessSystemUser`).

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::platform::as_platform;
use super::rows::Rows;
use crate::dataverse::errors::{ApiError, VALIDATION};
use crate::dataverse::handlers::{Call, crud, json_body, write};
use crate::dataverse::metadata::catalog::Navigation;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::cell::Cell;
use crate::dataverse::wire::{ApiRequest, ApiResponse, ApiResult};

/// Whether `systemuserid` is an application user created through the Web API
/// (`POST systemusers` with `applicationid`), as opposed to the seeded users and the
/// application user the emulator makes for an app-only caller on first use.
#[allow(dead_code, reason = "read by the access checks (enforcement)")]
pub(crate) fn created_through_api(store: &DataverseStore, systemuserid: Uuid) -> bool {
    store.security.api_users.contains(&systemuserid)
}

/// Reads a GUID given as a JSON string (with or without braces).
pub(crate) fn guid(value: &Value) -> Option<Uuid> {
    value
        .as_str()
        .and_then(|s| Uuid::parse_str(s.trim().trim_matches(['{', '}'])).ok())
}

/// The `systemuser` with this application ID.
fn by_application(rows: Rows<'_>, app: Uuid) -> Option<Uuid> {
    rows.ids_where("systemuser", "applicationid", app)
        .into_iter()
        .next()
}

/// `POST systemusers`. With `applicationid` it creates an application user: a second user for
/// the same application is refused with 412 `0x80040237` (as the service answers); the
/// business unit defaults to the root unit (UNCONFIRMED: `pac admin assign-user` defaults to
/// the caller's unit; Terraform always sends it); `accessmode` defaults to 4
/// (Non-interactive); the full name (`# {app display name}`), `domainname` (UNCONFIRMED: the
/// service fills it; the emulator writes the application ID) and the service principal's
/// object ID come from the directory when the application is registered there.
pub(crate) fn create(store: &mut DataverseStore, call: &Call<'_>, table: u16) -> ApiResult {
    let mut body = json_body(call.request)?;
    let Some(raw) = body.get("applicationid").filter(|v| !v.is_null()).cloned() else {
        return crud::create(store, call, table);
    };
    let app = guid(&raw).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Cannot convert the literal {raw} to the expected type 'Edm.Guid' (applicationid)."
        ))
    })?;
    if by_application(Rows::new(&store.catalog, &store.data), app).is_some() {
        return Err(ApiError::duplicate());
    }
    fill_application_user(store, &mut body, app);
    let request = ApiRequest {
        body: serde_json::to_vec(&Value::Object(body))
            .map_err(|e| ApiError::bad_request(e.to_string()))?
            .into(),
        ..call.request.clone()
    };
    let call = Call {
        env: call.env,
        request: &request,
        prefer: call.prefer.clone(),
        options: call.options.clone(),
        access: call.access.clone(),
    };
    let response = crud::create(store, &call, table)?;
    if let Some(id) = by_application(Rows::new(&store.catalog, &store.data), app) {
        store.security.api_users.insert(id);
    }
    Ok(response)
}

fn fill_application_user(store: &DataverseStore, body: &mut Map<String, Value>, app: Uuid) {
    let known = store.security.apps.get(&app);
    let has = |body: &Map<String, Value>, name: &str| {
        body.get(name).is_some_and(|v| !v.is_null())
            || body.contains_key(&format!("{name}@odata.bind"))
    };
    if !has(body, "businessunitid") {
        body.insert(
            "businessunitid@odata.bind".to_owned(),
            json!(format!("/businessunits({})", store.org.root_business_unit)),
        );
    }
    if !has(body, "accessmode") {
        body.insert("accessmode".to_owned(), json!(4));
    }
    if !has(body, "isdisabled") {
        body.insert("isdisabled".to_owned(), json!(false));
    }
    if !has(body, "domainname") {
        body.insert("domainname".to_owned(), json!(app.to_string()));
    }
    if !has(body, "fullname") && !has(body, "lastname") && !has(body, "firstname") {
        let name = known.map_or_else(|| app.to_string(), |a| a.display_name.clone());
        body.insert("fullname".to_owned(), json!(format!("# {name}")));
    }
    if !has(body, "azureactivedirectoryobjectid")
        && let Some(app) = known
    {
        body.insert(
            "azureactivedirectoryobjectid".to_owned(),
            json!(app.service_principal_id),
        );
    }
}

/// Reads an entity reference parameter: `{"@odata.type": "...", "<key>id": guid}`,
/// `{"@odata.id": "set(guid)"}` or a plain GUID string (tolerated).
fn reference(value: &Value, keys: &[&str]) -> Option<Uuid> {
    if let Some(id) = guid(value) {
        return Some(id);
    }
    let object = value.as_object()?;
    for key in keys {
        if let Some(id) = object.get(*key).and_then(guid) {
            return Some(id);
        }
    }
    let link = object.get("@odata.id")?.as_str()?;
    let inner = link.rsplit_once('(')?.1.trim_end_matches(')');
    Uuid::parse_str(inner.trim_matches(['{', '}'])).ok()
}

/// `POST systemusers({id})/Microsoft.Dynamics.CRM.SetBusinessSystemUser` with `BusinessUnit`
/// (a business unit reference), `ReassignPrincipal` (a user or team reference) and optional
/// `DoNotMoveAllRecords`. The parameter shapes follow the SDK's `SetBusinessSystemUserRequest`
/// (UNCONFIRMED JSON form: plain GUIDs are accepted as well).
///
/// The user's security roles are removed, as in the classic business-unit model (UNCONFIRMED,
/// widely reported). Records the user owns are assigned to `ReassignPrincipal` when that is
/// another principal; with the user itself they stay the user's.
pub(crate) fn set_business(store: &mut DataverseStore, call: &Call<'_>, user: Uuid) -> ApiResult {
    let body = json_body(call.request)?;
    let unit = body
        .get("BusinessUnit")
        .and_then(|v| reference(v, &["businessunitid"]))
        .ok_or_else(|| {
            ApiError::bad_request(
                "SetBusinessSystemUser needs 'BusinessUnit': {\"@odata.type\":\"Microsoft.Dynamics.CRM.businessunit\",\"businessunitid\":\"<guid>\"}.",
            )
        })?;
    let principal = match body.get("ReassignPrincipal").filter(|v| !v.is_null()) {
        Some(value) => Some(reference(value, &["systemuserid", "teamid", "ownerid"]).ok_or_else(|| {
            ApiError::bad_request(
                "'ReassignPrincipal' must reference a systemuser or a team: {\"@odata.type\":\"Microsoft.Dynamics.CRM.systemuser\",\"systemuserid\":\"<guid>\"}.",
            )
        })?),
        None => None,
    };
    if let Some(flag) = body.get("DoNotMoveAllRecords")
        && !flag.is_boolean()
    {
        return Err(ApiError::bad_request(format!(
            "Cannot convert the literal '{flag}' to the expected type 'Edm.Boolean' (DoNotMoveAllRecords)."
        )));
    }
    let rows = Rows::new(&store.catalog, &store.data);
    if !rows.exists("systemuser", user) {
        return Err(ApiError::record_not_found("systemuser", user));
    }
    if !rows.exists("businessunit", unit) {
        return Err(ApiError::record_not_found("businessunit", unit));
    }
    let reassign = match principal {
        Some(p) if rows.exists("systemuser", p) => Some((p, "systemuser")),
        Some(p) if rows.exists("team", p) => Some((p, "team")),
        Some(p) => return Err(ApiError::record_not_found("systemuser", p)),
        None => None,
    };
    if user == store.org.system_user {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            VALIDATION,
            "The SYSTEM user cannot be moved to another business unit.",
        ));
    }
    write(store, call, |writer| {
        as_platform(writer, |writer| {
            let users = writer.catalog.by_logical("systemuser").unwrap_or_default();
            let units = writer
                .catalog
                .by_logical("businessunit")
                .unwrap_or_default();
            let index = writer
                .catalog
                .table(users)
                .attribute_index("businessunitid")
                .unwrap_or_default();
            writer.change(
                users,
                user,
                vec![(
                    index,
                    Some(Cell::Lookup {
                        id: unit,
                        table: units,
                    }),
                )],
            )?;
            let roles = Rows::new(writer.catalog, writer.data).linked(
                "systemuser",
                user,
                "systemuserroles_association",
            );
            if let Some(nav @ Navigation::ManyToMany { .. }) = writer
                .catalog
                .navigation(users, "systemuserroles_association")
            {
                for role in roles {
                    writer.unrelate(users, user, nav, Some(role))?;
                }
            }
            if let Some((principal, kind)) = reassign
                && principal != user
            {
                reassign_records(writer, user, principal, kind)?;
            }
            Ok(())
        })
    })?;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}

/// Gives the records `user` owns to `principal`.
fn reassign_records(
    writer: &mut crate::dataverse::write::ops::Writer<'_>,
    user: Uuid,
    principal: Uuid,
    kind: &str,
) -> Result<(), ApiError> {
    let target = writer.catalog.by_logical(kind).unwrap_or_default();
    let users = writer.catalog.by_logical("systemuser").unwrap_or_default();
    for table in 0..u16::try_from(writer.catalog.tables.len()).unwrap_or(0) {
        let Some(owner) = writer.catalog.table(table).attribute_index("ownerid") else {
            continue;
        };
        let owned: Vec<Uuid> = writer
            .data
            .table(table)
            .rows
            .iter()
            .filter(|(_, row)| {
                matches!(row.get(owner), Some(crate::dataverse::store::cell::CellRef::Lookup { id, table: t }) if id == user && t == users)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in owned {
            writer.change(
                table,
                id,
                vec![(
                    owner,
                    Some(Cell::Lookup {
                        id: principal,
                        table: target,
                    }),
                )],
            )?;
        }
    }
    Ok(())
}
