//! The per-target statuses of a bulk message that partly failed on an elastic table. No IO.
//!
//! Learn, "Use bulk operation messages", elastic tables section: unlike standard tables, a
//! bulk message on an elastic table is not one transaction, so "partial success is possible";
//! the error then carries `Plugin.BulkApiErrorDetails`, a JSON text listing
//! `{"RequestIndex":…, "Id":…, "StatusCode":…}` per target. Over the Web API the error
//! details come as `@Microsoft.PowerApps.CDS.ErrorDetails.{name}` annotations of the error
//! when the request asks for them with `Prefer: odata.include-annotations` ("Include more
//! details with errors").
//!
//! UNCONFIRMED: the annotation's exact name, whether its value is the JSON text or the array
//! itself, and whether succeeded targets are listed; all three are read tolerantly (a target
//! not listed, or listed below 400, was written).

use serde_json::Value;
use uuid::Uuid;

/// `Prefer` of every bulk message: the error details, where the per-target statuses are.
pub(crate) const PREFER_ERROR_DETAILS: &str =
    "odata.include-annotations=\"Microsoft.PowerApps.CDS.ErrorDetails.*\"";

/// The end of the annotation's name.
const DETAILS_NAME: &str = "Plugin.BulkApiErrorDetails";

/// One target's status as the service listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetStatus {
    /// Position in the message's `Targets`.
    pub(crate) request_index: usize,
    /// The row's id, when listed.
    pub(crate) id: Option<Uuid>,
    /// The target's HTTP status.
    pub(crate) status: u16,
}

/// The listed statuses of an error body, or `None` when it has none (not asked for, or not
/// an elastic table).
pub(crate) fn target_statuses(body: &[u8]) -> Option<Vec<TargetStatus>> {
    let parsed: Value = serde_json::from_slice(body).ok()?;
    let error = parsed.get("error")?.as_object()?;
    let details = error
        .iter()
        .find(|(name, _)| name.ends_with(DETAILS_NAME))
        .map(|(_, value)| value)?;
    let list = match details {
        Value::String(text) => serde_json::from_str::<Value>(text).ok()?,
        other => other.clone(),
    };
    Some(
        list.as_array()?
            .iter()
            .filter_map(|entry| {
                Some(TargetStatus {
                    request_index: number(entry.get("RequestIndex")?)?,
                    id: entry
                        .get("Id")
                        .and_then(Value::as_str)
                        .and_then(|id| Uuid::parse_str(id).ok()),
                    status: u16::try_from(number(entry.get("StatusCode")?)?).ok()?,
                })
            })
            .collect(),
    )
}

/// A number, or a number written as text.
fn number(value: &Value) -> Option<usize> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn statuses_are_read_from_the_json_text_or_an_array() {
        let list = json!([
            {"RequestIndex": 0, "Id": Uuid::from_u128(1).to_string(), "StatusCode": 204},
            {"RequestIndex": "2", "Id": null, "StatusCode": 400},
        ]);
        let expected = vec![
            TargetStatus {
                request_index: 0,
                id: Some(Uuid::from_u128(1)),
                status: 204,
            },
            TargetStatus {
                request_index: 2,
                id: None,
                status: 400,
            },
        ];
        for value in [Value::String(list.to_string()), list.clone()] {
            let body = json!({"error": {
                "code": "0x80040237",
                "message": "m",
                "@Microsoft.PowerApps.CDS.ErrorDetails.Plugin.BulkApiErrorDetails": value,
            }});
            let read = target_statuses(body.to_string().as_bytes()).expect("details");
            assert_eq!(read, expected);
        }
    }

    #[test]
    fn no_details_is_none() {
        assert_eq!(target_statuses(b"not json"), None);
        let plain = json!({"error": {"code": "0x1", "message": "m"}}).to_string();
        assert_eq!(target_statuses(plain.as_bytes()), None);
        let broken = json!({"error": {"@x.Plugin.BulkApiErrorDetails": "[oops"}}).to_string();
        assert_eq!(target_statuses(broken.as_bytes()), None);
    }
}
