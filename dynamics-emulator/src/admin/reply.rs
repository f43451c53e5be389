//! Building the admin APIs' responses: JSON bodies, the `{"error":{"code","message"}}` envelope,
//! `OperationStatus` answers and the 202 of a long-running operation.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::api_version::ApiVersion;
use super::body::{BodyError, FieldError};
use super::model::operation_status::{ItemDescription, OperationStatus};

/// A response that ends a request early, boxed because responses are large. Helpers that may
/// refuse a request return `Result<_, Rejection>`; handlers turn it back into the response.
#[derive(Debug)]
pub(crate) struct Rejection(Box<Response>);

impl From<Response> for Rejection {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// A JSON body with a status.
pub(crate) fn json(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// `{"error":{"code":…,"message":…}}`, the envelope of every admin error that is not an
/// `OperationStatus`.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    json(
        status,
        json!({ "error": { "code": code, "message": message.into() } }),
    )
}

/// 404 with code `NotFound`.
pub(crate) fn not_found(message: impl Into<String>) -> Response {
    error(StatusCode::NOT_FOUND, "NotFound", message)
}

/// 400 with code `BadRequest` (query or path values of calls without an `OperationStatus`).
pub(crate) fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// An empty body with a status.
pub(crate) fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// An `OperationStatus` body with a status.
pub(crate) fn operation(status: StatusCode, body: &OperationStatus, api: ApiVersion) -> Response {
    json(status, body.render(api))
}

/// 400 with an `OperationStatus` whose state is `FailedToCreate` and whose errors are `errors`.
pub(crate) fn rejected(api: ApiVersion, errors: Vec<ItemDescription>) -> Response {
    operation(
        StatusCode::BAD_REQUEST,
        &OperationStatus::failed_to_create(errors),
        api,
    )
}

/// Field errors as `ItemDescription`s (code `InvalidArgument`).
pub(crate) fn field_items(errors: Vec<FieldError>) -> Vec<ItemDescription> {
    errors
        .into_iter()
        .map(|e| {
            let description = format!("{} {}.", e.field, e.message);
            ItemDescription::new(e.field, "InvalidArgument", description)
        })
        .collect()
}

/// 400 `FailedToCreate` for a body that could not be read.
pub(crate) fn unreadable_body(api: ApiVersion, error: &BodyError) -> Response {
    rejected(
        api,
        vec![ItemDescription::new(
            "RequestBody",
            "InvalidRequestBody",
            error.message(),
        )],
    )
}

/// 202 with the operation's first status, `Operation-Location` and `Retry-After`.
pub(crate) fn accepted(
    status: &OperationStatus,
    api: ApiVersion,
    retry_after_secs: u64,
) -> Response {
    let mut response = operation(StatusCode::ACCEPTED, status, api);
    let headers = response.headers_mut();
    if let Some(location) = status
        .operation_location
        .as_deref()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        headers.insert("Operation-Location", location);
    }
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}
