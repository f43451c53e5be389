//! [`Plan`]: a bound collection query (scope, filter, order, selection, expansions) and how it
//! reads pages of rows: keyset paging after a [`Cursor`] from a paging cookie, counts capped
//! at 5000, and the cookie that describes a page.

use std::ops::Bound as Range;

use uuid::Uuid;

use super::Call;
use super::key_lookup::key_candidates;
use crate::dataverse::access::{Right, RowFilter};
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::Navigation;
use crate::dataverse::metadata::model::AttrKind;
use crate::dataverse::odata::expand::{ExpandSpec, parse_expand};
use crate::dataverse::odata::filter_bind::{Bound, bind};
use crate::dataverse::odata::filter_eval::{eval, related_rows};
use crate::dataverse::odata::filter_parser::parse_filter;
use crate::dataverse::odata::literal::Literal;
use crate::dataverse::odata::orderby::{OrderKey, compare_rows, page_cookie, parse_orderby};
use crate::dataverse::odata::paging::{PagingCookie, parse_cookie_value};
use crate::dataverse::odata::prop::{Prop, value};
use crate::dataverse::odata::scalar::{Scalar, sort_order};
use crate::dataverse::odata::select::{Selection, parse_select};
use crate::dataverse::state::{DataverseStore, View};
use crate::dataverse::store::row::Row;

/// Which rows a query starts from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope {
    /// The whole table.
    All,
    /// The rows related to `parent` through a collection-valued navigation property.
    Related { nav: Navigation, parent: Uuid },
}

/// A bound query.
pub(crate) struct Plan {
    pub(crate) table: u16,
    pub(crate) scope: Scope,
    pub(crate) selection: Selection,
    pub(crate) filter: Option<Bound>,
    pub(crate) order: Vec<OrderKey>,
    pub(crate) expand: Vec<ExpandSpec>,
    /// The rows the caller may read (`None`: all). Rows outside it are left out, as the
    /// service's RetrieveMultiple does, rather than failing the query.
    pub(crate) readable: Option<RowFilter>,
}

/// Where a page starts: after the row with these sort values and this ID.
#[derive(Debug, Clone)]
pub(crate) struct Cursor {
    pub(crate) values: Vec<Literal>,
    pub(crate) last_id: Uuid,
}

/// One page of matching rows.
pub(crate) struct Page<'a> {
    pub(crate) rows: Vec<(Uuid, &'a Row)>,
    pub(crate) more: bool,
}

impl Plan {
    /// Binds the OData options of a call.
    pub(crate) fn from_call(
        store: &DataverseStore,
        call: &Call<'_>,
        table: u16,
        scope: Scope,
    ) -> Result<Self, ApiError> {
        let catalog = &store.catalog;
        let ctx = call.env.bind_context();
        let options = &call.options;
        let selection = match &options.select {
            Some(select) => parse_select(select, catalog.table(table))?,
            None => Selection::All,
        };
        let filter = match &options.filter {
            Some(filter) => Some(bind(
                &parse_filter(filter, &call.request.query)?,
                catalog,
                table,
                &ctx,
            )?),
            None => None,
        };
        let order = match &options.orderby {
            Some(orderby) => parse_orderby(orderby, catalog, table)?,
            None => Vec::new(),
        };
        let expand = match &options.expand {
            Some(expand) => parse_expand(expand, catalog, table, &ctx)?,
            None => Vec::new(),
        };
        Ok(Self {
            table,
            scope,
            selection,
            filter,
            order,
            expand,
            readable: readable_rows(store, call, table)?,
        })
    }

    fn matches(&self, view: &View<'_>, id: Uuid, row: &Row) -> bool {
        self.readable
            .as_ref()
            .is_none_or(|r| r.allows(view.catalog, view.data, id, row))
            && self.filter.as_ref().is_none_or(|f| eval(f, view, id, row))
    }

    /// The rows an alternate-key index says the filter can match, in primary-key order
    /// (`None`: no index applies).
    fn indexed<'a>(&self, view: &View<'a>) -> Option<Vec<(Uuid, &'a Row)>> {
        let filter = self.filter.as_ref()?;
        let rows = view.data.table(self.table);
        let ids = key_candidates(filter, view.catalog.table(self.table), rows)?;
        Some(
            ids.into_iter()
                .filter_map(|id| rows.rows.get(&id).map(|row| (id, row)))
                .collect(),
        )
    }

    /// The rows of the scope in primary-key order.
    fn candidates<'a>(&self, view: &View<'a>) -> Box<dyn Iterator<Item = (Uuid, &'a Row)> + 'a> {
        if matches!(self.scope, Scope::All)
            && let Some(rows) = self.indexed(view)
        {
            return Box::new(rows.into_iter());
        }
        match self.scope {
            Scope::All => Box::new(
                view.data
                    .table(self.table)
                    .rows
                    .iter()
                    .map(|(id, row)| (*id, row)),
            ),
            Scope::Related { nav, parent } => {
                let mut related: Vec<(Uuid, &Row)> =
                    related_rows(view, nav, self.table, parent).collect();
                related.sort_by_key(|(id, _)| *id);
                Box::new(related.into_iter())
            }
        }
    }

    /// How many rows match, counting no further than `limit + 1`.
    pub(crate) fn count(&self, view: &View<'_>, limit: usize) -> usize {
        if self.filter.is_none() && self.readable.is_none() && matches!(self.scope, Scope::All) {
            return view.data.table(self.table).rows.len();
        }
        self.candidates(view)
            .filter(|(id, row)| self.matches(view, *id, row))
            .take(limit.saturating_add(1))
            .count()
    }

    /// A page of at most `size` rows after `cursor` (or skipping `offset` rows).
    pub(crate) fn page<'a>(
        &self,
        view: &View<'a>,
        cursor: Option<&Cursor>,
        offset: usize,
        size: usize,
    ) -> Page<'a> {
        if self.order.is_empty()
            && matches!(self.scope, Scope::All)
            && let Some(rows) = self.indexed(view)
        {
            let mut page: Vec<(Uuid, &Row)> = rows
                .into_iter()
                .filter(|(id, _)| cursor.is_none_or(|c| *id > c.last_id))
                .filter(|(id, row)| self.matches(view, *id, row))
                .skip(offset)
                .take(size.saturating_add(1))
                .collect();
            let more = page.len() > size;
            page.truncate(size);
            return Page { rows: page, more };
        }
        if self.order.is_empty() && matches!(self.scope, Scope::All) {
            let rows = &view.data.table(self.table).rows;
            let start = cursor.map_or(Range::Unbounded, |c| Range::Excluded(c.last_id));
            let mut page: Vec<(Uuid, &Row)> = rows
                .range((start, Range::Unbounded))
                .map(|(id, row)| (*id, row))
                .filter(|(id, row)| self.matches(view, *id, row))
                .skip(offset)
                .take(size.saturating_add(1))
                .collect();
            let more = page.len() > size;
            page.truncate(size);
            return Page { rows: page, more };
        }
        let mut rows: Vec<(Uuid, &Row)> = self
            .candidates(view)
            .filter(|(id, row)| self.matches(view, *id, row))
            .collect();
        if !self.order.is_empty() {
            rows.sort_by(|a, b| compare_rows(&self.order, view, *a, *b));
        }
        let start = cursor.map_or(0, |c| {
            rows.partition_point(|r| !is_after(&self.order, view, *r, c))
        });
        let start = start.saturating_add(offset).min(rows.len());
        let end = start.saturating_add(size).min(rows.len());
        Page {
            more: rows.len() > end,
            rows: rows[start..end].to_vec(),
        }
    }

    /// The paging cookie describing a page.
    pub(crate) fn cookie(
        &self,
        view: &View<'_>,
        page_number: u32,
        rows: &[(Uuid, &Row)],
    ) -> PagingCookie {
        page_cookie(&self.order, view, self.table, page_number, rows)
    }

    /// The cursor a cookie describes for this plan's order.
    pub(crate) fn cursor(
        &self,
        view: &View<'_>,
        cookie: &PagingCookie,
    ) -> Result<Cursor, ApiError> {
        let definition = view.catalog.table(self.table);
        let invalid = || ApiError::bad_request("The paging cookie is not valid for this query.");
        let keys: Vec<&OrderKey> = self.order.iter().filter(|k| k.prop != Prop::Key).collect();
        if cookie.columns.len() != keys.len() + 1 {
            return Err(invalid());
        }
        let mut values = Vec::with_capacity(keys.len());
        for (key, column) in keys.iter().zip(&cookie.columns) {
            if column.attribute != key.attribute {
                return Err(invalid());
            }
            let kind = match key.prop {
                Prop::Attr(index) => definition.attributes[usize::from(index)].kind,
                _ => AttrKind::Uniqueidentifier,
            };
            values.push(parse_cookie_value(kind, column.last.as_deref()).ok_or_else(invalid)?);
        }
        let last = cookie.columns.last().ok_or_else(invalid)?;
        let Some(Literal::Guid(last_id)) =
            parse_cookie_value(AttrKind::Uniqueidentifier, last.last.as_deref())
        else {
            return Err(invalid());
        };
        Ok(Cursor { values, last_id })
    }
}

/// The rows of `table` the caller may read; fails when it cannot read the table at all.
pub(crate) fn readable_rows(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
) -> Result<Option<RowFilter>, ApiError> {
    call.access
        .filter(&store.catalog, &store.data, Right::Read, table)
}

/// Whether a row sorts after the cursor.
fn is_after(order: &[OrderKey], view: &View<'_>, (id, row): (Uuid, &Row), cursor: &Cursor) -> bool {
    let keys = order.iter().filter(|k| k.prop != Prop::Key);
    for (key, wanted) in keys.zip(&cursor.values) {
        let ordering = sort_order(
            &value(&key.prop, view, id, row),
            &Scalar::from_literal(wanted),
        );
        let ordering = if key.descending {
            ordering.reverse()
        } else {
            ordering
        };
        if ordering != std::cmp::Ordering::Equal {
            return ordering == std::cmp::Ordering::Greater;
        }
    }
    let by_key = order.iter().find(|k| k.prop == Prop::Key);
    match by_key {
        Some(key) if key.descending => id < cursor.last_id,
        _ => id > cursor.last_id,
    }
}
