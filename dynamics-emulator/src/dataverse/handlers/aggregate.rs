//! `GET /{set}?$apply=…`: grouped and aggregated rows (Microsoft Learn, "Aggregate data using
//! OData"). Groups come sorted by their values (nulls first); a grouped column whose value is
//! null is left out of its group, as the documented answer shows; the rows aggregated are
//! limited to 50,000, as the service limits aggregate queries.

use std::collections::{HashMap, HashSet};

use axum::http::{HeaderName, StatusCode};
use serde_json::{Map, Number, Value};
use uuid::Uuid;

use super::Call;
use super::plan::{Plan, Scope};
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::model::{AttrKind, Attribute, Table};
use crate::dataverse::odata::apply::{Aggregate, Method, parse_apply};
use crate::dataverse::odata::filter_bind::{Bound, bind};
use crate::dataverse::odata::filter_eval::eval;
use crate::dataverse::odata::filter_parser::parse_filter;
use crate::dataverse::odata::prefer::{Applied, preference_applied};
use crate::dataverse::odata::scalar::{Scalar, sort_order};
use crate::dataverse::render::entity::cell_json;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::store::row::Row;
use crate::dataverse::wire::{ApiResponse, ApiResult};

/// Most rows an aggregate query reads (the service's `AggregateQueryRecordLimit`).
pub(crate) const AGGREGATE_ROW_LIMIT: usize = 50_000;

/// Whether a request uses one query option.
type Uses = fn(&Call<'_>) -> bool;

/// The query options `$apply` cannot be combined with here.
const NOT_WITH_APPLY: [(&str, Uses); 6] = [
    ("$select", |c| c.options.select.is_some()),
    ("$expand", |c| c.options.expand.is_some()),
    ("$orderby", |c| c.options.orderby.is_some()),
    ("$top", |c| c.options.top.is_some()),
    ("$skiptoken", |c| c.options.skiptoken.is_some()),
    ("$count", |c| c.options.count),
];

/// A column an aggregate query reads: its index and definition.
struct Column<'a> {
    index: u16,
    attribute: &'a Attribute,
}

impl<'a> Column<'a> {
    fn resolve(definition: &'a Table, name: &str) -> Result<Self, ApiError> {
        let index = definition
            .json_attribute(name)
            .ok_or_else(|| ApiError::unknown_property(name, &definition.logical_name))?;
        let attribute = definition
            .attribute(index)
            .ok_or_else(|| ApiError::unknown_property(name, &definition.logical_name))?;
        Ok(Self { index, attribute })
    }

    /// The cell of a row (the primary key is the row's ID, not a stored cell).
    fn cell<'r>(&self, id: Uuid, row: &'r Row) -> Option<CellRef<'r>> {
        if self.index == 0 {
            Some(CellRef::Guid(id))
        } else {
            row.get(self.index)
        }
    }

    fn json(&self, id: Uuid, row: &Row) -> Value {
        self.cell(id, row)
            .map_or(Value::Null, |cell| cell_json(self.attribute, cell))
    }
}

/// Answers a `$apply` query on `table`.
pub(crate) fn aggregate(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    scope: Scope,
) -> ApiResult {
    let text = call.options.apply.as_deref().unwrap_or_default();
    if let Some((name, _)) = NOT_WITH_APPLY.iter().find(|(_, used)| used(call)) {
        return Err(ApiError::bad_request(format!(
            "The query option {name} cannot be combined with $apply here; group and aggregate \
             with $apply (and $filter) only."
        )));
    }
    let apply = parse_apply(text)?;
    let catalog = &store.catalog;
    let definition = catalog.table(table);
    let ctx = call.env.bind_context();
    let filters: Vec<Bound> = apply
        .filters
        .iter()
        .map(|f| bind(&parse_filter(f, &call.request.query)?, catalog, table, &ctx))
        .collect::<Result<_, _>>()?;
    let group_columns: Vec<Column<'_>> = apply
        .group_by
        .iter()
        .map(|name| Column::resolve(definition, name))
        .collect::<Result<_, _>>()?;
    let aggregate_columns: Vec<Option<Column<'_>>> = apply
        .aggregates
        .iter()
        .map(|a| check_aggregate(definition, a))
        .collect::<Result<_, _>>()?;

    let plan = Plan::from_call(store, call, table, scope)?;
    let view = store.view();
    let page = plan.page(&view, None, 0, AGGREGATE_ROW_LIMIT);
    if page.more {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "0x8004e023",
            "The maximum record limit is exceeded. Reduce the number of records.",
        ));
    }
    let rows: Vec<(Uuid, &Row)> = page
        .rows
        .into_iter()
        .filter(|(id, row)| filters.iter().all(|f| eval(f, &view, *id, row)))
        .collect();

    let mut groups: Vec<Vec<(Uuid, &Row)>> = Vec::new();
    if group_columns.is_empty() {
        groups.push(rows);
    } else {
        let mut index: HashMap<String, usize> = HashMap::new();
        for (id, row) in rows {
            let key: Vec<Value> = group_columns.iter().map(|c| c.json(id, row)).collect();
            let key = Value::Array(key).to_string();
            let slot = *index.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[slot].push((id, row));
        }
        groups.sort_by(|a, b| {
            let (Some(a), Some(b)) = (a.first(), b.first()) else {
                return std::cmp::Ordering::Equal;
            };
            group_columns
                .iter()
                .map(|c| {
                    sort_order(
                        &Scalar::from_cell(c.cell(a.0, a.1)),
                        &Scalar::from_cell(c.cell(b.0, b.1)),
                    )
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }

    let values: Vec<Value> = groups
        .iter()
        .map(|members| {
            let mut item = Map::new();
            if let Some((id, row)) = members.first() {
                for column in &group_columns {
                    let value = column.json(*id, row);
                    if !value.is_null() {
                        item.insert(column.attribute.json_name(), value);
                    }
                }
            }
            for (aggregate, column) in apply.aggregates.iter().zip(&aggregate_columns) {
                let value = compute(aggregate.method, column.as_ref(), members)?;
                item.insert(aggregate.alias.clone(), value);
            }
            Ok(Value::Object(item))
        })
        .collect::<Result<_, ApiError>>()?;

    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::String(call.env.context(&definition.entity_set)),
    );
    body.insert("value".to_owned(), Value::Array(values));
    let applied = Applied {
        annotations: call.prefer.annotations.is_some(),
        ..Applied::default()
    };
    let mut response = ApiResponse::collection(Value::Object(body));
    if let Some(value) = preference_applied(&call.prefer, applied) {
        response = response.with_header(HeaderName::from_static("preference-applied"), value);
    }
    Ok(response)
}

/// The column an aggregate reads, checked against its method.
fn check_aggregate<'a>(
    definition: &'a Table,
    aggregate: &Aggregate,
) -> Result<Option<Column<'a>>, ApiError> {
    let Some(name) = &aggregate.column else {
        return Ok(None);
    };
    let column = Column::resolve(definition, name)?;
    let kind = column.attribute.kind;
    let numeric = matches!(
        kind,
        AttrKind::Integer
            | AttrKind::BigInt
            | AttrKind::Decimal
            | AttrKind::Double
            | AttrKind::Money
    );
    let valid = match aggregate.method {
        Method::Sum | Method::Average => numeric,
        Method::Min | Method::Max => {
            numeric || matches!(kind, AttrKind::DateTime | AttrKind::DateOnly)
        }
        Method::CountDistinct | Method::Count => true,
    };
    if !valid {
        return Err(ApiError::bad_request(format!(
            "The aggregation method '{}' cannot be applied to the column '{name}' of type {}.",
            aggregate.method.name(),
            kind.type_name()
        )));
    }
    Ok(Some(column))
}

/// A sum or average as JSON; one beyond the range of a double is an overflow, not `null`.
///
/// UNCONFIRMED: the service's code and wording for an aggregate that overflows are not
/// documented (SQL Server reports an arithmetic overflow); this is the OData layer's code.
fn float(value: f64) -> Result<Value, ApiError> {
    Number::from_f64(value)
        .filter(|_| value.is_finite())
        .map(Value::Number)
        .ok_or_else(|| {
            ApiError::bad_request(
                "Arithmetic overflow: the aggregate's value is beyond the range of a number. \
                 Aggregate fewer rows or smaller values.",
            )
        })
}

/// One aggregate over a group's rows (nulls are skipped; `null` when nothing is left, counts
/// excepted).
fn compute(
    method: Method,
    column: Option<&Column<'_>>,
    members: &[(Uuid, &Row)],
) -> Result<Value, ApiError> {
    let Some(column) = column else {
        return Ok(Value::from(members.len()));
    };
    let cells = members.iter().filter_map(|(id, row)| column.cell(*id, row));
    Ok(match method {
        Method::Count => Value::from(members.len()),
        Method::CountDistinct => {
            let distinct: HashSet<String> = cells
                .map(|cell| cell_json(column.attribute, cell).to_string())
                .collect();
            Value::from(distinct.len())
        }
        Method::Min | Method::Max => {
            let best = cells.reduce(|best, cell| {
                let order = sort_order(
                    &Scalar::from_cell(Some(cell)),
                    &Scalar::from_cell(Some(best)),
                );
                let better = if method == Method::Min {
                    order.is_lt()
                } else {
                    order.is_gt()
                };
                if better { cell } else { best }
            });
            best.map_or(Value::Null, |cell| cell_json(column.attribute, cell))
        }
        Method::Sum | Method::Average => {
            let integral = matches!(column.attribute.kind, AttrKind::Integer | AttrKind::BigInt);
            let mut count = 0usize;
            let mut exact: Option<i64> = Some(0);
            let mut total = 0.0f64;
            for cell in cells {
                let (whole, value) = match cell {
                    CellRef::Int(i) => (Some(i), i as f64),
                    CellRef::Float(f) => (None, f),
                    _ => continue,
                };
                count += 1;
                total += value;
                exact = match (exact, whole) {
                    (Some(sum), Some(i)) => sum.checked_add(i),
                    _ => None,
                };
            }
            if count == 0 {
                return Ok(Value::Null);
            }
            match method {
                Method::Sum => match exact {
                    Some(sum) if integral => Value::from(sum),
                    _ => float(total)?,
                },
                _ => float(total / count as f64)?,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataverse::seeding::ORG_IDS;
    use crate::dataverse::state::DataverseStore;
    use crate::dataverse::store::cell::Cell;

    #[test]
    fn a_sum_beyond_the_range_of_a_double_is_a_400_not_null() {
        let store = DataverseStore::empty(ORG_IDS).expect("built-in tables");
        let definition = store.catalog.table(store.builtin("account"));
        let column = Column::resolve(definition, "revenue").expect("a currency column");
        let row = Row::new(1, [(column.index, Cell::Float(f64::MAX))]);
        let members = [(Uuid::new_v4(), &row), (Uuid::new_v4(), &row)];
        for method in [Method::Sum, Method::Average] {
            let error = compute(method, Some(&column), &members).expect_err("overflows");
            assert_eq!(error.status, 400);
            assert!(error.message.contains("overflow"), "{}", error.message);
        }
        let one = compute(Method::Sum, Some(&column), &members[..1]).expect("in range");
        assert_eq!(one.as_f64(), Some(f64::MAX));
    }
}
