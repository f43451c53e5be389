//! Table definitions: the model, the catalog that resolves names and relationships, the
//! built-in tables, and the builder both use; and the definitions written through the Web API
//! (tables, columns, keys, global option sets) with the CSDL document that describes them all.

pub(crate) mod alternate_keys;
pub(crate) mod builtin;
pub(crate) mod catalog;
pub(crate) mod columns;
pub(crate) mod complex;
pub(crate) mod create;
pub(crate) mod csdl;
pub(crate) mod definition;
pub(crate) mod describe;
pub(crate) mod labels;
pub(crate) mod model;
pub(crate) mod naming;
pub(crate) mod option_sets;
pub(crate) mod relationships;
pub(crate) mod removal;
pub(crate) mod spec;
pub(crate) mod standard_columns;
pub(crate) mod update;
