//! Bulk operation messages bound to an entity set:
//! `POST {set}/Microsoft.Dynamics.CRM.CreateMultiple` (200 `CreateMultipleResponse` with
//! `Ids`), `…UpdateMultiple`, `…UpsertMultiple` (204) and `…DeleteMultiple` (204, elastic
//! tables only).
//!
//! From "Use bulk operation messages"
//! (learn.microsoft.com/power-apps/developer/data-platform/bulk-operations):
//! - standard tables: "All operations roll back on error": the request is one transaction and
//!   the error names the failing target;
//! - elastic tables: "Partial success is possible": each target is written on its own; the
//!   error carries per-target statuses (`Plugin.BulkApiErrorDetails`) when the request asks for
//!   `Prefer: odata.include-annotations="Microsoft.PowerApps.CDS.ErrorDetails.*"` (or `*`);
//! - `DeleteMultiple` on a standard table: "you get the error: `DeleteMultiple has not yet been
//!   implemented.`";
//! - "There's no set limit on the number of records": only the body size limit applies.
//!
//! How a bulk message counts toward the service protection limits is decided in
//! [`RequestCost`](crate::dataverse::protection::RequestCost).

use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

use super::crud::refuse_platform_table;
use super::{Call, json_body, write};
use crate::dataverse::errors::ApiError;
use crate::dataverse::keys::KeyMatch;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiRequest, ApiResponse, ApiResult};
use crate::dataverse::write::bulk::{BulkMessage, Target, Written, apply, in_target, read_targets};

/// The error-details annotation with the per-target outcomes of a bulk message on an elastic
/// table. The SDK reads it as `ErrorDetails["Plugin.BulkApiErrorDetails"]`, a JSON text of
/// `[{"RequestIndex":0,"Id":"…","StatusCode":400}]` (bulk-operations doc); the Web API
/// carries error details as `@Microsoft.PowerApps.CDS.ErrorDetails.{name}` annotations of the
/// error ("Include more details with errors").
///
/// UNCONFIRMED: the annotation's full name and that its value is that JSON text (as the SDK's
/// `ToString()` then deserialize suggests) are inferred from those two pages.
pub(crate) const BULK_ERROR_DETAILS: &str =
    "Microsoft.PowerApps.CDS.ErrorDetails.Plugin.BulkApiErrorDetails";

/// Tables whose rows are created through their own route or messages, not bulk messages.
///
/// UNCONFIRMED: which built-in tables lack the bulk messages ("Not all standard tables support
/// these messages"); users are created through `POST systemusers`, which checks the
/// application user fields.
const NOT_BULK: [&str; 1] = ["systemuser"];

/// `POST {set}/{message}`.
pub(crate) fn bound(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    message: BulkMessage,
) -> ApiResult {
    if call.request.method != Method::POST {
        return Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            &format!("the {} action (use POST)", message.name()),
        ));
    }
    refuse_platform_table(store, table, "POST")?;
    let definition = store.catalog.table(table);
    if NOT_BULK.contains(&definition.logical_name.as_str()) {
        return Err(ApiError::bad_request(format!(
            "The {} message is not available for the {} table. Write its rows one request at \
             a time.",
            message.name(),
            definition.logical_name
        )));
    }
    let elastic = definition.elastic;
    if message == BulkMessage::Delete && !elastic {
        return Err(ApiError::bad_request(
            "DeleteMultiple has not yet been implemented. (DeleteMultiple is available for \
             elastic tables only: delete rows of a standard table with DELETE requests in a \
             $batch, or with the BulkDelete action.)",
        ));
    }
    let body = json_body(call.request)?;
    let targets = read_targets(&store.catalog, table, message, body)?;
    let written = if elastic {
        match each_on_its_own(store, call, table, message, &targets) {
            Ok(written) => written,
            Err(partial) => return Ok(partial),
        }
    } else {
        all_or_nothing(store, call, table, message, &targets)?
    };
    Ok(match message {
        BulkMessage::Create => ApiResponse::json(
            StatusCode::OK,
            json!({
                "@odata.context": call.env.context("Microsoft.Dynamics.CRM.CreateMultipleResponse"),
                "Ids": written.iter().map(|w| w.id.to_string()).collect::<Vec<_>>(),
            }),
        ),
        // The UpsertMultiple reference: "The UpsertMultiple action returns 204 NoContent. The
        // UpsertMultipleResponse complex type is not returned."
        BulkMessage::Update | BulkMessage::Upsert | BulkMessage::Delete => {
            ApiResponse::empty(StatusCode::NO_CONTENT)
        }
    })
}

/// A standard table: one transaction; the first failing target fails the request.
fn all_or_nothing(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    message: BulkMessage,
    targets: &[Target],
) -> Result<Vec<Written>, ApiError> {
    write(store, call, |writer| {
        targets
            .iter()
            .map(|target| {
                apply(writer, table, message, target)
                    .map_err(|e| in_target(e, target.index, &target.label))
            })
            .collect()
    })
}

/// An elastic table: every target is written (or not) on its own, and those that succeeded
/// stay written even when others fail and the request answers an error (the `Err` answer).
fn each_on_its_own(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    message: BulkMessage,
    targets: &[Target],
) -> Result<Vec<Written>, ApiResponse> {
    let opened = store.data.begin();
    let start = store.data.savepoint().unwrap_or_default();
    let mut outcomes = Vec::with_capacity(targets.len());
    for target in targets {
        let savepoint = store.data.savepoint().unwrap_or_default();
        let outcome = write(store, call, |writer| apply(writer, table, message, target));
        if outcome.is_err() {
            store.data.rollback_to(&store.catalog, savepoint);
        }
        outcomes.push(outcome);
    }
    let failed = outcomes.iter().any(Result::is_err);
    if opened {
        store.data.commit();
    } else if failed {
        // The caller's transaction (the request's, or a `$batch` change set's) is rolled back
        // on an error answer: the targets written keep their changes.
        store.data.keep_since(start);
    }
    if failed {
        return Err(partial_failure(call, targets, &outcomes));
    }
    Ok(outcomes.into_iter().flatten().collect())
}

/// The error of a partly failed bulk message on an elastic table: the first failure's status,
/// code and message (naming its target), and the per-target outcomes when asked for.
///
/// UNCONFIRMED: the status and top-level message of a partial failure; the per-target
/// `StatusCode` of a success (204 here, as the single message without a representation).
fn partial_failure(
    call: &Call<'_>,
    targets: &[Target],
    outcomes: &[Result<Written, ApiError>],
) -> ApiResponse {
    let (index, first) = outcomes
        .iter()
        .enumerate()
        .find_map(|(i, o)| o.as_ref().err().map(|e| (i, e.clone())))
        .unwrap_or_else(|| (0, ApiError::bad_request("A target failed.")));
    let failed = outcomes.iter().filter(|o| o.is_err()).count();
    let label = targets.get(index).map_or("", |t| t.label.as_str());
    let error = in_target(first, index, label);
    let mut body = serde_json::Map::new();
    body.insert("code".to_owned(), Value::String(error.code));
    body.insert(
        "message".to_owned(),
        Value::String(format!(
            "{} {failed} of {} targets failed; the others were written (elastic tables are \
             not transactional). Ask for Prefer: odata.include-annotations=\
             \"{BULK_ERROR_DETAILS}\" for each target's status.",
            error.message,
            outcomes.len()
        )),
    );
    if call.prefer.wants(BULK_ERROR_DETAILS) {
        let details: Vec<Value> = targets
            .iter()
            .zip(outcomes)
            .map(|(target, outcome)| {
                let (id, status) = match outcome {
                    Ok(written) => (Some(written.id), StatusCode::NO_CONTENT),
                    Err(e) => (
                        match target.key {
                            Some(KeyMatch::Id(id)) => Some(id),
                            _ => None,
                        },
                        e.status,
                    ),
                };
                json!({
                    "RequestIndex": target.index,
                    "Id": id.map(|id| id.to_string()),
                    "StatusCode": status.as_u16(),
                })
            })
            .collect();
        body.insert(
            format!("@{BULK_ERROR_DETAILS}"),
            Value::String(Value::Array(details).to_string()),
        );
    }
    ApiResponse::json(error.status, json!({ "error": body }))
}

/// The number of targets of a bulk message request (`POST {set}/Microsoft.Dynamics.CRM.…Multiple`
/// with a `Targets` array), read before the request runs so the cost model can price it; `None`
/// for any other request.
pub(crate) fn targets_in(request: &ApiRequest) -> Option<u32> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(rename = "Targets")]
        targets: Vec<IgnoredAny>,
    }
    if request.method != Method::POST {
        return None;
    }
    let (set, action) = request.path.trim_end_matches('/').split_once('/')?;
    if set.is_empty() || set.contains(['(', '/']) || BulkMessage::from_segment(action).is_none() {
        return None;
    }
    let body: Body = serde_json::from_slice(&request.body).ok()?;
    Some(u32::try_from(body.targets.len()).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use axum::body::Bytes;
    use axum::http::HeaderMap;

    use super::*;
    use crate::dataverse::odata::query_string::QueryString;

    fn request(method: Method, path: &str, body: &str) -> ApiRequest {
        ApiRequest {
            method,
            path: path.to_owned(),
            query: QueryString::parse(None),
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn targets_are_counted_for_bulk_messages_only() {
        let body = r#"{"Targets":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#;
        let path = "accounts/Microsoft.Dynamics.CRM.CreateMultiple";
        assert_eq!(targets_in(&request(Method::POST, path, body)), Some(3));
        assert_eq!(targets_in(&request(Method::GET, path, body)), None);
        assert_eq!(targets_in(&request(Method::POST, "accounts", body)), None);
        assert_eq!(
            targets_in(&request(
                Method::POST,
                "roles(1)/Microsoft.Dynamics.CRM.CreateMultiple",
                body
            )),
            None
        );
        assert_eq!(targets_in(&request(Method::POST, path, "not json")), None);
    }
}
