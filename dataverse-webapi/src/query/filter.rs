//! A `$filter` expression builder: column names are checked and values become literals, so
//! no value can change the meaning of the filter.

use std::fmt;

use super::literal::Literal;
use crate::error::{DataverseError, Result};

/// A `$filter` expression.
///
/// ```
/// use dataverse_webapi::Filter;
/// let f = Filter::eq("lastname", "O'Bryan")
///     .and(Filter::ge("revenue", 1000))
///     .and(Filter::is_null("parentcustomerid").not());
/// assert_eq!(
///     f.to_odata().unwrap(),
///     "(lastname eq 'O''Bryan' and revenue ge 1000) and not (parentcustomerid eq null)"
/// );
/// ```
#[derive(Clone, PartialEq)]
pub struct Filter(std::result::Result<String, String>);

impl Filter {
    fn compare(column: &str, op: &str, value: Literal) -> Filter {
        Filter(check_column(column).and_then(|c| {
            let v = value.render().map_err(|e| e.to_string())?;
            Ok(format!("{c} {op} {v}"))
        }))
    }

    fn function(name: &str, column: &str, value: &str) -> Filter {
        Filter(check_column(column).and_then(|c| {
            let v = Literal::String(value.to_string())
                .render()
                .map_err(|e| e.to_string())?;
            Ok(format!("{name}({c},{v})"))
        }))
    }

    /// `column eq value`
    pub fn eq(column: &str, value: impl Into<Literal>) -> Filter {
        Self::compare(column, "eq", value.into())
    }
    /// `column ne value`
    pub fn ne(column: &str, value: impl Into<Literal>) -> Filter {
        Self::compare(column, "ne", value.into())
    }
    /// `column gt value`
    pub fn gt(column: &str, value: impl Into<Literal>) -> Filter {
        Self::compare(column, "gt", value.into())
    }
    /// `column ge value`
    pub fn ge(column: &str, value: impl Into<Literal>) -> Filter {
        Self::compare(column, "ge", value.into())
    }
    /// `column lt value`
    pub fn lt(column: &str, value: impl Into<Literal>) -> Filter {
        Self::compare(column, "lt", value.into())
    }
    /// `column le value`
    pub fn le(column: &str, value: impl Into<Literal>) -> Filter {
        Self::compare(column, "le", value.into())
    }
    /// `column eq null`
    pub fn is_null(column: &str) -> Filter {
        Self::compare(column, "eq", Literal::Null)
    }
    /// `column ne null`
    pub fn is_not_null(column: &str) -> Filter {
        Self::compare(column, "ne", Literal::Null)
    }
    /// `contains(column,'text')`
    pub fn contains(column: &str, text: &str) -> Filter {
        Self::function("contains", column, text)
    }
    /// `startswith(column,'text')`
    pub fn starts_with(column: &str, text: &str) -> Filter {
        Self::function("startswith", column, text)
    }
    /// `endswith(column,'text')`
    pub fn ends_with(column: &str, text: &str) -> Filter {
        Self::function("endswith", column, text)
    }

    /// A filter written by hand, used as it is. Its values are not checked: never build one
    /// from untrusted input. Combined with [`Filter::and`], [`Filter::or`] or [`Filter::not`]
    /// it is kept in parentheses, so `raw("a eq 1 or b eq 2").and(x)` means
    /// `(a eq 1 or b eq 2) and x`; for that its parentheses and quotes must balance (checked
    /// when the filter is written).
    pub fn raw(expression: impl Into<String>) -> Filter {
        let expression = expression.into();
        if expression.trim().is_empty() || !balanced(&expression) {
            return Filter(Err(
                "a raw filter must be non-empty, with balanced parentheses and single quotes"
                    .into(),
            ));
        }
        // Parenthesized, it is one operand whatever operators it holds; `to_odata` drops the
        // outer pair when it stands alone.
        Filter(Ok(format!("({expression})")))
    }

    fn combine(self, op: &str, other: Filter) -> Filter {
        Filter(
            self.0
                .and_then(|a| other.0.map(|b| format!("({a} {op} {b})"))),
        )
    }

    /// Both.
    pub fn and(self, other: Filter) -> Filter {
        self.combine("and", other)
    }

    /// Either.
    pub fn or(self, other: Filter) -> Filter {
        self.combine("or", other)
    }

    /// The opposite.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Filter {
        Filter(self.0.map(|a| format!("not ({a})")))
    }

    /// All of them (`true` when empty).
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Self::join(filters, "and", "true")
    }

    /// Any of them (`false` when empty).
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Self::join(filters, "or", "false")
    }

    fn join(filters: impl IntoIterator<Item = Filter>, op: &str, empty: &str) -> Filter {
        let parts: std::result::Result<Vec<String>, String> =
            filters.into_iter().map(|f| f.0).collect();
        Filter(parts.map(|p| {
            match p.len() {
                0 => empty.to_string(),
                1 => p.into_iter().next().unwrap_or_default(),
                _ => p
                    .iter()
                    .map(|x| format!("({x})"))
                    .collect::<Vec<_>>()
                    .join(&format!(" {op} ")),
            }
        }))
    }

    /// The expression, or the error that a bad column name or value caused.
    pub fn to_odata(&self) -> Result<String> {
        let s = self
            .0
            .clone()
            .map_err(|fix| DataverseError::invalid("filter", fix))?;
        Ok(strip_outer_parens(&s).to_string())
    }
}

/// `true` when every `(` outside string literals closes, none closes early, and every string
/// literal ends (a doubled `''` inside one is an escaped quote).
fn balanced(s: &str) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    for c in s.chars() {
        match c {
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => {}
        }
    }
    depth == 0 && !in_string
}

fn strip_outer_parens(s: &str) -> &str {
    if !(s.starts_with('(') && s.ends_with(')')) {
        return s;
    }
    // Only strip if the first '(' closes at the very end (outside string literals).
    let mut depth = 0i32;
    let mut in_string = false;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 && i != s.len() - 1 {
                    return s;
                }
            }
            _ => {}
        }
    }
    &s[1..s.len() - 1]
}

impl fmt::Debug for Filter {
    /// Filters hold values (often personal data): show only whether it is valid.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Ok(_) => f.write_str("Filter(..)"),
            Err(e) => write!(f, "Filter(invalid: {e})"),
        }
    }
}

/// [`check_column`] with the error naming `what` was being checked.
pub(crate) fn checked(what: &str, column: &str) -> Result<String> {
    check_column(column).map_err(|fix| DataverseError::invalid(what, fix))
}

/// Column names and navigation paths: letters, digits, `_`, and `/` between segments.
/// [`checked`] for a name that is one identifier (a navigation property, a parameter): no
/// `nav/column` path.
pub(crate) fn checked_name(what: &str, name: &str) -> Result<String> {
    if name.contains('/') {
        return Err(DataverseError::invalid(
            what,
            format!(
                "`{}` is a path; give one name (letters, digits, _)",
                name.chars().take(64).collect::<String>()
            ),
        ));
    }
    checked(what, name)
}

pub(crate) fn check_column(column: &str) -> std::result::Result<String, String> {
    let ok = !column.is_empty()
        && column.split('/').all(|seg| {
            let mut chars = seg.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(column.to_string())
    } else {
        Err(format!(
            "`{}` is not a column name; use the column's logical name (letters, digits, _), or nav/column",
            column.chars().take(64).collect::<String>()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_keep_their_meaning() {
        let f = Filter::eq("a", 1)
            .or(Filter::eq("b", 2))
            .and(Filter::eq("c", 3));
        assert_eq!(f.to_odata().expect("ok"), "(a eq 1 or b eq 2) and c eq 3");
        let any = Filter::any([Filter::eq("x", "1"), Filter::starts_with("name", "Con'")]);
        assert_eq!(
            any.to_odata().expect("ok"),
            "(x eq '1') or (startswith(name,'Con'''))"
        );
        assert_eq!(Filter::all([]).to_odata().expect("ok"), "true");
    }

    #[test]
    fn injection_through_names_or_values_fails_or_is_quoted() {
        assert!(Filter::eq("name eq 'x' or 1", 1).to_odata().is_err());
        assert!(Filter::eq("", 1).to_odata().is_err());
        assert!(Filter::eq("a", f64::INFINITY).to_odata().is_err());
        assert!(
            Filter::eq("a", 1)
                .and(Filter::eq("b)", 2))
                .to_odata()
                .is_err()
        );
        assert_eq!(
            Filter::eq("primarycontactid/fullname", "') or (1 eq 1")
                .to_odata()
                .expect("ok"),
            "primarycontactid/fullname eq ''') or (1 eq 1'"
        );
    }
}
