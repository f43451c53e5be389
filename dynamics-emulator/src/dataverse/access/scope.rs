//! [`RowFilter`]: the records one access right reaches for the caller, resolved once (units
//! below a unit, owners that count as the caller) and then asked row by row: by queries,
//! which leave out what the caller may not read, and by single-record checks.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::ownership::{RowOwner, TableOwnership};
use super::principal::{Anchor, Grant, Principal};
use super::rights::Depth;
use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::store::Data;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::store::row::Row;

/// What one grant reaches.
#[derive(Debug, Clone)]
enum Reach {
    /// Every record.
    All,
    /// Records owned in one of these units.
    Units(HashSet<Uuid>),
    /// Records owned by one of these principals; for unit-owned tables, records of the unit.
    Owners { owners: HashSet<Uuid>, unit: Uuid },
}

/// The rows of one table an access right reaches.
#[derive(Debug, Clone)]
pub(crate) struct RowFilter {
    ownership: TableOwnership,
    reaches: Vec<Reach>,
}

impl RowFilter {
    /// The reach of `grants` (of the privilege for this right) on rows of `table`.
    pub(crate) fn new(
        catalog: &Catalog,
        data: &Data,
        principal: &Principal,
        table: u16,
        grants: &[Grant],
    ) -> Self {
        let children = unit_children(catalog, data);
        let reaches = grants
            .iter()
            .map(|grant| {
                let (owners, unit) = match grant.anchor {
                    Anchor::User => {
                        let mut owners: HashSet<Uuid> = principal.teams.iter().copied().collect();
                        owners.insert(principal.user);
                        (owners, principal.business_unit)
                    }
                    Anchor::Team {
                        team,
                        business_unit,
                    } => (HashSet::from([team]), business_unit),
                };
                match grant.depth {
                    Depth::Global => Reach::All,
                    Depth::Deep => Reach::Units(descendants(&children, unit)),
                    Depth::Local => Reach::Units(HashSet::from([unit])),
                    Depth::Basic => Reach::Owners { owners, unit },
                }
            })
            .collect();
        Self {
            ownership: TableOwnership::of(catalog, table),
            reaches,
        }
    }

    /// Whether the right reaches row `id`.
    pub(crate) fn allows(&self, catalog: &Catalog, data: &Data, id: Uuid, row: &Row) -> bool {
        let owner = RowOwner::of(catalog, data, self.ownership, id, row);
        self.reaches.iter().any(|reach| match reach {
            Reach::All => true,
            _ if owner.organization => false,
            Reach::Units(units) => owner.business_unit.is_some_and(|u| units.contains(&u)),
            Reach::Owners { owners, unit } => match owner.owner {
                Some(owner) => owners.contains(&owner),
                // A unit-owned record (a user, a team, a role): Basic reaches its own unit.
                None => owner.business_unit == Some(*unit),
            },
        })
    }
}

/// Business unit → its child units.
fn unit_children(catalog: &Catalog, data: &Data) -> HashMap<Uuid, Vec<Uuid>> {
    let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let Some(table) = catalog.by_logical("businessunit") else {
        return children;
    };
    let Some(parent) = catalog.table(table).attribute_index("parentbusinessunitid") else {
        return children;
    };
    for (id, row) in &data.table(table).rows {
        if let Some(parent) = row.get(parent).and_then(CellRef::guid) {
            children.entry(parent).or_default().push(*id);
        }
    }
    children
}

/// A unit and every unit below it (a cycle in the parent links ends the walk).
fn descendants(children: &HashMap<Uuid, Vec<Uuid>>, unit: Uuid) -> HashSet<Uuid> {
    let mut found = HashSet::from([unit]);
    let mut pending = vec![unit];
    while let Some(next) = pending.pop() {
        for child in children.get(&next).into_iter().flatten() {
            if found.insert(*child) {
                pending.push(*child);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_follow_children_and_survive_cycles() {
        let (a, b, c, d) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let children = HashMap::from([(a, vec![b]), (b, vec![c, a]), (d, vec![a])]);
        assert_eq!(descendants(&children, a), HashSet::from([a, b, c]));
        assert_eq!(descendants(&children, c), HashSet::from([c]));
    }
}
