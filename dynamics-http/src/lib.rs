#![doc = include_str!("../README.md")]

mod auth;
mod error;
mod pipeline;
mod request;
mod response;
mod retry;

pub use auth::BearerAuth;
pub use error::{DISPLAY_MESSAGE_LIMIT, HttpError, StatusError, capped, parse_error_body};
pub use pipeline::{
    AttemptObserver, AttemptOutcome, DEFAULT_MAX_RESPONSE_BYTES, Pipeline, PipelineOptions,
    Timeouts, status_error,
};
pub use request::{HttpRequest, Method, is_valid_header_value, redacted_url};
pub use response::HttpResponse;
pub use retry::{MAX_RETRY_AFTER, RetryOptions, parse_retry_after};
