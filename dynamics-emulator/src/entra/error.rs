//! Entra-shaped errors: the OAuth error code, the AADSTS number, the message, and how they are
//! rendered (JSON body, redirect parameters or an error page).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use crate::state::Shared;

/// An error as Entra reports it: `error`, an AADSTS code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AadError {
    /// The OAuth `error` value, e.g. `invalid_grant`.
    pub(crate) error: &'static str,
    /// The AADSTS number.
    pub(crate) code: u32,
    /// The message after `AADSTS<code>: `.
    pub(crate) message: String,
}

/// Per-request identifiers that appear in error bodies.
#[derive(Debug, Clone)]
pub(crate) struct RequestMeta {
    pub(crate) trace_id: Uuid,
    /// The client's `client-request-id` header if it sent one, else a fresh GUID.
    pub(crate) correlation_id: String,
}

impl RequestMeta {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let correlation_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Uuid::parse_str(v.trim()).ok())
            .unwrap_or_else(Uuid::new_v4);
        Self {
            trace_id: Uuid::new_v4(),
            correlation_id: correlation_id.to_string(),
        }
    }
}

/// `2016-01-09 02:02:12Z`, the timestamp format of Entra error bodies.
const TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");

impl AadError {
    pub(crate) fn new(error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Self {
            error,
            code,
            message: message.into(),
        }
    }

    /// 401 for `invalid_client`, 500 for `server_error`, 400 otherwise.
    pub(crate) fn status(&self) -> StatusCode {
        match self.error {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// `AADSTS<code>: <message>` without the trace lines.
    pub(crate) fn headline(&self) -> String {
        format!("AADSTS{}: {}", self.code, self.message)
    }

    /// The full `error_description`, trace lines included.
    pub(crate) fn description(&self, timestamp: &str, meta: &RequestMeta) -> String {
        format!(
            "{}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
            self.headline(),
            meta.trace_id,
            meta.correlation_id,
            timestamp
        )
    }

    /// The JSON error response of the token and device-code endpoints.
    pub(crate) fn to_json_response(&self, shared: &Shared, meta: &RequestMeta) -> Response {
        let timestamp = timestamp(shared);
        let body = json!({
            "error": self.error,
            "error_description": self.description(&timestamp, meta),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": meta.trace_id.to_string(),
            "correlation_id": meta.correlation_id,
            "error_uri": shared.url(&format!("error?code={}", self.code)),
        });
        let mut response = (self.status(), axum::Json(body)).into_response();
        add_trace_headers(response.headers_mut(), meta);
        no_store(response.headers_mut());
        response
    }

    /// The error page shown when the error cannot be sent back to the app (no valid redirect URI).
    pub(crate) fn to_page(&self, shared: &Shared, meta: &RequestMeta) -> Response {
        let timestamp = timestamp(shared);
        let page = format!(
            "<!DOCTYPE html><html><head><title>Sign in error</title></head><body>\
             <h1>Sorry, but we're having trouble signing you in.</h1><p>{}</p>\
             <p>Trace ID: {}<br>Correlation ID: {}<br>Timestamp: {}</p></body></html>",
            html_escape(&self.headline()),
            meta.trace_id,
            html_escape(&meta.correlation_id),
            timestamp
        );
        let mut response = (StatusCode::BAD_REQUEST, Html(page)).into_response();
        add_trace_headers(response.headers_mut(), meta);
        response
    }

    /// The `error`, `error_description` and `error_uri` parameters of an error redirect.
    pub(crate) fn redirect_params(
        &self,
        shared: &Shared,
        meta: &RequestMeta,
    ) -> Vec<(String, String)> {
        vec![
            ("error".to_owned(), self.error.to_owned()),
            (
                "error_description".to_owned(),
                self.description(&timestamp(shared), meta),
            ),
            (
                "error_uri".to_owned(),
                shared.url(&format!("error?code={}", self.code)),
            ),
        ]
    }
}

/// The emulator clock in Entra's error timestamp format.
fn timestamp(shared: &Shared) -> String {
    shared
        .clock
        .now()
        .format(TIMESTAMP)
        .unwrap_or_else(|_| "1970-01-01 00:00:00Z".to_owned())
}

/// `x-ms-request-id` and `client-request-id` response headers.
pub(crate) fn add_trace_headers(headers: &mut HeaderMap, meta: &RequestMeta) {
    if let Ok(value) = HeaderValue::from_str(&meta.trace_id.to_string()) {
        headers.insert("x-ms-request-id", value);
    }
    if let Ok(value) = HeaderValue::from_str(&meta.correlation_id) {
        headers.insert("client-request-id", value);
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache`, as on every token response.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_oauth_error() {
        assert_eq!(
            AadError::new("invalid_client", 7000215, "x").status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            AadError::new("invalid_grant", 70008, "x").status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn description_has_entra_trace_lines() {
        let meta = RequestMeta {
            trace_id: Uuid::nil(),
            correlation_id: "c".to_owned(),
        };
        let text = AadError::new("invalid_grant", 70008, "gone")
            .description("2024-01-01 00:00:00Z", &meta);
        assert_eq!(
            text,
            "AADSTS70008: gone\r\nTrace ID: 00000000-0000-0000-0000-000000000000\r\n\
             Correlation ID: c\r\nTimestamp: 2024-01-01 00:00:00Z"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
