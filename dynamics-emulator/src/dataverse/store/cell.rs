//! The typed values a row holds: owned ([`Cell`]) for writing, borrowed ([`CellRef`]) for
//! reading straight out of a row's encoded bytes.

use uuid::Uuid;

/// An owned column value. Null is the absence of a cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Two options (Boolean).
    Bool(bool),
    /// Whole numbers, option-set values, state and status codes.
    Int(i64),
    /// Decimal, floating point and currency values.
    Float(f64),
    /// Text (single line or multiple lines).
    Text(Box<str>),
    /// A unique identifier that is not a lookup.
    Guid(Uuid),
    /// A date and time: seconds since the Unix epoch, UTC.
    DateTime(i64),
    /// A date without time: seconds since the Unix epoch of that day's midnight, UTC.
    Date(i64),
    /// A lookup: the related row's ID and the catalog index of its table.
    Lookup {
        /// The related row's primary key.
        id: Uuid,
        /// The related table (catalog index).
        table: u16,
    },
}

/// A borrowed column value, read from a row without copying text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CellRef<'a> {
    /// See [`Cell::Bool`].
    Bool(bool),
    /// See [`Cell::Int`].
    Int(i64),
    /// See [`Cell::Float`].
    Float(f64),
    /// See [`Cell::Text`].
    Text(&'a str),
    /// See [`Cell::Guid`].
    Guid(Uuid),
    /// See [`Cell::DateTime`].
    DateTime(i64),
    /// See [`Cell::Date`].
    Date(i64),
    /// See [`Cell::Lookup`].
    Lookup {
        /// The related row's primary key.
        id: Uuid,
        /// The related table (catalog index).
        table: u16,
    },
}

impl Cell {
    /// A borrowed view of this value.
    pub(crate) fn as_ref(&self) -> CellRef<'_> {
        match self {
            Self::Bool(b) => CellRef::Bool(*b),
            Self::Int(i) => CellRef::Int(*i),
            Self::Float(f) => CellRef::Float(*f),
            Self::Text(t) => CellRef::Text(t),
            Self::Guid(g) => CellRef::Guid(*g),
            Self::DateTime(s) => CellRef::DateTime(*s),
            Self::Date(s) => CellRef::Date(*s),
            Self::Lookup { id, table } => CellRef::Lookup {
                id: *id,
                table: *table,
            },
        }
    }
}

impl<'a> CellRef<'a> {
    /// An owned copy.
    pub(crate) fn to_owned_cell(self) -> Cell {
        match self {
            Self::Bool(b) => Cell::Bool(b),
            Self::Int(i) => Cell::Int(i),
            Self::Float(f) => Cell::Float(f),
            Self::Text(t) => Cell::Text(t.into()),
            Self::Guid(g) => Cell::Guid(g),
            Self::DateTime(s) => Cell::DateTime(s),
            Self::Date(s) => Cell::Date(s),
            Self::Lookup { id, table } => Cell::Lookup { id, table },
        }
    }

    /// The ID of a lookup or unique-identifier value.
    pub(crate) fn guid(self) -> Option<Uuid> {
        match self {
            Self::Guid(g) | Self::Lookup { id: g, .. } => Some(g),
            _ => None,
        }
    }

    /// The text of a text value.
    pub(crate) fn as_text(self) -> Option<&'a str> {
        match self {
            Self::Text(t) => Some(t),
            _ => None,
        }
    }
}
