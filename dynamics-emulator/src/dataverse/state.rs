//! [`DataverseStore`]: the organisation's tables and rows behind one lock, and [`View`], a
//! read-only pair of catalog and data handed to query code.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::budget::Budget;
use super::metadata::builtin::builtin_tables;
use super::metadata::catalog::Catalog;
use super::security::SecurityState;
use super::store::Data;
use super::store::cell::CellRef;
use super::store::row::Row;

/// Well-known rows of the organisation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrgIds {
    pub(crate) organization: Uuid,
    pub(crate) root_business_unit: Uuid,
    pub(crate) base_currency: Uuid,
    /// The `SYSTEM` user that owns seeded rows.
    pub(crate) system_user: Uuid,
    /// The root business unit's copy of "System Administrator".
    pub(crate) system_administrator_role: Uuid,
}

/// The organisation's data.
#[derive(Debug)]
pub(crate) struct DataverseStore {
    pub(crate) catalog: Catalog,
    pub(crate) data: Data,
    pub(crate) org: OrgIds,
    /// Entra object IDs of environment users already given a `systemuser` row.
    pub(crate) synced_users: HashSet<Uuid>,
    /// Application ID → its application user's `systemuserid`, as last found (a hint: the
    /// row is checked before it is trusted).
    pub(crate) application_users: HashMap<Uuid, Uuid>,
    /// How many solutions were imported with `ImportSolution`.
    pub(crate) solution_imports: u64,
    /// What is left of the current request's evaluation budget (renewed with each lock).
    pub(crate) budget: Budget,
    /// Security state that is not rows (application users created through the API, the
    /// directory's applications).
    pub(crate) security: SecurityState,
}

impl DataverseStore {
    /// The built-in tables, empty.
    pub(crate) fn empty(org: OrgIds) -> Result<Self, String> {
        let catalog = Catalog::from_specs(builtin_tables())?;
        let data = Data::new(&catalog);
        Ok(Self {
            catalog,
            data,
            org,
            synced_users: HashSet::new(),
            application_users: HashMap::new(),
            solution_imports: 0,
            budget: Budget::default(),
            security: SecurityState::default(),
        })
    }

    /// A read-only view.
    pub(crate) fn view(&self) -> View<'_> {
        View {
            catalog: &self.catalog,
            data: &self.data,
            budget: &self.budget,
        }
    }

    /// The catalog index of a built-in table (they always exist).
    pub(crate) fn builtin(&self, logical_name: &str) -> u16 {
        self.catalog.by_logical(logical_name).unwrap_or_default()
    }
}

/// Catalog and data, read-only.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) data: &'a Data,
    /// Spent by every row visited through a navigation property.
    pub(crate) budget: &'a Budget,
}

impl<'a> View<'a> {
    /// A row.
    pub(crate) fn row(&self, table: u16, id: Uuid) -> Option<&'a Row> {
        self.data.row(table, id)
    }

    /// The primary name of a row (for lookup formatted values).
    pub(crate) fn primary_name(&self, table: u16, id: Uuid) -> Option<&'a str> {
        let index = self.catalog.table(table).primary_name?;
        match self.row(table, id)?.get(index)? {
            CellRef::Text(text) => Some(text),
            _ => None,
        }
    }
}
