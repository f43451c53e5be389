//! Polling long-running operations: `GET Operation/{id}` and (v1.2)
//! `GET Operation?query.operationProvider=…&query.instanceId=…`. Each poll advances the
//! operation one step.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use uuid::Uuid;

use crate::admin::api_version::ApiVersion;
use crate::admin::auth::{Caller, OmaCaller};
use crate::admin::operations;
use crate::admin::{query, reply};
use crate::state::Shared;

/// Polls the caller's operation and answers its status (with `Retry-After` while it runs), or
/// 404.
fn poll(shared: &Shared, caller: &Caller, api: ApiVersion, id: Option<Uuid>) -> Response {
    let now = shared.clock.now();
    let mut store = shared.lock();
    let retry_after = store.admin.script.retry_after_secs;
    let Some(status) =
        id.and_then(|id| operations::poll(&mut store, &shared.base_url, caller.tenant_id, id, now))
    else {
        return reply::not_found("The operation was not found.");
    };
    let mut response = reply::operation(StatusCode::OK, &status, api);
    if !status.status.is_terminal() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
    response
}

/// `GET Operation/{id}`.
pub(super) async fn by_id(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    poll(&shared, &caller, api, Uuid::parse_str(id.trim()).ok())
}

/// `GET Operation?query.operationProvider={name}&query.instanceId={id}` (v1.2): the latest
/// matching operation of the tenant (both parameters optional; the provider is a name such as
/// `ApplyUser` or `ProvisionInstance`).
pub(super) async fn by_query(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let provider = query::value(raw_query.as_deref(), "query.operationProvider");
    let instance_id = match query::value(raw_query.as_deref(), "query.instanceId") {
        None => None,
        Some(text) => match Uuid::parse_str(&text) {
            Ok(id) => Some(id),
            Err(_) => return reply::bad_request(format!("query.instanceId {text} is not a GUID.")),
        },
    };
    let id = operations::latest_matching(
        &shared.lock(),
        caller.tenant_id,
        provider.as_deref(),
        instance_id,
    );
    poll(&shared, &caller, api, id)
}
