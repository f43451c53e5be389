//! Who owns a row: the owner (`ownerid`, a user or a team) and the owner's business unit for
//! user-owned tables; the business unit for tables owned by a unit (users, teams, roles,
//! units themselves); nobody for organisation-owned tables.
//!
//! The emulator has no `owningbusinessunit` column: a record's unit is its owner's
//! `businessunitid`, which is what Dataverse stores there for records that have not moved.

use uuid::Uuid;

use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::store::Data;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::store::row::Row;

/// How a table's rows are owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableOwnership {
    /// `ownerid` (a user or a team): the attribute index.
    User { owner: u16 },
    /// A business unit: the index of `businessunitid` (`None`: the unit table, whose rows own
    /// themselves).
    BusinessUnit { unit: Option<u16> },
    /// The organisation: only Global privileges reach its rows.
    Organization,
}

impl TableOwnership {
    /// The ownership of a table.
    pub(crate) fn of(catalog: &Catalog, table: u16) -> Self {
        let definition = catalog.table(table);
        if let Some(owner) = definition.attribute_index("ownerid") {
            return Self::User { owner };
        }
        if definition.logical_name == "businessunit" {
            return Self::BusinessUnit { unit: None };
        }
        match definition.attribute_index("businessunitid") {
            Some(unit) => Self::BusinessUnit { unit: Some(unit) },
            None => Self::Organization,
        }
    }
}

/// The owner of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RowOwner {
    /// The owning user or team (user-owned tables).
    pub(crate) owner: Option<Uuid>,
    /// The owning business unit.
    pub(crate) business_unit: Option<Uuid>,
    /// Whether the table is organisation-owned.
    pub(crate) organization: bool,
}

impl RowOwner {
    /// The owner of `row` (row `id` of a table with `ownership`).
    pub(crate) fn of(
        catalog: &Catalog,
        data: &Data,
        ownership: TableOwnership,
        id: Uuid,
        row: &Row,
    ) -> Self {
        match ownership {
            TableOwnership::User { owner } => match row.get(owner) {
                Some(CellRef::Lookup { id: owner, table }) => Self {
                    owner: Some(owner),
                    business_unit: unit_of_owner(catalog, data, table, owner),
                    organization: false,
                },
                _ => Self::default(),
            },
            TableOwnership::BusinessUnit { unit: None } => Self {
                business_unit: Some(id),
                ..Self::default()
            },
            TableOwnership::BusinessUnit { unit: Some(index) } => Self {
                business_unit: row.get(index).and_then(CellRef::guid),
                ..Self::default()
            },
            TableOwnership::Organization => Self {
                organization: true,
                ..Self::default()
            },
        }
    }
}

/// The `businessunitid` of an owning user or team.
fn unit_of_owner(catalog: &Catalog, data: &Data, table: u16, owner: Uuid) -> Option<Uuid> {
    let index = catalog.table(table).attribute_index("businessunitid")?;
    data.row(table, owner)?.get(index).and_then(CellRef::guid)
}
