//! Relationship definitions (`RelationshipDefinitions`): one-to-many and many-to-many, both
//! derived from `RelationshipMetadataBase` (Learn "Use the Web API with Dataverse metadata").

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::enums::RelationshipType;

/// A relationship definition. The one-to-many properties are filled for a one-to-many
/// relationship, the `Entity1…`/`Entity2…` ones for a many-to-many.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct RelationshipMetadata {
    /// Its id.
    #[serde(default)]
    pub metadata_id: Option<Uuid>,
    /// `account_primary_contact`.
    #[serde(default)]
    pub schema_name: Option<String>,
    /// One-to-many or many-to-many.
    #[serde(default)]
    pub relationship_type: Option<RelationshipType>,
    /// Custom (not from Microsoft).
    #[serde(default)]
    pub is_custom_relationship: Option<bool>,
    /// One-to-many: the "one" table (`contact`).
    #[serde(default)]
    pub referenced_entity: Option<String>,
    /// One-to-many: its key column (`contactid`).
    #[serde(default)]
    pub referenced_attribute: Option<String>,
    /// One-to-many: the "many" table (`account`).
    #[serde(default)]
    pub referencing_entity: Option<String>,
    /// One-to-many: the lookup column (`primarycontactid`).
    #[serde(default)]
    pub referencing_attribute: Option<String>,
    /// One-to-many: the collection-valued navigation property on the "one" table.
    #[serde(default)]
    pub referenced_entity_navigation_property_name: Option<String>,
    /// One-to-many: the single-valued navigation property on the "many" table.
    #[serde(default)]
    pub referencing_entity_navigation_property_name: Option<String>,
    /// Many-to-many: the first table.
    #[serde(default)]
    pub entity1_logical_name: Option<String>,
    /// Many-to-many: the second table.
    #[serde(default)]
    pub entity2_logical_name: Option<String>,
    /// Many-to-many: the intersect table.
    #[serde(default)]
    pub intersect_entity_name: Option<String>,
    /// Many-to-many: the navigation property on the first table.
    #[serde(default)]
    pub entity1_navigation_property_name: Option<String>,
    /// Many-to-many: the navigation property on the second table.
    #[serde(default)]
    pub entity2_navigation_property_name: Option<String>,
    /// Everything else, including `@odata.type`.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RelationshipMetadata {
    /// The kind: `RelationshipType` when sent, else from `@odata.type`, else from which
    /// properties are filled.
    pub fn kind(&self) -> Option<RelationshipType> {
        if let Some(kind) = &self.relationship_type {
            return Some(kind.clone());
        }
        let odata_type = self.extra.get("@odata.type").and_then(Value::as_str);
        match odata_type.map(|t| t.trim_start_matches('#')) {
            Some("Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata") => {
                Some(RelationshipType::OneToMany)
            }
            Some("Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata") => {
                Some(RelationshipType::ManyToMany)
            }
            _ if self.referencing_entity.is_some() => Some(RelationshipType::OneToMany),
            _ if self.intersect_entity_name.is_some() => Some(RelationshipType::ManyToMany),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_kinds_parse_and_tell_their_kind() {
        let one: RelationshipMetadata = serde_json::from_value(json!({
            "@odata.type": "#Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
            "SchemaName": "account_primary_contact", "ReferencedEntity": "contact",
            "ReferencingEntity": "account", "ReferencingAttribute": "primarycontactid",
            "CascadeConfiguration": {"Assign": "NoCascade"}
        }))
        .expect("one-to-many");
        assert_eq!(one.kind(), Some(RelationshipType::OneToMany));
        assert!(one.extra.contains_key("CascadeConfiguration"));
        let many: RelationshipMetadata = serde_json::from_value(json!({
            "RelationshipType": "ManyToManyRelationship", "Entity1LogicalName": "account",
            "Entity2LogicalName": "lead", "IntersectEntityName": "accountleads"
        }))
        .expect("many-to-many");
        assert_eq!(many.kind(), Some(RelationshipType::ManyToMany));
        let unknown: RelationshipMetadata =
            serde_json::from_value(json!({"RelationshipType": "Polymorphic"})).expect("parses");
        assert_eq!(
            unknown.kind(),
            Some(RelationshipType::Unknown("Polymorphic".into()))
        );
    }
}
