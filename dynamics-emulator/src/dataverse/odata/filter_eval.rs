//! Evaluating a bound `$filter` on a row. Comparisons with null follow SQL as Dataverse
//! translates them: only `eq null` / `ne null` test for null, any other comparison with a null
//! side is false.

use std::cmp::Ordering;

use uuid::Uuid;

use super::filter_bind::{Bound, BoundOperand};
use super::filter_parser::CmpOp;
use super::prop::value;
use super::scalar::{Scalar, compare, equals};
use crate::dataverse::metadata::catalog::Navigation;
use crate::dataverse::state::View;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::store::row::Row;

/// Whether the row `id` satisfies `bound` (bound to the row's table).
pub(crate) fn eval(bound: &Bound, view: &View<'_>, id: Uuid, row: &Row) -> bool {
    match bound {
        Bound::Or(a, b) => eval(a, view, id, row) || eval(b, view, id, row),
        Bound::And(a, b) => eval(a, view, id, row) && eval(b, view, id, row),
        Bound::Not(a) => !eval(a, view, id, row),
        Bound::Cmp(op, left, right) => {
            let left = operand(left, view, id, row);
            let right = operand(right, view, id, row);
            compare_op(*op, &left, &right)
        }
        Bound::Like(prop, pattern) => match value(prop, view, id, row) {
            Scalar::Text(text) => pattern.matches(text),
            _ => false,
        },
        Bound::In(prop, values) => {
            let actual = value(prop, view, id, row);
            values
                .iter()
                .any(|v| equals(&actual, &Scalar::from_literal(v)))
        }
        Bound::Range { prop, lo, hi } => {
            let actual = value(prop, view, id, row);
            if actual.is_null() {
                return false;
            }
            let above = lo.as_ref().is_none_or(|(bound, inclusive)| {
                match compare(&actual, &Scalar::from_literal(bound)) {
                    Some(Ordering::Greater) => true,
                    Some(Ordering::Equal) => *inclusive,
                    _ => false,
                }
            });
            let below = hi.as_ref().is_none_or(|(bound, inclusive)| {
                match compare(&actual, &Scalar::from_literal(bound)) {
                    Some(Ordering::Less) => true,
                    Some(Ordering::Equal) => *inclusive,
                    _ => false,
                }
            });
            above && below
        }
        Bound::Lambda {
            nav,
            target,
            all,
            body,
        } => {
            let mut related = related_rows(view, *nav, *target, id);
            match (body, all) {
                (None, _) => related.next().is_some(),
                (Some(body), false) => related.any(|(rid, r)| eval(body, view, rid, r)),
                (Some(body), true) => related.all(|(rid, r)| eval(body, view, rid, r)),
            }
        }
    }
}

fn operand<'a>(operand: &'a BoundOperand, view: &View<'a>, id: Uuid, row: &'a Row) -> Scalar<'a> {
    match operand {
        BoundOperand::Prop(prop) => value(prop, view, id, row),
        BoundOperand::Lit(literal) => Scalar::from_literal(literal),
    }
}

/// Applies a comparison operator.
pub(crate) fn compare_op(op: CmpOp, left: &Scalar<'_>, right: &Scalar<'_>) -> bool {
    match op {
        CmpOp::Eq => equals(left, right),
        CmpOp::Ne => !equals(left, right),
        _ => {
            if left.is_null() || right.is_null() {
                return false;
            }
            let Some(order) = compare(left, right) else {
                return false;
            };
            match op {
                CmpOp::Gt => order == Ordering::Greater,
                CmpOp::Ge => order != Ordering::Less,
                CmpOp::Lt => order == Ordering::Less,
                _ => order != Ordering::Greater,
            }
        }
    }
}

/// The rows reached from row `id` through a collection-valued navigation property. Every row
/// or link looked at spends one unit of the view's budget; once it is spent, nothing more is
/// found (and the request is refused, see [`Budget`](crate::dataverse::budget::Budget)).
pub(crate) fn related_rows<'a>(
    view: &View<'a>,
    nav: Navigation,
    target: u16,
    id: Uuid,
) -> Box<dyn Iterator<Item = (Uuid, &'a Row)> + 'a> {
    let data = view.data;
    let budget = view.budget;
    match nav {
        Navigation::Collection(rel) => {
            let relationship = &view.catalog.one_to_many[rel];
            let lookup = relationship.lookup;
            let parent_table = relationship.referenced;
            Box::new(data.table(target).rows.iter().take_while(move |_| budget.spend(1)).filter_map(move |(rid, row)| {
                matches!(row.get(lookup), Some(CellRef::Lookup { id: pid, table }) if pid == id && table == parent_table)
                    .then_some((*rid, row))
            }))
        }
        Navigation::ManyToMany { rel, first } => {
            let ids: Vec<Uuid> = data.links[rel]
                .partners(id, first)
                .take_while(|_| budget.spend(1))
                .collect();
            Box::new(
                ids.into_iter()
                    .filter_map(move |rid| data.row(target, rid).map(|row| (rid, row))),
            )
        }
        Navigation::Single(_) => Box::new(std::iter::empty()),
    }
}
