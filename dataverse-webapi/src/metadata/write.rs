//! Writes to definitions: create a table, a column, an alternate key or a global choice;
//! update a table or a column (read it whole, change it, put it back); enable change
//! tracking.
//!
//! Sources: Learn "Create and update table definitions using the Web API" (create answers 204
//! with the new definition's URL in `OData-EntityId`; updates are `PUT` of the full definition
//! with `MSCRM.MergeLabels: true`, as `PATCH` is not supported for definitions; publish after
//! changing), "Create and update column definitions using the Web API", and "Use change
//! tracking to synchronize data with external systems" (`ChangeTrackingEnabled`, governed by
//! `CanChangeTrackingBeEnabled`; once on it cannot be turned off). REFERENCE.md 3.13.

use dynamics_http::Method;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::attribute::AttributeMetadata;
use super::define::{ColumnDefinition, GlobalChoiceDefinition, KeyDefinition, TableDefinition};
use super::entity::EntityMetadata;
use super::error::MetadataError;
use super::read::{Metadata, TableRef};
use crate::error::{DataverseError, Result};
use crate::key::{RecordKey, parse_entity_id};
use crate::options::RequestOptions;
use crate::query::checked_name;

/// The namespace of the metadata types.
const NS: &str = "Microsoft.Dynamics.CRM.";

/// How [`Metadata::enable_change_tracking`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeTrackingOutcome {
    /// It was already on; nothing was sent.
    AlreadyEnabled,
    /// It is now on, and the table was published.
    Enabled,
}

impl Metadata {
    /// Creates a table with its primary name column (`POST EntityDefinitions`) and answers
    /// its `MetadataId`. Add columns with [`Metadata::add_column`], then
    /// [`publish`](Metadata::publish) it.
    pub async fn create_table(&self, table: &TableDefinition) -> Result<Uuid> {
        let body = table.to_body()?;
        self.post_definition(
            "EntityDefinitions".to_string(),
            &body,
            table.solution.as_deref(),
        )
        .await
    }

    /// Adds a column to a table (`POST EntityDefinitions(…)/Attributes`) and answers its
    /// `MetadataId`.
    pub async fn add_column(
        &self,
        table: impl Into<TableRef>,
        column: &ColumnDefinition,
    ) -> Result<Uuid> {
        let path = format!("{}/Attributes", table.into().path()?);
        let body = column.to_body()?;
        self.post_definition(path, &body, column.solution.as_deref())
            .await
    }

    /// Adds an alternate key (`POST EntityDefinitions(…)/Keys`) and answers its
    /// `MetadataId`. The service builds the key's index in a system job: the key is usable
    /// once [`wait_for_key_active`](Metadata::wait_for_key_active) says so.
    pub async fn add_key(&self, table: impl Into<TableRef>, key: &KeyDefinition) -> Result<Uuid> {
        let path = format!("{}/Keys", table.into().path()?);
        let body = key.to_body()?;
        self.post_definition(path, &body, key.solution.as_deref())
            .await
    }

    /// Creates a global choice (`POST GlobalOptionSetDefinitions`) and answers its
    /// `MetadataId`, which [`GlobalOptionSetRef::Id`](super::GlobalOptionSetRef::Id) binds.
    pub async fn create_global_choice(&self, choice: &GlobalChoiceDefinition) -> Result<Uuid> {
        let body = choice.to_body()?;
        self.post_definition(
            "GlobalOptionSetDefinitions".to_string(),
            &body,
            choice.solution.as_deref(),
        )
        .await
    }

    /// Changes a table's definition: reads it whole, lets `change` edit it, and puts it back
    /// (`PUT EntityDefinitions(<MetadataId>)` with `MSCRM.MergeLabels: true`, so labels in
    /// languages not sent are kept). [`publish`](Metadata::publish) afterwards so the apps
    /// see the change.
    pub async fn update_table<F>(&self, table: impl Into<TableRef>, change: F) -> Result<()>
    where
        F: FnOnce(&mut EntityMetadata),
    {
        let table = table.into();
        let original: Map<String, Value> = self.table(table.clone()).send_raw().await?;
        let mut definition: EntityMetadata =
            serde_json::from_value(Value::Object(original.clone())).map_err(|e| {
                DataverseError::UnexpectedResponse(format!("the table definition: {e}"))
            })?;
        change(&mut definition);
        let body = put_body(&original, &definition)?;
        // The docs' example puts to the MetadataId; fall back to how the caller named it.
        let target = definition.metadata_id.map(TableRef::Id).unwrap_or(table);
        let client = self.client();
        let request = client
            .request(
                Method::Put,
                client.url(&target.path()?)?,
                &RequestOptions::default(),
            )
            .header("MSCRM.MergeLabels", "true")
            .json(&body)?;
        client.send(request).await?;
        Ok(())
    }

    /// Changes a column's definition: reads it whole as its own type (a first read names the
    /// type, a second through the type cast returns its properties), lets `change` edit it,
    /// and puts it back (`PUT EntityDefinitions(…)/Attributes(LogicalName='…')` with its
    /// `@odata.type` and `MSCRM.MergeLabels: true`). Expanded option sets are left out:
    /// options change through their own actions. [`publish`](Metadata::publish) afterwards.
    pub async fn update_column<F>(
        &self,
        table: impl Into<TableRef>,
        column: &str,
        change: F,
    ) -> Result<()>
    where
        F: FnOnce(&mut AttributeMetadata),
    {
        let path = format!(
            "{}/Attributes(LogicalName='{}')",
            table.into().path()?,
            checked_name("column logical name", column)?
        );
        let first = self.get_raw(&path).await?;
        let derived = first
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(|t| t.trim_start_matches('#'))
            .filter(|t| is_derived_attribute_type(t))
            .map(str::to_string);
        let original = match &derived {
            Some(type_name) => self.get_raw(&format!("{path}/{type_name}")).await?,
            None => first,
        };
        let mut definition: AttributeMetadata =
            serde_json::from_value(Value::Object(original.clone())).map_err(|e| {
                DataverseError::UnexpectedResponse(format!("the column definition: {e}"))
            })?;
        change(&mut definition);
        let mut body = put_body(&original, &definition)?;
        if let Some(map) = body.as_object_mut() {
            map.remove("OptionSet");
            map.remove("GlobalOptionSet");
            if let Some(type_name) = derived {
                map.insert("@odata.type".into(), Value::String(type_name));
            }
        }
        let client = self.client();
        let request = client
            .request(Method::Put, client.url(&path)?, &RequestOptions::default())
            .header("MSCRM.MergeLabels", "true")
            .json(&body)?;
        client.send(request).await?;
        Ok(())
    }

    /// Turns change tracking on for a table, which lets `Prefer: odata.track-changes` return
    /// delta links for it. **Irreversible**: the service never turns it off again.
    ///
    /// Reads `ChangeTrackingEnabled` and `CanChangeTrackingBeEnabled` first: already on
    /// answers [`ChangeTrackingOutcome::AlreadyEnabled`] without writing; not allowed is
    /// [`MetadataError::ChangeTrackingNotAllowed`]; otherwise the definition is updated
    /// ([`update_table`](Metadata::update_table)) and the table published.
    pub async fn enable_change_tracking(
        &self,
        table: impl Into<TableRef>,
    ) -> Result<ChangeTrackingOutcome> {
        let table = table.into();
        let current = self
            .table(table.clone())
            .select([
                "LogicalName",
                "ChangeTrackingEnabled",
                "CanChangeTrackingBeEnabled",
            ])
            .send()
            .await?;
        let name = current
            .logical_name
            .clone()
            .unwrap_or_else(|| describe(&table));
        if current.change_tracking_enabled == Some(true) {
            return Ok(ChangeTrackingOutcome::AlreadyEnabled);
        }
        // UNCONFIRMED: when the service leaves CanChangeTrackingBeEnabled out, try the update
        // and let the service decide.
        if current
            .can_change_tracking_be_enabled
            .as_ref()
            .is_some_and(|p| !p.value)
        {
            return Err(MetadataError::ChangeTrackingNotAllowed {
                table: name,
                reason: "its CanChangeTrackingBeEnabled is false (the table's type or a managed solution does not allow it)".into(),
            }
            .into());
        }
        self.update_table(table, |d| d.change_tracking_enabled = Some(true))
            .await?;
        self.publish(&[name.as_str()]).await?;
        Ok(ChangeTrackingOutcome::Enabled)
    }

    /// A definition as the service wrote it.
    async fn get_raw(&self, path: &str) -> Result<Map<String, Value>> {
        let client = self.client();
        let request = client.request(Method::Get, client.url(path)?, &RequestOptions::default());
        client.send(request).await?.json().map_err(Into::into)
    }

    /// POSTs a new definition and reads its id from `OData-EntityId`
    /// (`…/EntityDefinitions(<id>)`, `…/Attributes(<id>)`, `…/Keys(<id>)`).
    async fn post_definition(
        &self,
        path: String,
        body: &Value,
        solution: Option<&str>,
    ) -> Result<Uuid> {
        let client = self.client();
        let options = RequestOptions {
            solution_unique_name: solution.map(str::to_string),
            ..Default::default()
        };
        let request = client
            .request(Method::Post, client.url(&path)?, &options)
            .json(body)?;
        let response = client.send(request).await?;
        let header = response.header("OData-EntityId").ok_or_else(|| {
            DataverseError::UnexpectedResponse(
                "the new definition came back without OData-EntityId".into(),
            )
        })?;
        match parse_entity_id(client.api_root(), header)? {
            (_, RecordKey::Id(id)) => Ok(id),
            _ => Err(DataverseError::UnexpectedResponse(
                "the new definition's URL (OData-EntityId) does not end in its MetadataId".into(),
            )),
        }
    }
}

/// A type the service named that is safe to put in a path and is a derived column type
/// (`Microsoft.Dynamics.CRM.StringAttributeMetadata`, not the base `AttributeMetadata`).
fn is_derived_attribute_type(type_name: &str) -> bool {
    type_name.strip_prefix(NS).is_some_and(|short| {
        short != "AttributeMetadata"
            && short.ends_with("AttributeMetadata")
            && short.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// How a table is named in messages.
pub(super) fn describe(table: &TableRef) -> String {
    match table {
        TableRef::LogicalName(name) => name.clone(),
        TableRef::Id(id) => id.to_string(),
    }
}

/// The `PUT` body: the edited definition, without the answer's `@odata.context`, and without
/// the empty or null properties the read did not have (collections that were not expanded,
/// fields the service did not send), so the update changes only what the caller changed.
pub(super) fn put_body<T: serde::Serialize>(
    original: &Map<String, Value>,
    edited: &T,
) -> Result<Value> {
    let Value::Object(mut body) = serde_json::to_value(edited).map_err(|e| {
        DataverseError::invalid("definition", format!("it cannot be serialised: {e}"))
    })?
    else {
        return Err(DataverseError::invalid(
            "definition",
            "it must serialise to a JSON object",
        ));
    };
    body.remove("@odata.context");
    body.retain(|name, value| {
        let empty = value.is_null() || value.as_array().is_some_and(Vec::is_empty);
        !empty || original.contains_key(name)
    });
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_safe_derived_column_types_become_a_cast() {
        assert!(is_derived_attribute_type(
            "Microsoft.Dynamics.CRM.StringAttributeMetadata"
        ));
        assert!(!is_derived_attribute_type(
            "Microsoft.Dynamics.CRM.AttributeMetadata"
        ));
        assert!(!is_derived_attribute_type(
            "Microsoft.Dynamics.CRM.X/../../accountsAttributeMetadata"
        ));
        assert!(!is_derived_attribute_type("Other.StringAttributeMetadata"));
    }

    #[test]
    fn the_put_body_keeps_what_was_read_and_the_change_only() {
        let original = json!({
            "@odata.context": "https://x/api/data/v9.2/$metadata#EntityDefinitions/$entity",
            "MetadataId": "417129e1-207c-e511-80d2-00155d2a68d2",
            "LogicalName": "new_bankaccount",
            "ChangeTrackingEnabled": false,
            "Description": null,
            "IsAuditEnabled": {"Value": false, "CanBeChanged": true, "ManagedPropertyLogicalName": "canmodifyauditsettings"},
            "DisplayName": {"LocalizedLabels": [{"Label": "Bank Account", "LanguageCode": 1033}], "UserLocalizedLabel": null}
        });
        let map = original.as_object().expect("object").clone();
        let mut edited: EntityMetadata = serde_json::from_value(original).expect("definition");
        edited.change_tracking_enabled = Some(true);
        let body = put_body(&map, &edited).expect("body");
        assert_eq!(body["ChangeTrackingEnabled"], true);
        assert_eq!(body["LogicalName"], "new_bankaccount");
        assert_eq!(body["IsAuditEnabled"]["CanBeChanged"], true);
        assert!(body.get("@odata.context").is_none());
        assert!(
            body.get("Description").is_some(),
            "a null that was read stays"
        );
        assert!(body.get("Attributes").is_none(), "not expanded, not sent");
        assert!(body.get("SchemaName").is_none(), "not read, not sent");
        assert_eq!(
            body["DisplayName"]["LocalizedLabels"][0]["Label"],
            "Bank Account"
        );
    }
}
