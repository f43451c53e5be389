//! Serde helpers for what the service sends loosely.

use serde::{Deserialize, Deserializer};

/// `null` as the type's default (an empty list, most often).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An optional UUID where `null` and `""` both mean "none".
pub(crate) fn opt_uuid<'de, D>(d: D) -> Result<Option<uuid::Uuid>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => uuid::Uuid::parse_str(s.trim())
            .map(Some)
            .map_err(|_| serde::de::Error::custom("a field that should hold a GUID does not")),
    }
}

/// For `skip_serializing_if` on the `extra` maps of unknown fields.
pub(crate) fn is_empty_map(m: &serde_json::Map<String, serde_json::Value>) -> bool {
    m.is_empty()
}

/// An optional integer sent as a number or a numeric string; anything else reads as none.
pub(crate) fn lenient_i64<'de, D>(d: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A string-to-string map where `null` is empty and non-string values are kept as their
/// JSON text (the schema says strings; a number should not fail the whole answer).
pub(crate) fn string_map<'de, D>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    let map = Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)?;
    Ok(map
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect())
}
