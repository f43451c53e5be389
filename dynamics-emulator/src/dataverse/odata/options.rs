//! The system query options of a request, read and checked but not yet bound to a table.

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
}

/// Options the service does not support.
const UNSUPPORTED: [&str; 4] = ["$skip", "$search", "$format", "$apply"];

/// Reads the options; unknown or unsupported `$` options, repeated options and malformed values
/// are 400 errors.
pub(crate) fn read_options(query: &QueryString) -> Result<QueryOptions, ApiError> {
    let mut options = QueryOptions::default();
    let mut seen: Vec<&str> = Vec::new();
    for pair in &query.pairs {
        let key = pair.key.as_str();
        if key.starts_with('$') {
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
            k if k.starts_with('$') => {
                return Err(ApiError::bad_request(format!(
                    "The query parameter '{k}' is not supported."
                )));
            }
            _ => {}
        }
    }
    Ok(options)
}
