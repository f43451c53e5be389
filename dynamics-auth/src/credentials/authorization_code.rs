//! Authorization code sign-in with PKCE, as connector platforms do it: send the user to the
//! authorize URL, take the code from the redirect, exchange it, then keep refreshing silently.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::Secret;
use url::Url;
use uuid::Uuid;

use super::pkce;
use super::refresh_token::{RefreshTokenCredential, Session};
use super::with_offline_access;

use crate::certificate::ClientCertificate;
use crate::token_client::{App, ClientAuth, Form, TokenClient, with_consent_url};
use crate::{AuthError, Authority, CredentialOptions, EntraError, EntraErrorKind, secure_url};

/// Optional parameters of the authorize request.
/// Construct it with `..Default::default()`.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeOptions {
    /// `login`, `none`, `consent` or `select_account`.
    pub prompt: Option<String>,
    /// Pre-fills the user name.
    pub login_hint: Option<String>,
    /// Skips home realm discovery (`organizations`, a domain, ...).
    pub domain_hint: Option<String>,
    /// `query` (default), `fragment` or `form_post`.
    pub response_mode: Option<String>,
}

/// A started sign-in: the URL to send the user to, and what must be kept until the redirect
/// comes back (the `state` and the PKCE verifier). Keep it server-side, per user.
#[derive(Clone)]
pub struct AuthorizationRequest {
    url: Url,
    state: String,
    verifier: Secret,
    scopes: Vec<String>,
}

impl AuthorizationRequest {
    /// Where to send the user's browser.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The `state` sent; the redirect must bring it back.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The PKCE verifier, to store with the pending request.
    pub fn pkce_verifier(&self) -> &Secret {
        &self.verifier
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Rebuilds a pending request from stored parts (for example after a server restart).
    pub fn from_parts(url: Url, state: String, verifier: Secret, scopes: Vec<String>) -> Self {
        AuthorizationRequest {
            url,
            state,
            verifier,
            scopes,
        }
    }
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &self.url.as_str())
            .field("state", &self.state)
            .field("verifier", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The authorization code flow for one app registration and redirect URI.
#[derive(Clone)]
pub struct AuthorizationCodeFlow {
    app: App,
    redirect_uri: Url,
    client: TokenClient,
}

impl AuthorizationCodeFlow {
    /// A public client (native app). `redirect_uri` must be registered on the app; it must be
    /// `https`, or `http` to loopback (`http://localhost:PORT/...`).
    pub fn new(
        authority: Authority,
        client_id: Uuid,
        redirect_uri: &str,
        options: CredentialOptions,
    ) -> Result<Self, AuthError> {
        Ok(AuthorizationCodeFlow {
            app: App::new(authority, client_id, ClientAuth::Public)?,
            redirect_uri: secure_url::parse_secure_url("redirect URI", redirect_uri)?,
            client: TokenClient::new(&options)?,
        })
    }

    /// A confidential web app (what connector platforms register) with a client secret.
    pub fn with_client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.app.auth = ClientAuth::Secret(secret.into());
        self
    }

    /// A confidential web app with a certificate.
    pub fn with_client_certificate(mut self, certificate: ClientCertificate) -> Self {
        self.app.auth = ClientAuth::Certificate(Arc::new(certificate));
        self
    }

    /// Starts a sign-in: a fresh `state` and PKCE pair, and the authorize URL carrying them.
    /// `offline_access` is added so that a refresh token is issued.
    pub fn authorize_url(
        &self,
        scopes: &[&str],
        options: &AuthorizeOptions,
    ) -> AuthorizationRequest {
        let scopes = with_offline_access(scopes);
        let state = pkce::new_state();
        let verifier = pkce::new_verifier();
        let mut url = self.app.authority.authorize_endpoint();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.app.client_id_text())
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", self.redirect_uri.as_str())
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("code_challenge", &pkce::challenge(&verifier))
                .append_pair("code_challenge_method", "S256");
            let optional = [
                ("response_mode", &options.response_mode),
                ("prompt", &options.prompt),
                ("login_hint", &options.login_hint),
                ("domain_hint", &options.domain_hint),
            ];
            for (key, value) in optional {
                if let Some(value) = value {
                    q.append_pair(key, value);
                }
            }
        }
        AuthorizationRequest {
            url,
            state,
            verifier: Secret::new(verifier),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Finishes a sign-in from the full redirect URL the browser came back with: checks
    /// `state`, turns an `error=` redirect into an error, and exchanges the code.
    ///
    /// A redirect saying consent is missing (`error=consent_required`, or any error whose
    /// description starts with `AADSTS65001`) gives [`AuthError::Entra`] with
    /// [`EntraErrorKind::ConsentRequired`] and the admin-consent URL, as the token endpoint
    /// does; other redirect errors give [`AuthError::AuthorizationDenied`] (whose
    /// [`AuthError::kind`] and [`AuthError::hint`] come from the standard `error` value).
    ///
    /// The code is sent to the token endpoint once: if that request may have reached the
    /// server but no answer came back (timeout, 5xx), the result is
    /// [`AuthError::SignInMustRestart`].
    pub async fn complete(
        &self,
        request: &AuthorizationRequest,
        redirect: &Url,
    ) -> Result<RefreshTokenCredential, AuthError> {
        let param = |name: &str| {
            redirect
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let state = param("state").unwrap_or_default();
        if let Some(error) = param("error") {
            if !constant_time_eq(state.as_bytes(), request.state.as_bytes()) {
                return Err(AuthError::StateMismatch);
            }
            let description = param("error_description").unwrap_or_default();
            let entra = EntraError::from_redirect(&error, &description, param("error_uri"));
            // Missing consent is reported exactly as the token endpoint reports AADSTS65001,
            // with the admin-consent URL to hand to an administrator.
            if entra.kind() == EntraErrorKind::ConsentRequired {
                return Err(with_consent_url(
                    AuthError::Entra(Box::new(entra)),
                    &self.app,
                ));
            }
            return Err(AuthError::AuthorizationDenied { error, description });
        }
        let code = param("code").ok_or_else(|| {
            AuthError::invalid(
                "redirect URL",
                redirect.path(),
                "the redirect carries neither `code` nor `error`; pass the full URL the browser came back to",
            )
        })?;
        self.exchange_code(request, &code, &state).await
    }

    /// Exchanges an authorization code (with the request's PKCE verifier) for tokens, after
    /// checking that `returned_state` is the one sent. The result refreshes itself silently
    /// and rotates its refresh token.
    pub async fn exchange_code(
        &self,
        request: &AuthorizationRequest,
        code: &str,
        returned_state: &str,
    ) -> Result<RefreshTokenCredential, AuthError> {
        if !constant_time_eq(returned_state.as_bytes(), request.state.as_bytes()) {
            return Err(AuthError::StateMismatch);
        }
        let mut grant = Form::new();
        grant
            .push("grant_type", "authorization_code")
            .push("code", code)
            .push("redirect_uri", self.redirect_uri.as_str())
            .push("code_verifier", request.verifier.secret());
        let scopes: Vec<&str> = request.scopes.iter().map(String::as_str).collect();
        let response = self.client.redeem(&self.app, grant, &scopes).await?;
        let resource_scopes: Vec<&str> = scopes
            .iter()
            .copied()
            .filter(|s| !crate::scopes::is_openid_scope(s))
            .collect();
        let session = Session::from_response(&response, &resource_scopes, &self.client)?;
        RefreshTokenCredential::from_parts(self.app.clone(), self.client.clone(), session)
    }

    /// The URL an administrator opens to consent to this app for the whole tenant; Entra
    /// then redirects to this flow's redirect URI with `admin_consent=True`.
    pub fn admin_consent_url(&self, state: Option<&str>) -> Url {
        self.app
            .authority
            .admin_consent_url(self.app.client_id, Some(&self.redirect_uri), state)
    }
}

impl fmt::Debug for AuthorizationCodeFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCodeFlow")
            .field("authority", &self.app.authority.to_string())
            .field("client_id", &self.app.client_id)
            .field("client_auth", &self.app.auth)
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cloud;

    #[test]
    fn the_authorize_url_carries_pkce_state_and_offline_access() {
        let flow = AuthorizationCodeFlow::new(
            Authority::new(Cloud::Public, "organizations").expect("authority"),
            Uuid::from_u128(0x11111111_2222_3333_4444_555555555555),
            "https://connector.example.com/callback",
            CredentialOptions::default(),
        )
        .expect("flow");
        let request = flow.authorize_url(
            &["https://contoso.crm.dynamics.com/user_impersonation"],
            &AuthorizeOptions {
                prompt: Some("select_account".into()),
                ..Default::default()
            },
        );
        let q: std::collections::HashMap<_, _> = request.url().query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["code_challenge"],
            pkce::challenge(request.pkce_verifier().secret())
        );
        assert_eq!(q["state"], request.state());
        assert_eq!(
            q["scope"],
            "https://contoso.crm.dynamics.com/user_impersonation offline_access"
        );
        assert_eq!(q["prompt"], "select_account");
        assert!(
            !request
                .url()
                .as_str()
                .contains(request.pkce_verifier().secret())
        );
        assert!(!format!("{request:?}").contains(request.pkce_verifier().secret()));
    }

    #[test]
    fn redirect_uris_must_be_https_or_loopback() {
        let authority = Authority::new(Cloud::Public, "organizations").expect("authority");
        let id = Uuid::from_u128(0x11111111_2222_3333_4444_555555555555);
        assert!(
            AuthorizationCodeFlow::new(
                authority.clone(),
                id,
                "http://localhost:8400/cb",
                CredentialOptions::default()
            )
            .is_ok()
        );
        assert!(
            AuthorizationCodeFlow::new(
                authority,
                id,
                "http://connector.example.com/cb",
                CredentialOptions::default()
            )
            .is_err()
        );
    }
}
