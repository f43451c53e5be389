//! Writing rows: request bodies to typed changes, platform rules, and the operations (create,
//! update, delete, relate) with their transactions.

pub(crate) mod body;
pub(crate) mod bulk;
pub(crate) mod convert;
pub(crate) mod ops;
pub(crate) mod rules;
