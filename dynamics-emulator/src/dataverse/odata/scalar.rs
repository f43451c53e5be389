//! [`Scalar`]: a value read for comparison (from a row or a literal), and how two values compare:
//! numbers across types, text case-insensitively, dates against date-times, nulls first.

use std::cmp::Ordering;

use uuid::Uuid;

use super::literal::Literal;
use crate::dataverse::store::cell::CellRef;

/// A value being compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
    Guid(Uuid),
    DateTime(i64),
    Date(i64),
}

impl<'a> Scalar<'a> {
    /// The value of a cell (`None` is null); lookups compare as their ID.
    pub(crate) fn from_cell(cell: Option<CellRef<'a>>) -> Self {
        match cell {
            None => Self::Null,
            Some(CellRef::Bool(b)) => Self::Bool(b),
            Some(CellRef::Int(i)) => Self::Int(i),
            Some(CellRef::Float(f)) => Self::Float(f),
            Some(CellRef::Text(t)) => Self::Text(t),
            Some(CellRef::Guid(g)) | Some(CellRef::Lookup { id: g, .. }) => Self::Guid(g),
            Some(CellRef::DateTime(s)) => Self::DateTime(s),
            Some(CellRef::Date(s)) => Self::Date(s),
        }
    }

    /// The value of a literal.
    pub(crate) fn from_literal(literal: &'a Literal) -> Self {
        match literal {
            Literal::Null => Self::Null,
            Literal::Bool(b) => Self::Bool(*b),
            Literal::Int(i) => Self::Int(*i),
            Literal::Float(f) => Self::Float(*f),
            Literal::Text(t) => Self::Text(t),
            Literal::Guid(g) => Self::Guid(*g),
            Literal::DateTime(s) => Self::DateTime(*s),
            Literal::Date(s) => Self::Date(*s),
        }
    }

    /// An owned copy.
    pub(crate) fn to_literal(self) -> Literal {
        match self {
            Self::Null => Literal::Null,
            Self::Bool(b) => Literal::Bool(b),
            Self::Int(i) => Literal::Int(i),
            Self::Float(f) => Literal::Float(f),
            Self::Text(t) => Literal::Text(t.to_owned()),
            Self::Guid(g) => Literal::Guid(g),
            Self::DateTime(s) => Literal::DateTime(s),
            Self::Date(s) => Literal::Date(s),
        }
    }

    /// Whether the value is null.
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }
}

/// Compares two non-null values of compatible types; `None` when they cannot be compared.
pub(crate) fn compare(a: &Scalar<'_>, b: &Scalar<'_>) -> Option<Ordering> {
    use Scalar::*;
    match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Int(x), Float(y)) => (*x as f64).partial_cmp(y),
        (Float(x), Int(y)) => x.partial_cmp(&(*y as f64)),
        (Float(x), Float(y)) => x.partial_cmp(y),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Text(x), Text(y)) => Some(compare_text(x, y)),
        (Guid(x), Guid(y)) => Some(x.cmp(y)),
        (Guid(x), Text(y)) => uuid::Uuid::parse_str(y.trim_matches(['{', '}']))
            .ok()
            .map(|y| x.cmp(&y)),
        (Text(x), Guid(y)) => uuid::Uuid::parse_str(x.trim_matches(['{', '}']))
            .ok()
            .map(|x| x.cmp(y)),
        (DateTime(x) | Date(x), DateTime(y) | Date(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Case-insensitive text order.
pub(crate) fn compare_text(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// A total order for sorting: nulls first, then [`compare`], with numbers in IEEE 754's total
/// order (so a NaN that reached a row or a cookie cannot break a sort); incomparable values are
/// equal.
pub(crate) fn sort_order(a: &Scalar<'_>, b: &Scalar<'_>) -> Ordering {
    use Scalar::{Float, Int};
    match (a, b) {
        (Int(x), Float(y)) => (*x as f64).total_cmp(y),
        (Float(x), Int(y)) => x.total_cmp(&(*y as f64)),
        (Float(x), Float(y)) => x.total_cmp(y),
        _ => match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => compare(a, b).unwrap_or(Ordering::Equal),
        },
    }
}

/// Whether two values are equal for `eq` (null equals only null).
pub(crate) fn equals(a: &Scalar<'_>, b: &Scalar<'_>) -> bool {
    match (a.is_null(), b.is_null()) {
        (true, true) => true,
        (false, false) => compare(a, b) == Some(Ordering::Equal),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn number() -> impl Strategy<Value = Scalar<'static>> {
        prop_oneof![
            Just(Scalar::Null),
            Just(Scalar::Float(f64::NAN)),
            Just(Scalar::Float(-f64::NAN)),
            Just(Scalar::Float(f64::INFINITY)),
            Just(Scalar::Float(f64::NEG_INFINITY)),
            any::<f64>().prop_map(Scalar::Float),
            (-1000i64..1000).prop_map(Scalar::Int),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Sorting numbers with NaNs and infinities never panics, and the result is ordered.
        #[test]
        fn sort_order_is_total_with_nan(mut values in proptest::collection::vec(number(), 0..64)) {
            values.sort_by(sort_order);
            for pair in values.windows(2) {
                prop_assert_ne!(sort_order(&pair[0], &pair[1]), Ordering::Greater);
            }
        }
    }

    #[test]
    fn nan_sorts_after_every_number_and_nulls_first() {
        let mut values = [
            Scalar::Float(f64::NAN),
            Scalar::Float(1.5),
            Scalar::Null,
            Scalar::Int(2),
            Scalar::Float(f64::NEG_INFINITY),
        ];
        values.sort_by(sort_order);
        assert!(values[0].is_null());
        assert_eq!(values[1], Scalar::Float(f64::NEG_INFINITY));
        assert_eq!(values[2], Scalar::Float(1.5));
        assert_eq!(values[3], Scalar::Int(2));
        assert!(matches!(values[4], Scalar::Float(f) if f.is_nan()));
    }
}
