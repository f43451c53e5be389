//! Small helpers around tokens: the resource scopes of a sign-in, the tenant in an access
//! token, and the `AuthError` inside a credential's error.

use base64::Engine as _;
use dynamics_auth::{AccessToken, AuthError, scopes};

/// The scopes naming a resource (`offline_access`, `openid`, ... left out).
pub(crate) fn resource_scopes(all: &[String]) -> Vec<String> {
    all.iter()
        .filter(|s| !scopes::is_openid_scope(s))
        .cloned()
        .collect()
}

/// The `AuthError` a dynamics-auth credential put in its `azure_core::Error`.
pub(crate) fn auth_error(error: &azure_core::Error) -> AuthError {
    AuthError::from_azure(error)
        .cloned()
        .unwrap_or_else(|| AuthError::Transport {
            url: String::new(),
            message: error.to_string(),
            timed_out: false,
        })
}

/// The `tid` claim of a JWT access token, read without verifying it (only to route later
/// refreshes to the customer's own tenant; the org verifies the token).
pub(crate) fn tenant_of(token: &AccessToken) -> Option<String> {
    let payload = token.token.secret().split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&json).ok()?;
    let tid = claims.get("tid")?.as_str()?;
    dynamics_auth::TenantId::parse(tid)
        .ok()
        .map(|t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamics_auth::Secret;

    #[test]
    fn reads_the_tenant_claim() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"tid":"72F988BF-86F1-41AF-91AB-2D7CD011DB47"}"#);
        let token = AccessToken::new(
            Secret::new(format!("e30.{payload}.sig")),
            time::OffsetDateTime::now_utc(),
        );
        assert_eq!(
            tenant_of(&token).as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        let opaque = AccessToken::new(Secret::new("opaque"), time::OffsetDateTime::now_utc());
        assert_eq!(tenant_of(&opaque), None);
    }

    #[test]
    fn keeps_resource_scopes_only() {
        let all = vec![
            "https://x.crm.dynamics.com/user_impersonation".to_owned(),
            "offline_access".to_owned(),
        ];
        assert_eq!(
            resource_scopes(&all),
            vec!["https://x.crm.dynamics.com/user_impersonation"]
        );
    }
}
