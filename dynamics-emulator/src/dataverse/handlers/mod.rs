//! Web API operations, routed by method and resource path. [`dispatch`] runs one request
//! against the store; it is also what `$batch` calls for each part.

pub(crate) mod aggregate;
pub(crate) mod batch;
pub(crate) mod bulk_messages;
pub(crate) mod change_token;
pub(crate) mod changes;
pub(crate) mod create_entities;
pub(crate) mod crud;
pub(crate) mod duplicate_rules;
pub(crate) mod fetch;
pub(crate) mod functions;
pub(crate) mod key_lookup;
pub(crate) mod metadata;
pub(crate) mod metadata_write;
pub(crate) mod navigation;
pub(crate) mod plan;
pub(crate) mod property;
pub(crate) mod query;
pub(crate) mod refs;
pub(crate) mod relationship_write;

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value};

use super::access::Access;
use super::env::Env;
use super::errors::ApiError;
use super::keys::KeyMatch;
use super::metadata::catalog::Navigation;
use super::odata::options::{QueryOptions, read_options};
use super::odata::path::{Segment, parse_path};
use super::odata::prefer::Prefer;
use super::security;
use super::solution;
use super::state::DataverseStore;
use super::wire::{ApiRequest, ApiResponse, ApiResult};
use super::write::body::WriteMode;
use super::write::bulk::BulkMessage;
use super::write::ops::{Writer, atomic};
use super::write::rules::RuleContext;

/// The query options each route reads; any other sent is refused with 400 "The query parameter
/// X is not supported" before the handler runs, so no option is silently ignored.
mod allowed {
    /// Routes that read no option (the service document, functions, properties, `$ref` GET and
    /// writes, writes to navigation properties, DELETE of a record).
    pub(super) const NONE: &[&str] = &[];
    /// A single record: GET, and POST with `return=representation`.
    pub(super) const RECORD: &[&str] = &["$select", "$expand"];
    /// PATCH with `return=representation` (the answer has no expansions).
    pub(super) const UPDATE: &[&str] = &["$select"];
    /// An OData query on a collection. `$apply` refuses the options it cannot combine with.
    pub(super) const COLLECTION: &[&str] = &[
        "$select",
        "$filter",
        "$orderby",
        "$expand",
        "$top",
        "$count",
        "$skiptoken",
        "$apply",
    ];
    /// A FetchXML query: the query is all in `fetchXml` (`$apply` is refused with its own
    /// message).
    pub(super) const FETCH: &[&str] = &["fetchXml", "$count", "$apply"];
    /// Change tracking: `$filter`, `$orderby`, `$expand`, `$top` and `$apply` are refused by the
    /// handler with the service's own messages. `$count=true` adds `@odata.count` (UNCONFIRMED).
    pub(super) const CHANGES: &[&str] = &[
        "$select",
        "$count",
        "$deltatoken",
        "$skiptoken",
        "$filter",
        "$orderby",
        "$expand",
        "$top",
        "$apply",
    ];
    /// `/$count` of a collection.
    pub(super) const COUNT: &[&str] = &["$filter"];
    /// `/$count` with a delta token (changes since the token).
    pub(super) const COUNT_CHANGES: &[&str] = &["$deltatoken"];
    /// `EntityDefinitions` and `RelationshipDefinitions` collections.
    pub(super) const METADATA: &[&str] = &["$select", "$filter", "$expand"];
    /// One metadata item (`EntityDefinitions(LogicalName='account')`, an attribute by key):
    /// nothing to filter.
    pub(super) const METADATA_ITEM: &[&str] = &["$select", "$expand"];
    /// DELETE of a collection-valued `$ref` names the member with `$id`.
    pub(super) const REF_DELETE: &[&str] = &["$id"];
}

/// Everything a handler needs about the request.
pub(crate) struct Call<'a> {
    pub(crate) env: &'a Env,
    pub(crate) request: &'a ApiRequest,
    pub(crate) prefer: Prefer,
    pub(crate) options: QueryOptions,
    /// The caller's access checks, read from the rows as they are when the operation starts.
    pub(crate) access: Access,
}

/// Runs one request; errors become error answers.
pub(crate) fn dispatch(store: &mut DataverseStore, env: &Env, request: &ApiRequest) -> ApiResponse {
    route(store, env, request).unwrap_or_else(ApiResponse::from)
}

fn route(store: &mut DataverseStore, env: &Env, request: &ApiRequest) -> ApiResult {
    let segments = parse_path(&request.path)?;
    let call = Call {
        env,
        request,
        prefer: Prefer::from_headers(&request.headers),
        options: read_options(&request.query)?,
        access: Access::resolve(store, env.caller, env.security),
    };
    let method = &request.method;
    // `$apply` is answered on an entity set's collection only; anywhere else it would be
    // silently ignored, so it is refused.
    let apply_target = matches!(segments.as_slice(), [only] if only.key.is_none())
        && *method == Method::GET
        && segments
            .first()
            .is_some_and(|s| store.catalog.by_set(&s.name).is_some());
    if call.options.apply.is_some() && !apply_target {
        return Err(ApiError::bad_request(
            "The query parameter $apply is supported on an entity set's collection only              (GET /{entityset}?$apply=…).",
        ));
    }
    let Some(first) = segments.first() else {
        call.options.allow_only(allowed::NONE)?;
        return match *method {
            Method::GET => Ok(functions::service_document(store, env)),
            _ => Err(ApiError::method_not_allowed(
                method.as_str(),
                "the service document",
            )),
        };
    };
    match first.name.as_str() {
        "$batch" => {
            return Err(ApiError::bad_request(
                "A $batch request cannot contain another $batch request.",
            ));
        }
        "WhoAmI" if segments.len() == 1 => {
            call.options.allow_only(allowed::NONE)?;
            return match *method {
                Method::GET => Ok(functions::who_am_i(env)),
                _ => Err(ApiError::method_not_allowed(method.as_str(), "WhoAmI")),
            };
        }
        "systemusers" if segments.len() == 1 && first.key.is_none() && *method == Method::POST => {
            call.options.allow_only(allowed::RECORD)?;
            let table = store.builtin("systemuser");
            return security::users::create(store, &call, table);
        }
        "EntityDefinitions" if *method != Method::GET => {
            return metadata_write::entity_definitions(store, &call, &segments);
        }
        "EntityDefinitions" => {
            call.options.allow_only(metadata_options(&segments))?;
            return metadata::entity_definitions(store, &call, &segments);
        }
        "RelationshipDefinitions" if *method != Method::GET => {
            return relationship_write::relationship_definitions(store, &call, &segments);
        }
        "RelationshipDefinitions" => {
            call.options.allow_only(metadata_options(&segments))?;
            return metadata::relationship_definitions_request(store, &call, &segments);
        }
        _ => {}
    }
    if let Some(answer) = metadata_write::route(store, &call, &segments)
        .or_else(|| security::actions::unbound(store, &call, &segments))
        .or_else(|| solution::route(store, &call, &segments))
    {
        return answer;
    }
    let table = store
        .catalog
        .by_set(&first.name)
        .ok_or_else(|| ApiError::segment_not_found(&first.name))?;
    match (&first.key, &segments[1..]) {
        (None, []) => match *method {
            Method::GET => {
                let options = &call.options;
                call.options.allow_only(if options.fetch_xml.is_some() {
                    allowed::FETCH
                } else if options.deltatoken.is_some() || call.prefer.track_changes {
                    allowed::CHANGES
                } else {
                    allowed::COLLECTION
                })?;
                query::collection_request(store, &call, table)
            }
            Method::POST => {
                call.options.allow_only(allowed::RECORD)?;
                crud::create(store, &call, table)
            }
            _ => Err(ApiError::method_not_allowed(
                method.as_str(),
                "an entity set",
            )),
        },
        (None, [count]) if count.name == "$count" && count.key.is_none() => match *method {
            Method::GET => {
                call.options
                    .allow_only(if call.options.deltatoken.is_some() {
                        allowed::COUNT_CHANGES
                    } else {
                        allowed::COUNT
                    })?;
                query::count_request(store, &call, table)
            }
            _ => Err(ApiError::method_not_allowed(method.as_str(), "$count")),
        },
        // Bulk operation messages: `POST {set}/Microsoft.Dynamics.CRM.CreateMultiple`, ….
        (None, [action]) if action.key.is_none() => match BulkMessage::from_segment(&action.name) {
            Some(message) => {
                call.options.allow_only(allowed::NONE)?;
                bulk_messages::bound(store, &call, table, message)
            }
            None => Err(ApiError::segment_not_found(&action.name)),
        },
        (None, [next, ..]) => Err(ApiError::segment_not_found(&next.name)),
        (Some(key), []) => {
            let key = KeyMatch::resolve(&store.catalog, table, key)?;
            call.options.allow_only(match *method {
                Method::GET => allowed::RECORD,
                Method::PATCH => allowed::UPDATE,
                _ => allowed::NONE,
            })?;
            match *method {
                Method::GET => crud::retrieve(store, &call, table, &key),
                Method::PATCH => crud::upsert(store, &call, table, &key),
                Method::DELETE => crud::delete(store, &call, table, &key),
                _ => Err(ApiError::method_not_allowed(
                    method.as_str(),
                    "a record (use PATCH to update)",
                )),
            }
        }
        (Some(key), rest) => {
            let key = KeyMatch::resolve(&store.catalog, table, key)?;
            member(store, &call, table, &key, rest)
        }
    }
}

/// `set(key)/…`: a property, a navigation property, or a `$ref`.
fn member(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
    rest: &[Segment],
) -> ApiResult {
    let name = rest[0].name.as_str();
    if let Some(answer) = security::actions::bound(store, call, table, key, rest) {
        return answer;
    }
    let definition = store.catalog.table(table);
    if let Some(nav) = store.catalog.navigation(table, name) {
        let nested_key = rest[0].key.as_ref();
        let method = &call.request.method;
        return match (&rest[1..], nested_key) {
            ([], None) => {
                call.options.allow_only(match (method, nav) {
                    (&Method::GET, Navigation::Single(_)) => allowed::RECORD,
                    (&Method::GET, _) => allowed::COLLECTION,
                    _ => allowed::NONE,
                })?;
                navigation::navigation(store, call, table, key, nav, name)
            }
            ([r], key2) if r.name == "$ref" => {
                call.options.allow_only(
                    if *method == Method::DELETE && key2.is_none() && is_collection(nav) {
                        allowed::REF_DELETE
                    } else {
                        allowed::NONE
                    },
                )?;
                refs::reference(store, call, table, key, nav, key2)
            }
            ([c], None) if c.name == "$count" => {
                call.options.allow_only(allowed::COUNT)?;
                navigation::count(store, call, table, key, nav)
            }
            _ => Err(ApiError::segment_not_found(
                rest.last().map_or(name, |s| s.name.as_str()),
            )),
        };
    }
    if let Some(index) = definition.json_attribute(name)
        && rest[0].key.is_none()
    {
        let raw = match &rest[1..] {
            [] => false,
            [v] if v.name == "$value" => true,
            _ => return Err(ApiError::segment_not_found(&rest[1].name)),
        };
        call.options.allow_only(allowed::NONE)?;
        return property::property(store, call, table, key, index, raw);
    }
    Err(ApiError::unknown_property(name, &definition.logical_name))
}

/// The JSON object body of a request.
pub(crate) fn json_body(request: &ApiRequest) -> Result<Map<String, Value>, ApiError> {
    if request.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "The request body is empty. Send a JSON object.",
        ));
    }
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(error) => Err(ApiError::bad_request(format!(
            "The request body is not valid JSON: {error}."
        ))),
    }
}

/// Runs writes as the caller, with its access checks, in one transaction.
pub(crate) fn write<T>(
    store: &mut DataverseStore,
    call: &Call<'_>,
    work: impl FnOnce(&mut Writer<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let env = call.env;
    let rules = RuleContext {
        org: store.org,
        caller: env.caller,
        now: env.now_unix(),
    };
    let DataverseStore { catalog, data, .. } = store;
    atomic(catalog, data, |data| {
        let mut writer = Writer {
            catalog,
            data,
            rules,
            mode: WriteMode::Client,
            access: Some(&call.access),
        };
        work(&mut writer)
    })
}

/// An `If-Match` / `If-None-Match` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// `*`
    Any,
    /// Row versions (from `W/"123"` or `"123"`).
    Versions(Vec<u64>),
}

impl Condition {
    /// Reads a conditional header; the literal `null` (sent by Microsoft's samples) means none.
    pub(crate) fn from_headers(headers: &HeaderMap, name: &str) -> Option<Self> {
        let value = headers.get(name)?.to_str().ok()?.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("null") {
            return None;
        }
        if value == "*" {
            return Some(Self::Any);
        }
        Some(Self::Versions(
            value
                .split(',')
                .filter_map(|tag| {
                    tag.trim()
                        .trim_start_matches("W/")
                        .trim_matches('"')
                        .parse()
                        .ok()
                })
                .collect(),
        ))
    }

    /// Whether a row with this version matches.
    pub(crate) fn matches(&self, version: u64) -> bool {
        match self {
            Self::Any => true,
            Self::Versions(versions) => versions.contains(&version),
        }
    }
}

/// 204 with `OData-EntityId`.
pub(crate) fn no_content_with_id(entity_url: String) -> ApiResponse {
    ApiResponse::empty(StatusCode::NO_CONTENT).with_header(
        axum::http::HeaderName::from_static("odata-entityid"),
        entity_url,
    )
}

/// Whether a navigation property is collection-valued.
pub(crate) fn is_collection(nav: Navigation) -> bool {
    !matches!(nav, Navigation::Single(_))
}

/// The request's first path segment as sent (`accounts(…)`, still percent-encoded so it is a
/// valid header value), for `OData-EntityId` of keyed addresses.
pub(crate) fn addressed_entity(call: &Call<'_>) -> String {
    let first = call.request.path.split('/').next().unwrap_or_default();
    format!("{}{first}", call.env.root())
}

/// The options a metadata path reads: a collection can be filtered, one item cannot. A path
/// addresses one item when its last segment other than a type cast has a key.
fn metadata_options(segments: &[Segment]) -> &'static [&'static str] {
    let one = segments
        .iter()
        .rev()
        .find(|s| !s.name.starts_with("Microsoft.Dynamics.CRM."))
        .is_some_and(|s| s.key.is_some());
    if one {
        allowed::METADATA_ITEM
    } else {
        allowed::METADATA
    }
}
