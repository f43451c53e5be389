//! `GET …/scopes/admin/environments` and `GET …/scopes/admin/environments/{environmentId}`
//! (`$expand` and other query options are accepted and ignored).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::model::render_environment;
use super::require_api_version;
use crate::admin::auth::BapCaller;
use crate::admin::reply;
use crate::state::Shared;

/// `GET …/scopes/admin/environments`: `{"value": [environment…]}`.
pub(super) async fn list(
    BapCaller(caller): BapCaller,
    State(shared): State<Arc<Shared>>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    if let Err(rejection) = require_api_version(raw_query.as_deref()) {
        return rejection.into_response();
    }
    let store = shared.lock();
    let environments: Vec<Value> = store
        .environments
        .of_tenant(caller.tenant_id)
        .map(render_environment)
        .collect();
    reply::json(StatusCode::OK, json!({ "value": environments }))
}

/// `GET …/scopes/admin/environments/{environmentId}`: 404 `EnvironmentNotFound` if unknown.
pub(super) async fn get_one(
    BapCaller(caller): BapCaller,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    if let Err(rejection) = require_api_version(raw_query.as_deref()) {
        return rejection.into_response();
    }
    let store = shared.lock();
    Uuid::parse_str(id.trim())
        .ok()
        .and_then(|id| store.environments.in_tenant(caller.tenant_id, id))
        .map_or_else(
            || environment_not_found(&id),
            |instance| reply::json(StatusCode::OK, render_environment(instance)),
        )
}

/// 404 `EnvironmentNotFound`.
pub(super) fn environment_not_found(id: &str) -> Response {
    reply::error(
        StatusCode::NOT_FOUND,
        "EnvironmentNotFound",
        format!("The environment '{id}' could not be found in the tenant."),
    )
}
