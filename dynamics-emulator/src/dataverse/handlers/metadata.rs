//! `EntityDefinitions`: table metadata (`/EntityDefinitions`,
//! `/EntityDefinitions(LogicalName='account')` or `({MetadataId})`, and its `/Attributes`,
//! `/Keys`, `/OneToManyRelationships`, `/ManyToOneRelationships`, `/ManyToManyRelationships`),
//! with `$select`, `$filter` on simple properties and `$expand` of those collections.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::Call;
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::metadata::describe::{collection, entity_json};
use crate::dataverse::metadata::model::{Table, schema_name};
use crate::dataverse::odata::expand::split_top_level;
use crate::dataverse::odata::filter_parser::parse_filter;
use crate::dataverse::odata::json_filter::matches;
use crate::dataverse::odata::literal::Literal;
use crate::dataverse::odata::path::{Key, Segment};
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

const COLLECTIONS: [&str; 5] = [
    "Attributes",
    "Keys",
    "OneToManyRelationships",
    "ManyToOneRelationships",
    "ManyToManyRelationships",
];

/// Routes `EntityDefinitions…`.
pub(crate) fn entity_definitions(
    store: &DataverseStore,
    call: &Call<'_>,
    segments: &[Segment],
) -> ApiResult {
    if call.request.method != Method::GET {
        return Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            "EntityDefinitions (the emulator's metadata is read-only)",
        ));
    }
    let catalog = &store.catalog;
    let context_base = "EntityDefinitions";
    match segments {
        [all] if all.key.is_none() => {
            let items = catalog.tables.iter().map(entity_json).collect();
            list(call, context_base, items)
        }
        [one] => {
            let table = find_table(catalog, one.key.as_ref())?;
            let mut body = shape(call, entity_json(table), true)?;
            expand(catalog, table, call, &mut body)?;
            body.insert(
                "@odata.context".to_owned(),
                Value::String(call.env.context(&format!("{context_base}/$entity"))),
            );
            Ok(ApiResponse::json(StatusCode::OK, Value::Object(body)))
        }
        [one, member] if COLLECTIONS.contains(&member.name.as_str()) => {
            let table = find_table(catalog, one.key.as_ref())?;
            let items = collection(catalog, table, &member.name);
            match &member.key {
                None => list(
                    call,
                    &format!("{context_base}({})/{}", table.metadata_id, member.name),
                    items,
                ),
                Some(Key::Values(values)) => {
                    let wanted = match values.as_slice() {
                        [(name, Literal::Text(value))]
                            if name == "LogicalName" || name == "SchemaName" =>
                        {
                            value
                        }
                        _ => {
                            return Err(ApiError::bad_request(
                                "Address a member by LogicalName='…'.",
                            ));
                        }
                    };
                    let item = items
                        .into_iter()
                        .find(|i| {
                            i.get("LogicalName").and_then(Value::as_str) == Some(wanted)
                                || i.get("SchemaName").and_then(Value::as_str) == Some(wanted)
                        })
                        .ok_or_else(|| {
                            ApiError::segment_not_found(&format!(
                                "{}(LogicalName='{wanted}')",
                                member.name
                            ))
                        })?;
                    Ok(ApiResponse::json(
                        StatusCode::OK,
                        Value::Object(shape(call, item, false)?),
                    ))
                }
                Some(Key::Id(id)) => {
                    let item = items
                        .into_iter()
                        .find(|i| {
                            i.get("MetadataId").and_then(Value::as_str)
                                == Some(id.to_string().as_str())
                        })
                        .ok_or_else(|| {
                            ApiError::segment_not_found(&format!("{}({id})", member.name))
                        })?;
                    Ok(ApiResponse::json(
                        StatusCode::OK,
                        Value::Object(shape(call, item, false)?),
                    ))
                }
                Some(Key::Empty) => Err(ApiError::segment_not_found(&member.name)),
            }
        }
        _ => Err(ApiError::segment_not_found(
            segments
                .last()
                .map_or("EntityDefinitions", |s| s.name.as_str()),
        )),
    }
}

fn find_table<'a>(catalog: &'a Catalog, key: Option<&Key>) -> Result<&'a Table, ApiError> {
    let found = match key {
        Some(Key::Id(id)) => catalog.tables.iter().find(|t| t.metadata_id == *id),
        Some(Key::Values(values)) => match values.as_slice() {
            [(name, Literal::Text(value))] if name == "LogicalName" => {
                catalog.by_logical(value).map(|i| catalog.table(i))
            }
            [(name, Literal::Text(value))] if name == "SchemaName" => catalog
                .tables
                .iter()
                .find(|t| schema_name(&t.logical_name).eq_ignore_ascii_case(value)),
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

fn list(call: &Call<'_>, context: &str, items: Vec<Map<String, Value>>) -> ApiResult {
    let filter = match &call.options.filter {
        Some(text) => Some(parse_filter(text, &call.request.query)?),
        None => None,
    };
    let mut value = Vec::new();
    for item in items {
        if let Some(filter) = &filter
            && !matches(filter, &item)?
        {
            continue;
        }
        value.push(Value::Object(shape(call, item, false)?));
    }
    Ok(ApiResponse::json(
        StatusCode::OK,
        json!({ "@odata.context": call.env.context(context), "value": value }),
    ))
}

/// Applies `$select` (unknown names are refused).
fn shape(
    call: &Call<'_>,
    item: Map<String, Value>,
    keep_expandable: bool,
) -> Result<Map<String, Value>, ApiError> {
    let Some(select) = &call.options.select else {
        return Ok(item);
    };
    let mut kept = Map::new();
    for name in select.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let value = item.get(name).cloned().ok_or_else(|| {
            ApiError::bad_request(format!(
                "Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.EntityMetadata'."
            ))
        })?;
        kept.insert(name.to_owned(), value);
    }
    if let Some(id) = item.get("MetadataId") {
        kept.insert("MetadataId".to_owned(), id.clone());
    }
    // The derived type of an attribute stays visible under `$select`, as the service answers.
    if let Some(kind) = item.get("@odata.type") {
        kept.insert("@odata.type".to_owned(), kind.clone());
    }
    if keep_expandable {
        for name in COLLECTIONS {
            if let Some(value) = item.get(name) {
                kept.insert(name.to_owned(), value.clone());
            }
        }
    }
    Ok(kept)
}

fn expand(
    catalog: &Catalog,
    table: &Table,
    call: &Call<'_>,
    body: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let Some(text) = &call.options.expand else {
        return Ok(());
    };
    for item in split_top_level(text, ',') {
        let name = item.split('(').next().unwrap_or_default().trim();
        if !COLLECTIONS.contains(&name) {
            return Err(ApiError::bad_request(format!(
                "Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.EntityMetadata'."
            )));
        }
        let items = collection(catalog, table, name)
            .into_iter()
            .map(Value::Object)
            .collect();
        body.insert(name.to_owned(), Value::Array(items));
    }
    Ok(())
}
