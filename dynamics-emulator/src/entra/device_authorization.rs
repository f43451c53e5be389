//! The device authorization endpoints: `POST /{tenant}/oauth2/v2.0/devicecode` (and the v1
//! `POST /{tenant}/oauth2/devicecode` with `resource=`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::authority::Authority;
use super::error::{AadError, RequestMeta, add_trace_headers, no_store};
use super::grant::{parse_scope, resource};
use super::params::Params;
use super::path_segment;
use crate::scope::ScopeRequest;
use crate::state::Shared;

/// `POST /{tenant}/oauth2/v2.0/devicecode` (`client_id`, `scope`).
pub(super) async fn device_code_v2(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&shared, &path_segment(segment), &headers, &body, false)
}

/// `POST /{tenant}/oauth2/devicecode` (`client_id`, `resource`).
pub(super) async fn device_code_v1(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&shared, &path_segment(segment), &headers, &body, true)
}

fn handle(shared: &Shared, segment: &str, headers: &HeaderMap, body: &[u8], v1: bool) -> Response {
    let meta = RequestMeta::from_headers(headers);
    match issue(shared, segment, &Params::from_form(body), v1) {
        Ok(response) => {
            let mut response = response.into_response();
            add_trace_headers(response.headers_mut(), &meta);
            no_store(response.headers_mut());
            response
        }
        Err(error) => error.to_json_response(shared, &meta),
    }
}

fn issue(
    shared: &Shared,
    segment: &str,
    params: &Params,
    v1: bool,
) -> Result<Json<serde_json::Value>, AadError> {
    let client_id = params.require("client_id")?;
    let scope = if v1 {
        ScopeRequest::for_resource(params.require("resource")?)
    } else {
        parse_scope(params.require("scope")?)?
    };
    let mut store = shared.lock();
    let authority = Authority::resolve(&store.directory, segment)?;
    let (tenant, app) = authority.client_app(&store.directory, segment, client_id)?;
    resource(tenant, &scope)?;
    let (tenant_id, client_id) = (tenant.id, app.client_id);

    let behaviour = store.device_behaviour;
    let lifetime = i64::try_from(behaviour.lifetime_secs).unwrap_or(i64::MAX / 4);
    let now = shared.clock.now();
    let expires_at = now
        .checked_add(time::Duration::seconds(lifetime))
        .unwrap_or(now);
    let (device_code, user_code) = store
        .grants
        .issue_device_code(tenant_id, client_id, scope, expires_at, behaviour);
    drop(store);

    let verification_uri = shared.url("devicelogin");
    let mut body = json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": behaviour.lifetime_secs,
        "interval": behaviour.interval_secs,
        "message": format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the code \
             {user_code} to authenticate."
        ),
    });
    if let (true, Some(map)) = (v1, body.as_object_mut()) {
        // ADAL-era clients read `verification_url`.
        map.insert("verification_url".to_owned(), json!(verification_uri));
    }
    Ok(Json(body))
}
