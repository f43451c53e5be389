//! Queries: `$select`, `$filter`, `$orderby`, `$top`, `$expand`, `$count`, page size and
//! annotations; and FetchXML.

pub(crate) mod encode;
pub mod fetchxml;
mod filter;
mod literal;

pub use filter::Filter;
pub(crate) use filter::{check_column, checked, checked_name};
pub use literal::Literal;

use crate::error::{DataverseError, Result};

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Ascending.
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// A `$expand` of a navigation property, with its own options.
#[derive(Debug, Clone, Default)]
pub struct Expand {
    navigation: String,
    select: Vec<String>,
    filter: Option<Filter>,
    order_by: Vec<(String, Order)>,
    top: Option<u32>,
    expand: Vec<Expand>,
}

impl Expand {
    /// Expands `navigation`.
    pub fn new(navigation: &str) -> Self {
        Expand {
            navigation: navigation.to_string(),
            ..Default::default()
        }
    }
    /// Columns of the related rows.
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, columns: I) -> Self {
        self.select
            .extend(columns.into_iter().map(|c| c.as_ref().to_string()));
        self
    }
    /// Filters the related rows (collection-valued properties only).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }
    /// Orders the related rows.
    pub fn order_by(mut self, column: &str, order: Order) -> Self {
        self.order_by.push((column.to_string(), order));
        self
    }
    /// Limits the related rows.
    pub fn top(mut self, n: u32) -> Self {
        self.top = Some(n);
        self
    }
    /// A nested expand.
    pub fn expand(mut self, nested: Expand) -> Self {
        self.expand.push(nested);
        self
    }

    fn render(&self) -> Result<String> {
        let nav = checked("$expand", &self.navigation)?;
        let mut options = Vec::new();
        if !self.select.is_empty() {
            options.push(format!("$select={}", render_columns(&self.select)?));
        }
        if let Some(f) = &self.filter {
            options.push(format!("$filter={}", f.to_odata()?));
        }
        if !self.order_by.is_empty() {
            options.push(format!("$orderby={}", render_order(&self.order_by)?));
        }
        if let Some(n) = self.top {
            options.push(format!("$top={n}"));
        }
        if !self.expand.is_empty() {
            let nested: Result<Vec<String>> = self.expand.iter().map(Expand::render).collect();
            options.push(format!("$expand={}", nested?.join(",")));
        }
        Ok(if options.is_empty() {
            nav
        } else {
            format!("{nav}({})", options.join(";"))
        })
    }
}

/// A query on one table.
///
/// ```
/// use dataverse_webapi::{Filter, Order, Query};
/// let q = Query::new("contacts")
///     .select(["fullname", "emailaddress1"])
///     .filter(Filter::eq("lastname", "O'Bryan"))
///     .order_by("fullname", Order::Asc)
///     .max_page_size(500);
/// assert_eq!(
///     q.to_relative_url().unwrap(),
///     "contacts?$select=fullname%2Cemailaddress1&$filter=lastname%20eq%20'O''Bryan'&$orderby=fullname%20asc"
/// );
/// assert_eq!(q.prefer().as_deref(), Some("odata.maxpagesize=500"));
/// ```
///
/// `Debug` shows the shape of the query, never the values in its filter or `$apply`.
#[derive(Clone, Default)]
pub struct Query {
    entity_set: String,
    select: Vec<String>,
    filter: Option<Filter>,
    order_by: Vec<(String, Order)>,
    top: Option<u32>,
    expand: Vec<Expand>,
    count: bool,
    max_page_size: Option<u32>,
    annotations: Option<String>,
    apply: Option<String>,
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("entity_set", &self.entity_set)
            .field("select", &self.select)
            .field("filter", &self.filter)
            .field("order_by", &self.order_by)
            .field("top", &self.top)
            .field("expand", &self.expand)
            .field("count", &self.count)
            .field("max_page_size", &self.max_page_size)
            .field("annotations", &self.annotations)
            .field("apply", &self.apply.as_ref().map(|_| ".."))
            .finish()
    }
}

impl Query {
    /// A query on an entity set (`accounts`, `contacts`, ...).
    pub fn new(entity_set: &str) -> Self {
        Query {
            entity_set: entity_set.to_string(),
            ..Default::default()
        }
    }

    /// The entity set.
    pub fn entity_set(&self) -> &str {
        &self.entity_set
    }

    /// Columns to return (`$select`).
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, columns: I) -> Self {
        self.select
            .extend(columns.into_iter().map(|c| c.as_ref().to_string()));
        self
    }

    /// Rows to keep (`$filter`).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Sort order (`$orderby`); call again for further keys.
    pub fn order_by(mut self, column: &str, order: Order) -> Self {
        self.order_by.push((column.to_string(), order));
        self
    }

    /// At most `n` rows (`$top`). Cannot be combined with [`Query::max_page_size`]: Dataverse
    /// would ignore `$top`.
    pub fn top(mut self, n: u32) -> Self {
        self.top = Some(n);
        self
    }

    /// Related rows (`$expand`).
    pub fn expand(mut self, expand: Expand) -> Self {
        self.expand.push(expand);
        self
    }

    /// Ask for `@odata.count` (at most 5000).
    pub fn count(mut self) -> Self {
        self.count = true;
        self
    }

    /// Rows per page (`Prefer: odata.maxpagesize`, at most 5000).
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self
    }

    /// Annotations to include (`Prefer: odata.include-annotations="..."`), such as `*`.
    pub fn include_annotations(mut self, annotations: &str) -> Self {
        self.annotations = Some(annotations.to_string());
        self
    }

    /// Formatted values (option set labels, currency, dates) for every column.
    pub fn formatted_values(self) -> Self {
        self.include_annotations("OData.Community.Display.V1.FormattedValue")
    }

    /// An aggregation (`$apply`), written by hand.
    pub fn apply(mut self, apply: &str) -> Self {
        self.apply = Some(apply.to_string());
        self
    }

    /// `{entity_set}?{options}`, relative to the API root.
    pub fn to_relative_url(&self) -> Result<String> {
        checked("entity set", &self.entity_set)?;
        Ok(format!("{}{}", self.entity_set, self.options_suffix()?))
    }

    /// `?{options}` (empty when there are none), for paths that are not an entity set
    /// (`EntityDefinitions(LogicalName='account')/Attributes`).
    pub(crate) fn options_suffix(&self) -> Result<String> {
        if self.top.is_some() && self.max_page_size.is_some() {
            return Err(DataverseError::invalid(
                "query",
                "$top and max_page_size cannot be combined (Dataverse ignores $top); use one",
            ));
        }
        if let Some(n) = self.max_page_size
            && !(1..=5000).contains(&n)
        {
            return Err(DataverseError::invalid("max_page_size", "use 1 to 5000"));
        }
        let mut options: Vec<(&str, String)> = Vec::new();
        if !self.select.is_empty() {
            options.push(("$select", render_columns(&self.select)?));
        }
        if let Some(f) = &self.filter {
            options.push(("$filter", f.to_odata()?));
        }
        if !self.order_by.is_empty() {
            options.push(("$orderby", render_order(&self.order_by)?));
        }
        if let Some(n) = self.top {
            options.push(("$top", n.to_string()));
        }
        if !self.expand.is_empty() {
            let parts: Result<Vec<String>> = self.expand.iter().map(Expand::render).collect();
            options.push(("$expand", parts?.join(",")));
        }
        if self.count {
            options.push(("$count", "true".into()));
        }
        if let Some(a) = &self.apply {
            options.push(("$apply", a.clone()));
        }
        let mut url = String::new();
        for (i, (name, value)) in options.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(&encode::query_value(value));
        }
        Ok(url)
    }

    /// The `Prefer` header value this query needs, if any.
    pub fn prefer(&self) -> Option<String> {
        prefer_header(self.max_page_size, self.annotations.as_deref())
    }

    pub(crate) fn max_page_size_value(&self) -> Option<u32> {
        self.max_page_size
    }

    pub(crate) fn annotations_value(&self) -> Option<&str> {
        self.annotations.as_deref()
    }
}

/// Builds a `Prefer` value from a page size and annotations.
pub(crate) fn prefer_header(
    max_page_size: Option<u32>,
    annotations: Option<&str>,
) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(n) = max_page_size {
        parts.push(format!("odata.maxpagesize={n}"));
    }
    if let Some(a) = annotations {
        parts.push(format!("odata.include-annotations=\"{a}\""));
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

fn render_columns(columns: &[String]) -> Result<String> {
    let checked: std::result::Result<Vec<String>, String> =
        columns.iter().map(|c| check_column(c)).collect();
    Ok(checked
        .map_err(|fix| DataverseError::invalid("$select", fix))?
        .join(","))
}

fn render_order(order: &[(String, Order)]) -> Result<String> {
    let parts: std::result::Result<Vec<String>, String> = order
        .iter()
        .map(|(c, o)| {
            check_column(c).map(|c| match o {
                Order::Asc => format!("{c} asc"),
                Order::Desc => format!("{c} desc"),
            })
        })
        .collect();
    Ok(parts
        .map_err(|fix| DataverseError::invalid("$orderby", fix))?
        .join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_with_nested_options() {
        let q = Query::new("accounts").select(["name"]).top(2).expand(
            Expand::new("Account_Tasks")
                .select(["subject"])
                .filter(Filter::contains("subject", "a&b"))
                .order_by("subject", Order::Desc)
                .top(3),
        );
        let url = q.to_relative_url().expect("ok");
        assert_eq!(
            url,
            "accounts?$select=name&$top=2&$expand=Account_Tasks(%24select%3Dsubject%3B%24filter%3Dcontains(subject%2C'a%26b')%3B%24orderby%3Dsubject%20desc%3B%24top%3D3)"
        );
    }

    #[test]
    fn top_and_page_size_do_not_mix() {
        assert!(
            Query::new("accounts")
                .top(1)
                .max_page_size(2)
                .to_relative_url()
                .is_err()
        );
        assert!(
            Query::new("accounts")
                .max_page_size(6000)
                .to_relative_url()
                .is_err()
        );
        assert!(Query::new("accounts?x").to_relative_url().is_err());
    }

    #[test]
    fn prefer_combines_page_size_and_annotations() {
        let q = Query::new("accounts").max_page_size(10).formatted_values();
        assert_eq!(
            q.prefer().as_deref(),
            Some(
                "odata.maxpagesize=10,odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\""
            )
        );
    }
}
