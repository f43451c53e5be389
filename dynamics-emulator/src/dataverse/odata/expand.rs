//! `$expand`: navigation properties with nested options
//! (`primarycontactid($select=fullname),Account_Tasks($select=subject;$filter=…;$orderby=…;$top=5)`).

use super::filter_bind::{BindContext, Bound, bind};
use super::filter_parser::parse_filter;
use super::orderby::{OrderKey, parse_orderby};
use super::query_string::QueryString;
use super::select::{Selection, parse_select};
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::{Catalog, Navigation};

/// One expanded navigation property, bound.
#[derive(Debug, Clone)]
pub(crate) struct ExpandSpec {
    pub(crate) name: String,
    pub(crate) nav: Navigation,
    pub(crate) target: u16,
    pub(crate) select: Selection,
    pub(crate) filter: Option<Bound>,
    pub(crate) order: Vec<OrderKey>,
    pub(crate) top: Option<usize>,
    pub(crate) expand: Vec<ExpandSpec>,
    /// The nested options as written, for links (`$select=subject,scheduledstart`).
    pub(crate) raw_options: String,
    /// `nav/$ref`: the related row's reference (`@odata.id`) instead of its data.
    pub(crate) refs_only: bool,
}

/// Splits on `separator` outside parentheses and quotes.
pub(crate) fn split_top_level(text: &str, separator: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == separator && depth == 0 && !quoted {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Most `$expand` options one query may hold, nested ones included ("You can include up to 15
/// `$expand` options in a query", Microsoft Learn, "Join tables using OData"). It also bounds
/// how deeply expansions nest.
pub(crate) const MAX_EXPANDS: usize = 15;

/// Parses and binds a `$expand` value for `table`.
pub(crate) fn parse_expand(
    text: &str,
    catalog: &Catalog,
    table: u16,
    ctx: &BindContext,
) -> Result<Vec<ExpandSpec>, ApiError> {
    let mut budget = MAX_EXPANDS;
    parse_level(text, catalog, table, ctx, &mut budget)
}

/// One level of `$expand`; each option spends one of `budget`.
fn parse_level(
    text: &str,
    catalog: &Catalog,
    table: u16,
    ctx: &BindContext,
    budget: &mut usize,
) -> Result<Vec<ExpandSpec>, ApiError> {
    let definition = catalog.table(table);
    let mut specs = Vec::new();
    for item in split_top_level(text, ',') {
        *budget = budget.checked_sub(1).ok_or_else(|| {
            ApiError::bad_request(format!(
                "The query holds more than {MAX_EXPANDS} $expand options (nested ones \
                 included); request fewer related tables."
            ))
        })?;
        let (name, options) = match item.find('(') {
            Some(open) if item.ends_with(')') => (
                item[..open].trim().to_owned(),
                item[open + 1..item.len() - 1].to_owned(),
            ),
            Some(_) => {
                return Err(ApiError::bad_request(format!(
                    "Syntax error in '$expand={text}'."
                )));
            }
            None => (item.clone(), String::new()),
        };
        let (name, refs_only) = match name.strip_suffix("/$ref") {
            Some(base) if options.is_empty() => (base.trim_end().to_owned(), true),
            _ => (name, false),
        };
        let nav = catalog
            .navigation(table, &name)
            .ok_or_else(|| ApiError::unknown_property(&name, &definition.logical_name))?;
        if refs_only && !matches!(nav, Navigation::Single(_)) {
            return Err(ApiError::bad_request(
                "Expand with $ref is only supported on lookup type navigation property.",
            ));
        }
        let target = catalog.nav_target(nav);
        let target_table = catalog.table(target);
        let mut spec = ExpandSpec {
            name,
            nav,
            target,
            select: Selection::All,
            filter: None,
            order: Vec::new(),
            top: None,
            expand: Vec::new(),
            raw_options: split_top_level(&options, ';').join("&"),
            refs_only,
        };
        let no_aliases = QueryString::default();
        for option in split_top_level(&options, ';') {
            let (key, value) = option.split_once('=').unwrap_or((option.as_str(), ""));
            match key.trim() {
                "$select" => spec.select = parse_select(value, target_table)?,
                "$filter" => {
                    let expr = parse_filter(value, &no_aliases)?;
                    spec.filter = Some(bind(&expr, catalog, target, ctx)?);
                }
                "$orderby" => spec.order = parse_orderby(value, catalog, target)?,
                "$top" => {
                    spec.top = Some(value.trim().parse().map_err(|_| {
                        ApiError::bad_request(format!(
                            "Invalid value '{value}' for $top query option found."
                        ))
                    })?);
                }
                "$expand" => spec.expand = parse_level(value, catalog, target, ctx, budget)?,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "The query option '{other}' is not supported inside $expand."
                    )));
                }
            }
        }
        specs.push(spec);
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::split_top_level;

    #[test]
    fn splits_outside_parentheses() {
        assert_eq!(
            split_top_level("a($select=x,y),b($filter=name eq 'a,b')", ','),
            vec!["a($select=x,y)", "b($filter=name eq 'a,b')"]
        );
    }
}
