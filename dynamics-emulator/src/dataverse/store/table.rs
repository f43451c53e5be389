//! [`TableData`]: the rows of one table, ordered by primary key, with alternate-key indexes and a
//! [`ChangeLog`] (rows and deletions by version) for change tracking.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use super::cell::CellRef;
use super::change_log::ChangeLog;
use super::row::Row;
use crate::dataverse::metadata::model::Table;

/// The rows of one table.
#[derive(Debug, Default)]
pub(crate) struct TableData {
    /// Rows by primary key; iteration order is the stable default order of queries.
    pub(crate) rows: BTreeMap<Uuid, Row>,
    /// Rows and deletions by version; kept for every table, since change tracking can be
    /// turned on for a table that already has rows.
    pub(crate) changes: ChangeLog,
    /// One index per alternate key: key text → row ID.
    keys: Vec<HashMap<String, Uuid>>,
}

impl TableData {
    /// Empty data for a table.
    pub(crate) fn new(table: &Table) -> Self {
        Self {
            rows: BTreeMap::new(),
            changes: ChangeLog::default(),
            keys: vec![HashMap::new(); table.alternate_keys.len()],
        }
    }

    /// The index text of alternate key `key` for `row`, or `None` when a key column is null.
    pub(crate) fn key_text(table: &Table, key: usize, row: &Row) -> Option<String> {
        let key = table.alternate_keys.get(key)?;
        let mut text = String::new();
        for (n, attribute) in key.attributes.iter().enumerate() {
            if n > 0 {
                text.push('\u{1f}');
            }
            text.push_str(&key_part(row.get(*attribute)?));
        }
        Some(text)
    }

    /// The row whose alternate key `key` has the index text `text`.
    pub(crate) fn find_by_key(&self, key: usize, text: &str) -> Option<Uuid> {
        self.keys.get(key)?.get(text).copied()
    }

    /// The first alternate key whose value in `row` already belongs to another row.
    pub(crate) fn key_conflict(&self, table: &Table, id: Uuid, row: &Row) -> Option<usize> {
        (0..table.alternate_keys.len()).find(|key| {
            Self::key_text(table, *key, row)
                .and_then(|text| self.find_by_key(*key, &text))
                .is_some_and(|owner| owner != id)
        })
    }

    /// Indexes the rows under a key just added to `table` (its last one). Fails, leaving no
    /// index, when two rows share a value of the key.
    pub(crate) fn index_new_key(&mut self, table: &Table) -> Result<(), Uuid> {
        let key = table.alternate_keys.len().saturating_sub(1);
        let mut index = HashMap::new();
        for (id, row) in &self.rows {
            if let Some(text) = Self::key_text(table, key, row)
                && index.insert(text, *id).is_some()
            {
                return Err(*id);
            }
        }
        self.keys.push(index);
        Ok(())
    }

    /// Drops the index of alternate key `key` (removed from the table's definition).
    pub(crate) fn drop_key(&mut self, key: usize) {
        if key < self.keys.len() {
            self.keys.remove(key);
        }
    }

    /// Drops column `column` from every row and moves later columns down one place, as
    /// [`Table::remove_attribute`] does to the definition. Row versions stay: the rows did not
    /// change, their table's definition did.
    pub(crate) fn drop_column(&mut self, column: u16) {
        for row in self.rows.values_mut() {
            *row = row.without_column(column);
        }
    }

    /// Stores a row, keeping the key indexes in step; returns the row it replaced.
    pub(crate) fn put(&mut self, table: &Table, id: Uuid, row: Row) -> Option<Row> {
        for key in 0..self.keys.len() {
            if let Some(text) = Self::key_text(table, key, &row) {
                self.keys[key].insert(text, id);
            }
        }
        let version = row.version;
        let before = self.rows.insert(id, row);
        self.changes
            .stored(id, before.as_ref().map(|b| b.version), version);
        if let Some(before) = &before {
            self.unindex(table, id, before, true);
        }
        before
    }

    /// Removes a row and its key entries.
    pub(crate) fn take(&mut self, table: &Table, id: Uuid) -> Option<Row> {
        let row = self.rows.remove(&id)?;
        self.changes.taken(id, row.version);
        self.unindex(table, id, &row, false);
        Some(row)
    }

    /// Drops index entries of `old` that no longer point at the current row.
    fn unindex(&mut self, table: &Table, id: Uuid, old: &Row, still_present: bool) {
        for key in 0..self.keys.len() {
            let Some(text) = Self::key_text(table, key, old) else {
                continue;
            };
            let current = if still_present {
                self.rows
                    .get(&id)
                    .and_then(|row| Self::key_text(table, key, row))
            } else {
                None
            };
            if current.as_deref() != Some(text.as_str()) && self.keys[key].get(&text) == Some(&id) {
                self.keys[key].remove(&text);
            }
        }
    }
}

/// The index text of one key value: case-insensitive for text.
pub(crate) fn key_part(cell: CellRef<'_>) -> String {
    match cell {
        CellRef::Bool(b) => u8::from(b).to_string(),
        CellRef::Int(i) => i.to_string(),
        CellRef::Float(f) => f.to_string(),
        CellRef::Text(t) => t.to_lowercase(),
        CellRef::Guid(g) | CellRef::Lookup { id: g, .. } => g.to_string(),
        CellRef::DateTime(s) | CellRef::Date(s) => s.to_string(),
    }
}
