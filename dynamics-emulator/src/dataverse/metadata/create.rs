//! A table sent through the Web API (`POST EntityDefinitions`): the `EntityMetadata` JSON read
//! into a [`TableSpec`] and added to the catalog. Properties and rules from Learn "Create and
//! update table definitions using the Web API": `SchemaName` with the customization prefix,
//! `DisplayName` and `DisplayCollectionName` labels, `OwnershipType`, `HasActivities`,
//! `HasNotes`, `IsActivity`, and `Attributes` holding exactly the primary name column (a
//! `StringAttributeMetadata` with `IsPrimaryName: true`).

use serde_json::{Map, Value};

use super::catalog::Catalog;
use super::columns::{read_column, type_name};
use super::definition::TableDefinition;
use super::labels::Labels;
use super::model::{AttrKind, Attribute};
use super::naming::{check_schema_name, entity_set_name, logical_name};
use super::spec::TableSpec;

/// A table read from a request, ready to add.
pub(crate) struct NewTable {
    spec: TableSpec,
    definition: TableDefinition,
    primary: Attribute,
    elastic: bool,
}

fn flag(body: &Map<String, Value>, name: &str) -> Result<bool, String> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("'{name}' must be true or false.")),
    }
}

/// Reads a `POST EntityDefinitions` body. `solution` is the `MSCRM.SolutionUniqueName` header.
pub(crate) fn read_table(
    catalog: &Catalog,
    body: &Map<String, Value>,
    solution: Option<&str>,
) -> Result<NewTable, String> {
    if let Some(kind) = type_name(body)
        && kind != "EntityMetadata"
    {
        return Err(format!(
            "A table definition is a Microsoft.Dynamics.CRM.EntityMetadata, not {kind}."
        ));
    }
    let schema_name = body
        .get("SchemaName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    check_schema_name(schema_name, "table")?;
    let logical = logical_name(schema_name);
    if catalog.by_logical(&logical).is_some() {
        return Err(format!(
            "A table with the logical name {logical} already exists."
        ));
    }
    let entity_set = match body.get("EntitySetName").and_then(Value::as_str) {
        Some(set) if !set.is_empty() => {
            if !set.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "'EntitySetName' {set} is not valid: use letters, digits and underscores."
                ));
            }
            set.to_owned()
        }
        _ => entity_set_name(&logical),
    };
    if catalog.by_set(&entity_set).is_some() {
        return Err(format!("An entity set named {entity_set} already exists."));
    }
    let display = Labels::parse(
        body.get("DisplayName").unwrap_or(&Value::Null),
        "DisplayName",
    )?;
    let collection = Labels::parse(
        body.get("DisplayCollectionName").unwrap_or(&Value::Null),
        "DisplayCollectionName",
    )?;
    if display.is_empty() || collection.is_empty() {
        return Err("A table needs 'DisplayName' and 'DisplayCollectionName' labels.".to_owned());
    }
    let description = Labels::parse(
        body.get("Description").unwrap_or(&Value::Null),
        "Description",
    )?;
    let user_owned = match body.get("OwnershipType").and_then(Value::as_str) {
        // Tolerant: the docs list OwnershipType as required; a table without one is user-owned,
        // the kind their example creates.
        None | Some("UserOwned") => true,
        Some("OrganizationOwned") => false,
        Some(other) => {
            return Err(format!(
                "'OwnershipType' must be UserOwned or OrganizationOwned; the emulator does not create {other} tables."
            ));
        }
    };
    if flag(body, "IsActivity")? {
        return Err("The emulator does not create activity tables ('IsActivity': true); create a standard table.".to_owned());
    }
    let elastic = match body.get("TableType").and_then(Value::as_str) {
        None | Some("Standard") => false,
        Some("Elastic") => true,
        Some(other) => {
            return Err(format!(
                "'TableType' must be Standard or Elastic; the emulator does not create {other} tables."
            ));
        }
    };
    let attributes = body
        .get("Attributes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let [primary] = attributes else {
        return Err(format!(
            "'Attributes' must hold exactly one column, the primary name column (a StringAttributeMetadata with 'IsPrimaryName': true); it holds {}. Add other columns with POST EntityDefinitions(…)/Attributes.",
            attributes.len()
        ));
    };
    let primary = primary
        .as_object()
        .ok_or("'Attributes' must hold JSON objects.")?;
    if type_name(primary) != Some("StringAttributeMetadata")
        || primary.get("IsPrimaryName").and_then(Value::as_bool) != Some(true)
    {
        return Err(
            "The primary name column must be a StringAttributeMetadata with 'IsPrimaryName': true."
                .to_owned(),
        );
    }
    let primary = read_column(catalog, primary, solution)?;
    let primary_id = format!("{logical}id");
    if primary.logical_name == primary_id {
        return Err(format!(
            "The primary name column cannot be named {primary_id}, the primary key."
        ));
    }
    let code = 10_000 + i32::try_from(catalog.tables.len()).unwrap_or(0);
    let mut spec = TableSpec::new(
        &logical,
        &entity_set,
        display.text(),
        &primary_id,
        Some((&primary.logical_name, primary.max_length.unwrap_or(100))),
        code,
    );
    spec = if user_owned {
        spec.standard()
    } else {
        spec.audited()
    };
    spec.is_custom = true;
    spec.change_tracking = flag(body, "ChangeTrackingEnabled")?;
    Ok(NewTable {
        spec,
        definition: TableDefinition {
            schema_name: schema_name.to_owned(),
            display,
            collection,
            description,
            has_activities: flag(body, "HasActivities")?,
            has_notes: flag(body, "HasNotes")?,
        },
        primary,
        elastic,
    })
}

/// Adds a table read by [`read_table`]; returns its catalog index. The caller then gives it
/// storage and privileges.
pub(crate) fn add_table(catalog: &mut Catalog, new: NewTable) -> Result<u16, String> {
    let index = catalog.add(&new.spec)?;
    let table = catalog.table_mut(index);
    table.defined = Some(Box::new(new.definition));
    table.elastic = new.elastic;
    if let Some(column) = table.primary_name.map(usize::from) {
        let attribute = &mut table.attributes[column];
        debug_assert_eq!(attribute.kind, AttrKind::String);
        attribute.display_name = new.primary.display_name;
        attribute.metadata_id = new.primary.metadata_id;
        attribute.defined = new.primary.defined;
    }
    Ok(index)
}
