//! The system query options of a request, read and checked but not yet bound to a table.

use axum::http::StatusCode;

use super::query_string::QueryString;
use crate::dataverse::errors::ApiError;

/// System query options as sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueryOptions {
    pub(crate) select: Option<String>,
    pub(crate) filter: Option<String>,
    pub(crate) orderby: Option<String>,
    pub(crate) expand: Option<String>,
    pub(crate) top: Option<usize>,
    pub(crate) count: bool,
    pub(crate) skiptoken: Option<String>,
    pub(crate) deltatoken: Option<String>,
    pub(crate) fetch_xml: Option<String>,
    /// `$id` of a `$ref` DELETE.
    pub(crate) id: Option<String>,
    /// `$apply` (aggregation), answered on entity-set collections only.
    pub(crate) apply: Option<String>,
    /// The system query options and `fetchXml` sent, in order, so that a route can refuse
    /// those it does not read ([`QueryOptions::allow_only`]).
    pub(crate) sent: Vec<&'static str>,
}

/// Every option [`read_options`] reads (parameter aliases aside).
const KNOWN: [&str; 12] = [
    "$select",
    "$filter",
    "$orderby",
    "$expand",
    "$top",
    "$count",
    "$skiptoken",
    "$deltatoken",
    "$id",
    "$apply",
    "fetchXml",
    // `$metadata?annotations=true`: read by that route only, refused by every other one.
    "annotations",
];

impl QueryOptions {
    /// Refuses the first option sent that the route does not read, with the 400 Dataverse
    /// answers an unknown parameter with, rather than a 200 that silently ignores it.
    pub(crate) fn allow_only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.sent.iter().find(|name| !allowed.contains(name)) {
            Some(name) => Err(unknown_parameter(name)),
            None => Ok(()),
        }
    }
}

/// Options the service does not support.
const UNSUPPORTED: [&str; 3] = ["$skip", "$search", "$format"];

/// Query parameters Dataverse supports that the emulator does not implement: answered with a
/// 400 that says so, rather than a 200 that silently ignores them.
const NOT_EMULATED: [&str; 2] = ["savedQuery", "userQuery"];

/// The code Dataverse answers an unknown query parameter with. Reported answer to
/// `?utm_source=…` on a collection: `400 {"error":{"code":"0x0","message":"The query parameter
/// utm_source is not supported"}}` (rappen/FetchXMLBuilder issue 437).
const UNKNOWN_PARAMETER_CODE: &str = "0x0";

/// 400 "The query parameter {name} is not supported", as Dataverse words it.
fn unknown_parameter(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        UNKNOWN_PARAMETER_CODE,
        format!("The query parameter {name} is not supported"),
    )
}

/// The longest decoded value of one query option or parameter alias, in bytes. hyper refuses
/// a direct request target over 64 KiB with 414 before it reaches the service, and a `$batch`
/// part's request line is held to the same limit; this bounds what the tokenizer (several
/// dozen bytes per character) is ever handed, whatever the route.
pub(crate) const MAX_OPTION_VALUE: usize = 64 * 1024;

/// The most alias text one request may expand, in bytes: each use of a parameter alias in an
/// expression re-reads its value, so `@p` (64 KiB) used thousands of times would otherwise cost
/// gigabytes. The sum, over every `@name` written in the options, of the length of `name`'s
/// value (and of the aliases that value itself names) must stay under this.
pub(crate) const MAX_ALIAS_EXPANSION: usize = 1024 * 1024;

/// 414 for a query option value over [`MAX_OPTION_VALUE`].
fn value_too_long(key: &str, len: usize) -> ApiError {
    ApiError::new(
        StatusCode::URI_TOO_LONG,
        crate::dataverse::errors::ODATA_ERROR,
        format!(
            "The value of the query parameter {key} is {len} bytes long; at most \
             {MAX_OPTION_VALUE} bytes are allowed."
        ),
    )
}

/// The alias names (`p1` of `@p1`) written in `text`, read as the lexer reads them. A name
/// inside a string literal is counted too, which can only overestimate.
fn alias_names(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('@').map(move |(at, _)| {
        let rest = &text[at + 1..];
        let end = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '$')))
            .map_or(rest.len(), |(i, _)| i);
        &rest[..end]
    })
}

/// Refuses a request whose alias uses would expand to more than [`MAX_ALIAS_EXPANSION`]
/// bytes. Linear in the query's length: each alias's cost is its value's length plus that of
/// the aliases it names (one level, as list values name literal aliases only).
fn check_alias_expansion(query: &QueryString) -> Result<(), ApiError> {
    let value_len = |name: &str| {
        if name.is_empty() {
            return 0;
        }
        query.get(&format!("@{name}")).map_or(0, str::len)
    };
    let mut total: usize = 0;
    for pair in &query.pairs {
        for name in alias_names(&pair.value) {
            let cost = match query.get(&format!("@{name}")) {
                Some(value) if !pair.key.starts_with('@') => value
                    .len()
                    .saturating_add(alias_names(value).map(value_len).sum::<usize>()),
                _ => 0,
            };
            total = total.saturating_add(cost);
            if total > MAX_ALIAS_EXPANSION {
                return Err(ApiError::bad_request(format!(
                    "The parameter aliases of this request expand to more than \
                     {MAX_ALIAS_EXPANSION} bytes. Use each alias fewer times or shorten its \
                     value."
                )));
            }
        }
    }
    Ok(())
}

/// Reads the options. Parameter aliases (`@p1`) are kept for the expressions that use them;
/// any other parameter that is not a known system query option or `fetchXml`, repeated
/// options and malformed values are 400 errors, so nothing is silently ignored.
pub(crate) fn read_options(query: &QueryString) -> Result<QueryOptions, ApiError> {
    let mut options = QueryOptions::default();
    let mut seen: Vec<&str> = Vec::new();
    if let Some(pair) = query
        .pairs
        .iter()
        .find(|p| p.value.len() > MAX_OPTION_VALUE)
    {
        return Err(value_too_long(&pair.key, pair.value.len()));
    }
    check_alias_expansion(query)?;
    for pair in &query.pairs {
        let key = pair.key.as_str();
        if !key.starts_with('@') {
            if seen.contains(&key) {
                return Err(ApiError::bad_request(format!(
                    "Query option '{key}' was specified more than once, but it must be specified \
                     at most once."
                )));
            }
            seen.push(key);
        }
        if let Some(name) = KNOWN.iter().find(|name| **name == key) {
            options.sent.push(name);
        }
        let value = Some(pair.value.clone());
        match key {
            "$select" => options.select = value,
            "$filter" => options.filter = value,
            "$orderby" => options.orderby = value,
            "$expand" => options.expand = value,
            "$skiptoken" => options.skiptoken = value,
            "$deltatoken" => options.deltatoken = value,
            "$id" => options.id = value,
            "$apply" => options.apply = value,
            "fetchXml" => options.fetch_xml = value,
            "$top" => {
                options.top = Some(pair.value.trim().parse().map_err(|_| {
                    ApiError::bad_request(format!(
                        "Invalid value '{}' for $top query option found. The $top query option \
                         requires a non-negative integer value.",
                        pair.value
                    ))
                })?);
            }
            "$count" => {
                options.count = match pair.value.trim() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "'{other}' is not a valid count option."
                        )));
                    }
                };
            }
            // The documented `tag` optional parameter passes a shared variable to plug-ins
            // ("Add a shared variable to the plugin execution context"; the bulk-operations
            // doc's UpdateMultiple example sends `?tag=CreateUpdateMultiple`). The emulator
            // runs no plug-ins, so it has no effect.
            "tag" => {}
            k if UNSUPPORTED.contains(&k) => {
                return Err(ApiError::bad_request(format!(
                    "The query parameter {k} is not supported"
                )));
            }
            k if NOT_EMULATED.contains(&k) => {
                return Err(ApiError::bad_request(format!(
                    "The query parameter {k} is not supported by the emulator; send the query \
                     as $filter or fetchXml instead."
                )));
            }
            k if k.starts_with('@') && k.len() > 1 => {}
            "annotations" => {}
            k => return Err(unknown_parameter(k)),
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_only_refuses_the_first_option_the_route_does_not_read() {
        let options = read_options(&QueryString::parse(Some(
            "$select=name&$top=1&@p=1&$filter=x",
        )))
        .unwrap();
        assert_eq!(options.sent, ["$select", "$top", "$filter"]);
        assert!(options.allow_only(&["$select", "$top", "$filter"]).is_ok());
        let error = options.allow_only(&["$select"]).expect_err("refused");
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.code, UNKNOWN_PARAMETER_CODE);
        assert_eq!(error.message, "The query parameter $top is not supported");
    }

    #[test]
    fn an_over_long_value_is_414() {
        let raw = format!("$filter={}", "a".repeat(MAX_OPTION_VALUE + 1));
        let error = read_options(&QueryString::parse(Some(&raw))).expect_err("refused");
        assert_eq!(error.status, StatusCode::URI_TOO_LONG);
        assert!(error.message.len() < 200, "{}", error.message);
    }

    #[test]
    fn alias_expansion_counts_every_use_and_nested_aliases() {
        let value = "x".repeat(1000);
        let under = format!("$filter={}&@p='{value}'", ["name eq @p"; 100].join(" or "));
        assert!(read_options(&QueryString::parse(Some(&under))).is_ok());
        let over = format!("$filter={}&@p='{value}'", ["name eq @p"; 1100].join(" or "));
        assert!(read_options(&QueryString::parse(Some(&over))).is_err());
        // A list alias naming another alias costs that alias's value at each use.
        let nested = format!(
            "$filter={}&@l=[@v,@v,@v,@v,@v,@v,@v,@v,@v,@v]&@v='{}'",
            ["name eq @l"; 120].join(" or "),
            "y".repeat(1000)
        );
        assert!(read_options(&QueryString::parse(Some(&nested))).is_err());
    }
}
