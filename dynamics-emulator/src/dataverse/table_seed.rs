//! [`TableSeed`]: a custom table for [`Seeder::add_table`](crate::Seeder::add_table).

use super::metadata::model::AttrKind;
use super::metadata::spec::TableSpec;

/// A custom table. Empty names get defaults: entity set `{logical_name}s`, primary key
/// `{logical_name}id`, display name = logical name. The table gets the audit and owner columns
/// (`createdon`, `modifiedon`, `createdby`, `modifiedby`, `ownerid`) like a user-owned table.
///
/// ```
/// use dynamics_emulator::{AlternateKeySeed, ColumnSeed, ColumnType, TableSeed};
///
/// let table = TableSeed {
///     logical_name: "sample_thing".into(),
///     primary_name_attribute: "sample_name".into(),
///     columns: vec![
///         ColumnSeed::new("sample_key1", ColumnType::WholeNumber),
///         ColumnSeed::new("sample_key2", ColumnType::WholeNumber),
///     ],
///     alternate_keys: vec![AlternateKeySeed::new("sample_keys", &["sample_key1", "sample_key2"])],
///     ..TableSeed::default()
/// };
/// assert_eq!(table.columns.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSeed {
    /// Logical name, e.g. `sample_thing`.
    pub logical_name: String,
    /// Entity set name (default `{logical_name}s`).
    pub entity_set_name: String,
    /// Display name (default the logical name).
    pub display_name: String,
    /// Primary key column (default `{logical_name}id`).
    pub primary_id_attribute: String,
    /// Primary name column (text, 100 characters); empty for none.
    pub primary_name_attribute: String,
    /// Other columns.
    pub columns: Vec<ColumnSeed>,
    /// Alternate keys.
    pub alternate_keys: Vec<AlternateKeySeed>,
    /// Whether change tracking is enabled.
    pub change_tracking: bool,
    /// Whether the table is elastic (`TableType` `Elastic`): bulk operation messages on it are
    /// not transactional (each target succeeds or fails on its own) and `DeleteMultiple` is
    /// available. Default false (a standard table).
    pub elastic: bool,
}

/// A column of a [`TableSeed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSeed {
    /// Logical name.
    pub logical_name: String,
    /// Type.
    pub column_type: ColumnType,
    /// Maximum length of text columns (default 100 for text, 2000 for multiple lines).
    pub max_length: Option<usize>,
}

impl ColumnSeed {
    /// A column with the default length.
    pub fn new(logical_name: impl Into<String>, column_type: ColumnType) -> Self {
        Self {
            logical_name: logical_name.into(),
            column_type,
            max_length: None,
        }
    }
}

/// Column types of custom tables.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnType {
    /// Single line of text.
    Text,
    /// Multiple lines of text.
    Memo,
    /// Whole number (32-bit).
    WholeNumber,
    /// Big integer (64-bit).
    BigInt,
    /// Decimal (2 places).
    Decimal,
    /// Floating point (5 places).
    Float,
    /// Currency.
    Currency,
    /// Two options (`No`/`Yes`).
    Boolean,
    /// Date and time.
    DateTime,
    /// Date only.
    DateOnly,
    /// Unique identifier.
    Guid,
    /// Choice: `(value, label)` options.
    Choice(Vec<(i32, String)>),
    /// Lookup to a table (by logical name). The relationship is named
    /// `{target}_{table}_{column}` (also the collection-valued navigation property on the
    /// target); the single-valued navigation property has the column's name.
    Lookup {
        /// Logical name of the related table.
        target: String,
    },
}

/// An alternate key of a [`TableSeed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternateKeySeed {
    /// Key name.
    pub logical_name: String,
    /// Logical names of the key columns.
    pub columns: Vec<String>,
}

impl AlternateKeySeed {
    /// A key over `columns`.
    pub fn new(logical_name: impl Into<String>, columns: &[&str]) -> Self {
        Self {
            logical_name: logical_name.into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        }
    }
}

impl TableSeed {
    /// The table as a spec (object type code `code`).
    pub(crate) fn to_spec(&self, code: i32) -> TableSpec {
        let logical = self.logical_name.trim().to_owned();
        let set = if self.entity_set_name.trim().is_empty() {
            format!("{logical}s")
        } else {
            self.entity_set_name.trim().to_owned()
        };
        let primary_id = if self.primary_id_attribute.trim().is_empty() {
            format!("{logical}id")
        } else {
            self.primary_id_attribute.trim().to_owned()
        };
        let display = if self.display_name.trim().is_empty() {
            logical.clone()
        } else {
            self.display_name.clone()
        };
        let primary_name = self.primary_name_attribute.trim();
        let mut spec = TableSpec::new(
            &logical,
            &set,
            &display,
            &primary_id,
            (!primary_name.is_empty()).then_some((primary_name, 100)),
            code,
        );
        for column in &self.columns {
            let name = column.logical_name.as_str();
            spec = match &column.column_type {
                ColumnType::Text => spec.text(name, column.max_length.unwrap_or(100)),
                ColumnType::Memo => spec.memo(name, column.max_length.unwrap_or(2000)),
                ColumnType::WholeNumber => spec.column(name, AttrKind::Integer),
                ColumnType::BigInt => spec.column(name, AttrKind::BigInt),
                ColumnType::Decimal => spec.column(name, AttrKind::Decimal),
                ColumnType::Float => spec.column(name, AttrKind::Double),
                ColumnType::Currency => spec.column(name, AttrKind::Money),
                ColumnType::Boolean => spec.boolean(name, "No", "Yes"),
                ColumnType::DateTime => spec.column(name, AttrKind::DateTime),
                ColumnType::DateOnly => spec.column(name, AttrKind::DateOnly),
                ColumnType::Guid => spec.column(name, AttrKind::Uniqueidentifier),
                ColumnType::Choice(options) => {
                    let options: Vec<(i64, &str)> = options
                        .iter()
                        .map(|(v, l)| (i64::from(*v), l.as_str()))
                        .collect();
                    spec.choice(name, &options)
                }
                ColumnType::Lookup { target } => {
                    spec.lookup(name, target, &format!("{target}_{logical}_{name}"))
                }
            };
        }
        for key in &self.alternate_keys {
            let columns: Vec<&str> = key.columns.iter().map(String::as_str).collect();
            spec = spec.key(&key.logical_name, &columns);
        }
        spec.change_tracking = self.change_tracking;
        spec.elastic = self.elastic;
        spec.is_custom = true;
        spec.standard()
    }
}
