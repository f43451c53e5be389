//! Requests and responses of the Web API, independent of the HTTP server, so that `$batch`
//! parts run through exactly the same code as top-level requests.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::odata::query_string::QueryString;

/// `Content-Type` of JSON answers.
pub(crate) const JSON: &str = "application/json; odata.metadata=minimal";
/// `Content-Type` of JSON collection answers.
pub(crate) const JSON_STREAMING: &str =
    "application/json; odata.metadata=minimal; odata.streaming=true";

/// One Web API request (top-level, or a part of a `$batch`).
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// The path after `/api/data/{version}/`, still percent-encoded.
    pub(crate) path: String,
    pub(crate) query: QueryString,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// The body of an answer.
#[derive(Debug, Clone)]
pub(crate) enum ApiBody {
    /// No body.
    Empty,
    /// JSON with the given `Content-Type`.
    Json(Value, &'static str),
    /// `text/plain`.
    Text(String),
    /// `application/xml` (the `$metadata` document).
    Xml(String),
    /// `multipart/mixed` with a boundary (the `$batch` answer).
    Multipart { boundary: String, bytes: Vec<u8> },
}

/// One Web API answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, String)>,
    pub(crate) body: ApiBody,
}

impl ApiResponse {
    /// An answer without a body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ApiBody::Empty,
        }
    }

    /// A JSON answer.
    pub(crate) fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ApiBody::Json(body, JSON),
        }
    }

    /// A JSON collection answer (`odata.streaming=true`).
    pub(crate) fn collection(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: ApiBody::Json(body, JSON_STREAMING),
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The value of a header set on this answer.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx or 304.
    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success() || self.status == StatusCode::NOT_MODIFIED
    }

    /// `Content-Type` of the body, if any.
    pub(crate) fn content_type(&self) -> Option<String> {
        match &self.body {
            ApiBody::Empty => None,
            ApiBody::Json(_, content_type) => Some((*content_type).to_owned()),
            ApiBody::Text(_) => Some("text/plain".to_owned()),
            ApiBody::Xml(_) => Some("application/xml".to_owned()),
            ApiBody::Multipart { boundary, .. } => {
                Some(format!("multipart/mixed; boundary={boundary}"))
            }
        }
    }

    /// The body bytes.
    pub(crate) fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            ApiBody::Empty => Vec::new(),
            ApiBody::Json(value, _) => serde_json::to_vec(value).unwrap_or_default(),
            ApiBody::Text(text) | ApiBody::Xml(text) => text.clone().into_bytes(),
            ApiBody::Multipart { bytes, .. } => bytes.clone(),
        }
    }

    /// The HTTP response, with `OData-Version: 4.0` and the content type.
    pub(crate) fn into_http(self) -> Response {
        let content_type = self.content_type();
        let bytes = self.body_bytes();
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert("OData-Version", HeaderValue::from_static("4.0"));
        if let Some(content_type) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::CONTENT_TYPE, content_type);
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }
}

impl From<ApiError> for ApiResponse {
    fn from(error: ApiError) -> Self {
        Self::json(
            error.status,
            json!({ "error": { "code": error.code, "message": error.message } }),
        )
    }
}

/// The result of a Web API operation.
pub(crate) type ApiResult = Result<ApiResponse, ApiError>;
