//! JSON values of a request body to typed cells, with the service's checks: types, text length
//! (0x80044331), option-set ranges and number ranges.

use serde_json::Value;
use uuid::Uuid;

use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::model::{AttrKind, Attribute, Table};
use crate::dataverse::odata::literal::{parse_date, parse_datetime};
use crate::dataverse::store::cell::Cell;

/// ODataLib's message for a value of the wrong type.
fn mismatch(value: &Value, attribute: &Attribute) -> ApiError {
    ApiError::bad_request(format!(
        "Cannot convert the literal '{value}' to the expected type '{}'.",
        attribute.kind.edm_type()
    ))
}

/// Converts one JSON value for a (non-lookup) column; `Ok(None)` is null.
pub(crate) fn to_cell(
    table: &Table,
    attribute: &Attribute,
    value: &Value,
) -> Result<Option<Cell>, ApiError> {
    if value.is_null() {
        return Ok(None);
    }
    let cell = match attribute.kind {
        AttrKind::String | AttrKind::Memo => {
            let text = value.as_str().ok_or_else(|| mismatch(value, attribute))?;
            if let Some(max) = attribute.max_length
                && text.chars().count() > max
            {
                return Err(ApiError::validation(format!(
                    "The length of the '{}' attribute of the '{}' entity exceeded the maximum \
                     allowed length of '{max}'.",
                    attribute.logical_name, table.logical_name
                )));
            }
            Cell::Text(text.into())
        }
        AttrKind::Integer
        | AttrKind::BigInt
        | AttrKind::Picklist
        | AttrKind::State
        | AttrKind::Status => {
            let number = value
                .as_i64()
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| mismatch(value, attribute))?;
            if attribute.kind != AttrKind::BigInt && i32::try_from(number).is_err() {
                return Err(ApiError::validation(format!(
                    "The value {number} of '{}' on record of type '{}' is outside the valid range.",
                    attribute.logical_name, table.logical_name
                )));
            }
            if !attribute.options.is_empty() && attribute.option_label(number).is_none() {
                return Err(ApiError::validation(format!(
                    "The value {number} of '{}' on record of type '{}' is outside the valid range. \
                     Accepted Values: {}",
                    attribute.logical_name,
                    table.logical_name,
                    attribute
                        .options
                        .iter()
                        .map(|o| o.value.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                )));
            }
            Cell::Int(number)
        }
        AttrKind::Decimal | AttrKind::Double | AttrKind::Money => {
            let number = value
                .as_f64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
                // "NaN", "inf" and the like are not decimal numbers.
                .filter(|number| number.is_finite())
                .ok_or_else(|| mismatch(value, attribute))?;
            if let Some((min, max)) = attribute.kind.number_range()
                && !(min..=max).contains(&number)
            {
                return Err(ApiError::validation(format!(
                    "The value {value} of '{}' on record of type '{}' is outside the valid \
                     range. Accepted range: {min} to {max}",
                    attribute.logical_name, table.logical_name
                )));
            }
            Cell::Float(round(number, attribute.precision))
        }
        AttrKind::Boolean => Cell::Bool(value.as_bool().ok_or_else(|| mismatch(value, attribute))?),
        AttrKind::DateTime => {
            let text = value.as_str().ok_or_else(|| mismatch(value, attribute))?;
            Cell::DateTime(
                parse_datetime(text)
                    .or_else(|| parse_date(text))
                    .ok_or_else(|| mismatch(value, attribute))?,
            )
        }
        AttrKind::DateOnly => {
            let text = value.as_str().ok_or_else(|| mismatch(value, attribute))?;
            let seconds = parse_date(text)
                .or_else(|| parse_datetime(text).map(|s| s - s.rem_euclid(86_400)))
                .ok_or_else(|| mismatch(value, attribute))?;
            Cell::Date(seconds)
        }
        AttrKind::Uniqueidentifier => {
            let text = value.as_str().ok_or_else(|| mismatch(value, attribute))?;
            Cell::Guid(parse_guid(text).ok_or_else(|| mismatch(value, attribute))?)
        }
        AttrKind::Lookup | AttrKind::Customer | AttrKind::Owner => {
            return Err(ApiError::bad_request(format!(
                "The property '{}' does not exist on type '{}'. Set lookups with \
                 '{}@odata.bind'.",
                attribute.logical_name,
                table.type_name(),
                attribute.logical_name
            )));
        }
    };
    Ok(Some(cell))
}

/// A GUID with or without braces.
pub(crate) fn parse_guid(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text.trim().trim_matches(['{', '}'])).ok()
}

fn round(value: f64, precision: Option<u8>) -> f64 {
    match precision {
        Some(p) => {
            let factor = 10f64.powi(i32::from(p));
            (value * factor).round() / factor
        }
        None => value,
    }
}
