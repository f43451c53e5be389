//! `$orderby`: sort keys (`name asc, revenue desc`). Rows with equal keys keep primary-key
//! order, so pages are stable.

use std::cmp::Ordering;

use uuid::Uuid;

use super::literal::Literal;
use super::paging::{CookieColumn, PagingCookie, cookie_value};
use super::prop::{Prop, resolve, value};
use super::scalar::sort_order;
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::state::View;
use crate::dataverse::store::row::Row;

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderKey {
    pub(crate) prop: Prop,
    /// The column's logical name (paging cookies name it).
    pub(crate) attribute: String,
    pub(crate) descending: bool,
}

/// Parses `$orderby` against a table.
pub(crate) fn parse_orderby(
    text: &str,
    catalog: &Catalog,
    table: u16,
) -> Result<Vec<OrderKey>, ApiError> {
    let mut keys = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let mut words = item.split_whitespace();
        let name = words.next().unwrap_or_default();
        let descending = match words.next() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "Syntax error: '{other}' is not a sort direction in '$orderby={text}'. Use \
                     'asc' or 'desc'."
                )));
            }
        };
        if words.next().is_some() {
            return Err(ApiError::bad_request(format!(
                "Syntax error in '$orderby={text}'."
            )));
        }
        if name.contains('/') {
            return Err(ApiError::bad_request(format!(
                "Ordering by the navigation path '{name}' is not supported. Order by columns of \
                 the table, or use FetchXML with a link-entity."
            )));
        }
        let resolved = resolve(catalog, table, &[name.to_owned()])?;
        let definition = catalog.table(table);
        let attribute = match &resolved.prop {
            Prop::Attr(index) => definition.attributes[usize::from(*index)]
                .logical_name
                .clone(),
            _ => definition.primary_id.clone(),
        };
        keys.push(OrderKey {
            prop: resolved.prop,
            attribute,
            descending,
        });
    }
    Ok(keys)
}

/// Compares two rows by the keys, then by primary key.
pub(crate) fn compare_rows(
    keys: &[OrderKey],
    view: &View<'_>,
    (a_id, a): (Uuid, &Row),
    (b_id, b): (Uuid, &Row),
) -> Ordering {
    for key in keys {
        let order = sort_order(
            &value(&key.prop, view, a_id, a),
            &value(&key.prop, view, b_id, b),
        );
        let order = if key.descending {
            order.reverse()
        } else {
            order
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a_id.cmp(&b_id)
}

/// The paging cookie describing a page of `table`'s rows sorted by `keys`: the sort values of
/// its last and first rows, the primary key last.
pub(crate) fn page_cookie(
    keys: &[OrderKey],
    view: &View<'_>,
    table: u16,
    page_number: u32,
    rows: &[(Uuid, &Row)],
) -> PagingCookie {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return PagingCookie {
            page: page_number,
            columns: Vec::new(),
        };
    };
    let mut columns: Vec<CookieColumn> = keys
        .iter()
        .filter(|k| k.prop != Prop::Key)
        .map(|key| CookieColumn {
            attribute: key.attribute.clone(),
            last: cookie_value(&value(&key.prop, view, last.0, last.1).to_literal()),
            first: cookie_value(&value(&key.prop, view, first.0, first.1).to_literal()),
        })
        .collect();
    columns.push(CookieColumn {
        attribute: view.catalog.table(table).primary_id.clone(),
        last: cookie_value(&Literal::Guid(last.0)),
        first: cookie_value(&Literal::Guid(first.0)),
    });
    PagingCookie {
        page: page_number,
        columns,
    }
}
