//! `grant_type=authorization_code`: redeeming a code from the authorize endpoint, with PKCE.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::{TokenRequest, require_consent, resource, user_principal};
use crate::entra::error::AadError;
use crate::entra::issue::{Issue, Protocol};
use crate::grants::{Lookup, PkceChallenge, RefreshGrant};
use crate::state::Store;

/// Redeems a code: single use, [`EmulatorConfig::authorization_code_lifetime`](crate::EmulatorConfig)
/// on the emulator clock, same client and redirect URI, and the PKCE verifier must match.
pub(in crate::entra) fn plan(
    request: &TokenRequest<'_>,
    store: &mut Store,
) -> Result<Issue, AadError> {
    let value = request.params.require("code")?;
    let redirect_uri = request.params.require("redirect_uri")?;
    let (tenant, app, client_auth) = request.user_flow_client(&store.directory)?;
    let code = match store.grants.take_code(value) {
        Lookup::Found(code) => code,
        Lookup::Spent => return Err(AadError::expired_or_revoked_grant()),
        Lookup::Unknown => return Err(AadError::unknown_grant("authorization code")),
    };
    let now = request.shared.clock.now();
    if now >= code.expires_at {
        return Err(AadError::expired_or_revoked_grant());
    }
    if code.client_id != app.client_id {
        return Err(AadError::grant_client_mismatch());
    }
    if code.tenant_id != tenant.id {
        return Err(AadError::grant_tenant_mismatch());
    }
    if code.redirect_uri != redirect_uri {
        return Err(AadError::redirect_uri_mismatch(
            redirect_uri,
            &code.redirect_uri,
        ));
    }
    if let Some(challenge) = &code.pkce {
        let verifier = request.params.get("code_verifier").unwrap_or_default();
        if !pkce_matches(challenge, verifier) {
            return Err(AadError::pkce_mismatch());
        }
    }

    let mut scope = code.scope.clone();
    if let Ok(Some(requested)) = request.optional_scope() {
        scope.offline_access |= requested.offline_access;
        scope.openid |= requested.openid;
    }
    let resource = resource(tenant, &scope)?;
    require_consent(tenant, app, resource)?;
    let user = tenant
        .user(code.user_id)
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
        nonce: code.nonce.clone(),
    };
    let issue_refresh = scope.offline_access || request.protocol == Protocol::V1;
    let refresh_grant = RefreshGrant {
        tenant_id: tenant.id,
        client_id: app.client_id,
        user_id: user.object_id,
        scope,
        mfa: true,
        issued_at: now,
    };
    Ok(Issue {
        refresh_token: issue_refresh.then(|| store.grants.issue_refresh_token(refresh_grant)),
        ..issue
    })
}

/// RFC 7636 §4.6: S256 compares base64url(SHA-256(verifier)); plain compares the verifier.
fn pkce_matches(challenge: &PkceChallenge, verifier: &str) -> bool {
    if verifier.is_empty() {
        return false;
    }
    match challenge {
        PkceChallenge::S256(expected) => {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *expected
        }
        PkceChallenge::Plain(expected) => verifier == expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        let challenge =
            PkceChallenge::S256("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned());
        assert!(pkce_matches(
            &challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!pkce_matches(&challenge, "wrong"));
        assert!(!pkce_matches(&PkceChallenge::Plain(String::new()), ""));
    }
}
