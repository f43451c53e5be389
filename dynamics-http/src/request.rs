//! Requests, built without IO so that every client's request building unit-tests.

use std::fmt;

use serde::Serialize;
use url::Url;

use crate::HttpError;

/// An HTTP method. Our own type, so no HTTP library leaks into the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// HEAD
    Head,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }

    /// Methods that may be repeated without changing the outcome (RFC 9110 §9.2.2).
    /// PATCH is not, unless the request says so (a key or `If-Match`).
    pub fn is_idempotent(self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Put | Method::Delete
        )
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
            Method::Head => reqwest::Method::HEAD,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request, ready for [`Pipeline::send`](crate::Pipeline::send).
#[derive(Clone)]
pub struct HttpRequest {
    method: Method,
    url: Url,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    retry_safe: bool,
}

impl HttpRequest {
    /// A request with no headers and no body. Retried after an ambiguous failure only if the
    /// method is idempotent; see [`HttpRequest::retry_safe`].
    pub fn new(method: Method, url: Url) -> Self {
        HttpRequest {
            method,
            retry_safe: method.is_idempotent(),
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    /// `GET url`.
    pub fn get(url: Url) -> Self {
        Self::new(Method::Get, url)
    }

    /// `POST url`.
    pub fn post(url: Url) -> Self {
        Self::new(Method::Post, url)
    }

    /// `PUT url`.
    pub fn put(url: Url) -> Self {
        Self::new(Method::Put, url)
    }

    /// `PATCH url`.
    pub fn patch(url: Url) -> Self {
        Self::new(Method::Patch, url)
    }

    /// `DELETE url`.
    pub fn delete(url: Url) -> Self {
        Self::new(Method::Delete, url)
    }

    /// Adds a header (a later one with the same name is sent as well).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Result<Self, HttpError> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            HttpError::InvalidRequest(format!("the request body cannot be serialised: {e}"))
        })?;
        Ok(self.body(bytes, "application/json; charset=utf-8"))
    }

    /// Sets a body and its content type.
    pub fn body(mut self, bytes: Vec<u8>, content_type: &str) -> Self {
        self.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        self.headers
            .push(("Content-Type".into(), content_type.into()));
        self.body = Some(bytes);
        self
    }

    /// Declares whether repeating the request after an ambiguous failure (a timeout, a 5xx)
    /// is safe. Defaults to the method's idempotency; a POST with a client-chosen id, or a
    /// PATCH with `If-Match`, can declare itself safe.
    pub fn retry_safe(mut self, safe: bool) -> Self {
        self.retry_safe = safe;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first header with this name (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body, if any.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// Whether repeating it after an ambiguous failure is safe.
    pub fn is_retry_safe(&self) -> bool {
        self.retry_safe
    }

    /// Checks that the request can be sent as built: every header name is an RFC 9110 token
    /// and every value visible ASCII, spaces and tabs only (no CR/LF, which would split the
    /// header); the URL has a host and no user info. Errors are usage errors
    /// ([`HttpError::InvalidHeader`], [`HttpError::InvalidUrl`]), never retried.
    pub fn validate(&self) -> Result<(), HttpError> {
        check_url(&self.url)?;
        for (name, value) in &self.headers {
            check_header(name, value)?;
        }
        Ok(())
    }
}

/// Refuses URLs the pipeline must not send to: user info (it would go out as
/// `Authorization: Basic`, and it does not belong in an endpoint), or no host.
pub(crate) fn check_url(url: &Url) -> Result<(), HttpError> {
    if dynamics_auth::secure_url::has_user_info(url) {
        return Err(HttpError::InvalidUrl {
            url: redacted_url(url),
            reason: "it carries user info (user@ or user:password@ before the host); remove it"
                .into(),
        });
    }
    if url.host().is_none() || !matches!(url.scheme(), "http" | "https") {
        return Err(HttpError::InvalidUrl {
            url: redacted_url(url),
            reason: "use an absolute http(s) URL with a host".into(),
        });
    }
    Ok(())
}

/// RFC 9110 §5.1 field name (a token) and §5.5 field value, restricted to what can be sent
/// as text: visible ASCII, space and horizontal tab, no leading or trailing whitespace rule
/// enforced (it is trimmed by receivers).
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), HttpError> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(HttpError::InvalidHeader {
            name: crate::error::capped(&format!("{name:?}"), 64),
            reason: "a header name is one or more letters, digits or !#$%&'*+-.^_`|~ (no spaces, colons or line breaks)".into(),
        });
    }
    if let Some(bad) = value
        .chars()
        .find(|&c| !(c == '\t' || (' '..='~').contains(&c)))
    {
        let what = match bad {
            '\r' | '\n' => "a line break (CR or LF)".to_string(),
            c if c.is_control() => format!("the control character U+{:04X}", c as u32),
            c => format!("the non-ASCII character U+{:04X}", c as u32),
        };
        return Err(HttpError::InvalidHeader {
            name: name.to_string(),
            reason: format!(
                "the value contains {what}; header values may hold visible ASCII, spaces and tabs only (percent-encode or remove the rest)"
            ),
        });
    }
    Ok(())
}

/// Shows method, path and header names only: query strings and bodies may hold personal data,
/// and headers may hold tokens.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &redacted_url(&self.url))
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// The URL without its query string (which may carry personal data, such as a filter on an
/// e-mail address), for logs and errors.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = format!("{}{}", url.origin().ascii_serialization(), url.path());
    if url.query().is_some() {
        shown.push_str("?…");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn line_breaks_and_control_characters_are_usage_errors() {
        for value in ["a\r\nb", "a\nb", "a\rb", "nul\0", "del\u{7f}", "caf\u{e9}"] {
            let err = check_header("X-Test", value).expect_err(value);
            assert!(matches!(err, HttpError::InvalidHeader { .. }), "{err:?}");
            assert!(!err.is_retryable());
        }
        assert!(check_header("X-Test", "visible ascii\tand tabs ~!").is_ok());
        assert!(check_header("If-Match", "W/\"1\"").is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// What passes the check is exactly what the HTTP library can send.
        #[test]
        fn the_header_check_agrees_with_the_http_library(
            name in "\\PC{0,12}|[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}",
            value in "\\PC{0,40}|[ -~\t]{0,40}",
        ) {
            let ours = check_header(&name, &value).is_ok();
            let theirs = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && reqwest::header::HeaderValue::from_str(&value).is_ok();
            if ours {
                prop_assert!(theirs, "{:?}: {:?}", name, value);
            }
            if let Err(e) = check_header(&name, &value) {
                prop_assert!(!e.is_retryable());
            }
        }
    }
}
