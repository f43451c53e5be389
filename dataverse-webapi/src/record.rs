//! Dynamic records: a JSON object that keeps OData annotations.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{DataverseError, Result};

/// The formatted-value annotation suffix.
pub const FORMATTED_VALUE: &str = "@OData.Community.Display.V1.FormattedValue";
/// The lookup-table annotation suffix.
pub const LOOKUP_LOGICAL_NAME: &str = "@Microsoft.Dynamics.CRM.lookuplogicalname";

/// A row as JSON: columns, lookups (`_x_value`), and annotations such as `@odata.etag` and
/// formatted values, all kept as they came.
///
/// `Debug` shows the column names only: rows hold personal data.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Record(Map<String, Value>);

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Record(Map::new())
    }

    /// Sets a column, builder style.
    pub fn with(mut self, column: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.insert(column.into(), value.into());
        self
    }

    /// Sets a column.
    pub fn insert(&mut self, column: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.0.insert(column.into(), value.into())
    }

    /// Binds a single-valued navigation property to an existing row:
    /// `"{navigation}@odata.bind": "/{entity_set}({id})"`.
    pub fn bind(mut self, navigation: &str, entity_set: &str, id: Uuid) -> Self {
        self.0.insert(
            format!("{navigation}@odata.bind"),
            Value::String(format!("/{entity_set}({id})")),
        );
        self
    }

    /// A column's value.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.0.get(column)
    }

    /// A column's value as text.
    pub fn get_str(&self, column: &str) -> Option<&str> {
        self.0.get(column).and_then(Value::as_str)
    }

    /// A column's value as a GUID (ids and `_x_value` lookups).
    pub fn get_guid(&self, column: &str) -> Option<Uuid> {
        self.get_str(column).and_then(|s| Uuid::parse_str(s).ok())
    }

    /// The row's ETag (`@odata.etag`), for optimistic concurrency.
    pub fn etag(&self) -> Option<&str> {
        self.get_str("@odata.etag")
    }

    /// The formatted value of a column (option set labels, currency, dates), when the query
    /// asked for annotations.
    pub fn formatted_value(&self, column: &str) -> Option<&str> {
        self.get_str(&format!("{column}{FORMATTED_VALUE}"))
    }

    /// The table a lookup column points to, when the query asked for annotations.
    pub fn lookup_logical_name(&self, column: &str) -> Option<&str> {
        self.get_str(&format!("{column}{LOOKUP_LOGICAL_NAME}"))
    }

    /// The columns without annotations.
    pub fn columns(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().filter(|(k, _)| !k.contains('@'))
    }

    /// Number of entries, annotations included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The underlying JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The underlying JSON object, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// Converts into a typed value.
    pub fn to_typed<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(Value::Object(self.0.clone())).map_err(|e| {
            DataverseError::invalid(
                "record conversion",
                format!(
                    "the record does not fit the target type: {}",
                    field_only(&e)
                ),
            )
        })
    }
}

/// serde's messages may quote values (personal data); keep the part that names the field.
pub(crate) fn field_only(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.starts_with("missing field") || text.starts_with("unknown field") {
        text
    } else {
        format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        )
    }
}

impl From<Map<String, Value>> for Record {
    fn from(map: Map<String, Value>) -> Self {
        Record(map)
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("columns", &self.0.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_are_kept_and_readable() {
        let r: Record = serde_json::from_str(
            r#"{"@odata.etag":"W/\"1\"","statuscode":1,"statuscode@OData.Community.Display.V1.FormattedValue":"Active",
               "_parentaccountid_value":"b1bfe6e5-6e45-4b6c-9e0b-6cb47e6e10f1",
               "_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"account","name":"Fourth Coffee"}"#,
        )
        .expect("json");
        assert_eq!(r.etag(), Some("W/\"1\""));
        assert_eq!(r.formatted_value("statuscode"), Some("Active"));
        assert_eq!(
            r.lookup_logical_name("_parentaccountid_value"),
            Some("account")
        );
        assert!(r.get_guid("_parentaccountid_value").is_some());
        assert_eq!(r.columns().count(), 3);
        let round_trip = serde_json::to_string(&r).expect("serialise");
        assert!(round_trip.contains("FormattedValue"));
        assert!(!format!("{r:?}").contains("Fourth Coffee"));
    }

    #[test]
    fn bind_writes_the_odata_bind_annotation() {
        let id = Uuid::nil();
        let r = Record::new()
            .with("subject", "x")
            .bind("parentcustomerid_account", "accounts", id);
        assert_eq!(
            r.get_str("parentcustomerid_account@odata.bind"),
            Some("/accounts(00000000-0000-0000-0000-000000000000)")
        );
    }
}
