//! Admin management applications: `PUT`, `GET`, `DELETE …/adminApplications/{clientId}` and
//! `GET …/adminApplications`. Registering needs an administrator user: a service principal
//! cannot register itself.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::require_api_version;
use crate::admin::auth::{BapAdminUser, BapCaller};
use crate::admin::model::admin_application::AdminApplication;
use crate::admin::reply::{self, Rejection};
use crate::state::Shared;

/// The client ID in the path, or a 400.
fn client_id(id: &str) -> Result<Uuid, Rejection> {
    Uuid::parse_str(id.trim()).map_err(|_| {
        Rejection::from(reply::error(
            StatusCode::BAD_REQUEST,
            "InvalidApplicationId",
            format!("The application ID '{id}' is not a GUID."),
        ))
    })
}

/// `PUT …/adminApplications/{clientId}`: 200 `{"applicationId": …}` (idempotent).
pub(super) async fn register(
    BapAdminUser(caller): BapAdminUser,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    if let Err(rejection) = require_api_version(raw_query.as_deref()) {
        return rejection.into_response();
    }
    let app_id = match client_id(&id) {
        Ok(app_id) => app_id,
        Err(rejection) => return rejection.into_response(),
    };
    let now = shared.clock.now();
    let mut store = shared.lock();
    let application = store
        .admin
        .register_admin_application(caller.tenant_id, app_id, now);
    reply::json(StatusCode::OK, application.render())
}

/// `GET …/adminApplications/{clientId}`: 200 or 404 `AdminApplicationNotFound`.
pub(super) async fn get_one(
    BapCaller(caller): BapCaller,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    if let Err(rejection) = require_api_version(raw_query.as_deref()) {
        return rejection.into_response();
    }
    let app_id = match client_id(&id) {
        Ok(app_id) => app_id,
        Err(rejection) => return rejection.into_response(),
    };
    let store = shared.lock();
    store
        .admin
        .admin_application(caller.tenant_id, app_id)
        .map_or_else(
            || {
                reply::error(
                    StatusCode::NOT_FOUND,
                    "AdminApplicationNotFound",
                    format!("The application {app_id} is not registered as an admin management application."),
                )
            },
            |application| reply::json(StatusCode::OK, application.render()),
        )
}

/// `DELETE …/adminApplications/{clientId}`: 200 when removed, 204 when it was not registered.
pub(super) async fn remove(
    BapCaller(caller): BapCaller,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    if let Err(rejection) = require_api_version(raw_query.as_deref()) {
        return rejection.into_response();
    }
    let app_id = match client_id(&id) {
        Ok(app_id) => app_id,
        Err(rejection) => return rejection.into_response(),
    };
    let mut store = shared.lock();
    let before = store.admin.admin_applications.len();
    store
        .admin
        .admin_applications
        .retain(|a| !(a.tenant_id == caller.tenant_id && a.application_id == app_id));
    if store.admin.admin_applications.len() < before {
        reply::empty(StatusCode::OK)
    } else {
        reply::empty(StatusCode::NO_CONTENT)
    }
}

/// `GET …/adminApplications`: `{"value": [{"applicationId": …}]}`.
pub(super) async fn list(
    BapCaller(caller): BapCaller,
    State(shared): State<Arc<Shared>>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    if let Err(rejection) = require_api_version(raw_query.as_deref()) {
        return rejection.into_response();
    }
    let store = shared.lock();
    let applications: Vec<Value> = store
        .admin
        .admin_applications
        .iter()
        .filter(|a| a.tenant_id == caller.tenant_id)
        .map(AdminApplication::render)
        .collect();
    reply::json(StatusCode::OK, json!({ "value": applications }))
}
