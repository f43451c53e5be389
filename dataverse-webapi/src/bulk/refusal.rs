//! Reading a refused bulk message: is the message unavailable for the table, is it a
//! duplicate key, which target failed. No IO here.

use uuid::Uuid;

use crate::error::DataverseError;

use super::message::Target;

/// `SdkEntityDoesNotSupportMessage`: "The 'X' method does not support entities of type 'y'".
const NOT_SUPPORTED_FOR_TABLE: &str = "0x80040800";
/// "Resource not found for the segment …": the service has no such action.
const SEGMENT_NOT_FOUND: &str = "0x8006088a";
/// `DuplicateRecord`.
const DUPLICATE_RECORD: &str = "0x80040237";

/// The service's message of a status error (not our `Display`, which adds method and URL).
pub(crate) fn service_message(error: &DataverseError) -> Option<&str> {
    match error {
        DataverseError::Http(http) => http.status_error().and_then(|s| s.message.as_deref()),
        _ => None,
    }
}

/// Whether the refusal means "this table does not offer this message", after which the rows
/// go through `$batch`. Matched on:
/// - code `0x80040800` (`SdkEntityDoesNotSupportMessage`, "The 'CreateMultiple' method does
///   not support entities of type …"): Learn, "Use bulk operation messages" says not every
///   standard table supports these messages;
/// - "DeleteMultiple has not yet been implemented.", which the same page says a standard table
///   answers to `DeleteMultiple`;
/// - "The CreateMultiple message is not available for the … table" (the emulator's wording
///   for a table without the messages; UNCONFIRMED for the service);
/// - no such action: 404/400 "Resource not found for the segment" (`0x8006088a`), "… is not a
///   valid action", 405 and 501. UNCONFIRMED for the real service's exact status and code of
///   each; matched tolerantly on code or text.
///
/// Not a 404 `0x80040217` ("lead With Id = … Does Not Exist"): that is a row missing for
/// `UpdateMultiple`, a row's failure.
pub(crate) fn is_not_supported(error: &DataverseError) -> bool {
    let code = error.code().unwrap_or_default().to_ascii_lowercase();
    if code == NOT_SUPPORTED_FOR_TABLE || code == SEGMENT_NOT_FOUND {
        return true;
    }
    if matches!(error.status(), Some(405 | 501)) {
        return true;
    }
    let message = service_message(error)
        .unwrap_or_default()
        .to_ascii_lowercase();
    [
        "has not yet been implemented",
        "resource not found for the segment",
        "not a valid action",
        "does not support entities of type",
        "message is not available for",
    ]
    .iter()
    .any(|text| message.contains(text))
}

/// Whether the refusal is a duplicate key (`0x80040237`, or SQL's "Cannot insert duplicate
/// key" that Learn lists among the bulk messages' common errors).
pub(crate) fn is_duplicate_key(error: &DataverseError) -> bool {
    error
        .code()
        .is_some_and(|c| c.eq_ignore_ascii_case(DUPLICATE_RECORD))
        || service_message(error).is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("duplicate key") || m.contains("matching key values already exists")
        })
}

/// Whether trying smaller messages cannot help: the pipeline already retried a throttle, an
/// outage or a lost connection, or the caller is not signed in. Every row of the message
/// fails with the error.
pub(crate) fn fails_every_row(error: &DataverseError) -> bool {
    match error.status() {
        None => true,
        Some(status) => status == 401 || error.is_retryable(),
    }
}

/// The position, within `targets`, of the target the error names, when it names one:
/// by index (`Targets[3]`, `target 3`, `index 3`, `"RequestIndex":3`) or by a target's id in
/// the text. UNCONFIRMED: the service's text for a failed target of a standard table is not
/// documented; this reads what an error might plausibly say and ignores anything else.
pub(crate) fn failing_target(error: &DataverseError, targets: &[Target]) -> Option<usize> {
    let DataverseError::Http(http) = error else {
        return None;
    };
    let status = http.status_error()?;
    let message = status.message.as_deref().unwrap_or_default();
    for text in [message, status.body.as_str()] {
        if let Some(i) = index_in(text).filter(|i| *i < targets.len()) {
            return Some(i);
        }
    }
    let mentioned = uuids_in(message);
    targets
        .iter()
        .position(|t| t.id.is_some_and(|id| mentioned.contains(&id)))
}

/// The first number after one of the index markers.
fn index_in(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    const MARKERS: [&str; 6] = [
        "targets[",
        "target[",
        "target ",
        "index ",
        "\"requestindex\":",
        "requestindex ",
    ];
    MARKERS.iter().find_map(|marker| {
        lower.match_indices(marker).find_map(|(at, m)| {
            let rest = lower[at + m.len()..].trim_start_matches([' ', '#', '=']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    })
}

/// Every GUID written in `text` (36-character hyphenated form).
fn uuids_in(text: &str) -> Vec<Uuid> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 36 <= bytes.len() {
        match text.get(i..i + 36).map(Uuid::try_parse) {
            Some(Ok(id)) => {
                found.push(id);
                i += 36;
            }
            _ => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use dynamics_http::{HttpResponse, Method};
    use serde_json::Map;

    use super::*;
    use crate::batch::BatchRequest;

    fn refused(status: u16, code: &str, message: &str) -> DataverseError {
        let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
        let url = url::Url::parse(
            "https://org.example/api/data/v9.2/leads/Microsoft.Dynamics.CRM.CreateMultiple",
        )
        .expect("url");
        let response = HttpResponse::new(Method::Post, url, status, Vec::new(), body.into_bytes());
        DataverseError::Http(dynamics_http::status_error(&response))
    }

    fn targets(n: u128) -> Vec<Target> {
        (0..n)
            .map(|i| Target {
                index: i as usize,
                body: Map::new(),
                id: Some(Uuid::from_u128(100 + i)),
                generated: true,
                fallback: BatchRequest::delete("leads"),
            })
            .collect()
    }

    #[test]
    fn not_supported_is_told_apart_from_a_rows_failure() {
        for e in [
            refused(
                400,
                "0x80040800",
                "The 'CreateMultiple' method does not support entities of type 'x'.",
            ),
            refused(
                400,
                "0x80040265",
                "DeleteMultiple has not yet been implemented.",
            ),
            refused(
                404,
                "0x8006088a",
                "Resource not found for the segment 'Microsoft.Dynamics.CRM.CreateMultiple'.",
            ),
            refused(400, "", "'CreateMultiple' is not a valid action."),
            refused(501, "", "Not implemented"),
            refused(
                400,
                "0x0",
                "The CreateMultiple message is not available for the systemuser table.",
            ),
        ] {
            assert!(is_not_supported(&e), "{e}");
        }
        let missing_row = refused(404, "0x80040217", "lead With Id = 1 Does Not Exist");
        assert!(!is_not_supported(&missing_row));
        assert!(!is_not_supported(&refused(400, "0x80044331", "too long")));
    }

    #[test]
    fn duplicate_keys_by_code_or_text() {
        assert!(is_duplicate_key(&refused(412, "0x80040237", "exists")));
        assert!(is_duplicate_key(&refused(
            500,
            "0x80044150",
            "Sql error: Cannot insert duplicate key row"
        )));
        assert!(!is_duplicate_key(&refused(400, "0x80044331", "too long")));
    }

    #[test]
    fn the_failing_target_is_read_by_index_or_by_id() {
        let t = targets(5);
        let by = |message: &str| failing_target(&refused(400, "0x1", message), &t);
        assert_eq!(by("Targets[3]: the value is too long"), Some(3));
        assert_eq!(by("Error in target 2 (key x)"), Some(2));
        assert_eq!(by("failed at index 4"), Some(4));
        assert_eq!(by("Target #1 failed"), Some(1));
        // Out of range, or not a number: not trusted.
        assert_eq!(by("Targets[9] failed"), None);
        assert_eq!(by("unique index 'ndx_lead' violated"), None);
        assert_eq!(
            by(&format!(
                "lead With Id = {} Does Not Exist",
                Uuid::from_u128(103)
            )),
            Some(3)
        );
        assert_eq!(by("something else went wrong"), None);
        assert_eq!(failing_target(&DataverseError::invalid("x", "y"), &t), None);
    }

    #[test]
    fn retried_and_unsigned_failures_fail_every_row() {
        assert!(fails_every_row(&refused(503, "", "busy")));
        assert!(fails_every_row(&refused(429, "0x80072322", "limit")));
        assert!(fails_every_row(&refused(401, "", "no")));
        assert!(!fails_every_row(&refused(400, "0x80044331", "bad")));
        assert!(!fails_every_row(&refused(413, "", "too large")));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]
        #[test]
        fn reading_any_text_never_panics(text in ".{0,300}") {
            let _ = index_in(&text);
            let _ = uuids_in(&text);
        }
    }
}
