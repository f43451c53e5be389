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

/// Reads the options. Parameter aliases (`@p1`) are kept for the expressions that use them;
/// any other parameter that is not a known system query option or `fetchXml`, repeated
/// options and malformed values are 400 errors, so nothing is silently ignored.
pub(crate) fn read_options(query: &QueryString) -> Result<QueryOptions, ApiError> {
    let mut options = QueryOptions::default();
    let mut seen: Vec<&str> = Vec::new();
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
            k => return Err(unknown_parameter(k)),
        }
    }
    Ok(options)
}
