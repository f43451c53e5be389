//! `POST CreateEntities`: several tables in one request, each a `ComplexEntityMetadata` whose
//! `Attributes` hold the primary name column and any other columns (Microsoft's Python client
//! creates tables this way). Every definition is read and checked before any is added, so a bad
//! one adds nothing. UNCONFIRMED: the answer's shape (the emulator answers the new tables'
//! MetadataIds as `EntityIds`), and where the solution is named (the
//! `MSCRM.SolutionUniqueName` header, or a `SolutionUniqueName` query parameter as the Python
//! client sends it).

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::metadata_write::invalid;
use super::{Call, json_body};
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::columns::read_column;
use crate::dataverse::metadata::complex;
use crate::dataverse::metadata::create::{NewTable, add_table, read_table};
use crate::dataverse::metadata::model::Attribute;
use crate::dataverse::metadata::naming::logical_name;
use crate::dataverse::security;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

/// One table of the request, read and checked.
struct Planned {
    table: NewTable,
    columns: Vec<Attribute>,
}

pub(super) fn create_entities(store: &mut DataverseStore, call: &Call<'_>) -> ApiResult {
    if call.request.method != Method::POST {
        return Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            "CreateEntities",
        ));
    }
    let body = json_body(call.request)?;
    let entities = match body.get("Entities") {
        Some(Value::Array(entities)) if !entities.is_empty() => entities,
        _ => {
            return Err(invalid(
                "CreateEntities needs 'Entities': a non-empty array of ComplexEntityMetadata."
                    .to_owned(),
            ));
        }
    };
    let solution = call
        .request
        .headers
        .get("MSCRM.SolutionUniqueName")
        .and_then(|v| v.to_str().ok())
        .or_else(|| call.request.query.get("SolutionUniqueName"))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let mut planned = Vec::with_capacity(entities.len());
    let mut table_names = HashSet::new();
    for (i, entity) in entities.iter().enumerate() {
        let Value::Object(entity) = complex::plain(entity.clone()) else {
            return Err(invalid(format!(
                "Entities[{i}] must be a ComplexEntityMetadata object."
            )));
        };
        let table = read_entity(store, &entity, solution.as_deref())
            .map_err(|e| invalid(format!("Entities[{i}]: {e}")))?;
        let name = logical_name(
            entity
                .get("SchemaName")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        );
        if !table_names.insert(name.clone()) {
            return Err(invalid(format!(
                "Entities[{i}]: the request defines the table {name} twice."
            )));
        }
        planned.push(table);
    }
    let mut ids = Vec::with_capacity(planned.len());
    for Planned { table, columns } in planned {
        let index = add_table(&mut store.catalog, table).map_err(invalid)?;
        let definition = store.catalog.table_mut(index);
        for column in columns {
            // Names were checked unique in read_entity, so this cannot refuse.
            definition.push_attribute(column);
        }
        ids.push(definition.metadata_id);
    }
    let DataverseStore { catalog, data, .. } = &mut *store;
    data.catch_up(catalog);
    // The new tables' privileges, held by System Administrator.
    security::seed::sync_catalogue(store, call.env.now_unix())?;
    Ok(ApiResponse::json(
        StatusCode::OK,
        json!({
            "@odata.context": call.env.context("Microsoft.Dynamics.CRM.CreateEntitiesResponse"),
            "EntityIds": ids,
        }),
    ))
}

/// One entity: the primary name column goes with the table (as `POST EntityDefinitions` takes
/// it), the other columns are read as `POST …/Attributes` reads them.
fn read_entity(
    store: &DataverseStore,
    entity: &Map<String, Value>,
    solution: Option<&str>,
) -> Result<Planned, String> {
    let attributes = match entity.get("Attributes") {
        Some(Value::Array(attributes)) => attributes.as_slice(),
        _ => return Err("'Attributes' must be an array holding the primary name column.".into()),
    };
    let (primary, others): (Vec<&Value>, Vec<&Value>) = attributes
        .iter()
        .partition(|a| a.get("IsPrimaryName").and_then(Value::as_bool) == Some(true));
    let mut table_body = entity.clone();
    table_body.insert(
        "Attributes".to_owned(),
        Value::Array(primary.into_iter().cloned().collect()),
    );
    let table = read_table(&store.catalog, &table_body, solution)?;
    let mut names: HashSet<String> = table_body["Attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("SchemaName").and_then(Value::as_str))
        .map(logical_name)
        .collect();
    let mut columns = Vec::with_capacity(others.len());
    for (i, column) in others.into_iter().enumerate() {
        let Value::Object(column) = column else {
            return Err(format!("Attributes[{i}] must be a JSON object."));
        };
        let column = read_column(&store.catalog, column, solution)
            .map_err(|e| format!("column {i} besides the primary name: {e}"))?;
        if !names.insert(column.logical_name.clone()) {
            return Err(format!(
                "the column {} is defined twice.",
                column.logical_name
            ));
        }
        columns.push(column);
    }
    Ok(Planned { table, columns })
}
