//! Reading JSON request bodies whose keys may be PascalCase (as the specs' schemas) or camelCase
//! (as their examples): keys are matched without regard to case, values are type-checked, and
//! every problem is reported with the field's name.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::wire_enum::WireEnum;

/// Why a body could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// No body (or only whitespace).
    Empty,
    /// Not JSON.
    NotJson(String),
    /// JSON, but not an object.
    NotObject,
}

impl BodyError {
    /// A sentence for error bodies.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Empty => "The request body is required.".to_owned(),
            Self::NotJson(detail) => format!("The request body is not valid JSON: {detail}."),
            Self::NotObject => "The request body must be a JSON object.".to_owned(),
        }
    }
}

/// A field whose value is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// The field's name as the schema spells it, e.g. `InstanceId` or `Currency.Code`.
    pub(crate) field: String,
    pub(crate) message: String,
}

/// Parses a body into a JSON object.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, BodyError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Empty);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotObject),
        Err(e) => Err(BodyError::NotJson(e.to_string())),
    }
}

/// Parses a body that may be absent: an empty body is an empty object.
pub(crate) fn parse_optional_object(bytes: &[u8]) -> Result<Map<String, Value>, BodyError> {
    match parse_object(bytes) {
        Err(BodyError::Empty) => Ok(Map::new()),
        other => other,
    }
}

/// Records the error of `result` and yields its value, or the default on error.
pub(crate) fn take<T: Default>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> T {
    result.unwrap_or_else(|error| {
        errors.push(error);
        T::default()
    })
}

/// The fields of a JSON object, looked up without regard to key case.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    /// The path of this object, e.g. `Currency.`, prefixed to field names in errors.
    path: String,
}

impl<'a> Fields<'a> {
    /// The top-level object.
    pub(crate) fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            path: String::new(),
        }
    }

    fn error(&self, name: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: format!("{}{name}", self.path),
            message: message.into(),
        }
    }

    /// The value of a field; `null` counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
            .filter(|value| !value.is_null())
    }

    /// A string field.
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(self.error(name, "must be a string")),
        }
    }

    /// A string field that must be present and not blank.
    pub(crate) fn required_string(&self, name: &str) -> Result<String, FieldError> {
        match self.string(name)? {
            Some(text) if !text.trim().is_empty() => Ok(text),
            _ => Err(self.error(name, "is required")),
        }
    }

    /// A GUID field.
    pub(crate) fn uuid(&self, name: &str) -> Result<Option<Uuid>, FieldError> {
        match self.string(name) {
            Ok(None) => Ok(None),
            Ok(Some(text)) => Uuid::parse_str(text.trim())
                .map(Some)
                .map_err(|_| self.error(name, format!("`{text}` is not a GUID"))),
            Err(_) => Err(self.error(name, "must be a GUID string")),
        }
    }

    /// A GUID field that must be present.
    pub(crate) fn required_uuid(&self, name: &str) -> Result<Uuid, FieldError> {
        self.uuid(name)?
            .ok_or_else(|| self.error(name, "is required"))
    }

    /// A boolean field (`true`/`false`, also as strings).
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(self.error(name, "must be true or false")),
        }
    }

    /// An integer field (also as a numeric string).
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(number)) => number
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.error(name, "must be an integer")),
            Some(Value::String(text)) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.error(name, "must be an integer")),
            Some(_) => Err(self.error(name, "must be an integer")),
        }
    }

    /// An enum field, by name (any case) or by position.
    pub(crate) fn enum_value<E: WireEnum>(&self, name: &str) -> Result<Option<E>, FieldError> {
        let value = match self.get(name) {
            None => return Ok(None),
            Some(Value::String(text)) => E::from_name(text),
            Some(Value::Number(number)) => number.as_u64().and_then(E::from_index),
            Some(_) => None,
        };
        value.map(Some).ok_or_else(|| {
            let names: Vec<&str> = E::ALL.iter().map(|v| v.name()).collect();
            self.error(name, format!("must be one of {}", names.join(", ")))
        })
    }

    /// A date-time field (RFC 3339).
    pub(crate) fn date_time(&self, name: &str) -> Result<Option<OffsetDateTime>, FieldError> {
        match self.string(name)? {
            None => Ok(None),
            Some(text) => OffsetDateTime::parse(text.trim(), &Rfc3339)
                .map(Some)
                .map_err(|_| self.error(name, "must be an RFC 3339 date-time")),
        }
    }

    /// A base64 field (`format: byte`).
    pub(crate) fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, FieldError> {
        match self.string(name)? {
            None => Ok(None),
            Some(text) => STANDARD
                .decode(text.trim())
                .map(Some)
                .map_err(|_| self.error(name, "must be base64")),
        }
    }

    /// An array of strings (a single string counts as one element).
    pub(crate) fn strings(&self, name: &str) -> Result<Vec<String>, FieldError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::String(text)) => Ok(vec![text.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.error(name, "must be an array of strings"))
                })
                .collect(),
            Some(_) => Err(self.error(name, "must be an array of strings")),
        }
    }

    /// A nested object.
    pub(crate) fn object(&self, name: &str) -> Result<Option<Fields<'a>>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields {
                map,
                path: format!("{}{name}.", self.path),
            })),
            Some(_) => Err(self.error(name, "must be an object")),
        }
    }

    /// An array of objects.
    pub(crate) fn objects(&self, name: &str) -> Result<Vec<Fields<'a>>, FieldError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::Object(map) => Ok(Fields {
                        map,
                        path: format!("{}{name}[{index}].", self.path),
                    }),
                    _ => Err(self.error(name, "must be an array of objects")),
                })
                .collect(),
            Some(_) => Err(self.error(name, "must be an array of objects")),
        }
    }

    /// A string-to-string map (`AdditionalProperties`, `Slugs`); numbers and booleans are
    /// written as text. Its keys are kept as sent.
    pub(crate) fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>, FieldError> {
        match self.get(name) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(key, value)| match value {
                    Value::String(text) => Ok((key.clone(), text.clone())),
                    Value::Number(_) | Value::Bool(_) => Ok((key.clone(), value.to_string())),
                    _ => Err(self.error(name, "values must be strings")),
                })
                .collect(),
            Some(_) => Err(self.error(name, "must be an object of strings")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::seed::InstanceType;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn keys_match_in_any_case() {
        let map =
            object(json!({"instanceId": "5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b", "LABEL": "x"}));
        let fields = Fields::new(&map);
        assert!(fields.required_uuid("InstanceId").is_ok());
        assert_eq!(fields.required_string("Label"), Ok("x".to_owned()));
        assert_eq!(
            fields.required_string("Notes").map_err(|e| e.field),
            Err("Notes".to_owned())
        );
    }

    #[test]
    fn enums_by_name_or_position() {
        let map = object(json!({"a": "sandbox", "b": 1, "c": "Nope", "d": true}));
        let fields = Fields::new(&map);
        assert_eq!(
            fields.enum_value::<InstanceType>("a"),
            Ok(Some(InstanceType::Sandbox))
        );
        assert_eq!(
            fields.enum_value::<InstanceType>("b"),
            Ok(Some(InstanceType::Production))
        );
        assert!(fields.enum_value::<InstanceType>("c").is_err());
        assert!(fields.enum_value::<InstanceType>("d").is_err());
    }

    #[test]
    fn nested_errors_name_the_path() {
        let map = object(json!({"Currency": {"Code": 5}}));
        let fields = Fields::new(&map);
        let currency = fields.object("currency").ok().flatten();
        let error = currency.map(|c| c.string("Code"));
        assert_eq!(
            error.and_then(|e| e.err()).map(|e| e.field),
            Some("currency.Code".to_owned())
        );
    }

    #[test]
    fn bodies_that_are_not_objects() {
        assert_eq!(parse_object(b"  "), Err(BodyError::Empty));
        assert_eq!(parse_object(b"[1]"), Err(BodyError::NotObject));
        assert!(matches!(parse_object(b"{"), Err(BodyError::NotJson(_))));
        assert_eq!(parse_optional_object(b""), Ok(Map::new()));
    }
}
