//! Alternate keys sent through the Web API (`POST EntityDefinitions(…)/Keys` with an
//! `EntityKeyMetadata`: `SchemaName`, `DisplayName`, `KeyAttributes`). The column types a key
//! may use are those Learn "Define alternate keys for a table" lists: whole number, decimal,
//! single line of text, date and time, lookup and choice.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::columns::type_name;
use super::labels::Labels;
use super::model::{AlternateKey, AttrKind, Table};
use super::naming::{check_schema_name, logical_name};

/// Most alternate keys a table may have. UNCONFIRMED: the docs have said 5 and later 10.
pub(crate) const MAX_KEYS: usize = 10;

/// Most columns in one key. UNCONFIRMED: taken from the SDK's key limits as commonly cited.
pub(crate) const MAX_KEY_COLUMNS: usize = 16;

/// Reads an `EntityKeyMetadata` for `table` into a key (not yet added).
pub(crate) fn read_key(table: &Table, body: &Map<String, Value>) -> Result<AlternateKey, String> {
    if let Some(kind) = type_name(body)
        && kind != "EntityKeyMetadata"
    {
        return Err(format!(
            "An alternate key is a Microsoft.Dynamics.CRM.EntityKeyMetadata, not {kind}."
        ));
    }
    let schema_name = body
        .get("SchemaName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    check_schema_name(schema_name, "alternate key")?;
    let logical = logical_name(schema_name);
    if table
        .alternate_keys
        .iter()
        .any(|k| k.logical_name == logical)
    {
        return Err(format!(
            "{} already has a key named {logical}.",
            table.logical_name
        ));
    }
    if Labels::parse(
        body.get("DisplayName").unwrap_or(&Value::Null),
        "DisplayName",
    )?
    .is_empty()
    {
        return Err(format!("The key {schema_name} needs a 'DisplayName'."));
    }
    if table.alternate_keys.len() >= MAX_KEYS {
        return Err(format!(
            "{} already has {MAX_KEYS} alternate keys, the most a table may have.",
            table.logical_name
        ));
    }
    let names = body
        .get("KeyAttributes")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty() && a.len() <= MAX_KEY_COLUMNS)
        .ok_or_else(|| {
            format!("'KeyAttributes' must list 1 to {MAX_KEY_COLUMNS} column logical names.")
        })?;
    let mut attributes = Vec::with_capacity(names.len());
    for name in names {
        let name = name
            .as_str()
            .ok_or("'KeyAttributes' must hold logical names (text).")?;
        let index = table
            .attribute_index(name)
            .ok_or_else(|| format!("{} has no column {name} for the key.", table.logical_name))?;
        let kind = table.attributes[usize::from(index)].kind;
        let allowed = matches!(
            kind,
            AttrKind::Integer
                | AttrKind::Decimal
                | AttrKind::String
                | AttrKind::DateTime
                | AttrKind::DateOnly
                | AttrKind::Lookup
                | AttrKind::Picklist
        );
        if !allowed {
            return Err(format!(
                "The column {name} ({}) cannot be part of a key: use whole number, decimal, text, date and time, lookup or choice columns.",
                kind.type_name()
            ));
        }
        if attributes.contains(&index) {
            return Err(format!("'KeyAttributes' names {name} twice."));
        }
        attributes.push(index);
    }
    let mut sorted = attributes.clone();
    sorted.sort_unstable();
    if table.alternate_keys.iter().any(|k| {
        let mut other = k.attributes.clone();
        other.sort_unstable();
        other == sorted
    }) {
        return Err(format!(
            "{} already has a key on these columns.",
            table.logical_name
        ));
    }
    Ok(AlternateKey {
        logical_name: logical,
        schema_name: schema_name.to_owned(),
        attributes,
        metadata_id: Uuid::new_v4(),
    })
}
