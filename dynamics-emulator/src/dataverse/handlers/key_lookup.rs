//! Answering `col eq <guid>` filters from an alternate-key index instead of reading every row.
//! A sync that looks its users up by Entra object id (`azureactivedirectoryobjectid eq …`,
//! forty at a time joined with `or`) otherwise reads the whole `systemuser` table per query,
//! so its cost grew with the square of the user count. The index only narrows the rows that
//! are read: the filter is still evaluated on each of them, so the answer is the same.

use uuid::Uuid;

use crate::dataverse::metadata::model::{AttrKind, Table};
use crate::dataverse::odata::filter_bind::{Bound, BoundOperand};
use crate::dataverse::odata::filter_parser::CmpOp;
use crate::dataverse::odata::literal::Literal;
use crate::dataverse::odata::prop::Prop;
use crate::dataverse::store::table::TableData;

/// The IDs of the only rows that can match `filter`, in primary-key order, when it pins a
/// single-column GUID alternate key to a list of values; `None` when it does not (read every
/// row then).
pub(crate) fn key_candidates(filter: &Bound, table: &Table, rows: &TableData) -> Option<Vec<Uuid>> {
    let (column, values) = required_guids(filter)?;
    let key = table.alternate_keys.iter().position(|k| {
        k.attributes == [column]
            && table
                .attributes
                .get(usize::from(column))
                .is_some_and(|a| a.kind == AttrKind::Uniqueidentifier || a.kind.is_lookup())
    })?;
    let mut ids: Vec<Uuid> = values
        .iter()
        .filter_map(|value| rows.find_by_key(key, &value.to_string()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}

/// The column and the GUIDs every matching row must have in it: `col eq G` (either way round),
/// `col in (G, …)`, an `or` of those on one column, or an `and` with one of them on a side.
fn required_guids(filter: &Bound) -> Option<(u16, Vec<Uuid>)> {
    match filter {
        Bound::Cmp(CmpOp::Eq, BoundOperand::Prop(Prop::Attr(a)), BoundOperand::Lit(lit))
        | Bound::Cmp(CmpOp::Eq, BoundOperand::Lit(lit), BoundOperand::Prop(Prop::Attr(a))) => {
            Some((*a, vec![guid(lit)?]))
        }
        Bound::In(Prop::Attr(a), values) => {
            Some((*a, values.iter().map(guid).collect::<Option<Vec<_>>>()?))
        }
        Bound::Or(left, right) => {
            let (column, mut values) = required_guids(left)?;
            let (other, more) = required_guids(right)?;
            (column == other).then(|| {
                values.extend(more);
                (column, values)
            })
        }
        Bound::And(left, right) => required_guids(left).or_else(|| required_guids(right)),
        _ => None,
    }
}

fn guid(literal: &Literal) -> Option<Uuid> {
    match literal {
        Literal::Guid(g) => Some(*g),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(column: u16, value: u128) -> Bound {
        Bound::Cmp(
            CmpOp::Eq,
            BoundOperand::Prop(Prop::Attr(column)),
            BoundOperand::Lit(Literal::Guid(Uuid::from_u128(value))),
        )
    }

    fn or(a: Bound, b: Bound) -> Bound {
        Bound::Or(Box::new(a), Box::new(b))
    }

    #[test]
    fn an_or_of_equalities_on_one_column_pins_it() {
        let filter = or(eq(3, 1), or(eq(3, 2), eq(3, 3)));
        let (column, values) = required_guids(&filter).expect("pinned");
        assert_eq!(column, 3);
        assert_eq!(values, [1, 2, 3].map(Uuid::from_u128));
    }

    #[test]
    fn an_or_across_columns_or_a_negation_pins_nothing() {
        assert!(required_guids(&or(eq(3, 1), eq(4, 2))).is_none());
        assert!(required_guids(&Bound::Not(Box::new(eq(3, 1)))).is_none());
        let ne = Bound::Cmp(
            CmpOp::Ne,
            BoundOperand::Prop(Prop::Attr(3)),
            BoundOperand::Lit(Literal::Guid(Uuid::from_u128(1))),
        );
        assert!(required_guids(&ne).is_none());
    }

    #[test]
    fn one_pinned_side_of_an_and_is_enough() {
        let other = Bound::Cmp(
            CmpOp::Eq,
            BoundOperand::Prop(Prop::Attr(5)),
            BoundOperand::Lit(Literal::Int(1)),
        );
        let filter = Bound::And(Box::new(other), Box::new(eq(3, 7)));
        assert_eq!(required_guids(&filter), Some((3, vec![Uuid::from_u128(7)])));
    }
}
