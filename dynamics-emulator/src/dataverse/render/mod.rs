//! Answers as JSON: rows, formatted values and `@odata.context` fragments.

pub(crate) mod context;
pub(crate) mod entity;
pub(crate) mod formatted;
