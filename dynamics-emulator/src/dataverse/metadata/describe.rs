//! Table metadata as the Web API's `EntityDefinitions` JSON: entities, attributes, keys and
//! relationships.

use serde_json::{Map, Value, json};

use super::catalog::Catalog;
use super::model::{Attribute, Table, schema_name};

/// A `Label` with one English localized label.
fn label(text: &str) -> Value {
    let localized = json!({ "Label": text, "LanguageCode": 1033 });
    json!({ "LocalizedLabels": [localized.clone()], "UserLocalizedLabel": localized })
}

/// An `EntityMetadata` object.
pub(crate) fn entity_json(table: &Table) -> Map<String, Value> {
    let value = json!({
        "MetadataId": table.metadata_id,
        "LogicalName": table.logical_name,
        "SchemaName": schema_name(&table.logical_name),
        "EntitySetName": table.entity_set,
        "LogicalCollectionName": table.entity_set,
        "CollectionSchemaName": schema_name(&table.entity_set),
        "PrimaryIdAttribute": table.primary_id,
        "PrimaryNameAttribute": table.primary_name_attribute(),
        "ObjectTypeCode": table.object_type_code,
        "IsCustomEntity": table.is_custom,
        "IsActivity": table.is_activity,
        "IsIntersect": false,
        "ChangeTrackingEnabled": table.change_tracking,
        "IsValidForAdvancedFind": true,
        "OwnershipType": if table.attribute_index("ownerid").is_some() { "UserOwned" } else { "OrganizationOwned" },
        "DisplayName": label(&table.display_name),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// An `AttributeMetadata` object.
fn attribute_json(table: &Table, index: usize, attribute: &Attribute) -> Map<String, Value> {
    let kind = attribute.kind;
    let mut map = Map::new();
    map.insert(
        "@odata.type".to_owned(),
        Value::String(format!(
            "#Microsoft.Dynamics.CRM.{}AttributeMetadata",
            kind.type_name()
        )),
    );
    map.insert("MetadataId".to_owned(), json!(attribute.metadata_id));
    map.insert("LogicalName".to_owned(), json!(attribute.logical_name));
    map.insert("SchemaName".to_owned(), json!(attribute.schema_name()));
    map.insert("EntityLogicalName".to_owned(), json!(table.logical_name));
    map.insert("AttributeType".to_owned(), json!(kind.type_name()));
    map.insert(
        "AttributeTypeName".to_owned(),
        json!({ "Value": format!("{}Type", kind.type_name()) }),
    );
    map.insert("IsPrimaryId".to_owned(), json!(index == 0));
    map.insert(
        "IsPrimaryName".to_owned(),
        json!(table.primary_name.map(usize::from) == Some(index)),
    );
    map.insert("IsValidForCreate".to_owned(), json!(!attribute.read_only));
    map.insert(
        "IsValidForUpdate".to_owned(),
        json!(!attribute.read_only && index != 0),
    );
    map.insert("IsValidForRead".to_owned(), json!(true));
    if let Some(max) = attribute.max_length {
        map.insert("MaxLength".to_owned(), json!(max));
    }
    if let Some(precision) = attribute.precision {
        map.insert("Precision".to_owned(), json!(precision));
    }
    if !attribute.targets.is_empty() {
        map.insert("Targets".to_owned(), json!(attribute.targets));
    }
    map
}

/// The members of a collection property (`Attributes`, `Keys`, `…Relationships`).
pub(crate) fn collection(catalog: &Catalog, table: &Table, name: &str) -> Vec<Map<String, Value>> {
    let index = catalog.by_logical(&table.logical_name).unwrap_or_default();
    let object = |value: Value| match value {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    match name {
        "Attributes" => table
            .attributes
            .iter()
            .enumerate()
            .map(|(i, a)| attribute_json(table, i, a))
            .collect(),
        "Keys" => table
            .alternate_keys
            .iter()
            .map(|key| {
                object(json!({
                    "MetadataId": key.metadata_id,
                    "LogicalName": key.logical_name,
                    "SchemaName": schema_name(&key.logical_name),
                    "EntityLogicalName": table.logical_name,
                    "KeyAttributes": key.attributes.iter().filter_map(|a| table.attribute(*a)).map(|a| a.logical_name.clone()).collect::<Vec<_>>(),
                    "EntityKeyIndexStatus": "Active",
                }))
            })
            .collect(),
        "OneToManyRelationships" | "ManyToOneRelationships" => catalog
            .one_to_many
            .iter()
            .filter(|r| {
                if name == "OneToManyRelationships" {
                    r.referenced == index
                } else {
                    r.referencing == index
                }
            })
            .map(|r| {
                let referenced = catalog.table(r.referenced);
                let referencing = catalog.table(r.referencing);
                object(json!({
                    "MetadataId": r.metadata_id,
                    "SchemaName": r.schema_name,
                    "RelationshipType": "OneToManyRelationship",
                    "ReferencedEntity": referenced.logical_name,
                    "ReferencedAttribute": referenced.primary_id,
                    "ReferencingEntity": referencing.logical_name,
                    "ReferencingAttribute": referencing.attributes[usize::from(r.lookup)].logical_name,
                    "ReferencedEntityNavigationPropertyName": r.collection_nav,
                    "ReferencingEntityNavigationPropertyName": r.single_nav,
                }))
            })
            .collect(),
        _ => catalog
            .many_to_many
            .iter()
            .filter(|r| r.entity1 == index || r.entity2 == index)
            .map(|r| {
                object(json!({
                    "MetadataId": r.metadata_id,
                    "SchemaName": r.schema_name,
                    "RelationshipType": "ManyToManyRelationship",
                    "Entity1LogicalName": catalog.table(r.entity1).logical_name,
                    "Entity2LogicalName": catalog.table(r.entity2).logical_name,
                    "IntersectEntityName": r.intersect,
                    "Entity1NavigationPropertyName": r.nav1,
                    "Entity2NavigationPropertyName": r.nav2,
                }))
            })
            .collect(),
    }
}
