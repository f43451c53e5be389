//! What a row's failure means for its spool item: already written, will not heal, or worth
//! another try. No IO here.

use dataverse_webapi::{BulkFailure, DataverseError};

/// `DuplicateRecord`: a row with this primary key (our deterministic `leadid`) or alternate
/// key already exists. Learn, "Use bulk operation messages" (common errors) and the Web API
/// create reference.
const DUPLICATE_RECORD: &str = "0x80040237";
/// `DuplicateRecordsFound`: the org's duplicate detection rules matched the lead, asked for
/// with `MSCRM.SuppressDuplicateDetection: false`. "A record was not created or updated
/// because a duplicate of the current record already exists." (Learn, "Detect duplicate data
/// using the Web API"; its example answers HTTP 500, which must not count as an outage.)
const DUPLICATE_DETECTED: &str = "0x80040333";
/// `PrivilegeDenied`: the caller's roles lack a privilege (for example `prvCreateLead`).
const PRIVILEGE_DENIED: &str = "0x80040220";
/// "No roles are assigned to user" (Microsoft's marketplace lead FAQ). UNCONFIRMED that the
/// service uses this code for it; the emulator does, and a 403 is not retried anyway.
const NO_ROLES: &str = "0x80042f09";

/// The verdict on one row's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A key clashed. If a row with the lead's deterministic id exists, an earlier attempt
    /// (or delivery) wrote it: complete the item without touching the row. The same answer
    /// comes for a clash on another row's alternate key, so the round reads the row first.
    Duplicate,
    /// The org's duplicate detection rules matched another lead: the same answer would come
    /// on every try, so park it for a person to decide (merge, or put it back).
    DuplicateDetected,
    /// Retrying cannot help until someone fixes something (a privilege, a column): park.
    Permanent,
    /// Throttling, an outage or a lost connection: back off and try again.
    Transient,
}

/// Classifies a failed row from its status, code and message.
pub(crate) fn classify(failure: &BulkFailure) -> Verdict {
    classify_parts(failure.status, failure.code.as_deref(), &failure.message)
}

/// Classifies an error that failed the whole bulk call (every row shares it).
pub(crate) fn classify_call(error: &DataverseError) -> Verdict {
    match error {
        DataverseError::Http(_) => classify_parts(error.status(), error.code(), &error.to_string()),
        // The client refused the rows or a link: waiting will not change that.
        DataverseError::InvalidInput { .. } | DataverseError::ForeignLink { .. } => {
            Verdict::Permanent
        }
        // An odd answer (say, from a proxy) may not come again; the spool's attempt limit
        // parks the item if it does.
        _ => Verdict::Transient,
    }
}

pub(crate) fn classify_parts(status: Option<u16>, code: Option<&str>, message: &str) -> Verdict {
    let code = code.unwrap_or_default();
    let has_code = |wanted: &str| code.eq_ignore_ascii_case(wanted);
    if has_code(DUPLICATE_RECORD) || is_duplicate_text(message) {
        return Verdict::Duplicate;
    }
    // Before the status rules: it comes with a 500.
    if has_code(DUPLICATE_DETECTED) {
        return Verdict::DuplicateDetected;
    }
    if has_code(PRIVILEGE_DENIED) || has_code(NO_ROLES) {
        return Verdict::Permanent;
    }
    match status {
        // No answer (connection dropped, timeout, the row was not sent).
        None => Verdict::Transient,
        // 401: the token cache refreshes on the next call, so another try may pass.
        Some(401 | 408 | 429) => Verdict::Transient,
        Some(status) if status >= 500 => Verdict::Transient,
        // 400 bad column or value, 403 privilege, 404 no such table, 413 too large...
        Some(status) if status >= 400 => Verdict::Permanent,
        // A failure reported with a success or redirect status: odd; try again.
        Some(_) => Verdict::Transient,
    }
}

/// The documented duplicate texts: "A record with matching key values already exists"
/// (Web API) and SQL's "Cannot insert duplicate key" (Learn, "Use bulk operation messages").
fn is_duplicate_text(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("matching key values already exists")
        || message.contains("cannot insert duplicate key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_by_code_or_text() {
        assert_eq!(
            classify_parts(Some(412), Some("0x80040237"), "x"),
            Verdict::Duplicate
        );
        assert_eq!(
            classify_parts(
                Some(400),
                None,
                "A record with matching key values already exists."
            ),
            Verdict::Duplicate
        );
        assert_eq!(
            classify_parts(
                Some(500),
                Some("0x80040216"),
                "Cannot insert duplicate key row in object 'dbo.LeadBase'"
            ),
            Verdict::Duplicate
        );
    }

    #[test]
    fn a_duplicate_detection_match_is_parked_not_retried_despite_its_500() {
        assert_eq!(
            classify_parts(Some(500), Some("0x80040333"), "A record was not created"),
            Verdict::DuplicateDetected
        );
    }

    #[test]
    fn missing_privileges_and_bad_columns_are_permanent() {
        assert_eq!(
            classify_parts(Some(403), Some("0x80040220"), "no prvCreateLead"),
            Verdict::Permanent
        );
        assert_eq!(
            classify_parts(Some(403), Some("0x80042F09"), "no roles"),
            Verdict::Permanent
        );
        assert_eq!(
            classify_parts(Some(400), Some("0x80060888"), "Invalid property 'x'"),
            Verdict::Permanent
        );
    }

    #[test]
    fn whole_call_errors() {
        let invalid = DataverseError::InvalidInput {
            what: "bulk row".into(),
            fix: "x".into(),
        };
        assert_eq!(classify_call(&invalid), Verdict::Permanent);
        let odd = DataverseError::UnexpectedResponse("a batch of 2 answered 1 parts".into());
        assert_eq!(classify_call(&odd), Verdict::Transient);
    }

    #[test]
    fn throttling_outages_and_lost_answers_are_transient() {
        for status in [None, Some(401), Some(408), Some(429), Some(500), Some(503)] {
            assert_eq!(
                classify_parts(status, None, "x"),
                Verdict::Transient,
                "{status:?}"
            );
        }
    }
}
