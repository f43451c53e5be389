//! Table definitions: the model, the catalog that resolves names and relationships, the
//! built-in tables, and the builder both use.

pub(crate) mod builtin;
pub(crate) mod catalog;
pub(crate) mod describe;
pub(crate) mod model;
pub(crate) mod spec;
pub(crate) mod standard_columns;
