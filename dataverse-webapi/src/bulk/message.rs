//! Bulk operation messages (`CreateMultiple`, `UpdateMultiple`, `UpsertMultiple`,
//! `DeleteMultiple`): turning rows into `Targets` and reading the answer. No IO here.
//!
//! Shapes from Microsoft Learn, "Use bulk operation messages" and the "CreateMultiple Action" /
//! "UpdateMultiple Action" / "UpsertMultiple Action" reference pages: the action is bound to
//! the entity set (`POST {set}/Microsoft.Dynamics.CRM.CreateMultiple`), every target carries
//! `@odata.type`, `CreateMultiple` answers `{"Ids":[…]}` in target order, `UpdateMultiple`,
//! `UpsertMultiple` and `DeleteMultiple` answer 204, updates and deletes name the row by its
//! primary id column, upserts by key name it with `@odata.id` (`set(key='v')`).

use std::fmt;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::batch::BatchRequest;
use crate::error::{DataverseError, Result};
use crate::key::RecordKey;
use crate::names::TableNames;

/// Which bulk operation message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BulkMessage {
    Create,
    Update,
    Upsert,
    Delete,
}

impl BulkMessage {
    /// The action's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            BulkMessage::Create => "CreateMultiple",
            BulkMessage::Update => "UpdateMultiple",
            BulkMessage::Upsert => "UpsertMultiple",
            BulkMessage::Delete => "DeleteMultiple",
        }
    }

    /// The path of the action bound to `entity_set`, relative to the API root.
    pub(crate) fn path(self, entity_set: &str) -> String {
        format!("{entity_set}/Microsoft.Dynamics.CRM.{}", self.name())
    }

    /// Whether the pipeline may send the message again after a failure that leaves open
    /// whether it was applied. Creates carry client-chosen ids, so a repeat of a committed
    /// message fails with a duplicate key on rows the client can check; updates and upserts
    /// are idempotent. A repeated `DeleteMultiple` would fail on rows it deleted itself and
    /// report them as failures, so it is not repeated.
    pub(crate) fn retry_safe(self) -> bool {
        self != BulkMessage::Delete
    }
}

/// One row ready for a message.
#[derive(Clone)]
pub(crate) struct Target {
    /// Index of the row in the caller's input.
    pub(crate) index: usize,
    /// The target as sent: the row's columns, `@odata.type`, and its id or `@odata.id`.
    pub(crate) body: Map<String, Value>,
    /// The row's id when known before sending (chosen by the client or the caller, or its
    /// key).
    pub(crate) id: Option<Uuid>,
    /// Whether the client chose the id: a duplicate key on it means an earlier attempt wrote
    /// the row.
    pub(crate) generated: bool,
    /// The same row as a `$batch` operation, for a table that refuses the message.
    pub(crate) fallback: BatchRequest,
}

/// Rows are personal data: `Debug` shows the index and id only.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("index", &self.index)
            .field("id", &self.id)
            .field("generated", &self.generated)
            .finish_non_exhaustive()
    }
}

/// Where one row goes.
#[derive(Debug)]
pub(crate) enum Route {
    /// Into a bulk message.
    Message(Target),
    /// Through `$batch`: the row has something the message does not carry (see [`prepare`]).
    Batch(BatchRequest),
}

/// Decides how a row is written and builds its target. `row` is the serialised row (ignored
/// for deletes); `key` the row's key (updates, upserts, deletes); `fallback` the row as a
/// `$batch` operation, already built and checked.
///
/// A row goes through `$batch` instead when the message cannot carry it as documented:
/// - it is not a JSON object;
/// - it holds a nested object or array (a deep insert or a collection): the documented
///   targets are flat rows with `@odata.bind` lookups. UNCONFIRMED whether the service
///   accepts deep inserts in `Targets`;
/// - its own `@odata.type` or primary id contradicts the table or the key;
/// - a delete by alternate key: the documented `DeleteMultiple` targets name rows by their
///   columns, which a typed key does not map onto without guessing.
pub(crate) fn prepare(
    message: BulkMessage,
    names: &TableNames,
    index: usize,
    key: Option<&RecordKey>,
    row: &Value,
    fallback: BatchRequest,
) -> Route {
    let odata_type = format!("Microsoft.Dynamics.CRM.{}", names.logical_name);
    let mut body = match (message, row) {
        (BulkMessage::Delete, _) => Map::new(),
        (_, Value::Object(map)) if flat(map) => map.clone(),
        _ => return Route::Batch(fallback),
    };
    match body.get("@odata.type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case(&odata_type) => {}
        Some(_) => return Route::Batch(fallback),
        None => {}
    }
    body.insert("@odata.type".into(), Value::String(odata_type));
    let own_id = match body.get(&names.primary_id) {
        None => None,
        Some(Value::String(text)) => match Uuid::parse_str(text) {
            Ok(id) => Some(id),
            Err(_) => return Route::Batch(fallback),
        },
        Some(_) => return Route::Batch(fallback),
    };
    let (id, generated) = match (message, key) {
        (BulkMessage::Create, _) => match own_id {
            Some(id) => (Some(id), false),
            None => (Some(Uuid::new_v4()), true),
        },
        (_, Some(RecordKey::Id(key_id))) => {
            if own_id.is_some_and(|own| own != *key_id) {
                return Route::Batch(fallback);
            }
            (Some(*key_id), false)
        }
        (BulkMessage::Delete, _) => return Route::Batch(fallback),
        (_, Some(alternate)) => {
            let Ok(segment) = alternate.segment() else {
                return Route::Batch(fallback);
            };
            body.insert(
                "@odata.id".into(),
                Value::String(format!("{}{segment}", names.entity_set)),
            );
            (own_id, false)
        }
        (_, None) => (own_id, false),
    };
    if let Some(id) = id {
        body.insert(names.primary_id.clone(), Value::String(id.to_string()));
    }
    Route::Message(Target {
        index,
        body,
        id,
        generated,
        fallback,
    })
}

/// No nested objects or arrays outside annotations.
fn flat(row: &Map<String, Value>) -> bool {
    row.iter()
        .all(|(name, value)| name.contains('@') || !(value.is_object() || value.is_array()))
}

/// `{"Targets":[…]}`.
pub(crate) fn body(targets: &[Target]) -> Value {
    let targets = targets
        .iter()
        .map(|t| Value::Object(t.body.clone()))
        .collect();
    let mut body = Map::new();
    body.insert("Targets".into(), Value::Array(targets));
    Value::Object(body)
}

/// The ids of a successful answer, one per target in order: `Ids` when the answer has them
/// (`CreateMultiple`), else the ids known before sending. A `CreateMultiple` answer whose
/// `Ids` do not match the targets in number is refused rather than guessed at.
pub(crate) fn answered_ids(
    message: BulkMessage,
    targets: &[Target],
    answer: &[u8],
) -> Result<Vec<Option<Uuid>>> {
    let known = || targets.iter().map(|t| t.id).collect();
    if message != BulkMessage::Create || answer.iter().all(u8::is_ascii_whitespace) {
        return Ok(known());
    }
    let parsed: Value = serde_json::from_slice(answer).map_err(|_| {
        DataverseError::UnexpectedResponse("the CreateMultiple answer is not JSON".into())
    })?;
    let Some(ids) = parsed.get("Ids").and_then(Value::as_array) else {
        return Ok(known());
    };
    if ids.len() != targets.len() {
        return Err(DataverseError::UnexpectedResponse(format!(
            "CreateMultiple of {} rows answered {} ids",
            targets.len(),
            ids.len()
        )));
    }
    ids.iter()
        .zip(targets)
        .map(|(id, target)| match id.as_str().map(Uuid::parse_str) {
            Some(Ok(id)) => Ok(Some(id)),
            _ => Ok(target.id),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names() -> TableNames {
        TableNames {
            logical_name: "lead".into(),
            entity_set: "leads".into(),
            primary_id: "leadid".into(),
            table_type: Some("Standard".into()),
        }
    }

    fn fallback() -> BatchRequest {
        BatchRequest::delete("leads(00000000-0000-0000-0000-000000000001)")
    }

    fn target(route: Route) -> Target {
        match route {
            Route::Message(t) => t,
            Route::Batch(b) => panic!("went to $batch: {b:?}"),
        }
    }

    #[test]
    fn a_create_gets_the_type_and_a_client_chosen_id() {
        let t = target(prepare(
            BulkMessage::Create,
            &names(),
            3,
            None,
            &json!({"subject": "x", "parentaccountid@odata.bind": "/accounts(1)"}),
            fallback(),
        ));
        assert_eq!(t.index, 3);
        assert!(t.generated);
        let id = t.id.expect("an id");
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(t.body["@odata.type"], "Microsoft.Dynamics.CRM.lead");
        assert_eq!(t.body["leadid"], id.to_string());
        assert_eq!(t.body["parentaccountid@odata.bind"], "/accounts(1)");
    }

    #[test]
    fn a_callers_id_is_kept_and_not_counted_as_chosen() {
        let own = Uuid::from_u128(9);
        let t = target(prepare(
            BulkMessage::Create,
            &names(),
            0,
            None,
            &json!({"leadid": own.to_string()}),
            fallback(),
        ));
        assert_eq!((t.id, t.generated), (Some(own), false));
    }

    #[test]
    fn updates_carry_the_id_and_upserts_by_key_carry_odata_id() {
        let id = Uuid::from_u128(5);
        let update = target(prepare(
            BulkMessage::Update,
            &names(),
            0,
            Some(&RecordKey::Id(id)),
            &json!({"subject": "y"}),
            fallback(),
        ));
        assert_eq!(update.body["leadid"], id.to_string());
        assert!(!update.generated);
        let upsert = target(prepare(
            BulkMessage::Upsert,
            &names(),
            1,
            Some(&RecordKey::alternate([("emailaddress1", "a'b@x.com")])),
            &json!({"subject": "y"}),
            fallback(),
        ));
        assert_eq!(
            upsert.body["@odata.id"],
            "leads(emailaddress1='a''b%40x.com')"
        );
        assert_eq!(upsert.id, None);
        assert!(!upsert.body.contains_key("leadid"));
    }

    #[test]
    fn rows_the_message_cannot_carry_go_through_batch() {
        let go_batch = |message, key: Option<RecordKey>, row: Value| {
            matches!(
                prepare(message, &names(), 0, key.as_ref(), &row, fallback()),
                Route::Batch(_)
            )
        };
        let id = RecordKey::Id(Uuid::from_u128(1));
        assert!(go_batch(BulkMessage::Create, None, json!("text")));
        assert!(go_batch(
            BulkMessage::Create,
            None,
            json!({"lead_tasks": [{"subject": "deep"}]})
        ));
        assert!(go_batch(
            BulkMessage::Create,
            None,
            json!({"@odata.type": "Microsoft.Dynamics.CRM.account"})
        ));
        assert!(go_batch(
            BulkMessage::Create,
            None,
            json!({"leadid": "nope"})
        ));
        assert!(go_batch(
            BulkMessage::Update,
            Some(id.clone()),
            json!({"leadid": Uuid::from_u128(2).to_string()})
        ));
        assert!(go_batch(
            BulkMessage::Delete,
            Some(RecordKey::alternate([("k", "v")])),
            Value::Null
        ));
        assert!(!go_batch(BulkMessage::Delete, Some(id), Value::Null));
    }

    #[test]
    fn ids_come_from_the_answer_or_from_the_targets() {
        let t = |n: u128| Target {
            index: n as usize,
            body: Map::new(),
            id: Some(Uuid::from_u128(n)),
            generated: true,
            fallback: fallback(),
        };
        let targets = [t(1), t(2)];
        let answer = json!({"Ids": [Uuid::from_u128(7), Uuid::from_u128(8)]}).to_string();
        let ids = answered_ids(BulkMessage::Create, &targets, answer.as_bytes()).expect("ids");
        assert_eq!(ids, [Some(Uuid::from_u128(7)), Some(Uuid::from_u128(8))]);
        let ids = answered_ids(BulkMessage::Update, &targets, b"").expect("ids");
        assert_eq!(ids, [Some(Uuid::from_u128(1)), Some(Uuid::from_u128(2))]);
        let short = json!({"Ids": [Uuid::from_u128(7)]}).to_string();
        assert!(answered_ids(BulkMessage::Create, &targets, short.as_bytes()).is_err());
        assert!(answered_ids(BulkMessage::Create, &targets, b"<html>").is_err());
    }
}
