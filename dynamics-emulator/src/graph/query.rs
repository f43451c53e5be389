//! The OData query options of a Graph request (`$select`, `$filter`, `$top`, `$count`,
//! `$skiptoken`, `$deltatoken`) and the `ConsistencyLevel` header.

use axum::http::HeaderMap;

use super::reply::GraphError;

/// `$top` bounds for directory collections: 1 to 999 ("Paging Microsoft Graph data"),
/// 100 when absent.
pub(crate) const MAX_TOP: usize = 999;
pub(crate) const DEFAULT_TOP: usize = 100;

/// The query options of one request, as sent (decoded).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pub(crate) select: Option<String>,
    pub(crate) filter: Option<String>,
    pub(crate) top: Option<String>,
    pub(crate) count: Option<String>,
    pub(crate) skip_token: Option<String>,
    pub(crate) delta_token: Option<String>,
    /// Options the emulator does not serve (`$orderby`, `$expand`, `$search`, `$skip`).
    pub(crate) unsupported: Vec<String>,
}

impl Query {
    /// Parses a raw query string. Option names ignore case and the `$` is optional, as in Graph.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let mut query = Self::default();
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let key = name.trim_start_matches('$').to_ascii_lowercase();
            let value = value.into_owned();
            match key.as_str() {
                "select" => query.select = Some(value),
                "filter" => query.filter = Some(value),
                "top" => query.top = Some(value),
                "count" => query.count = Some(value),
                "skiptoken" => query.skip_token = Some(value),
                "deltatoken" => query.delta_token = Some(value),
                "orderby" | "expand" | "search" | "skip" => {
                    query.unsupported.push(format!("${key}"))
                }
                _ => {}
            }
        }
        query
    }

    /// `$top` as a page size.
    pub(crate) fn page_size(&self) -> Result<usize, GraphError> {
        let Some(top) = &self.top else {
            return Ok(DEFAULT_TOP);
        };
        match top.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_TOP).contains(&n) => Ok(n),
            // The message is the one Graph gives for directory objects (UNCONFIRMED wording).
            _ => Err(GraphError::unsupported_query(format!(
                "Invalid page size specified: '{top}'. Must be between 1 and {MAX_TOP} inclusive."
            ))),
        }
    }

    /// Whether `$count=true` was asked for.
    pub(crate) fn count_requested(&self) -> bool {
        self.count
            .as_deref()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("true"))
    }

    /// Fails for options the emulator does not implement.
    pub(crate) fn reject_unsupported(&self) -> Result<(), GraphError> {
        match self.unsupported.first() {
            Some(option) => Err(GraphError::unsupported_query(format!(
                "The query option {option} is not supported by the emulator's Microsoft Graph."
            ))),
            None => Ok(()),
        }
    }
}

/// Whether the request carries `ConsistencyLevel: eventual`.
pub(crate) fn eventual(headers: &HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

/// The page size asked for with `Prefer: odata.maxpagesize=N` (delta, where `$top` is not
/// supported), clamped to 1..=999.
pub(crate) fn max_page_size(headers: &HeaderMap) -> Option<usize> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| {
            let (name, value) = part.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("odata.maxpagesize")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .map(|n| n.clamp(1, MAX_TOP))
}

/// Appends `key=value` to a query string being built, percent-encoding the value.
pub(crate) fn push(query: &mut String, key: &str, value: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(key);
    query.push('=');
    query.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_with_or_without_dollar_and_top_is_bounded() {
        let q = Query::parse(Some(
            "%24select=id,mail&$TOP=5&filter=a%20eq%20'b'&$orderby=x",
        ));
        assert_eq!(q.select.as_deref(), Some("id,mail"));
        assert_eq!(q.page_size().unwrap(), 5);
        assert_eq!(q.filter.as_deref(), Some("a eq 'b'"));
        assert!(q.reject_unsupported().is_err());
        assert!(Query::parse(Some("$top=1000")).page_size().is_err());
        assert!(Query::parse(Some("$top=0")).page_size().is_err());
        assert_eq!(Query::parse(None).page_size().unwrap(), DEFAULT_TOP);
    }

    #[test]
    fn prefer_max_page_size_is_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "prefer",
            "return=minimal, odata.maxpagesize=7".parse().unwrap(),
        );
        assert_eq!(max_page_size(&headers), Some(7));
    }
}
