//! Writes to table definitions and the metadata functions around them: `POST
//! EntityDefinitions`, `PUT EntityDefinitions(…)` (PATCH refused: the service supports only PUT
//! for definitions), `POST …/Attributes`, `PUT …/Attributes(…)`, `POST …/Keys`, `DELETE` of
//! tables, columns and keys, `GlobalOptionSetDefinitions` (GET and POST), `RetrieveVersion`, `PublishXml` and
//! `PublishAllXml`. Definitions apply at once, so publishing is validated and counted only.
//! Definition changes are not part of a `$batch` change set's rollback.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Call, json_body, no_content_with_id};
use crate::dataverse::errors::{ApiError, VALIDATION};
use crate::dataverse::metadata::alternate_keys::read_key;
use crate::dataverse::metadata::columns::read_column;
use crate::dataverse::metadata::create::{add_table, read_table};
use crate::dataverse::metadata::csdl;
use crate::dataverse::metadata::option_sets::{self, read_global};
use crate::dataverse::metadata::removal::{self, RemoveError};
use crate::dataverse::metadata::update::{UpdateError, update_column, update_table};
use crate::dataverse::odata::literal::Literal;
use crate::dataverse::odata::path::{Key, Segment};
use crate::dataverse::security;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiBody, ApiResponse, ApiResult};

/// The version `RetrieveVersion` answers (a plausible Dataverse online version).
pub(crate) const ORG_VERSION: &str = "9.2.24101.200";

pub(super) fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, VALIDATION, message)
}

fn header<'a>(call: &'a Call<'_>, name: &str) -> Option<&'a str> {
    call.request
        .headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `MSCRM.MergeLabels: true`.
fn merge_labels(call: &Call<'_>) -> bool {
    header(call, "MSCRM.MergeLabels").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Answers the unbound metadata routes (`GlobalOptionSetDefinitions`, `RetrieveVersion`,
/// `CreateEntities`, `PublishXml`, `PublishAllXml`); `None` for other paths.
pub(crate) fn route(
    store: &mut DataverseStore,
    call: &Call<'_>,
    segments: &[Segment],
) -> Option<ApiResult> {
    let first = segments.first()?;
    let method = &call.request.method;
    let answer = match (first.name.as_str(), segments.len()) {
        ("GlobalOptionSetDefinitions", 1) => global_option_sets(store, call, first.key.as_ref()),
        ("RetrieveVersion", 1) if matches!(first.key, None | Some(Key::Empty)) => {
            if *method == Method::GET {
                Ok(ApiResponse::json(
                    StatusCode::OK,
                    json!({
                        "@odata.context": call.env.context("Microsoft.Dynamics.CRM.RetrieveVersionResponse"),
                        "Version": ORG_VERSION,
                    }),
                ))
            } else {
                Err(ApiError::method_not_allowed(
                    method.as_str(),
                    "RetrieveVersion",
                ))
            }
        }
        ("$metadata", 1) if first.key.is_none() && *method == Method::GET => {
            if let Err(error) = call.options.allow_only(&["annotations"]) {
                return Some(Err(error));
            }
            // `?annotations=true`, or `Prefer: odata.include-annotations` naming annotations.
            let annotations = call.request.query.get("annotations") == Some("true")
                || call
                    .request
                    .headers
                    .get("Prefer")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("odata.include-annotations"));
            Ok(ApiResponse {
                status: StatusCode::OK,
                headers: Vec::new(),
                body: ApiBody::Xml(csdl::document(&store.catalog, annotations)),
            })
        }
        ("CreateEntities", 1) if first.key.is_none() => {
            super::create_entities::create_entities(store, call)
        }
        ("PublishXml" | "PublishAllXml", 1) if first.key.is_none() => {
            publish(store, call, &first.name)
        }
        _ => return None,
    };
    Some(answer)
}

fn publish(store: &mut DataverseStore, call: &Call<'_>, name: &str) -> ApiResult {
    if call.request.method != Method::POST {
        return Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            name,
        ));
    }
    if name == "PublishXml" {
        let body = json_body(call.request)?;
        let xml = body
            .get("ParameterXml")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "PublishXml needs 'ParameterXml' (<importexportxml>…</importexportxml>).",
                )
            })?;
        let document = roxmltree::Document::parse(xml).map_err(|e| {
            ApiError::bad_request(format!("'ParameterXml' is not well-formed XML: {e}."))
        })?;
        if document.root_element().tag_name().name() != "importexportxml" {
            return Err(ApiError::bad_request(
                "'ParameterXml' must be an <importexportxml> element.",
            ));
        }
        for entity in document.descendants().filter(|n| n.has_tag_name("entity")) {
            let name = entity.text().unwrap_or_default().trim();
            if store.catalog.by_logical(name).is_none() {
                return Err(ApiError::bad_request(format!(
                    "'ParameterXml' names the table {name}, which does not exist."
                )));
            }
        }
    }
    store.catalog.publishes += 1;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}

fn global_option_sets(store: &mut DataverseStore, call: &Call<'_>, key: Option<&Key>) -> ApiResult {
    match (&call.request.method, key) {
        (&Method::GET, None) => Ok(ApiResponse::json(
            StatusCode::OK,
            json!({
                "@odata.context": call.env.context("GlobalOptionSetDefinitions"),
                "value": option_sets::all(&store.catalog),
            }),
        )),
        (&Method::GET, Some(key)) => {
            let wanted = |set: &serde_json::Map<String, Value>| match key {
                Key::Id(id) => {
                    set.get("MetadataId").and_then(Value::as_str) == Some(id.to_string().as_str())
                }
                Key::Values(values) => {
                    matches!(values.as_slice(), [(n, Literal::Text(v))] if n == "Name"
                    && set.get("Name").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case(v)))
                }
                Key::Empty => false,
            };
            let mut set = option_sets::all(&store.catalog)
                .into_iter()
                .find(wanted)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "0x80040217",
                        "Could not find an option set with the specified key.",
                    )
                })?;
            set.insert(
                "@odata.context".to_owned(),
                json!(call.env.context("GlobalOptionSetDefinitions/$entity")),
            );
            Ok(ApiResponse::json(StatusCode::OK, Value::Object(set)))
        }
        (&Method::POST, None) => {
            let body = json_body(call.request)?;
            let set = read_global(&body).map_err(invalid)?;
            if option_sets::all(&store.catalog)
                .iter()
                .any(|s| s.get("Name").and_then(Value::as_str) == Some(set.name.as_str()))
            {
                return Err(invalid(format!(
                    "A global option set named {} already exists.",
                    set.name
                )));
            }
            let id = set.metadata_id;
            store.catalog.option_sets.push(set);
            Ok(no_content_with_id(format!(
                "{}GlobalOptionSetDefinitions({id})",
                call.env.root()
            )))
        }
        (method, _) => Err(ApiError::method_not_allowed(
            method.as_str(),
            "GlobalOptionSetDefinitions",
        )),
    }
}

/// The catalog index of the table an `EntityDefinitions(…)` key names.
fn table_index(store: &DataverseStore, key: Option<&Key>) -> Result<u16, ApiError> {
    let catalog = &store.catalog;
    let found = match key {
        Some(Key::Id(id)) => catalog.by_metadata_id(*id),
        Some(Key::Values(values)) => match values.as_slice() {
            [(name, Literal::Text(value))] if name == "LogicalName" => catalog.by_logical(value),
            _ => None,
        },
        _ => None,
    };
    found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "0x80040217",
            "Could not find an entity with the specified key.",
        )
    })
}

/// Answers a write to `EntityDefinitions…` (any method but GET).
pub(crate) fn entity_definitions(
    store: &mut DataverseStore,
    call: &Call<'_>,
    segments: &[Segment],
) -> ApiResult {
    call.options.allow_only(&[])?;
    let method = call.request.method.clone();
    let solution = header(call, "MSCRM.SolutionUniqueName").map(str::to_owned);
    let root = call.env.root();
    match (segments, &method) {
        ([all], &Method::POST) if all.key.is_none() => {
            let body = json_body(call.request)?;
            let new = read_table(&store.catalog, &body, solution.as_deref()).map_err(invalid)?;
            let index = add_table(&mut store.catalog, new).map_err(invalid)?;
            let DataverseStore { catalog, data, .. } = &mut *store;
            data.catch_up(catalog);
            // The new table's privileges, held by System Administrator.
            security::seed::sync_catalogue(store, call.env.now_unix())?;
            let id = store.catalog.table(index).metadata_id;
            Ok(no_content_with_id(format!("{root}EntityDefinitions({id})")))
        }
        ([one], &Method::PUT) => {
            let index = table_index(store, one.key.as_ref())?;
            let body = json_body(call.request)?;
            update_table(store.catalog.table_mut(index), &body, merge_labels(call))
                .map_err(update_error)?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        ([_], &Method::PATCH) => Err(ApiError::method_not_allowed(
            "PATCH",
            "table definitions (send the full definition with PUT EntityDefinitions(…))",
        )),
        ([one, member], &Method::POST) if member.name == "Attributes" && member.key.is_none() => {
            let index = table_index(store, one.key.as_ref())?;
            let body = json_body(call.request)?;
            let attribute =
                read_column(&store.catalog, &body, solution.as_deref()).map_err(invalid)?;
            let table = store.catalog.table_mut(index);
            let (name, id) = (attribute.logical_name.clone(), attribute.metadata_id);
            // Rows store only non-null cells by column index, so rows written before the
            // column read it as null.
            table.push_attribute(attribute).ok_or_else(|| {
                invalid(format!(
                    "{} already has a column named {name}.",
                    table.logical_name
                ))
            })?;
            table.bump_metadata_version();
            let table_id = table.metadata_id;
            Ok(no_content_with_id(format!(
                "{root}EntityDefinitions({table_id})/Attributes({id})"
            )))
        }
        ([one, member], &Method::PUT) if member.name == "Attributes" => {
            let index = table_index(store, one.key.as_ref())?;
            let body = json_body(call.request)?;
            let table = store.catalog.table_mut(index);
            let column = match &member.key {
                Some(Key::Id(id)) => table.attributes.iter().position(|a| a.metadata_id == *id),
                Some(Key::Values(values)) => match values.as_slice() {
                    [(n, Literal::Text(v))] if n == "LogicalName" => {
                        table.attribute_index(v).map(usize::from)
                    }
                    _ => None,
                },
                _ => None,
            }
            .ok_or_else(|| ApiError::segment_not_found("Attributes"))?;
            update_column(table, column, &body, merge_labels(call)).map_err(update_error)?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        ([one, member], &Method::POST) if member.name == "Keys" && member.key.is_none() => {
            let index = table_index(store, one.key.as_ref())?;
            let body = json_body(call.request)?;
            let key = read_key(store.catalog.table(index), &body).map_err(invalid)?;
            let id = key.metadata_id;
            let DataverseStore { catalog, data, .. } = &mut *store;
            let table = catalog.table_mut(index);
            table.alternate_keys.push(key);
            if let Err(row) = data.tables[usize::from(index)].index_new_key(table) {
                table.alternate_keys.pop();
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    crate::dataverse::errors::DUPLICATE_RECORD,
                    format!(
                        "The key cannot be created: row {row} of {} has the same key values as another row.",
                        table.logical_name
                    ),
                ));
            }
            table.bump_metadata_version();
            let table_id = table.metadata_id;
            Ok(no_content_with_id(format!(
                "{root}EntityDefinitions({table_id})/Keys({id})"
            )))
        }
        ([one], &Method::DELETE) => {
            let index = table_index(store, one.key.as_ref())?;
            no_open_change_set(store)?;
            removal::delete_table(store, index).map_err(remove_error)?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        ([one, member], &Method::DELETE) if member.name == "Attributes" => {
            let index = table_index(store, one.key.as_ref())?;
            let column = member_index(
                member.key.as_ref(),
                store
                    .catalog
                    .table(index)
                    .attributes
                    .iter()
                    .map(|a| (a.metadata_id, a.logical_name.as_str())),
            )
            .ok_or_else(|| ApiError::segment_not_found("Attributes"))?;
            no_open_change_set(store)?;
            let column =
                u16::try_from(column).map_err(|_| ApiError::segment_not_found("Attributes"))?;
            removal::delete_column(store, index, column).map_err(remove_error)?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        ([one, member], &Method::DELETE) if member.name == "Keys" => {
            let index = table_index(store, one.key.as_ref())?;
            let key = member_index(
                member.key.as_ref(),
                store
                    .catalog
                    .table(index)
                    .alternate_keys
                    .iter()
                    .map(|k| (k.metadata_id, k.logical_name.as_str())),
            )
            .ok_or_else(|| ApiError::segment_not_found("Keys"))?;
            no_open_change_set(store)?;
            removal::delete_key(store, index, key);
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        (_, method) => Err(ApiError::method_not_allowed(
            method.as_str(),
            "this EntityDefinitions path",
        )),
    }
}

/// The position of the member (column or key) a key names: by `MetadataId` or by
/// `LogicalName='…'`.
fn member_index<'a>(
    key: Option<&Key>,
    members: impl Iterator<Item = (uuid::Uuid, &'a str)>,
) -> Option<usize> {
    let mut members = members;
    match key? {
        Key::Id(id) => members.position(|(m, _)| m == *id),
        Key::Values(values) => match values.as_slice() {
            [(n, Literal::Text(v))] if n == "LogicalName" => {
                members.position(|(_, name)| name == v)
            }
            _ => None,
        },
        Key::Empty => None,
    }
}

/// Definitions are not part of a change set's rollback, and deleting one renumbers the
/// columns and relationships that the writes already made in the same change set would be
/// undone by, so a delete is refused after such writes. (Every request runs in a transaction
/// of its own, so an empty one is the normal case.)
pub(super) fn no_open_change_set(store: &DataverseStore) -> Result<(), ApiError> {
    if store.data.savepoint().is_some_and(|writes| writes > 0) {
        return Err(invalid(
            "Table definitions cannot be deleted after writes in the same $batch change set; send the DELETE on its own.".to_owned(),
        ));
    }
    Ok(())
}

/// Refusals of a delete: a definition of the platform (not custom). The service's code for
/// them is UNCONFIRMED; 0x80040203 is its generic "invalid argument".
pub(super) fn remove_error(error: RemoveError) -> ApiError {
    match error {
        RemoveError::NotFound(collection) => ApiError::segment_not_found(collection),
        RemoveError::Refused(message) => {
            ApiError::new(StatusCode::BAD_REQUEST, CANNOT_DELETE, message)
        }
    }
}

/// The code of a refused definition delete (UNCONFIRMED, see [`remove_error`]).
const CANNOT_DELETE: &str = "0x80040203";

fn update_error(error: UpdateError) -> ApiError {
    match error {
        UpdateError::Invalid(message) | UpdateError::ChangeTracking(message) => invalid(message),
    }
}
