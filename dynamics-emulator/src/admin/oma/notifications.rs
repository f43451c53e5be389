//! User notifications (v1.2): `POST Notifications` (long-running) and
//! `GET Notifications/{tenantId}/{userObjectId}?environments=…`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use uuid::Uuid;

use super::read_body;
use crate::admin::api_version::ApiVersion;
use crate::admin::auth::OmaCaller;
use crate::admin::model::notification::{Notification, NotificationPriority, NotificationState};
use crate::admin::model::requests::NotificationRequest;
use crate::admin::operations::{self, Work};
use crate::admin::{query, reply};
use crate::state::Shared;

/// `POST Notifications`: 404 when an environment is not the tenant's; the notification is
/// stored when the operation succeeds. `AdminId` defaults to the signed-in user.
pub(super) async fn post(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    let request = match read_body(api, &body, NotificationRequest::read) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let now = shared.clock.now();
    let mut store = shared.lock();
    if let Some(missing) = request.environments.iter().find(|e| {
        store
            .environments
            .in_tenant(caller.tenant_id, e.id)
            .is_none()
    }) {
        return reply::not_found(format!(
            "The environment {} was not found in the tenant.",
            missing.id
        ));
    }
    let notification = Notification {
        id: request.id.unwrap_or_else(Uuid::new_v4),
        admin_id: request
            .admin_id
            .or_else(|| caller.user_id())
            .unwrap_or_else(Uuid::nil),
        tenant_id: caller.tenant_id,
        created_at: now,
        environments: request.environments,
        state: request.state.unwrap_or(NotificationState::Unread),
        priority: request.priority.unwrap_or(NotificationPriority::Low),
        org_id: request.org_id,
        content: request.content,
    };
    let work = Work::PostUserNotification(Box::new(notification));
    let status = operations::start(&mut store, &shared.base_url, caller.tenant_id, api, work);
    reply::accepted(&status, api, store.admin.script.retry_after_secs)
}

/// `GET Notifications/{tenantId}/{userObjectId}?environments={id}&environments={id}`: the
/// user's notifications about any of the environments (comma-separated lists work too).
pub(super) async fn list(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
    Path((tenant, user)): Path<(String, String)>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    if Uuid::parse_str(tenant.trim()).ok() != Some(caller.tenant_id) {
        return reply::not_found(format!("The tenant {tenant} was not found."));
    }
    let Ok(user_id) = Uuid::parse_str(user.trim()) else {
        return reply::bad_request(format!("userObjectId {user} is not a GUID."));
    };
    let mut environments = Vec::new();
    for value in query::values(raw_query.as_deref(), "environments")
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        match Uuid::parse_str(value) {
            Ok(id) => environments.push(id),
            Err(_) => return reply::bad_request(format!("environments: {value} is not a GUID.")),
        }
    }
    if environments.is_empty() {
        return reply::bad_request("The environments query parameter is required.");
    }
    let store = shared.lock();
    let notifications: Vec<Value> = store
        .admin
        .notifications
        .iter()
        .filter(|n| n.tenant_id == caller.tenant_id && n.admin_id == user_id)
        .filter(|n| n.concerns_any(&environments))
        .map(Notification::render)
        .collect();
    reply::json(StatusCode::OK, Value::Array(notifications))
}
