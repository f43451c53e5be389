//! `GET InstanceBackups?instanceId=`, `POST InstanceBackups` (long-running) and
//! `GET InstanceBackups/{instanceId}/{restorePointId}`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use uuid::Uuid;

use super::{instance_of, read_body};
use crate::admin::api_version::ApiVersion;
use crate::admin::auth::OmaCaller;
use crate::admin::model::backup::Backup;
use crate::admin::model::operation_status::ItemDescription;
use crate::admin::model::requests::NewBackupRequest;
use crate::admin::operations::{self, Work};
use crate::admin::{query, reply};
use crate::state::Shared;

/// How long manual backups are kept.
const BACKUP_RETENTION: time::Duration = time::Duration::days(7);

/// `GET InstanceBackups?instanceId={id}`: the instance's backups, newest first.
pub(super) async fn list(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let Some(id) = query::value(raw_query.as_deref(), "instanceId") else {
        return reply::bad_request("The instanceId query parameter is required.");
    };
    let store = shared.lock();
    let instance_id = match instance_of(&store, &caller, &id) {
        Ok(instance) => instance.id,
        Err(rejection) => return rejection.into_response(),
    };
    let mut backups: Vec<&Backup> = store
        .admin
        .backups
        .iter()
        .filter(|b| b.instance_id == instance_id)
        .collect();
    backups.sort_by_key(|b| std::cmp::Reverse(b.created_on));
    reply::json(
        StatusCode::OK,
        Value::Array(backups.iter().map(|b| b.render()).collect()),
    )
}

/// `GET InstanceBackups/{instanceId}/{restorePointId}`.
pub(super) async fn get_one(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
    Path((id, point)): Path<(String, String)>,
) -> Response {
    let store = shared.lock();
    let instance_id = match instance_of(&store, &caller, &id) {
        Ok(instance) => instance.id,
        Err(rejection) => return rejection.into_response(),
    };
    let point_id = Uuid::parse_str(point.trim()).ok();
    store
        .admin
        .backups
        .iter()
        .find(|b| b.instance_id == instance_id && Some(b.id) == point_id)
        .map_or_else(
            || {
                reply::not_found(format!(
                    "The backup {point} of instance {id} was not found."
                ))
            },
            |backup| reply::json(StatusCode::OK, backup.render()),
        )
}

/// `POST InstanceBackups`: starts a backup; unknown instances are a 400 (the spec has no 404).
pub(super) async fn create(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    let request = match read_body(api, &body, NewBackupRequest::read) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let now = shared.clock.now();
    let mut store = shared.lock();
    let Some(instance) = store
        .environments
        .in_tenant(caller.tenant_id, request.instance_id)
    else {
        return reply::rejected(
            api,
            vec![ItemDescription::new(
                "InstanceId",
                "InstanceNotFound",
                format!(
                    "The instance {} was not found in the tenant.",
                    request.instance_id
                ),
            )],
        );
    };
    let backup = Backup {
        id: Uuid::new_v4(),
        tenant_id: caller.tenant_id,
        instance_id: instance.id,
        label: request.label.trim().to_owned(),
        notes: request.notes,
        created_by: caller.display_name(),
        created_on: now,
        expires_on: now + BACKUP_RETENTION,
        version: instance.version.clone(),
        users: Vec::new(),
    };
    let status = operations::start(
        &mut store,
        &shared.base_url,
        caller.tenant_id,
        api,
        Work::Backup(backup),
    );
    reply::accepted(&status, api, store.admin.script.retry_after_secs)
}
