//! The HTTP entry point of the Web API: fault injection, authentication, the caller's
//! `systemuser`, service protection, latency, then the operation (off the async threads), and
//! the headers every answer carries (`OData-Version`, `x-ms-dop-hint`, `REQ_ID`).

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::json;
use uuid::Uuid;

use super::access::check::check_impersonation;
use super::batch_multipart::{BatchItem, parse_batch};
use super::budget::run_within_budget;
use super::env::Env;
use super::faults::{self, Fault};
use super::handlers::batch::run_batch;
use super::handlers::bulk_messages::targets_in;
use super::handlers::dispatch;
use super::odata::prefer::Prefer;
use super::odata::query_string::QueryString;
use super::protection::RequestCost;
use super::wire::{ApiRequest, ApiResponse};
use super::{auth, errors, identity, is_supported_version};
use crate::listener::ConnAddr;
use crate::state::Shared;

/// The largest request body read (a `$batch` of 1000 operations fits comfortably).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Handles every request under `/api/data/`.
pub(crate) async fn serve(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let dataverse = &shared.dataverse;
    dataverse.count_request();
    let settings = dataverse.settings();
    let (parts, body) = request.into_parts();
    let answer = |response: ApiResponse| finish(response, settings.dop_hint, None);
    match dataverse.faults.decide(&settings.faults) {
        Fault::None => {}
        Fault::Slow => tokio::time::sleep(settings.faults.slow_delay).await,
        Fault::Drop => {
            if let Some(ConnectInfo(conn)) = parts.extensions.get::<ConnectInfo<ConnAddr>>() {
                tracing::debug!(remote = %conn.remote, "dropping the connection (fault injection)");
                conn.kill();
            }
            return Response::new(Body::empty());
        }
        Fault::ServerError => {
            return answer(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                errors::UNEXPECTED,
                "An unexpected error occurred. (Injected by the emulator's fault injection.)",
            ));
        }
        Fault::Unavailable => {
            return answer(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "",
                "The service is temporarily unavailable. Retry later. (Injected by the \
                 emulator's fault injection.)",
            ));
        }
        Fault::Throttled => {
            let throttle = faults::injected_throttle(&settings.faults, &settings.limits);
            return answer(
                error(
                    StatusCode::TOO_MANY_REQUESTS,
                    throttle.code,
                    &throttle.message,
                )
                .with_header(header::RETRY_AFTER, throttle.retry_after_secs.to_string()),
            );
        }
    }
    let path = parts.uri.path().to_owned();
    let rest = path.strip_prefix("/api/data/").unwrap_or_default();
    let (version, rest) = rest.split_once('/').unwrap_or((rest, ""));
    if !is_supported_version(version) {
        return answer(error(
            StatusCode::NOT_FOUND,
            errors::SEGMENT_NOT_FOUND,
            &format!("Resource not found for the segment '{version}'. Use v9.0, v9.1 or v9.2."),
        ));
    }
    let origin = auth::origin(&shared);
    let mut snapshot = identity::snapshot(&shared, &origin);
    let claims = match auth::authenticate(&shared, &parts.headers, snapshot.tenant_id) {
        Ok(claims) => claims,
        Err(response) => return answer(response),
    };
    if claims.is_app_only() {
        // The tenant's apps are in the snapshot already: no second read of the environment.
        snapshot.app_name = snapshot
            .apps
            .iter()
            .find(|(client_id, _)| *client_id == claims.appid)
            .map(|(_, app)| app.display_name.clone());
    }
    let now = shared.clock.now();
    // The rows' lock may be held by a long query: wait for it off the async threads.
    let worker = Arc::clone(&shared);
    let headers = parts.headers.clone();
    let security = settings.security;
    let caller = tokio::task::spawn_blocking(move || {
        let mut store = worker.dataverse.lock();
        let original =
            identity::resolve_caller(&mut store, &snapshot, &claims, now.unix_timestamp())?;
        worker.dataverse.synced_users.record(&snapshot);
        let caller = identity::impersonate(&store, &headers, original)?;
        if caller != original {
            check_impersonation(&store, original, security)?;
        }
        Ok::<_, errors::ApiError>(caller)
    })
    .await;
    let caller = match caller {
        Ok(Ok(caller)) => caller,
        Ok(Err(e)) => return answer(e.into()),
        Err(_) => {
            return answer(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                errors::UNEXPECTED,
                "The caller could not be resolved.",
            ));
        }
    };
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return answer(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                errors::ODATA_ERROR,
                "The request body is too large.",
            ));
        }
    };
    let request = ApiRequest {
        method: parts.method.clone(),
        path: rest.to_owned(),
        query: QueryString::parse(parts.uri.query()),
        headers: parts.headers.clone(),
        body,
    };
    let batch = if rest == "$batch" {
        if parts.method != Method::POST {
            return answer(error(
                StatusCode::METHOD_NOT_ALLOWED,
                errors::ODATA_ERROR,
                "$batch accepts POST only.",
            ));
        }
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match parse_batch(content_type, &request.body) {
            Ok(items) => Some(items),
            Err(e) => return answer(e.into()),
        }
    } else {
        None
    };
    let limits = settings.limits;
    let cost = match &batch {
        Some(items) => RequestCost::batch(
            items
                .iter()
                .map(BatchItem::operations)
                .sum::<usize>()
                .try_into()
                .unwrap_or(u32::MAX),
            limits.batch_counting,
        ),
        None => targets_in(&request).map_or(RequestCost::SINGLE, RequestCost::bulk),
    };
    let started = Instant::now();
    let mut remaining = None;
    if limits.enabled {
        match dataverse.protection.admit(
            caller.user_id,
            &limits,
            dataverse.now(&shared),
            cost.counted,
        ) {
            Ok(left) => remaining = Some(left),
            Err(throttle) => {
                let response = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    throttle.code,
                    &throttle.message,
                )
                .with_header(header::RETRY_AFTER, throttle.retry_after_secs.to_string());
                return answer(response);
            }
        }
    }
    let delay = settings.latency.delay(cost.operations);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let env = Env {
        origin,
        version: version.to_owned(),
        caller,
        organization_id: dataverse.organization_id(),
        now,
        security: settings.security,
    };
    let worker = Arc::clone(&shared);
    let continue_on_error = Prefer::from_headers(&parts.headers).continue_on_error;
    let response = tokio::task::spawn_blocking(move || {
        let mut store = worker.dataverse.lock();
        match batch {
            // Each part of a batch is checked against the budget on its own.
            Some(items) => run_batch(&mut store, &env, &items, continue_on_error),
            None => run_within_budget(&mut store, |store| dispatch(store, &env, &request)),
        }
    })
    .await
    .unwrap_or_else(|_| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            errors::UNEXPECTED,
            "The operation failed unexpectedly.",
        )
    });
    if limits.enabled {
        dataverse
            .protection
            .finish(caller.user_id, dataverse.now(&shared), started.elapsed());
    }
    finish(response, settings.dop_hint, remaining)
}

fn error(status: StatusCode, code: &str, message: &str) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({ "error": { "code": code, "message": message } }),
    )
}

/// Adds the headers every Web API answer has.
fn finish(
    response: ApiResponse,
    dop_hint: u32,
    remaining: Option<super::protection::Remaining>,
) -> Response {
    let mut response = response.into_http();
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("x-ms-dop-hint"),
        HeaderValue::from(dop_hint),
    );
    if let Ok(id) = HeaderValue::from_str(&Uuid::new_v4().to_string()) {
        headers.insert(HeaderName::from_static("req_id"), id);
    }
    if let Some(left) = remaining {
        headers.insert(
            HeaderName::from_static("x-ms-ratelimit-burst-remaining-xrm-requests"),
            HeaderValue::from(left.requests),
        );
        headers.insert(
            HeaderName::from_static("x-ms-ratelimit-time-remaining-xrm-requests"),
            HeaderValue::from(left.execution_ms),
        );
    }
    response
}
