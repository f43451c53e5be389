//! Reading form bodies, query strings and HTTP Basic client credentials without ever rejecting
//! the request outright: missing or malformed values become Entra errors later.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use url::form_urlencoded;

use super::error::AadError;

/// Decoded `application/x-www-form-urlencoded` parameters, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a form body (invalid UTF-8 is replaced, never rejected).
    pub(crate) fn from_form(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// Parses a query string.
    pub(crate) fn from_query(query: Option<&str>) -> Self {
        Self::from_form(query.unwrap_or_default().as_bytes())
    }

    /// The first non-empty value of `name`, trimmed.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .find(|value| !value.is_empty())
    }

    /// The value of `name`, or AADSTS900144.
    pub(crate) fn require(&self, name: &str) -> Result<&str, AadError> {
        self.get(name)
            .ok_or_else(|| AadError::missing_parameter(name))
    }
}

/// Client credentials from an `Authorization: Basic` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BasicCredentials {
    /// The client ID (form-decoded).
    pub(crate) client_id: String,
    /// The secret, form-decoded as RFC 6749 §2.3.1 requires.
    pub(crate) secret: String,
    /// The secret exactly as sent, for clients that skip the form-encoding step.
    pub(crate) raw_secret: String,
}

/// Reads an `Authorization: Basic` header, if there is a well-formed one.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<BasicCredentials> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some(BasicCredentials {
        client_id: form_decode(id),
        secret: form_decode(secret),
        raw_secret: secret.to_owned(),
    })
}

/// Decodes one form-urlencoded value (`+` is a space, `%XX` a byte).
fn form_decode(value: &str) -> String {
    let escaped = value.replace('&', "%26").replace('=', "%3D");
    form_urlencoded::parse(format!("v={escaped}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn empty_values_count_as_missing() {
        let params = Params::from_form(b"a=&a=1&b=%20x%20");
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), Some("x"));
        assert!(params.require("c").is_err());
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%20id:s%3Acret%2B");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).expect("header"),
        );
        let credentials = basic_credentials(&headers).expect("credentials");
        assert_eq!(credentials.client_id, "my id");
        assert_eq!(credentials.secret, "s:cret+");
        assert_eq!(credentials.raw_secret, "s%3Acret%2B");
    }

    #[test]
    fn other_schemes_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(basic_credentials(&headers), None);
    }
}
