//! Bearer authentication of the Web API: a token from the emulator's sign-in service whose
//! audience is the organisation URL (the emulator origin, with or without trailing slash).
//! Anything else is 401 with `WWW-Authenticate: Bearer authorization_uri=…, resource_id=…` and
//! `{"error":{"code":"0x80048306","message":"Authentication failed."}}`.

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::json;
use uuid::Uuid;

use super::wire::ApiResponse;
use crate::claims::Claims;
use crate::state::Shared;
use crate::validate::validate_access_token;

/// Code of a failed authentication.
pub(crate) const AUTHENTICATION_FAILED: &str = "0x80048306";

/// The organisation URL without trailing slash: the emulator origin, or an extra
/// organisation's own.
pub(crate) fn origin(shared: &Shared) -> String {
    shared.org_url.as_str().trim_end_matches('/').to_owned()
}

/// `Bearer authorization_uri={base}{tenant}/oauth2/authorize, resource_id={origin}/`.
pub(crate) fn challenge(shared: &Shared, tenant: Option<Uuid>) -> String {
    let tenant = tenant
        .or_else(|| shared.lock().directory.first_tenant_id())
        .map_or_else(|| "common".to_owned(), |id| id.to_string());
    format!(
        "Bearer authorization_uri={}, resource_id={}/",
        shared.url(&format!("{tenant}/oauth2/authorize")),
        origin(shared)
    )
}

/// The 401 answer.
pub(crate) fn unauthorized(shared: &Shared, tenant: Option<Uuid>) -> ApiResponse {
    ApiResponse::json(
        StatusCode::UNAUTHORIZED,
        json!({ "error": { "code": AUTHENTICATION_FAILED, "message": "Authentication failed." } }),
    )
    .with_header(header::WWW_AUTHENTICATE, challenge(shared, tenant))
}

/// Validates the request's bearer token for the organisation.
pub(crate) fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    org_tenant: Option<Uuid>,
) -> Result<Claims, ApiResponse> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(unauthorized(shared, org_tenant)),
    };
    let claims = validate_access_token(shared, token, &origin(shared)).map_err(|rejection| {
        tracing::debug!(%rejection, "Dataverse request with an unusable token");
        unauthorized(shared, org_tenant)
    })?;
    if org_tenant.is_some_and(|tenant| tenant != claims.tid) {
        return Err(unauthorized(shared, org_tenant));
    }
    Ok(claims)
}
