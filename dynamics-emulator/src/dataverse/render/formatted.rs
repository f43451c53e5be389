//! Formatted values (`@OData.Community.Display.V1.FormattedValue`), en-US: `$38,000.00` for
//! currency, `10,000` for whole numbers, option labels, `9/28/2016 10:57 PM` for dates, and the
//! primary name of a lookup's row.

use crate::dataverse::metadata::model::{AttrKind, Attribute};
use crate::dataverse::odata::literal::{format_date_display, format_datetime_display};
use crate::dataverse::state::View;
use crate::dataverse::store::cell::CellRef;

/// The formatted value of a cell, when the column type has one.
pub(crate) fn formatted(
    attribute: &Attribute,
    cell: CellRef<'_>,
    currency_symbol: Option<&str>,
    view: &View<'_>,
) -> Option<String> {
    match (attribute.kind, cell) {
        (AttrKind::Money, CellRef::Float(f)) => Some(money(f, currency_symbol.unwrap_or("$"))),
        (AttrKind::Money, CellRef::Int(i)) => Some(money(i as f64, currency_symbol.unwrap_or("$"))),
        (AttrKind::Integer | AttrKind::BigInt, CellRef::Int(i)) => {
            Some(group(i.unsigned_abs().to_string(), i < 0))
        }
        (AttrKind::Decimal | AttrKind::Double, CellRef::Float(f)) => {
            Some(number(f, usize::from(attribute.precision.unwrap_or(2))))
        }
        (AttrKind::Picklist | AttrKind::State | AttrKind::Status, CellRef::Int(i)) => {
            attribute.option_label(i).map(str::to_owned)
        }
        (AttrKind::Boolean, CellRef::Bool(b)) => attribute
            .option_label(i64::from(b))
            .map(str::to_owned)
            .or_else(|| Some(if b { "Yes" } else { "No" }.to_owned())),
        (AttrKind::DateTime, CellRef::DateTime(s)) => Some(format_datetime_display(s)),
        (AttrKind::DateOnly, CellRef::Date(s) | CellRef::DateTime(s)) => {
            Some(format_date_display(s))
        }
        (_, CellRef::Lookup { id, table }) => view.primary_name(table, id).map(str::to_owned),
        _ => None,
    }
}

/// `$5,000,000.00`
fn money(value: f64, symbol: &str) -> String {
    let text = number(value.abs(), 2);
    if value < 0.0 {
        format!("-{symbol}{text}")
    } else {
        format!("{symbol}{text}")
    }
}

/// A number with thousands separators and `precision` decimals.
fn number(value: f64, precision: usize) -> String {
    let text = format!("{:.*}", precision, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = group(whole.to_owned(), value < 0.0);
    if fraction.is_empty() {
        grouped
    } else {
        format!("{grouped}.{fraction}")
    }
}

fn group(digits: String, negative: bool) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if negative { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(money(38000.0, "$"), "$38,000.00");
        assert_eq!(money(5_000_000.0, "$"), "$5,000,000.00");
        assert_eq!(money(-5.5, "€"), "-€5.50");
        assert_eq!(group("10000".into(), false), "10,000");
        assert_eq!(group("100".into(), true), "-100");
        assert_eq!(number(47.639583, 5), "47.63958");
    }
}
