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
        // Each depth includes the ones below it: Local also reaches what Basic does (records
        // of the principal's teams may live in other units).
        let reaches = grants
            .iter()
            .flat_map(|grant| {
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
                let own = Reach::Owners { owners, unit };
                match grant.depth {
                    Depth::Global => vec![Reach::All],
                    Depth::Deep => vec![own, Reach::Units(descendants(&children, unit))],
                    Depth::Local => vec![own, Reach::Units(HashSet::from([unit]))],
                    Depth::Basic => vec![own],
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
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::dataverse::seeding::{
        ORG_IDS, SALES_BUSINESS_UNIT, seed_organization, with_seed_writer,
    };
    use crate::dataverse::state::DataverseStore;

    /// Users and teams in the root unit and in Sales, and accounts owned by each of them.
    struct Organisation {
        store: DataverseStore,
        users: [Uuid; 2],
        teams: [Uuid; 2],
        owned: Vec<(Uuid, Uuid)>,
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn organisation() -> Organisation {
        let mut store = DataverseStore::empty(ORG_IDS).expect("tables");
        seed_organization(&mut store, 0).expect("seeded");
        let units = [ORG_IDS.root_business_unit, SALES_BUSINESS_UNIT];
        let (users, teams, owned) = with_seed_writer(&mut store, 0, |w| {
            let table = |name: &str| w.catalog.by_logical(name).expect("built-in");
            let (user, team, account) = (table("systemuser"), table("team"), table("account"));
            let mut users = [Uuid::nil(); 2];
            let mut teams = [Uuid::nil(); 2];
            for (i, unit) in units.iter().enumerate() {
                let bind = format!("/businessunits({unit})");
                users[i] = w.create(
                    user,
                    &object(
                        json!({"fullname": format!("User {i}"), "businessunitid@odata.bind": bind}),
                    ),
                    None,
                    &[],
                )?;
                teams[i] = w.create(
                    team,
                    &object(
                        json!({"name": format!("Team {i}"), "businessunitid@odata.bind": bind}),
                    ),
                    None,
                    &[],
                )?;
            }
            let mut owned = Vec::new();
            let owners = [
                ("systemusers", users[0]),
                ("systemusers", users[1]),
                ("teams", teams[0]),
                ("teams", teams[1]),
                ("systemusers", ORG_IDS.system_user),
            ];
            for (set, owner) in owners {
                let id = w.create(
                    account,
                    &object(
                        json!({"name": "Owned", "ownerid@odata.bind": format!("/{set}({owner})")}),
                    ),
                    None,
                    &[],
                )?;
                owned.push((id, owner));
            }
            Ok((users, teams, owned))
        })
        .expect("rows");
        Organisation {
            store,
            users,
            teams,
            owned,
        }
    }

    fn depth(index: u8) -> Depth {
        [Depth::Basic, Depth::Local, Depth::Deep, Depth::Global][usize::from(index % 4)]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A deeper grant reaches every record a shallower one does, Global reaches them all,
        /// a user's own records are reached at any depth, and organisation-owned rows only at
        /// Global.
        #[test]
        fn deeper_grants_reach_more(
            user in 0usize..2,
            member in any::<[bool; 2]>(),
            team_anchor in proptest::option::of(0usize..2),
            shallow in 0u8..4,
            deep in 0u8..4,
        ) {
            let org = organisation();
            let (catalog, data) = (&org.store.catalog, &org.store.data);
            let units = [ORG_IDS.root_business_unit, SALES_BUSINESS_UNIT];
            let principal = Principal {
                user: org.users[user],
                business_unit: units[user],
                object_id: None,
                access_mode: 4,
                teams: (0..2).filter(|t| member[*t]).map(|t| org.teams[t]).collect(),
                roles: vec![Uuid::new_v4()],
                system_administrator: false,
                grants: HashMap::new(),
            };
            let anchor = match team_anchor {
                Some(t) => Anchor::Team { team: org.teams[t], business_unit: units[t] },
                None => Anchor::User,
            };
            let account = catalog.by_logical("account").expect("account");
            let reached = |d: Depth| -> HashSet<Uuid> {
                let filter = RowFilter::new(catalog, data, &principal, account, &[Grant { depth: d, anchor }]);
                data.table(account)
                    .rows
                    .iter()
                    .filter(|(id, row)| filter.allows(catalog, data, **id, row))
                    .map(|(id, _)| *id)
                    .collect()
            };
            let (low, high) = (depth(shallow.min(deep)), depth(shallow.max(deep)));
            prop_assert!(reached(low).is_subset(&reached(high)));
            prop_assert_eq!(reached(Depth::Global).len(), data.table(account).rows.len());
            for d in [Depth::Basic, Depth::Local, Depth::Deep, Depth::Global] {
                let reach = reached(d);
                for (id, owner) in &org.owned {
                    let own = match anchor {
                        Anchor::User => *owner == principal.user || principal.teams.contains(owner),
                        Anchor::Team { team, .. } => *owner == team,
                    };
                    prop_assert!(!own || reach.contains(id), "{d:?} misses an own record");
                }
            }
            let currency = catalog.by_logical("transactioncurrency").expect("currency");
            for d in [Depth::Basic, Depth::Local, Depth::Deep, Depth::Global] {
                let filter = RowFilter::new(catalog, data, &principal, currency, &[Grant { depth: d, anchor }]);
                let row = data.row(currency, ORG_IDS.base_currency).expect("base currency");
                prop_assert_eq!(filter.allows(catalog, data, ORG_IDS.base_currency, row), d == Depth::Global);
            }
        }
    }

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
