//! `EntityDefinitions`: table metadata (`/EntityDefinitions`,
//! `/EntityDefinitions(LogicalName='account')` or `({MetadataId})`, and its `/Attributes`,
//! `/Keys`, `/OneToManyRelationships`, `/ManyToOneRelationships`, `/ManyToManyRelationships`),
//! with `$select`, `$filter` on the properties the emulator answers, `$expand` of those
//! collections, and attribute type casts (`/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`,
//! `/Attributes(LogicalName='x')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata`) with
//! `$expand=OptionSet,GlobalOptionSet`.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::Call;
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::metadata::describe::{
    ATTRIBUTE_TYPES, ENTITY_PROPERTIES, attribute_json, collection, entity_json, has_option_set,
    is_attribute_property, is_instance_of, option_set_json, relationship_definitions,
};
use crate::dataverse::metadata::model::{Attribute, Table, schema_name};
use crate::dataverse::odata::expand::split_top_level;
use crate::dataverse::odata::filter_parser::{Expr, Operand, parse_filter};
use crate::dataverse::odata::json_filter::matches;
use crate::dataverse::odata::literal::Literal;
use crate::dataverse::odata::path::{Key, Segment};
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

const COLLECTIONS: [&str; 5] = [
    "Attributes",
    "Keys",
    "OneToManyRelationships",
    "ManyToOneRelationships",
    "ManyToManyRelationships",
];

const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// `EntityKeyMetadata` properties the emulator answers.
const KEY_PROPERTIES: [&str; 6] = [
    "MetadataId",
    "LogicalName",
    "SchemaName",
    "EntityLogicalName",
    "KeyAttributes",
    "EntityKeyIndexStatus",
];

/// `OneToManyRelationshipMetadata` properties the emulator answers.
const ONE_TO_MANY_PROPERTIES: [&str; 10] = [
    "MetadataId",
    "SchemaName",
    "RelationshipType",
    "IsCustomRelationship",
    "ReferencedEntity",
    "ReferencedAttribute",
    "ReferencingEntity",
    "ReferencingAttribute",
    "ReferencedEntityNavigationPropertyName",
    "ReferencingEntityNavigationPropertyName",
];

/// `ManyToManyRelationshipMetadata` properties the emulator answers.
const MANY_TO_MANY_PROPERTIES: [&str; 9] = [
    "MetadataId",
    "SchemaName",
    "RelationshipType",
    "IsCustomRelationship",
    "Entity1LogicalName",
    "Entity2LogicalName",
    "IntersectEntityName",
    "Entity1NavigationPropertyName",
    "Entity2NavigationPropertyName",
];

/// The metadata type of a collection's members, and whether it has a property.
#[derive(Debug, Clone, Copy)]
enum Shape<'a> {
    Entity,
    /// An attribute metadata type (`AttributeMetadata` or a derived type).
    Attribute(&'a str),
    Key,
    /// `RelationshipMetadataBase`: what one-to-many and many-to-many relationships share.
    Relationship,
    OneToMany,
    ManyToMany,
}

impl Shape<'_> {
    fn for_collection(name: &str) -> Shape<'static> {
        match name {
            "Attributes" => Shape::Attribute("AttributeMetadata"),
            "Keys" => Shape::Key,
            "ManyToManyRelationships" => Shape::ManyToMany,
            _ => Shape::OneToMany,
        }
    }

    fn type_name(&self) -> &str {
        match self {
            Shape::Entity => "EntityMetadata",
            Shape::Attribute(name) => name,
            Shape::Key => "EntityKeyMetadata",
            Shape::Relationship => "RelationshipMetadataBase",
            Shape::OneToMany => "OneToManyRelationshipMetadata",
            Shape::ManyToMany => "ManyToManyRelationshipMetadata",
        }
    }

    fn has(&self, property: &str) -> bool {
        match self {
            Shape::Entity => ENTITY_PROPERTIES.contains(&property),
            Shape::Attribute(name) => is_attribute_property(name, property),
            Shape::Key => KEY_PROPERTIES.contains(&property),
            // The `RelationshipMetadataBase` properties come first in both lists.
            Shape::Relationship => ONE_TO_MANY_PROPERTIES[..4].contains(&property),
            Shape::OneToMany => ONE_TO_MANY_PROPERTIES.contains(&property),
            Shape::ManyToMany => MANY_TO_MANY_PROPERTIES.contains(&property),
        }
    }

    fn unknown(&self, property: &str) -> ApiError {
        ApiError::unknown_property(property, self.type_name())
    }
}

/// `$select`, `$filter` and `$expand`, either of the request or nested in an `$expand` item.
#[derive(Debug, Default)]
struct Options {
    select: Option<Vec<String>>,
    filter: Option<Expr>,
    expand: Vec<(String, Options)>,
}

impl Options {
    /// The request's options, checked against the members' shape.
    fn of_request(call: &Call<'_>, shape: Shape<'_>) -> Result<Self, ApiError> {
        let filter = match &call.options.filter {
            Some(text) => Some(parse_filter(text, &call.request.query)?),
            None => None,
        };
        Self::build(
            call,
            shape,
            call.options.select.as_deref(),
            filter,
            call.options.expand.as_deref(),
        )
    }

    fn build(
        call: &Call<'_>,
        shape: Shape<'_>,
        select: Option<&str>,
        filter: Option<Expr>,
        expand: Option<&str>,
    ) -> Result<Self, ApiError> {
        let select = select.map(|text| {
            text.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        });
        for name in select.iter().flatten() {
            if !shape.has(name) {
                return Err(shape.unknown(name));
            }
        }
        if let Some(filter) = &filter {
            check_filter(filter, shape)?;
        }
        let mut expanded = Vec::new();
        for item in expand.map(|t| split_top_level(t, ',')).unwrap_or_default() {
            let item = item.trim();
            let (name, inner) = match item.split_once('(') {
                Some((name, rest)) => (
                    name.trim(),
                    Some(rest.strip_suffix(')').ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "The $expand item '{item}' is not well formed."
                        ))
                    })?),
                ),
                None => (item, None),
            };
            let nested = expand_shape(shape, name).ok_or_else(|| shape.unknown(name))?;
            let options = match inner {
                Some(inner) => Self::nested(call, nested, inner)?,
                None => Self::default(),
            };
            expanded.push((name.to_owned(), options));
        }
        Ok(Self {
            select,
            filter,
            expand: expanded,
        })
    }

    /// Options inside `$expand=Name(…)`, separated by `;`.
    fn nested(call: &Call<'_>, shape: Expandable, text: &str) -> Result<Self, ApiError> {
        let (mut select, mut filter, mut expand) = (None, None, None);
        for part in split_top_level(text, ';') {
            let (name, value) = part.split_once('=').unwrap_or((part.as_str(), ""));
            match name.trim() {
                "$select" => select = Some(value.to_owned()),
                "$filter" => filter = Some(parse_filter(value, &call.request.query)?),
                "$expand" => expand = Some(value.to_owned()),
                other => {
                    return Err(ApiError::bad_request(format!(
                        "The query option '{other}' is not supported inside $expand on metadata."
                    )));
                }
            }
        }
        match shape {
            Expandable::Collection(shape) => {
                Self::build(call, shape, select.as_deref(), filter, expand.as_deref())
            }
            Expandable::OptionSet(set) => {
                if filter.is_some() || expand.is_some() {
                    return Err(ApiError::bad_request(
                        "Only $select is supported inside $expand=OptionSet.",
                    ));
                }
                let select = select
                    .map(|text| {
                        text.split(',')
                            .map(str::trim)
                            .filter(|n| !n.is_empty())
                            .map(|name| {
                                if set.has(name) {
                                    Ok(name.to_owned())
                                } else {
                                    Err(ApiError::unknown_property(name, set.type_name()))
                                }
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()?;
                Ok(Self {
                    select,
                    ..Self::default()
                })
            }
        }
    }
}

/// What an `$expand` item leads to.
#[derive(Debug, Clone, Copy)]
enum Expandable {
    Collection(Shape<'static>),
    OptionSet(OptionSetShape),
}

/// Properties every option set has (`OptionSetMetadataBase` and what the emulator renders of
/// it, see `option_set_json`).
const OPTION_SET_PROPERTIES: [&str; 13] = [
    "MetadataId",
    "HasChanged",
    "IsCustomOptionSet",
    "IsGlobal",
    "IsManaged",
    "Name",
    "ExternalTypeName",
    "OptionSetType",
    "IntroducedVersion",
    "ParentOptionSetName",
    "Description",
    "DisplayName",
    "IsCustomizable",
];

/// The type an expanded option set is declared with, which says what `$select` inside it may
/// name: `OptionSet` of a two-options column is a `BooleanOptionSetMetadata` (`TrueOption`,
/// `FalseOption`), of other choice columns an `OptionSetMetadata` (`Options`); every
/// `GlobalOptionSet` is declared as `OptionSetMetadataBase`, whose members are either.
#[derive(Debug, Clone, Copy)]
struct OptionSetShape {
    boolean: bool,
    global: bool,
}

impl OptionSetShape {
    fn type_name(self) -> &'static str {
        match (self.global, self.boolean) {
            (true, _) => "OptionSetMetadataBase",
            (false, true) => "BooleanOptionSetMetadata",
            (false, false) => "OptionSetMetadata",
        }
    }

    fn has(self, property: &str) -> bool {
        OPTION_SET_PROPERTIES.contains(&property)
            || match property {
                "Options" => self.global || !self.boolean,
                "TrueOption" | "FalseOption" => self.global || self.boolean,
                _ => false,
            }
    }
}

fn expand_shape(shape: Shape<'_>, name: &str) -> Option<Expandable> {
    match shape {
        Shape::Entity if COLLECTIONS.contains(&name) => {
            Some(Expandable::Collection(Shape::for_collection(name)))
        }
        Shape::Attribute(type_name)
            if has_option_set(type_name) && matches!(name, "OptionSet" | "GlobalOptionSet") =>
        {
            Some(Expandable::OptionSet(OptionSetShape {
                boolean: type_name == "BooleanAttributeMetadata",
                global: name == "GlobalOptionSet",
            }))
        }
        _ => None,
    }
}

/// Refuses a `$filter` naming a property the members do not have (Dataverse answers 400;
/// comparing a missing property with `null` would be a wrong 200).
fn check_filter(expr: &Expr, shape: Shape<'_>) -> Result<(), ApiError> {
    let operand = |operand: &Operand| match operand {
        Operand::Path(path) => match path.first() {
            Some(first) if !shape.has(first) => Err(shape.unknown(first)),
            _ => Ok(()),
        },
        Operand::Lit(_) => Ok(()),
    };
    match expr {
        Expr::Or(a, b) | Expr::And(a, b) => {
            check_filter(a, shape)?;
            check_filter(b, shape)
        }
        Expr::Not(a) => check_filter(a, shape),
        Expr::Compare(_, a, b) | Expr::Str(_, a, b) => {
            operand(a)?;
            operand(b)
        }
        Expr::Truthy(path) => operand(&Operand::Path(path.clone())),
        Expr::Crm(..) | Expr::Lambda { .. } => Ok(()),
    }
}

/// Routes `EntityDefinitions…`.
pub(crate) fn entity_definitions(
    store: &DataverseStore,
    call: &Call<'_>,
    segments: &[Segment],
) -> ApiResult {
    if call.request.method != Method::GET {
        return Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            "EntityDefinitions (the emulator's metadata is read-only)",
        ));
    }
    let catalog = &store.catalog;
    match segments {
        [all] if all.key.is_none() => {
            let options = Options::of_request(call, Shape::Entity)?;
            let mut value = Vec::new();
            for (_, table) in catalog.live_tables() {
                let item = entity_json(table);
                if keep(&options, &item)? {
                    let body = entity_body(catalog, table, item, &options)?;
                    value.push(Value::Object(body));
                }
            }
            Ok(list(call, "EntityDefinitions", value))
        }
        [one] => {
            let table = find_table(catalog, one.key.as_ref())?;
            let options = Options::of_request(call, Shape::Entity)?;
            let mut body = entity_body(catalog, table, entity_json(table), &options)?;
            body.insert(
                "@odata.context".to_owned(),
                Value::String(call.env.context("EntityDefinitions/$entity")),
            );
            Ok(ApiResponse::json(StatusCode::OK, Value::Object(body)))
        }
        [one, member] if member.name == "Attributes" => {
            let table = find_table(catalog, one.key.as_ref())?;
            attributes(call, table, member.key.as_ref(), None)
        }
        [one, member, cast] if member.name == "Attributes" && cast.key.is_none() => {
            let table = find_table(catalog, one.key.as_ref())?;
            let type_name = cast
                .name
                .strip_prefix(NAMESPACE)
                .filter(|name| ATTRIBUTE_TYPES.contains(name))
                .ok_or_else(|| ApiError::segment_not_found(&cast.name))?;
            attributes(
                call,
                table,
                member.key.as_ref(),
                Some((type_name, &cast.name)),
            )
        }
        [one, member] if COLLECTIONS.contains(&member.name.as_str()) => {
            let table = find_table(catalog, one.key.as_ref())?;
            let shape = Shape::for_collection(&member.name);
            let options = Options::of_request(call, shape)?;
            let items = collection(catalog, table, &member.name);
            match &member.key {
                None => {
                    let mut value = Vec::new();
                    for item in items {
                        if keep(&options, &item)? {
                            value.push(Value::Object(project(item, &options)));
                        }
                    }
                    let context =
                        format!("EntityDefinitions({})/{}", table.metadata_id, member.name);
                    Ok(list(call, &context, value))
                }
                Some(key) => {
                    let item = find_member(items, key, &member.name)?;
                    Ok(ApiResponse::json(
                        StatusCode::OK,
                        Value::Object(project(item, &options)),
                    ))
                }
            }
        }
        _ => Err(ApiError::segment_not_found(
            segments
                .last()
                .map_or("EntityDefinitions", |s| s.name.as_str()),
        )),
    }
}

/// `…/Attributes[(key)][/Microsoft.Dynamics.CRM.{cast}]`; `cast` is `(type, segment)`.
fn attributes(
    call: &Call<'_>,
    table: &Table,
    key: Option<&Key>,
    cast: Option<(&str, &str)>,
) -> ApiResult {
    let type_name = cast.map_or("AttributeMetadata", |(name, _)| name);
    let shape = Shape::Attribute(type_name);
    let options = Options::of_request(call, shape)?;
    let describe = |index: usize, attribute: &Attribute| -> Map<String, Value> {
        let mut item = attribute_json(table, index, attribute);
        let declared = format!("#{NAMESPACE}{type_name}");
        if item.get("@odata.type").and_then(Value::as_str) == Some(declared.as_str()) {
            item.remove("@odata.type");
        }
        item
    };
    let mut context = format!("EntityDefinitions({})/Attributes", table.metadata_id);
    if let Some((_, segment)) = cast {
        context = format!("{context}/{segment}");
    }
    let Some(key) = key else {
        let mut value = Vec::new();
        for (index, attribute) in table.attributes.iter().enumerate() {
            if !is_instance_of(attribute.kind, type_name) {
                continue;
            }
            let item = describe(index, attribute);
            if keep(&options, &item)? {
                let mut body = project(item, &options);
                expand_option_sets(table, attribute, &options, &mut body);
                value.push(Value::Object(body));
            }
        }
        return Ok(list(call, &context, value));
    };
    let found = match key {
        Key::Values(values) => match values.as_slice() {
            [(name, Literal::Text(value))] if name == "LogicalName" => table
                .attribute_index(value)
                .map(usize::from)
                .map(|i| (i, &table.attributes[i])),
            [(name, Literal::Text(value))] if name == "SchemaName" => table
                .attributes
                .iter()
                .enumerate()
                .find(|(_, a)| a.schema_name() == *value),
            _ => {
                return Err(ApiError::bad_request(
                    "Address a member by LogicalName='…'.",
                ));
            }
        },
        Key::Id(id) => table
            .attributes
            .iter()
            .enumerate()
            .find(|(_, a)| a.metadata_id == *id),
        Key::Empty => None,
    };
    let (index, attribute) = found.ok_or_else(|| ApiError::segment_not_found("Attributes"))?;
    if let Some((_, segment)) = cast
        && !is_instance_of(attribute.kind, type_name)
    {
        return Err(ApiError::segment_not_found(segment));
    }
    let mut body = project(describe(index, attribute), &options);
    expand_option_sets(table, attribute, &options, &mut body);
    body.insert(
        "@odata.context".to_owned(),
        Value::String(call.env.context(&format!("{context}/$entity"))),
    );
    Ok(ApiResponse::json(StatusCode::OK, Value::Object(body)))
}

/// Adds the expanded `OptionSet` and `GlobalOptionSet`: the same option set when the column
/// uses a global one (the documented answer shows one `MetadataId` for both), else
/// `GlobalOptionSet` is `null`.
fn expand_option_sets(
    table: &Table,
    attribute: &Attribute,
    options: &Options,
    body: &mut Map<String, Value>,
) {
    for (name, nested) in &options.expand {
        let applies = name == "OptionSet" || attribute.global_options;
        let value = option_set_json(table, attribute)
            .filter(|_| applies)
            .map_or(Value::Null, |set| {
                Value::Object(match &nested.select {
                    Some(select) => pick(&set, select),
                    None => set,
                })
            });
        body.insert(name.clone(), value);
    }
}

/// The selected properties of `item` (unknown ones are skipped), with its key and type.
fn pick(item: &Map<String, Value>, select: &[String]) -> Map<String, Value> {
    let mut kept = Map::new();
    for name in select
        .iter()
        .map(String::as_str)
        .chain(["MetadataId", "@odata.type"])
    {
        if let Some(value) = item.get(name) {
            kept.insert(name.to_owned(), value.clone());
        }
    }
    kept
}

fn keep(options: &Options, item: &Map<String, Value>) -> Result<bool, ApiError> {
    match &options.filter {
        Some(filter) => matches(filter, item),
        None => Ok(true),
    }
}

/// Applies `$select` (already checked against the shape; a derived property an item lacks is
/// left out).
fn project(item: Map<String, Value>, options: &Options) -> Map<String, Value> {
    match &options.select {
        Some(select) => pick(&item, select),
        None => item,
    }
}

/// An entity with `$select` applied and its collections expanded.
fn entity_body(
    catalog: &Catalog,
    table: &Table,
    item: Map<String, Value>,
    options: &Options,
) -> Result<Map<String, Value>, ApiError> {
    let mut body = project(item, options);
    for (name, nested) in &options.expand {
        let mut members = Vec::new();
        if name == "Attributes" {
            for (index, attribute) in table.attributes.iter().enumerate() {
                let member = attribute_json(table, index, attribute);
                if keep(nested, &member)? {
                    members.push(Value::Object(project(member, nested)));
                }
            }
        } else {
            for member in collection(catalog, table, name) {
                if keep(nested, &member)? {
                    members.push(Value::Object(project(member, nested)));
                }
            }
        }
        body.insert(name.clone(), Value::Array(members));
    }
    Ok(body)
}

/// Routes `RelationshipDefinitions…`: every relationship, by `SchemaName='…'` or MetadataId,
/// and the `/Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata` and
/// `…ManyToManyRelationshipMetadata` casts.
pub(crate) fn relationship_definitions_request(
    store: &DataverseStore,
    call: &Call<'_>,
    segments: &[Segment],
) -> ApiResult {
    if call.request.method != Method::GET {
        return Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            "RelationshipDefinitions (the emulator's metadata is read-only)",
        ));
    }
    let (first, cast) = match segments {
        [first] => (first, None),
        [first, cast] if first.key.is_none() && cast.key.is_none() => (first, Some(cast)),
        _ => {
            return Err(ApiError::segment_not_found(
                segments
                    .last()
                    .map_or("RelationshipDefinitions", |s| s.name.as_str()),
            ));
        }
    };
    let (shape, type_name) = match cast.map(|c| c.name.as_str()) {
        None => (Shape::Relationship, None),
        Some(name) => match name.strip_prefix(NAMESPACE) {
            Some(t @ "OneToManyRelationshipMetadata") => (Shape::OneToMany, Some(t)),
            Some(t @ "ManyToManyRelationshipMetadata") => (Shape::ManyToMany, Some(t)),
            _ => return Err(ApiError::segment_not_found(name)),
        },
    };
    let options = Options::of_request(call, shape)?;
    let mut items = relationship_definitions(&store.catalog);
    if let Some(type_name) = type_name {
        let declared = format!("#{NAMESPACE}{type_name}");
        items.retain(|item| {
            item.get("@odata.type").and_then(Value::as_str) == Some(declared.as_str())
        });
        for item in &mut items {
            item.remove("@odata.type");
        }
    }
    match &first.key {
        None => {
            let mut value = Vec::new();
            for item in items {
                if keep(&options, &item)? {
                    value.push(Value::Object(project(item, &options)));
                }
            }
            let context = match cast {
                Some(cast) => format!("RelationshipDefinitions/{}", cast.name),
                None => "RelationshipDefinitions".to_owned(),
            };
            Ok(list(call, &context, value))
        }
        Some(key) => {
            let mut body = project(
                find_member(items, key, "RelationshipDefinitions")?,
                &options,
            );
            body.insert(
                "@odata.context".to_owned(),
                Value::String(call.env.context("RelationshipDefinitions/$entity")),
            );
            Ok(ApiResponse::json(StatusCode::OK, Value::Object(body)))
        }
    }
}

fn find_member(
    items: Vec<Map<String, Value>>,
    key: &Key,
    collection: &str,
) -> Result<Map<String, Value>, ApiError> {
    let found = match key {
        Key::Values(values) => {
            let wanted = match values.as_slice() {
                [(name, Literal::Text(value))] if name == "LogicalName" || name == "SchemaName" => {
                    value
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "Address a member by LogicalName='…'.",
                    ));
                }
            };
            items.into_iter().find(|i| {
                i.get("LogicalName").and_then(Value::as_str) == Some(wanted)
                    || i.get("SchemaName").and_then(Value::as_str) == Some(wanted)
            })
        }
        Key::Id(id) => {
            let id = id.to_string();
            items
                .into_iter()
                .find(|i| i.get("MetadataId").and_then(Value::as_str) == Some(id.as_str()))
        }
        Key::Empty => None,
    };
    found.ok_or_else(|| ApiError::segment_not_found(collection))
}

fn find_table<'a>(catalog: &'a Catalog, key: Option<&Key>) -> Result<&'a Table, ApiError> {
    let found = match key {
        Some(Key::Id(id)) => catalog.by_metadata_id(*id).map(|i| catalog.table(i)),
        Some(Key::Values(values)) => match values.as_slice() {
            [(name, Literal::Text(value))] if name == "LogicalName" => {
                catalog.by_logical(value).map(|i| catalog.table(i))
            }
            [(name, Literal::Text(value))] if name == "SchemaName" => catalog
                .tables
                .iter()
                .find(|t| schema_name(&t.logical_name).eq_ignore_ascii_case(value)),
            _ => None,
        },
        _ => None,
    };
    found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "0x80040217",
            "Could not find an entity with the specified key.",
        )
    })
}

fn list(call: &Call<'_>, context: &str, value: Vec<Value>) -> ApiResponse {
    ApiResponse::json(
        StatusCode::OK,
        json!({ "@odata.context": call.env.context(context), "value": value }),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::dataverse::metadata::builtin::builtin_tables;
    use crate::dataverse::odata::query_string::QueryString;

    fn filter(text: &str) -> Expr {
        parse_filter(text, &QueryString::default()).expect("the filter parses")
    }

    /// Every property the emulator answers is accepted by `$filter`/`$select`, so the check
    /// only refuses what a client can never get.
    #[test]
    fn answered_properties_are_known_to_their_type() {
        let catalog = Catalog::from_specs(builtin_tables()).expect("built-in tables");
        for table in &catalog.tables {
            let entity = entity_json(table);
            assert_eq!(entity.len(), ENTITY_PROPERTIES.len());
            for name in entity.keys() {
                assert!(Shape::Entity.has(name), "EntityMetadata.{name}");
            }
            for (index, attribute) in table.attributes.iter().enumerate() {
                let type_name = attribute.kind.metadata_type();
                assert!(ATTRIBUTE_TYPES.contains(&type_name));
                assert!(is_instance_of(attribute.kind, type_name));
                for name in attribute_json(table, index, attribute).keys() {
                    assert!(
                        name == "@odata.type" || is_attribute_property(type_name, name),
                        "{type_name}.{name}"
                    );
                }
                assert_eq!(
                    option_set_json(table, attribute).is_some(),
                    has_option_set(type_name)
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// A comparison on any property name is refused exactly when the metadata type lacks
        /// it, and the error names the property.
        #[test]
        fn filters_are_refused_exactly_for_unknown_properties(
            name in "[A-Za-z][A-Za-z0-9]{0,24}",
            pick in 0usize..ENTITY_PROPERTIES.len(),
        ) {
            prop_assume!(!matches!(name.as_str(), "and" | "or" | "not" | "eq" | "ne" | "true" | "false" | "null"));
            let known = ENTITY_PROPERTIES[pick];
            let expr = filter(&format!("{known} eq 'x' or {name} eq 'x'"));
            let result = check_filter(&expr, Shape::Entity);
            if ENTITY_PROPERTIES.contains(&name.as_str()) {
                prop_assert!(result.is_ok());
            } else {
                let error = result.expect_err("an unknown property is refused");
                prop_assert_eq!(error.status, StatusCode::BAD_REQUEST);
                let quoted = format!("'{name}'");
                prop_assert!(error.message.contains(&quoted), "{}", error.message);
            }
            let attribute = check_filter(
                &filter(&format!("not ({name} eq 1)")),
                Shape::Attribute("StringAttributeMetadata"),
            );
            prop_assert_eq!(
                attribute.is_ok(),
                is_attribute_property("StringAttributeMetadata", &name)
            );
        }
    }
}
