//! Duplicate detection on create: with `MSCRM.SuppressDuplicateDetection: false` the service
//! applies the org's published duplicate detection rules and refuses a create that matches
//! ("Detect duplicate data using the Web API": `false` – "Do not create or update the record,
//! if a duplicate is found"). The error is `0x80040333`, "A record was not created or updated
//! because a duplicate of the current record already exists.", shown with HTTP 500 in the
//! doc's example.
//!
//! The emulator knows one rule, a default the docs name for leads ("Dataverse includes
//! default duplicate detection rules for accounts, contacts, and leads"): leads with the same
//! email address (`emailaddress1`, compared without case). UNCONFIRMED: the exact matching
//! (the service compares match codes); other default rules are not emulated.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::Call;
use crate::dataverse::errors::ApiError;
use crate::dataverse::state::DataverseStore;

/// `DuplicateRecordsFound` as the Web API shows it.
pub(crate) const DUPLICATE_DETECTED: &str = "0x80040333";

const HEADER: &str = "mscrm.suppressduplicatedetection";

/// Refuses a create of `body` into `table` that the lead rule matches, when the request asks
/// for duplicate detection.
pub(crate) fn check(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    body: &Map<String, Value>,
) -> Result<(), ApiError> {
    let asked = call
        .request
        .headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
    let definition = store.catalog.table(table);
    if !asked || definition.logical_name != "lead" {
        return Ok(());
    }
    let Some(email) = body
        .get("emailaddress1")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|e| !e.is_empty())
    else {
        return Ok(());
    };
    let Some(column) = definition.attribute_index("emailaddress1") else {
        return Ok(());
    };
    let duplicate = store.data.table(table).rows.values().any(|row| {
        row.get(column)
            .and_then(|cell| cell.as_text())
            .is_some_and(|other| other.trim().eq_ignore_ascii_case(email))
    });
    if duplicate {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            DUPLICATE_DETECTED,
            "A record was not created or updated because a duplicate of the current record already exists.",
        ));
    }
    Ok(())
}
