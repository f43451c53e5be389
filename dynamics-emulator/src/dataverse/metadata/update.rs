//! Updates of definitions (`PUT EntityDefinitions(…)` with the full `EntityMetadata`, `PUT
//! EntityDefinitions(…)/Attributes(…)`). What can change: the labels (`DisplayName`,
//! `DisplayCollectionName`, `Description`; merged by language with `MSCRM.MergeLabels: true`,
//! replaced without it), `HasActivities` and `HasNotes` (kept as sent), and
//! `ChangeTrackingEnabled`, which may only go from false to true, when
//! `CanChangeTrackingBeEnabled` allows it (Learn "Use change tracking to synchronize data with
//! external systems": enabling is irreversible). Names, `OwnershipType`, `TableType`,
//! `IsActivity` and the other properties are ignored: they cannot change after creation.
//! Columns change their labels and `RequiredLevel`. Every change bumps the table's metadata
//! version.

use serde_json::{Map, Value};

use super::columns::read_texts;
use super::definition::{ColumnDefinition, TableDefinition};
use super::describe::required_level;
use super::labels::Labels;
use super::model::Table;

/// Why an update was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UpdateError {
    /// The body is malformed or names another table.
    Invalid(String),
    /// `ChangeTrackingEnabled` asked for a change the table does not allow.
    ChangeTracking(String),
}

impl From<String> for UpdateError {
    fn from(message: String) -> Self {
        Self::Invalid(message)
    }
}

fn labels(body: &Map<String, Value>, name: &str) -> Result<Labels, String> {
    Labels::parse(body.get(name).unwrap_or(&Value::Null), name)
}

/// Applies a `PUT EntityDefinitions(…)` body to `table`; `merge` is `MSCRM.MergeLabels`.
pub(crate) fn update_table(
    table: &mut Table,
    body: &Map<String, Value>,
    merge: bool,
) -> Result<(), UpdateError> {
    if let Some(sent) = body.get("LogicalName").and_then(Value::as_str)
        && sent != table.logical_name
    {
        return Err(UpdateError::Invalid(format!(
            "The body describes {sent}, not {}; a table cannot be renamed.",
            table.logical_name
        )));
    }
    let tracking = match body.get("ChangeTrackingEnabled") {
        None | Some(Value::Null) => table.change_tracking,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(UpdateError::Invalid(
                "'ChangeTrackingEnabled' must be true or false.".to_owned(),
            ));
        }
    };
    if table.change_tracking && !tracking {
        return Err(UpdateError::ChangeTracking(format!(
            "Change tracking cannot be disabled on {} once it is enabled.",
            table.logical_name
        )));
    }
    if !table.change_tracking && tracking && !table.can_enable_change_tracking {
        return Err(UpdateError::ChangeTracking(format!(
            "Change tracking cannot be enabled on {}: its CanChangeTrackingBeEnabled is false.",
            table.logical_name
        )));
    }
    let (display, collection, description) = (
        labels(body, "DisplayName")?,
        labels(body, "DisplayCollectionName")?,
        labels(body, "Description")?,
    );
    let flag =
        |name: &str, current: bool| body.get(name).and_then(Value::as_bool).unwrap_or(current);
    let mut definition = table
        .defined
        .as_deref()
        .cloned()
        .unwrap_or_else(|| TableDefinition::of(table));
    let before = (
        definition.display.clone(),
        definition.collection.clone(),
        definition.description.clone(),
        definition.has_activities,
        definition.has_notes,
        table.change_tracking,
    );
    definition.display = definition.display.updated(display, merge);
    definition.collection = definition.collection.updated(collection, merge);
    definition.description = definition.description.updated(description, merge);
    definition.has_activities = flag("HasActivities", definition.has_activities);
    definition.has_notes = flag("HasNotes", definition.has_notes);
    let after = (
        definition.display.clone(),
        definition.collection.clone(),
        definition.description.clone(),
        definition.has_activities,
        definition.has_notes,
        tracking,
    );
    if before != after {
        table.display_name = definition.display.text().to_owned();
        table.change_tracking = tracking;
        table.defined = Some(Box::new(definition));
        table.bump_metadata_version();
    }
    Ok(())
}

/// Applies a `PUT EntityDefinitions(…)/Attributes(…)` body to column `index` of `table`.
pub(crate) fn update_column(
    table: &mut Table,
    index: usize,
    body: &Map<String, Value>,
    merge: bool,
) -> Result<(), UpdateError> {
    let attribute = &table.attributes[index];
    if let Some(sent) = body.get("LogicalName").and_then(Value::as_str)
        && sent != attribute.logical_name
    {
        return Err(UpdateError::Invalid(format!(
            "The body describes the column {sent}, not {}; a column cannot be renamed.",
            attribute.logical_name
        )));
    }
    let texts = read_texts(body)?;
    let mut definition = match &attribute.defined {
        Some(defined) => (**defined).clone(),
        None => ColumnDefinition::of(attribute, required_level(table, index, attribute)),
    };
    let before = (
        definition.display.clone(),
        definition.description.clone(),
        definition.required_level.clone(),
    );
    definition.display = definition.display.updated(texts.display, merge);
    definition.description = definition.description.updated(texts.description, merge);
    if let Some(level) = texts.required_level {
        definition.required_level = level;
    }
    if before
        != (
            definition.display.clone(),
            definition.description.clone(),
            definition.required_level.clone(),
        )
    {
        let attribute = &mut table.attributes[index];
        attribute.display_name = definition.display.text().to_owned();
        attribute.defined = Some(Box::new(definition));
        table.bump_metadata_version();
    }
    Ok(())
}
