//! The crate's error: the pipeline's, plus what is particular to Dataverse.

use std::time::Duration;

use dynamics_http::HttpError;
use uuid::Uuid;

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

    /// A solution import ran and failed ([`crate::solutions`]). `message` is the service's
    /// error text (the import job's `status`, or the async operation's message), capped.
    #[error("solution import failed{}: {message}", job_ids(.import_job_id, .async_operation_id))]
    SolutionImportFailed {
        /// The import job (`importjobs`), when known: its `data` holds the full log.
        import_job_id: Option<Uuid>,
        /// The async operation (`asyncoperations`) of an asynchronous import.
        async_operation_id: Option<Uuid>,
        /// What went wrong, as the service said it.
        message: String,
    },

    /// An asynchronous solution import did not finish in the time allowed. It may still
    /// finish: look at the async operation later, or allow a longer timeout.
    #[error(
        "solution import still not finished after {waited:?}{}, last status {last_status}; it may still complete: check the async operation later or raise the timeout",
        job_ids(.import_job_id, &Some(*.async_operation_id))
    )]
    SolutionImportTimedOut {
        /// The async operation to look at.
        async_operation_id: Uuid,
        /// The import job, when known.
        import_job_id: Option<Uuid>,
        /// How long the client waited.
        waited: Duration,
        /// The operation's last status as the service reported it.
        last_status: String,
    },

    /// A table-definition call could not do what was asked ([`crate::metadata`]).
    #[error(transparent)]
    Metadata(#[from] crate::metadata::MetadataError),
}

fn job_ids(import_job: &Option<Uuid>, async_operation: &Option<Uuid>) -> String {
    match (import_job, async_operation) {
        (Some(job), Some(op)) => format!(" (import job {job}, async operation {op})"),
        (Some(job), None) => format!(" (import job {job})"),
        (None, Some(op)) => format!(" (async operation {op})"),
        (None, None) => String::new(),
    }
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
