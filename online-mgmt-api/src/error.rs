//! The crate's one error type, and the hints attached to the service's error answers.

use std::time::Duration;

use dynamics_http::HttpError;
use uuid::Uuid;

use crate::{ApiVersion, OperationStatus};

/// What went wrong with an admin call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The service answered with an error status, or could not be reached. Carries the
    /// status, the service's code and message, the request id, `Retry-After` and a hint.
    #[error(transparent)]
    Http(#[from] HttpError),

    /// The operation failed, or the service refused to start it (a `400` whose body is an
    /// `OperationStatus`). `Display` lists its errors.
    #[error("{}", operation_failed_message(status))]
    OperationFailed {
        /// The final (or refusing) status, with its `Errors`.
        status: Box<OperationStatus>,
    },

    /// The operation did not reach a terminal state within the wait's time limit. It may
    /// still finish on the service.
    #[error(
        "operation {operation_id} did not finish in time (last status: {}); it may still finish: check it later",
        dynamics_http::capped(&last_status.status.to_string(), SHORT_LIMIT)
    )]
    PollTimeout {
        /// The operation.
        operation_id: Uuid,
        /// The last status seen.
        last_status: Box<OperationStatus>,
    },

    /// Waiting was cancelled by the caller. The operation goes on at the service.
    #[error(
        "stopped waiting for operation {operation_id}: cancelled (the operation goes on at the service)"
    )]
    Cancelled {
        /// The operation.
        operation_id: Uuid,
    },

    /// The operation does not exist in this API version. Nothing was sent.
    #[error("{operation} is not part of Online Management API {version}; it needs v1.2")]
    NotSupported {
        /// The operation (the spec's operation id).
        operation: &'static str,
        /// The client's version.
        version: ApiVersion,
    },

    /// The region has no documented Online Management API host.
    #[error(
        "the Online Management API has no documented host for {region_label}; use the Power Platform admin API (BAP) instead"
    )]
    NoAdminHost {
        /// The region's host label (`crm14`) or sovereign cloud host.
        region_label: String,
    },

    /// An argument or setting is not usable. Nothing was sent.
    #[error("invalid {what}: {fix}")]
    InvalidInput {
        /// What is wrong.
        what: String,
        /// How to fix it.
        fix: String,
    },

    /// The service's challenge (`/api/aad/challenge` or `WWW-Authenticate`) named a token
    /// audience or a sign-in host this client does not trust: a typo'd or hostile service
    /// URL could otherwise obtain an administrator's token for any resource (Microsoft
    /// Graph, say) or collect sign-ins. Nothing was signed in for or sent with a token.
    #[error("the service's challenge names {what} `{value}`, which is not trusted: {fix}")]
    UntrustedChallenge {
        /// What was rejected: `resource_id` or `authorization_uri`.
        what: &'static str,
        /// The rejected value (user info and query removed, cut to 200 characters).
        value: String,
        /// What to check or set instead.
        fix: String,
    },

    /// The application is not registered as a management application.
    #[error("application {application_id} is not registered as a management application")]
    NotRegistered {
        /// The Entra application (client) id.
        application_id: Uuid,
    },

    /// The service answered with a body this client cannot read (not JSON, or not the
    /// expected shape).
    #[error("{operation}: {source}")]
    Decode {
        /// The operation (the spec's operation id, or the BAP call's name).
        operation: &'static str,
        /// The answer's method, URL, status and where the body stopped making sense.
        source: HttpError,
    },
}

/// How much of the service's error text `Display` shows (characters), as for HTTP errors.
const MESSAGE_LIMIT: usize = dynamics_http::DISPLAY_MESSAGE_LIMIT;
/// How much of a service-chosen short value (a status name) `Display` shows.
const SHORT_LIMIT: usize = 100;

fn operation_failed_message(status: &OperationStatus) -> String {
    let state = dynamics_http::capped(&status.status.to_string(), SHORT_LIMIT);
    let mut text = if status.operation_id.is_nil() {
        format!("the service refused the operation ({state})")
    } else {
        format!("operation {} ended {state}", status.operation_id)
    };
    if status.errors.is_empty() {
        text.push_str(" with no error details");
    } else {
        text.push_str(": ");
        text.push_str(&dynamics_http::capped(
            &status.error_summary(),
            MESSAGE_LIMIT,
        ));
    }
    text
}

impl AdminError {
    /// The HTTP error, if the service answered with one (or could not be reached).
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            AdminError::Http(e) | AdminError::Decode { source: e, .. } => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the service's error answer.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            AdminError::Http(e) => e.status(),
            _ => None,
        }
    }

    /// The service's error code (`userNotLicensed`, an OData code, an `OperationStatus`
    /// error code or subject).
    pub fn service_code(&self) -> Option<&str> {
        match self {
            AdminError::Http(e) => e.service_code(),
            AdminError::OperationFailed { status } => status
                .errors
                .iter()
                .find_map(|e| e.code.as_deref().or(e.subject.as_deref())),
            _ => None,
        }
    }

    /// `true` for a 404, and for an application that is not registered.
    pub fn is_not_found(&self) -> bool {
        match self {
            AdminError::Http(e) => e.is_not_found(),
            AdminError::NotRegistered { .. } => true,
            _ => false,
        }
    }

    /// `true` for a 429 (the pipeline has already retried it as often as allowed).
    pub fn is_throttled(&self) -> bool {
        matches!(self, AdminError::Http(e) if e.is_throttled())
    }

    /// `true` for a 403: the caller lacks the admin role or registration.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, AdminError::Http(e) if e.is_forbidden())
    }

    /// `true` for a 401: the token was not accepted.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, AdminError::Http(e) if e.is_unauthorized())
    }

    /// `true` when trying again later may succeed (throttling, a 5xx, a broken connection).
    pub fn is_retryable(&self) -> bool {
        match self {
            AdminError::Http(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// `true` for the Power Platform admin API's `userNotLicensed`: the user's license has
    /// not reached the environment yet.
    pub fn is_user_not_licensed(&self) -> bool {
        match self {
            AdminError::Http(e) => {
                e.service_code()
                    .is_some_and(|c| c.eq_ignore_ascii_case("userNotLicensed"))
                    || e.status_error()
                        .is_some_and(|s| s.body.to_ascii_lowercase().contains("usernotlicensed"))
            }
            _ => false,
        }
    }

    /// How long the service asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AdminError::Http(e) => e.retry_after(),
            _ => None,
        }
    }

    /// What to do about it, where the cause is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            AdminError::Http(e) => e.hint(),
            AdminError::OperationFailed { .. } => None,
            AdminError::PollTimeout { operation_id, .. } => Some(format!(
                "wait longer, or look the operation up later (operation id {operation_id})"
            )),
            AdminError::Cancelled { operation_id } => Some(format!(
                "look the operation up later to see how it ended (operation id {operation_id})"
            )),
            AdminError::NotSupported { .. } => Some(
                "use API version v1.2 (the default), or the Power Platform admin API".into(),
            ),
            AdminError::NoAdminHost { .. } => Some(
                "use the Power Platform admin API (PowerPlatformAdminClient), which serves every region"
                    .into(),
            ),
            AdminError::InvalidInput { fix, .. } | AdminError::UntrustedChallenge { fix, .. } => {
                Some(fix.clone())
            }
            AdminError::NotRegistered { .. } => {
                Some("register the application first, or check the application (client) id".into())
            }
            AdminError::Decode { .. } => Some(
                "the service answered in a shape this client does not know; report it with the request details"
                    .into(),
            ),
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, fix: impl Into<String>) -> Self {
        AdminError::InvalidInput {
            what: what.into(),
            fix: fix.into(),
        }
    }
}

/// Attaches the Online Management API's hints to an error answer.
pub(crate) fn oma_hint(error: HttpError, not_found: Option<&str>) -> HttpError {
    let hint = match error.status() {
        Some(401) => Some(
            "the token was not accepted: check the region/service URL and that you signed in to the right tenant"
                .to_string(),
        ),
        Some(403) => Some(
            "the signed-in account needs the Global or Service administrator role (or, for an app, register it as a management application first)"
                .to_string(),
        ),
        Some(404) => Some(match not_found {
            Some(what) => format!("{what} (check the id, and that the service URL is the region it lives in)"),
            None => "not found: check the id, and that the service URL is the right region".to_string(),
        }),
        Some(429) => Some(throttled_hint(&error)),
        _ => None,
    };
    match hint {
        Some(h) => error.with_hint(h),
        None => error,
    }
}

pub(crate) fn throttled_hint(error: &HttpError) -> String {
    match error.retry_after() {
        Some(d) => format!(
            "the service is throttling requests: wait {} s and try again",
            d.as_secs().max(1)
        ),
        None => "the service is throttling requests: wait a minute and try again".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ItemDescription, OperationState};

    #[test]
    fn operation_failed_lists_subject_description_and_code() {
        let mut status = OperationStatus::new(Uuid::nil(), OperationState::FailedToCreate);
        status.errors.push(ItemDescription {
            subject: Some("ProvisioningJobCreation".into()),
            description: Some("There was an error creating the provisioning job.".into()),
            code: Some("E42".into()),
        });
        let e = AdminError::OperationFailed {
            status: Box::new(status),
        };
        let text = e.to_string();
        assert!(text.contains("refused"), "{text}");
        assert!(text.contains("ProvisioningJobCreation: There was an error creating the provisioning job. (code E42)"), "{text}");
        assert_eq!(e.service_code(), Some("E42"));
    }

    #[test]
    fn operation_failed_display_is_capped() {
        let mut status = OperationStatus::new(Uuid::nil(), OperationState::FailedToCreate);
        for _ in 0..1000 {
            status.errors.push(ItemDescription {
                subject: Some("S".repeat(100)),
                description: Some("line one\nline two ".repeat(50)),
                code: None,
            });
        }
        let text = AdminError::OperationFailed {
            status: Box::new(status),
        }
        .to_string();
        assert!(text.chars().count() < 700, "{} chars", text.chars().count());
        assert!(!text.contains('\n'), "{text}");
        assert!(text.ends_with('…'), "{text}");
    }
}
