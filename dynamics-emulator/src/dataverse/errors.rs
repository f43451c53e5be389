//! [`ApiError`]: a failed Web API operation, answered as
//! `{"error":{"code":"0x…","message":"…"}}` with Dataverse's hexadecimal codes.

use axum::http::StatusCode;

/// Dataverse's code for query and payload errors raised by the OData layer (unknown
/// properties, syntax errors, unsupported options, type mismatches).
pub(crate) const ODATA_ERROR: &str = "0x80060888";
/// Code of "Resource not found for the segment …".
pub(crate) const SEGMENT_NOT_FOUND: &str = "0x8006088a";
/// Code of "{entity} With Id = {id} Does Not Exist" (`ObjectDoesNotExist`).
pub(crate) const OBJECT_DOES_NOT_EXIST: &str = "0x80040217";
/// Code of a failed optimistic-concurrency check (`ConcurrencyVersionMismatch`).
pub(crate) const CONCURRENCY_MISMATCH: &str = "0x80060882";
/// Code of a duplicate key (`DuplicateRecord`).
pub(crate) const DUPLICATE_RECORD: &str = "0x80040237";
/// Code of a validation failure such as a value that is too long.
pub(crate) const VALIDATION: &str = "0x80044331";
/// Code of an unexpected server error.
pub(crate) const UNEXPECTED: &str = "0x80040216";

/// A failed operation: HTTP status, Dataverse error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
}

impl ApiError {
    /// An error with any status and code.
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// 400 with the OData-layer code (query syntax, unknown properties, bad payloads).
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ODATA_ERROR, message)
    }

    /// 400 "Could not find a property named 'x' on type 'Microsoft.Dynamics.CRM.y'."
    pub(crate) fn unknown_property(name: &str, logical_name: &str) -> Self {
        Self::bad_request(format!(
            "Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{logical_name}'."
        ))
    }

    /// 404 "{logical} With Id = {id} Does Not Exist".
    pub(crate) fn record_not_found(logical_name: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            OBJECT_DOES_NOT_EXIST,
            format!("{logical_name} With Id = {id} Does Not Exist"),
        )
    }

    /// 404 "Resource not found for the segment '{segment}'."
    pub(crate) fn segment_not_found(segment: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            SEGMENT_NOT_FOUND,
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    /// 405 for a method the resource does not support.
    pub(crate) fn method_not_allowed(method: &str, what: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ODATA_ERROR,
            format!("The HTTP method '{method}' is not supported for {what}."),
        )
    }

    /// 412 "The version of the existing record doesn't match the RowVersion property provided."
    pub(crate) fn version_mismatch() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            CONCURRENCY_MISMATCH,
            "The version of the existing record doesn't match the RowVersion property provided.",
        )
    }

    /// 412 "A record with matching key values already exists."
    pub(crate) fn duplicate() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            DUPLICATE_RECORD,
            "A record with matching key values already exists.",
        )
    }

    /// 400 validation error (code 0x80044331).
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            VALIDATION,
            format!("A validation error occurred.  {}", message.into()),
        )
    }
}
