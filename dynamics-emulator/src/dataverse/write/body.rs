//! Reading a create or update body into a [`Plan`]: column values, `@odata.bind` references
//! (single- and collection-valued), and nested objects for deep insert.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::convert::{parse_guid, to_cell};
use crate::dataverse::errors::ApiError;
use crate::dataverse::keys::KeyMatch;
use crate::dataverse::metadata::catalog::{Catalog, Navigation};
use crate::dataverse::odata::path::parse_path;
use crate::dataverse::odata::prefer::LOOKUP_LOGICAL_NAME;
use crate::dataverse::store::Data;
use crate::dataverse::store::cell::Cell;

/// Who writes: a Web API client, or the seeding API (which may also set read-only columns and
/// lookups as `_x_value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMode {
    Client,
    Seed,
}

/// Collection-valued deep inserts: navigation property, target table, nested bodies.
pub(crate) type DeepInserts = Vec<(Navigation, u16, Vec<Map<String, Value>>)>;

/// What a body asks for.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Column values (`None` clears).
    pub(crate) cells: Vec<(u16, Option<Cell>)>,
    /// The primary key, when the body sets it.
    pub(crate) id: Option<Uuid>,
    /// Collection-valued `@odata.bind`: rows to relate.
    pub(crate) links: Vec<(Navigation, Vec<Uuid>)>,
    /// Single-valued deep insert: the lookup column, the target table and the nested body.
    pub(crate) deep_single: Vec<(u16, u16, Map<String, Value>)>,
    /// Collection-valued deep insert.
    pub(crate) deep_collection: DeepInserts,
}

/// Reads `body` for `table`.
pub(crate) fn plan(
    catalog: &Catalog,
    data: &Data,
    table: u16,
    body: &Map<String, Value>,
    mode: WriteMode,
) -> Result<Plan, ApiError> {
    let definition = catalog.table(table);
    let mut plan = Plan::default();
    let unknown = |name: &str| {
        ApiError::bad_request(format!(
            "The property '{name}' does not exist on type '{}'. Make sure to only use property \
             names that are defined by the type.",
            definition.type_name()
        ))
    };
    for (key, value) in body {
        if let Some(nav_name) = key.strip_suffix("@odata.bind") {
            let nav = catalog
                .navigation(table, nav_name)
                .ok_or_else(|| unknown(nav_name))?;
            let target = catalog.nav_target(nav);
            match nav {
                Navigation::Single(rel) => {
                    let lookup = catalog.one_to_many[rel].lookup;
                    let cell = match value {
                        Value::Null => None,
                        Value::String(reference) => {
                            let (named, _) = parse_reference(catalog, reference)?;
                            let target = catalog.bind_target(rel, named);
                            let id = resolve_reference(catalog, data, target, reference)?;
                            Some(Cell::Lookup { id, table: target })
                        }
                        _ => return Err(bind_error(key)),
                    };
                    plan.cells.push((lookup, cell));
                }
                _ => {
                    let Value::Array(items) = value else {
                        return Err(bind_error(key));
                    };
                    let mut ids = Vec::with_capacity(items.len());
                    for item in items {
                        let reference = item.as_str().ok_or_else(|| bind_error(key))?;
                        ids.push(resolve_reference(catalog, data, target, reference)?);
                    }
                    plan.links.push((nav, ids));
                }
            }
            continue;
        }
        if key.starts_with('@') || key.contains('@') {
            continue;
        }
        if *key == definition.primary_id {
            let id = value.as_str().and_then(parse_guid).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Cannot convert the literal '{value}' to the expected type 'Edm.Guid'."
                ))
            })?;
            plan.id = Some(id);
            continue;
        }
        if let Some(index) = definition.json_attribute(key) {
            let attribute = &definition.attributes[usize::from(index)];
            if attribute.kind.is_lookup() {
                if mode == WriteMode::Client {
                    return Err(ApiError::bad_request(format!(
                        "The property '{key}' cannot be set directly. Use \
                         '{}@odata.bind' with a reference such as '/{{entityset}}({{id}})'.",
                        attribute.logical_name
                    )));
                }
                let cell = match value {
                    Value::Null => None,
                    _ => {
                        let id = value.as_str().and_then(parse_guid).ok_or_else(|| {
                            ApiError::bad_request(format!(
                                "Cannot convert the literal '{value}' to the expected type 'Edm.Guid'."
                            ))
                        })?;
                        let hinted = body
                            .get(&format!("{key}@{LOOKUP_LOGICAL_NAME}"))
                            .and_then(Value::as_str);
                        let target_name = hinted
                            .or_else(|| attribute.targets.first().map(String::as_str))
                            .unwrap_or_default();
                        let target = catalog
                            .by_logical(target_name)
                            .filter(|_| attribute.targets.iter().any(|t| t == target_name))
                            .ok_or_else(|| {
                                ApiError::bad_request(format!(
                                    "The lookup '{key}' cannot point at '{target_name}'."
                                ))
                            })?;
                        if data.row(target, id).is_none() {
                            return Err(ApiError::record_not_found(target_name, id));
                        }
                        Some(Cell::Lookup { id, table: target })
                    }
                };
                plan.cells.push((index, cell));
                continue;
            }
            if attribute.read_only && mode == WriteMode::Client {
                continue;
            }
            plan.cells
                .push((index, to_cell(definition, attribute, value)?));
            continue;
        }
        if let Some(nav) = catalog.navigation(table, key) {
            let target = catalog.nav_target(nav);
            match (nav, value) {
                (Navigation::Single(rel), Value::Null) => {
                    plan.cells.push((catalog.one_to_many[rel].lookup, None));
                }
                (Navigation::Single(rel), Value::Object(nested)) => {
                    plan.deep_single.push((
                        catalog.one_to_many[rel].lookup,
                        target,
                        nested.clone(),
                    ));
                }
                (_, Value::Array(items)) if !matches!(nav, Navigation::Single(_)) => {
                    let nested = items
                        .iter()
                        .map(|item| item.as_object().cloned().ok_or_else(|| unknown(key)))
                        .collect::<Result<Vec<_>, _>>()?;
                    plan.deep_collection.push((nav, target, nested));
                }
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "The value of the navigation property '{key}' is not valid here."
                    )));
                }
            }
            continue;
        }
        return Err(unknown(key));
    }
    Ok(plan)
}

fn bind_error(key: &str) -> ApiError {
    ApiError::bad_request(format!(
        "The value of '{key}' must be an entity reference such as '/accounts(00000000-0000-0000-0000-000000000001)'."
    ))
}

/// Resolves an entity reference (`/contacts(id)`, `contacts(id)`, an absolute URL, or a key
/// such as `contacts(emailaddress1='a@b.c')`) to a row of `expected`.
pub(crate) fn resolve_reference(
    catalog: &Catalog,
    data: &Data,
    expected: u16,
    reference: &str,
) -> Result<Uuid, ApiError> {
    let (table, key) = parse_reference(catalog, reference)?;
    if table != expected {
        return Err(ApiError::bad_request(format!(
            "The reference '{reference}' names a {} record, but a {} record is expected here.",
            catalog.table(table).logical_name,
            catalog.table(expected).logical_name
        )));
    }
    key.find(data, table)
        .ok_or_else(|| key.not_found(&catalog.table(table).logical_name))
}

/// The table and key an entity reference names.
pub(crate) fn parse_reference(
    catalog: &Catalog,
    reference: &str,
) -> Result<(u16, KeyMatch), ApiError> {
    let invalid = || {
        ApiError::bad_request(format!(
            "The reference '{reference}' does not identify a record. Use '/{{entityset}}({{id}})'."
        ))
    };
    let mut relative = reference.trim();
    if let Some(at) = relative.find("/api/data/v") {
        relative = &relative[at + "/api/data/".len()..];
        relative = relative.split_once('/').map_or("", |(_, rest)| rest);
    }
    let relative = relative.trim_start_matches('/');
    let segments = parse_path(relative).map_err(|_| invalid())?;
    let [segment] = segments.as_slice() else {
        return Err(invalid());
    };
    let table = catalog.by_set(&segment.name).ok_or_else(invalid)?;
    let key = segment.key.as_ref().ok_or_else(invalid)?;
    Ok((table, KeyMatch::resolve(catalog, table, key)?))
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, Method, StatusCode};
    use proptest::prelude::*;

    use super::*;
    use crate::dataverse::handlers::json_body;
    use crate::dataverse::odata::query_string::QueryString;
    use crate::dataverse::seeding::ORG_IDS;
    use crate::dataverse::state::DataverseStore;
    use crate::dataverse::wire::ApiRequest;

    fn request(body: Vec<u8>) -> ApiRequest {
        ApiRequest {
            method: Method::POST,
            path: "accounts".to_owned(),
            query: QueryString::default(),
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// Keys a write body might hold: real columns, navigation properties and binds, and noise.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("name".to_owned()),
            Just("revenue".to_owned()),
            Just("numberofemployees".to_owned()),
            Just("accountid".to_owned()),
            Just("statecode".to_owned()),
            Just("primarycontactid".to_owned()),
            Just("primarycontactid@odata.bind".to_owned()),
            Just("Account_Tasks".to_owned()),
            Just("lastname".to_owned()),
            "[a-zA-Z_@.]{0,24}",
        ]
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[ -~]{0,40}".prop_map(Value::String),
            Just(Value::String(
                "/contacts(00000000-0000-0000-0000-000000000001)".to_owned()
            )),
        ];
        leaf.prop_recursive(5, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(key(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Any JSON value: an object is read into a write plan or refused with a 4xx; anything
        /// else is a 400. Nothing panics.
        #[test]
        fn arbitrary_json_bodies_are_planned_or_refused(value in json_value()) {
            let store = DataverseStore::empty(ORG_IDS).expect("built-in tables");
            let account = store.builtin("account");
            let bytes = serde_json::to_vec(&value).expect("serializes");
            match json_body(&request(bytes)) {
                Ok(map) => {
                    prop_assert!(value.is_object());
                    if let Err(error) = plan(&store.catalog, &store.data, account, &map, WriteMode::Client) {
                        prop_assert!(error.status.is_client_error(), "{:?}", error);
                    }
                }
                Err(error) => {
                    prop_assert!(!value.is_object());
                    prop_assert_eq!(error.status, StatusCode::BAD_REQUEST);
                }
            }
        }

        /// Arbitrary bytes and nesting of any depth: an object or a 400 (serde_json's nesting
        /// limit of 128 keeps the recursion bounded).
        #[test]
        fn arbitrary_bytes_and_nesting_are_ok_or_a_400(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            depth in 0usize..2000,
        ) {
            if let Err(error) = json_body(&request(bytes)) {
                prop_assert_eq!(error.status, StatusCode::BAD_REQUEST);
            }
            let nested = format!("{{\"name\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            let read = json_body(&request(nested.into_bytes()));
            if depth < 127 {
                prop_assert!(read.is_ok());
            } else {
                prop_assert_eq!(read.expect_err("too deep").status, StatusCode::BAD_REQUEST);
            }
        }
    }
}
