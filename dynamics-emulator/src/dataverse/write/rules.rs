//! What the platform fills in on create and update: audit columns, owner, default status,
//! the base currency when a currency column is set, computed full names, and the defaults of a
//! `systemuser`.

use std::collections::BTreeMap;

use crate::dataverse::env::Caller;
use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::metadata::model::{AttrKind, Table};
use crate::dataverse::state::OrgIds;
use crate::dataverse::store::cell::{Cell, CellRef};
use crate::dataverse::store::row::Row;

/// The platform-side context of a write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleContext {
    pub(crate) org: OrgIds,
    pub(crate) caller: Caller,
    /// Unix seconds.
    pub(crate) now: i64,
}

/// Fills the defaults of a new row.
pub(crate) fn on_create(
    catalog: &Catalog,
    ctx: &RuleContext,
    table: u16,
    cells: &mut BTreeMap<u16, Cell>,
) {
    let definition = catalog.table(table);
    let user_table = catalog.by_logical("systemuser").unwrap_or_default();
    let set_if_missing = |cells: &mut BTreeMap<u16, Cell>, name: &str, cell: Cell| {
        if let Some(index) = definition.attribute_index(name) {
            cells.entry(index).or_insert(cell);
        }
    };
    let caller = Cell::Lookup {
        id: ctx.caller.user_id,
        table: user_table,
    };
    set_if_missing(cells, "createdon", Cell::DateTime(ctx.now));
    set_if_missing(cells, "modifiedon", Cell::DateTime(ctx.now));
    set_if_missing(cells, "createdby", caller.clone());
    set_if_missing(cells, "modifiedby", caller.clone());
    set_if_missing(cells, "ownerid", caller);
    if let Some(owner) = definition.attribute_index("ownerid")
        && let Some(cell) = cells.get(&owner).cloned()
    {
        for (index, derived) in owning_cells(catalog, definition, Some(&cell)) {
            match derived {
                Some(derived) => cells.insert(index, derived),
                None => cells.remove(&index),
            };
        }
    }
    if let Some(state) = definition.attribute_index("statecode") {
        let state_value = match cells.entry(state).or_insert(Cell::Int(0)) {
            Cell::Int(value) => *value,
            _ => 0,
        };
        if let Some(status) = definition.attribute_index("statuscode")
            && let Some(default) = default_status(definition, status, state_value)
        {
            cells.entry(status).or_insert(Cell::Int(default));
        }
    }
    if let Some(currency) = definition.attribute_index("transactioncurrencyid")
        && !cells.contains_key(&currency)
        && cells.keys().any(|i| {
            definition
                .attribute(*i)
                .is_some_and(|a| a.kind == AttrKind::Money)
        })
        && let Some(currency_table) = catalog.by_logical("transactioncurrency")
    {
        cells.insert(
            currency,
            Cell::Lookup {
                id: ctx.org.base_currency,
                table: currency_table,
            },
        );
    }
    compute_fullname(definition, cells);
    if definition.logical_name == "systemuser" {
        user_defaults(catalog, ctx, definition, cells);
    }
}

/// Adjusts an update: audit columns, the default status of a new state, full name.
pub(crate) fn on_update(
    catalog: &Catalog,
    ctx: &RuleContext,
    table: u16,
    before: &Row,
    changes: &mut Vec<(u16, Option<Cell>)>,
) {
    let definition = catalog.table(table);
    let user_table = catalog.by_logical("systemuser").unwrap_or_default();
    let mut set = |name: &str, cell: Cell| {
        if let Some(index) = definition.attribute_index(name)
            && !changes.iter().any(|(i, _)| *i == index)
        {
            changes.push((index, Some(cell)));
        }
    };
    set("modifiedon", Cell::DateTime(ctx.now));
    set(
        "modifiedby",
        Cell::Lookup {
            id: ctx.caller.user_id,
            table: user_table,
        },
    );
    if let Some(owner) = definition.attribute_index("ownerid")
        && let Some((_, cell)) = changes.iter().find(|(i, _)| *i == owner).cloned()
    {
        let derived = owning_cells(catalog, definition, cell.as_ref());
        changes.retain(|(i, _)| !derived.iter().any(|(d, _)| d == i));
        changes.extend(derived);
    }
    if let (Some(state), Some(status)) = (
        definition.attribute_index("statecode"),
        definition.attribute_index("statuscode"),
    ) && let Some((_, Some(Cell::Int(new_state)))) = changes.iter().find(|(i, _)| *i == state)
        && !changes.iter().any(|(i, _)| *i == status)
        && let Some(default) = default_status(definition, status, *new_state)
    {
        changes.push((status, Some(Cell::Int(default))));
    }
    if definition.computed_fullname {
        let first = definition.attribute_index("firstname");
        let last = definition.attribute_index("lastname");
        if changes
            .iter()
            .any(|(i, _)| Some(*i) == first || Some(*i) == last)
        {
            let mut merged: BTreeMap<u16, Cell> =
                before.iter().map(|(i, c)| (i, c.to_owned_cell())).collect();
            for (index, cell) in changes.iter() {
                match cell {
                    Some(cell) => merged.insert(*index, cell.clone()),
                    None => merged.remove(index),
                };
            }
            if let Some(fullname) = definition.attribute_index("fullname") {
                merged.remove(&fullname);
                compute_fullname(definition, &mut merged);
                changes.retain(|(i, _)| *i != fullname);
                changes.push((fullname, merged.remove(&fullname)));
            }
        }
    }
}

/// `owninguser` and `owningteam` for an owner (`ownerid`'s cell): the one matching the
/// owner's table holds it, the other is cleared.
fn owning_cells(
    catalog: &Catalog,
    definition: &Table,
    owner: Option<&Cell>,
) -> Vec<(u16, Option<Cell>)> {
    let owner_table = match owner {
        Some(Cell::Lookup { table, .. }) => Some(catalog.table(*table).logical_name.as_str()),
        _ => None,
    };
    [("owninguser", "systemuser"), ("owningteam", "team")]
        .into_iter()
        .filter_map(|(column, table)| {
            let index = definition.attribute_index(column)?;
            let cell = owner.filter(|_| owner_table == Some(table)).cloned();
            Some((index, cell))
        })
        .collect()
}

/// The first status reason of a state.
fn default_status(definition: &Table, status: u16, state: i64) -> Option<i64> {
    definition
        .attribute(status)?
        .options
        .iter()
        .find(|o| o.state == Some(state))
        .map(|o| o.value)
}

/// `fullname` = `firstname lastname` for tables that compute it.
fn compute_fullname(definition: &Table, cells: &mut BTreeMap<u16, Cell>) {
    let (Some(fullname), Some(first), Some(last)) = (
        definition.attribute_index("fullname"),
        definition.attribute_index("firstname"),
        definition.attribute_index("lastname"),
    ) else {
        return;
    };
    if !definition.computed_fullname && cells.contains_key(&fullname) {
        return;
    }
    let text = |index: u16| match cells.get(&index) {
        Some(Cell::Text(t)) => t.trim().to_owned(),
        _ => String::new(),
    };
    let name = format!("{} {}", text(first), text(last)).trim().to_owned();
    // Without first or last name a given full name stays (seeded rows name people directly).
    if !name.is_empty() {
        cells.insert(fullname, Cell::Text(name.into()));
    }
}

fn user_defaults(
    catalog: &Catalog,
    ctx: &RuleContext,
    definition: &Table,
    cells: &mut BTreeMap<u16, Cell>,
) {
    let index = |name: &str| definition.attribute_index(name);
    let application = index("applicationid").and_then(|i| match cells.get(&i) {
        Some(Cell::Guid(g)) => Some(*g),
        _ => None,
    });
    if let Some(i) = index("accessmode") {
        cells
            .entry(i)
            .or_insert(Cell::Int(if application.is_some() { 4 } else { 0 }));
    }
    if let Some(i) = index("isdisabled") {
        cells.entry(i).or_insert(Cell::Bool(false));
    }
    if let Some(i) = index("deletedstate") {
        cells.entry(i).or_insert(Cell::Int(0));
    }
    if let Some(i) = index("islicensed") {
        cells.entry(i).or_insert(Cell::Bool(application.is_none()));
    }
    if let (Some(i), Some(bu_table)) = (index("businessunitid"), catalog.by_logical("businessunit"))
    {
        cells.entry(i).or_insert(Cell::Lookup {
            id: ctx.org.root_business_unit,
            table: bu_table,
        });
    }
    if let (Some(i), Some(app)) = (index("domainname"), application) {
        cells
            .entry(i)
            .or_insert_with(|| Cell::Text(format!("{app}@application.invalid").into()));
    }
    if let (Some(i), Some(app)) = (index("fullname"), application) {
        cells
            .entry(i)
            .or_insert_with(|| Cell::Text(format!("# {app}").into()));
    }
}

/// Whether a row's lookup column points at `(table, id)`.
pub(crate) fn points_at(row: &Row, lookup: u16, table: u16, id: uuid::Uuid) -> bool {
    matches!(row.get(lookup), Some(CellRef::Lookup { id: i, table: t }) if i == id && t == table)
}
