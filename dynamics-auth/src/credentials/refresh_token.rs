//! Sign-in from a refresh token, keeping the newest one: Entra rotates refresh tokens, so each
//! redemption returns a new one and the old one must not be used again.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use uuid::Uuid;

use super::with_offline_access;

use crate::certificate::ClientCertificate;
use crate::token_client::{App, ClientAuth, Form, TokenClient, TokenResponse};
use crate::{AuthError, Authority, CredentialOptions};

/// Called with each new refresh token, so the application can store it (a connector platform
/// keeps it per connection). Runs while the credential's lock is held: keep it short.
pub(crate) type RotationCallback = Arc<dyn Fn(&Secret) + Send + Sync>;

/// Redeems a stored refresh token for access tokens, rotating it on each use.
///
/// Calls are serialised: two concurrent refreshes with the same refresh token would make
/// the second fail once the first has rotated it.
#[derive(Clone)]
pub struct RefreshTokenCredential {
    app: App,
    inner: Arc<Inner>,
}

struct Inner {
    client: TokenClient,
    session: tokio::sync::Mutex<Session>,
    on_rotate: Option<RotationCallback>,
}

/// The refresh token, plus the access token that came with it when it was first issued
/// (handed out once, so the first call makes no extra request).
pub(crate) struct Session {
    pub(crate) refresh_token: Secret,
    pub(crate) first_token: Option<(Vec<String>, AccessToken)>,
}

impl RefreshTokenCredential {
    /// A public client (native app) starting from a stored refresh token.
    pub fn new(
        authority: Authority,
        client_id: Uuid,
        refresh_token: impl Into<Secret>,
        options: CredentialOptions,
    ) -> Result<Self, AuthError> {
        let app = App::new(authority, client_id, ClientAuth::Public)?;
        Self::from_parts(
            app,
            TokenClient::new(&options)?,
            Session {
                refresh_token: refresh_token.into(),
                first_token: None,
            },
        )
    }

    /// Makes it a confidential (web) app's credential that authenticates with its client
    /// secret: `RefreshTokenCredential::new(..)?.with_client_secret(secret)`.
    pub fn with_client_secret(mut self, client_secret: impl Into<Secret>) -> Self {
        self.app.auth = ClientAuth::Secret(client_secret.into());
        self
    }

    /// Makes it a confidential (web) app's credential that authenticates with a certificate,
    /// as [`with_client_secret`](Self::with_client_secret) does with a secret.
    pub fn with_client_certificate(mut self, certificate: ClientCertificate) -> Self {
        self.app.auth = ClientAuth::Certificate(Arc::new(certificate));
        self
    }

    pub(crate) fn from_parts(
        app: App,
        client: TokenClient,
        session: Session,
    ) -> Result<Self, AuthError> {
        Ok(RefreshTokenCredential {
            app,
            inner: Arc::new(Inner {
                client,
                session: tokio::sync::Mutex::new(session),
                on_rotate: None,
            }),
        })
    }

    /// Registers a callback that receives every new refresh token.
    ///
    /// Call it before the credential is cloned or shared.
    pub fn on_rotate(mut self, callback: impl Fn(&Secret) + Send + Sync + 'static) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.on_rotate = Some(Arc::new(callback)),
            None => tracing::warn!("on_rotate ignored: the credential was already shared"),
        }
        self
    }

    /// The current refresh token, to store for later.
    pub async fn refresh_token(&self) -> Secret {
        self.inner.session.lock().await.refresh_token.clone()
    }
}

impl fmt::Debug for RefreshTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshTokenCredential")
            .field("authority", &self.app.authority.to_string())
            .field("client_id", &self.app.client_id)
            .field("client_auth", &self.app.auth)
            .field("refresh_token", &"<redacted>")
            .finish()
    }
}

#[async_trait]
impl TokenCredential for RefreshTokenCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let inner = &self.inner;
        let mut session = inner.session.lock().await;
        if let Some(token) = session.take_first_token(scopes, &inner.client) {
            return Ok(token);
        }
        let token = redeem_refresh_token(&inner.client, &self.app, &mut session, scopes).await?;
        if let Some(callback) = &inner.on_rotate {
            callback(&session.refresh_token);
        }
        Ok(token)
    }
}

impl Session {
    /// Starts a session from a token answer that must carry a refresh token.
    pub(crate) fn from_response(
        response: &TokenResponse,
        scopes: &[&str],
        client: &TokenClient,
    ) -> Result<Self, AuthError> {
        let refresh_token = response.refresh_token.clone().ok_or_else(|| {
            AuthError::MissingRefreshToken(
                "Entra ID issued no refresh token; ask for the `offline_access` scope".into(),
            )
        })?;
        Ok(Session {
            refresh_token,
            first_token: Some((
                scopes.iter().map(|s| s.to_string()).collect(),
                response.access_token(client.clock().now()),
            )),
        })
    }

    fn take_first_token(&mut self, scopes: &[&str], client: &TokenClient) -> Option<AccessToken> {
        let (first_scopes, _) = self.first_token.as_ref()?;
        let same = first_scopes.len() == scopes.len()
            && scopes.iter().all(|s| first_scopes.iter().any(|f| f == s));
        if !same {
            return None;
        }
        let (_, token) = self.first_token.take()?;
        (token.expires_on > client.clock().now()).then_some(token)
    }
}

/// Redeems the session's refresh token for `scopes` and stores the rotated one.
pub(crate) async fn redeem_refresh_token(
    client: &TokenClient,
    app: &App,
    session: &mut Session,
    scopes: &[&str],
) -> Result<AccessToken, AuthError> {
    let mut grant = Form::new();
    grant
        .push("grant_type", "refresh_token")
        .push("refresh_token", session.refresh_token.secret());
    let response = client
        .redeem(app, grant, &with_offline_access(scopes))
        .await?;
    if let Some(next) = &response.refresh_token {
        session.refresh_token = next.clone();
        tracing::debug!("refresh token rotated");
    }
    Ok(response.access_token(client.clock().now()))
}
