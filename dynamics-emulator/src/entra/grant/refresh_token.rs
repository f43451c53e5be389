//! `grant_type=refresh_token`, with rotation: every use returns a new refresh token and the old
//! one stops working.

use super::{TokenRequest, require_consent, resource, user_principal};
use crate::entra::error::AadError;
use crate::entra::issue::Issue;
use crate::grants::{Lookup, RefreshGrant};
use crate::scope::ScopeRequest;
use crate::state::Store;

/// Redeems a refresh token. Spent, rotated or revoked tokens are AADSTS70008; tokens unused for
/// longer than the refresh-token lifetime are AADSTS700082. A `scope` (or v1 `resource`) may name
/// another consented resource; otherwise the original scope is reused. The token is spent only
/// when a new one is issued (or when it has expired): a request rejected for another reason
/// leaves it usable.
pub(in crate::entra) fn plan(
    request: &TokenRequest<'_>,
    store: &mut Store,
) -> Result<Issue, AadError> {
    let value = request.params.require("refresh_token")?;
    let (tenant, app, client_auth) = request.user_flow_client(&store.directory)?;
    let grant = match store.grants.refresh_token(value) {
        Lookup::Found(grant) => grant.clone(),
        Lookup::Spent => return Err(AadError::expired_or_revoked_grant()),
        Lookup::Unknown => return Err(AadError::unknown_grant("refresh token")),
    };
    if grant.client_id != app.client_id {
        return Err(AadError::grant_client_mismatch());
    }
    if grant.tenant_id != tenant.id || !request.authority.admits(grant.tenant_id) {
        return Err(AadError::grant_tenant_mismatch());
    }

    let now = request.shared.clock.now();
    let inactive = now - grant.issued_at;
    if inactive > request.shared.lifetimes.refresh_token {
        store.grants.take_refresh_token(value);
        let issued = grant.issued_at.date().to_string();
        return Err(AadError::refresh_token_inactive(
            &issued,
            inactive.whole_seconds(),
        ));
    }

    let scope = match request.optional_scope()? {
        Some(requested) if requested.resource.is_some() => requested,
        Some(requested) => {
            // Only OIDC scopes: keep the original resource and permissions.
            let mut scope = grant.scope.clone();
            scope.openid |= requested.openid;
            scope.profile |= requested.profile;
            scope.email |= requested.email;
            scope
        }
        None => grant.scope.clone(),
    };
    let resource = resource(tenant, &scope)?;
    require_consent(tenant, app, resource)?;
    let user = tenant
        .user(grant.user_id)
        .ok_or_else(|| AadError::unknown_user(&tenant.domain))?;

    let issue = Issue {
        protocol: request.protocol,
        tenant_id: tenant.id,
        client_id: app.client_id,
        client_auth,
        resource: resource.uri.clone(),
        scope: scope.clone(),
        principal: user_principal(user, grant.mfa),
        refresh_token: None,
        nonce: None,
    };
    store.grants.take_refresh_token(value);
    let rotated = store.grants.issue_refresh_token(RefreshGrant {
        scope: remembered_scope(&grant, scope),
        issued_at: now,
        ..grant
    });
    Ok(Issue {
        refresh_token: Some(rotated),
        ..issue
    })
}

/// The scope the rotated token remembers: the new one, keeping `offline_access`.
fn remembered_scope(grant: &RefreshGrant, mut scope: ScopeRequest) -> ScopeRequest {
    scope.offline_access |= grant.scope.offline_access;
    scope
}
