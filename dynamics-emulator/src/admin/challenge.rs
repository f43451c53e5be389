//! The Bearer challenge of the admin APIs: `GET /api/aad/challenge` and the `WWW-Authenticate`
//! header of every 401.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::auth::AdminApi;
use super::reply;
use crate::state::Shared;

/// `Bearer authorization_uri={base}{tenant}/oauth2/authorize, resource_id={resource}/`, naming
/// the first tenant of the directory (`common` when there is none).
pub(crate) fn challenge_value(shared: &Shared, api: AdminApi) -> String {
    let tenant = shared
        .lock()
        .directory
        .first_tenant_id()
        .map_or_else(|| "common".to_owned(), |id| id.to_string());
    format!(
        "Bearer authorization_uri={}, resource_id={}/",
        shared.url(&format!("{tenant}/oauth2/authorize")),
        api.resource()
    )
}

/// A 401 with the challenge and an error envelope.
pub(crate) fn unauthorized(shared: &Shared, api: AdminApi, code: &str, message: &str) -> Response {
    let mut response = reply::error(StatusCode::UNAUTHORIZED, code, message);
    if let Ok(value) = HeaderValue::from_str(&challenge_value(shared, api)) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `GET /api/aad/challenge`: always 401 with the Online Management API's challenge, from which
/// clients learn the authority and the resource to ask a token for.
pub(crate) async fn aad_challenge(State(shared): State<Arc<Shared>>) -> Response {
    unauthorized(
        &shared,
        AdminApi::OnlineManagement,
        "AuthenticationFailed",
        "Authentication is required. Request a token for the resource named in the \
         WWW-Authenticate header.",
    )
}
