//! The crate's error: why a lead body was refused, or why a mapping cannot be used.
//!
//! Every message names fields and JSON types, never values, so an error can go into a
//! dead-letter record or a log without carrying personal data.

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading a lead or mapping it to `lead` columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is bigger than the configured limit; it was not parsed.
    #[error(
        "lead body is {size} bytes, over the {limit}-byte limit; a marketplace lead is a few hundred bytes, so this is not one (raise ParseOptions::max_body_bytes if it is)"
    )]
    TooLarge {
        /// The body's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },

    /// The body is not JSON.
    #[error("lead body is not JSON: {detail} at line {line}, column {column}")]
    NotJson {
        /// What the JSON parser expected (no input text).
        detail: String,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
    },

    /// The body is JSON but not an object.
    #[error("lead body is JSON {found}, not an object with lead fields")]
    NotAnObject {
        /// The JSON type found (`"an array"`, `"a string"`, ...).
        found: &'static str,
    },

    /// A field holds a type that cannot be read as its text.
    #[error("lead field `{field}` is {found}; expected {expected}")]
    WrongType {
        /// The field, in the marketplace's spelling (`UserDetails`, `Email`, ...).
        field: &'static str,
        /// The JSON type found.
        found: &'static str,
        /// What the field must be.
        expected: &'static str,
    },

    /// A field that must hold JSON text (the Azure Table shape's `CustomerInfo`) does not.
    #[error(
        "lead field `{field}` holds text that is not a JSON object: {detail} at line {line}, column {column}"
    )]
    NestedNotJson {
        /// The field.
        field: &'static str,
        /// What the JSON parser expected.
        detail: String,
        /// 1-based line inside the field's text.
        line: usize,
        /// 1-based column inside the field's text.
        column: usize,
    },

    /// The same field came twice (keys differing only in case or spacing) with different values.
    #[error(
        "lead field `{field}` is given twice (keys differing in case or spacing) with different values; send it once"
    )]
    ConflictingKeys {
        /// The field.
        field: &'static str,
    },

    /// The object holds no lead field with a value.
    #[error(
        "lead body has no lead fields with a value ({unknown_keys} unknown keys); expected UserDetails, LeadSource, ActionCode, OfferTitle or Description"
    )]
    Empty {
        /// How many keys the object had that are not lead fields.
        unknown_keys: usize,
    },

    /// The mapping configuration cannot be used; `detail` says what to fix.
    #[error("lead mapping: {detail}")]
    Config {
        /// What is wrong and how to fix it.
        detail: String,
    },

    /// The mapping writes to columns the `lead` table does not have.
    #[error("lead mapping names columns the lead table does not have: {}; fix the [columns] section or add the columns", columns.join(", "))]
    UnknownColumns {
        /// The unknown target columns, sorted.
        columns: Vec<String>,
    },

    /// A value is longer than its column allows and the mapping refuses to truncate.
    #[error(
        "value for column `{column}` is {length} characters, over its maximum of {max} (set on_too_long = \"truncate\" to cut it)"
    )]
    ValueTooLong {
        /// The target column.
        column: String,
        /// The value's length in UTF-16 code units (how Dataverse counts).
        length: usize,
        /// The column's maximum.
        max: usize,
    },
}

impl Error {
    /// A stable, short code for the error's kind, for dead-letter records and metrics labels.
    pub fn code(&self) -> &'static str {
        match self {
            Error::TooLarge { .. } => "too_large",
            Error::NotJson { .. } => "not_json",
            Error::NotAnObject { .. } => "not_an_object",
            Error::WrongType { .. } => "wrong_type",
            Error::NestedNotJson { .. } => "nested_not_json",
            Error::ConflictingKeys { .. } => "conflicting_keys",
            Error::Empty { .. } => "empty",
            Error::Config { .. } => "config",
            Error::UnknownColumns { .. } => "unknown_columns",
            Error::ValueTooLong { .. } => "value_too_long",
        }
    }

    /// True when the lead itself is at fault: retrying it cannot help, it belongs in the
    /// dead-letter store (with [`Error::code`] and the `Display` text as the reason). False for
    /// mapping configuration errors, which are fixed once for all leads.
    pub fn is_bad_lead(&self) -> bool {
        !matches!(self, Error::Config { .. } | Error::UnknownColumns { .. })
    }

    pub(crate) fn config(detail: impl Into<String>) -> Self {
        Error::Config {
            detail: detail.into(),
        }
    }
}

/// Why a lead was refused, as a dead-letter store keeps it: the stable [`Error::code`] and the
/// error's message. Neither holds personal data (see the module docs), so the record can be
/// listed by `leads status` and logged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    /// [`Error::code`], for grouping and metrics.
    pub code: String,
    /// The error's `Display` text: what is wrong and what to fix.
    pub reason: String,
}

impl From<&Error> for Rejection {
    fn from(error: &Error) -> Self {
        Rejection {
            code: error.code().to_owned(),
            reason: error.to_string(),
        }
    }
}

/// The JSON type of a value, as words for an error message.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// serde_json's message without its " at line L column C" tail (kept in separate fields).
/// Syntax errors from parsing into a `Value` never quote the input, so this is safe to log.
pub(crate) fn syntax_detail(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_carries_code_and_reason() {
        let error = Error::WrongType {
            field: "Email",
            found: "an array",
            expected: "a string",
        };
        let rejection = Rejection::from(&error);
        assert_eq!(rejection.code, "wrong_type");
        assert_eq!(
            rejection.reason,
            "lead field `Email` is an array; expected a string"
        );
        let text = serde_json::to_string(&rejection).unwrap();
        assert_eq!(serde_json::from_str::<Rejection>(&text).unwrap(), rejection);
    }

    #[test]
    fn syntax_detail_drops_the_position() {
        let error = serde_json::from_str::<serde_json::Value>("{\"a\" 1}").unwrap_err();
        assert_eq!(syntax_detail(&error), "expected `:`");
    }
}
