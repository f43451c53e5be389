//! The pipeline's error, with the service's own error code and message when it sent one.

use std::fmt;
use std::time::Duration;

use dynamics_auth::AuthError;
use serde_json::Value;

use crate::request::Method;

/// How much of an error body is kept.
const BODY_LIMIT: usize = 4096;
/// How much of the service's message is kept (characters).
const MESSAGE_LIMIT: usize = 4096;
/// How much of the service's message, or of the body, `Display` shows (characters).
pub const DISPLAY_MESSAGE_LIMIT: usize = 500;
/// How much of a service-chosen short value (error code, request id) `Display` shows.
const DISPLAY_SHORT_LIMIT: usize = 100;

/// What went wrong with a request.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The service answered with an error status.
    #[error("{0}")]
    Status(Box<StatusError>),

    /// The request could not be sent, or the connection broke.
    #[error("{method} {url}: {message}")]
    Transport {
        /// The method.
        method: Method,
        /// The URL, without its query.
        url: String,
        /// What went wrong.
        message: String,
        /// `true` when the connection was never made, so the request was not sent.
        connect: bool,
        /// `true` when the attempt timed out.
        timed_out: bool,
    },

    /// No token could be had for the request.
    #[error(
        "signing in for {url} failed: {}",
        capped(message, 2 * DISPLAY_MESSAGE_LIMIT)
    )]
    Credential {
        /// The URL, without its query.
        url: String,
        /// The credential's message.
        message: String,
        /// The typed sign-in error, when the credential is one of `dynamics-auth`'s.
        auth: Option<Box<AuthError>>,
    },

    /// The request would carry a token to a host it was not issued for, or over plain HTTP.
    #[error("refused to send a bearer token to {url}: {reason}")]
    ForeignHost {
        /// The URL, without its query.
        url: String,
        /// Why.
        reason: String,
    },

    /// The answer's body is not what the client expected.
    #[error("{method} {url} answered {status} with a body that cannot be read: {message}")]
    Decode {
        /// The method.
        method: Method,
        /// The URL, without its query.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Where the body stopped making sense.
        message: String,
    },

    /// The whole operation ran out of time (retries included).
    #[error("gave up after {elapsed:?}: the operation's time limit ran out ({last})")]
    OperationTimeout {
        /// Time spent.
        elapsed: Duration,
        /// The last failure.
        last: String,
    },

    /// The request could not be built.
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// A header name or value cannot be sent as given (a line break, another control
    /// character, a non-ASCII character, an empty or malformed name). A usage error: nothing
    /// was sent and trying again cannot help. The value is never shown.
    #[error("invalid {name} header: {reason}")]
    InvalidHeader {
        /// The header's name (escaped if it is itself the problem).
        name: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A URL the request was to go to is not acceptable (it carries user info, or has no
    /// host). A usage error: nothing was sent. The URL is shown without user info or query.
    #[error("refused to send a request to {url}: {reason}")]
    InvalidUrl {
        /// The URL, without user info and query.
        url: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

/// An error status from the service, with what it said.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StatusError {
    /// The method.
    pub method: Method,
    /// The URL, without its query.
    pub url: String,
    /// The HTTP status.
    pub status: u16,
    /// The service's error code (Dataverse hex code, OData code, admin API code), if any.
    pub code: Option<String>,
    /// The service's message, if any.
    pub message: Option<String>,
    /// Request or correlation id from the response headers, for a support ticket.
    pub request_id: Option<String>,
    /// How long the service asked to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The `WWW-Authenticate` header of a 401, for authority discovery.
    pub www_authenticate: Option<String>,
    /// The start of the raw body (up to 4 KiB).
    pub body: String,
    /// What to do about it, where the client knows.
    pub hint: Option<String>,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} answered {}", self.method, self.url, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " ({})", capped(code, DISPLAY_SHORT_LIMIT))?;
        }
        match &self.message {
            Some(message) => write!(f, ": {}", capped(message, DISPLAY_MESSAGE_LIMIT))?,
            None if !self.body.is_empty() => {
                write!(f, ": {}", capped(&self.body, 200))?;
            }
            None => {}
        }
        if let Some(hint) = &self.hint {
            write!(f, ". To fix: {hint}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {})", capped(id, DISPLAY_SHORT_LIMIT))?;
        }
        Ok(())
    }
}

impl HttpError {
    /// The status error, if the service answered with one.
    pub fn status_error(&self) -> Option<&StatusError> {
        match self {
            HttpError::Status(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, if the service answered.
    pub fn status(&self) -> Option<u16> {
        self.status_error().map(|e| e.status)
    }

    /// The service's error code.
    pub fn service_code(&self) -> Option<&str> {
        self.status_error().and_then(|e| e.code.as_deref())
    }

    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 401.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// 403.
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// 429.
    pub fn is_throttled(&self) -> bool {
        self.status() == Some(429)
    }

    /// `true` when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            HttpError::Status(e) => matches!(e.status, 408 | 429 | 500 | 502 | 503 | 504),
            HttpError::Transport { .. } => true,
            HttpError::Credential { auth, .. } => auth.as_ref().is_some_and(|a| a.is_retryable()),
            _ => false,
        }
    }

    /// How long the service asked to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.status_error().and_then(|e| e.retry_after)
    }

    /// What to do about it, where known.
    pub fn hint(&self) -> Option<String> {
        match self {
            HttpError::Status(e) => e.hint.clone(),
            HttpError::Credential { auth, .. } => auth.as_ref().and_then(|a| a.hint()),
            _ => None,
        }
    }

    /// Adds a hint to a status error (clients know their services' common causes).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        if let HttpError::Status(e) = &mut self {
            e.hint = Some(hint.into());
        }
        self
    }

    pub(crate) fn from_credential(url: String, error: azure_core::Error) -> Self {
        let auth = AuthError::from_azure(&error).cloned().map(Box::new);
        HttpError::Credential {
            url,
            message: error.to_string(),
            auth,
        }
    }
}

/// At most `limit` characters of service-chosen text, control characters (line breaks,
/// terminal escapes) shown as spaces, and `…` when cut.
pub fn capped(text: &str, limit: usize) -> String {
    let mut out: String = text
        .chars()
        .take(limit)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(limit).is_some() {
        out.push('…');
    }
    out
}

/// Reads the error code and message out of the error bodies our services send:
/// OData (`{"error":{"code","message"}}`, Dataverse and the Power Platform APIs), the Online
/// Management API's `OperationStatus` (`Errors[{Subject, Description, Code}]`), and the plain
/// `{"Message": ...}` / `{"code", "message"}` shapes.
///
/// Any bytes are accepted (anything else gives `(None, None)`); the code and message are
/// cut to 4 KiB each.
pub fn parse_error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let (code, message) = parse_error_body_uncapped(body);
    let keep = |s: String| {
        if s.chars().nth(MESSAGE_LIMIT).is_some() {
            s.chars().take(MESSAGE_LIMIT).collect()
        } else {
            s
        }
    };
    (code.map(keep), message.map(keep))
}

fn parse_error_body_uncapped(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let get = |v: &Value, keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| match v.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    };
    if let Some(inner) = value.get("error").filter(|e| e.is_object()) {
        return (
            get(inner, &["code", "Code"]),
            get(inner, &["message", "Message"]),
        );
    }
    if let Some(Value::Array(errors)) = value.get("Errors").or_else(|| value.get("errors"))
        && !errors.is_empty()
    {
        let code = errors
            .iter()
            .find_map(|e| get(e, &["Code", "code", "Subject", "subject"]));
        let message = errors
            .iter()
            .filter_map(|e| get(e, &["Description", "description"]))
            .collect::<Vec<_>>()
            .join("; ");
        return (code, Some(message).filter(|m| !m.is_empty()));
    }
    (
        get(&value, &["code", "Code", "error"]),
        get(&value, &["message", "Message", "error_description"]),
    )
}

pub(crate) fn body_excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(BODY_LIMIT)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_error_shapes_of_our_services() {
        let odata =
            br#"{"error":{"code":"0x80040217","message":"account With Id = 1 Does Not Exist"}}"#;
        assert_eq!(
            parse_error_body(odata),
            (
                Some("0x80040217".into()),
                Some("account With Id = 1 Does Not Exist".into())
            )
        );
        let oma = br#"{"operationId":"00000000-0000-0000-0000-000000000000","status":1,"errors":[{"subject":"ProvisioningJobCreation","description":"There was an error creating the provisioning job."}]}"#;
        assert_eq!(
            parse_error_body(oma),
            (
                Some("ProvisioningJobCreation".into()),
                Some("There was an error creating the provisioning job.".into())
            )
        );
        let webapi = br#"{"Message":"Authorization has been denied for this request."}"#;
        assert_eq!(
            parse_error_body(webapi),
            (
                None,
                Some("Authorization has been denied for this request.".into())
            )
        );
        assert_eq!(parse_error_body(b"<html>502</html>"), (None, None));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn status_error(code: Option<String>, message: Option<String>, body: &[u8]) -> StatusError {
            StatusError {
                method: Method::Get,
                url: "https://x.example/api".into(),
                status: 400,
                code,
                message,
                request_id: None,
                retry_after: None,
                www_authenticate: None,
                body: body_excerpt(body),
                hint: None,
            }
        }

        /// The longest `Display` can be for the test URL: prefix, capped code, message
        /// and markers.
        const DISPLAY_BOUND: usize = 100 + DISPLAY_SHORT_LIMIT + DISPLAY_MESSAGE_LIMIT + 10;

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                "\\PC{0,300}".prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map(
                        prop_oneof![
                            Just("error".to_string()),
                            Just("code".to_string()),
                            Just("message".to_string()),
                            Just("Errors".to_string()),
                            Just("Description".to_string()),
                            Just("Message".to_string()),
                            "[a-zA-Z]{1,8}",
                        ],
                        inner,
                        0..6,
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

            #[test]
            fn any_bytes_parse_without_panic_and_display_is_capped(
                body in prop::collection::vec(any::<u8>(), 0..6000)
            ) {
                let (code, message) = parse_error_body(&body);
                prop_assert!(code.as_ref().is_none_or(|c| c.chars().count() <= 4096));
                prop_assert!(message.as_ref().is_none_or(|m| m.chars().count() <= 4096));
                let text = status_error(code, message, &body).to_string();
                prop_assert!(text.chars().count() <= DISPLAY_BOUND, "{}", text.len());
                prop_assert!(!text.contains('\n'));
            }

            #[test]
            fn any_json_shape_parses_without_panic_and_display_is_capped(value in json_value()) {
                let body = serde_json::to_vec(&value).expect("serialises");
                let (code, message) = parse_error_body(&body);
                let text = status_error(code, message, &body).to_string();
                prop_assert!(text.chars().count() <= DISPLAY_BOUND, "{}", text.len());
            }

            #[test]
            fn the_odata_shape_round_trips(
                code in "[0-9a-zA-Z_]{1,20}",
                // Short messages, and long ones past the 4 KiB cut.
                message in ("\\PC{1,100}", any::<bool>()).prop_map(|(m, long)| {
                    if long { m.repeat(4200 / m.chars().count() + 1) } else { m }
                }),
            ) {
                let body = serde_json::to_vec(
                    &serde_json::json!({"error": {"code": code, "message": message}}),
                )
                .expect("serialises");
                let (c, m) = parse_error_body(&body);
                prop_assert_eq!(c.as_deref(), Some(code.as_str()));
                let kept: String = message.chars().take(4096).collect();
                prop_assert_eq!(m.as_deref(), Some(kept.as_str()));
                let shown = status_error(c, m, &body).to_string();
                prop_assert!(shown.chars().count() <= DISPLAY_BOUND);
            }
        }
    }
}
