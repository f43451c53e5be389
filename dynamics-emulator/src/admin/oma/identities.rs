//! Tenant application identities ("management apps"): list, get, create (201), delete, enable
//! and disable. `{id}` in paths is the identity's `Id` or its `AadApplicationId`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use uuid::Uuid;

use crate::admin::auth::{Caller, OmaCaller};
use crate::admin::body::{Fields, parse_object};
use crate::admin::model::identity::AppIdentity;
use crate::admin::model::requests::IdentityRequest;
use crate::admin::reply::{self, Rejection};
use crate::state::{Shared, Store};

/// The position of the caller's identity named by `key`.
fn position(store: &Store, caller: &Caller, key: &str) -> Result<usize, Rejection> {
    let found = Uuid::parse_str(key.trim()).ok().and_then(|key| {
        store
            .admin
            .identities
            .iter()
            .position(|i| i.tenant_id == caller.tenant_id && i.is_named_by(key))
    });
    found.ok_or_else(|| {
        reply::not_found(format!(
            "The tenant application identity {key} was not found."
        ))
        .into()
    })
}

/// `GET TenantApplicationIdentities`.
pub(super) async fn list(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let store = shared.lock();
    let identities: Vec<Value> = store
        .admin
        .identities
        .iter()
        .filter(|i| i.tenant_id == caller.tenant_id)
        .map(AppIdentity::render)
        .collect();
    reply::json(StatusCode::OK, Value::Array(identities))
}

/// `GET TenantApplicationIdentities/{id}`.
pub(super) async fn get_one(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let store = shared.lock();
    match position(&store, &caller, &id) {
        Ok(index) => reply::json(StatusCode::OK, store.admin.identities[index].render()),
        Err(rejection) => rejection.into_response(),
    }
}

/// `POST TenantApplicationIdentities`: 201 with the new identity; 409 if the app is already
/// registered in the tenant; 400 for a body that cannot be read or names another tenant.
pub(super) async fn create(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    let map = match parse_object(&body) {
        Ok(map) => map,
        Err(error) => return reply::bad_request(error.message()),
    };
    let request = match IdentityRequest::read(&Fields::new(&map)) {
        Ok(request) => request,
        Err(errors) => {
            let messages: Vec<String> = errors
                .iter()
                .map(|e| format!("{} {}.", e.field, e.message))
                .collect();
            return reply::bad_request(messages.join(" "));
        }
    };
    if let Some(tenant_id) = request.tenant_id
        && tenant_id != caller.tenant_id
    {
        return reply::bad_request(format!(
            "TenantId {tenant_id} is not the caller's tenant {}.",
            caller.tenant_id
        ));
    }
    let now = shared.clock.now();
    let mut store = shared.lock();
    match store.admin.register_identity(
        caller.tenant_id,
        request.aad_application_id,
        request.enabled.unwrap_or(true),
        now,
    ) {
        Some(identity) => reply::json(StatusCode::CREATED, identity.render()),
        None => reply::error(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "The application {} is already registered as a tenant application identity.",
                request.aad_application_id
            ),
        ),
    }
}

/// `DELETE TenantApplicationIdentities/{id}`: 200 with no body.
pub(super) async fn remove(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let mut store = shared.lock();
    match position(&store, &caller, &id) {
        Ok(index) => {
            store.admin.identities.remove(index);
            reply::empty(StatusCode::OK)
        }
        Err(rejection) => rejection.into_response(),
    }
}

/// Sets `Enabled`; 200 with no body.
fn set_enabled(shared: &Shared, caller: &Caller, id: &str, enabled: bool) -> Response {
    let now = shared.clock.now();
    let mut store = shared.lock();
    match position(&store, caller, id) {
        Ok(index) => {
            if let Some(identity) = store.admin.identities.get_mut(index) {
                identity.enabled = enabled;
                identity.modified_on = now;
            }
            reply::empty(StatusCode::OK)
        }
        Err(rejection) => rejection.into_response(),
    }
}

/// `POST TenantApplicationIdentities/{id}/Enable`.
pub(super) async fn enable(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    set_enabled(&shared, &caller, &id, true)
}

/// `POST TenantApplicationIdentities/{id}/Disable`.
pub(super) async fn disable(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    set_enabled(&shared, &caller, &id, false)
}
