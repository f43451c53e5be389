//! Responses: status, headers and the whole body.

use std::fmt;

use serde::de::DeserializeOwned;
use url::Url;

use crate::error::HttpError;
use crate::request::{Method, redacted_url};

/// A response with its body read.
#[derive(Clone)]
pub struct HttpResponse {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl HttpResponse {
    /// Builds a response by hand (tests, or a `$batch` part parsed from a multipart body).
    pub fn new(
        method: Method,
        url: Url,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        HttpResponse {
            method,
            url,
            status,
            headers,
            body,
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers, names lower-case.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, owned.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The URL the request went to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The request method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Parses the body as JSON into `T`; a body that does not fit is a
    /// [`HttpError::Decode`] naming the place, not the content.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Decode {
            method: self.method,
            url: redacted_url(&self.url),
            status: self.status,
            message: format!(
                "{}{} at line {} column {}",
                match e.classify() {
                    serde_json::error::Category::Data => "unexpected shape",
                    serde_json::error::Category::Syntax => "not valid JSON",
                    serde_json::error::Category::Eof => "truncated JSON",
                    serde_json::error::Category::Io => "unreadable",
                },
                // serde's other messages can quote values (personal data); this one names a field.
                if e.to_string().starts_with("missing field") {
                    format!(
                        " ({})",
                        e.to_string().split(" at line").next().unwrap_or_default()
                    )
                } else {
                    String::new()
                },
                e.line(),
                e.column()
            ),
        })
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("method", &self.method)
            .field("url", &redacted_url(&self.url))
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}
