//! One column of one row, read or written alone: `table.property(id, "name").get().await`.

use std::fmt;

use dynamics_http::Method;
use serde_json::Value;
use url::Url;

use crate::error::Result;
use crate::key::RecordKey;
use crate::options::RequestOptions;
use crate::query::checked_name;
use crate::table::Table;

impl Table {
    /// One column of one row, by id or alternate key, to read, set or clear alone.
    pub fn property(&self, key: impl Into<RecordKey>, column: &str) -> Property<'_> {
        Property {
            table: self,
            key: key.into(),
            column: column.to_string(),
        }
    }
}

/// One column of one row. From [`Table::property`].
#[derive(Clone)]
pub struct Property<'a> {
    table: &'a Table,
    key: RecordKey,
    column: String,
}

impl fmt::Debug for Property<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Property")
            .field("table", &self.table.entity_set())
            .field("key", &self.key)
            .field("column", &self.column)
            .finish()
    }
}

impl<'a> Property<'a> {
    /// Reads the value (`GET {row}/{column}` → `{"value": ...}`); `Null` when the column is
    /// empty (the service answers 204 No Content).
    pub fn get(&self) -> PropertyRead<'a> {
        PropertyRead {
            property: self.clone(),
            options: RequestOptions::default(),
        }
    }

    /// Sets the value (`PUT {row}/{column}` with `{"value": ...}`).
    pub fn put(&self, value: impl Into<Value>) -> PropertyWrite<'a> {
        PropertyWrite {
            property: self.clone(),
            value: Some(value.into()),
            options: RequestOptions::default(),
        }
    }

    /// Clears the value (`DELETE {row}/{column}`).
    pub fn delete(&self) -> PropertyWrite<'a> {
        PropertyWrite {
            property: self.clone(),
            value: None,
            options: RequestOptions::default(),
        }
    }

    fn url(&self) -> Result<Url> {
        let column = checked_name("column", &self.column)?;
        let set = checked_name("entity set", self.table.entity_set())?;
        self.table
            .client()
            .url(&format!("{set}{}/{column}", self.key.segment()?))
    }
}

/// Reads one column. From [`Property::get`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct PropertyRead<'a> {
    property: Property<'a>,
    options: RequestOptions,
}

impl fmt::Debug for PropertyRead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropertyRead")
            .field("property", &self.property)
            .finish_non_exhaustive()
    }
}

impl PropertyRead<'_> {
    read_options!();

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<Value> {
        let client = self.property.table.client();
        let url = self.property.url()?;
        let response = client
            .send(client.request(Method::Get, url, &self.options))
            .await?;
        // A null property is answered 204 No Content.
        if response.status() == 204 || response.body().iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        let body: Value = response.json()?;
        Ok(body.get("value").cloned().unwrap_or(Value::Null))
    }
}

send_on_await!(['a] PropertyRead<'a> => Value, 'a);

/// Sets or clears one column. From [`Property::put`] and [`Property::delete`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct PropertyWrite<'a> {
    property: Property<'a>,
    /// `None` clears the column.
    value: Option<Value>,
    options: RequestOptions,
}

impl fmt::Debug for PropertyWrite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value may be personal data.
        f.debug_struct("PropertyWrite")
            .field("property", &self.property)
            .field("clears", &self.value.is_none())
            .finish_non_exhaustive()
    }
}

impl PropertyWrite<'_> {
    request_options!();

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<()> {
        let client = self.property.table.client();
        let url = self.property.url()?;
        let request = match &self.value {
            Some(value) => client
                .request(Method::Put, url, &self.options)
                .json(&serde_json::json!({ "value": value }))?,
            None => client.request(Method::Delete, url, &self.options),
        };
        client.send(request).await?;
        Ok(())
    }
}

send_on_await!(['a] PropertyWrite<'a> => (), 'a);
