//! Columns sent through the Web API (`POST EntityDefinitions(…)/Attributes`, and the primary
//! name column of a new table): an `AttributeMetadata` JSON object read into an [`Attribute`].
//! Types and properties follow Learn "Create columns using the Web API" (the `…AttributeMetadata`
//! entity types); lookups are created with their relationship instead.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::catalog::Catalog;
use super::definition::ColumnDefinition;
use super::labels::Labels;
use super::model::{AttrKind, Attribute};
use super::naming::{check_schema_name, logical_name};
use super::option_sets::{read_boolean_options, read_options};

/// The required levels `RequiredLevel.Value` may name (`AttributeRequiredLevel`).
const REQUIRED_LEVELS: [&str; 4] = [
    "None",
    "SystemRequired",
    "ApplicationRequired",
    "Recommended",
];

/// The metadata type an `@odata.type` names, without `#` and namespace.
pub(crate) fn type_name(body: &Map<String, Value>) -> Option<&str> {
    let kind = body.get("@odata.type")?.as_str()?;
    Some(
        kind.trim_start_matches('#')
            .strip_prefix("Microsoft.Dynamics.CRM.")
            .unwrap_or(kind),
    )
}

/// `DisplayName`, `Description` and `RequiredLevel` of a column as sent.
pub(crate) struct ColumnTexts {
    pub(crate) display: Labels,
    pub(crate) description: Labels,
    pub(crate) required_level: Option<String>,
}

/// Reads the labels and required level a column create or update sends.
pub(crate) fn read_texts(body: &Map<String, Value>) -> Result<ColumnTexts, String> {
    let required_level = match body.get("RequiredLevel") {
        None | Some(Value::Null) => None,
        Some(level) => {
            let value = level
                .get("Value")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !REQUIRED_LEVELS.contains(&value) {
                return Err(format!(
                    "'RequiredLevel.Value' must be one of {}; '{value}' is not.",
                    REQUIRED_LEVELS.join(", ")
                ));
            }
            Some(value.to_owned())
        }
    };
    Ok(ColumnTexts {
        display: Labels::parse(
            body.get("DisplayName").unwrap_or(&Value::Null),
            "DisplayName",
        )?,
        description: Labels::parse(
            body.get("Description").unwrap_or(&Value::Null),
            "Description",
        )?,
        required_level,
    })
}

/// A whole number property of the body, checked against a range.
fn number(body: &Map<String, Value>, name: &str, range: (i64, i64)) -> Result<Option<i64>, String> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .filter(|v| (range.0..=range.1).contains(v))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "'{name}' must be a whole number from {} to {}.",
                    range.0, range.1
                )
            }),
    }
}

/// Reads a new column for `table` from an `AttributeMetadata` body. `solution` is the
/// `MSCRM.SolutionUniqueName` header. Lookup columns are refused with a pointer to
/// `RelationshipDefinitions`.
pub(crate) fn read_column(
    catalog: &Catalog,
    body: &Map<String, Value>,
    _solution: Option<&str>,
) -> Result<Attribute, String> {
    let type_name = type_name(body).ok_or_else(|| {
        "A column needs an '@odata.type' such as 'Microsoft.Dynamics.CRM.StringAttributeMetadata'."
            .to_owned()
    })?;
    let schema_name = body
        .get("SchemaName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    check_schema_name(schema_name, "column")?;
    let logical = logical_name(schema_name);
    if let Some(sent) = body.get("LogicalName").and_then(Value::as_str)
        && sent != logical
    {
        return Err(format!(
            "'LogicalName' {sent} does not match 'SchemaName' {schema_name} (the logical name is the schema name in lower case)."
        ));
    }
    let texts = read_texts(body)?;
    if texts.display.is_empty() {
        return Err(format!("The column {schema_name} needs a 'DisplayName'."));
    }
    let mut attribute = Attribute {
        logical_name: logical,
        kind: AttrKind::String,
        max_length: None,
        precision: None,
        options: Vec::new(),
        targets: Vec::new(),
        read_only: false,
        display_name: texts.display.text().to_owned(),
        global_options: false,
        metadata_id: Uuid::new_v4(),
        defined: None,
    };
    let mut option_set_name = None;
    match type_name {
        "StringAttributeMetadata" => {
            attribute.max_length =
                Some(number(body, "MaxLength", (1, 4000))?.unwrap_or(100) as usize);
        }
        "MemoAttributeMetadata" => {
            attribute.kind = AttrKind::Memo;
            attribute.max_length =
                Some(number(body, "MaxLength", (1, 1_048_576))?.unwrap_or(2000) as usize);
        }
        // `MinValue`/`MaxValue` are accepted and not enforced beyond the type's own range.
        "IntegerAttributeMetadata" => attribute.kind = AttrKind::Integer,
        "BigIntAttributeMetadata" => attribute.kind = AttrKind::BigInt,
        "DecimalAttributeMetadata" => {
            attribute.kind = AttrKind::Decimal;
            attribute.precision = Some(number(body, "Precision", (0, 10))?.unwrap_or(2) as u8);
        }
        "DoubleAttributeMetadata" => {
            attribute.kind = AttrKind::Double;
            attribute.precision = Some(number(body, "Precision", (0, 5))?.unwrap_or(2) as u8);
        }
        "MoneyAttributeMetadata" => {
            attribute.kind = AttrKind::Money;
            attribute.precision = Some(number(body, "Precision", (0, 4))?.unwrap_or(2) as u8);
        }
        "BooleanAttributeMetadata" => {
            attribute.kind = AttrKind::Boolean;
            let set = body.get("OptionSet").and_then(Value::as_object);
            attribute.options = read_boolean_options(set)?;
        }
        "DateTimeAttributeMetadata" => {
            let format = body.get("Format").and_then(Value::as_str);
            let behavior = body
                .get("DateTimeBehavior")
                .and_then(|b| b.get("Value"))
                .and_then(Value::as_str);
            attribute.kind = if format == Some("DateOnly") || behavior == Some("DateOnly") {
                AttrKind::DateOnly
            } else {
                AttrKind::DateTime
            };
        }
        "PicklistAttributeMetadata" => {
            attribute.kind = AttrKind::Picklist;
            match body
                .get("GlobalOptionSet@odata.bind")
                .and_then(Value::as_str)
            {
                Some(bind) => {
                    let set = find_global(catalog, bind)?;
                    attribute.options = set.1;
                    attribute.global_options = true;
                    option_set_name = Some(set.0);
                }
                None => {
                    let set = body.get("OptionSet").and_then(Value::as_object).ok_or_else(|| {
                        format!(
                            "The choice column {schema_name} needs an 'OptionSet' with 'Options', or 'GlobalOptionSet@odata.bind'."
                        )
                    })?;
                    if set.get("IsGlobal").and_then(Value::as_bool) == Some(true) {
                        return Err("A column's own 'OptionSet' has 'IsGlobal': false; bind a global one with 'GlobalOptionSet@odata.bind'.".to_owned());
                    }
                    attribute.options = read_options(set, &format!("the column {schema_name}"))?;
                }
            }
        }
        "LookupAttributeMetadata" => {
            return Err("Lookup columns are created with their relationship: POST RelationshipDefinitions with a Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata and its 'Lookup'.".to_owned());
        }
        other => {
            return Err(format!(
                "The emulator cannot create columns of type {other}. Use String, Memo, Integer, BigInt, Decimal, Double, Money, Boolean, DateTime or Picklist AttributeMetadata."
            ));
        }
    }
    attribute.defined = Some(Box::new(ColumnDefinition {
        schema_name: schema_name.to_owned(),
        display: texts.display,
        description: texts.description,
        required_level: texts.required_level.unwrap_or_else(|| "None".to_owned()),
        custom: true,
        option_set: option_set_name,
    }));
    Ok(attribute)
}

/// The global option set a `GlobalOptionSet@odata.bind` names
/// (`/GlobalOptionSetDefinitions(<id>)` or `(Name='x')`): its name and options.
fn find_global(
    catalog: &Catalog,
    bind: &str,
) -> Result<(String, Vec<super::model::OptionDef>), String> {
    let inner = bind
        .rsplit_once("GlobalOptionSetDefinitions(")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .ok_or_else(|| {
            format!("'GlobalOptionSet@odata.bind' must be /GlobalOptionSetDefinitions(<MetadataId>) or (Name='…'), not {bind}.")
        })?;
    let by_name = inner
        .strip_prefix("Name=")
        .map(|n| n.trim_matches('\'').to_ascii_lowercase());
    let id = Uuid::parse_str(inner.trim_matches(['{', '}'])).ok();
    let matches =
        |name: &str, metadata_id: Uuid| by_name.as_deref() == Some(name) || id == Some(metadata_id);
    let created = catalog
        .option_sets
        .iter()
        .find(|s| matches(&s.name, s.metadata_id))
        .map(|s| (s.name.clone(), s.options.clone()));
    created
        .or_else(|| {
            super::option_sets::builtin(catalog)
                .find(|(name, id, _)| matches(name, *id))
                .map(|(name, _, attribute)| (name, attribute.options.clone()))
        })
        .ok_or_else(|| format!("No global option set matches {bind}."))
}
