//! Table definitions (`EntityMetadata`) and alternate keys (`EntityKeyMetadata`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::attribute::AttributeMetadata;
use super::enums::{KeyIndexStatus, OwnershipType, TableType};
use super::label::{Label, ManagedProperty};

/// A table definition. Collections are empty unless the request expanded them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct EntityMetadata {
    /// Its id.
    #[serde(default)]
    pub metadata_id: Option<Uuid>,
    /// `account`.
    #[serde(default)]
    pub logical_name: Option<String>,
    /// `Account`.
    #[serde(default)]
    pub schema_name: Option<String>,
    /// `accounts`.
    #[serde(default)]
    pub entity_set_name: Option<String>,
    /// `accountid`.
    #[serde(default)]
    pub primary_id_attribute: Option<String>,
    /// `name`.
    #[serde(default)]
    pub primary_name_attribute: Option<String>,
    /// The table's type code.
    #[serde(default)]
    pub object_type_code: Option<i64>,
    /// Custom (not from Microsoft).
    #[serde(default)]
    pub is_custom_entity: Option<bool>,
    /// Change tracking is on (it cannot be turned off again).
    #[serde(default)]
    pub change_tracking_enabled: Option<bool>,
    /// Whether change tracking may be turned on.
    #[serde(default)]
    pub can_change_tracking_be_enabled: Option<ManagedProperty<bool>>,
    /// Standard, activity, virtual, elastic.
    #[serde(default)]
    pub table_type: Option<TableType>,
    /// Who owns the rows.
    #[serde(default)]
    pub ownership_type: Option<OwnershipType>,
    /// The display name.
    #[serde(default)]
    pub display_name: Option<Label>,
    /// The plural display name.
    #[serde(default)]
    pub display_collection_name: Option<Label>,
    /// The description.
    #[serde(default)]
    pub description: Option<Label>,
    /// The columns (`$expand=Attributes`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub attributes: Vec<AttributeMetadata>,
    /// The alternate keys (`$expand=Keys`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub keys: Vec<EntityKeyMetadata>,
    /// One-to-many relationships (`$expand=OneToManyRelationships`), as JSON.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub one_to_many_relationships: Vec<Map<String, Value>>,
    /// Many-to-one relationships (`$expand=ManyToOneRelationships`), as JSON.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub many_to_one_relationships: Vec<Map<String, Value>>,
    /// Many-to-many relationships (`$expand=ManyToManyRelationships`), as JSON.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub many_to_many_relationships: Vec<Map<String, Value>>,
    /// Everything else the service sent (hundreds of properties).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An alternate key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct EntityKeyMetadata {
    /// Its id.
    #[serde(default)]
    pub metadata_id: Option<Uuid>,
    /// The key's logical name.
    #[serde(default)]
    pub logical_name: Option<String>,
    /// The key's schema name.
    #[serde(default)]
    pub schema_name: Option<String>,
    /// The columns that make the key.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub key_attributes: Vec<String>,
    /// The state of its index; the key can be used once `Active`.
    #[serde(default)]
    pub entity_key_index_status: Option<KeyIndexStatus>,
    /// The display name.
    #[serde(default)]
    pub display_name: Option<Label>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sparse_and_expanded_definitions_parse() {
        let sparse: EntityMetadata = serde_json::from_value(json!({
            "EntitySetName": "accounts", "MetadataId": "70816501-edb9-4740-a16c-6a5efbc05d84",
            "IsKnowledgeManagementEnabled": false
        }))
        .expect("sparse");
        assert_eq!(sparse.entity_set_name.as_deref(), Some("accounts"));
        assert!(sparse.attributes.is_empty());
        assert!(sparse.extra.contains_key("IsKnowledgeManagementEnabled"));
        let full: EntityMetadata = serde_json::from_value(json!({
            "LogicalName": "new_bankaccount", "OwnershipType": "UserOwned", "TableType": "Standard",
            "ChangeTrackingEnabled": false,
            "CanChangeTrackingBeEnabled": {"Value": true, "CanBeChanged": true, "ManagedPropertyLogicalName": "canchangetrackingbeenabled"},
            "Keys": [{"KeyAttributes": ["accountnumber"], "EntityKeyIndexStatus": "Active"}],
            "Attributes": [{"LogicalName": "name", "AttributeType": "String"}],
            "OneToManyRelationships": null
        }))
        .expect("full");
        assert_eq!(full.ownership_type, Some(OwnershipType::UserOwned));
        assert_eq!(
            full.can_change_tracking_be_enabled.map(|p| p.value),
            Some(true)
        );
        assert_eq!(
            full.keys[0].entity_key_index_status,
            Some(KeyIndexStatus::Active)
        );
        assert_eq!(full.attributes.len(), 1);
    }
}
