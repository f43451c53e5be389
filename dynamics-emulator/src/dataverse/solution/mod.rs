//! Solution import: `POST ImportSolution` (answers when done: 204, or a 400 with the reason)
//! and `POST ImportSolutionAsync` (answers `AsyncOperationId` and `ImportJobKey`; the system
//! job is already completed when the answer arrives, succeeded or failed). Both record an
//! import job with the result XML. The package is read by [`package`] and written by [`apply`].

mod apply;
mod jobs;
pub(crate) mod package;

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use self::jobs::Outcome;
use crate::dataverse::errors::ApiError;
use crate::dataverse::handlers::{Call, json_body};
use crate::dataverse::odata::path::Segment;
use crate::dataverse::security::rows::Rows;
use crate::dataverse::security::users::guid;
use crate::dataverse::seeding::with_seed_writer;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

/// Code of a failed solution import. UNCONFIRMED: the service answers several codes depending
/// on the cause; this one is used for all of them.
pub(crate) const IMPORT_FAILED: &str = "0x80048068";

/// Answers `ImportSolution` and `ImportSolutionAsync`; `None` for any other segment.
pub(crate) fn route(
    store: &mut DataverseStore,
    call: &Call<'_>,
    segments: &[Segment],
) -> Option<ApiResult> {
    let [segment] = segments else {
        return None;
    };
    let asynchronous = match segment.name.as_str() {
        "ImportSolution" => false,
        "ImportSolutionAsync" => true,
        _ => return None,
    };
    if call.request.method != Method::POST {
        return Some(Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            &segment.name,
        )));
    }
    if let Err(e) = call.options.allow_only(&[]) {
        return Some(Err(e));
    }
    Some(import(store, call, asynchronous))
}

/// The request's parameters, checked.
struct Request {
    bytes: Vec<u8>,
    job: Uuid,
}

fn read_request(call: &Call<'_>) -> Result<Request, ApiError> {
    let body = json_body(call.request)?;
    let file = body
        .get("CustomizationFile")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::bad_request(
                "ImportSolution needs 'CustomizationFile' (the solution .zip as base64).",
            )
        })?;
    let bytes = STANDARD.decode(file.trim()).map_err(|e| {
        ApiError::bad_request(format!("'CustomizationFile' is not valid base64: {e}."))
    })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("'CustomizationFile' is empty."));
    }
    for flag in [
        "OverwriteUnmanagedCustomizations",
        "PublishWorkflows",
        "ConvertToManaged",
        "SkipProductUpdateDependencies",
        "HoldingSolution",
    ] {
        if let Some(value) = body.get(flag)
            && !value.is_boolean()
            && !value.is_null()
        {
            return Err(ApiError::bad_request(format!(
                "Cannot convert the literal '{value}' to the expected type 'Edm.Boolean' ({flag})."
            )));
        }
    }
    let job = match body.get("ImportJobId").filter(|v| !v.is_null()) {
        Some(value) => guid(value).ok_or_else(|| {
            ApiError::bad_request(format!("'ImportJobId' must be a GUID, not {value}."))
        })?,
        None => Uuid::new_v4(),
    };
    Ok(Request { bytes, job })
}

fn import(store: &mut DataverseStore, call: &Call<'_>, asynchronous: bool) -> ApiResult {
    let request = read_request(call)?;
    store.solution_imports += 1;
    let now = call.env.now.replace_nanosecond(0).unwrap_or(call.env.now);
    let stamp = now.format(&Rfc3339).unwrap_or_default();
    let unix = now.unix_timestamp();
    let package = package::read(&request.bytes);
    let before = store.data.savepoint();
    let applied: Result<Uuid, String> = match &package {
        Err(error) => Err(error.0.clone()),
        Ok(package) => match apply::check(Rows::new(&store.catalog, &store.data), package) {
            Err(error) => Err(error.0),
            Ok(existing) => with_seed_writer(store, unix, |writer| {
                apply::apply(writer, package, existing, &stamp)
            })
            .map_err(|e| format!("The solution could not be imported: {}", e.message)),
        },
    };
    // A failed import leaves nothing behind but its job.
    if applied.is_err()
        && let Some(savepoint) = before
    {
        store.data.rollback_to(&store.catalog, savepoint);
    }
    let outcome = Outcome {
        job: request.job,
        package: package.as_ref().ok(),
        solution: applied.as_ref().ok().copied(),
        error: applied.as_ref().err().cloned(),
        started: stamp.clone(),
        finished: stamp,
    };
    let operation = Uuid::new_v4();
    let jobs_start = store.data.savepoint();
    with_seed_writer(store, unix, |writer| {
        jobs::write_import_job(writer, &outcome)?;
        if asynchronous {
            jobs::write_async_operation(writer, operation, &outcome)?;
        }
        Ok(())
    })?;
    if asynchronous {
        return Ok(ApiResponse::json(
            StatusCode::OK,
            json!({
                "@odata.context": call.env.context("Microsoft.Dynamics.CRM.ImportSolutionAsyncResponse"),
                "AsyncOperationId": operation,
                "ImportJobKey": request.job.to_string(),
            }),
        ));
    }
    match outcome.error {
        None => Ok(ApiResponse::empty(StatusCode::NO_CONTENT)),
        Some(error) => {
            // The error answer rolls the request back; the failed job stays, as in Dataverse.
            if let Some(savepoint) = jobs_start {
                store.data.keep_since(savepoint);
            }
            Err(ApiError::new(StatusCode::BAD_REQUEST, IMPORT_FAILED, error))
        }
    }
}
