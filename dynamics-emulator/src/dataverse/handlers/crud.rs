//! Create (POST), retrieve (GET), update and upsert (PATCH) and delete (DELETE) of single rows,
//! with `Prefer: return=representation` and the conditional headers.

use axum::http::{HeaderName, StatusCode, header};
use serde_json::Value;
use uuid::Uuid;

use super::{Call, Condition, addressed_entity, json_body, no_content_with_id, write};
use crate::dataverse::access::{Right, mark_if_application_user};
use crate::dataverse::errors::ApiError;
use crate::dataverse::keys::KeyMatch;
use crate::dataverse::odata::expand::{ExpandSpec, parse_expand};
use crate::dataverse::odata::prefer::{Applied, preference_applied};
use crate::dataverse::odata::select::{Selection, parse_select};
use crate::dataverse::render::context::fragment;
use crate::dataverse::render::entity::{Renderer, etag};
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

/// The columns and expansions of a single-entity answer.
pub(crate) struct Shape {
    pub(crate) selection: Selection,
    pub(crate) expand: Vec<ExpandSpec>,
}

/// `$select` and `$expand` of a single-entity answer.
pub(crate) fn shape(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    with_expand: bool,
) -> Result<Shape, ApiError> {
    let definition = store.catalog.table(table);
    let selection = match &call.options.select {
        Some(select) => parse_select(select, definition)?,
        None => Selection::All,
    };
    let expand = match (&call.options.expand, with_expand) {
        (Some(expand), true) => {
            parse_expand(expand, &store.catalog, table, &call.env.bind_context())?
        }
        _ => Vec::new(),
    };
    Ok(Shape { selection, expand })
}

/// A single-entity answer (`@odata.context` …`/$entity`) with an `ETag` header.
pub(crate) fn entity_response(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    id: Uuid,
    status: StatusCode,
    shape: &Shape,
    applied: Applied,
) -> ApiResult {
    let (selection, expand) = (&shape.selection, shape.expand.as_slice());
    let view = store.view();
    let row = view
        .row(table, id)
        .ok_or_else(|| ApiError::record_not_found(&store.catalog.table(table).logical_name, id))?;
    let renderer = Renderer {
        view,
        env: call.env,
        prefer: &call.prefer,
        omit_nulls: false,
        in_collection: false,
        money_companion: true,
        access: Some(&call.access),
    };
    let mut body = serde_json::Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::String(call.env.context(&format!(
            "{}/$entity",
            fragment(&store.catalog, table, selection, expand)
        ))),
    );
    body.extend(renderer.row(table, id, row, selection, expand));
    let applied = Applied {
        annotations: call.prefer.annotations.is_some(),
        ..applied
    };
    let mut response =
        ApiResponse::json(status, Value::Object(body)).with_header(header::ETAG, etag(row.version));
    if let Some(value) = preference_applied(&call.prefer, applied) {
        response = response.with_header(HeaderName::from_static("preference-applied"), value);
    }
    Ok(response)
}

/// Tables the platform maintains: their rows change only through messages
/// (`AddPrivilegesRole`, `ReplacePrivilegesRole`, `RemovePrivilegeRole`), never through plain
/// writes, which would let a caller widen a role without the checks those messages make.
const PLATFORM_MAINTAINED: [&str; 2] = ["roleprivileges", "privilege"];

pub(crate) fn refuse_platform_table(
    store: &DataverseStore,
    table: u16,
    method: &str,
) -> Result<(), ApiError> {
    let logical = store.catalog.table(table).logical_name.as_str();
    if PLATFORM_MAINTAINED.contains(&logical) {
        return Err(ApiError::method_not_allowed(
            method,
            &format!(
                "{logical} records (the platform maintains them: use AddPrivilegesRole, \
                 ReplacePrivilegesRole or RemovePrivilegeRole on the role)"
            ),
        ));
    }
    Ok(())
}

/// `POST /{set}`: 204 with `OData-EntityId`, or 201 with the row for `return=representation`.
pub(crate) fn create(store: &mut DataverseStore, call: &Call<'_>, table: u16) -> ApiResult {
    refuse_platform_table(store, table, "POST")?;
    let body = json_body(call.request)?;
    super::duplicate_rules::check(store, call, table, &body)?;
    let shape = shape(store, call, table, true)?;
    let id = write(store, call, |writer| writer.create(table, &body, None, &[]))?;
    mark_if_application_user(store, table, id);
    if call.prefer.return_representation {
        let applied = Applied {
            representation: true,
            ..Applied::default()
        };
        return entity_response(store, call, table, id, StatusCode::CREATED, &shape, applied);
    }
    let set = &store.catalog.table(table).entity_set;
    Ok(no_content_with_id(call.env.entity_url(set, id)))
}

/// `GET /{set}({key})`, with `If-None-Match` (304 unless `$expand` or annotations are used).
pub(crate) fn retrieve(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
) -> ApiResult {
    let definition = store.catalog.table(table);
    let (id, row) = key
        .find_row(&store.data, table)
        .ok_or_else(|| key.not_found(&definition.logical_name))?;
    call.access
        .check_row(&store.catalog, &store.data, Right::Read, table, id)?;
    let shape = shape(store, call, table, true)?;
    if let Some(condition) = Condition::from_headers(&call.request.headers, "if-none-match")
        && condition.matches(row.version)
        && shape.expand.is_empty()
        && call.prefer.annotations.is_none()
    {
        return Ok(ApiResponse::empty(StatusCode::NOT_MODIFIED)
            .with_header(header::ETAG, etag(row.version)));
    }
    entity_response(
        store,
        call,
        table,
        id,
        StatusCode::OK,
        &shape,
        Applied::default(),
    )
}

/// `PATCH /{set}({key})`: update, or create (upsert) when the row does not exist. `If-Match`
/// prevents the create (404) or checks the version (412); `If-None-Match: *` prevents the
/// update (412).
pub(crate) fn upsert(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
) -> ApiResult {
    refuse_platform_table(store, table, call.request.method.as_str())?;
    let mut body = json_body(call.request)?;
    let logical = store.catalog.table(table).logical_name.clone();
    let if_match = Condition::from_headers(&call.request.headers, "if-match");
    let if_none_match = Condition::from_headers(&call.request.headers, "if-none-match");
    let existing = key
        .find_row(&store.data, table)
        .map(|(id, row)| (id, row.version));
    let representation = call.prefer.return_representation;
    let shape = shape(store, call, table, false)?;
    let applied = Applied {
        representation: true,
        ..Applied::default()
    };
    match existing {
        Some((id, version)) => {
            if if_none_match == Some(Condition::Any) {
                return Err(ApiError::duplicate());
            }
            if let Some(condition) = &if_match
                && !condition.matches(version)
            {
                return Err(ApiError::version_mismatch());
            }
            if let KeyMatch::Alternate { cells, .. } = key {
                let definition = store.catalog.table(table);
                for (index, _) in cells {
                    if let Some(attribute) = definition.attribute(*index) {
                        body.remove(&attribute.json_name());
                        body.remove(&attribute.logical_name);
                    }
                }
            }
            write(store, call, |writer| writer.update(table, id, &body))?;
            if representation {
                return entity_response(store, call, table, id, StatusCode::OK, &shape, applied);
            }
            Ok(no_content_with_id(addressed_entity(call)))
        }
        None => {
            if if_match.is_some() {
                return Err(key.not_found(&logical));
            }
            let (id, preset) = match key {
                KeyMatch::Id(id) => (Some(*id), Vec::new()),
                KeyMatch::Alternate { cells, .. } => (None, cells.clone()),
            };
            let id = write(store, call, |writer| {
                writer.create(table, &body, id, &preset)
            })?;
            mark_if_application_user(store, table, id);
            if representation {
                return entity_response(
                    store,
                    call,
                    table,
                    id,
                    StatusCode::CREATED,
                    &shape,
                    applied,
                );
            }
            Ok(no_content_with_id(addressed_entity(call)))
        }
    }
}

/// `DELETE /{set}({key})`, with `If-Match`.
pub(crate) fn delete(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
) -> ApiResult {
    refuse_platform_table(store, table, call.request.method.as_str())?;
    let logical = store.catalog.table(table).logical_name.clone();
    let (id, version) = key
        .find_row(&store.data, table)
        .map(|(id, row)| (id, row.version))
        .ok_or_else(|| key.not_found(&logical))?;
    if let Some(condition) = Condition::from_headers(&call.request.headers, "if-match")
        && !condition.matches(version)
    {
        return Err(ApiError::version_mismatch());
    }
    write(store, call, |writer| writer.delete(table, id))?;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}
