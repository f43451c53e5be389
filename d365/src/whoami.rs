//! Saying who signed in: `Signed in as admin@contoso.onmicrosoft.com (tenant <guid>).` on
//! stderr once the first token arrives, read from the access token's claims.
//!
//! The claims are read without verifying the token (the service does that): the name is for
//! display only and is never used for a decision. A token that is not a JWT, or has no user
//! name claim (an app-only token), says nothing. The token itself is never printed.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use base64::Engine as _;
use dynamics_auth::{AccessToken, TokenCredential, TokenRequestOptions};
use serde::Deserialize;
use uuid::Uuid;

/// Longest token whose claims are read; real access tokens are a few kilobytes.
const MAX_TOKEN_CHARS: usize = 64 * 1024;
/// Longest user name shown; longer ones are cut (a hostile server could send anything).
const MAX_NAME_CHARS: usize = 120;

/// Who a token says signed in: for display only.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SignedIn {
    /// The user's sign-in name (`upn`, else `preferred_username`, else `unique_name`),
    /// without control characters.
    pub(crate) user: String,
    /// The tenant (`tid`), when it is a GUID.
    pub(crate) tenant: Option<Uuid>,
}

/// A user name is personal data: `Debug` shows its domain only.
impl fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.user.rsplit_once('@').map_or("", |(_, d)| d);
        f.debug_struct("SignedIn")
            .field("user", &format_args!("***@{domain}"))
            .field("tenant", &self.tenant)
            .finish()
    }
}

impl fmt::Display for SignedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signed in as {}", self.user)?;
        if let Some(tenant) = self.tenant {
            write!(f, " (tenant {tenant})")?;
        }
        f.write_str(".")
    }
}

/// The claims that name the user, all optional and of any JSON type.
#[derive(Deserialize)]
struct NameClaims {
    #[serde(default)]
    upn: serde_json::Value,
    #[serde(default)]
    preferred_username: serde_json::Value,
    #[serde(default)]
    unique_name: serde_json::Value,
    #[serde(default)]
    tid: serde_json::Value,
}

/// Who `token` says signed in, or `None` when it is not a JWT or names no user.
pub(crate) fn signed_in(token: &str) -> Option<SignedIn> {
    if token.len() > MAX_TOKEN_CHARS {
        return None;
    }
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: NameClaims = serde_json::from_slice(&bytes).ok()?;
    let user = [&claims.upn, &claims.preferred_username, &claims.unique_name]
        .into_iter()
        .filter_map(|v| v.as_str())
        .map(printable)
        .find(|name| !name.is_empty())?;
    let tenant = claims.tid.as_str().and_then(|t| Uuid::try_parse(t).ok());
    Some(SignedIn { user, tenant })
}

/// `text` without control characters (no terminal escapes), trimmed and capped.
fn printable(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.chars().count() <= MAX_NAME_CHARS {
        return clean.to_owned();
    }
    let mut cut: String = clean.chars().take(MAX_NAME_CHARS).collect();
    cut.push('…');
    cut
}

/// Wraps a credential so that the first token it hands out is announced on stderr (when
/// `announce` is set); otherwise it is the credential itself.
pub(crate) fn announcing(
    credential: Arc<dyn TokenCredential>,
    announce: bool,
) -> Arc<dyn TokenCredential> {
    if !announce {
        return credential;
    }
    Arc::new(Announcing {
        inner: credential,
        done: AtomicBool::new(false),
    })
}

struct Announcing {
    inner: Arc<dyn TokenCredential>,
    done: AtomicBool,
}

impl fmt::Debug for Announcing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Announcing")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for Announcing {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let token = self.inner.get_token(scopes, options).await?;
        if !self.done.swap(true, Ordering::SeqCst)
            && let Some(who) = signed_in(token.token.secret())
        {
            eprintln!("{who}");
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn jwt(claims: &serde_json::Value) -> String {
        let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.{}",
            enc(br#"{"alg":"RS256","typ":"JWT"}"#),
            enc(claims.to_string().as_bytes()),
            enc(b"signature")
        )
    }

    const TENANT: &str = "c0a7e5a0-0000-4000-8000-000000000001";

    #[test]
    fn the_upn_and_tenant_make_the_sentence() {
        let token = jwt(&serde_json::json!({
            "upn": "admin@contoso.onmicrosoft.com",
            "preferred_username": "other@contoso.onmicrosoft.com",
            "tid": TENANT,
        }));
        let who = signed_in(&token).expect("a user");
        assert_eq!(
            who.to_string(),
            format!("Signed in as admin@contoso.onmicrosoft.com (tenant {TENANT}).")
        );
        assert!(!format!("{who:?}").contains("admin@"), "{who:?}");
    }

    #[test]
    fn other_name_claims_are_used_in_order_and_a_bad_tenant_is_left_out() {
        let token = jwt(&serde_json::json!({
            "upn": 42,
            "preferred_username": "  ",
            "unique_name": "live.com#bob@example.com",
            "tid": "not-a-guid",
        }));
        assert_eq!(
            signed_in(&token).expect("a user").to_string(),
            "Signed in as live.com#bob@example.com."
        );
    }

    #[test]
    fn app_only_and_non_jwt_tokens_say_nothing() {
        let app_only = jwt(&serde_json::json!({"appid": TENANT, "tid": TENANT, "idtyp": "app"}));
        assert_eq!(signed_in(&app_only), None);
        for token in ["", "opaque-token", "a.b", "a.b.c.d", "a.!!!.c", "a.e30.c"] {
            assert_eq!(signed_in(token), None, "{token}");
        }
        let not_json = format!(
            "h.{}.s",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"[1,2")
        );
        assert_eq!(signed_in(&not_json), None);
    }

    #[test]
    fn control_characters_are_dropped_and_long_names_cut() {
        let token = jwt(&serde_json::json!({
            "upn": "evil\u{1b}[31m@contoso.com\n",
        }));
        let text = signed_in(&token).expect("a user").to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        let long = jwt(&serde_json::json!({ "upn": "a".repeat(10_000) }));
        let who = signed_in(&long).expect("a user");
        assert!(who.user.chars().count() <= MAX_NAME_CHARS + 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_token_text_is_read_without_panic(token in "\\PC{0,200}") {
            if let Some(who) = signed_in(&token) {
                prop_assert!(!who.user.is_empty());
            }
        }

        #[test]
        fn any_upn_is_shown_without_control_characters(upn in "\\PC{1,200}|[\\x00-\\x1f]{1,5}") {
            let token = jwt(&serde_json::json!({ "upn": upn }));
            if let Some(who) = signed_in(&token) {
                let text = who.to_string();
                prop_assert!(!text.chars().any(char::is_control));
                prop_assert!(who.user.chars().count() <= MAX_NAME_CHARS + 1);
            }
        }
    }
}
