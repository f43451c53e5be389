//! Row storage: every table's rows, the many-to-many links, the global version counter (the
//! source of `@odata.etag` values and change-tracking tokens) and an undo journal that makes
//! requests and `$batch` change sets atomic.

pub(crate) mod cell;
pub(crate) mod change_log;
pub(crate) mod links;
pub(crate) mod row;
pub(crate) mod table;

use uuid::Uuid;

use self::links::Links;
use self::row::Row;
use self::table::TableData;
use super::metadata::catalog::Catalog;

/// The first version handed out; etags look like the service's (six digits and more).
const FIRST_VERSION: u64 = 100_000;

/// What to undo when a transaction rolls back.
#[derive(Debug)]
enum Undo {
    /// A row was stored or removed; `before` is what was there.
    Row {
        table: u16,
        id: Uuid,
        before: Option<Row>,
    },
    /// A many-to-many pair was added or removed; `present` is whether it was there before.
    Link {
        rel: usize,
        pair: (Uuid, Uuid),
        present: bool,
    },
    /// A deletion was logged for change tracking.
    Deletion { table: u16 },
}

/// An alternate key value is already used by another row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyConflict {
    /// Index of the key in the table's alternate keys.
    pub(crate) key: usize,
}

/// All rows and links.
#[derive(Debug)]
pub(crate) struct Data {
    pub(crate) tables: Vec<TableData>,
    /// Per many-to-many relationship: `(entity1 id, entity2 id)` pairs.
    pub(crate) links: Vec<Links>,
    version: u64,
    journal: Option<Vec<Undo>>,
}

impl Data {
    /// Empty data for every table of the catalog.
    pub(crate) fn new(catalog: &Catalog) -> Self {
        let mut data = Self {
            tables: Vec::new(),
            links: Vec::new(),
            version: FIRST_VERSION,
            journal: None,
        };
        data.catch_up(catalog);
        data
    }

    /// Adds storage for tables and relationships added to the catalog since.
    pub(crate) fn catch_up(&mut self, catalog: &Catalog) {
        for table in &catalog.tables[self.tables.len()..] {
            self.tables.push(TableData::new(table));
        }
        while self.links.len() < catalog.many_to_many.len() {
            self.links.push(Links::default());
        }
    }

    /// A new version number.
    pub(crate) fn next_version(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    /// The last version handed out.
    pub(crate) fn current_version(&self) -> u64 {
        self.version
    }

    /// A row.
    pub(crate) fn row(&self, table: u16, id: Uuid) -> Option<&Row> {
        self.tables.get(usize::from(table))?.rows.get(&id)
    }

    /// The rows of a table.
    pub(crate) fn table(&self, table: u16) -> &TableData {
        &self.tables[usize::from(table)]
    }

    /// Stores a row (new or replacing), refusing alternate-key duplicates.
    pub(crate) fn put(
        &mut self,
        catalog: &Catalog,
        table: u16,
        id: Uuid,
        row: Row,
    ) -> Result<(), KeyConflict> {
        let definition = catalog.table(table);
        let data = &mut self.tables[usize::from(table)];
        if let Some(key) = data.key_conflict(definition, id, &row) {
            return Err(KeyConflict { key });
        }
        let before = data.put(definition, id, row);
        if let Some(journal) = &mut self.journal {
            journal.push(Undo::Row { table, id, before });
        }
        Ok(())
    }

    /// Removes a row, logging the deletion for change tracking.
    pub(crate) fn remove(&mut self, catalog: &Catalog, table: u16, id: Uuid) -> Option<Row> {
        let definition = catalog.table(table);
        let data = &mut self.tables[usize::from(table)];
        let before = data.take(definition, id)?;
        let tracked = definition.change_tracking;
        if tracked {
            self.version += 1;
            data.changes.log_deletion(self.version, id);
        }
        if let Some(journal) = &mut self.journal {
            journal.push(Undo::Row {
                table,
                id,
                before: Some(before.clone()),
            });
            if tracked {
                journal.push(Undo::Deletion { table });
            }
        }
        Some(before)
    }

    /// Adds or removes a many-to-many pair; returns whether anything changed.
    pub(crate) fn set_link(&mut self, rel: usize, pair: (Uuid, Uuid), present: bool) -> bool {
        let links = &mut self.links[rel];
        let was = links.contains(&pair);
        if was == present {
            return false;
        }
        if present {
            links.insert(pair);
        } else {
            links.remove(&pair);
        }
        if let Some(journal) = &mut self.journal {
            journal.push(Undo::Link {
                rel,
                pair,
                present: was,
            });
        }
        true
    }

    /// Starts a transaction; `false` when one is already open (the caller then joins it).
    pub(crate) fn begin(&mut self) -> bool {
        if self.journal.is_some() {
            return false;
        }
        self.journal = Some(Vec::new());
        true
    }

    /// Keeps the transaction's changes.
    pub(crate) fn commit(&mut self) {
        self.journal = None;
    }

    /// Undoes every change since [`begin`](Self::begin).
    pub(crate) fn rollback(&mut self, catalog: &Catalog) {
        let Some(journal) = self.journal.take() else {
            return;
        };
        self.undo(catalog, journal);
    }

    /// A savepoint in the open transaction (`None` when none is open).
    pub(crate) fn savepoint(&self) -> Option<usize> {
        self.journal.as_ref().map(Vec::len)
    }

    /// Undoes the changes made since `savepoint`; the transaction stays open.
    pub(crate) fn rollback_to(&mut self, catalog: &Catalog, savepoint: usize) {
        let Some(journal) = &mut self.journal else {
            return;
        };
        let later = journal.split_off(savepoint.min(journal.len()));
        self.undo(catalog, later);
    }

    /// Keeps the changes made since `savepoint` even if the transaction is rolled back later
    /// (a failed solution import still leaves its import job). The changes must not depend on
    /// earlier changes of the transaction (new rows do not).
    pub(crate) fn keep_since(&mut self, savepoint: usize) {
        if let Some(journal) = &mut self.journal {
            journal.truncate(savepoint);
        }
    }

    fn undo(&mut self, catalog: &Catalog, journal: Vec<Undo>) {
        for undo in journal.into_iter().rev() {
            match undo {
                Undo::Row { table, id, before } => {
                    let definition = catalog.table(table);
                    let data = &mut self.tables[usize::from(table)];
                    match before {
                        Some(row) => {
                            data.put(definition, id, row);
                        }
                        None => {
                            data.take(definition, id);
                        }
                    }
                }
                Undo::Link { rel, pair, present } => {
                    if present {
                        self.links[rel].insert(pair);
                    } else {
                        self.links[rel].remove(&pair);
                    }
                }
                Undo::Deletion { table } => {
                    self.tables[usize::from(table)].changes.unlog_deletion();
                }
            }
        }
    }
}
