//! Functions and actions: `WhoAmI`, `ImportSolution`, and the service document.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{Call, json_body};
use crate::dataverse::env::Env;
use crate::dataverse::errors::ApiError;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

/// `GET WhoAmI` (or `WhoAmI()`).
pub(crate) fn who_am_i(env: &Env) -> ApiResponse {
    ApiResponse::json(
        StatusCode::OK,
        json!({
            "@odata.context": env.context("Microsoft.Dynamics.CRM.WhoAmIResponse"),
            "BusinessUnitId": env.caller.business_unit_id,
            "UserId": env.caller.user_id,
            "OrganizationId": env.organization_id,
        }),
    )
}

/// `POST ImportSolution`: checks that `CustomizationFile` is base64 and records the import;
/// 204. The solution's contents are not interpreted.
pub(crate) fn import_solution(store: &mut DataverseStore, call: &Call<'_>) -> ApiResult {
    let body = json_body(call.request)?;
    let file = body
        .get("CustomizationFile")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::bad_request(
                "ImportSolution needs 'CustomizationFile' (the solution .zip as base64).",
            )
        })?;
    let bytes = STANDARD.decode(file.trim()).map_err(|e| {
        ApiError::bad_request(format!("'CustomizationFile' is not valid base64: {e}."))
    })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("'CustomizationFile' is empty."));
    }
    for flag in ["OverwriteUnmanagedCustomizations", "PublishWorkflows"] {
        if let Some(value) = body.get(flag)
            && !value.is_boolean()
        {
            return Err(ApiError::bad_request(format!(
                "Cannot convert the literal '{value}' to the expected type 'Edm.Boolean'."
            )));
        }
    }
    store.solution_imports += 1;
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}

/// `GET /api/data/v9.2/`: the entity sets.
pub(crate) fn service_document(store: &DataverseStore, env: &Env) -> ApiResponse {
    let value: Vec<Value> = store
        .catalog
        .tables
        .iter()
        .map(|t| json!({ "name": t.entity_set, "kind": "EntitySet", "url": t.entity_set }))
        .collect();
    ApiResponse::json(
        StatusCode::OK,
        json!({ "@odata.context": format!("{}$metadata", env.root()), "value": value }),
    )
}
