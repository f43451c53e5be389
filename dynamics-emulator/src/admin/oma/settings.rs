//! The synchronous instance settings: `POST Instances/{id}/UpdateAdminMode` and (v1.2)
//! `POST Instances/{id}/ConfigureInstance`. Both answer 200 `OperationStatus` (`Succeeded`) and
//! take effect at once, unless `validate=true`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{instance_of, read_body};
use crate::admin::api_version::ApiVersion;
use crate::admin::auth::OmaCaller;
use crate::admin::model::operation_status::{ItemDescription, OperationStatus};
use crate::admin::model::requests::{AdminModeRequest, ConfigureRequest};
use crate::admin::{query, reply};
use crate::state::Shared;

/// The 200 answer of a settings call.
fn done(api: ApiVersion, instance_id: uuid::Uuid) -> Response {
    let status = OperationStatus::succeeded().with_instance(instance_id);
    reply::operation(StatusCode::OK, &status, api)
}

/// `POST Instances/{id}/UpdateAdminMode[?validate=true]`. Absent settings keep their values.
pub(super) async fn update_admin_mode(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw_query): RawQuery,
    body: Bytes,
) -> Response {
    let mut store = shared.lock();
    let instance_id = match instance_of(&store, &caller, &id) {
        Ok(instance) => instance.id,
        Err(rejection) => return rejection.into_response(),
    };
    let request = match read_body(api, &body, AdminModeRequest::read) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    if let Some(user_id) = request.override_user_object_id
        && store
            .directory
            .tenant(caller.tenant_id)
            .and_then(|tenant| tenant.user(user_id))
            .is_none()
    {
        let status = OperationStatus::failed(vec![ItemDescription::new(
            "OverrideUserObjectId",
            "UserNotFound",
            format!("The user {user_id} was not found in the tenant's directory."),
        )]);
        return reply::operation(StatusCode::BAD_REQUEST, &status, api);
    }
    if !query::validate_only(raw_query.as_deref())
        && let Some(instance) = store.environments.get_mut(instance_id)
    {
        if let Some(admin_mode) = request.admin_mode {
            instance.admin_mode = admin_mode;
        }
        if let Some(enabled) = request.background_operations_enabled {
            instance.background_operations_enabled = enabled;
        }
        if request.notification_text.is_some() {
            instance.admin_mode_notification = request.notification_text;
        }
    }
    done(api, instance_id)
}

/// `POST Instances/{id}/ConfigureInstance[?validate=true]` (v1.2): sets `Purpose` and merges
/// `AdditionalProperties`.
pub(super) async fn configure(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw_query): RawQuery,
    body: Bytes,
) -> Response {
    let mut store = shared.lock();
    let instance_id = match instance_of(&store, &caller, &id) {
        Ok(instance) => instance.id,
        Err(rejection) => return rejection.into_response(),
    };
    let request = match read_body(api, &body, ConfigureRequest::read) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    if !query::validate_only(raw_query.as_deref())
        && let Some(instance) = store.environments.get_mut(instance_id)
    {
        if request.purpose.is_some() {
            instance.purpose = request.purpose;
        }
        instance
            .additional_properties
            .extend(request.additional_properties);
    }
    done(api, instance_id)
}
