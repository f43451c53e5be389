//! The crate's error: the pipeline's, plus what is particular to Dataverse.

use std::time::Duration;

use dynamics_http::HttpError;

/// Which service protection limit a 429 hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceProtectionLimit {
    /// 0x80072322: too many requests in the window.
    NumberOfRequests,
    /// 0x80072321: too much combined execution time in the window.
    ExecutionTime,
    /// 0x80072326: too many concurrent requests.
    ConcurrentRequests,
}

impl ServiceProtectionLimit {
    /// From the Dataverse error code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.to_ascii_lowercase().as_str() {
            "0x80072322" | "-2147015902" => Some(Self::NumberOfRequests),
            "0x80072321" | "-2147015903" => Some(Self::ExecutionTime),
            "0x80072326" | "-2147015898" => Some(Self::ConcurrentRequests),
            _ => None,
        }
    }
}

/// Everything that can go wrong talking to Dataverse.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DataverseError {
    /// The request failed in the pipeline or the service answered with an error. `Display` is
    /// the pipeline's: the service's message cut to [`MESSAGE_LIMIT`] characters on one line;
    /// more of it stays in the error's fields.
    #[error(transparent)]
    Http(HttpError),

    /// A link from the service (`@odata.nextLink`, `OData-EntityId`) points outside the org.
    #[error("the service returned a link outside the org ({link}); refusing to follow it")]
    ForeignLink {
        /// The link, without its query.
        link: String,
    },

    /// A paging link came back a second time; following it would loop forever.
    #[error("paging stopped: the service returned the same next link twice ({link})")]
    PagingLoop {
        /// The repeated link, without its query.
        link: String,
    },

    /// An argument cannot be used; `fix` says what to change.
    #[error("invalid {what}: {fix}")]
    InvalidInput {
        /// Which argument.
        what: String,
        /// What to change.
        fix: String,
    },

    /// The answer lacks something it must have (such as `OData-EntityId` after a create).
    #[error("unexpected answer from Dataverse: {0}")]
    UnexpectedResponse(String),

    /// A row a provisioning step needs does not exist: a security role in the principal's
    /// business unit, the root business unit, a privilege, an application user. `what` says
    /// what is missing (and where it does exist, when known); `fix` says what to do.
    #[error("not found: {what}; {fix}")]
    NotFound {
        /// What is missing.
        what: String,
        /// What to do.
        fix: String,
    },

    /// FetchXML paging cannot go on: the service sent the same paging cookie twice, or the page
    /// number would pass the largest FetchXML accepts.
    #[error("FetchXML paging stopped: {reason}")]
    FetchXmlPaging {
        /// Why.
        reason: String,
    },
}

/// How many characters of the service's error message `Display` shows.
pub const MESSAGE_LIMIT: usize = dynamics_http::DISPLAY_MESSAGE_LIMIT;

impl From<HttpError> for DataverseError {
    fn from(error: HttpError) -> Self {
        DataverseError::Http(error)
    }
}

impl DataverseError {
    pub(crate) fn invalid(what: impl Into<String>, fix: impl Into<String>) -> Self {
        DataverseError::InvalidInput {
            what: what.into(),
            fix: fix.into(),
        }
    }

    fn http(&self) -> Option<&HttpError> {
        match self {
            DataverseError::Http(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<u16> {
        self.http().and_then(HttpError::status)
    }

    /// The Dataverse error code (`0x80040217`, ...).
    pub fn code(&self) -> Option<&str> {
        self.http().and_then(HttpError::service_code)
    }

    /// 404: no such record (or table); also [`DataverseError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404) || matches!(self, DataverseError::NotFound { .. })
    }

    /// 412: an `If-Match` / `If-None-Match` condition failed (the record changed, or already
    /// exists for a create-only upsert).
    pub fn is_precondition_failed(&self) -> bool {
        self.status() == Some(412)
    }

    /// 429: a service protection limit.
    pub fn is_throttled(&self) -> bool {
        self.status() == Some(429)
    }

    /// Which service protection limit, for a 429.
    pub fn throttle_limit(&self) -> Option<ServiceProtectionLimit> {
        if !self.is_throttled() {
            return None;
        }
        self.code().and_then(ServiceProtectionLimit::from_code)
    }

    /// `true` when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.http().is_some_and(HttpError::is_retryable)
    }

    /// How long the service asked to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.http().and_then(HttpError::retry_after)
    }
}

/// The crate's result type.
pub type Result<T, E = DataverseError> = std::result::Result<T, E>;
