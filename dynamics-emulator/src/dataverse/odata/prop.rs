//! [`Prop`]: a property path resolved against a table (`name`, `_x_value`, the primary key, or
//! a single-valued navigation path such as `primarycontactid/fullname`), and reading its value
//! from a row.

use uuid::Uuid;

use super::scalar::Scalar;
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::{Catalog, Navigation};
use crate::dataverse::metadata::model::AttrKind;
use crate::dataverse::state::View;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::store::row::Row;

/// A resolved property path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prop {
    /// The primary key.
    Key,
    /// A column (a lookup column reads as its ID).
    Attr(u16),
    /// Through a single-valued navigation property to a column of the related row.
    Nav {
        lookup: u16,
        target: u16,
        inner: Box<Prop>,
    },
}

/// The type class of a property or literal, for type checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeClass {
    Null,
    Bool,
    Number,
    Text,
    Guid,
    Time,
}

impl TypeClass {
    /// The class of a column kind.
    pub(crate) fn of_kind(kind: AttrKind) -> Self {
        match kind {
            AttrKind::Boolean => Self::Bool,
            k if k.is_numeric() => Self::Number,
            k if k.is_text() => Self::Text,
            AttrKind::DateTime | AttrKind::DateOnly => Self::Time,
            _ => Self::Guid,
        }
    }

    /// Whether values of the two classes can be compared.
    pub(crate) fn compatible(self, other: Self) -> bool {
        self == other || self == Self::Null || other == Self::Null
    }
}

/// A resolved path with its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) prop: Prop,
    /// The column kind (`Uniqueidentifier` for the key).
    pub(crate) kind: AttrKind,
}

/// Resolves `path` against `table`.
pub(crate) fn resolve(
    catalog: &Catalog,
    table: u16,
    path: &[String],
) -> Result<Resolved, ApiError> {
    let definition = catalog.table(table);
    let Some((first, rest)) = path.split_first() else {
        return Err(ApiError::bad_request(
            "An empty property path is not valid.",
        ));
    };
    if rest.is_empty() {
        if *first == definition.primary_id {
            return Ok(Resolved {
                prop: Prop::Key,
                kind: AttrKind::Uniqueidentifier,
            });
        }
        // A single-valued navigation property alone (`parentbusinessunitid eq null`) compares
        // as its lookup column.
        let index = definition
            .json_attribute(first)
            .or_else(|| match catalog.navigation(table, first) {
                Some(Navigation::Single(rel)) => Some(catalog.one_to_many[rel].lookup),
                _ => None,
            })
            .ok_or_else(|| ApiError::unknown_property(first, &definition.logical_name))?;
        return Ok(Resolved {
            prop: Prop::Attr(index),
            kind: definition.attributes[usize::from(index)].kind,
        });
    }
    match catalog.navigation(table, first) {
        Some(Navigation::Single(rel)) => {
            let relationship = &catalog.one_to_many[rel];
            let inner = resolve(catalog, relationship.referenced, rest)?;
            Ok(Resolved {
                prop: Prop::Nav {
                    lookup: relationship.lookup,
                    target: relationship.referenced,
                    inner: Box::new(inner.prop),
                },
                kind: inner.kind,
            })
        }
        Some(_) => Err(ApiError::bad_request(format!(
            "The parent value for a property access of a property '{}' is not a single value. \
             Property access can only be applied to a single value.",
            rest[0]
        ))),
        None => Err(ApiError::unknown_property(first, &definition.logical_name)),
    }
}

/// Reads a property of the row `id` of `table`.
pub(crate) fn value<'a>(prop: &Prop, view: &View<'a>, id: Uuid, row: &'a Row) -> Scalar<'a> {
    match prop {
        Prop::Key => Scalar::Guid(id),
        Prop::Attr(index) => Scalar::from_cell(row.get(*index)),
        Prop::Nav {
            lookup,
            target,
            inner,
        } => match row.get(*lookup) {
            Some(CellRef::Lookup { id, table }) if table == *target => view
                .row(*target, id)
                .map_or(Scalar::Null, |related| value(inner, view, id, related)),
            _ => Scalar::Null,
        },
    }
}
