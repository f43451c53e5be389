//! What a table or column created or updated through the Web API said about itself beyond what
//! the built-in model holds: the schema name as sent, labels in every language, the required
//! level and the solution it was created in.

use super::labels::Labels;
use super::model::{Attribute, Table, schema_name};

/// The sent part of a table's definition.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableDefinition {
    /// `SchemaName` as sent (`new_BankAccount`); the logical name is it in lower case.
    pub(crate) schema_name: String,
    pub(crate) display: Labels,
    pub(crate) collection: Labels,
    pub(crate) description: Labels,
    /// `HasActivities`, kept as sent (the emulator has no activity parties to relate).
    pub(crate) has_activities: bool,
    /// `HasNotes`, kept as sent (the emulator has no notes table).
    pub(crate) has_notes: bool,
}

impl TableDefinition {
    /// The definition a table has before its first update: its schema name and English labels.
    pub(crate) fn of(table: &Table) -> Self {
        Self {
            schema_name: schema_name(&table.logical_name),
            display: Labels::english(&table.display_name),
            collection: Labels::english(&super::describe::plural(&table.display_name)),
            description: Labels::default(),
            has_activities: table.is_activity || table.attribute_index("ownerid").is_some(),
            has_notes: false,
        }
    }
}

/// The sent part of a column's definition.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnDefinition {
    /// `SchemaName` as sent (`new_AccountName`).
    pub(crate) schema_name: String,
    pub(crate) display: Labels,
    pub(crate) description: Labels,
    /// `RequiredLevel.Value`: `None`, `Recommended`, `ApplicationRequired` or
    /// `SystemRequired`.
    pub(crate) required_level: String,
    /// `IsCustomAttribute`: created through the Web API.
    pub(crate) custom: bool,
    /// The global option set a choice column uses (its `OptionSet` name).
    pub(crate) option_set: Option<String>,
}

impl ColumnDefinition {
    /// The definition a built-in column has before its first update.
    pub(crate) fn of(attribute: &Attribute, required_level: &str) -> Self {
        Self {
            schema_name: schema_name(&attribute.logical_name),
            display: Labels::english(&attribute.display_name),
            description: Labels::default(),
            required_level: required_level.to_owned(),
            custom: false,
            option_set: None,
        }
    }
}
