//! Reads a change tracking answer into a [`ChangePage`], without IO.
//!
//! Shapes (Learn, "Use change tracking to synchronize data with external systems"): `value`
//! mixes full rows with deleted entries
//! `{"@odata.context":"…#accounts/$deletedEntity","id":"…","reason":"deleted"}`; the OData 4.01
//! form `{"@removed":{"reason":…},"@id":"accounts(…)"}` is read too. "An empty JSON response"
//! when nothing changed: an empty body or `{}` is an empty page.

use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::model::{Change, ChangePage, DeleteReason};
use crate::error::{DataverseError, Result};
use crate::record::Record;

#[derive(Deserialize, Default)]
struct WirePage {
    #[serde(rename = "@odata.context")]
    context: Option<String>,
    #[serde(default)]
    value: Vec<Map<String, Value>>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta_link: Option<String>,
    #[serde(rename = "@odata.count")]
    count: Option<i64>,
}

/// Only the next page's link, read without building the rows.
#[derive(Deserialize)]
struct Links {
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// The `@odata.nextLink` of a page, scanning past its rows without keeping them (much cheaper
/// than [`parse_page`]), so the next page can be requested before this one is parsed. `None`
/// for a last page and for a body that is not a JSON object ([`parse_page`] reports that).
pub(crate) fn next_link_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Links>(body).ok()?.next_link
}

/// Parses one page of a change tracking answer.
pub(crate) fn parse_page(body: &[u8]) -> Result<ChangePage> {
    let wire: WirePage = if body.iter().all(u8::is_ascii_whitespace) {
        WirePage::default()
    } else {
        serde_json::from_slice(body).map_err(|e| {
            DataverseError::UnexpectedResponse(format!(
                "a change tracking page is not the expected JSON: {e}"
            ))
        })?
    };
    let changes = wire
        .value
        .into_iter()
        .map(parse_item)
        .collect::<Result<Vec<_>>>()?;
    Ok(ChangePage {
        changes,
        next_link: wire.next_link,
        delta_link: wire.delta_link,
        is_delta: wire
            .context
            .as_deref()
            .is_some_and(|c| c.trim_end().ends_with("/$delta")),
        count: wire.count,
    })
}

fn parse_item(item: Map<String, Value>) -> Result<Change> {
    let deleted_entity = item
        .get("@odata.context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("$deletedEntity"));
    if deleted_entity {
        let id = item.get("id").and_then(Value::as_str).and_then(parse_guid);
        let reason = item.get("reason").and_then(Value::as_str);
        return deleted(id, reason);
    }
    if let Some(removed) = item.get("@removed") {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .and_then(parse_guid)
            .or_else(|| item.get("@id").and_then(Value::as_str).and_then(id_in_link));
        let reason = removed.get("reason").and_then(Value::as_str);
        return deleted(id, reason);
    }
    Ok(Change::Changed(Record::from(item)))
}

fn deleted(id: Option<Uuid>, reason: Option<&str>) -> Result<Change> {
    let id = id.ok_or_else(|| {
        DataverseError::UnexpectedResponse(
            "a deleted entry of a change tracking page has no usable id".into(),
        )
    })?;
    Ok(Change::Deleted {
        id,
        reason: DeleteReason::from_wire(reason),
    })
}

fn parse_guid(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text.trim()).ok()
}

/// The id in an entity link: `accounts(00000000-…)` or a full URL ending so.
fn id_in_link(link: &str) -> Option<Uuid> {
    let inside = link.trim().strip_suffix(')')?.rsplit_once('(')?.1;
    parse_guid(inside)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "2e451703-c686-e711-80e5-00155db19e6d";

    #[test]
    fn reads_the_documented_delta_shape() {
        let body = format!(
            r#"{{"@odata.context":"https://org/api/data/v9.0/$metadata#accounts(name)/$delta",
            "@odata.deltaLink":"https://org/api/data/v9.0/accounts?$deltatoken=2",
            "value":[{{"@odata.etag":"W/\"1\"","name":"A","accountid":"60c4e274-0d87-e711-80e5-00155db19e6d"}},
            {{"@odata.context":"https://org/api/data/v9.0/$metadata#accounts/$deletedEntity","id":"{ID}","reason":"deleted"}}]}}"#
        );
        let page = parse_page(body.as_bytes()).expect("page");
        assert!(page.is_delta && page.is_last());
        assert!(page.delta_link.is_some());
        assert!(matches!(&page.changes[0], Change::Changed(r) if r.get_str("name") == Some("A")));
        assert_eq!(
            page.changes[1],
            Change::Deleted {
                id: ID.parse().expect("uuid"),
                reason: DeleteReason::Deleted
            }
        );
    }

    #[test]
    fn reads_removed_entries_and_empty_answers() {
        let body = format!(
            r#"{{"value":[{{"@removed":{{"reason":"changed"}},"@id":"accounts({ID})"}}]}}"#
        );
        let page = parse_page(body.as_bytes()).expect("page");
        assert_eq!(
            page.changes,
            vec![Change::Deleted {
                id: ID.parse().expect("uuid"),
                reason: DeleteReason::Changed
            }]
        );
        assert!(!page.is_delta);
        for empty in ["", "  ", "{}"] {
            let page = parse_page(empty.as_bytes()).expect("empty page");
            assert!(page.changes.is_empty() && page.delta_link.is_none());
        }
    }

    #[test]
    fn next_link_is_found_wherever_it_stands() {
        let before =
            r#"{"@odata.nextLink":"https://org/next","value":[{"name":"@odata.nextLink"}]}"#;
        let after = r#"{"value":[{"name":"x","@odata.nextLink":"https://org/inner"}],"@odata.nextLink":"https://org/next"}"#;
        for body in [before, after] {
            assert_eq!(
                next_link_of(body.as_bytes()).as_deref(),
                Some("https://org/next")
            );
        }
        let last = r#"{"value":[],"@odata.deltaLink":"https://org/delta"}"#;
        assert_eq!(next_link_of(last.as_bytes()), None);
        assert_eq!(next_link_of(b""), None);
        assert_eq!(next_link_of(b"<html>"), None);
    }

    #[test]
    fn refuses_deleted_entries_without_an_id_and_non_json() {
        let body =
            r#"{"value":[{"@odata.context":"x#accounts/$deletedEntity","reason":"deleted"}]}"#;
        assert!(matches!(
            parse_page(body.as_bytes()),
            Err(DataverseError::UnexpectedResponse(_))
        ));
        assert!(parse_page(b"<html>").is_err());
    }
}
