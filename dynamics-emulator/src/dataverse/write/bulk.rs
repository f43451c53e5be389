//! The targets of a bulk operation message (`CreateMultiple`, `UpdateMultiple`,
//! `UpsertMultiple`, `DeleteMultiple`): reading and checking the `Targets` parameter, and
//! writing one target through [`Writer`], so each row gets exactly what a single create,
//! update, upsert or delete would give it (defaults, computed columns, owner, versions, keys,
//! access checks).
//!
//! Source: "Use bulk operation messages" (learn.microsoft.com/power-apps/developer/data-platform/bulk-operations)
//! and the `CreateMultiple` / `UpdateMultiple` / `UpsertMultiple` action references.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::body::parse_reference;
use super::convert::parse_guid;
use super::ops::Writer;
use crate::dataverse::errors::ApiError;
use crate::dataverse::keys::KeyMatch;
use crate::dataverse::metadata::catalog::Catalog;

/// The `Microsoft.Dynamics.CRM.` namespace every bound action is called with.
const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// A bulk operation message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BulkMessage {
    /// `CreateMultiple`: 200 with the `Ids` created.
    Create,
    /// `UpdateMultiple`: 204.
    Update,
    /// `UpsertMultiple`: 204.
    Upsert,
    /// `DeleteMultiple` (elastic tables only): 204.
    Delete,
}

impl BulkMessage {
    /// The message a path segment calls (`Microsoft.Dynamics.CRM.CreateMultiple`).
    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        match segment.strip_prefix(NAMESPACE)? {
            "CreateMultiple" => Some(Self::Create),
            "UpdateMultiple" => Some(Self::Update),
            "UpsertMultiple" => Some(Self::Upsert),
            "DeleteMultiple" => Some(Self::Delete),
            _ => None,
        }
    }

    /// The message's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Create => "CreateMultiple",
            Self::Update => "UpdateMultiple",
            Self::Upsert => "UpsertMultiple",
            Self::Delete => "DeleteMultiple",
        }
    }
}

/// One item of `Targets`.
#[derive(Debug)]
pub(crate) struct Target {
    /// Its position in `Targets` (`RequestIndex` in error details).
    pub(crate) index: usize,
    /// The columns to write, without annotations and without the key that identifies the row.
    pub(crate) body: Map<String, Value>,
    /// The row it names: the primary key in the body, or `@odata.id` (primary or alternate
    /// key). `None` for a create without a client-chosen ID.
    pub(crate) key: Option<KeyMatch>,
    /// How errors name it: its key as sent, or "a new record".
    pub(crate) label: String,
}

/// Reads the request body of `message` bound to `table`: a JSON object whose only parameter is
/// a non-empty `Targets` array of records of `table`, each with `@odata.type` naming it (the
/// docs: "You must set the `@odata.type` property for each item in the `Targets` parameter").
pub(crate) fn read_targets(
    catalog: &Catalog,
    table: u16,
    message: BulkMessage,
    body: Map<String, Value>,
) -> Result<Vec<Target>, ApiError> {
    let name = message.name();
    let definition = catalog.table(table);
    let type_name = definition.type_name();
    // UNCONFIRMED: ODataLib's wording for an unknown action parameter; the service's exact
    // answer to a bulk message body with other parameters is not documented.
    if let Some(other) = body.keys().find(|k| *k != "Targets") {
        return Err(ApiError::bad_request(format!(
            "The parameter '{other}' in the request payload is not a valid parameter for the \
             operation '{name}'. Send only 'Targets'."
        )));
    }
    let items = match body.get("Targets") {
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "The 'Targets' parameter of {name} must be an array of {} records.",
                definition.logical_name
            )));
        }
        None => {
            return Err(ApiError::bad_request(format!(
                "{name} needs the 'Targets' parameter: an array of {} records, each with \
                 \"@odata.type\": \"{type_name}\".",
                definition.logical_name
            )));
        }
    };
    // UNCONFIRMED: the service's answer to an empty `Targets` is not documented; nothing to do
    // is refused rather than answered as success so a client's empty chunk shows up.
    if items.is_empty() {
        return Err(ApiError::bad_request(format!(
            "The 'Targets' parameter of {name} is empty. Send at least one record."
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| read_target(catalog, table, message, index, item))
        .collect()
}

fn read_target(
    catalog: &Catalog,
    table: u16,
    message: BulkMessage,
    index: usize,
    item: &Value,
) -> Result<Target, ApiError> {
    let definition = catalog.table(table);
    let type_name = definition.type_name();
    let Value::Object(item) = item else {
        return Err(ApiError::bad_request(format!(
            "Targets[{index}] of {} is not a JSON object. Send each record as an object.",
            message.name()
        )));
    };
    // UNCONFIRMED: the service's message for a missing or different `@odata.type`. The OData
    // form with a leading '#' is accepted too.
    match item.get("@odata.type") {
        Some(Value::String(given)) if given.trim_start_matches('#') == type_name => {}
        Some(given) => {
            return Err(ApiError::bad_request(format!(
                "Targets[{index}] has \"@odata.type\": {given}, but {} is bound to {}: every \
                 target must be a {} record (\"@odata.type\": \"{type_name}\").",
                message.name(),
                definition.entity_set,
                definition.logical_name
            )));
        }
        None => {
            return Err(ApiError::bad_request(format!(
                "Targets[{index}] has no \"@odata.type\". Every item of Targets must carry \
                 \"@odata.type\": \"{type_name}\"."
            )));
        }
    }
    let mut body: Map<String, Value> = item
        .iter()
        .filter(|(k, _)| *k != "@odata.type" && *k != "@odata.id")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let reference = match item.get("@odata.id") {
        Some(Value::String(reference)) => Some(reference.as_str()),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Targets[{index}] has \"@odata.id\": {other}; it must be a string such as \
                 \"{}({}=…)\".",
                definition.entity_set, definition.primary_id
            )));
        }
        None => None,
    };
    let id_in_body = match body.remove(&definition.primary_id) {
        Some(value) => Some(value.as_str().and_then(parse_guid).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Targets[{index}]: cannot convert the literal '{value}' of {} to the expected \
                 type 'Edm.Guid'.",
                definition.primary_id
            ))
        })?),
        None => None,
    };
    // A create keeps its client-chosen ID; `@odata.id` names an existing row, so it is ignored
    // there. The other messages find the row by `@odata.id` first, then by the primary key.
    let (key, label) = match (message, reference, id_in_body) {
        (BulkMessage::Create, _, Some(id)) => (
            Some(KeyMatch::Id(id)),
            format!("{} {id}", definition.primary_id),
        ),
        (BulkMessage::Create, _, None) => (None, "a new record".to_owned()),
        (_, Some(reference), _) => {
            let (named, key) = parse_reference(catalog, reference)
                .map_err(|e| in_target(e, index, &format!("@odata.id '{reference}'")))?;
            if named != table {
                return Err(ApiError::bad_request(format!(
                    "Targets[{index}] has \"@odata.id\": \"{reference}\", which names a {} \
                     record; {} is bound to {}.",
                    catalog.table(named).logical_name,
                    message.name(),
                    definition.entity_set
                )));
            }
            (Some(key), format!("@odata.id '{reference}'"))
        }
        (_, None, Some(id)) => (
            Some(KeyMatch::Id(id)),
            format!("{} {id}", definition.primary_id),
        ),
        (_, None, None) => {
            return Err(ApiError::bad_request(format!(
                "Targets[{index}] does not say which record it is: set '{}' or \"@odata.id\" \
                 (\"{}({}=…)\" or an alternate key).",
                definition.primary_id, definition.entity_set, definition.primary_id
            )));
        }
    };
    // As with a PATCH by alternate key, the key's columns identify the row and are not
    // written to an existing one (a row an upsert creates gets them from the key).
    if let Some(KeyMatch::Alternate { cells, .. }) = &key {
        for (attribute, _) in cells {
            if let Some(attribute) = definition.attribute(*attribute) {
                body.remove(&attribute.json_name());
                body.remove(&attribute.logical_name);
            }
        }
    }
    Ok(Target {
        index,
        body,
        key,
        label,
    })
}

/// Appends which target failed to an error's message, keeping its status and code.
///
/// UNCONFIRMED: the service's wording for a failed target of a bulk message on a standard
/// table is not documented; the original message comes first so clients that match on it
/// keep working.
pub(crate) fn in_target(error: ApiError, index: usize, label: &str) -> ApiError {
    ApiError {
        message: format!("{} (Targets[{index}], {label})", error.message),
        ..error
    }
}

/// What writing one target did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// The row's ID.
    pub(crate) id: Uuid,
}

/// Writes one target as the single message would: `Create` (POST), `Update` (PATCH with
/// `If-Match: *`: the row must exist), `Upsert` (PATCH), `Delete` (DELETE).
pub(crate) fn apply(
    writer: &mut Writer<'_>,
    table: u16,
    message: BulkMessage,
    target: &Target,
) -> Result<Written, ApiError> {
    let logical = &writer.catalog.table(table).logical_name;
    let existing = target
        .key
        .as_ref()
        .map(|key| (key, key.find(writer.data, table)));
    let id = match (message, existing) {
        (BulkMessage::Create, key) => {
            let id = key.and_then(|(key, _)| match key {
                KeyMatch::Id(id) => Some(*id),
                KeyMatch::Alternate { .. } => None,
            });
            writer.create(table, &target.body, id, &[])?
        }
        (BulkMessage::Update | BulkMessage::Upsert, Some((_, Some(id)))) => {
            writer.update(table, id, &target.body)?;
            id
        }
        (BulkMessage::Upsert, Some((key, None))) => {
            let (id, preset) = match key {
                KeyMatch::Id(id) => (Some(*id), Vec::new()),
                KeyMatch::Alternate { cells, .. } => (None, cells.clone()),
            };
            writer.create(table, &target.body, id, &preset)?
        }
        (BulkMessage::Delete, Some((_, Some(id)))) => {
            writer.delete(table, id)?;
            id
        }
        (BulkMessage::Update | BulkMessage::Delete, Some((key, None))) => {
            return Err(key.not_found(logical));
        }
        // `read_targets` gives every target of these messages a key.
        (BulkMessage::Update | BulkMessage::Upsert | BulkMessage::Delete, None) => {
            return Err(ApiError::bad_request(format!(
                "Targets[{}] does not say which record it is.",
                target.index
            )));
        }
    };
    Ok(Written { id })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dataverse::seeding::ORG_IDS;
    use crate::dataverse::state::DataverseStore;

    fn targets(message: BulkMessage, body: Value) -> Result<Vec<Target>, ApiError> {
        let store = DataverseStore::empty(ORG_IDS).expect("built-in tables");
        let table = store.builtin("account");
        let Value::Object(body) = body else {
            panic!("an object")
        };
        read_targets(&store.catalog, table, message, body)
    }

    #[test]
    fn message_names_need_the_namespace() {
        assert_eq!(
            BulkMessage::from_segment("Microsoft.Dynamics.CRM.CreateMultiple"),
            Some(BulkMessage::Create)
        );
        assert_eq!(BulkMessage::from_segment("CreateMultiple"), None);
        assert_eq!(
            BulkMessage::from_segment("Microsoft.Dynamics.CRM.Nothing"),
            None
        );
        assert_eq!(BulkMessage::Upsert.name(), "UpsertMultiple");
    }

    #[test]
    fn every_target_needs_the_bound_type() {
        let ok = targets(
            BulkMessage::Create,
            json!({"Targets": [{"@odata.type": "#Microsoft.Dynamics.CRM.account", "name": "a"}]}),
        )
        .expect("read");
        assert_eq!(ok.len(), 1);
        assert!(ok[0].key.is_none() && !ok[0].body.contains_key("@odata.type"));
        let missing = targets(
            BulkMessage::Create,
            json!({"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account"}, {"name": "b"}]}),
        )
        .expect_err("refused");
        assert!(
            missing.message.starts_with("Targets[1] has no"),
            "{missing:?}"
        );
        let other = targets(
            BulkMessage::Create,
            json!({"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.contact"}]}),
        )
        .expect_err("refused");
        assert!(other.message.contains("bound to accounts"), "{other:?}");
    }

    #[test]
    fn empty_missing_and_extra_parameters_are_refused() {
        for body in [
            json!({"Targets": []}),
            json!({}),
            json!({"Targets": {}}),
            json!({"Targets": [], "Other": 1}),
            json!({"Targets": [1]}),
        ] {
            let error = targets(BulkMessage::Create, body.clone()).expect_err("refused");
            assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST, "{body}");
        }
    }

    #[test]
    fn updates_name_their_row_by_primary_or_alternate_key() {
        let id = Uuid::new_v4();
        let by_id = targets(
            BulkMessage::Update,
            json!({"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "accountid": id.to_string(), "name": "x"}]}),
        )
        .expect("read");
        assert_eq!(by_id[0].key, Some(KeyMatch::Id(id)));
        assert!(!by_id[0].body.contains_key("accountid"));
        let by_reference = targets(
            BulkMessage::Upsert,
            json!({"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": format!("accounts({id})")}]}),
        )
        .expect("read");
        assert_eq!(by_reference[0].key, Some(KeyMatch::Id(id)));
        let nameless = targets(
            BulkMessage::Update,
            json!({"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "x"}]}),
        )
        .expect_err("refused");
        assert!(nameless.message.contains("set 'accountid'"), "{nameless:?}");
        let elsewhere = targets(
            BulkMessage::Update,
            json!({"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": format!("contacts({id})")}]}),
        )
        .expect_err("refused");
        assert!(
            elsewhere.message.contains("names a contact record"),
            "{elsewhere:?}"
        );
    }
}
