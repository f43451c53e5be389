//! Relationships sent through the Web API (`POST RelationshipDefinitions`): a
//! `OneToManyRelationshipMetadata` with its `Lookup` column (created with it, as by deep
//! insert) or a `ManyToManyRelationshipMetadata`, read and added to the catalog. Properties from
//! Learn "Create and update table relationships using the Web API".

use serde_json::{Map, Value};
use uuid::Uuid;

use super::catalog::Catalog;
use super::columns::{read_texts, type_name};
use super::definition::ColumnDefinition;
use super::model::{AttrKind, Attribute, ManyToMany, OneToMany};
use super::naming::{check_schema_name, logical_name};

/// A relationship read from a request, ready to add.
pub(crate) enum NewRelationship {
    /// One-to-many, with the lookup column to add to the referencing table.
    OneToMany(OneToMany, Attribute),
    /// Many-to-many.
    ManyToMany(ManyToMany),
}

fn text<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn table(catalog: &Catalog, body: &Map<String, Value>, property: &str) -> Result<u16, String> {
    let name = text(body, property).ok_or_else(|| format!("'{property}' is required."))?;
    catalog
        .by_logical(&name.to_ascii_lowercase())
        .ok_or_else(|| format!("'{property}' names the table {name}, which does not exist."))
}

/// The relationship a `POST RelationshipDefinitions` body defines.
pub(crate) fn read_relationship(
    catalog: &Catalog,
    body: &Map<String, Value>,
) -> Result<NewRelationship, String> {
    let schema_name = text(body, "SchemaName").unwrap_or_default();
    check_schema_name(schema_name, "relationship")?;
    let taken = catalog
        .one_to_many
        .iter()
        .map(|r| &r.schema_name)
        .chain(catalog.many_to_many.iter().map(|r| &r.schema_name))
        .any(|s| s.eq_ignore_ascii_case(schema_name));
    if taken {
        return Err(format!(
            "A relationship named {schema_name} already exists."
        ));
    }
    match type_name(body) {
        Some("OneToManyRelationshipMetadata") => read_one_to_many(catalog, body, schema_name),
        Some("ManyToManyRelationshipMetadata") => read_many_to_many(catalog, body, schema_name),
        Some(other) => Err(format!(
            "'@odata.type' must be Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata or Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata, not {other}."
        )),
        None => Err("A relationship needs an '@odata.type': Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata (with its 'Lookup') or Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata.".to_owned()),
    }
}

fn read_one_to_many(
    catalog: &Catalog,
    body: &Map<String, Value>,
    schema_name: &str,
) -> Result<NewRelationship, String> {
    let referenced = table(catalog, body, "ReferencedEntity")?;
    let referencing = table(catalog, body, "ReferencingEntity")?;
    let primary = &catalog.table(referenced).primary_id;
    if let Some(attribute) = text(body, "ReferencedAttribute")
        && !attribute.eq_ignore_ascii_case(primary)
    {
        return Err(format!(
            "'ReferencedAttribute' must be the primary key of the referenced table, {primary}; the emulator does not relate by {attribute}."
        ));
    }
    let lookup = body
        .get("Lookup")
        .and_then(Value::as_object)
        .ok_or("A one-to-many relationship is created with its lookup column: set 'Lookup' to a Microsoft.Dynamics.CRM.LookupAttributeMetadata.")?;
    if let Some(kind) = type_name(lookup)
        && kind != "LookupAttributeMetadata"
    {
        return Err(format!(
            "'Lookup' must be a Microsoft.Dynamics.CRM.LookupAttributeMetadata, not {kind}."
        ));
    }
    let lookup_schema = text(lookup, "SchemaName").unwrap_or_default();
    check_schema_name(lookup_schema, "lookup column")?;
    let lookup_logical = logical_name(lookup_schema);
    let referencing_table = catalog.table(referencing);
    if referencing_table.attribute_index(&lookup_logical).is_some() {
        return Err(format!(
            "{} already has a column named {lookup_logical}.",
            referencing_table.logical_name
        ));
    }
    let texts = read_texts(lookup)?;
    if texts.display.is_empty() {
        return Err(format!(
            "The lookup column {lookup_schema} needs a 'DisplayName'."
        ));
    }
    let attribute = Attribute {
        logical_name: lookup_logical,
        kind: AttrKind::Lookup,
        max_length: None,
        precision: None,
        options: Vec::new(),
        targets: vec![catalog.table(referenced).logical_name.clone()],
        read_only: false,
        display_name: texts.display.text().to_owned(),
        global_options: false,
        metadata_id: Uuid::new_v4(),
        defined: Some(Box::new(ColumnDefinition {
            schema_name: lookup_schema.to_owned(),
            display: texts.display,
            description: texts.description,
            required_level: texts.required_level.unwrap_or_else(|| "None".to_owned()),
            custom: true,
            option_set: None,
        })),
    };
    // The docs' example leaves the navigation property names out; the service then names the
    // collection after the relationship and the single-valued one after the lookup's schema
    // name (UNCONFIRMED: what the service picks; names sent are kept as sent).
    let relationship = OneToMany {
        schema_name: schema_name.to_owned(),
        referenced,
        referencing,
        // Set by the caller once the column is added.
        lookup: 0,
        collection_nav: text(body, "ReferencedEntityNavigationPropertyName")
            .unwrap_or(schema_name)
            .to_owned(),
        single_nav: text(body, "ReferencingEntityNavigationPropertyName")
            .unwrap_or(lookup_schema)
            .to_owned(),
        metadata_id: Uuid::new_v4(),
        custom: true,
    };
    Ok(NewRelationship::OneToMany(relationship, attribute))
}

fn read_many_to_many(
    catalog: &Catalog,
    body: &Map<String, Value>,
    schema_name: &str,
) -> Result<NewRelationship, String> {
    let entity1 = table(catalog, body, "Entity1LogicalName")?;
    let entity2 = table(catalog, body, "Entity2LogicalName")?;
    // Tolerant: the docs' example sends the intersect table's name; without one it is the
    // relationship's logical name (UNCONFIRMED whether the service requires it).
    let intersect = text(body, "IntersectEntityName")
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| logical_name(schema_name));
    if catalog.by_logical(&intersect).is_some()
        || catalog
            .many_to_many
            .iter()
            .any(|r| r.intersect.eq_ignore_ascii_case(&intersect))
    {
        return Err(format!(
            "'IntersectEntityName' {intersect} is already the name of a table."
        ));
    }
    // Without names sent, both navigation properties are named after the relationship
    // (UNCONFIRMED: the service's choice; names sent are kept as sent).
    let nav = |property| text(body, property).unwrap_or(schema_name).to_owned();
    Ok(NewRelationship::ManyToMany(ManyToMany {
        schema_name: schema_name.to_owned(),
        intersect,
        entity1,
        entity2,
        nav1: nav("Entity1NavigationPropertyName"),
        nav2: nav("Entity2NavigationPropertyName"),
        metadata_id: Uuid::new_v4(),
        custom: true,
    }))
}

/// Adds a relationship read by [`read_relationship`] (and, for one-to-many, its lookup column);
/// bumps the definition version of the tables that gained a column or navigation property.
/// Returns the relationship's `MetadataId`.
pub(crate) fn add_relationship(
    catalog: &mut Catalog,
    new: NewRelationship,
) -> Result<Uuid, String> {
    match new {
        NewRelationship::OneToMany(mut relationship, attribute) => {
            let id = relationship.metadata_id;
            let (referenced, referencing) = (relationship.referenced, relationship.referencing);
            let name = attribute.logical_name.clone();
            let table = catalog.table_mut(referencing);
            relationship.lookup = table.push_attribute(attribute).ok_or_else(|| {
                format!("{} already has a column named {name}.", table.logical_name)
            })?;
            let lookup = relationship.lookup;
            if let Err(error) = catalog.add_one_to_many(relationship) {
                // The column was the last one added: removing it moves nothing.
                catalog.table_mut(referencing).remove_attribute(lookup);
                return Err(error);
            }
            catalog.table_mut(referencing).bump_metadata_version();
            if referenced != referencing {
                catalog.table_mut(referenced).bump_metadata_version();
            }
            Ok(id)
        }
        NewRelationship::ManyToMany(relationship) => {
            let id = relationship.metadata_id;
            let (one, two) = (relationship.entity1, relationship.entity2);
            catalog.add_many_to_many(relationship)?;
            catalog.table_mut(one).bump_metadata_version();
            if one != two {
                catalog.table_mut(two).bump_metadata_version();
            }
            Ok(id)
        }
    }
}
