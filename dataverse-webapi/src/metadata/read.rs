//! The metadata handle and its calls: read a table's definition, publish, version.

use dynamics_http::Method;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::entity::EntityMetadata;
use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::options::RequestOptions;
use crate::query::{Expand, Query, checked_name};

impl DataverseClient {
    /// Table definitions (metadata) of this org.
    pub fn metadata(&self) -> Metadata {
        Metadata {
            client: self.clone(),
        }
    }

    /// The org's version (`RetrieveVersion`), such as `9.2.24081.00190`.
    pub async fn version(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "Version")]
            version: Option<String>,
        }
        let url = self.url("RetrieveVersion")?;
        let response = self
            .send(self.request(Method::Get, url, &RequestOptions::default()))
            .await?;
        let answer: Answer = response.json()?;
        answer.version.filter(|v| !v.is_empty()).ok_or_else(|| {
            DataverseError::UnexpectedResponse("RetrieveVersion answered without a Version".into())
        })
    }
}

/// Metadata calls on one org. From [`DataverseClient::metadata`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct Metadata {
    client: DataverseClient,
}

/// A table named by logical name (`account`) or by `MetadataId`. A string that is a GUID is
/// taken as a `MetadataId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableRef {
    /// `EntityDefinitions(LogicalName='account')`.
    LogicalName(String),
    /// `EntityDefinitions(<MetadataId>)`.
    Id(Uuid),
}

impl From<&str> for TableRef {
    fn from(name: &str) -> Self {
        match Uuid::parse_str(name) {
            Ok(id) => TableRef::Id(id),
            Err(_) => TableRef::LogicalName(name.to_string()),
        }
    }
}

impl From<&String> for TableRef {
    fn from(name: &String) -> Self {
        TableRef::from(name.as_str())
    }
}

impl From<String> for TableRef {
    fn from(name: String) -> Self {
        TableRef::from(name.as_str())
    }
}

impl From<Uuid> for TableRef {
    fn from(id: Uuid) -> Self {
        TableRef::Id(id)
    }
}

impl TableRef {
    /// `EntityDefinitions(LogicalName='account')` or `EntityDefinitions(<id>)`; a logical
    /// name must be letters, digits and `_`, so no value can change the path.
    pub fn path(&self) -> Result<String> {
        match self {
            TableRef::Id(id) => Ok(format!("EntityDefinitions({id})")),
            TableRef::LogicalName(name) => Ok(format!(
                "EntityDefinitions(LogicalName='{}')",
                checked_name("table logical name", name)?
            )),
        }
    }
}

impl Metadata {
    /// The client the calls go through.
    pub(super) fn client(&self) -> DataverseClient {
        self.client.clone()
    }

    /// One table's definition (`GET EntityDefinitions(LogicalName='account')`), with
    /// optional `$select`/`$expand`. A missing table is a 404 error (`is_not_found`).
    pub fn table(&self, table: impl Into<TableRef>) -> GetTable {
        GetTable {
            client: self.client.clone(),
            table: table.into(),
            select: Vec::new(),
            expand: Vec::new(),
            options: RequestOptions::default(),
        }
    }

    /// Publishes customizations of these tables (`PublishXml`), so changes to their
    /// definitions reach the apps.
    pub async fn publish(&self, tables: &[&str]) -> Result<()> {
        let xml = publish_parameter_xml(tables)?;
        self.client
            .action("PublishXml")
            .body(&json!({ "ParameterXml": xml }))
            .send()
            .await?;
        Ok(())
    }

    /// Publishes all customizations (`PublishAllXml`).
    pub async fn publish_all(&self) -> Result<()> {
        self.client.action("PublishAllXml").send().await?;
        Ok(())
    }
}

/// The `ParameterXml` of `PublishXml` for these tables
/// (`<importexportxml><entities><entity>account</entity></entities></importexportxml>`, the
/// publish request schema). Names must be logical names (letters, digits, `_`).
pub fn publish_parameter_xml(tables: &[&str]) -> Result<String> {
    if tables.is_empty() {
        return Err(DataverseError::invalid(
            "tables to publish",
            "name at least one table, or use publish_all",
        ));
    }
    let mut xml = String::from("<importexportxml><entities>");
    for table in tables {
        // A checked name holds no XML markup, so it needs no escaping.
        let name = checked_name("table logical name", table)?;
        xml.push_str(&format!("<entity>{name}</entity>"));
    }
    xml.push_str("</entities></importexportxml>");
    Ok(xml)
}

/// Reads one table's definition. From [`Metadata::table`].
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct GetTable {
    client: DataverseClient,
    table: TableRef,
    select: Vec<String>,
    expand: Vec<Expand>,
    options: RequestOptions,
}

impl GetTable {
    /// Properties to return (`$select`); `MetadataId` always comes back.
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, properties: I) -> Self {
        self.select
            .extend(properties.into_iter().map(|p| p.as_ref().to_string()));
        self
    }

    /// A collection to include (`Attributes`, `Keys`, `OneToManyRelationships`, ...).
    pub fn expand(mut self, expand: Expand) -> Self {
        self.expand.push(expand);
        self
    }

    read_options!();

    /// The relative URL this sends.
    pub fn relative_url(&self) -> Result<String> {
        let mut query = Query::new("EntityDefinitions").select(&self.select);
        for e in &self.expand {
            query = query.expand(e.clone());
        }
        Ok(format!("{}{}", self.table.path()?, query.options_suffix()?))
    }

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<EntityMetadata> {
        let url = self.client.url(&self.relative_url()?)?;
        let response = self
            .client
            .send(self.client.request(Method::Get, url, &self.options))
            .await?;
        response.json().map_err(Into::into)
    }

    /// Sends the request and answers the definition as the service wrote it (for a
    /// read-modify-write that must not lose what the typed model does not name).
    pub(super) async fn send_raw(self) -> Result<serde_json::Map<String, serde_json::Value>> {
        let url = self.client.url(&self.relative_url()?)?;
        let response = self
            .client
            .send(self.client.request(Method::Get, url, &self.options))
            .await?;
        response.json().map_err(Into::into)
    }
}

send_on_await!([] GetTable => EntityMetadata, 'static);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_paths_and_publish_xml() {
        assert_eq!(
            TableRef::from("account").path().expect("ok"),
            "EntityDefinitions(LogicalName='account')"
        );
        assert_eq!(
            TableRef::from("70816501-edb9-4740-a16c-6a5efbc05d84")
                .path()
                .expect("ok"),
            "EntityDefinitions(70816501-edb9-4740-a16c-6a5efbc05d84)"
        );
        assert!(TableRef::from("account')/x").path().is_err());
        assert_eq!(
            publish_parameter_xml(&["account", "new_bankaccount"]).expect("ok"),
            "<importexportxml><entities><entity>account</entity><entity>new_bankaccount</entity></entities></importexportxml>"
        );
        assert!(publish_parameter_xml(&["<x>"]).is_err());
        assert!(publish_parameter_xml(&[]).is_err());
    }
}
