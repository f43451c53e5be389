//! Graph-shaped answers: JSON bodies with `request-id`/`client-request-id` headers, and the
//! error body `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
//! ("Microsoft Graph error responses and resource types").

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;
use uuid::Uuid;

/// The content type Graph answers JSON with.
const JSON_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// The IDs that tie a request to its answer: a fresh `request-id`, and the client's
/// `client-request-id` echoed (or a fresh one when the client sent none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestIds {
    pub(crate) request_id: Uuid,
    pub(crate) client_request_id: Uuid,
}

impl RequestIds {
    /// IDs for a request with these headers.
    pub(crate) fn for_request(headers: &HeaderMap) -> Self {
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Uuid::parse_str(v.trim()).ok())
            .unwrap_or_else(Uuid::new_v4);
        Self {
            request_id: Uuid::new_v4(),
            client_request_id,
        }
    }
}

/// A Graph error: status, code and message.
#[derive(Debug, Clone)]
pub(crate) struct GraphError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// Extra headers, e.g. `Location` on `410 Gone` or `WWW-Authenticate` on 401.
    pub(crate) headers: Vec<(header::HeaderName, String)>,
}

impl GraphError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// `400 Request_BadRequest`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    /// `400 Request_UnsupportedQuery`.
    pub(crate) fn unsupported_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
    }

    /// `404 Request_ResourceNotFound`.
    pub(crate) fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub(crate) fn with_header(
        mut self,
        name: header::HeaderName,
        value: impl Into<String>,
    ) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The HTTP answer.
    pub(crate) fn into_response(self, ids: RequestIds, now: OffsetDateTime) -> Response {
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": graph_date(now),
                    "request-id": ids.request_id,
                    "client-request-id": ids.client_request_id,
                }
            }
        });
        let mut response = json_response(self.status, &body, ids);
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// A JSON answer with Graph's headers.
pub(crate) fn json_response(status: StatusCode, body: &Value, ids: RequestIds) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    add_ids(headers, ids);
    response
}

/// A `text/plain` answer (the `$count` segment).
pub(crate) fn text_response(text: String, ids: RequestIds) -> Response {
    let mut response = Response::new(Body::from(text));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    add_ids(headers, ids);
    response
}

fn add_ids(headers: &mut HeaderMap, ids: RequestIds) {
    for (name, id) in [
        ("request-id", ids.request_id),
        ("client-request-id", ids.client_request_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
            headers.insert(name, value);
        }
    }
}

/// `2021-05-18T19:03:10`: the `innerError.date` form of the docs' examples.
fn graph_date(now: OffsetDateTime) -> String {
    now.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let ids = RequestIds {
            request_id: Uuid::from_u128(1),
            client_request_id: Uuid::from_u128(2),
        };
        let now = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        let response = GraphError::bad_request("nope").into_response(ids, now);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().contains_key("request-id"));
        assert_eq!(graph_date(now), "2026-01-02T03:04:05");
    }
}
