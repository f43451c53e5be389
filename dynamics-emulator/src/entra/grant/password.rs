//! `grant_type=password` (ROPC).

use super::{TokenRequest, require_consent, resource, user_principal};
use crate::entra::error::AadError;
use crate::entra::issue::{Issue, Protocol};
use crate::grants::RefreshGrant;
use crate::seed::MfaState;
use crate::state::Store;

/// Checks the user's password; MFA users are blocked (AADSTS50076/50079) because this grant
/// cannot perform MFA.
pub(in crate::entra) fn plan(
    request: &TokenRequest<'_>,
    store: &mut Store,
) -> Result<Issue, AadError> {
    let (tenant, app, client_auth) = request.user_flow_client(&store.directory)?;
    let username = request.params.require("username")?;
    let password = request.params.require("password")?;
    let scope = request.scope()?;
    let resource = resource(tenant, &scope)?;
    let user = tenant
        .user_by_upn(username)
        .ok_or_else(|| AadError::unknown_user(&tenant.domain))?;
    if user.password != password {
        return Err(AadError::bad_password());
    }
    match user.mfa {
        MfaState::None => {}
        MfaState::Required => return Err(AadError::mfa_required(&resource.uri)),
        MfaState::EnrollmentRequired => {
            return Err(AadError::mfa_enrollment_required(&resource.uri));
        }
    }
    require_consent(tenant, app, resource)?;

    let now = request.shared.clock.now();
    let issue_refresh = scope.offline_access || request.protocol == Protocol::V1;
    let issue = Issue {
        protocol: request.protocol,
        tenant_id: tenant.id,
        client_id: app.client_id,
        client_auth,
        resource: resource.uri.clone(),
        scope: scope.clone(),
        principal: user_principal(user, false),
        refresh_token: None,
        nonce: None,
    };
    let refresh_grant = RefreshGrant {
        tenant_id: tenant.id,
        client_id: app.client_id,
        user_id: user.object_id,
        scope,
        mfa: false,
        issued_at: now,
    };
    Ok(Issue {
        refresh_token: issue_refresh.then(|| store.grants.issue_refresh_token(refresh_grant)),
        ..issue
    })
}
