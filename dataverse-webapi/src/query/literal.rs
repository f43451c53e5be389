//! OData literals, written so that no value can change the meaning of an expression.

use std::fmt::Write as _;

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::{DataverseError, Result};

/// A value in a filter, a key or a function parameter.
///
/// `Debug` shows the kind of value only (`String(..)`): values are often personal data.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number (must be finite).
    Float(f64),
    /// A decimal written as text (`"12.50"`), for money and decimals that must not round.
    Decimal(String),
    /// Text: single-quoted, with `'` doubled.
    String(String),
    /// A GUID, written bare.
    Guid(Uuid),
    /// A point in time, written as RFC 3339 in UTC.
    DateTime(OffsetDateTime),
    /// A calendar date, `YYYY-MM-DD`.
    Date(Date),
}

impl Literal {
    /// The literal as it goes into an OData expression.
    pub fn render(&self) -> Result<String> {
        Ok(match self {
            Literal::Null => "null".into(),
            Literal::Bool(b) => b.to_string(),
            Literal::Int(i) => i.to_string(),
            Literal::Float(f) => {
                if !f.is_finite() {
                    return Err(DataverseError::invalid(
                        "number in a query",
                        "NaN and infinity cannot be written in OData; use a finite number or null",
                    ));
                }
                let mut s = format!("{f}");
                if !s.contains(['.', 'e', 'E']) {
                    s.push_str(".0");
                }
                s
            }
            Literal::Decimal(d) => {
                let ok = !d.is_empty()
                    && d.trim_start_matches('-').split('.').count() <= 2
                    && d.trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.')
                    && d.chars().any(|c| c.is_ascii_digit());
                if !ok {
                    return Err(DataverseError::invalid(
                        "decimal in a query",
                        "write it as digits with an optional leading '-' and one '.'",
                    ));
                }
                d.clone()
            }
            Literal::String(s) => {
                let mut out = String::with_capacity(s.len() + 2);
                out.push('\'');
                for c in s.chars() {
                    if c == '\'' {
                        out.push_str("''");
                    } else {
                        out.push(c);
                    }
                }
                out.push('\'');
                out
            }
            Literal::Guid(g) => g.hyphenated().to_string(),
            Literal::DateTime(t) => {
                let utc = t.to_offset(time::UtcOffset::UTC);
                utc.format(&Rfc3339).map_err(|e| {
                    DataverseError::invalid(
                        "date-time in a query",
                        format!("it cannot be written as RFC 3339: {e}"),
                    )
                })?
            }
            Literal::Date(d) => {
                let mut s = String::new();
                let _ = write!(
                    s,
                    "{:04}-{:02}-{:02}",
                    d.year(),
                    u8::from(d.month()),
                    d.day()
                );
                s
            }
        })
    }
}

impl std::fmt::Debug for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Literal::Null => "Null",
            Literal::Bool(_) => "Bool(..)",
            Literal::Int(_) => "Int(..)",
            Literal::Float(_) => "Float(..)",
            Literal::Decimal(_) => "Decimal(..)",
            Literal::String(_) => "String(..)",
            Literal::Guid(_) => "Guid(..)",
            Literal::DateTime(_) => "DateTime(..)",
            Literal::Date(_) => "Date(..)",
        })
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Literal {
            fn from(v: $t) -> Self {
                Literal::Int(i64::from(v))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for Literal {
    fn from(v: f64) -> Self {
        Literal::Float(v)
    }
}

impl From<bool> for Literal {
    fn from(v: bool) -> Self {
        Literal::Bool(v)
    }
}

impl From<&str> for Literal {
    fn from(v: &str) -> Self {
        Literal::String(v.to_string())
    }
}

impl From<String> for Literal {
    fn from(v: String) -> Self {
        Literal::String(v)
    }
}

impl From<&String> for Literal {
    fn from(v: &String) -> Self {
        Literal::String(v.clone())
    }
}

impl From<Uuid> for Literal {
    fn from(v: Uuid) -> Self {
        Literal::Guid(v)
    }
}

impl From<OffsetDateTime> for Literal {
    fn from(v: OffsetDateTime) -> Self {
        Literal::DateTime(v)
    }
}

impl From<Date> for Literal {
    fn from(v: Date) -> Self {
        Literal::Date(v)
    }
}

impl<T: Into<Literal>> From<Option<T>> for Literal {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Literal::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_written_safely() {
        let r = |l: Literal| l.render().expect("renders");
        assert_eq!(r("O'Bryan".into()), "'O''Bryan'");
        assert_eq!(r("x' or 1 eq 1 or 'a".into()), "'x'' or 1 eq 1 or ''a'");
        assert_eq!(
            r(Uuid::nil().into()),
            "00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(r(Literal::Null), "null");
        assert_eq!(r(Option::<i32>::None.into()), "null");
        assert_eq!(r(42.into()), "42");
        assert_eq!(r(2.0.into()), "2.0");
        assert_eq!(r(true.into()), "true");
        assert_eq!(
            r(time::macros::datetime!(2024-03-01 10:00 +02:00).into()),
            "2024-03-01T08:00:00Z"
        );
        assert_eq!(r(time::macros::date!(2024 - 03 - 01).into()), "2024-03-01");
        assert_eq!(r(Literal::Decimal("-12.50".into())), "-12.50");
        assert!(Literal::Float(f64::NAN).render().is_err());
        assert!(Literal::Decimal("1;drop".into()).render().is_err());
    }
}
