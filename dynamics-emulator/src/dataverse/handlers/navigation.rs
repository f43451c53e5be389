//! `/{set}({key})/{navigation}`: the related row (single-valued) or rows (collection-valued);
//! POST creates a related row, PUT replaces the related rows (e.g. an email's activity
//! parties).

use axum::http::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use super::crud::{entity_response, shape};
use super::plan::Scope;
use super::query::{collection, count_text};
use super::{Call, json_body, no_content_with_id, write};
use crate::dataverse::access::Right;
use crate::dataverse::errors::ApiError;
use crate::dataverse::keys::KeyMatch;
use crate::dataverse::metadata::catalog::Navigation;
use crate::dataverse::odata::prefer::Applied;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::cell::{Cell, CellRef};
use crate::dataverse::wire::{ApiResponse, ApiResult};

/// Dispatches on the method.
pub(crate) fn navigation(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
    nav: Navigation,
    name: &str,
) -> ApiResult {
    let logical = store.catalog.table(table).logical_name.clone();
    let (id, row) = key
        .find_row(&store.data, table)
        .map(|(id, row)| (id, row.clone()))
        .ok_or_else(|| key.not_found(&logical))?;
    let target = store.catalog.nav_target(nav);
    match (&call.request.method, nav) {
        (&Method::GET, Navigation::Single(rel)) => {
            let lookup = store.catalog.one_to_many[rel].lookup;
            match row.get(lookup) {
                Some(CellRef::Lookup {
                    id: related,
                    table: t,
                }) if t == target && store.data.row(t, related).is_some() => {
                    call.access.check_row(
                        &store.catalog,
                        &store.data,
                        Right::Read,
                        target,
                        related,
                    )?;
                    let shape = shape(store, call, target, true)?;
                    entity_response(
                        store,
                        call,
                        target,
                        related,
                        StatusCode::OK,
                        &shape,
                        Applied::default(),
                    )
                }
                _ => Ok(ApiResponse::empty(StatusCode::NO_CONTENT)),
            }
        }
        (&Method::GET, _) => collection(store, call, target, Scope::Related { nav, parent: id }),
        (&Method::POST, Navigation::Single(_)) | (&Method::PUT, Navigation::Single(_)) => {
            Err(ApiError::method_not_allowed(
                call.request.method.as_str(),
                &format!(
                    "the single-valued navigation property '{name}' (use '{name}/$ref' or \
                 '{name}@odata.bind')"
                ),
            ))
        }
        (&Method::POST, _) => {
            let body = json_body(call.request)?;
            let created = write(store, call, |writer| match nav {
                Navigation::Collection(rel) => {
                    let lookup = writer.catalog.one_to_many[rel].lookup;
                    writer.create(target, &body, None, &[(lookup, Cell::Lookup { id, table })])
                }
                _ => {
                    let child = writer.create(target, &body, None, &[])?;
                    writer.relate(table, id, nav, child)?;
                    Ok(child)
                }
            })?;
            let set = &store.catalog.table(target).entity_set;
            Ok(no_content_with_id(call.env.entity_url(set, created)))
        }
        (&Method::PUT, Navigation::Collection(rel)) => {
            let body = json_body(call.request)?;
            let Some(Value::Array(items)) = body.get("value") else {
                return Err(ApiError::bad_request(
                    "PUT on a collection-valued navigation property needs {\"value\": [ … ]}.",
                ));
            };
            let items: Vec<serde_json::Map<String, Value>> = items
                .iter()
                .map(|i| {
                    i.as_object().cloned().ok_or_else(|| {
                        ApiError::bad_request("Each item of 'value' must be an object.")
                    })
                })
                .collect::<Result<_, _>>()?;
            write(store, call, |writer| {
                let relationship = &writer.catalog.one_to_many[rel];
                let lookup = relationship.lookup;
                let parental = writer.catalog.table(target).logical_name == "activityparty";
                let existing: Vec<Uuid> = crate::dataverse::odata::filter_eval::related_rows(
                    &crate::dataverse::state::View {
                        catalog: writer.catalog,
                        data: writer.data,
                        budget: &crate::dataverse::budget::Budget::unlimited(),
                    },
                    nav,
                    target,
                    id,
                )
                .map(|(child, _)| child)
                .collect();
                for child in existing {
                    if parental {
                        writer.delete(target, child)?;
                    } else {
                        writer.unrelate(table, id, nav, Some(child))?;
                    }
                }
                for item in &items {
                    writer.create(target, item, None, &[(lookup, Cell::Lookup { id, table })])?;
                }
                Ok(())
            })?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        (method, _) => Err(ApiError::method_not_allowed(
            method.as_str(),
            &format!("the navigation property '{name}'"),
        )),
    }
}

/// `GET /{set}({key})/{collection}/$count`
pub(crate) fn count(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
    nav: Navigation,
) -> ApiResult {
    if call.request.method != Method::GET || matches!(nav, Navigation::Single(_)) {
        return Err(ApiError::method_not_allowed(
            call.request.method.as_str(),
            "$count",
        ));
    }
    let logical = store.catalog.table(table).logical_name.clone();
    let id = key
        .find(&store.data, table)
        .ok_or_else(|| key.not_found(&logical))?;
    let target = store.catalog.nav_target(nav);
    count_text(store, call, target, Scope::Related { nav, parent: id })
}
