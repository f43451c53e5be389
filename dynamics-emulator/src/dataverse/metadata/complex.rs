//! The `Complex…Metadata` types the `CreateEntities` action takes (`ComplexEntityMetadata`,
//! `ComplexStringAttributeMetadata`, `ComplexOptionSetMetadata`, …: Learn, Web API reference,
//! "ComplexEntityMetadata ComplexType") carry the same properties as the `…Metadata` types
//! `POST EntityDefinitions` takes, so they are read by renaming them to those.

use serde_json::Value;

const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// `value` with every `@odata.type` naming a `Complex…` type renamed to the plain type, at any
/// depth (attributes, their option sets, labels).
pub(crate) fn plain(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = match (key.as_str(), value) {
                        ("@odata.type", Value::String(kind)) => Value::String(plain_type(&kind)),
                        (_, value) => plain(value),
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(plain).collect()),
        other => other,
    }
}

/// `#Microsoft.Dynamics.CRM.ComplexStringAttributeMetadata` → `Microsoft.Dynamics.CRM.StringAttributeMetadata`;
/// other names unchanged.
fn plain_type(kind: &str) -> String {
    let bare = kind.trim_start_matches('#');
    match bare
        .strip_prefix(NAMESPACE)
        .and_then(|name| name.strip_prefix("Complex"))
    {
        Some(name) if name.ends_with("Metadata") => format!("{NAMESPACE}{name}"),
        _ => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn complex_types_become_plain_at_any_depth_and_others_stay() {
        let sent = json!({
            "@odata.type": "Microsoft.Dynamics.CRM.ComplexEntityMetadata",
            "Attributes": [{
                "@odata.type": "#Microsoft.Dynamics.CRM.ComplexPicklistAttributeMetadata",
                "OptionSet": { "@odata.type": "Microsoft.Dynamics.CRM.ComplexOptionSetMetadata" },
                "DisplayName": { "@odata.type": "Microsoft.Dynamics.CRM.Label" },
            }],
            "Note": "Microsoft.Dynamics.CRM.ComplexEntityMetadata",
        });
        assert_eq!(
            plain(sent),
            json!({
                "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
                "Attributes": [{
                    "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
                    "OptionSet": { "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata" },
                    "DisplayName": { "@odata.type": "Microsoft.Dynamics.CRM.Label" },
                }],
                "Note": "Microsoft.Dynamics.CRM.ComplexEntityMetadata",
            })
        );
    }
}
