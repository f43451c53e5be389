//! Percent-encoding for query option values and key segments.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but unreserved characters and the OData punctuation that reads better bare
/// (`'`, `(`, `)`). `$ & + , / : ; = ? @ #` and spaces are encoded, as the Dataverse docs ask.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Encodes a query option value.
pub(crate) fn query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Encodes text that goes into a path segment (alternate key values): the same set, but `,`
/// and `=` stay readable since they separate key parts.
const PATH_VALUE: &AsciiSet = &QUERY_VALUE.remove(b',').remove(b'=');

pub(crate) fn path_value(value: &str) -> String {
    utf8_percent_encode(value, PATH_VALUE).to_string()
}
