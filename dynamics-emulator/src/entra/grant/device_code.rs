//! `grant_type=urn:ietf:params:oauth:grant-type:device_code`: polling for a device code.

use super::{TokenRequest, require_consent, resource, user_principal};
use crate::entra::error::AadError;
use crate::entra::issue::{Issue, Protocol};
use crate::grants::{DeviceDecision, Lookup, RefreshGrant};
use crate::state::Store;

/// One poll. The answer follows the code's [`DeviceCodeBehaviour`](crate::DeviceCodeBehaviour):
/// expired, declined, `slow_down` on the scripted poll, a token once approved (explicitly or by
/// poll count), else `authorization_pending`.
pub(in crate::entra) fn plan(
    request: &TokenRequest<'_>,
    store: &mut Store,
) -> Result<Issue, AadError> {
    // The v1 device flow sends the device code as `code`.
    let device_code = match request.params.get("device_code") {
        Some(code) => code,
        None if request.protocol == Protocol::V1 => request.params.require("code")?,
        None => return Err(AadError::missing_parameter("device_code")),
    };
    let (tenant, app, client_auth) = request.user_flow_client(&store.directory)?;
    let now = request.shared.clock.now();
    let grant = match store.grants.device_code_mut(device_code) {
        Lookup::Found(grant) => grant,
        Lookup::Spent => return Err(AadError::expired_or_revoked_grant()),
        Lookup::Unknown => return Err(AadError::bad_verification_code()),
    };
    if grant.tenant_id != tenant.id {
        return Err(AadError::bad_verification_code());
    }
    if grant.client_id != app.client_id {
        return Err(AadError::grant_client_mismatch());
    }
    if now >= grant.expires_at {
        return Err(AadError::device_code_expired());
    }
    grant.polls = grant.polls.saturating_add(1);
    let poll = grant.polls;
    if grant.decision == DeviceDecision::Declined {
        return Err(AadError::authorization_declined());
    }
    if grant.behaviour.slow_down_on_poll == Some(poll) {
        return Err(AadError::slow_down());
    }
    let auto_approved = grant
        .behaviour
        .auto_approve_after_polls
        .is_some_and(|after| poll >= after);
    let user_id = match grant.decision {
        DeviceDecision::Approved(user_id) => user_id,
        DeviceDecision::Pending if auto_approved => match tenant.default_user() {
            Some(user) => user.object_id,
            None => return Err(AadError::authorization_pending()),
        },
        _ => return Err(AadError::authorization_pending()),
    };
    let scope = grant.scope.clone();

    let resource = resource(tenant, &scope)?;
    require_consent(tenant, app, resource)?;
    let user = tenant
        .user(user_id)
        .ok_or_else(|| AadError::unknown_user(&tenant.domain))?;
    let issue = Issue {
        protocol: request.protocol,
        tenant_id: tenant.id,
        client_id: app.client_id,
        client_auth,
        resource: resource.uri.clone(),
        scope: scope.clone(),
        principal: user_principal(user, true),
        refresh_token: None,
        nonce: None,
    };
    let issue_refresh = scope.offline_access || request.protocol == Protocol::V1;
    let refresh_grant = RefreshGrant {
        tenant_id: tenant.id,
        client_id: app.client_id,
        user_id,
        scope,
        mfa: true,
        issued_at: now,
    };
    store.grants.redeem_device_code(device_code);
    Ok(Issue {
        refresh_token: issue_refresh.then(|| store.grants.issue_refresh_token(refresh_grant)),
        ..issue
    })
}
