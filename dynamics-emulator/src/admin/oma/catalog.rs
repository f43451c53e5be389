//! The catalogue reads: `Currencies`, `ServiceVersions`, `Languages?releaseId=`, `Templates`,
//! `InstanceTypeInfo` and `InstanceTypeInfo/{type}`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use uuid::Uuid;

use crate::admin::api_version::ApiVersion;
use crate::admin::auth::OmaCaller;
use crate::admin::model::catalog::{self, Capacity};
use crate::admin::{query, reply};
use crate::seed::InstanceType;
use crate::state::{Shared, Store};
use crate::wire_enum::WireEnum;

/// `GET Currencies`.
pub(super) async fn currencies(_caller: OmaCaller) -> Response {
    reply::json(StatusCode::OK, catalog::render_regions())
}

/// `GET ServiceVersions`.
pub(super) async fn service_versions(_caller: OmaCaller) -> Response {
    reply::json(StatusCode::OK, catalog::render_service_versions())
}

/// `GET Templates`.
pub(super) async fn templates(
    _caller: OmaCaller,
    Extension(api): Extension<ApiVersion>,
) -> Response {
    reply::json(StatusCode::OK, catalog::render_templates(api))
}

/// `GET Languages?releaseId={serviceVersionId}`: 400 without a GUID, 404 for an unknown release.
pub(super) async fn languages(_caller: OmaCaller, RawQuery(raw_query): RawQuery) -> Response {
    let Some(release) = query::value(raw_query.as_deref(), "releaseId") else {
        return reply::bad_request("The releaseId query parameter is required.");
    };
    let Ok(release_id) = Uuid::parse_str(&release) else {
        return reply::bad_request(format!("releaseId {release} is not a GUID."));
    };
    if catalog::service_version(release_id).is_none() {
        return reply::not_found(format!(
            "The release {release_id} was not found (see GET ServiceVersions)."
        ));
    }
    reply::json(StatusCode::OK, catalog::render_languages())
}

/// The `InstanceTypeInfo` of one capacity entry, counting the tenant's instances.
fn type_info(store: &Store, tenant_id: Uuid, capacity: &Capacity, api: ApiVersion) -> Value {
    let consumed = store
        .environments
        .of_tenant(tenant_id)
        .filter(|i| i.instance_type == capacity.instance_type)
        .count();
    catalog::render_type_info(capacity.instance_type, capacity.total, consumed, api)
}

/// `GET InstanceTypeInfo`.
pub(super) async fn instance_types(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let store = shared.lock();
    let infos: Vec<Value> = catalog::CAPACITY
        .iter()
        .filter(|c| catalog::type_in_version(c.instance_type, api))
        .map(|c| type_info(&store, caller.tenant_id, c, api))
        .collect();
    reply::json(StatusCode::OK, Value::Array(infos))
}

/// `GET InstanceTypeInfo/{type}`: the type by name (any case) or number; 404 when unknown.
pub(super) async fn instance_type(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Response {
    let instance_type = InstanceType::from_name(&name).or_else(|| {
        name.trim()
            .parse::<u64>()
            .ok()
            .and_then(InstanceType::from_index)
    });
    let capacity = instance_type.and_then(|t| {
        catalog::CAPACITY
            .iter()
            .find(|c| c.instance_type == t && catalog::type_in_version(t, api))
    });
    match capacity {
        Some(capacity) => {
            let store = shared.lock();
            reply::json(
                StatusCode::OK,
                type_info(&store, caller.tenant_id, capacity, api),
            )
        }
        None => reply::not_found(format!("The instance type {name} was not found.")),
    }
}
