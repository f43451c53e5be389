//! Values bound to statements and rows read back, the same for both backends.

use crate::StoreError;

/// A statement parameter or a column value. Nullable on purpose: PostgreSQL needs a typed
/// null, so a missing text is `Text(None)`, not a separate untyped null.
#[derive(Clone, PartialEq, Eq)]
pub enum SqlValue {
    /// A 64-bit integer (`BIGINT`/`INTEGER`).
    Int(Option<i64>),
    /// Text (`TEXT`).
    Text(Option<String>),
    /// Bytes (`BYTEA`/`BLOB`).
    Bytes(Option<Vec<u8>>),
}

impl SqlValue {
    /// A non-null integer.
    pub fn int(value: i64) -> Self {
        SqlValue::Int(Some(value))
    }

    /// A non-null text.
    pub fn text(value: impl Into<String>) -> Self {
        SqlValue::Text(Some(value.into()))
    }

    /// Non-null bytes.
    pub fn bytes(value: impl Into<Vec<u8>>) -> Self {
        SqlValue::Bytes(Some(value.into()))
    }

    fn is_null(&self) -> bool {
        matches!(
            self,
            SqlValue::Int(None) | SqlValue::Text(None) | SqlValue::Bytes(None)
        )
    }
}

/// Values can hold personal data (a lead's body): `Debug` shows the type and size only.
impl std::fmt::Debug for SqlValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlValue::Int(value) => write!(f, "Int({value:?})"),
            SqlValue::Text(Some(text)) => write!(f, "Text(<{} bytes>)", text.len()),
            SqlValue::Bytes(Some(bytes)) => write!(f, "Bytes(<{} bytes>)", bytes.len()),
            SqlValue::Text(None) | SqlValue::Bytes(None) => f.write_str("Null"),
        }
    }
}

/// One result row; columns are read by position, in the statement's `SELECT`/`RETURNING` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<SqlValue>);

impl Row {
    fn column(&self, index: usize) -> Result<&SqlValue, StoreError> {
        self.0.get(index).ok_or_else(|| {
            StoreError::Decode(format!(
                "column {index} requested from a row of {}",
                self.0.len()
            ))
        })
    }

    /// The integer at `index`, or `None` when null.
    pub fn opt_i64(&self, index: usize) -> Result<Option<i64>, StoreError> {
        match self.column(index)? {
            SqlValue::Int(value) => Ok(*value),
            other if other.is_null() => Ok(None),
            other => Err(wrong_type(index, "an integer", other)),
        }
    }

    /// The integer at `index`; null is an error.
    pub fn i64(&self, index: usize) -> Result<i64, StoreError> {
        self.opt_i64(index)?.ok_or_else(|| {
            StoreError::Decode(format!("column {index} is null, expected an integer"))
        })
    }

    /// The text at `index`, or `None` when null.
    pub fn opt_text(&self, index: usize) -> Result<Option<String>, StoreError> {
        match self.column(index)? {
            SqlValue::Text(value) => Ok(value.clone()),
            other if other.is_null() => Ok(None),
            other => Err(wrong_type(index, "text", other)),
        }
    }

    /// The text at `index`; null is an error.
    pub fn text(&self, index: usize) -> Result<String, StoreError> {
        self.opt_text(index)?
            .ok_or_else(|| StoreError::Decode(format!("column {index} is null, expected text")))
    }

    /// The bytes at `index` (text is taken as its UTF-8 bytes); null is an error.
    pub fn bytes(&self, index: usize) -> Result<Vec<u8>, StoreError> {
        match self.column(index)? {
            SqlValue::Bytes(Some(bytes)) => Ok(bytes.clone()),
            // SQLite may hand back text for a blob column written as text; take its bytes.
            SqlValue::Text(Some(text)) => Ok(text.clone().into_bytes()),
            other => Err(wrong_type(index, "bytes", other)),
        }
    }
}

fn wrong_type(index: usize, expected: &str, found: &SqlValue) -> StoreError {
    StoreError::Decode(format!("column {index} is {found:?}, expected {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_reads_and_nulls() {
        let row = Row(vec![
            SqlValue::int(7),
            SqlValue::Text(None),
            SqlValue::text("x"),
            SqlValue::bytes(b"ab".to_vec()),
            SqlValue::Int(None),
        ]);
        assert_eq!(row.i64(0).unwrap(), 7);
        assert_eq!(row.opt_text(1).unwrap(), None);
        assert_eq!(row.opt_i64(1).unwrap(), None);
        assert_eq!(row.text(2).unwrap(), "x");
        assert_eq!(row.bytes(3).unwrap(), b"ab");
        assert!(row.i64(4).is_err());
        assert!(row.text(0).is_err());
        assert!(row.i64(9).is_err());
    }

    #[test]
    fn debug_hides_values() {
        let text = format!("{:?}", SqlValue::text("ada@example.com"));
        assert!(!text.contains("ada"), "{text}");
        assert_eq!(text, "Text(<15 bytes>)");
    }
}
