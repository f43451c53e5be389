//! `POST Instances/{id}/Users/{userObjectId}/ApplyUser` (v1.2 only): starts an operation that
//! adds a directory user to the environment. The user must exist in the tenant (else 400); a
//! user without a licence makes the operation fail (`UserNotLicensed`) when it completes.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::instance_of;
use crate::admin::api_version::ApiVersion;
use crate::admin::auth::OmaCaller;
use crate::admin::model::operation_status::ItemDescription;
use crate::admin::operations::{self, Work};
use crate::admin::reply;
use crate::state::Shared;

/// `POST Instances/{id}/Users/{userObjectId}/ApplyUser`. The request has no body.
pub(super) async fn apply_user(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path((id, user)): Path<(String, String)>,
) -> Response {
    let mut store = shared.lock();
    let instance_id = match instance_of(&store, &caller, &id) {
        Ok(instance) => instance.id,
        Err(rejection) => return rejection.into_response(),
    };
    let Ok(user_id) = Uuid::parse_str(user.trim()) else {
        return reply::rejected(
            api,
            vec![ItemDescription::new(
                "userObjectId",
                "InvalidArgument",
                format!("The user object ID {user} is not a GUID."),
            )],
        );
    };
    let known = store
        .directory
        .tenant(caller.tenant_id)
        .and_then(|tenant| tenant.user(user_id))
        .is_some();
    if !known {
        return reply::rejected(
            api,
            vec![ItemDescription::new(
                "ApplyUser",
                "UserNotFound",
                format!(
                    "The user {user_id} was not found in the Microsoft Entra ID directory of \
                     tenant {}.",
                    caller.tenant_id
                ),
            )],
        );
    }
    let work = Work::ApplyUser {
        instance_id,
        user_id,
    };
    let status = operations::start(&mut store, &shared.base_url, caller.tenant_id, api, work);
    reply::accepted(&status, api, store.admin.script.retry_after_secs)
}
