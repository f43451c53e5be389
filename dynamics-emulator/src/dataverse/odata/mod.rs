//! The OData layer: query strings, expressions (`$filter`), query options, preferences and
//! paging cookies.

pub(crate) mod apply;
pub(crate) mod expand;
pub(crate) mod filter_bind;
pub(crate) mod filter_eval;
pub(crate) mod filter_parser;
pub(crate) mod json_filter;
pub(crate) mod lexer;
pub(crate) mod like;
pub(crate) mod literal;
pub(crate) mod options;
pub(crate) mod orderby;
pub(crate) mod paging;
pub(crate) mod path;
pub(crate) mod prefer;
pub(crate) mod prop;
pub(crate) mod query_string;
pub(crate) mod scalar;
pub(crate) mod select;
