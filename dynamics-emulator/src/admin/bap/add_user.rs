//! `POST …/scopes/admin/environments/{environmentId}/addUser` with `{"objectId": "…"}` (key in
//! any case): adds a licensed directory user to the environment (`Add-AdminPowerAppsSyncUser`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::environments::environment_not_found;
use super::require_api_version;
use crate::admin::auth::BapCaller;
use crate::admin::body::{Fields, parse_object};
use crate::admin::reply;
use crate::state::Shared;

/// 200 with an empty body once the user is in the environment (also when it already was).
pub(super) async fn add_user(
    BapCaller(caller): BapCaller,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw_query): RawQuery,
    body: Bytes,
) -> Response {
    if let Err(rejection) = require_api_version(raw_query.as_deref()) {
        return rejection.into_response();
    }
    let object_id = match parse_object(&body)
        .map_err(|e| e.message())
        .and_then(|map| {
            Fields::new(&map)
                .required_uuid("objectId")
                .map_err(|e| format!("{} {}.", e.field, e.message))
        }) {
        Ok(object_id) => object_id,
        Err(message) => {
            return reply::error(StatusCode::BAD_REQUEST, "InvalidRequestContent", message);
        }
    };
    let mut store = shared.lock();
    let Some(instance_id) = Uuid::parse_str(id.trim()).ok().filter(|id| {
        store
            .environments
            .in_tenant(caller.tenant_id, *id)
            .is_some()
    }) else {
        return environment_not_found(&id);
    };
    let Some(user) = store
        .directory
        .tenant(caller.tenant_id)
        .and_then(|tenant| tenant.user(object_id))
    else {
        return reply::error(
            StatusCode::NOT_FOUND,
            "UserNotFound",
            format!("The user with object ID {object_id} was not found in the tenant's directory."),
        );
    };
    if !user.licensed {
        return reply::error(
            StatusCode::BAD_REQUEST,
            "userNotLicensed",
            format!(
                "The user {} ({object_id}) does not have a valid license for this environment. \
                 Assign a license and retry once the assignment has propagated.",
                user.upn
            ),
        );
    }
    if let Some(instance) = store.environments.get_mut(instance_id) {
        instance.add_user(object_id);
    }
    reply::empty(StatusCode::OK)
}
