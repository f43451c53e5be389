//! Reading a received body into a [`Lead`], refusing what is not a lead with a typed reason.
//!
//! Type rules, per field (the schema says every field is a string, REFERENCE 5.2):
//! - a string is taken trimmed; an empty string or `null` is "not sent";
//! - a number or boolean is taken as its JSON text (tolerant: a phone sent as a number is
//!   still the phone, and refusing it would lose a lead);
//! - an object or array where text is expected is refused ([`Error::WrongType`]): there is no
//!   faithful text for it, and the raw body stays in the dead-letter store;
//! - `UserDetails` and `CustomerInfo` (its Azure Table spelling) must be an object or a string
//!   holding one (the Table destination stores it as JSON text, REFERENCE 5.4).

use serde_json::{Map, Value};

use crate::error::{Error, Result, json_type, syntax_detail};
use crate::fields::{Field, Level, is_user_container, normalise_key};
use crate::lead::{ALL_FIELDS, Lead};

/// The default body size limit: 1 MiB. A real lead is well under 1 KiB; the issue names
/// 10 MB bodies as hostile input.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How bodies are read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Bodies longer than this many bytes are refused unread. Default [`DEFAULT_MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl ParseOptions {
    /// Sets the body size limit in bytes.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }
}

impl Lead {
    /// Reads a lead from a received body (HTTPS-endpoint JSON or an Azure Table entity as JSON)
    /// with the default [`ParseOptions`].
    ///
    /// Keys are matched whatever their case and spacing (`userDetails` = `UserDetails`).
    /// Refused, with an [`Error`] whose `Display` is fit for a dead-letter record: bodies over
    /// the size limit, text that is not JSON, JSON that is not an object, objects with no lead
    /// field, fields of a type that has no text (see the module rules), and one field sent twice
    /// under differently-cased keys with different values. Never panics.
    ///
    /// Microsoft's published test lead (`lead-management-faq.md`) lacks a comma and is refused
    /// as not JSON: the marketplace's sender serialises JSON, so it cannot send that text, and
    /// repairing JSON by guessing could put values in the wrong fields.
    pub fn parse(body: &[u8]) -> Result<Lead> {
        Lead::parse_with(body, &ParseOptions::default())
    }

    /// [`Lead::parse`] with options.
    pub fn parse_with(body: &[u8], options: &ParseOptions) -> Result<Lead> {
        if body.len() > options.max_body_bytes {
            return Err(Error::TooLarge {
                size: body.len(),
                limit: options.max_body_bytes,
            });
        }
        // A UTF-8 byte-order mark is not JSON but some senders add one; it carries nothing.
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        // serde_json stops nesting at depth 128 with an error, so hostile nesting cannot
        // overflow the stack.
        let value: Value = serde_json::from_slice(body).map_err(|e| Error::NotJson {
            detail: syntax_detail(&e),
            line: e.line(),
            column: e.column(),
        })?;
        from_value(value)
    }
}

/// Reads a lead from a parsed JSON document.
pub(crate) fn from_value(value: Value) -> Result<Lead> {
    let Value::Object(top) = value else {
        return Err(Error::NotAnObject {
            found: json_type(&value),
        });
    };
    let mut lead = Lead::default();
    let mut unknown_keys = 0;
    for (key, value) in top {
        let normalised = normalise_key(&key);
        if is_user_container(&normalised) {
            read_user_details(&mut lead, &key, value)?;
        } else if let Some(field) = Field::from_key(&normalised, Level::Top) {
            set(&mut lead, field, value)?;
        } else {
            unknown_keys += 1;
            lead.extra.insert(key, value);
        }
    }
    if ALL_FIELDS.iter().all(|field| lead.get(*field).is_none()) {
        return Err(Error::Empty {
            unknown_keys: unknown_keys + lead.extra_user_details.len(),
        });
    }
    Ok(lead)
}

fn read_user_details(lead: &mut Lead, key: &str, value: Value) -> Result<()> {
    let field = if normalise_key(key) == "customerinfo" {
        "CustomerInfo"
    } else {
        "UserDetails"
    };
    let details = match value {
        Value::Null => return Ok(()),
        Value::Object(details) => details,
        // The Azure Table shape stores the customer's details as JSON text (REFERENCE 5.4).
        Value::String(text) if text.trim().is_empty() => return Ok(()),
        Value::String(text) => nested_object(field, &text)?,
        other => {
            return Err(Error::WrongType {
                field,
                found: json_type(&other),
                expected: "an object (or, for CustomerInfo, JSON text of one)",
            });
        }
    };
    for (key, value) in details {
        match Field::from_key(&normalise_key(&key), Level::User) {
            Some(field) => set(lead, field, value)?,
            None => {
                lead.extra_user_details.insert(key, value);
            }
        }
    }
    Ok(())
}

fn nested_object(field: &'static str, text: &str) -> Result<Map<String, Value>> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::NestedNotJson {
        field,
        detail: syntax_detail(&e),
        line: e.line(),
        column: e.column(),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Error::WrongType {
            field,
            found: json_type(&other),
            expected: "JSON text of an object",
        }),
    }
}

/// Stores a field's value; a second key for the same field must agree with the first.
fn set(lead: &mut Lead, field: Field, value: Value) -> Result<()> {
    let Some(text) = as_text(field, value)? else {
        return Ok(());
    };
    let slot = lead.slot_mut(field);
    match slot {
        Some(existing) if *existing != text => Err(Error::ConflictingKeys {
            field: field.wire_name(),
        }),
        _ => {
            *slot = Some(text);
            Ok(())
        }
    }
}

fn as_text(field: Field, value: Value) -> Result<Option<String>> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(text) => text,
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => {
            return Err(Error::WrongType {
                field: field.wire_name(),
                found: json_type(&other),
                expected: "a string",
            });
        }
    };
    let trimmed = text.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Lead> {
        Lead::parse(text.as_bytes())
    }

    #[test]
    fn keys_in_any_case_and_unknown_keys_are_kept() {
        let lead = parse(
            r#"{"userDetails":{"firstname":" Ada ","EMAIL":"a@b.c","Mobile":"1"},
                "leadsource":"AzureMarketplace","Actioncode":"INS","Campaign":{"id":7}}"#,
        )
        .unwrap();
        assert_eq!(lead.first_name.as_deref(), Some("Ada"));
        assert_eq!(lead.email.as_deref(), Some("a@b.c"));
        assert_eq!(lead.action_code.as_deref(), Some("INS"));
        assert_eq!(lead.extra["Campaign"], serde_json::json!({"id": 7}));
        assert_eq!(lead.extra_user_details["Mobile"], "1");
    }

    #[test]
    fn numbers_and_booleans_are_read_as_text() {
        let lead = parse(r#"{"UserDetails":{"Phone":16175555555},"Description":true}"#).unwrap();
        assert_eq!(lead.phone.as_deref(), Some("16175555555"));
        assert_eq!(lead.description.as_deref(), Some("true"));
    }

    #[test]
    fn objects_where_text_is_expected_are_refused() {
        let err = parse(r#"{"UserDetails":{"Email":{"x":"secret@x"}}}"#).unwrap_err();
        assert_eq!(
            err,
            Error::WrongType {
                field: "Email",
                found: "an object",
                expected: "a string"
            }
        );
        assert!(!err.to_string().contains("secret"));
        let err = parse(r#"{"UserDetails":["a"]}"#).unwrap_err();
        assert_eq!(err.code(), "wrong_type");
        assert!(err.is_bad_lead());
    }

    #[test]
    fn not_json_says_where() {
        match parse("{\"LeadSource\": \"x\"\n \"ActionCode\": \"INS\"}").unwrap_err() {
            Error::NotJson { line, column, .. } => assert_eq!((line, column), (2, 2)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn not_an_object_and_empty_are_refused() {
        assert_eq!(
            parse("[1,2]").unwrap_err(),
            Error::NotAnObject { found: "an array" }
        );
        assert_eq!(parse("{}").unwrap_err(), Error::Empty { unknown_keys: 0 });
        assert_eq!(
            parse(r#"{"UserDetails":{"FirstName":"  "},"x":1}"#).unwrap_err(),
            Error::Empty { unknown_keys: 1 }
        );
    }

    #[test]
    fn size_limit_is_checked_before_parsing() {
        let body = vec![b' '; 101];
        let options = ParseOptions::default().max_body_bytes(100);
        assert_eq!(
            Lead::parse_with(&body, &options).unwrap_err(),
            Error::TooLarge {
                size: 101,
                limit: 100
            }
        );
    }

    #[test]
    fn the_same_field_twice_must_agree() {
        let same = parse(r#"{"UserDetails":{"Email":"a@b.c","email":" a@b.c"}}"#).unwrap();
        assert_eq!(same.email.as_deref(), Some("a@b.c"));
        assert_eq!(
            parse(r#"{"UserDetails":{"Email":"a@b.c"},"userdetails":{"EMAIL":"d@e.f"}}"#)
                .unwrap_err(),
            Error::ConflictingKeys { field: "Email" }
        );
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let lead = Lead::parse(b"\xEF\xBB\xBF{\"OfferTitle\":\"X\"}").unwrap();
        assert_eq!(lead.offer_title.as_deref(), Some("X"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let body = format!("{{\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse(&body).unwrap_err().code(), "not_json");
    }

    #[test]
    fn customer_info_may_be_json_text() {
        let lead = parse(
            r#"{"CustomerInfo":"{\"FirstName\":\"Ada\",\"Country\":\"UK\"}","OfferDisplayName":"Offer"}"#,
        )
        .unwrap();
        assert_eq!(lead.first_name.as_deref(), Some("Ada"));
        assert_eq!(lead.offer_title.as_deref(), Some("Offer"));
        let err = parse(r#"{"CustomerInfo":"{not json"}"#).unwrap_err();
        assert_eq!(err.code(), "nested_not_json");
        let err = parse(r#"{"CustomerInfo":"[1]"}"#).unwrap_err();
        assert_eq!(err.code(), "wrong_type");
    }
}
