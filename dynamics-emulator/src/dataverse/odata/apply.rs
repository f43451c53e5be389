//! `$apply`: the aggregation transformations Microsoft documents for the Web API ("Aggregate
//! data using OData"): `groupby((col,…))`, `groupby((col,…),aggregate(…))`, `aggregate(…)` with
//! `col with sum|avg|min|max|countdistinct as alias` and `$count as alias`, each optionally
//! after `filter(…)/`. Other transformations (`compute`, `expand`, `top`, `orderby`, nested
//! paths, …) are a 400 that names them.
//!
//! The text is parsed without recursion; the number of transformations, grouped columns and
//! aggregates is bounded, and a `filter(…)` expression goes through the `$filter` parser with
//! its own depth limits.

use super::expand::split_top_level;
use crate::dataverse::errors::ApiError;

/// Most transformations one `$apply` may chain (`filter(…)/…/groupby(…)`).
pub(crate) const MAX_TRANSFORMATIONS: usize = 8;
/// Most columns one `groupby` may name.
pub(crate) const MAX_GROUP_COLUMNS: usize = 32;
/// Most aggregates one `aggregate(…)` may hold.
pub(crate) const MAX_AGGREGATES: usize = 32;
/// Longest alias.
const MAX_ALIAS: usize = 128;

/// An aggregation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Sum,
    Average,
    Min,
    Max,
    CountDistinct,
    /// `$count as alias`: the rows of the group.
    Count,
}

impl Method {
    /// The name as written in `with …`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sum => "sum",
            Self::Average => "average",
            Self::Min => "min",
            Self::Max => "max",
            Self::CountDistinct => "countdistinct",
            Self::Count => "$count",
        }
    }
}

/// One aggregate: `column with method as alias` (no column for `$count`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Aggregate {
    pub(crate) column: Option<String>,
    pub(crate) method: Method,
    pub(crate) alias: String,
}

/// A parsed `$apply`: filters (applied first, in order), then the grouping and aggregates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Apply {
    /// `filter(…)` expressions, as written.
    pub(crate) filters: Vec<String>,
    /// Grouped columns; empty for a plain `aggregate(…)` (one group of every row).
    pub(crate) group_by: Vec<String>,
    pub(crate) aggregates: Vec<Aggregate>,
}

fn unsupported(what: &str) -> ApiError {
    ApiError::bad_request(format!(
        "The $apply transformation '{what}' is not supported. Use filter(…), groupby((…)) or \
         aggregate(… with sum|average|min|max|countdistinct as alias, $count as alias)."
    ))
}

fn syntax(text: &str) -> ApiError {
    ApiError::bad_request(format!("Syntax error in '$apply={text}'."))
}

/// `name(inner)` → `(name, inner)`, when `item` is one call whose parentheses balance.
fn call(item: &str) -> Option<(&str, &str)> {
    let open = item.find('(')?;
    let inner = item[open + 1..].strip_suffix(')')?;
    let name = item[..open].trim();
    let mut depth = 0usize;
    let mut quoted = false;
    for c in inner.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.checked_sub(1)?,
            _ => {}
        }
    }
    (depth == 0 && !quoted).then_some((name, inner))
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `$apply`.
pub(crate) fn parse_apply(text: &str) -> Result<Apply, ApiError> {
    let steps = split_top_level(text, '/');
    if steps.is_empty() {
        return Err(syntax(text));
    }
    if steps.len() > MAX_TRANSFORMATIONS {
        return Err(ApiError::bad_request(format!(
            "The $apply option chains more than {MAX_TRANSFORMATIONS} transformations."
        )));
    }
    let mut apply = Apply::default();
    let last = steps.len() - 1;
    for (n, step) in steps.iter().enumerate() {
        let (name, inner) = call(step).ok_or_else(|| syntax(text))?;
        match name {
            "filter" if n < last => {
                if inner.trim().is_empty() {
                    return Err(syntax(text));
                }
                apply.filters.push(inner.to_owned());
            }
            "filter" => {
                return Err(ApiError::bad_request(
                    "A $apply filter(…) must be followed by groupby(…) or aggregate(…).",
                ));
            }
            "groupby" if n == last => group_by(inner, text, &mut apply)?,
            "aggregate" if n == last => apply.aggregates = aggregates(inner)?,
            "groupby" | "aggregate" => {
                return Err(ApiError::bad_request(format!(
                    "The $apply transformation '{name}' must come last."
                )));
            }
            other => return Err(unsupported(other)),
        }
    }
    let mut names: Vec<&str> = apply.group_by.iter().map(String::as_str).collect();
    for aggregate in &apply.aggregates {
        if names.contains(&aggregate.alias.as_str()) {
            return Err(ApiError::bad_request(format!(
                "The alias '{}' is used more than once in $apply.",
                aggregate.alias
            )));
        }
        names.push(&aggregate.alias);
    }
    Ok(apply)
}

/// `(col,…)[,aggregate(…)]`
fn group_by(inner: &str, text: &str, apply: &mut Apply) -> Result<(), ApiError> {
    let parts = split_top_level(inner, ',');
    let (columns, rest) = match parts.split_first() {
        Some((first, rest)) => (first, rest),
        None => return Err(syntax(text)),
    };
    let columns = columns
        .strip_prefix('(')
        .and_then(|c| c.strip_suffix(')'))
        .ok_or_else(|| syntax(text))?;
    for column in split_top_level(columns, ',') {
        if column.contains('/') {
            return Err(ApiError::bad_request(format!(
                "Grouping by a related table's column ('{column}') is not supported; group by \
                 the lookup column instead."
            )));
        }
        if !is_name(&column) {
            return Err(syntax(text));
        }
        if apply.group_by.contains(&column) {
            return Err(ApiError::bad_request(format!(
                "The column '{column}' is grouped more than once."
            )));
        }
        apply.group_by.push(column);
    }
    if apply.group_by.is_empty() {
        return Err(syntax(text));
    }
    if apply.group_by.len() > MAX_GROUP_COLUMNS {
        return Err(ApiError::bad_request(format!(
            "A groupby names more than {MAX_GROUP_COLUMNS} columns."
        )));
    }
    match rest {
        [] => Ok(()),
        [nested] => match call(nested) {
            Some(("aggregate", inner)) => {
                apply.aggregates = aggregates(inner)?;
                Ok(())
            }
            Some((other, _)) => Err(unsupported(other)),
            None => Err(syntax(text)),
        },
        _ => Err(syntax(text)),
    }
}

/// `col with method as alias, $count as alias, …`
fn aggregates(inner: &str) -> Result<Vec<Aggregate>, ApiError> {
    let items = split_top_level(inner, ',');
    if items.is_empty() {
        return Err(ApiError::bad_request(
            "aggregate(…) needs at least one aggregate.",
        ));
    }
    if items.len() > MAX_AGGREGATES {
        return Err(ApiError::bad_request(format!(
            "An aggregate(…) holds more than {MAX_AGGREGATES} aggregates."
        )));
    }
    items.iter().map(|item| aggregate(item)).collect()
}

fn aggregate(item: &str) -> Result<Aggregate, ApiError> {
    let invalid = || {
        ApiError::bad_request(format!(
            "The aggregate '{item}' is not valid: write 'column with sum|average|min|max|countdistinct as alias' or '$count as alias'."
        ))
    };
    let words: Vec<&str> = item.split_whitespace().collect();
    let (column, method, alias) = match words.as_slice() {
        ["$count", "as", alias] => (None, Method::Count, *alias),
        [column, "with", method, "as", alias] => {
            let method = match *method {
                "sum" => Method::Sum,
                "average" => Method::Average,
                "min" => Method::Min,
                "max" => Method::Max,
                "countdistinct" => Method::CountDistinct,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "The aggregation method '{other}' is not supported; use sum, average, \
                         min, max or countdistinct."
                    )));
                }
            };
            if column.contains('/') {
                return Err(ApiError::bad_request(format!(
                    "Aggregating a related table's column ('{column}') is not supported."
                )));
            }
            if !is_name(column) {
                return Err(invalid());
            }
            (Some((*column).to_owned()), method, *alias)
        }
        _ => return Err(invalid()),
    };
    if !is_name(alias) || alias.len() > MAX_ALIAS {
        return Err(invalid());
    }
    Ok(Aggregate {
        column,
        method,
        alias: alias.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn documented_forms_parse() {
        let apply = parse_apply("groupby((statecode,statuscode,accountcategorycode))")
            .expect("distinct values");
        assert_eq!(
            apply.group_by,
            vec!["statecode", "statuscode", "accountcategorycode"]
        );
        assert!(apply.aggregates.is_empty());

        let apply = parse_apply(
            "filter(statecode eq 0)/groupby((_ownerid_value),aggregate(revenue with sum as total,$count as rows))",
        )
        .expect("filter, group and aggregate");
        assert_eq!(apply.filters, vec!["statecode eq 0"]);
        assert_eq!(apply.group_by, vec!["_ownerid_value"]);
        assert_eq!(
            apply.aggregates,
            vec![
                Aggregate {
                    column: Some("revenue".into()),
                    method: Method::Sum,
                    alias: "total".into()
                },
                Aggregate {
                    column: None,
                    method: Method::Count,
                    alias: "rows".into()
                }
            ]
        );
        let apply = parse_apply(
            "aggregate(revenue with average as a,revenue with min as b,revenue with max as c,name with countdistinct as d)",
        )
        .expect("aggregate only");
        assert!(apply.group_by.is_empty());
        assert_eq!(apply.aggregates.len(), 4);
    }

    #[test]
    fn unsupported_and_malformed_forms_are_400() {
        for text in [
            "",
            "groupby(statecode)",
            "groupby(())",
            "groupby((a),aggregate())",
            "groupby((a),topcount(1,a))",
            "compute(a add 1 as b)",
            "filter(statecode eq 0)",
            "groupby((a))/filter(a eq 1)",
            "aggregate(revenue with median as m)",
            "aggregate(revenue with sum)",
            "aggregate(revenue with sum as total,revenue with max as total)",
            "groupby((a,a))",
            "groupby((primarycontactid/fullname))",
            "aggregate(revenue with sum as 1x)",
            "groupby((a)",
        ] {
            let error = parse_apply(text).expect_err(text);
            assert_eq!(error.status.as_u16(), 400, "{text}");
        }
        let chained = ["filter(a eq 1)"; MAX_TRANSFORMATIONS].join("/") + "/groupby((a))";
        assert!(parse_apply(&chained).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Any text parses to a bounded result or a 400; never a panic.
        #[test]
        fn any_text_is_bounded_or_refused(text in "[a-z$(),/ 'A-Z_0-9]{0,80}") {
            match parse_apply(&text) {
                Ok(apply) => {
                    prop_assert!(apply.group_by.len() <= MAX_GROUP_COLUMNS);
                    prop_assert!(apply.aggregates.len() <= MAX_AGGREGATES);
                    prop_assert!(apply.filters.len() < MAX_TRANSFORMATIONS);
                    prop_assert!(!apply.group_by.is_empty() || !apply.aggregates.is_empty());
                }
                Err(error) => prop_assert_eq!(error.status.as_u16(), 400),
            }
        }
    }
}
