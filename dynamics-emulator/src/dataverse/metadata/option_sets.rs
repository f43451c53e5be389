//! Global option sets (`GlobalOptionSetDefinitions`): the ones created through the Web API,
//! and the built-in columns' global choices; reading `OptionSetMetadata` and its options.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::catalog::Catalog;
use super::labels::Labels;
use super::model::{AttrKind, Attribute, OptionDef};
use crate::dataverse::ids::name_uuid;

/// The first value given to an option sent without `Value`: the default publisher's option
/// value prefix (10000) times 10,000. UNCONFIRMED: the service uses the solution publisher's
/// prefix, which differs per environment.
pub(crate) const FIRST_OPTION_VALUE: i64 = 100_000_000;

/// A global option set created through the Web API.
#[derive(Debug, Clone)]
pub(crate) struct GlobalOptionSet {
    pub(crate) name: String,
    pub(crate) metadata_id: Uuid,
    pub(crate) display: Labels,
    pub(crate) description: Labels,
    pub(crate) options: Vec<OptionDef>,
}

/// Reads `Options` of an `OptionSetMetadata` (`what` names it in errors). Options without a
/// `Value` get the next free one from [`FIRST_OPTION_VALUE`]; duplicate values are refused.
pub(crate) fn read_options(
    option_set: &Map<String, Value>,
    what: &str,
) -> Result<Vec<OptionDef>, String> {
    let items = match option_set.get("Options") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(_) => return Err(format!("'Options' of {what} must be an array.")),
    };
    let mut options: Vec<OptionDef> = Vec::with_capacity(items.len());
    let mut unvalued = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let label = Labels::parse(item.get("Label").unwrap_or(&Value::Null), "Options.Label")?;
        if label.is_empty() {
            return Err(format!(
                "Option {} of {what} needs a 'Label'.",
                position + 1
            ));
        }
        let value = match item.get("Value") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .filter(|v| i32::try_from(*v).is_ok())
                    .ok_or_else(|| {
                        format!(
                            "Option {} of {what} has a 'Value' that is not a whole number.",
                            position + 1
                        )
                    })?,
            ),
        };
        if let Some(value) = value
            && options.iter().any(|o| o.value == value)
        {
            return Err(format!("The option value {value} is used twice in {what}."));
        }
        if value.is_none() {
            unvalued.push(options.len());
        }
        options.push(OptionDef {
            value: value.unwrap_or(i64::MIN),
            label: label.text().to_owned(),
            state: None,
        });
    }
    let mut next = FIRST_OPTION_VALUE;
    for index in unvalued {
        while options.iter().any(|o| o.value == next) {
            next += 1;
        }
        options[index].value = next;
        next += 1;
    }
    Ok(options)
}

/// Reads the two options of a `BooleanOptionSetMetadata` (`TrueOption`, `FalseOption`);
/// labels default to "Yes" and "No".
pub(crate) fn read_boolean_options(
    option_set: Option<&Map<String, Value>>,
) -> Result<Vec<OptionDef>, String> {
    let mut options = Vec::with_capacity(2);
    for (property, value, default) in [("FalseOption", 0, "No"), ("TrueOption", 1, "Yes")] {
        let label = match option_set
            .and_then(|s| s.get(property))
            .and_then(|o| o.get("Label"))
        {
            Some(label) => Labels::parse(label, &format!("OptionSet.{property}.Label"))?,
            None => Labels::default(),
        };
        let text = if label.is_empty() {
            default
        } else {
            label.text()
        };
        options.push(OptionDef {
            value,
            label: text.to_owned(),
            state: None,
        });
    }
    Ok(options)
}

/// Reads a `POST GlobalOptionSetDefinitions` body (an `OptionSetMetadata` with `IsGlobal`).
pub(crate) fn read_global(body: &Map<String, Value>) -> Result<GlobalOptionSet, String> {
    if let Some(kind) = body.get("@odata.type").and_then(Value::as_str)
        && kind.trim_start_matches('#') != "Microsoft.Dynamics.CRM.OptionSetMetadata"
    {
        return Err(format!(
            "A global option set is a Microsoft.Dynamics.CRM.OptionSetMetadata, not {kind}."
        ));
    }
    if body.get("IsGlobal").and_then(Value::as_bool) == Some(false) {
        return Err("A global option set needs 'IsGlobal': true.".to_owned());
    }
    if let Some(kind) = body.get("OptionSetType").and_then(Value::as_str)
        && kind != "Picklist"
    {
        return Err(format!(
            "The emulator creates global option sets of 'OptionSetType' Picklist, not {kind}."
        ));
    }
    let name = body.get("Name").and_then(Value::as_str).unwrap_or_default();
    super::naming::check_schema_name(name, "global option set")?;
    let display = Labels::parse(
        body.get("DisplayName").unwrap_or(&Value::Null),
        "DisplayName",
    )?;
    if display.is_empty() {
        return Err("A global option set needs a 'DisplayName'.".to_owned());
    }
    Ok(GlobalOptionSet {
        name: name.to_ascii_lowercase(),
        metadata_id: Uuid::new_v4(),
        display,
        description: Labels::parse(
            body.get("Description").unwrap_or(&Value::Null),
            "Description",
        )?,
        options: read_options(body, &format!("the option set {name}"))?,
    })
}

/// The JSON of one option (`OptionMetadata`).
fn option_json(option: &OptionDef, managed: bool) -> Value {
    json!({
        "Value": option.value,
        "Color": null,
        "IsManaged": managed,
        "ExternalValue": null,
        "ParentValues": [],
        "Tag": null,
        "IsHidden": false,
        "MetadataId": null,
        "HasChanged": null,
        "Label": Labels::english(&option.label).to_json(managed),
        "Description": Labels::default().to_json(managed),
    })
}

/// One `GlobalOptionSetDefinitions` member (an `OptionSetMetadata` with its `@odata.type`).
fn global_json(
    name: &str,
    metadata_id: Uuid,
    display: &Labels,
    description: &Labels,
    options: &[OptionDef],
    custom: bool,
) -> Map<String, Value> {
    let value = json!({
        "@odata.type": "#Microsoft.Dynamics.CRM.OptionSetMetadata",
        "MetadataId": metadata_id,
        "HasChanged": null,
        "IsCustomOptionSet": custom,
        "IsGlobal": true,
        "IsManaged": !custom,
        "Name": name,
        "ExternalTypeName": null,
        "OptionSetType": "Picklist",
        "IntroducedVersion": "1.0.0.0",
        "ParentOptionSetName": null,
        "Description": description.to_json(!custom),
        "DisplayName": display.to_json(!custom),
        "IsCustomizable": { "Value": true, "CanBeChanged": true, "ManagedPropertyLogicalName": "iscustomizable" },
        "Options": options.iter().map(|o| option_json(o, !custom)).collect::<Vec<_>>(),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The built-in columns' global option sets: each one's name (`{table}_{column}`, as their
/// `OptionSet` says), MetadataId and column.
pub(crate) fn builtin(catalog: &Catalog) -> impl Iterator<Item = (String, Uuid, &Attribute)> {
    catalog.tables.iter().flat_map(|table| {
        table
            .attributes
            .iter()
            .filter(|attribute| {
                attribute.global_options
                    && attribute.kind == AttrKind::Picklist
                    && attribute
                        .defined
                        .as_ref()
                        .is_none_or(|d| d.option_set.is_none())
            })
            .map(|attribute| {
                let name = format!("{}_{}", table.logical_name, attribute.logical_name);
                let id = name_uuid("optionset", &name);
                (name, id, attribute)
            })
    })
}

/// Every global option set: the built-in columns' and the ones created through the Web API.
pub(crate) fn all(catalog: &Catalog) -> Vec<Map<String, Value>> {
    let mut sets: Vec<_> = builtin(catalog)
        .map(|(name, id, attribute)| {
            global_json(
                &name,
                id,
                &Labels::english(&attribute.display_name),
                &Labels::default(),
                &attribute.options,
                false,
            )
        })
        .collect();
    for set in &catalog.option_sets {
        sets.push(global_json(
            &set.name,
            set.metadata_id,
            &set.display,
            &set.description,
            &set.options,
            true,
        ));
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn option(value: Option<i64>, label: &str) -> Value {
        json!({ "Value": value, "Label": { "LocalizedLabels": [{ "Label": label, "LanguageCode": 1033 }] } })
    }

    #[test]
    fn options_without_a_value_get_the_next_free_one() {
        let set = body(
            json!({ "Options": [option(None, "A"), option(Some(FIRST_OPTION_VALUE), "B"), option(None, "C")] }),
        );
        let values: Vec<i64> = read_options(&set, "x")
            .expect("read")
            .iter()
            .map(|o| o.value)
            .collect();
        assert_eq!(
            values,
            vec![
                FIRST_OPTION_VALUE + 1,
                FIRST_OPTION_VALUE,
                FIRST_OPTION_VALUE + 2
            ]
        );
    }

    #[test]
    fn duplicate_values_and_missing_labels_are_refused() {
        let twice = body(json!({ "Options": [option(Some(1), "A"), option(Some(1), "B")] }));
        assert!(
            read_options(&twice, "x")
                .expect_err("dup")
                .contains("twice")
        );
        let unlabelled = body(json!({ "Options": [{ "Value": 1 }] }));
        assert!(
            read_options(&unlabelled, "x")
                .expect_err("label")
                .contains("Label")
        );
    }

    #[test]
    fn a_global_option_set_needs_a_prefixed_name_and_a_display_name() {
        let good = body(json!({
            "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata",
            "Name": "new_Colours", "IsGlobal": true, "OptionSetType": "Picklist",
            "DisplayName": { "LocalizedLabels": [{ "Label": "Colours", "LanguageCode": 1033 }] },
            "Options": [option(Some(1), "Red")],
        }));
        let set = read_global(&good).expect("valid");
        assert_eq!(set.name, "new_colours");
        let mut unprefixed = good.clone();
        unprefixed.insert("Name".to_owned(), json!("Colours"));
        assert!(read_global(&unprefixed).is_err());
        let mut local = good;
        local.insert("IsGlobal".to_owned(), json!(false));
        assert!(read_global(&local).is_err());
    }
}
