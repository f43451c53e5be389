//! `/{set}({key})/{property}` (and `/$value`): read, set (PUT `{"value": …}`) or clear
//! (DELETE) one column.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Call, json_body, write};
use crate::dataverse::access::Right;
use crate::dataverse::errors::ApiError;
use crate::dataverse::keys::KeyMatch;
use crate::dataverse::render::entity::cell_json;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiBody, ApiResponse, ApiResult};
use crate::dataverse::write::convert::to_cell;

/// Dispatches on the method; `raw` is the `/$value` form.
pub(crate) fn property(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
    index: u16,
    raw: bool,
) -> ApiResult {
    let definition = store.catalog.table(table);
    let logical = definition.logical_name.clone();
    let attribute = definition.attributes[usize::from(index)].clone();
    let (id, row) = key
        .find_row(&store.data, table)
        .ok_or_else(|| key.not_found(&logical))?;
    let right = if call.request.method == Method::GET {
        Right::Read
    } else {
        Right::Write
    };
    call.access
        .check_row(&store.catalog, &store.data, right, table, id)?;
    match call.request.method {
        Method::GET => {
            let Some(cell) = row.get(index) else {
                return Ok(ApiResponse::empty(StatusCode::NO_CONTENT));
            };
            let value = cell_json(&attribute, cell);
            if raw {
                let text = match &value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                return Ok(ApiResponse {
                    status: StatusCode::OK,
                    headers: Vec::new(),
                    body: ApiBody::Text(text),
                });
            }
            let context = call.env.context(&format!(
                "{}({id})/{}",
                definition.entity_set,
                attribute.json_name()
            ));
            Ok(ApiResponse::json(
                StatusCode::OK,
                json!({ "@odata.context": context, "value": value }),
            ))
        }
        Method::PUT if !raw => {
            if attribute.kind.is_lookup() {
                return Err(ApiError::bad_request(format!(
                    "Set the lookup '{}' with PUT on '{}/$ref' or with '@odata.bind'.",
                    attribute.json_name(),
                    attribute.logical_name
                )));
            }
            let body = json_body(call.request)?;
            let value = body.get("value").ok_or_else(|| {
                ApiError::bad_request("PUT on a property needs a body {\"value\": …}.")
            })?;
            let cell = to_cell(store.catalog.table(table), &attribute, value)?;
            if attribute.read_only {
                return Err(ApiError::bad_request(format!(
                    "The property '{}' is read-only.",
                    attribute.logical_name
                )));
            }
            write(store, call, |writer| {
                writer.change(table, id, vec![(index, cell)])
            })?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        Method::DELETE if !raw => {
            if attribute.read_only || attribute.kind.is_lookup() {
                return Err(ApiError::bad_request(format!(
                    "The property '{}' cannot be cleared this way.",
                    attribute.json_name()
                )));
            }
            write(store, call, |writer| {
                writer.change(table, id, vec![(index, None)])
            })?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        ref method => Err(ApiError::method_not_allowed(method.as_str(), "a property")),
    }
}
