//! Writes to relationship definitions: `POST RelationshipDefinitions` creates a one-to-many
//! relationship (with its lookup column) or a many-to-many one, `DELETE
//! RelationshipDefinitions(…)` deletes a custom one (Learn "Create and update table
//! relationships using the Web API"). Updates are not offered.

use axum::http::{Method, StatusCode};

use super::metadata_write::{invalid, no_open_change_set, remove_error};
use super::{Call, json_body, no_content_with_id};
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::relationships::{add_relationship, read_relationship};
use crate::dataverse::metadata::removal;
use crate::dataverse::odata::literal::Literal;
use crate::dataverse::odata::path::{Key, Segment};
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

/// Answers a write to `RelationshipDefinitions…`: `POST` creates a one-to-many relationship
/// (with its lookup column) or a many-to-many one; `DELETE RelationshipDefinitions(…)`
/// deletes a custom one.
pub(crate) fn relationship_definitions(
    store: &mut DataverseStore,
    call: &Call<'_>,
    segments: &[Segment],
) -> ApiResult {
    call.options.allow_only(&[])?;
    let method = call.request.method.clone();
    match (segments, &method) {
        ([all], &Method::POST) if all.key.is_none() => {
            let body = json_body(call.request)?;
            let new = read_relationship(&store.catalog, &body).map_err(invalid)?;
            let id = add_relationship(&mut store.catalog, new).map_err(invalid)?;
            let DataverseStore { catalog, data, .. } = &mut *store;
            data.catch_up(catalog);
            Ok(no_content_with_id(format!(
                "{}RelationshipDefinitions({id})",
                call.env.root()
            )))
        }
        ([one], &Method::DELETE) => {
            let id = match &one.key {
                Some(Key::Id(id)) => Some(*id),
                Some(Key::Values(values)) => match values.as_slice() {
                    [(n, Literal::Text(v))] if n == "SchemaName" => store
                        .catalog
                        .one_to_many
                        .iter()
                        .map(|r| (r.metadata_id, &r.schema_name))
                        .chain(
                            store
                                .catalog
                                .many_to_many
                                .iter()
                                .map(|r| (r.metadata_id, &r.schema_name)),
                        )
                        .find(|(_, s)| s.eq_ignore_ascii_case(v))
                        .map(|(id, _)| id),
                    _ => None,
                },
                _ => None,
            }
            .ok_or_else(|| ApiError::segment_not_found("RelationshipDefinitions"))?;
            no_open_change_set(store)?;
            removal::delete_relationship(store, id).map_err(remove_error)?;
            Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
        }
        (_, &Method::PATCH | &Method::PUT) => Err(ApiError::method_not_allowed(
            method.as_str(),
            "RelationshipDefinitions (the emulator creates and deletes relationships; it does not update them)",
        )),
        (_, method) => Err(ApiError::method_not_allowed(
            method.as_str(),
            "this RelationshipDefinitions path",
        )),
    }
}
