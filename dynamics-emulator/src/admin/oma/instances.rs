//! `GET Instances` and `GET Instances/{id}`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::instance_of;
use crate::admin::api_version::ApiVersion;
use crate::admin::auth::OmaCaller;
use crate::admin::model::instance::render_instance;
use crate::admin::reply;
use crate::state::Shared;

/// `GET Instances`: the caller's tenant's instances.
pub(super) async fn list(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let store = shared.lock();
    let instances: Vec<Value> = store
        .environments
        .of_tenant(caller.tenant_id)
        .map(|instance| render_instance(instance, api))
        .collect();
    reply::json(StatusCode::OK, Value::Array(instances))
}

/// `GET Instances/{id}`: one instance, 404 if unknown.
pub(super) async fn get_one(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let store = shared.lock();
    match instance_of(&store, &caller, &id) {
        Ok(instance) => reply::json(StatusCode::OK, render_instance(instance, api)),
        Err(rejection) => rejection.into_response(),
    }
}
