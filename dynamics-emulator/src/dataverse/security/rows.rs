//! Reading and finding rows of the security tables by column name (the tables are built in, so
//! a missing column is a programming error that reads as "no value", never a panic).

use uuid::Uuid;

use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::store::Data;
use crate::dataverse::store::cell::CellRef;

/// Read access to the rows of the built-in tables by logical names.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) data: &'a Data,
}

impl<'a> Rows<'a> {
    /// Reads rows from a catalog and data.
    pub(crate) fn new(catalog: &'a Catalog, data: &'a Data) -> Self {
        Self { catalog, data }
    }

    fn cell(&self, logical: &str, id: Uuid, column: &str) -> Option<CellRef<'a>> {
        let table = self.catalog.by_logical(logical)?;
        let index = self.catalog.table(table).attribute_index(column)?;
        self.data.row(table, id)?.get(index)
    }

    /// Whether the row exists.
    pub(crate) fn exists(&self, logical: &str, id: Uuid) -> bool {
        self.catalog
            .by_logical(logical)
            .is_some_and(|table| self.data.row(table, id).is_some())
    }

    /// A lookup or unique identifier column.
    pub(crate) fn guid(&self, logical: &str, id: Uuid, column: &str) -> Option<Uuid> {
        self.cell(logical, id, column).and_then(CellRef::guid)
    }

    /// A text column.
    pub(crate) fn text(&self, logical: &str, id: Uuid, column: &str) -> Option<&'a str> {
        self.cell(logical, id, column).and_then(CellRef::as_text)
    }

    /// A whole number or choice column.
    pub(crate) fn int(&self, logical: &str, id: Uuid, column: &str) -> Option<i64> {
        match self.cell(logical, id, column)? {
            CellRef::Int(value) => Some(value),
            _ => None,
        }
    }

    /// A yes/no column (`false` when null).
    pub(crate) fn flag(&self, logical: &str, id: Uuid, column: &str) -> bool {
        matches!(self.cell(logical, id, column), Some(CellRef::Bool(true)))
    }

    /// IDs of the rows whose `column` holds `value` (a lookup or a unique identifier).
    pub(crate) fn ids_where(&self, logical: &str, column: &str, value: Uuid) -> Vec<Uuid> {
        let Some(table) = self.catalog.by_logical(logical) else {
            return Vec::new();
        };
        let Some(index) = self.catalog.table(table).attribute_index(column) else {
            return Vec::new();
        };
        self.data
            .table(table)
            .rows
            .iter()
            .filter(|(_, row)| row.get(index).and_then(CellRef::guid) == Some(value))
            .map(|(id, _)| *id)
            .collect()
    }

    /// IDs of every row of a table.
    pub(crate) fn ids(&self, logical: &str) -> Vec<Uuid> {
        self.catalog
            .by_logical(logical)
            .map(|table| self.data.table(table).rows.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The other side of a many-to-many navigation property of row `id`.
    pub(crate) fn linked(&self, logical: &str, id: Uuid, navigation: &str) -> Vec<Uuid> {
        use crate::dataverse::metadata::catalog::Navigation;
        let Some(table) = self.catalog.by_logical(logical) else {
            return Vec::new();
        };
        let Some(Navigation::ManyToMany { rel, first }) =
            self.catalog.navigation(table, navigation)
        else {
            return Vec::new();
        };
        self.data.links[rel].partners(id, first).collect()
    }

    /// The business unit and all units below it, the unit itself first.
    pub(crate) fn unit_and_descendants(&self, unit: Uuid) -> Vec<Uuid> {
        let mut found = vec![unit];
        let mut next = 0;
        while next < found.len() {
            let parent = found[next];
            for child in self.ids_where("businessunit", "parentbusinessunitid", parent) {
                if !found.contains(&child) {
                    found.push(child);
                }
            }
            next += 1;
        }
        found
    }
}
