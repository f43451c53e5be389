//! Rows as Web API JSON: `@odata.etag`, the selected columns (lookups as `_{name}_value`), the
//! primary key, requested annotations and expanded navigation properties.

use serde_json::{Map, Number, Value};
use uuid::Uuid;

use super::formatted::formatted;
use crate::dataverse::access::{Access, Right, RowFilter};
use crate::dataverse::budget::EXPANDED_ROW_COST;
use crate::dataverse::env::Env;
use crate::dataverse::metadata::catalog::Navigation;
use crate::dataverse::metadata::model::{AttrKind, Attribute, Table};
use crate::dataverse::odata::expand::ExpandSpec;
use crate::dataverse::odata::filter_eval::{eval, related_rows};
use crate::dataverse::odata::literal::{format_date, format_datetime};
use crate::dataverse::odata::orderby::{compare_rows, page_cookie};
use crate::dataverse::odata::paging::encode_link_value;
use crate::dataverse::odata::prefer::{
    ASSOCIATED_NAVIGATION_PROPERTY, FORMATTED_VALUE, LOOKUP_LOGICAL_NAME, MAX_PAGE_SIZE, Prefer,
};
use crate::dataverse::odata::select::Selection;
use crate::dataverse::state::View;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::store::row::Row;

/// `W/"{version}"`
pub(crate) fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// How rows are rendered in one answer.
pub(crate) struct Renderer<'a> {
    pub(crate) view: View<'a>,
    pub(crate) env: &'a Env,
    pub(crate) prefer: &'a Prefer,
    /// FetchXML and change tracking leave null columns out.
    pub(crate) omit_nulls: bool,
    /// Collection answers expand collection-valued navigation properties inline and add a
    /// `{name}@odata.nextLink` to the related collection (as the service's documented answers
    /// show); single-entity answers expand them inline only.
    pub(crate) in_collection: bool,
    /// OData answers add `_transactioncurrencyid_value` when a currency column is selected;
    /// FetchXML answers return only the listed attributes.
    pub(crate) money_companion: bool,
    /// The caller's access: expanded rows it may not read are left out (`None`: all shown).
    pub(crate) access: Option<&'a Access>,
}

impl Renderer<'_> {
    /// The rows of `table` the caller may read: `None` for none at all, `Some(None)` for all.
    fn readable(&self, table: u16) -> Option<Option<RowFilter>> {
        match self.access {
            None => Some(None),
            Some(access) => access
                .filter(self.view.catalog, self.view.data, Right::Read, table)
                .ok(),
        }
    }

    /// Whether the caller may read row `id` of `table` under `readable`.
    fn may_read(&self, readable: Option<&Option<RowFilter>>, id: Uuid, row: &Row) -> bool {
        match readable {
            None => false,
            Some(None) => true,
            Some(Some(filter)) => filter.allows(self.view.catalog, self.view.data, id, row),
        }
    }

    /// A row with its etag, columns and expansions.
    pub(crate) fn row(
        &self,
        table: u16,
        id: Uuid,
        row: &Row,
        selection: &Selection,
        expand: &[ExpandSpec],
    ) -> Map<String, Value> {
        let mut map = self.columns(table, id, row, selection, true);
        let paged = self.in_collection && has_nested_collection(expand);
        for spec in expand {
            self.expand_into(&mut map, table, id, row, spec, paged);
        }
        map
    }

    /// The etag, columns and primary key of a row.
    pub(crate) fn columns(
        &self,
        table: u16,
        id: Uuid,
        row: &Row,
        selection: &Selection,
        with_etag: bool,
    ) -> Map<String, Value> {
        let definition = self.view.catalog.table(table);
        let mut map = Map::new();
        if with_etag {
            map.insert("@odata.etag".to_owned(), Value::String(etag(row.version)));
        }
        let currency = self.currency_symbol(definition, row);
        let mut emit = |index: u16| {
            let Some(attribute) = definition.attribute(index) else {
                return;
            };
            if index == 0 {
                return;
            }
            let cell = row.get(index);
            if cell.is_none() && self.omit_nulls {
                return;
            }
            let name = attribute.json_name();
            if let Some(cell) = cell {
                self.annotate(&mut map, &name, table, index, attribute, cell, currency);
            }
            map.insert(name, cell.map_or(Value::Null, |c| cell_json(attribute, c)));
        };
        match selection {
            Selection::All => (1..definition.attributes.len()).for_each(|i| {
                if let Ok(i) = u16::try_from(i) {
                    emit(i);
                }
            }),
            Selection::Columns(columns) => {
                columns.iter().copied().for_each(&mut emit);
                if self.money_companion
                    && selection.has_money(definition)
                    && let Some(currency) = definition.attribute_index("transactioncurrencyid")
                    && !columns.contains(&currency)
                {
                    emit(currency);
                }
            }
        }
        map.insert(definition.primary_id.clone(), Value::String(id.to_string()));
        map
    }

    #[allow(clippy::too_many_arguments)]
    fn annotate(
        &self,
        map: &mut Map<String, Value>,
        name: &str,
        table: u16,
        index: u16,
        attribute: &Attribute,
        cell: CellRef<'_>,
        currency: Option<&str>,
    ) {
        if self.prefer.annotations.is_none() {
            return;
        }
        if self.prefer.wants(FORMATTED_VALUE)
            && let Some(text) = formatted(attribute, cell, currency, &self.view)
        {
            map.insert(format!("{name}@{FORMATTED_VALUE}"), Value::String(text));
        }
        if let CellRef::Lookup { table: target, .. } = cell {
            let catalog = self.view.catalog;
            if self.prefer.wants(ASSOCIATED_NAVIGATION_PROPERTY)
                && let Some(rel) = catalog.lookup_navigation(table, index, target)
            {
                map.insert(
                    format!("{name}@{ASSOCIATED_NAVIGATION_PROPERTY}"),
                    Value::String(catalog.one_to_many[rel].single_nav.clone()),
                );
            }
            if self.prefer.wants(LOOKUP_LOGICAL_NAME) {
                map.insert(
                    format!("{name}@{LOOKUP_LOGICAL_NAME}"),
                    Value::String(catalog.table(target).logical_name.clone()),
                );
            }
        }
    }

    fn currency_symbol(&self, definition: &Table, row: &Row) -> Option<&str> {
        let index = definition.attribute_index("transactioncurrencyid")?;
        let Some(CellRef::Lookup { id, table }) = row.get(index) else {
            return None;
        };
        let currency = self.view.row(table, id)?;
        let symbol = self
            .view
            .catalog
            .table(table)
            .attribute_index("currencysymbol")?;
        currency.get(symbol)?.as_text()
    }

    /// Expands `spec` into `map`. `paged`: the query nests an `$expand` inside a
    /// collection-valued one, and the service then answers every expanded collection of a
    /// collection answer as a page (see [`has_nested_collection`]).
    fn expand_into(
        &self,
        map: &mut Map<String, Value>,
        table: u16,
        id: Uuid,
        row: &Row,
        spec: &ExpandSpec,
        paged: bool,
    ) {
        match spec.nav {
            Navigation::Single(rel) => {
                let lookup = self.view.catalog.one_to_many[rel].lookup;
                let readable = self.readable(spec.target);
                let related = match row.get(lookup) {
                    Some(CellRef::Lookup { id: rid, table: t }) if t == spec.target => self
                        .view
                        .row(t, rid)
                        .filter(|r| self.may_read(readable.as_ref(), rid, r))
                        .map(|r| (rid, r)),
                    _ => None,
                };
                if spec.refs_only {
                    self.reference_into(map, table, lookup, spec, related.map(|(rid, _)| rid));
                    return;
                }
                let value = related.map_or(Value::Null, |(rid, related)| {
                    let mut nested =
                        self.columns(spec.target, rid, related, &spec.select, !self.in_collection);
                    self.principal_key(&mut nested, spec.target, rid);
                    for inner in &spec.expand {
                        self.expand_into(&mut nested, spec.target, rid, related, inner, paged);
                    }
                    Value::Object(nested)
                });
                map.insert(spec.name.clone(), value);
            }
            nav => {
                let readable = self.readable(spec.target);
                let mut rows: Vec<(Uuid, &Row)> = related_rows(&self.view, nav, spec.target, id)
                    .filter(|(rid, r)| {
                        self.may_read(readable.as_ref(), *rid, r)
                            && spec
                                .filter
                                .as_ref()
                                .is_none_or(|f| eval(f, &self.view, *rid, r))
                    })
                    .collect();
                rows.sort_by(|a, b| compare_rows(&spec.order, &self.view, *a, *b));
                let mut limit = spec.top.unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE);
                if paged {
                    limit = limit.min(self.prefer.page_size());
                }
                let more = rows.len() > limit;
                // In collection answers the service also returns the lookup that relates each
                // expanded row to its parent (`_regardingobjectid_value` under `Account_Tasks`),
                // except in the paged form.
                let select = match (&spec.select, nav) {
                    (Selection::Columns(columns), Navigation::Collection(rel))
                        if self.in_collection && !paged =>
                    {
                        let lookup = self.view.catalog.one_to_many[rel].lookup;
                        let mut columns = columns.clone();
                        if !columns.contains(&lookup) {
                            columns.push(lookup);
                        }
                        Selection::Columns(columns)
                    }
                    (select, _) => select.clone(),
                };
                rows.truncate(limit);
                let values = rows
                    .iter()
                    .take_while(|_| self.view.budget.spend(EXPANDED_ROW_COST))
                    .map(|(rid, r)| {
                        let mut nested = self.columns(spec.target, *rid, r, &select, !paged);
                        self.principal_key(&mut nested, spec.target, *rid);
                        for inner in &spec.expand {
                            self.expand_into(&mut nested, spec.target, *rid, r, inner, paged);
                        }
                        Value::Object(nested)
                    })
                    .collect();
                map.insert(spec.name.clone(), Value::Array(values));
                if self.in_collection {
                    // Collection answers also link each expanded collection (the documented
                    // answers show the rows and the link side by side).
                    let definition = self.view.catalog.table(table);
                    let mut link = format!(
                        "{}{}({id})/{}",
                        self.env.root(),
                        definition.entity_set,
                        spec.name
                    );
                    let mut options = spec.raw_options.clone();
                    if paged && more {
                        // The paged form links the next page with a paging cookie, which
                        // `{set}({id})/{nav}` reads back as for any collection.
                        let cookie = page_cookie(&spec.order, &self.view, spec.target, 1, &rows);
                        if !options.is_empty() {
                            options.push('&');
                        }
                        options.push_str("$skiptoken=");
                        options.push_str(&encode_link_value(&cookie.skiptoken()));
                    }
                    if !options.is_empty() {
                        link.push('?');
                        link.push_str(&options);
                    }
                    map.insert(format!("{}@odata.nextLink", spec.name), Value::String(link));
                }
            }
        }
    }

    /// `nav/$ref`: the lookup value beside the reference (`{"@odata.id": "{root}contacts(…)"}`),
    /// as the documented answers show.
    fn reference_into(
        &self,
        map: &mut Map<String, Value>,
        table: u16,
        lookup: u16,
        spec: &ExpandSpec,
        related: Option<Uuid>,
    ) {
        let catalog = self.view.catalog;
        if let Some(attribute) = catalog.table(table).attribute(lookup) {
            map.entry(attribute.json_name()).or_insert_with(|| {
                related.map_or(Value::Null, |rid| Value::String(rid.to_string()))
            });
        }
        let value = related.map_or(Value::Null, |rid| {
            let set = &catalog.table(spec.target).entity_set;
            let mut reference = Map::new();
            reference.insert(
                "@odata.id".to_owned(),
                Value::String(format!("{}{set}({rid})", self.env.root())),
            );
            Value::Object(reference)
        });
        map.insert(spec.name.clone(), value);
    }

    /// Users and teams inherit from `principal` and share its key: an expanded user or team
    /// carries `ownerid` beside its own primary key, as the documented answers show.
    fn principal_key(&self, map: &mut Map<String, Value>, table: u16, id: Uuid) {
        let logical = &self.view.catalog.table(table).logical_name;
        if logical == "systemuser" || logical == "team" {
            map.insert("ownerid".to_owned(), Value::String(id.to_string()));
        }
    }
}

/// Whether an expansion nests an `$expand` inside a collection-valued navigation property
/// ("Nested $expand on collection-valued navigation properties", Microsoft Learn, "Join tables
/// using OData"). The documented answer to such a query differs from the plain one: each
/// expanded collection is a page of `odata.maxpagesize` rows whose `@odata.nextLink` carries a
/// `$skiptoken`, and the expanded rows have no `@odata.etag` and no lookup to their parent.
pub(crate) fn has_nested_collection(expand: &[ExpandSpec]) -> bool {
    expand.iter().any(|spec| {
        (!matches!(spec.nav, Navigation::Single(_)) && !spec.expand.is_empty())
            || has_nested_collection(&spec.expand)
    })
}

/// The JSON value of a cell.
pub(crate) fn cell_json(attribute: &Attribute, cell: CellRef<'_>) -> Value {
    match cell {
        CellRef::Bool(b) => Value::Bool(b),
        CellRef::Int(i) => match attribute.kind {
            AttrKind::Money | AttrKind::Decimal | AttrKind::Double => float_json(i as f64),
            _ => Value::Number(i.into()),
        },
        CellRef::Float(f) => float_json(f),
        CellRef::Text(t) => Value::String(t.to_owned()),
        CellRef::Guid(g) | CellRef::Lookup { id: g, .. } => Value::String(g.to_string()),
        CellRef::DateTime(s) => Value::String(format_datetime(s)),
        CellRef::Date(s) => Value::String(format_date(s)),
    }
}

fn float_json(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}
