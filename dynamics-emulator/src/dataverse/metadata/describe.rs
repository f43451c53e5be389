//! Table metadata as the Web API's `EntityDefinitions` JSON: entities, attributes, keys and
//! relationships.

use serde_json::{Map, Value, json};

use super::catalog::Catalog;
use super::model::{AttrKind, Attribute, ManyToMany, OneToMany, OptionDef, Table, schema_name};
use super::spec::TableSpec;
use crate::dataverse::ids::name_uuid;

/// A `Label` with one English localized label.
pub(crate) fn label(text: &str) -> Value {
    let localized = json!({
        "Label": text,
        "LanguageCode": 1033,
        "IsManaged": true,
        "MetadataId": name_uuid("label", text),
        "HasChanged": null,
    });
    json!({ "LocalizedLabels": [localized.clone()], "UserLocalizedLabel": localized })
}

/// A `Label` without text (an empty description).
fn empty_label() -> Value {
    json!({ "LocalizedLabels": [], "UserLocalizedLabel": null })
}

/// A `BooleanManagedProperty`.
fn managed(value: bool, name: &str) -> Value {
    json!({ "Value": value, "CanBeChanged": true, "ManagedPropertyLogicalName": name })
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The `EntityMetadata` properties the emulator answers (and so accepts in `$select` and
/// `$filter`).
pub(crate) const ENTITY_PROPERTIES: [&str; 31] = [
    "MetadataId",
    "LogicalName",
    "SchemaName",
    "EntitySetName",
    "LogicalCollectionName",
    "CollectionSchemaName",
    "PrimaryIdAttribute",
    "PrimaryNameAttribute",
    "ObjectTypeCode",
    "IsCustomEntity",
    "IsActivity",
    "IsIntersect",
    "IsPrivate",
    "IsManaged",
    "IsLogicalEntity",
    "ChangeTrackingEnabled",
    "CanChangeTrackingBeEnabled",
    "IsValidForAdvancedFind",
    "OwnershipType",
    "TableType",
    "DisplayName",
    "DisplayCollectionName",
    "Description",
    "HasActivities",
    "IsKnowledgeManagementEnabled",
    "IsDocumentManagementEnabled",
    "IsBusinessProcessEnabled",
    "IsQuickCreateEnabled",
    "IsStateModelAware",
    "IsAuditEnabled",
    "IsCustomizable",
];

/// An `EntityMetadata` object.
pub(crate) fn entity_json(table: &Table) -> Map<String, Value> {
    let user_owned = table.attribute_index("ownerid").is_some();
    let (display, collection, description, has_activities) = match &table.defined {
        Some(defined) => (
            defined.display.to_json(false),
            defined.collection.to_json(false),
            defined.description.to_json(false),
            defined.has_activities,
        ),
        None => (
            label(&table.display_name),
            label(&plural(&table.display_name)),
            empty_label(),
            table.is_activity || user_owned,
        ),
    };
    object(json!({
        "MetadataId": table.metadata_id,
        "LogicalName": table.logical_name,
        "SchemaName": table.schema_name(),
        "EntitySetName": table.entity_set,
        "LogicalCollectionName": table.entity_set,
        "CollectionSchemaName": schema_name(&table.entity_set),
        "PrimaryIdAttribute": table.primary_id,
        "PrimaryNameAttribute": table.primary_name_attribute(),
        "ObjectTypeCode": table.object_type_code,
        "IsCustomEntity": table.is_custom,
        "IsActivity": table.is_activity,
        "IsIntersect": false,
        "IsPrivate": false,
        "IsManaged": !table.is_custom,
        "IsLogicalEntity": false,
        "ChangeTrackingEnabled": table.change_tracking,
        "CanChangeTrackingBeEnabled": managed(table.can_enable_change_tracking, "canchangetrackingbeenabled"),
        "IsValidForAdvancedFind": true,
        "OwnershipType": if user_owned { "UserOwned" } else { "OrganizationOwned" },
        "TableType": if table.elastic { "Elastic" } else { "Standard" },
        "DisplayName": display,
        "DisplayCollectionName": collection,
        "Description": description,
        "HasActivities": has_activities,
        "IsKnowledgeManagementEnabled": false,
        "IsDocumentManagementEnabled": false,
        "IsBusinessProcessEnabled": false,
        "IsQuickCreateEnabled": false,
        "IsStateModelAware": table.attribute_index("statecode").is_some(),
        "IsAuditEnabled": managed(false, "canmodifyauditsettings"),
        "IsCustomizable": managed(true, "iscustomizable"),
    }))
}

/// The English plural of a display name (the emulator's default `DisplayCollectionName`).
pub(crate) fn plural(name: &str) -> String {
    if let Some(stem) = name.strip_suffix('y')
        && !name.ends_with("ey")
    {
        format!("{stem}ies")
    } else if name.ends_with('s') {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

/// The attribute metadata types of the Web API (without the `Microsoft.Dynamics.CRM.`
/// namespace), each a valid type-cast segment after `Attributes`.
pub(crate) const ATTRIBUTE_TYPES: [&str; 21] = [
    "AttributeMetadata",
    "BigIntAttributeMetadata",
    "BooleanAttributeMetadata",
    "DateTimeAttributeMetadata",
    "DecimalAttributeMetadata",
    "DoubleAttributeMetadata",
    "EntityNameAttributeMetadata",
    "EnumAttributeMetadata",
    "FileAttributeMetadata",
    "ImageAttributeMetadata",
    "IntegerAttributeMetadata",
    "LookupAttributeMetadata",
    "ManagedPropertyAttributeMetadata",
    "MemoAttributeMetadata",
    "MoneyAttributeMetadata",
    "MultiSelectPicklistAttributeMetadata",
    "PicklistAttributeMetadata",
    "StateAttributeMetadata",
    "StatusAttributeMetadata",
    "StringAttributeMetadata",
    "UniqueIdentifierAttributeMetadata",
];

/// Properties every `AttributeMetadata` has.
const BASE_ATTRIBUTE_PROPERTIES: [&str; 22] = [
    "MetadataId",
    "LogicalName",
    "SchemaName",
    "EntityLogicalName",
    "AttributeType",
    "AttributeTypeName",
    "AttributeOf",
    "DisplayName",
    "Description",
    "IsPrimaryId",
    "IsPrimaryName",
    "IsValidForCreate",
    "IsValidForUpdate",
    "IsValidForRead",
    "IsCustomAttribute",
    "IsManaged",
    "IsLogical",
    "IsValidForAdvancedFind",
    "IsFilterable",
    "IsSearchable",
    "RequiredLevel",
    "SourceType",
];

/// The structural properties a metadata type adds to `AttributeMetadata`.
fn derived_properties(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "StringAttributeMetadata" => &["MaxLength", "DatabaseLength", "Format", "FormatName"],
        "MemoAttributeMetadata" => &["MaxLength", "DatabaseLength", "Format"],
        "IntegerAttributeMetadata" => &["MinValue", "MaxValue", "Format"],
        "BigIntAttributeMetadata" => &["MinValue", "MaxValue"],
        "DecimalAttributeMetadata" | "DoubleAttributeMetadata" => {
            &["MinValue", "MaxValue", "Precision"]
        }
        "MoneyAttributeMetadata" => &["MinValue", "MaxValue", "Precision", "PrecisionSource"],
        "BooleanAttributeMetadata" => &["DefaultValue"],
        "DateTimeAttributeMetadata" => &["Format", "DateTimeBehavior"],
        "EnumAttributeMetadata"
        | "PicklistAttributeMetadata"
        | "StateAttributeMetadata"
        | "StatusAttributeMetadata"
        | "MultiSelectPicklistAttributeMetadata"
        | "EntityNameAttributeMetadata" => &["DefaultFormValue"],
        "LookupAttributeMetadata" => &["Targets", "Format"],
        "FileAttributeMetadata" | "ImageAttributeMetadata" => &["MaxSizeInKB"],
        _ => &[],
    }
}

/// Whether `name` is a structural property of the attribute metadata type `type_name`.
pub(crate) fn is_attribute_property(type_name: &str, name: &str) -> bool {
    BASE_ATTRIBUTE_PROPERTIES.contains(&name) || derived_properties(type_name).contains(&name)
}

/// Whether the attribute metadata type `type_name` has the `OptionSet` and `GlobalOptionSet`
/// navigation properties.
pub(crate) fn has_option_set(type_name: &str) -> bool {
    matches!(
        type_name,
        "BooleanAttributeMetadata"
            | "EnumAttributeMetadata"
            | "PicklistAttributeMetadata"
            | "StateAttributeMetadata"
            | "StatusAttributeMetadata"
            | "MultiSelectPicklistAttributeMetadata"
            | "EntityNameAttributeMetadata"
    )
}

/// Whether an attribute of `kind` is an instance of the metadata type `type_name` (its own
/// type, `EnumAttributeMetadata` for the choice kinds, or `AttributeMetadata`).
pub(crate) fn is_instance_of(kind: AttrKind, type_name: &str) -> bool {
    type_name == "AttributeMetadata"
        || type_name == kind.metadata_type()
        || (type_name == "EnumAttributeMetadata"
            && matches!(
                kind,
                AttrKind::Picklist | AttrKind::State | AttrKind::Status
            ))
}

/// An `AttributeMetadata` object (its derived type's properties included, navigation
/// properties left out).
pub(crate) fn attribute_json(
    table: &Table,
    index: usize,
    attribute: &Attribute,
) -> Map<String, Value> {
    let kind = attribute.kind;
    let mut map = Map::new();
    let mut put = |name: &str, value: Value| {
        map.insert(name.to_owned(), value);
    };
    put(
        "@odata.type",
        Value::String(format!("#Microsoft.Dynamics.CRM.{}", kind.metadata_type())),
    );
    put("MetadataId", json!(attribute.metadata_id));
    put("LogicalName", json!(attribute.logical_name));
    put("SchemaName", json!(attribute.schema_name()));
    put("EntityLogicalName", json!(table.logical_name));
    put("AttributeType", json!(kind.type_name()));
    put(
        "AttributeTypeName",
        json!({ "Value": format!("{}Type", kind.type_name()) }),
    );
    put("AttributeOf", Value::Null);
    match &attribute.defined {
        Some(defined) => {
            put("DisplayName", defined.display.to_json(false));
            put("Description", defined.description.to_json(false));
        }
        None => {
            put("DisplayName", label(&attribute.display_name));
            put("Description", empty_label());
        }
    }
    let primary_name = table.primary_name.map(usize::from) == Some(index);
    put("IsPrimaryId", json!(index == 0));
    put("IsPrimaryName", json!(primary_name));
    put("IsValidForCreate", json!(!attribute.read_only));
    put(
        "IsValidForUpdate",
        json!(!attribute.read_only && index != 0),
    );
    put("IsValidForRead", json!(true));
    let custom = attribute.defined.as_ref().is_some_and(|d| d.custom);
    put(
        "IsCustomAttribute",
        json!(
            custom
                || (table.is_custom
                    && index != 0
                    && !TableSpec::is_platform_column(&attribute.logical_name))
        ),
    );
    put("IsManaged", json!(!table.is_custom));
    put("IsLogical", json!(false));
    put(
        "IsValidForAdvancedFind",
        managed(true, "canmodifysearchsettings"),
    );
    put("IsFilterable", json!(true));
    put("IsSearchable", json!(true));
    let required = required_level(table, index, attribute);
    put(
        "RequiredLevel",
        json!({ "Value": required, "CanBeChanged": true, "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings" }),
    );
    put("SourceType", json!(0));
    match kind {
        AttrKind::String | AttrKind::Memo => {
            let max = attribute.max_length.unwrap_or(100);
            put("MaxLength", json!(max));
            put("DatabaseLength", json!(max.saturating_mul(2)));
            if kind == AttrKind::String {
                put("Format", json!("Text"));
                put("FormatName", json!({ "Value": "Text" }));
            } else {
                put("Format", json!("TextArea"));
            }
        }
        AttrKind::Integer => {
            put("MinValue", json!(i32::MIN));
            put("MaxValue", json!(i32::MAX));
            put("Format", json!("None"));
        }
        AttrKind::BigInt => {
            put("MinValue", json!(i64::MIN));
            put("MaxValue", json!(i64::MAX));
        }
        AttrKind::Decimal | AttrKind::Double => {
            let (min, max) = kind.number_range().unwrap_or_default();
            put("MinValue", json!(min));
            put("MaxValue", json!(max));
            put("Precision", json!(attribute.precision.unwrap_or(2)));
        }
        AttrKind::Money => {
            let (min, max) = kind.number_range().unwrap_or_default();
            put("MinValue", json!(min));
            put("MaxValue", json!(max));
            put("Precision", json!(attribute.precision.unwrap_or(4)));
            put("PrecisionSource", json!(2));
        }
        AttrKind::Boolean => put("DefaultValue", json!(false)),
        AttrKind::DateTime | AttrKind::DateOnly => {
            let date_only = kind == AttrKind::DateOnly;
            put(
                "Format",
                json!(if date_only { "DateOnly" } else { "DateAndTime" }),
            );
            put(
                "DateTimeBehavior",
                json!({ "Value": if date_only { "DateOnly" } else { "UserLocal" } }),
            );
        }
        AttrKind::Picklist | AttrKind::State | AttrKind::Status => {
            let default = match kind {
                AttrKind::Picklist => -1,
                _ => attribute.options.first().map_or(-1, |o| o.value),
            };
            put("DefaultFormValue", json!(default));
        }
        AttrKind::Lookup | AttrKind::Customer | AttrKind::Owner => {
            put("Targets", json!(attribute.targets));
            put("Format", json!("None"));
        }
        AttrKind::Uniqueidentifier => {}
    }
    map
}

/// The `RequiredLevel.Value` of a column: as defined, else `SystemRequired` for the primary
/// key and the owner, `ApplicationRequired` for the primary name, `None` for the others.
pub(crate) fn required_level<'a>(table: &Table, index: usize, attribute: &'a Attribute) -> &'a str {
    if let Some(defined) = &attribute.defined {
        return &defined.required_level;
    }
    if index == 0 || attribute.logical_name == "ownerid" {
        "SystemRequired"
    } else if table.primary_name.map(usize::from) == Some(index) {
        "ApplicationRequired"
    } else {
        "None"
    }
}

/// One `OptionMetadata` (a `StateOptionMetadata` or `StatusOptionMetadata` for those kinds).
fn option_json(kind: AttrKind, option: &OptionDef, status: Option<&Attribute>) -> Value {
    let mut map = object(json!({
        "Value": option.value,
        "Color": null,
        "IsManaged": true,
        "ExternalValue": null,
        "ParentValues": [],
        "Tag": null,
        "IsHidden": false,
        "MetadataId": null,
        "HasChanged": null,
        "Label": label(&option.label),
        "Description": empty_label(),
    }));
    match kind {
        AttrKind::State => {
            map.insert(
                "@odata.type".to_owned(),
                json!("#Microsoft.Dynamics.CRM.StateOptionMetadata"),
            );
            map.insert(
                "InvariantName".to_owned(),
                json!(option.label.replace(' ', "")),
            );
            let default_status = status
                .and_then(|s| s.options.iter().find(|o| o.state == Some(option.value)))
                .map(|o| o.value);
            map.insert("DefaultStatus".to_owned(), json!(default_status));
        }
        AttrKind::Status => {
            map.insert(
                "@odata.type".to_owned(),
                json!("#Microsoft.Dynamics.CRM.StatusOptionMetadata"),
            );
            map.insert("State".to_owned(), json!(option.state));
            map.insert("TransitionData".to_owned(), Value::Null);
        }
        _ => {}
    }
    Value::Object(map)
}

/// The `OptionSet` of a choice, state, status or two-options column (`None` for other kinds):
/// an `OptionSetMetadata`, or a `BooleanOptionSetMetadata` for two options. A column using a
/// global option set has `IsGlobal` true, and this is also its `GlobalOptionSet`.
pub(crate) fn option_set_json(table: &Table, attribute: &Attribute) -> Option<Map<String, Value>> {
    let kind = attribute.kind;
    if !kind.has_options() {
        return None;
    }
    let name = attribute
        .defined
        .as_ref()
        .and_then(|d| d.option_set.clone())
        .unwrap_or_else(|| format!("{}_{}", table.logical_name, attribute.logical_name));
    let mut map = object(json!({
        "MetadataId": name_uuid("optionset", &name),
        "HasChanged": null,
        "IsCustomOptionSet": table.is_custom || attribute.defined.as_ref().is_some_and(|d| d.custom),
        "IsGlobal": attribute.global_options,
        "IsManaged": !table.is_custom && attribute.defined.as_ref().is_none_or(|d| !d.custom),
        "Name": name,
        "ExternalTypeName": null,
        "OptionSetType": kind.type_name(),
        "IntroducedVersion": "5.0.0.0",
        "ParentOptionSetName": null,
        "Description": empty_label(),
        "DisplayName": label(&attribute.display_name),
        "IsCustomizable": managed(true, "iscustomizable"),
    }));
    // No `@odata.type`: each attribute type declares its option set's type
    // (`BooleanOptionSetMetadata` for two options, `OptionSetMetadata` otherwise), and the
    // documented answers leave a type out where it is the declared one.
    if kind == AttrKind::Boolean {
        for (property, value) in [("FalseOption", 0), ("TrueOption", 1)] {
            let option = attribute
                .options
                .iter()
                .find(|o| o.value == value)
                .cloned()
                .unwrap_or(OptionDef {
                    value,
                    label: if value == 1 { "Yes" } else { "No" }.to_owned(),
                    state: None,
                });
            map.insert(property.to_owned(), option_json(kind, &option, None));
        }
    } else {
        let status = table
            .attribute_index("statuscode")
            .and_then(|i| table.attribute(i))
            .filter(|a| a.kind == AttrKind::Status);
        let options = attribute
            .options
            .iter()
            .map(|o| option_json(kind, o, status))
            .collect();
        map.insert("Options".to_owned(), Value::Array(options));
    }
    Some(map)
}

/// The members of a collection property (`Attributes`, `Keys`, `…Relationships`).
pub(crate) fn collection(catalog: &Catalog, table: &Table, name: &str) -> Vec<Map<String, Value>> {
    let index = catalog.by_logical(&table.logical_name).unwrap_or_default();
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
                    // Keys are indexed when created, so they are `Active` at once (the service
                    // answers `Pending` until its index job ends).
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
            .map(|r| one_to_many_json(catalog, r))
            .collect(),
        _ => catalog
            .many_to_many
            .iter()
            .filter(|r| r.entity1 == index || r.entity2 == index)
            .map(|r| many_to_many_json(catalog, r))
            .collect(),
    }
}

/// A `OneToManyRelationshipMetadata`.
fn one_to_many_json(catalog: &Catalog, r: &OneToMany) -> Map<String, Value> {
    let referenced = catalog.table(r.referenced);
    let referencing = catalog.table(r.referencing);
    object(json!({
        "MetadataId": r.metadata_id,
        "SchemaName": r.schema_name,
        "RelationshipType": "OneToManyRelationship",
        "ReferencedEntity": referenced.logical_name,
        "ReferencedAttribute": referenced.primary_id,
        "ReferencingEntity": referencing.logical_name,
        "ReferencingAttribute": referencing.attributes.get(usize::from(r.lookup)).map(|a| a.logical_name.as_str()),
        "ReferencedEntityNavigationPropertyName": r.collection_nav,
        "ReferencingEntityNavigationPropertyName": r.single_nav,
    }))
}

/// A `ManyToManyRelationshipMetadata`.
fn many_to_many_json(catalog: &Catalog, r: &ManyToMany) -> Map<String, Value> {
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
}

/// Every relationship (`RelationshipDefinitions`), each with its `@odata.type`: one-to-many
/// first, then many-to-many.
pub(crate) fn relationship_definitions(catalog: &Catalog) -> Vec<Map<String, Value>> {
    let typed = |mut map: Map<String, Value>, type_name: &str| {
        map.insert(
            "@odata.type".to_owned(),
            Value::String(format!("#Microsoft.Dynamics.CRM.{type_name}")),
        );
        map
    };
    catalog
        .one_to_many
        .iter()
        .map(|r| {
            typed(
                one_to_many_json(catalog, r),
                "OneToManyRelationshipMetadata",
            )
        })
        .chain(catalog.many_to_many.iter().map(|r| {
            typed(
                many_to_many_json(catalog, r),
                "ManyToManyRelationshipMetadata",
            )
        }))
        .collect()
}
