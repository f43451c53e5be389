//! Functions: `WhoAmI` and the service document (solution import is in `solution`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::dataverse::env::Env;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::ApiResponse;

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
