//! FetchXML: parsing `<fetch>` into a [`FetchQuery`] and turning its filter into a `$filter`
//! expression tree, so FetchXML and OData share the evaluator.
//!
//! Supported: `<fetch count page paging-cookie top returntotalrecordcount>`, one `<entity
//! name>` with `<attribute name>`, `<all-attributes/>`, `<order attribute descending>` and
//! nested `<filter type="and|or">` with `<condition attribute operator value>` (and `<value>`
//! children for `in`, `not-in`, `between`). `link-entity` and aggregates are refused.

use super::errors::ApiError;
use super::metadata::model::Table;
use super::odata::filter_parser::{
    CmpOp, CrmArg, Expr, Operand, StrFn, check_depth, join_balanced,
};
use super::odata::literal::Literal;
use super::odata::paging::{MAX_PAGE_NUMBER, parse_cookie_value};

/// A parsed `<fetch>`.
#[derive(Debug, Clone, Default)]
pub(crate) struct FetchQuery {
    pub(crate) entity: String,
    /// `None` for `<all-attributes/>` or no attribute elements.
    pub(crate) attributes: Option<Vec<String>>,
    /// `(attribute, descending)`
    pub(crate) orders: Vec<(String, bool)>,
    pub(crate) filter: Option<FetchFilter>,
    pub(crate) count: Option<usize>,
    pub(crate) page: Option<u32>,
    pub(crate) paging_cookie: Option<String>,
    pub(crate) top: Option<usize>,
    pub(crate) total_count: bool,
}

/// A `<filter>` or `<condition>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FetchFilter {
    Group {
        or: bool,
        items: Vec<FetchFilter>,
    },
    Condition {
        attribute: String,
        operator: String,
        values: Vec<String>,
    },
}

/// How deeply `<filter>` elements may nest. Dataverse documents no limit; this one keeps the
/// recursive reading and evaluation of a filter far from the end of a 2 MiB thread stack while
/// leaving room for any filter a person or a query builder writes.
pub(crate) const MAX_FILTER_NESTING: usize = 100;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(format!("Invalid FetchXML: {}", message.into()))
}

/// Parses FetchXML.
pub(crate) fn parse_fetch(xml: &str) -> Result<FetchQuery, ApiError> {
    let document = roxmltree::Document::parse(xml).map_err(|e| invalid(e.to_string()))?;
    let fetch = document.root_element();
    if fetch.tag_name().name() != "fetch" {
        return Err(invalid("the root element must be <fetch>"));
    }
    if fetch.attribute("aggregate") == Some("true") {
        return Err(invalid(
            "aggregate queries are not supported by the emulator",
        ));
    }
    let number = |name: &str| -> Result<Option<usize>, ApiError> {
        fetch
            .attribute(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| invalid(format!("'{name}' must be a number")))
            })
            .transpose()
    };
    let mut query = FetchQuery {
        count: number("count")?,
        top: number("top")?,
        page: number("page")?
            .map(|p| {
                u32::try_from(p.max(1))
                    .ok()
                    .filter(|p| *p <= MAX_PAGE_NUMBER)
                    .ok_or_else(|| invalid(format!("'page' must be at most {MAX_PAGE_NUMBER}")))
            })
            .transpose()?,
        paging_cookie: fetch.attribute("paging-cookie").map(str::to_owned),
        total_count: fetch.attribute("returntotalrecordcount") == Some("true"),
        ..FetchQuery::default()
    };
    if query.top.is_some() && (query.count.is_some() || query.page.is_some()) {
        return Err(invalid("'top' cannot be combined with 'count' or 'page'"));
    }
    let entity = fetch
        .children()
        .find(|n| n.has_tag_name("entity"))
        .ok_or_else(|| invalid("<entity> is missing"))?;
    query.entity = entity
        .attribute("name")
        .ok_or_else(|| invalid("<entity> needs a name"))?
        .to_owned();
    let mut attributes = Vec::new();
    let mut all = false;
    for child in entity.children().filter(roxmltree::Node::is_element) {
        match child.tag_name().name() {
            "attribute" => {
                if child.attribute("aggregate").is_some() || child.attribute("alias").is_some() {
                    return Err(invalid(
                        "aliases and aggregates are not supported by the emulator",
                    ));
                }
                attributes.push(
                    child
                        .attribute("name")
                        .ok_or_else(|| invalid("<attribute> needs a name"))?
                        .to_owned(),
                );
            }
            "all-attributes" => all = true,
            "order" => query.orders.push((
                child
                    .attribute("attribute")
                    .ok_or_else(|| invalid("<order> needs an attribute"))?
                    .to_owned(),
                child.attribute("descending") == Some("true"),
            )),
            "filter" => {
                let filter = parse_filter(child, 1)?;
                query.filter = Some(match query.filter.take() {
                    Some(existing) => FetchFilter::Group {
                        or: false,
                        items: vec![existing, filter],
                    },
                    None => filter,
                });
            }
            "link-entity" => return Err(invalid("link-entity is not supported by the emulator")),
            other => return Err(invalid(format!("<{other}> is not supported here"))),
        }
    }
    query.attributes = (!all && !attributes.is_empty()).then_some(attributes);
    Ok(query)
}

/// Reads a `<filter>` at nesting level `level` (1 for a child of `<entity>`).
fn parse_filter(node: roxmltree::Node<'_, '_>, level: usize) -> Result<FetchFilter, ApiError> {
    if level > MAX_FILTER_NESTING {
        return Err(invalid(format!(
            "<filter> elements are nested more than {MAX_FILTER_NESTING} levels deep"
        )));
    }
    let or = node.attribute("type") == Some("or");
    let mut items = Vec::new();
    for child in node.children().filter(roxmltree::Node::is_element) {
        match child.tag_name().name() {
            "filter" => items.push(parse_filter(child, level + 1)?),
            "condition" => {
                if child.attribute("entityname").is_some() {
                    return Err(invalid(
                        "conditions on linked entities are not supported by the emulator",
                    ));
                }
                let mut values: Vec<String> = child
                    .children()
                    .filter(|n| n.has_tag_name("value"))
                    .map(|n| n.text().unwrap_or_default().to_owned())
                    .collect();
                if let Some(value) = child.attribute("value") {
                    values.insert(0, value.to_owned());
                }
                items.push(FetchFilter::Condition {
                    attribute: child
                        .attribute("attribute")
                        .ok_or_else(|| invalid("<condition> needs an attribute"))?
                        .to_owned(),
                    operator: child
                        .attribute("operator")
                        .ok_or_else(|| invalid("<condition> needs an operator"))?
                        .to_owned(),
                    values,
                });
            }
            other => return Err(invalid(format!("<{other}> is not supported in <filter>"))),
        }
    }
    Ok(FetchFilter::Group { or, items })
}

/// The JSON name of a FetchXML attribute (`parentcustomerid` → `_parentcustomerid_value`).
pub(crate) fn json_name(table: &Table, attribute: &str) -> Result<String, ApiError> {
    if attribute == table.primary_id {
        return Ok(attribute.to_owned());
    }
    let index = table.attribute_index(attribute).ok_or_else(|| {
        ApiError::bad_request(format!(
            "'{}' entity doesn't contain attribute with Name = '{attribute}' and NameMapping = \
             'Logical'.",
            table.logical_name
        ))
    })?;
    Ok(table.attributes[usize::from(index)].json_name())
}

/// The filter as a `$filter` expression over `table`; conditions of a group are joined as a
/// balanced tree, and a tree too deep to bind safely is refused.
pub(crate) fn filter_expr(table: &Table, filter: &FetchFilter) -> Result<Expr, ApiError> {
    let expr = group_expr(table, filter)?;
    check_depth(&expr, "FetchXML filter")?;
    Ok(expr)
}

fn group_expr(table: &Table, filter: &FetchFilter) -> Result<Expr, ApiError> {
    match filter {
        FetchFilter::Group { or, items } => {
            let exprs = items
                .iter()
                .map(|item| group_expr(table, item))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(join_balanced(exprs, *or).unwrap_or(Expr::Compare(
                CmpOp::Eq,
                Operand::Lit(Literal::Bool(true)),
                Operand::Lit(Literal::Bool(true)),
            )))
        }
        FetchFilter::Condition {
            attribute,
            operator,
            values,
        } => condition(table, attribute, operator, values),
    }
}

fn condition(
    table: &Table,
    attribute: &str,
    operator: &str,
    values: &[String],
) -> Result<Expr, ApiError> {
    let name = json_name(table, attribute)?;
    let kind = if attribute == table.primary_id {
        super::metadata::model::AttrKind::Uniqueidentifier
    } else {
        table
            .attribute_index(attribute)
            .and_then(|i| table.attribute(i))
            .map_or(super::metadata::model::AttrKind::String, |a| a.kind)
    };
    let path = || Operand::Path(vec![name.clone()]);
    let typed = |text: &str| {
        parse_cookie_value(kind, Some(text)).ok_or_else(|| {
            ApiError::bad_request(format!(
                "The value '{text}' of the condition on '{attribute}' does not fit its type."
            ))
        })
    };
    let first = || {
        values.first().map(String::as_str).ok_or_else(|| {
            ApiError::bad_request(format!(
                "The '{operator}' condition on '{attribute}' needs a value."
            ))
        })
    };
    let compare = |op: CmpOp| -> Result<Expr, ApiError> {
        Ok(Expr::Compare(op, path(), Operand::Lit(typed(first()?)?)))
    };
    let like =
        |pattern: String| Expr::Str(StrFn::Like, path(), Operand::Lit(Literal::Text(pattern)));
    let not = |e: Expr| Expr::Not(Box::new(e));
    let crm = |function: &str, extra: Vec<(String, CrmArg)>| {
        let mut args = vec![(
            "PropertyName".to_owned(),
            CrmArg::Lit(Literal::Text(name.clone())),
        )];
        args.extend(extra);
        Expr::Crm(function.to_owned(), args)
    };
    let list = || -> Result<CrmArg, ApiError> {
        Ok(CrmArg::List(
            values.iter().map(|v| Literal::Text(v.clone())).collect(),
        ))
    };
    let count = || -> Result<Vec<(String, CrmArg)>, ApiError> {
        Ok(vec![(
            "PropertyValue".to_owned(),
            CrmArg::Lit(Literal::Text(first()?.to_owned())),
        )])
    };
    Ok(match operator {
        "eq" => compare(CmpOp::Eq)?,
        "ne" | "neq" => compare(CmpOp::Ne)?,
        "gt" => compare(CmpOp::Gt)?,
        "ge" => compare(CmpOp::Ge)?,
        "lt" => compare(CmpOp::Lt)?,
        "le" => compare(CmpOp::Le)?,
        "like" => like(first()?.to_owned()),
        "not-like" => not(like(first()?.to_owned())),
        "begins-with" => like(format!("{}%", first()?)),
        "not-begin-with" => not(like(format!("{}%", first()?))),
        "ends-with" => like(format!("%{}", first()?)),
        "not-end-with" => not(like(format!("%{}", first()?))),
        "null" => Expr::Compare(CmpOp::Eq, path(), Operand::Lit(Literal::Null)),
        "not-null" => Expr::Compare(CmpOp::Ne, path(), Operand::Lit(Literal::Null)),
        "in" => crm("In", vec![("PropertyValues".to_owned(), list()?)]),
        "not-in" => crm("NotIn", vec![("PropertyValues".to_owned(), list()?)]),
        "between" => crm("Between", vec![("PropertyValues".to_owned(), list()?)]),
        "not-between" => crm("NotBetween", vec![("PropertyValues".to_owned(), list()?)]),
        "eq-userid" => crm("EqualUserId", Vec::new()),
        "ne-userid" => crm("NotEqualUserId", Vec::new()),
        "eq-businessid" => crm("EqualBusinessId", Vec::new()),
        "ne-businessid" => crm("NotEqualBusinessId", Vec::new()),
        "today" => crm("Today", Vec::new()),
        "yesterday" => crm("Yesterday", Vec::new()),
        "tomorrow" => crm("Tomorrow", Vec::new()),
        "last-x-days" => crm("LastXDays", count()?),
        "next-x-days" => crm("NextXDays", count()?),
        "last-x-hours" => crm("LastXHours", count()?),
        "next-x-hours" => crm("NextXHours", count()?),
        "olderthan-x-days" => crm("OlderThanXDays", count()?),
        "on" => crm("On", count()?),
        "on-or-after" => crm("OnOrAfter", count()?),
        "on-or-before" => crm("OnOrBefore", count()?),
        other => {
            return Err(ApiError::bad_request(format!(
                "The FetchXML condition operator '{other}' is not supported by the emulator."
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_query() {
        let xml = "<fetch page=\"1\" count=\"3\" mapping=\"logical\"><entity name=\"contact\">\
                   <attribute name=\"fullname\" /><order descending=\"true\" attribute=\"fullname\" />\
                   <filter type=\"and\"><condition value=\"%(sample)%\" attribute=\"fullname\" operator=\"like\" />\
                   </filter></entity></fetch>";
        let query = parse_fetch(xml).expect("parses");
        assert_eq!(query.entity, "contact");
        assert_eq!(query.count, Some(3));
        assert_eq!(query.page, Some(1));
        assert_eq!(query.orders, vec![("fullname".to_owned(), true)]);
        assert!(matches!(
            query.filter,
            Some(FetchFilter::Group { or: false, .. })
        ));
        assert!(
            parse_fetch("<fetch><entity name='a'><link-entity name='b'/></entity></fetch>")
                .is_err()
        );
        assert!(parse_fetch("<fetch>").is_err());
    }

    fn nested(levels: usize) -> String {
        format!(
            "<fetch><entity name='account'>{}<condition attribute='name' operator='eq' \
             value='a'/>{}</entity></fetch>",
            "<filter>".repeat(levels),
            "</filter>".repeat(levels)
        )
    }

    fn depth(filter: &FetchFilter) -> usize {
        match filter {
            FetchFilter::Group { items, .. } => 1 + items.iter().map(depth).max().unwrap_or(0),
            FetchFilter::Condition { .. } => 0,
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_a_400() {
        let query = parse_fetch(&nested(MAX_FILTER_NESTING)).expect("at the limit");
        assert_eq!(query.filter.as_ref().map(depth), Some(MAX_FILTER_NESTING));
        for levels in [MAX_FILTER_NESTING + 1, 3000] {
            let error = parse_fetch(&nested(levels)).expect_err("too deep");
            assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
            assert!(
                error.message.contains("nested more than"),
                "{}",
                error.message
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 128,
            ..proptest::test_runner::Config::default()
        })]

        /// XML-ish text never panics the reader: a query or a 400.
        #[test]
        fn arbitrary_xmlish_text_is_ok_or_a_400(
            input in "(<(/?)(fetch|entity|filter|condition|attribute|order|value)( [a-z]+='[a-z0-9%]*')*(/?)>|[a-z ]){0,40}|\\PC{0,60}"
        ) {
            if let Err(error) = parse_fetch(&input) {
                proptest::prop_assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
            }
        }

        /// Generated nesting is read back at its depth up to the limit and refused beyond it.
        #[test]
        fn generated_nesting_is_read_or_refused(levels in 1usize..400, or in proptest::bool::ANY) {
            let kind = if or { "<filter type='or'>" } else { "<filter>" };
            let xml = nested(levels).replace("<filter>", kind);
            match parse_fetch(&xml) {
                Ok(query) => {
                    proptest::prop_assert!(levels <= MAX_FILTER_NESTING);
                    proptest::prop_assert_eq!(query.filter.as_ref().map(depth), Some(levels));
                }
                Err(error) => {
                    proptest::prop_assert!(levels > MAX_FILTER_NESTING);
                    proptest::prop_assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
                }
            }
        }
    }
}
