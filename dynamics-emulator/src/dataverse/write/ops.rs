//! [`Writer`]: create, update, delete, relate and unrelate rows, applying the platform rules.
//! Callers wrap a request's writes in a transaction ([`atomic`]) so a failure leaves nothing
//! half-done.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::body::{DeepInserts, WriteMode, plan};
use super::rules::{RuleContext, on_create, on_update, points_at};
use crate::dataverse::access::escalation::{assigns_roles, check_role_assignment};
use crate::dataverse::access::{Access, Right};
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::{Catalog, Navigation};
use crate::dataverse::security::triggers;
use crate::dataverse::store::Data;
use crate::dataverse::store::cell::Cell;
use crate::dataverse::store::row::Row;

/// Writes rows.
pub(crate) struct Writer<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) data: &'a mut Data,
    pub(crate) rules: RuleContext,
    pub(crate) mode: WriteMode,
    /// The caller's access checks (`None`: the platform itself writes, nothing is checked).
    pub(crate) access: Option<&'a Access>,
}

/// Runs `work` in a transaction: everything or nothing. Nested calls join the outer
/// transaction (a `$batch` change set).
pub(crate) fn atomic<T>(
    catalog: &Catalog,
    data: &mut Data,
    work: impl FnOnce(&mut Data) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    if !data.begin() {
        return work(data);
    }
    // Rolls the transaction back if `work` panics, so the journal never stays open (an open
    // journal would make every later transaction join it and lose its atomicity).
    let mut guard = RollbackOnUnwind {
        catalog,
        data,
        armed: true,
    };
    let result = work(&mut *guard.data);
    guard.armed = false;
    match &result {
        Ok(_) => guard.data.commit(),
        Err(_) => guard.data.rollback(catalog),
    }
    result
}

/// Rolls back the open transaction when dropped while still armed (during a panic's unwind).
struct RollbackOnUnwind<'a> {
    catalog: &'a Catalog,
    data: &'a mut Data,
    armed: bool,
}

impl Drop for RollbackOnUnwind<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.data.rollback(self.catalog);
        }
    }
}

impl Writer<'_> {
    /// Creates a row from a body. `id` and `preset` (alternate-key columns of an upsert, the
    /// parent lookup of a deep insert) come from the URL or the parent.
    pub(crate) fn create(
        &mut self,
        table: u16,
        body: &Map<String, Value>,
        id: Option<Uuid>,
        preset: &[(u16, Cell)],
    ) -> Result<Uuid, ApiError> {
        let plan = plan(self.catalog, self.data, table, body, self.mode)?;
        let id = id.or(plan.id).unwrap_or_else(Uuid::new_v4);
        if self.data.row(table, id).is_some() {
            return Err(ApiError::duplicate());
        }
        let mut cells: BTreeMap<u16, Cell> = preset.iter().cloned().collect();
        let mut bound: Vec<(u16, Option<Cell>)> = plan.cells.clone();
        for (lookup, target, nested) in &plan.deep_single {
            let child = self.create(*target, nested, None, &[])?;
            let cell = Cell::Lookup {
                id: child,
                table: *target,
            };
            bound.push((*lookup, Some(cell.clone())));
            cells.insert(*lookup, cell);
        }
        for (index, cell) in plan.cells {
            match cell {
                Some(cell) => cells.insert(index, cell),
                None => cells.remove(&index),
            };
        }
        on_create(self.catalog, &self.rules, table, &mut cells);
        let version = self.data.next_version();
        self.store(table, id, Row::new(version, cells))?;
        // Checked against the stored row, so the depth is compared with its final owner.
        self.check(Right::Create, table, id)?;
        self.check_bound_lookups(table, id, &bound, true)?;
        self.finish(table, id, plan.links, plan.deep_collection)?;
        triggers::after_create(self, table, id)?;
        Ok(id)
    }

    /// Updates a row from a body.
    pub(crate) fn update(
        &mut self,
        table: u16,
        id: Uuid,
        body: &Map<String, Value>,
    ) -> Result<(), ApiError> {
        self.check(Right::Write, table, id)?;
        let plan = plan(self.catalog, self.data, table, body, self.mode)?;
        let mut changes = plan.cells;
        self.check_owner_change(table, id, &changes)?;
        for (lookup, target, nested) in &plan.deep_single {
            let child = self.create(*target, nested, None, &[])?;
            changes.push((
                *lookup,
                Some(Cell::Lookup {
                    id: child,
                    table: *target,
                }),
            ));
        }
        self.check_bound_lookups(table, id, &changes, false)?;
        self.change(table, id, changes)?;
        self.finish(table, id, plan.links, plan.deep_collection)?;
        triggers::after_update(self, table, id)
    }

    /// Applies column changes to an existing row (with the update rules).
    pub(crate) fn change(
        &mut self,
        table: u16,
        id: Uuid,
        mut changes: Vec<(u16, Option<Cell>)>,
    ) -> Result<(), ApiError> {
        let logical = &self.catalog.table(table).logical_name;
        let before = self
            .data
            .row(table, id)
            .cloned()
            .ok_or_else(|| ApiError::record_not_found(logical, id))?;
        on_update(self.catalog, &self.rules, table, &before, &mut changes);
        let version = self.data.next_version();
        self.store(table, id, before.updated(version, &changes))
    }

    fn store(&mut self, table: u16, id: Uuid, row: Row) -> Result<(), ApiError> {
        self.data
            .put(self.catalog, table, id, row)
            .map_err(|_| ApiError::duplicate())
    }

    fn finish(
        &mut self,
        table: u16,
        id: Uuid,
        links: Vec<(Navigation, Vec<Uuid>)>,
        deep: DeepInserts,
    ) -> Result<(), ApiError> {
        for (nav, others) in links {
            for other in others {
                self.relate(table, id, nav, other)?;
            }
        }
        for (nav, target, items) in deep {
            for item in items {
                match nav {
                    Navigation::Collection(rel) => {
                        let lookup = self.catalog.one_to_many[rel].lookup;
                        self.create(target, &item, None, &[(lookup, Cell::Lookup { id, table })])?;
                    }
                    _ => {
                        let child = self.create(target, &item, None, &[])?;
                        self.relate(table, id, nav, child)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Relates `other` (a row of the navigation target) to row `id`.
    pub(crate) fn relate(
        &mut self,
        table: u16,
        id: Uuid,
        nav: Navigation,
        other: Uuid,
    ) -> Result<(), ApiError> {
        let target = self.catalog.nav_target(nav);
        self.relate_in(table, id, nav, other, target)
    }

    /// Relates `other`, a row of `target`: the navigation's target, or for a single-valued
    /// navigation property another table its lookup may reference (a team in `ownerid`).
    pub(crate) fn relate_in(
        &mut self,
        table: u16,
        id: Uuid,
        nav: Navigation,
        other: Uuid,
        target: u16,
    ) -> Result<(), ApiError> {
        let target = match nav {
            Navigation::Single(rel) => self.catalog.bind_target(rel, target),
            _ => self.catalog.nav_target(nav),
        };
        self.require(target, other)?;
        self.require(table, id)?;
        self.check_link(table, id, nav, Some((target, other)), true)?;
        match nav {
            Navigation::Single(rel) => {
                let lookup = self.catalog.one_to_many[rel].lookup;
                self.change(
                    table,
                    id,
                    vec![(
                        lookup,
                        Some(Cell::Lookup {
                            id: other,
                            table: target,
                        }),
                    )],
                )
            }
            Navigation::Collection(rel) => {
                let lookup = self.catalog.one_to_many[rel].lookup;
                self.change(
                    target,
                    other,
                    vec![(lookup, Some(Cell::Lookup { id, table }))],
                )
            }
            Navigation::ManyToMany { rel, first } => {
                let pair = if first { (id, other) } else { (other, id) };
                self.data.set_link(rel, pair, true);
                triggers::after_relate(self, table, id, nav, other)
            }
        }
    }

    /// Removes the relation between row `id` and `other` (for single-valued navigation
    /// properties `other` is ignored: the lookup is cleared).
    pub(crate) fn unrelate(
        &mut self,
        table: u16,
        id: Uuid,
        nav: Navigation,
        other: Option<Uuid>,
    ) -> Result<(), ApiError> {
        self.require(table, id)?;
        let target = self.catalog.nav_target(nav);
        self.check_link(table, id, nav, other.map(|other| (target, other)), false)?;
        match nav {
            Navigation::Single(rel) => {
                let lookup = self.catalog.one_to_many[rel].lookup;
                self.change(table, id, vec![(lookup, None)])
            }
            Navigation::Collection(rel) => {
                let lookup = self.catalog.one_to_many[rel].lookup;
                let other = other.ok_or_else(missing_id)?;
                self.require(target, other)?;
                let linked = self
                    .data
                    .row(target, other)
                    .is_some_and(|row| points_at(row, lookup, table, id));
                if linked {
                    self.change(target, other, vec![(lookup, None)])?;
                }
                Ok(())
            }
            Navigation::ManyToMany { rel, first } => {
                let other = other.ok_or_else(missing_id)?;
                self.require(target, other)?;
                let pair = if first { (id, other) } else { (other, id) };
                self.data.set_link(rel, pair, false);
                Ok(())
            }
        }
    }

    fn require(&self, table: u16, id: Uuid) -> Result<(), ApiError> {
        if self.data.row(table, id).is_some() {
            Ok(())
        } else {
            Err(ApiError::record_not_found(
                &self.catalog.table(table).logical_name,
                id,
            ))
        }
    }

    /// Deletes a row: lookups pointing at it are cleared (activity parties of a deleted activity
    /// are deleted with it) and its many-to-many links removed.
    pub(crate) fn delete(&mut self, table: u16, id: Uuid) -> Result<(), ApiError> {
        self.require(table, id)?;
        self.check(Right::Delete, table, id)?;
        self.delete_row(table, id)
    }

    /// [`delete`](Self::delete) without the access check (rows deleted with their parent).
    fn delete_row(&mut self, table: u16, id: Uuid) -> Result<(), ApiError> {
        triggers::before_delete(self, table, id)?;
        self.data.remove(self.catalog, table, id);
        let catalog = self.catalog;
        for relationship in catalog.one_to_many.iter().filter(|r| r.referenced == table) {
            let child_table = relationship.referencing;
            let children: Vec<Uuid> = self
                .data
                .table(child_table)
                .rows
                .iter()
                .filter(|(_, row)| points_at(row, relationship.lookup, table, id))
                .map(|(child, _)| *child)
                .collect();
            let parental = catalog.table(child_table).logical_name == "activityparty"
                && catalog.table(child_table).attributes[usize::from(relationship.lookup)]
                    .logical_name
                    == "activityid";
            for child in children {
                if parental {
                    self.delete_row(child_table, child)?;
                } else if child_table != table || child != id {
                    self.change(child_table, child, vec![(relationship.lookup, None)])?;
                }
            }
        }
        for (rel, m2m) in catalog.many_to_many.iter().enumerate() {
            if m2m.entity1 != table && m2m.entity2 != table {
                continue;
            }
            let links = &self.data.links[rel];
            let mut pairs: Vec<(Uuid, Uuid)> = Vec::new();
            if m2m.entity1 == table {
                pairs.extend(links.partners(id, true).map(|b| (id, b)));
            }
            if m2m.entity2 == table {
                pairs.extend(links.partners(id, false).map(|a| (a, id)));
            }
            pairs.sort_unstable();
            pairs.dedup();
            for pair in pairs {
                self.data.set_link(rel, pair, false);
            }
        }
        Ok(())
    }
}

/// The access checks of the writes.
impl Writer<'_> {
    /// Checks `right` on row `id` (nothing when the platform writes).
    fn check(&self, right: Right, table: u16, id: Uuid) -> Result<(), ApiError> {
        match self.access {
            Some(access) => access.check_row(self.catalog, self.data, right, table, id),
            None => Ok(()),
        }
    }

    /// A change of `ownerid` is an assignment: `prvAssign` must reach the record as it is.
    fn check_owner_change(
        &self,
        table: u16,
        id: Uuid,
        changes: &[(u16, Option<Cell>)],
    ) -> Result<(), ApiError> {
        let Some(owner) = self.catalog.table(table).attribute_index("ownerid") else {
            return Ok(());
        };
        let current = self.data.row(table, id).and_then(|row| row.get(owner));
        let reassigned = changes
            .iter()
            .any(|(index, cell)| *index == owner && cell.as_ref().map(Cell::as_ref) != current);
        if reassigned {
            self.check(Right::Assign, table, id)?;
        }
        Ok(())
    }

    /// Lookups a create or update sets (`@odata.bind`, deep inserts): the row needs
    /// `prvAppend`, each newly referenced row `prvAppendTo`. On update, lookups left as they are
    /// need nothing. The owner is checked as an assignment instead, and the currency is the
    /// platform's own reference.
    fn check_bound_lookups(
        &self,
        table: u16,
        id: Uuid,
        cells: &[(u16, Option<Cell>)],
        creating: bool,
    ) -> Result<(), ApiError> {
        if self.access.is_none() {
            return Ok(());
        }
        let definition = self.catalog.table(table);
        let current = self.data.row(table, id);
        let mut appended = false;
        for (index, cell) in cells {
            let Some(
                cell @ Cell::Lookup {
                    id: target_id,
                    table: target,
                },
            ) = cell
            else {
                continue;
            };
            let name = definition
                .attribute(*index)
                .map_or("", |a| a.logical_name.as_str());
            if matches!(name, "ownerid" | "transactioncurrencyid") {
                continue;
            }
            let unchanged = current.and_then(|row| row.get(*index)) == Some(cell.as_ref());
            if !creating && unchanged {
                continue;
            }
            if !appended {
                self.check(Right::Append, table, id)?;
                appended = true;
            }
            self.check(Right::AppendTo, *target, *target_id)?;
        }
        Ok(())
    }

    /// Associating (`linking`) or disassociating row `id` and `other` (a row of its table):
    /// the referencing row needs `prvAppend`, the referenced one `prvAppendTo`; both for a
    /// many-to-many relationship; setting `ownerid` is an assignment; giving or taking a role
    /// follows [`check_role_assignment`].
    fn check_link(
        &self,
        table: u16,
        id: Uuid,
        nav: Navigation,
        other: Option<(u16, Uuid)>,
        linking: bool,
    ) -> Result<(), ApiError> {
        let Some(access) = self.access else {
            return Ok(());
        };
        match nav {
            Navigation::Single(rel) => {
                let lookup = self.catalog.one_to_many[rel].lookup;
                let attribute = &self.catalog.table(table).attributes[usize::from(lookup)];
                if attribute.logical_name == "ownerid" {
                    return self.check(Right::Assign, table, id);
                }
                self.check(Right::Append, table, id)?;
                match other {
                    Some((target, other)) => self.check(Right::AppendTo, target, other),
                    None => Ok(()),
                }
            }
            Navigation::Collection(_) => {
                self.check(Right::AppendTo, table, id)?;
                match other {
                    Some((target, other)) => self.check(Right::Append, target, other),
                    None => Ok(()),
                }
            }
            Navigation::ManyToMany { rel, .. } => {
                let Some((target, other)) = other else {
                    return Ok(());
                };
                if assigns_roles(&self.catalog.many_to_many[rel].schema_name) {
                    let role_table = self.catalog.by_logical("role");
                    let role = if Some(table) == role_table { id } else { other };
                    return check_role_assignment(access, self.catalog, self.data, role, linking);
                }
                for (t, row) in [(table, id), (target, other)] {
                    self.check(Right::Append, t, row)?;
                    self.check(Right::AppendTo, t, row)?;
                }
                Ok(())
            }
        }
    }
}

fn missing_id() -> ApiError {
    ApiError::bad_request(
        "Removing a row from a collection-valued navigation property needs its ID: use \
         '$ref?$id={url}' or '{navigation}({id})/$ref'.",
    )
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;
    use crate::dataverse::seeding::ORG_IDS;
    use crate::dataverse::state::DataverseStore;

    #[test]
    fn a_panic_inside_a_write_rolls_back_and_later_writes_stay_atomic() {
        let mut store = DataverseStore::empty(ORG_IDS).expect("built-in tables");
        let table = store.builtin("account");
        let DataverseStore { catalog, data, .. } = &mut store;
        let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            atomic(catalog, data, |data| -> Result<(), ApiError> {
                data.put(catalog, table, first, Row::new(1, []))
                    .expect("stored");
                panic!("simulated panic inside a write");
            })
        }));
        assert!(panicked.is_err());
        assert!(
            data.row(table, first).is_none(),
            "the write was rolled back"
        );
        // A later transaction is the outermost one again: its failure undoes its own writes.
        let failed = atomic(catalog, data, |data| -> Result<(), ApiError> {
            data.put(catalog, table, second, Row::new(2, []))
                .expect("stored");
            Err(ApiError::bad_request("fails after writing"))
        });
        assert!(failed.is_err());
        assert!(
            data.row(table, second).is_none(),
            "atomicity survived the panic"
        );
        assert!(data.begin(), "no transaction was left open");
    }
}
