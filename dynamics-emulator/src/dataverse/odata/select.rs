//! `$select`: which columns an answer carries.

use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::model::{AttrKind, Table};

/// The columns to return. The primary key is always returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Every column (no `$select`, or `$select=*`).
    All,
    /// These columns, in the order asked.
    Columns(Vec<u16>),
}

impl Selection {
    /// Whether a money column is selected (the service then adds `_transactioncurrencyid_value`).
    pub(crate) fn has_money(&self, table: &Table) -> bool {
        match self {
            Self::All => false,
            Self::Columns(columns) => columns.iter().any(|c| {
                table
                    .attribute(*c)
                    .is_some_and(|a| a.kind == AttrKind::Money)
            }),
        }
    }

    /// The names, for `@odata.context` (`None` for all columns).
    pub(crate) fn names(&self, table: &Table) -> Option<Vec<String>> {
        match self {
            Self::All => None,
            Self::Columns(columns) => Some(
                columns
                    .iter()
                    .filter_map(|c| table.attribute(*c).map(|a| a.json_name()))
                    .collect(),
            ),
        }
    }
}

/// Parses a `$select` value against a table. Lookup columns are named `_{name}_value`.
pub(crate) fn parse_select(text: &str, table: &Table) -> Result<Selection, ApiError> {
    let mut columns = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "*" {
            return Ok(Selection::All);
        }
        if name == table.primary_id {
            if let Some(index) = table.attribute_index(name)
                && !columns.contains(&index)
            {
                columns.push(index);
            }
            continue;
        }
        let index = table
            .json_attribute(name)
            .ok_or_else(|| ApiError::unknown_property(name, &table.logical_name))?;
        if !columns.contains(&index) {
            columns.push(index);
        }
    }
    Ok(Selection::Columns(columns))
}
