//! The one error type of this crate, and the parsing of Entra ID's error JSON.

use serde_json::Value;
use std::fmt;

/// Everything that can go wrong while signing in.
///
/// Credentials return `azure_core::Error` (the [`TokenCredential`] contract); the
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
    #[error(
        "could not reach the token endpoint {url}: {}",
        Capped(message, MESSAGE_CHARS)
    )]
    Transport {
        /// The endpoint (never holds secrets: they travel in the form body).
        url: String,
        /// What went wrong.
        message: String,
        /// `true` when the request timed out.
        timed_out: bool,
    },

    /// The token endpoint answered something that is neither a token nor Entra's error JSON.
    #[error(
        "unexpected answer from {url} (HTTP {status}): {}; body starts with: {}",
        Capped(reason, MESSAGE_CHARS),
        Capped(body, MESSAGE_CHARS)
    )]
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
    #[error("invalid {what} `{}`: {fix}", Capped(value, VALUE_CHARS))]
    InvalidConfig {
        /// Which setting (for example "tenant id", "authority host").
        what: &'static str,
        /// The value given (never a secret).
        value: String,
        /// What to change.
        fix: String,
    },

    /// A client certificate or private key could not be loaded or used.
    #[error("client certificate: {}", Capped(.0, MESSAGE_CHARS))]
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
    #[error(
        "the sign-in was not completed: {}: {}",
        Capped(error, CODE_CHARS),
        Capped(description, MESSAGE_CHARS)
    )]
    AuthorizationDenied {
        /// The OAuth error code (`access_denied`, `consent_required`, ...).
        error: String,
        /// Entra's description.
        description: String,
    },

    /// A refresh token was needed but none was issued or stored.
    #[error("no refresh token: {}", Capped(.0, MESSAGE_CHARS))]
    MissingRefreshToken(String),

    /// A single-use grant (an authorization code) may have reached the server, but no usable
    /// answer came back (a timeout, a broken connection, a 5xx). The code is not sent again:
    /// the server may already have redeemed it, and a second try could only fail or, worse,
    /// look like a replay. Start the sign-in again with a new authorization request.
    #[error(
        "the authorization code may already have been used and is not sent twice ({source}); \
         start the sign-in again"
    )]
    SignInMustRestart {
        /// What went wrong with the one attempt.
        #[source]
        source: Box<AuthError>,
    },

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
    #[error("cannot read the WWW-Authenticate challenge: {}", Capped(.0, MESSAGE_CHARS))]
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

    /// What the service's error means, if the service answered with an OAuth error (from the
    /// token endpoint or on the authorization redirect).
    pub fn kind(&self) -> Option<EntraErrorKind> {
        match self {
            AuthError::Entra(e) => Some(e.kind()),
            AuthError::AuthorizationDenied { error, .. } => EntraErrorKind::from_oauth_error(error),
            AuthError::SignInMustRestart { source } => source.kind(),
            _ => None,
        }
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
            AuthError::SignInMustRestart { .. } => Some(
                "send the user to a new authorization URL; the authorization code cannot be \
                 redeemed twice"
                    .into(),
            ),
            AuthError::AuthorizationDenied { error, .. } => {
                EntraErrorKind::from_oauth_error(error).and_then(|kind| kind.hint(None))
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
                matches!(
                    e.kind(),
                    EntraErrorKind::TemporarilyUnavailable | EntraErrorKind::ServerError
                ) || matches!(e.status, 429 | 500..=599)
            }
            _ => false,
        }
    }

    /// Finds the `AuthError` inside an `azure_core::Error` returned by a credential.
    pub fn from_azure(error: &azure_core::Error) -> Option<&AuthError> {
        error.downcast_ref::<AuthError>()
    }

    /// Replaces every occurrence of `secrets` in text that came from the server, so a server
    /// echoing the request back cannot put a secret into an error. Values shorter than four
    /// characters are left alone (they would garble the text and are no real secret).
    pub(crate) fn redact(self, secrets: &[&str]) -> Self {
        let scrub = |text: String| redact_text(text, secrets);
        match self {
            AuthError::Entra(mut e) => {
                e.error = scrub(e.error);
                e.description = scrub(e.description);
                e.error_uri = e.error_uri.map(scrub);
                e.trace_id = e.trace_id.map(scrub);
                e.correlation_id = e.correlation_id.map(scrub);
                e.timestamp = e.timestamp.map(scrub);
                AuthError::Entra(e)
            }
            AuthError::UnexpectedResponse {
                url,
                status,
                reason,
                body,
            } => AuthError::UnexpectedResponse {
                url,
                status,
                reason: scrub(reason),
                body: scrub(body),
            },
            AuthError::Transport {
                url,
                message,
                timed_out,
            } => AuthError::Transport {
                url,
                message: scrub(message),
                timed_out,
            },
            AuthError::SignInMustRestart { source } => AuthError::SignInMustRestart {
                source: Box::new(source.redact(secrets)),
            },
            other => other,
        }
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

/// Longest service-supplied message shown by `Display` (descriptions, bodies, transport
/// errors); the rest is cut with a marker saying how much was left out.
pub(crate) const MESSAGE_CHARS: usize = 1000;
/// Longest OAuth `error` code shown by `Display`.
const CODE_CHARS: usize = 100;
/// Longest configuration value shown by `Display`.
const VALUE_CHARS: usize = 200;
/// Longest text kept from a service's error answer, per field.
const STORED_CHARS: usize = 8 * 1024;

/// An OAuth 2.0 error answer (RFC 6749 §5.2), as Entra ID or any other authorization server
/// sends it, parsed.
///
/// Classify with [`EntraError::kind`] (from the AADSTS code, else from the standard `error`
/// field), not with the description text: Microsoft says the text changes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraError {
    /// HTTP status of the answer; `0` when the error came back on the authorization
    /// redirect (`?error=...`) rather than from the token endpoint.
    pub status: u16,
    /// The OAuth error code (`invalid_grant`, `invalid_client`, ...).
    pub error: String,
    /// The AADSTS numbers.
    pub error_codes: Vec<u32>,
    /// The service's description, without Entra's trailing trace/correlation/timestamp lines
    /// (at most 8 KiB is kept; `Display` shows at most 1000 characters).
    pub description: String,
    /// Trace id, for a support ticket.
    pub trace_id: Option<String>,
    /// Correlation id, for a support ticket.
    pub correlation_id: Option<String>,
    /// When Entra saw the request.
    pub timestamp: Option<String>,
    /// The service's page about this error, when it has one.
    pub error_uri: Option<String>,
    /// The admin-consent URL to send to an administrator, filled in by the credential
    /// that got AADSTS65001 / `consent_required` (consent missing).
    pub admin_consent_url: Option<String>,
}

/// What an OAuth error means for the caller: from the AADSTS code when Entra sent a known
/// one, else from the standard `error` field (RFC 6749 §4.1.2.1 and §5.2, OpenID Connect,
/// RFC 8628 §3.5), so any OAuth 2.0 server's errors are classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntraErrorKind {
    /// AADSTS500011: the resource (scope) is not known in the tenant.
    ResourceNotFound,
    /// AADSTS65001 or `consent_required`: nobody consented to the application.
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
    /// `invalid_request`: a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// `invalid_client`: the client's authentication failed (unknown client, wrong or
    /// missing secret or assertion).
    InvalidClient,
    /// `invalid_grant`: the code, refresh token, device code or password was rejected
    /// (expired, revoked, already used, or issued to another client or redirect URI).
    InvalidGrant,
    /// `unauthorized_client`: the client may not use this grant type.
    UnauthorizedClient,
    /// `unsupported_grant_type`: the server does not support the grant type.
    UnsupportedGrantType,
    /// `invalid_scope`: the scope is invalid, unknown or malformed.
    InvalidScope,
    /// `invalid_resource`: the v1 `resource` is not known.
    InvalidResource,
    /// `access_denied`: the user or the server refused.
    AccessDenied,
    /// `interaction_required` / `login_required`: only an interactive sign-in can continue.
    InteractionRequired,
    /// `temporarily_unavailable`: the server is overloaded or in maintenance.
    TemporarilyUnavailable,
    /// `server_error`: the server failed.
    ServerError,
    /// `authorization_pending` (device code): the user has not finished yet.
    AuthorizationPending,
    /// `slow_down` (device code): poll less often.
    SlowDown,
    /// `expired_token` / `code_expired` (device code): the device code expired.
    ExpiredToken,
    /// `authorization_declined` (device code): the user declined.
    AuthorizationDeclined,
    /// `bad_verification_code` (device code): the device code is not recognised.
    BadVerificationCode,
    /// Any other AADSTS code (kept as it came), when the `error` field is not a standard one.
    Other(u32),
    /// Neither a known AADSTS code nor a standard `error` value.
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

    /// Classifies a standard OAuth 2.0 `error` value; `None` for values no standard defines.
    pub fn from_oauth_error(error: &str) -> Option<Self> {
        let kind = match error.trim() {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "invalid_resource" => Self::InvalidResource,
            "access_denied" => Self::AccessDenied,
            "consent_required" => Self::ConsentRequired,
            "interaction_required" | "login_required" => Self::InteractionRequired,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "server_error" => Self::ServerError,
            "authorization_pending" => Self::AuthorizationPending,
            "slow_down" => Self::SlowDown,
            "expired_token" | "code_expired" => Self::ExpiredToken,
            "authorization_declined" => Self::AuthorizationDeclined,
            "bad_verification_code" => Self::BadVerificationCode,
            _ => return None,
        };
        Some(kind)
    }

    /// What to do about an error of this kind; `admin_consent_url` is used by
    /// [`EntraErrorKind::ConsentRequired`].
    fn hint(self, admin_consent_url: Option<&str>) -> Option<String> {
        let hint = match self {
            Self::ResourceNotFound => {
                "the scope names a resource this tenant does not know: check the org or \
                 service URL in the scope (for Dataverse `https://<org>.crm<N>.dynamics.com/.default`) \
                 and that you sign in to the tenant that owns it"
            }
            Self::ConsentRequired => {
                return Some(match admin_consent_url {
                    Some(url) => format!(
                        "the application has no consent in this tenant: ask an administrator to open {url}"
                    ),
                    None => "the application has no consent in this tenant: ask an administrator to \
                             grant it (admin-consent URL: `<authority>/<tenant>/adminconsent?client_id=<app id>`)"
                        .to_string(),
                });
            }
            Self::MfaRequired | Self::MfaEnrollmentRequired => {
                "this account needs multi-factor authentication, which the username/password \
                 sign-in cannot do: use the device code or authorization code sign-in instead"
            }
            Self::InvalidClientSecret => {
                "the client secret is wrong: use the secret's Value (not its ID) from the app \
                 registration's Certificates & secrets page"
            }
            Self::ExpiredClientSecret => {
                "the client secret has expired: create a new one in the app registration"
            }
            Self::InvalidClientAssertion => {
                "the certificate was not accepted: upload this certificate (public part) to the \
                 app registration, and check that the private key belongs to it"
            }
            Self::ApplicationNotFound => {
                "no application with this client id in the tenant: check the client id and the \
                 tenant, or have the application consented in this tenant"
            }
            Self::TenantNotFound => {
                "no such tenant: check the tenant id or domain, and that the authority host is \
                 the right cloud"
            }
            Self::InvalidUsernameOrPassword => "wrong user name or password",
            Self::UserNotFound => "no such user in this tenant: check the user name and the tenant",
            Self::RefreshTokenExpired => "the refresh token expired or was revoked: sign in again",
            Self::PkceMismatch => {
                "the PKCE code verifier does not match: redeem the code with the verifier from \
                 the same authorization request"
            }
            Self::InvalidRequest => {
                "the server found the request malformed or missing a parameter: check the \
                 authority (tenant), the scopes and the redirect URI; the description says which"
            }
            Self::InvalidClient => {
                "the server did not accept the client: check the client id, and the client \
                 secret or certificate (a public client sends neither and needs public client \
                 flows allowed on its registration)"
            }
            Self::InvalidGrant => {
                "the code, refresh token, device code or password was rejected (expired, \
                 revoked, already used, or issued to another client or redirect URI): sign in again"
            }
            Self::UnauthorizedClient => {
                "this client may not use this grant type: allow it on the app registration \
                 (for example public client flows for device code and username/password)"
            }
            Self::UnsupportedGrantType => {
                "the server does not support this grant type: use another credential, or check \
                 that the authority is an OAuth 2.0 authorization server that offers it"
            }
            Self::InvalidScope => {
                "the scope is invalid or unknown: for Dataverse ask for \
                 `https://<org>.crm<N>.dynamics.com/.default` (app-only) or \
                 `.../user_impersonation` (signed-in user)"
            }
            Self::InvalidResource => {
                "the resource is not known in this tenant: check the org or service URL"
            }
            Self::AccessDenied => {
                "the user or the server refused the request: sign in with an account that may \
                 grant access, or ask an administrator about the policy that blocks it"
            }
            Self::InteractionRequired => {
                "only an interactive sign-in can continue (multi-factor authentication, \
                 Conditional Access, terms of use, or a fresh login): use the device code or \
                 authorization code sign-in"
            }
            Self::TemporarilyUnavailable | Self::ServerError => {
                "the authorization server is overloaded or failed: try again later"
            }
            Self::AuthorizationPending => {
                "the user has not finished the device code sign-in yet: keep polling at the \
                 given interval"
            }
            Self::SlowDown => "poll less often: add 5 seconds to the polling interval",
            Self::ExpiredToken => "the device code expired: start the device code sign-in again",
            Self::AuthorizationDeclined => {
                "the user declined the sign-in: start it again if that was a mistake"
            }
            Self::BadVerificationCode => {
                "the device code was not recognised: start the device code sign-in again"
            }
            Self::Other(_) | Self::Unknown => return None,
        };
        Some(hint.to_string())
    }
}

impl EntraError {
    /// The first AADSTS code.
    pub fn aadsts(&self) -> Option<u32> {
        self.error_codes.first().copied()
    }

    /// What the error means: the AADSTS code's meaning when it is a known one, else the
    /// standard `error` field's, else [`EntraErrorKind::Other`] with the code, else
    /// [`EntraErrorKind::Unknown`].
    pub fn kind(&self) -> EntraErrorKind {
        match self.aadsts().map(EntraErrorKind::from_code) {
            Some(EntraErrorKind::Other(code)) => {
                EntraErrorKind::from_oauth_error(&self.error).unwrap_or(EntraErrorKind::Other(code))
            }
            Some(known) => known,
            None => {
                EntraErrorKind::from_oauth_error(&self.error).unwrap_or(EntraErrorKind::Unknown)
            }
        }
    }

    /// What to do about it, where the cause is known.
    pub fn hint(&self) -> Option<String> {
        self.kind().hint(self.admin_consent_url.as_deref())
    }

    /// Parses an OAuth error answer: JSON (RFC 6749 §5.2, Entra's extra fields included) or,
    /// from servers that send it, a form-encoded body. `None` when the body is neither, or
    /// has no string `error`. Fields of the wrong type are ignored; text is kept up to 8 KiB.
    pub fn parse(status: u16, body: &[u8]) -> Option<Self> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(fields)) => Self::from_fields(
                status,
                |key| fields.get(key).and_then(Value::as_str).map(str::to_owned),
                codes_of(fields.get("error_codes")),
            ),
            Ok(_) => None,
            Err(_) => {
                let text = std::str::from_utf8(body).ok()?.trim();
                // Only a plain `key=value&...` body, never HTML or broken JSON.
                if text.contains(['<', '{', '\n']) || !text.contains("error=") {
                    return None;
                }
                let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
                    .into_owned()
                    .collect();
                Self::from_fields(
                    status,
                    |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()),
                    Vec::new(),
                )
            }
        }
    }

    /// An error that came back on the authorization redirect (`?error=...&error_description=...`).
    pub(crate) fn from_redirect(error: &str, description: &str, error_uri: Option<String>) -> Self {
        let fields = [("error", error), ("error_description", description)];
        let mut e = Self::from_fields(
            0,
            |key| {
                fields
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_string())
            },
            Vec::new(),
        )
        .unwrap_or_else(|| EntraError {
            status: 0,
            error: String::new(),
            error_codes: Vec::new(),
            description: String::new(),
            trace_id: None,
            correlation_id: None,
            timestamp: None,
            error_uri: None,
            admin_consent_url: None,
        });
        e.error_uri = error_uri.map(|u| keep(&u));
        e
    }

    fn from_fields(
        status: u16,
        field: impl Fn(&str) -> Option<String>,
        mut error_codes: Vec<u32>,
    ) -> Option<Self> {
        let error = field("error")?;
        let error = keep(error.trim());
        if error.is_empty() {
            return None;
        }
        let description = keep(&field("error_description").unwrap_or_default());
        if error_codes.is_empty() {
            error_codes.extend(code_from_description(&description));
        }
        Some(EntraError {
            status,
            error,
            error_codes,
            description: first_paragraph(&description),
            trace_id: field("trace_id").map(|v| keep(&v)),
            correlation_id: field("correlation_id").map(|v| keep(&v)),
            timestamp: field("timestamp").map(|v| keep(&v)),
            error_uri: field("error_uri").map(|v| keep(&v)),
            admin_consent_url: None,
        })
    }
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.status == 0 {
            write!(
                f,
                "the sign-in was refused on the authorization redirect ({}",
                Capped(&self.error, CODE_CHARS)
            )?;
        } else {
            write!(
                f,
                "the authorization server refused the sign-in (HTTP {} {}",
                self.status,
                Capped(&self.error, CODE_CHARS)
            )?;
        }
        if let Some(code) = self.aadsts() {
            write!(f, ", AADSTS{code}")?;
        }
        write!(f, "): {}", Capped(&self.description, MESSAGE_CHARS))?;
        if let Some(hint) = self.hint() {
            write!(f, ". To fix: {hint}")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " (correlation id {}", Capped(id, CODE_CHARS))?;
            if let Some(trace) = &self.trace_id {
                write!(f, ", trace id {}", Capped(trace, CODE_CHARS))?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// Shows at most `.1` characters of `.0`, then a marker saying how many were left out.
pub(crate) struct Capped<'a>(pub(crate) &'a str, pub(crate) usize);

impl fmt::Display for Capped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Capped(text, max) = *self;
        match text.char_indices().nth(max) {
            None => f.write_str(text),
            Some((cut, _)) => {
                let left_out = text[cut..].chars().count();
                write!(f, "{}… [{left_out} more characters]", &text[..cut])
            }
        }
    }
}

/// At most [`STORED_CHARS`] characters of `text`.
fn keep(text: &str) -> String {
    match text.char_indices().nth(STORED_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => text[..cut].to_string(),
    }
}

/// The AADSTS numbers in `error_codes`, ignoring anything that is not one.
fn codes_of(value: Option<&Value>) -> Vec<u32> {
    value
        .and_then(Value::as_array)
        .map(|codes| {
            codes
                .iter()
                .filter_map(|c| c.as_u64().and_then(|c| u32::try_from(c).ok()))
                .take(16)
                .collect()
        })
        .unwrap_or_default()
}

/// `text` with every secret of four characters or more replaced by a marker.
fn redact_text(mut text: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|s| s.chars().count() >= 4) {
        if text.contains(secret) {
            text = text.replace(secret, "<redacted>");
        }
    }
    text
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
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .take(10)
        .collect();
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
        // AADSTS70011 has no kind of its own, so the standard `error` field decides.
        assert_eq!(e.kind(), EntraErrorKind::InvalidScope);
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
    fn unknown_codes_with_unknown_error_values_stay_other() {
        let e =
            EntraError::parse(400, br#"{"error":"weird","error_codes":[123]}"#).expect("parses");
        assert_eq!(e.kind(), EntraErrorKind::Other(123));
        let e = EntraError::parse(400, br#"{"error":"weird"}"#).expect("parses");
        assert_eq!(e.kind(), EntraErrorKind::Unknown);
        assert_eq!(e.hint(), None);
    }

    #[test]
    fn capped_text_keeps_the_start_and_says_how_much_was_cut() {
        assert_eq!(Capped("short", 10).to_string(), "short");
        assert_eq!(Capped("ééééé", 5).to_string(), "ééééé");
        assert_eq!(Capped("ééééé", 2).to_string(), "éé… [3 more characters]");
    }

    #[test]
    fn redaction_replaces_secrets_but_not_tiny_values() {
        let text = "secret=hunter22 and a=b".to_string();
        assert_eq!(
            redact_text(text, &["hunter22", "b"]),
            "secret=<redacted> and a=b"
        );
    }

    const STANDARD: [(&str, EntraErrorKind); 17] = [
        ("invalid_request", EntraErrorKind::InvalidRequest),
        ("invalid_client", EntraErrorKind::InvalidClient),
        ("invalid_grant", EntraErrorKind::InvalidGrant),
        ("unauthorized_client", EntraErrorKind::UnauthorizedClient),
        (
            "unsupported_grant_type",
            EntraErrorKind::UnsupportedGrantType,
        ),
        ("invalid_scope", EntraErrorKind::InvalidScope),
        ("invalid_resource", EntraErrorKind::InvalidResource),
        ("access_denied", EntraErrorKind::AccessDenied),
        ("consent_required", EntraErrorKind::ConsentRequired),
        ("interaction_required", EntraErrorKind::InteractionRequired),
        ("login_required", EntraErrorKind::InteractionRequired),
        (
            "temporarily_unavailable",
            EntraErrorKind::TemporarilyUnavailable,
        ),
        ("server_error", EntraErrorKind::ServerError),
        (
            "authorization_pending",
            EntraErrorKind::AuthorizationPending,
        ),
        ("slow_down", EntraErrorKind::SlowDown),
        ("expired_token", EntraErrorKind::ExpiredToken),
        (
            "authorization_declined",
            EntraErrorKind::AuthorizationDeclined,
        ),
    ];

    #[test]
    fn every_standard_error_value_has_a_kind_and_a_hint() {
        for (code, kind) in STANDARD {
            let body = format!(r#"{{"error":"{code}"}}"#);
            let e = EntraError::parse(400, body.as_bytes()).expect("parses");
            assert_eq!(e.kind(), kind, "{code}");
            assert!(e.hint().is_some(), "{code}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn json_value() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(Value::from),
                ".{0,40}".prop_map(Value::from),
                prop::collection::vec(any::<i64>().prop_map(Value::from), 0..4)
                    .prop_map(Value::from),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_bytes_never_panic_and_display_stays_bounded(
                status in any::<u16>(),
                bytes in prop::collection::vec(any::<u8>(), 0..512),
            ) {
                if let Some(e) = EntraError::parse(status, &bytes) {
                    prop_assert!(!e.error.is_empty());
                    let shown = e.to_string();
                    prop_assert!(shown.chars().count() < 3 * MESSAGE_CHARS);
                    let _ = e.hint();
                }
            }

            #[test]
            fn standard_error_values_are_classified_whatever_else_the_body_holds(
                index in 0..STANDARD.len(),
                description in prop::option::of("[a-z ,.:'0-9]{0,200}"),
                extra in prop::collection::hash_map("[a-z_]{1,12}", json_value(), 0..5),
                status in 400u16..600,
            ) {
                let (code, kind) = STANDARD[index];
                let mut body: serde_json::Map<String, Value> = extra
                    .into_iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "error" | "error_codes" | "error_description"))
                    .collect();
                body.insert("error".into(), Value::from(code));
                if let Some(d) = &description {
                    body.insert("error_description".into(), Value::from(d.clone()));
                }
                let bytes = serde_json::to_vec(&Value::Object(body)).expect("serialises");
                let e = EntraError::parse(status, &bytes).expect("an OAuth error body");
                prop_assert_eq!(e.kind(), kind);
                prop_assert_eq!(e.error.as_str(), code);
                prop_assert!(e.hint().is_some());
                prop_assert_eq!(e.description, description.map(|d| first_paragraph(&d)).unwrap_or_default());
            }

            #[test]
            fn display_caps_any_description(
                len in 0usize..5_000,
                c in any::<char>(),
            ) {
                let description: String = std::iter::repeat_n(c, len).collect();
                let body = serde_json::json!({"error": "invalid_grant", "error_description": description});
                let e = EntraError::parse(400, body.to_string().as_bytes()).expect("parses");
                let shown = e.to_string();
                prop_assert!(shown.chars().count() < MESSAGE_CHARS + 600, "{}", shown.chars().count());
                prop_assert_eq!(shown.contains("more characters]"), e.description.chars().count() > MESSAGE_CHARS);
            }
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
