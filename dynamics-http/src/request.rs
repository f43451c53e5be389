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
    if let Some(bad) = value.chars().find(|&c| !is_header_value_char(c)) {
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

/// Whether `value` can be sent as a header value: visible ASCII, spaces and horizontal tabs
/// only (RFC 9110 §5.5 without obsolete text), so no line break can end the header. The
/// rule [`HttpRequest::validate`] applies; the same rule holds for headers written anywhere
/// else, such as into the parts of a `$batch`, so that an operation is accepted or refused
/// alike however it is sent.
pub fn is_valid_header_value(value: &str) -> bool {
    value.chars().all(is_header_value_char)
}

fn is_header_value_char(c: char) -> bool {
    c == '\t' || (' '..='~').contains(&c)
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

/// The URL as logs and errors may show it: no query string (it may carry personal data,
/// such as a filter on an e-mail address), and the contents of every parenthesised path
/// segment replaced by `…` unless it is a bare GUID: a row addressed by alternate key
/// (`contacts(emailaddress1='jane@example.com')`) or a function's parameters may be
/// personal data too, while a row id is not and helps to find the row.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = url.origin().ascii_serialization();
    redact_parentheses(url.path(), &mut shown);
    if url.query().is_some() {
        shown.push_str("?…");
    }
    shown
}

/// Copies `path`, replacing what stands between each `(` and its matching `)` by `…` unless
/// it is a bare GUID or empty. Parentheses inside OData string literals (`'...'`, quotes
/// also percent-encoded as `%27`) do not count; an unclosed `(` hides the rest of the path.
fn redact_parentheses(path: &str, shown: &mut String) {
    let mut rest = path;
    while let Some(open) = rest.find('(') {
        shown.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        match closing_parenthesis(after) {
            Some(close) => {
                let inside = &after[..close];
                if inside.is_empty() || is_bare_guid(inside) {
                    shown.push_str(inside);
                } else {
                    shown.push('…');
                }
                shown.push(')');
                rest = &after[close + 1..];
            }
            None => {
                if !after.is_empty() {
                    shown.push('…');
                }
                return;
            }
        }
    }
    shown.push_str(rest);
}

/// The byte offset of the `)` that closes a `(` just before `text`, skipping nested
/// parentheses and string literals.
fn closing_parenthesis(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let quote = if bytes[i] == b'\'' {
            Some(1)
        } else if bytes[i..].starts_with(b"%27") {
            Some(3)
        } else {
            None
        };
        if let Some(len) = quote {
            // Inside a literal a doubled quote is an escaped quote: toggling twice keeps
            // the state, as it should.
            in_string = !in_string;
            i += len;
            continue;
        }
        if !in_string {
            match bytes[i] {
                b'(' => depth += 1,
                b')' if depth == 0 => return Some(i),
                b')' => depth -= 1,
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits.
fn is_bare_guid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
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

    fn shown(url: &str) -> String {
        redacted_url(&Url::parse(url).expect("url"))
    }

    #[test]
    fn key_values_are_hidden_and_row_ids_kept() {
        let id = "7eb682f1-ca75-e511-80d4-00155d2a68d1";
        assert_eq!(
            shown("https://org.example/api/data/v9.2/accounts(emailaddress1='jane@x.com')"),
            "https://org.example/api/data/v9.2/accounts(…)"
        );
        assert_eq!(
            shown(&format!(
                "https://org.example/api/data/v9.2/accounts({id})/name?$select=a"
            )),
            format!("https://org.example/api/data/v9.2/accounts({id})/name?…")
        );
        assert_eq!(
            shown(&format!(
                "https://org.example/api/data/v9.2/contacts(firstname='a)b',lastname='o''neil')/x({id})"
            )),
            format!("https://org.example/api/data/v9.2/contacts(…)/x({id})")
        );
        assert_eq!(
            shown("https://org.example/api/data/v9.2/WhoAmI()"),
            "https://org.example/api/data/v9.2/WhoAmI()"
        );
        assert_eq!(
            shown("https://org.example/api/data/v9.2/f(a=g(1),b=2)/next"),
            "https://org.example/api/data/v9.2/f(…)/next"
        );
        assert_eq!(
            shown("https://org.example/api/data/v9.2/accounts(name='jane"),
            "https://org.example/api/data/v9.2/accounts(…"
        );
        assert_eq!(
            shown("https://org.example/api/data/v9.2/accounts(name=%27jane)%27)/x"),
            "https://org.example/api/data/v9.2/accounts(…)/x"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Whatever the key value, it never shows; the path around it does.
        #[test]
        fn no_key_value_survives_redaction(value in "[a-zA-Z0-9@.()' _-]{1,30}") {
            let mut url = Url::parse("https://org.example/api/data/v9.2/").expect("url");
            let literal = value.replace('\'', "''");
            url.set_path(&format!("/api/data/v9.2/contacts(emailaddress1='{literal}x@y')/z"));
            let shown = redacted_url(&url);
            prop_assert!(!shown.contains("x@y"), "{}", shown);
            prop_assert!(shown.starts_with("https://org.example/api/data/v9.2/contacts("), "{}", shown);
        }

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
