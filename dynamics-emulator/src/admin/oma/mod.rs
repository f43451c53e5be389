//! The Online Management API, v1 and v1.2: every operation of both Swagger specs. v1.2-only
//! operations are not routed under `/api/v1/` (404). Paths are matched as the specs spell them
//! and in lower case.

mod apply_user;
mod backups;
mod catalog;
mod identities;
mod instances;
mod keys;
mod lifecycle;
mod notifications;
mod operations;
mod provision;
mod settings;

use std::sync::Arc;

use axum::routing::{MethodRouter, delete, get, post, put};
use axum::{Extension, Router};
use uuid::Uuid;

use super::api_version::ApiVersion;
use super::auth::Caller;
use super::body::{FieldError, Fields, parse_object, parse_optional_object};
use super::reply::{self, Rejection};
use crate::environments::Instance;
use crate::state::{Shared, Store};

/// The routes of one API version.
pub(crate) fn routes(api: ApiVersion) -> Router<Arc<Shared>> {
    let mut table: Vec<(&str, MethodRouter<Arc<Shared>>)> = vec![
        ("Currencies", get(catalog::currencies)),
        ("InstanceBackups", get(backups::list).post(backups::create)),
        ("InstanceBackups/{id}/{point}", get(backups::get_one)),
        ("Instances", get(instances::list)),
        ("Instances/{id}", get(instances::get_one)),
        ("Instances/Provision", put(provision::provision)),
        ("Instances/{id}/Restore", post(lifecycle::restore)),
        ("Instances/{id}/Delete", delete(lifecycle::delete)),
        (
            "Instances/{id}/UpdateAdminMode",
            post(settings::update_admin_mode),
        ),
        ("InstanceTypeInfo", get(catalog::instance_types)),
        ("InstanceTypeInfo/{id}", get(catalog::instance_type)),
        ("Languages", get(catalog::languages)),
        ("Operation/{id}", get(operations::by_id)),
        ("ServiceVersions", get(catalog::service_versions)),
        ("Templates", get(catalog::templates)),
        (
            "TenantApplicationIdentities",
            get(identities::list).post(identities::create),
        ),
        (
            "TenantApplicationIdentities/{id}",
            get(identities::get_one).delete(identities::remove),
        ),
        (
            "TenantApplicationIdentities/{id}/Enable",
            post(identities::enable),
        ),
        (
            "TenantApplicationIdentities/{id}/Disable",
            post(identities::disable),
        ),
    ];
    if api == ApiVersion::V1_2 {
        table.extend([
            ("Instances/{id}/Reset", post(lifecycle::reset)),
            (
                "Instances/{id}/Users/{user}/ApplyUser",
                post(apply_user::apply_user),
            ),
            (
                "Instances/{id}/ConfigureInstance",
                post(settings::configure),
            ),
            ("Keys", get(keys::list)),
            ("Keys/RetrieveTenantKey", get(keys::retrieve_tenant_key)),
            ("Keys/Import", post(keys::import)),
            ("Keys/Generate", post(keys::generate)),
            (
                "Keys/{id}/SetTenantProtectionKey",
                post(keys::set_tenant_protection_key),
            ),
            ("Notifications", post(notifications::post)),
            ("Notifications/{tenant}/{user}", get(notifications::list)),
            ("Operation", get(operations::by_query)),
        ]);
    }
    table
        .into_iter()
        .fold(Router::new(), |router, (path, method)| {
            let spec = format!("/api/{}/{path}", api.segment());
            let lower = spec.to_ascii_lowercase();
            let router = router.route(&spec, method.clone());
            if lower == spec {
                router
            } else {
                router.route(&lower, method)
            }
        })
        .layer(Extension(api))
}

/// The caller's instance named by a path segment; 404 when the segment is not a GUID or the
/// tenant has no such instance.
fn instance_of<'a>(store: &'a Store, caller: &Caller, id: &str) -> Result<&'a Instance, Rejection> {
    Uuid::parse_str(id.trim())
        .ok()
        .and_then(|id| store.environments.in_tenant(caller.tenant_id, id))
        .ok_or_else(|| {
            reply::not_found(format!(
                "The instance {id} was not found in tenant {}.",
                caller.tenant_id
            ))
            .into()
        })
}

/// Reads a required JSON body with `reader`; a 400 `OperationStatus` when it cannot be read.
fn read_body<T>(
    api: ApiVersion,
    body: &[u8],
    reader: impl FnOnce(&Fields<'_>) -> Result<T, Vec<FieldError>>,
) -> Result<T, Rejection> {
    let map = parse_object(body).map_err(|e| reply::unreadable_body(api, &e))?;
    reader(&Fields::new(&map))
        .map_err(|errors| reply::rejected(api, reply::field_items(errors)).into())
}

/// Like [`read_body`], but an absent body counts as `{}`.
fn read_optional_body<T>(
    api: ApiVersion,
    body: &[u8],
    reader: impl FnOnce(&Fields<'_>) -> Result<T, Vec<FieldError>>,
) -> Result<T, Rejection> {
    let map = parse_optional_object(body).map_err(|e| reply::unreadable_body(api, &e))?;
    reader(&Fields::new(&map))
        .map_err(|errors| reply::rejected(api, reply::field_items(errors)).into())
}
