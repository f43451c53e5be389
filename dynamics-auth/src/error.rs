//! The one error type of this crate, and the parsing of Entra ID's error JSON.

use serde::Deserialize;
use std::fmt;

/// Everything that can go wrong while signing in.
///
/// Credentials return [`azure_core::Error`] (the [`TokenCredential`] contract); the
/// `AuthError` travels inside it and comes back out with [`AuthError::from_azure`].
///
/// No variant ever holds a secret, a token or a password.
///
/// [`TokenCredential`]: azure_core::credentials::TokenCredential
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Entra ID answered the token request with its error JSON.
    #[error("{0}")]
    Entra(Box<EntraError>),

    /// The token endpoint could not be reached, or the connection broke.
    #[error("could not reach the token endpoint {url}: {message}")]
    Transport {
        /// The endpoint (never holds secrets: they travel in the form body).
        url: String,
        /// What went wrong.
        message: String,
        /// `true` when the request timed out.
        timed_out: bool,
    },

    /// The token endpoint answered something that is neither a token nor Entra's error JSON.
    #[error("unexpected answer from {url} (HTTP {status}): {reason}; body starts with: {body}")]
    UnexpectedResponse {
        /// The endpoint.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// Why the answer could not be used.
        reason: String,
        /// The start of the body, as text.
        body: String,
    },

    /// A configuration value is not usable; `fix` says what to change.
    #[error("invalid {what} `{value}`: {fix}")]
    InvalidConfig {
        /// Which setting (for example "tenant id", "authority host").
        what: &'static str,
        /// The value given (never a secret).
        value: String,
        /// What to change.
        fix: String,
    },

    /// A client certificate or private key could not be loaded or used.
    #[error("client certificate: {0}")]
    Certificate(String),

    /// The user declined the device code sign-in.
    #[error("the user declined the device code sign-in")]
    DeviceCodeDeclined,

    /// The device code expired before the user finished signing in.
    #[error("the device code expired before the sign-in was completed; start the sign-in again")]
    DeviceCodeExpired,

    /// The `state` returned to the redirect URI does not match the one sent.
    #[error(
        "the `state` returned with the authorization code does not match the request; \
         the redirect may be forged or belong to another sign-in"
    )]
    StateMismatch,

    /// The authorization server redirected back with an error instead of a code.
    #[error("the sign-in was not completed: {error}: {description}")]
    AuthorizationDenied {
        /// The OAuth error code (`access_denied`, `consent_required`, ...).
        error: String,
        /// Entra's description.
        description: String,
    },

    /// A refresh token was needed but none was issued or stored.
    #[error("no refresh token: {0}")]
    MissingRefreshToken(String),

    /// The credential behind a [`TokenCache`](crate::TokenCache) panicked, or its refresh task
    /// was dropped (the runtime shutting down), before it produced a token. The cache stays
    /// usable: the next call asks the credential again.
    #[error(
        "the token refresh was aborted ({}); the next call asks the credential again",
        if *panicked { "the credential panicked" } else { "its task was cancelled" }
    )]
    RefreshAborted {
        /// `true` when the credential panicked, `false` when the task was cancelled.
        panicked: bool,
    },

    /// A `WWW-Authenticate` header could not be read as a Bearer challenge.
    #[error("cannot read the WWW-Authenticate challenge: {0}")]
    Challenge(String),
}

impl AuthError {
    /// The Entra error, if the service answered with one.
    pub fn entra(&self) -> Option<&EntraError> {
        match self {
            AuthError::Entra(e) => Some(e),
            _ => None,
        }
    }

    /// The first AADSTS code, if the service answered with one.
    pub fn aadsts(&self) -> Option<u32> {
        self.entra().and_then(EntraError::aadsts)
    }

    /// What to do about this error, where the cause is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            AuthError::Entra(e) => e.hint(),
            AuthError::DeviceCodeExpired => {
                Some("start the device code sign-in again and finish it sooner".into())
            }
            AuthError::MissingRefreshToken(_) => {
                Some("include the `offline_access` scope and sign in again".into())
            }
            _ => None,
        }
    }

    /// `true` when trying again later may succeed (network trouble, service busy).
    pub fn is_retryable(&self) -> bool {
        match self {
            AuthError::Transport { .. } | AuthError::RefreshAborted { .. } => true,
            AuthError::UnexpectedResponse { status, .. } => {
                matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
            }
            AuthError::Entra(e) => {
                e.error == "temporarily_unavailable" || matches!(e.status, 429 | 500..=599)
            }
            _ => false,
        }
    }

    /// Finds the `AuthError` inside an [`azure_core::Error`] returned by a credential.
    pub fn from_azure(error: &azure_core::Error) -> Option<&AuthError> {
        error.downcast_ref::<AuthError>()
    }

    pub(crate) fn invalid(
        what: &'static str,
        value: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        AuthError::InvalidConfig {
            what,
            value: value.into(),
            fix: fix.into(),
        }
    }
}

impl From<AuthError> for azure_core::Error {
    fn from(error: AuthError) -> Self {
        azure_core::Error::new(azure_core::error::ErrorKind::Credential, error)
    }
}

/// Entra ID's error answer, parsed.
///
/// Classify with [`EntraError::kind`] (from the AADSTS code), not with the description text:
/// Microsoft says the text changes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraError {
    /// HTTP status of the answer.
    pub status: u16,
    /// The OAuth error code (`invalid_grant`, `invalid_client`, ...).
    pub error: String,
    /// The AADSTS numbers.
    pub error_codes: Vec<u32>,
    /// Entra's description, without the trailing trace/correlation/timestamp lines.
    pub description: String,
    /// Trace id, for a support ticket.
    pub trace_id: Option<String>,
    /// Correlation id, for a support ticket.
    pub correlation_id: Option<String>,
    /// When Entra saw the request.
    pub timestamp: Option<String>,
    /// Entra's page about this error, when it has one.
    pub error_uri: Option<String>,
    /// The admin-consent URL to send to an administrator, filled in by the credential
    /// that got AADSTS65001 (consent missing).
    pub admin_consent_url: Option<String>,
}

/// What an AADSTS code means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntraErrorKind {
    /// AADSTS500011: the resource (scope) is not known in the tenant.
    ResourceNotFound,
    /// AADSTS65001: nobody consented to the application.
    ConsentRequired,
    /// AADSTS50076: multi-factor authentication is required.
    MfaRequired,
    /// AADSTS50079: the user must register for multi-factor authentication.
    MfaEnrollmentRequired,
    /// AADSTS7000215: wrong client secret.
    InvalidClientSecret,
    /// AADSTS7000222: the client secret expired.
    ExpiredClientSecret,
    /// AADSTS700027 / AADSTS50012: the certificate assertion was rejected.
    InvalidClientAssertion,
    /// AADSTS700016: no such application in the tenant.
    ApplicationNotFound,
    /// AADSTS90002: no such tenant.
    TenantNotFound,
    /// AADSTS50126: wrong user name or password.
    InvalidUsernameOrPassword,
    /// AADSTS50034: no such user.
    UserNotFound,
    /// AADSTS700082 / AADSTS70008 / AADSTS50173: the refresh token or code expired or was revoked.
    RefreshTokenExpired,
    /// AADSTS501481: the PKCE code verifier does not match the challenge.
    PkceMismatch,
    /// Any other code (kept as it came).
    Other(u32),
    /// The answer carried no AADSTS code.
    Unknown,
}

impl EntraErrorKind {
    /// Classifies an AADSTS number.
    pub fn from_code(code: u32) -> Self {
        match code {
            500011 => Self::ResourceNotFound,
            65001 => Self::ConsentRequired,
            50076 => Self::MfaRequired,
            50079 => Self::MfaEnrollmentRequired,
            7000215 => Self::InvalidClientSecret,
            7000222 => Self::ExpiredClientSecret,
            700027 | 50012 => Self::InvalidClientAssertion,
            700016 => Self::ApplicationNotFound,
            90002 => Self::TenantNotFound,
            50126 => Self::InvalidUsernameOrPassword,
            50034 => Self::UserNotFound,
            700082 | 70008 | 50173 => Self::RefreshTokenExpired,
            501481 => Self::PkceMismatch,
            other => Self::Other(other),
        }
    }
}

impl EntraError {
    /// The first AADSTS code.
    pub fn aadsts(&self) -> Option<u32> {
        self.error_codes.first().copied()
    }

    /// What the code means.
    pub fn kind(&self) -> EntraErrorKind {
        self.aadsts()
            .map(EntraErrorKind::from_code)
            .unwrap_or(EntraErrorKind::Unknown)
    }

    /// What to do about it, where the cause is known.
    pub fn hint(&self) -> Option<String> {
        let hint = match self.kind() {
            EntraErrorKind::ResourceNotFound => {
                "the scope names a resource this tenant does not know: check the org or \
                 service URL in the scope (for Dataverse `https://<org>.crm<N>.dynamics.com/.default`) \
                 and that you sign in to the tenant that owns it"
                    .to_string()
            }
            EntraErrorKind::ConsentRequired => match &self.admin_consent_url {
                Some(url) => format!(
                    "the application has no consent in this tenant: ask an administrator to open {url}"
                ),
                None => "the application has no consent in this tenant: ask an administrator to \
                         grant it (admin-consent URL: `<authority>/<tenant>/adminconsent?client_id=<app id>`)"
                    .to_string(),
            },
            EntraErrorKind::MfaRequired | EntraErrorKind::MfaEnrollmentRequired => {
                "this account needs multi-factor authentication, which the username/password \
                 sign-in cannot do: use the device code or authorization code sign-in instead"
                    .to_string()
            }
            EntraErrorKind::InvalidClientSecret => {
                "the client secret is wrong: use the secret's Value (not its ID) from the app \
                 registration's Certificates & secrets page"
                    .to_string()
            }
            EntraErrorKind::ExpiredClientSecret => {
                "the client secret has expired: create a new one in the app registration".to_string()
            }
            EntraErrorKind::InvalidClientAssertion => {
                "the certificate was not accepted: upload this certificate (public part) to the \
                 app registration, and check that the private key belongs to it"
                    .to_string()
            }
            EntraErrorKind::ApplicationNotFound => {
                "no application with this client id in the tenant: check the client id and the \
                 tenant, or have the application consented in this tenant"
                    .to_string()
            }
            EntraErrorKind::TenantNotFound => {
                "no such tenant: check the tenant id or domain, and that the authority host is \
                 the right cloud"
                    .to_string()
            }
            EntraErrorKind::InvalidUsernameOrPassword => {
                "wrong user name or password".to_string()
            }
            EntraErrorKind::UserNotFound => {
                "no such user in this tenant: check the user name and the tenant".to_string()
            }
            EntraErrorKind::RefreshTokenExpired => {
                "the refresh token expired or was revoked: sign in again".to_string()
            }
            EntraErrorKind::PkceMismatch => {
                "the PKCE code verifier does not match: redeem the code with the verifier from \
                 the same authorization request"
                    .to_string()
            }
            EntraErrorKind::Other(_) | EntraErrorKind::Unknown => return None,
        };
        Some(hint)
    }

    /// Parses Entra's error JSON; `None` when the body is not that shape.
    pub fn parse(status: u16, body: &[u8]) -> Option<Self> {
        let raw: RawEntraError = serde_json::from_slice(body).ok()?;
        let error = raw.error?;
        let description = raw.error_description.unwrap_or_default();
        let mut error_codes = raw.error_codes;
        if error_codes.is_empty() {
            error_codes.extend(code_from_description(&description));
        }
        Some(EntraError {
            status,
            error,
            error_codes,
            description: first_paragraph(&description),
            trace_id: raw.trace_id,
            correlation_id: raw.correlation_id,
            timestamp: raw.timestamp,
            error_uri: raw.error_uri,
            admin_consent_url: None,
        })
    }
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Entra ID refused the sign-in (HTTP {} {}",
            self.status, self.error
        )?;
        if let Some(code) = self.aadsts() {
            write!(f, ", AADSTS{code}")?;
        }
        write!(f, "): {}", self.description)?;
        if let Some(hint) = self.hint() {
            write!(f, ". To fix: {hint}")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " (correlation id {id}")?;
            if let Some(trace) = &self.trace_id {
                write!(f, ", trace id {trace}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct RawEntraError {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<u32>,
    timestamp: Option<String>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
    error_uri: Option<String>,
}

/// Entra appends "\r\nTrace ID: ...\r\nCorrelation ID: ...\r\nTimestamp: ..." to the
/// description; those are kept in their own fields.
fn first_paragraph(description: &str) -> String {
    description
        .split(['\r', '\n'])
        .take_while(|line| {
            !(line.starts_with("Trace ID:")
                || line.starts_with("Correlation ID:")
                || line.starts_with("Timestamp:"))
        })
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn code_from_description(description: &str) -> Option<u32> {
    let rest = description.strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "error": "invalid_scope",
      "error_description": "AADSTS70011: The provided value for the input parameter 'scope' is not valid.\r\nTrace ID: 255d1aef-8c98-452f-ac51-23d051240864\r\nCorrelation ID: fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7\r\nTimestamp: 2016-01-09 02:02:12Z",
      "error_codes": [70011],
      "timestamp": "2016-01-09 02:02:12Z",
      "trace_id": "255d1aef-8c98-452f-ac51-23d051240864",
      "correlation_id": "fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7"
    }"#;

    #[test]
    fn parses_the_documented_error_shape() {
        let e = EntraError::parse(400, SAMPLE.as_bytes()).expect("parses");
        assert_eq!(e.error, "invalid_scope");
        assert_eq!(e.aadsts(), Some(70011));
        assert_eq!(e.kind(), EntraErrorKind::Other(70011));
        assert_eq!(
            e.description,
            "AADSTS70011: The provided value for the input parameter 'scope' is not valid."
        );
        assert_eq!(
            e.trace_id.as_deref(),
            Some("255d1aef-8c98-452f-ac51-23d051240864")
        );
        let shown = e.to_string();
        assert!(shown.contains("AADSTS70011"), "{shown}");
        assert!(
            shown.contains("fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7"),
            "{shown}"
        );
    }

    #[test]
    fn takes_the_code_from_the_description_when_error_codes_is_missing() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#;
        let e = EntraError::parse(401, body).expect("parses");
        assert_eq!(e.kind(), EntraErrorKind::InvalidClientSecret);
        assert!(e.hint().expect("hint").contains("secret's Value"));
    }

    #[test]
    fn non_entra_bodies_are_not_parsed() {
        assert!(EntraError::parse(500, b"<html>oops</html>").is_none());
        assert!(EntraError::parse(500, br#"{"message":"x"}"#).is_none());
    }

    #[test]
    fn every_requested_code_has_a_kind_and_a_hint() {
        for code in [
            500011, 65001, 50076, 50079, 7000215, 7000222, 700016, 90002, 50126, 50034, 700082,
            70008,
        ] {
            let e = EntraError {
                status: 400,
                error: "invalid_grant".into(),
                error_codes: vec![code],
                description: String::new(),
                trace_id: None,
                correlation_id: None,
                timestamp: None,
                error_uri: None,
                admin_consent_url: None,
            };
            assert!(!matches!(e.kind(), EntraErrorKind::Other(_)), "{code}");
            assert!(e.hint().is_some(), "{code}");
        }
    }

    #[test]
    fn auth_error_survives_a_trip_through_azure_core_error() {
        let e: azure_core::Error = AuthError::DeviceCodeDeclined.into();
        assert!(matches!(
            AuthError::from_azure(&e),
            Some(AuthError::DeviceCodeDeclined)
        ));
    }
}
