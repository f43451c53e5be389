//! `$ref`: read, add (POST on a collection), set (PUT on a single-valued property) and remove
//! (DELETE, with `$id=` or `{nav}({id})/$ref`) associations.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Call, is_collection, json_body, write};
use crate::dataverse::access::Right;
use crate::dataverse::errors::ApiError;
use crate::dataverse::keys::KeyMatch;
use crate::dataverse::metadata::catalog::Navigation;
use crate::dataverse::odata::filter_eval::related_rows;
use crate::dataverse::odata::path::Key;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::wire::{ApiResponse, ApiResult};
use crate::dataverse::write::body::{parse_reference, resolve_reference};

/// Dispatches on the method. `member_key` is the key in `{nav}({id})/$ref`.
pub(crate) fn reference(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
    key: &KeyMatch,
    nav: Navigation,
    member_key: Option<&Key>,
) -> ApiResult {
    let logical = store.catalog.table(table).logical_name.clone();
    let id = key
        .find(&store.data, table)
        .ok_or_else(|| key.not_found(&logical))?;
    let target = store.catalog.nav_target(nav);
    let target_set = store.catalog.table(target).entity_set.clone();
    let method = call.request.method.clone();
    match method {
        Method::GET if member_key.is_none() => {
            call.access
                .check_row(&store.catalog, &store.data, Right::Read, table, id)?;
            let view = store.view();
            if let Navigation::Single(rel) = nav {
                let lookup = store.catalog.one_to_many[rel].lookup;
                return match view.row(table, id).and_then(|r| r.get(lookup)) {
                    Some(CellRef::Lookup {
                        id: related,
                        table: related_table,
                    }) => Ok(ApiResponse::json(
                        StatusCode::OK,
                        json!({
                            "@odata.context": call.env.context("$ref"),
                            "@odata.id": call.env.entity_url(
                                &store.catalog.table(related_table).entity_set,
                                related,
                            ),
                        }),
                    )),
                    _ => Ok(ApiResponse::empty(StatusCode::NO_CONTENT)),
                };
            }
            let readable = super::plan::readable_rows(store, call, target)?;
            let mut ids: Vec<_> = related_rows(&view, nav, target, id)
                .filter(|(rid, row)| {
                    readable
                        .as_ref()
                        .is_none_or(|r| r.allows(view.catalog, view.data, *rid, row))
                })
                .map(|(rid, _)| rid)
                .collect();
            ids.sort();
            let value: Vec<Value> = ids
                .into_iter()
                .map(|rid| json!({ "@odata.id": call.env.entity_url(&target_set, rid) }))
                .collect();
            Ok(ApiResponse::json(
                StatusCode::OK,
                json!({ "@odata.context": call.env.context("Collection($ref)"), "value": value }),
            ))
        }
        Method::POST | Method::PUT if member_key.is_none() => {
            if (method == Method::POST) != is_collection(nav) {
                return Err(ApiError::method_not_allowed(
                    method.as_str(),
                    if is_collection(nav) {
                        "a collection-valued $ref (use POST)"
                    } else {
                        "a single-valued $ref (use PUT)"
                    },
                ));
            }
            let body = json_body(call.request)?;
            let reference = body
                .get("@odata.id")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad_request("The body needs an '@odata.id' reference."))?;
            let target = match nav {
                Navigation::Single(rel) => {
                    let (named, _) = parse_reference(&store.catalog, reference)?;
                    store.catalog.bind_target(rel, named)
                }
                _ => target,
            };
            let other = resolve_reference(&store.catalog, &store.data, target, reference)?;
            write(store, call, |writer| {
                writer.relate_in(table, id, nav, other, target)
            })?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        Method::DELETE => {
            let other = match (member_key, &call.options.id, nav) {
                (_, _, Navigation::Single(_)) => None,
                (Some(member), _, _) => Some(
                    KeyMatch::resolve(&store.catalog, target, member)?
                        .find(&store.data, target)
                        .ok_or_else(|| {
                            ApiError::bad_request("The related record does not exist.")
                        })?,
                ),
                (None, Some(reference), _) => Some(resolve_reference(
                    &store.catalog,
                    &store.data,
                    target,
                    reference,
                )?),
                (None, None, _) => {
                    return Err(ApiError::bad_request(
                        "Removing a reference from a collection needs '$id={url}' or \
                         '{navigation}({id})/$ref'.",
                    ));
                }
            };
            write(store, call, |writer| writer.unrelate(table, id, nav, other))?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(ApiError::method_not_allowed(method.as_str(), "$ref")),
    }
}
