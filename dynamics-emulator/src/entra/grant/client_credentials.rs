//! `grant_type=client_credentials`: app-only tokens.

use super::{TokenRequest, resource};
use crate::entra::authority::Authority;
use crate::entra::error::AadError;
use crate::entra::issue::{Issue, Principal};
use crate::state::Store;

/// Client credentials need a tenant-specific authority and a client credential, and (v2) a
/// `/.default` scope. No refresh token, no ID token.
pub(in crate::entra) fn plan(
    request: &TokenRequest<'_>,
    store: &mut Store,
) -> Result<Issue, AadError> {
    let Authority::Tenant(tenant_id) = request.authority else {
        return Err(AadError::tenant_required(request.segment));
    };
    let credentials = request.credentials();
    let client_id = credentials
        .client_id()
        .ok_or_else(|| AadError::missing_parameter("client_id"))?;
    let (tenant, app) =
        request
            .authority
            .client_app(&store.directory, request.segment, &client_id)?;
    let client_auth =
        credentials.authenticate(request.shared, tenant, request.segment, app, false)?;
    let mut scope = request.scope()?;
    if !scope.is_default_only() {
        let raw = request.params.get("scope").unwrap_or_default();
        return Err(AadError::client_credentials_scope(raw));
    }
    let resource = resource(tenant, &scope)?;
    scope.offline_access = false;
    scope.openid = false;
    Ok(Issue {
        protocol: request.protocol,
        tenant_id,
        client_id: app.client_id,
        client_auth,
        resource: resource.uri.clone(),
        scope,
        principal: Principal::App {
            service_principal_id: app.service_principal_id,
            roles: app.roles_for(resource),
        },
        refresh_token: None,
        nonce: None,
    })
}
