//! Finding rows by the key in a URL: the primary key, or an alternate key
//! (`contacts(emailaddress1='a@b.c')`, `sample_things(sample_key1=1,sample_key2=1)`).

use uuid::Uuid;

use super::errors::ApiError;
use super::metadata::catalog::Catalog;
use super::metadata::model::{AttrKind, Attribute};
use super::odata::literal::Literal;
use super::odata::path::Key;
use super::store::Data;
use super::store::cell::Cell;
use super::store::row::Row;
use super::store::table::{TableData, key_part};

/// A key resolved against a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeyMatch {
    /// The primary key.
    Id(Uuid),
    /// An alternate key: which one, its index text, and the key columns as cells (copied into
    /// a row an upsert creates).
    Alternate {
        key: usize,
        text: String,
        cells: Vec<(u16, Cell)>,
    },
}

impl KeyMatch {
    /// Resolves a URL key for `table`.
    pub(crate) fn resolve(catalog: &Catalog, table: u16, key: &Key) -> Result<Self, ApiError> {
        let definition = catalog.table(table);
        let values = match key {
            Key::Id(id) => return Ok(Self::Id(*id)),
            Key::Empty => {
                return Err(ApiError::bad_request(format!(
                    "The key of {} is missing.",
                    definition.entity_set
                )));
            }
            Key::Values(values) => values,
        };
        if let [(name, Literal::Guid(id))] = values.as_slice()
            && *name == definition.primary_id
        {
            return Ok(Self::Id(*id));
        }
        let mut names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        let key_index = definition
            .alternate_keys
            .iter()
            .position(|k| {
                let mut key_names: Vec<&str> = k
                    .attributes
                    .iter()
                    .filter_map(|a| definition.attribute(*a).map(|a| a.logical_name.as_str()))
                    .collect();
                key_names.sort_unstable();
                key_names == names
            })
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "The key ({}) does not match the primary key or any alternate key of {}.",
                    values
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    definition.logical_name
                ))
            })?;
        let key = &definition.alternate_keys[key_index];
        let mut cells = Vec::with_capacity(key.attributes.len());
        let mut parts = Vec::with_capacity(key.attributes.len());
        for attribute_index in &key.attributes {
            let attribute = &definition.attributes[usize::from(*attribute_index)];
            let literal = values
                .iter()
                .find(|(n, _)| *n == attribute.logical_name)
                .map(|(_, v)| v)
                .unwrap_or(&Literal::Null);
            let cell = literal_cell(catalog, attribute, literal).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "The key value {literal:?} does not fit the type of {}.",
                    attribute.logical_name
                ))
            })?;
            parts.push(key_part(cell.as_ref()));
            cells.push((*attribute_index, cell));
        }
        Ok(Self::Alternate {
            key: key_index,
            text: parts.join("\u{1f}"),
            cells,
        })
    }

    /// The row the key names, if it exists.
    pub(crate) fn find(&self, data: &Data, table: u16) -> Option<Uuid> {
        let rows: &TableData = data.table(table);
        match self {
            Self::Id(id) => rows.rows.contains_key(id).then_some(*id),
            Self::Alternate { key, text, .. } => rows.find_by_key(*key, text),
        }
    }

    /// The row the key names.
    pub(crate) fn find_row<'a>(&self, data: &'a Data, table: u16) -> Option<(Uuid, &'a Row)> {
        let id = self.find(data, table)?;
        data.row(table, id).map(|row| (id, row))
    }

    /// The 404 for a key that names no row.
    pub(crate) fn not_found(&self, logical_name: &str) -> ApiError {
        match self {
            Self::Id(id) => ApiError::record_not_found(logical_name, id),
            Self::Alternate { .. } => ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                super::errors::OBJECT_DOES_NOT_EXIST,
                format!(
                    "A record with the specified key values does not exist in {logical_name} entity"
                ),
            ),
        }
    }
}

/// A URL key literal as a cell of the column's type.
fn literal_cell(catalog: &Catalog, attribute: &Attribute, literal: &Literal) -> Option<Cell> {
    Some(match (attribute.kind, literal) {
        (kind, Literal::Text(t)) if kind.is_text() => Cell::Text(t.as_str().into()),
        (kind, Literal::Int(i)) if kind.is_integral() => Cell::Int(*i),
        (kind, Literal::Int(i)) if kind.is_numeric() => Cell::Float(*i as f64),
        (kind, Literal::Float(f)) if kind.is_numeric() && !kind.is_integral() => Cell::Float(*f),
        (AttrKind::Boolean, Literal::Bool(b)) => Cell::Bool(*b),
        (AttrKind::DateTime, Literal::DateTime(s) | Literal::Date(s)) => Cell::DateTime(*s),
        (AttrKind::DateOnly, Literal::Date(s) | Literal::DateTime(s)) => Cell::Date(*s),
        (AttrKind::Uniqueidentifier, Literal::Guid(g)) => Cell::Guid(*g),
        (kind, Literal::Guid(g)) if kind.is_lookup() => Cell::Lookup {
            id: *g,
            table: catalog.by_logical(attribute.targets.first()?)?,
        },
        _ => return None,
    })
}
