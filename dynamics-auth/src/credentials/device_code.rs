//! Device code sign-in (RFC 8628), for accounts with multi-factor authentication and for
//! machines without a browser.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use serde::Deserialize;

use super::refresh_token::{Session, redeem_refresh_token};
use super::with_offline_access;
use crate::options::EndpointVersion;
use crate::token_client::{App, ClientAuth, Form, TokenClient, TokenResponse};
use crate::{AuthError, Authority, CredentialOptions};

/// RFC 8628 §3.5: on `slow_down` the interval grows by 5 seconds.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Entra's usual interval, used when the answer gives none.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What the user must be shown: where to go and which code to enter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCodeInfo {
    /// The short code the user types in.
    pub user_code: String,
    /// Where to type it (`https://microsoft.com/devicelogin`).
    pub verification_uri: String,
    /// Entra's ready-made instruction, in the user's language.
    pub message: String,
    /// How long the code stays valid.
    pub expires_in: Duration,
}

type Prompt = Arc<dyn Fn(&DeviceCodeInfo) + Send + Sync>;

/// Signs a user in with a device code: the callback shows the user a code to enter at
/// `verification_uri`, and the credential polls until they finish (honouring `interval`,
/// `authorization_pending` and `slow_down`), decline, or the code expires.
///
/// After the first sign-in it keeps the refresh token and uses it for later calls, so the
/// user is asked once.
#[derive(Clone)]
pub struct DeviceCodeCredential {
    inner: Arc<Inner>,
}

struct Inner {
    app: App,
    client: TokenClient,
    prompt: Prompt,
    session: tokio::sync::Mutex<Option<Session>>,
}

impl DeviceCodeCredential {
    /// A public client (native app registration with "Allow public client flows").
    /// `prompt` is called with the code to show the user.
    pub fn new(
        authority: Authority,
        client_id: &str,
        prompt: impl Fn(&DeviceCodeInfo) + Send + Sync + 'static,
        options: CredentialOptions,
    ) -> Result<Self, AuthError> {
        if options.endpoint_version == EndpointVersion::V1 {
            return Err(AuthError::invalid(
                "endpoint version",
                "v1",
                "the device code sign-in uses the v2 endpoints; leave endpoint_version at V2",
            ));
        }
        if authority.tenant().as_str() == "consumers" {
            return Err(AuthError::invalid(
                "tenant id",
                "consumers",
                "Dynamics needs a work account: use the tenant, `organizations` or `common`",
            ));
        }
        Ok(DeviceCodeCredential {
            inner: Arc::new(Inner {
                app: App::new(authority, client_id, ClientAuth::Public)?,
                client: TokenClient::new(&options)?,
                prompt: Arc::new(prompt),
                session: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// Runs the device code flow for `scopes` (plus `offline_access`).
    async fn sign_in(&self, scopes: &[&str]) -> Result<TokenResponse, AuthError> {
        let inner = &self.inner;
        let all_scopes = with_offline_access(scopes);
        let mut form = Form::new();
        form.push("client_id", inner.app.client_id.clone())
            .push("scope", all_scopes.join(" "));
        let start: DeviceCodeStart = inner
            .client
            .post_form(&inner.app.authority.device_code_endpoint(), &form)
            .await?;
        let info = DeviceCodeInfo {
            user_code: start.user_code,
            verification_uri: start.verification_uri,
            message: start.message.unwrap_or_default(),
            expires_in: Duration::from_secs(start.expires_in.unwrap_or(900)),
        };
        tracing::info!(verification_uri = %info.verification_uri, "device code sign-in started");
        (inner.prompt)(&info);
        self.poll(
            &start.device_code,
            &all_scopes,
            info.expires_in,
            start.interval,
        )
        .await
    }

    async fn poll(
        &self,
        device_code: &str,
        scopes: &[&str],
        lifetime: Duration,
        interval: Option<u64>,
    ) -> Result<TokenResponse, AuthError> {
        let inner = &self.inner;
        let clock = inner.client.clock();
        let deadline = clock.now() + lifetime;
        let mut interval = interval
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_INTERVAL)
            .max(Duration::from_secs(1));
        loop {
            clock.sleep(interval).await;
            if clock.now() >= deadline {
                return Err(AuthError::DeviceCodeExpired);
            }
            let mut grant = Form::new();
            grant
                .push("grant_type", "urn:ietf:params:oauth:grant-type:device_code")
                .push("device_code", device_code);
            match inner.client.redeem(&inner.app, grant, scopes).await {
                Ok(response) => return Ok(response),
                Err(AuthError::Entra(e)) => match e.error.as_str() {
                    "authorization_pending" => tracing::debug!("device code: still pending"),
                    "slow_down" => {
                        interval += SLOW_DOWN_STEP;
                        tracing::debug!(?interval, "device code: asked to slow down");
                    }
                    "authorization_declined" | "access_denied" => {
                        return Err(AuthError::DeviceCodeDeclined);
                    }
                    "expired_token" | "code_expired" => return Err(AuthError::DeviceCodeExpired),
                    _ => return Err(AuthError::Entra(e)),
                },
                Err(other) => return Err(other),
            }
        }
    }
}

impl fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeCredential")
            .field("authority", &self.inner.app.authority.to_string())
            .field("client_id", &self.inner.app.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct DeviceCodeStart {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    expires_in: Option<u64>,
    interval: Option<u64>,
    message: Option<String>,
}

#[async_trait]
impl TokenCredential for DeviceCodeCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let inner = &self.inner;
        // One sign-in at a time: concurrent callers wait for it instead of prompting twice.
        let mut session = inner.session.lock().await;
        if let Some(current) = session.as_mut() {
            match redeem_refresh_token(&inner.client, &inner.app, current, scopes).await {
                Ok(token) => return Ok(token),
                Err(AuthError::Entra(e)) => {
                    tracing::info!(error = %e, "refresh token refused; signing in again");
                }
                Err(other) => return Err(other.into()),
            }
        }
        let response = self.sign_in(scopes).await?;
        let token = response.access_token(inner.client.clock().now());
        *session = Session::from_response(&response, scopes, &inner.client).ok();
        Ok(token)
    }
}
