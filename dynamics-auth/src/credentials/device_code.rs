//! Device code sign-in (RFC 8628), for accounts with multi-factor authentication and for
//! machines without a browser.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use serde::Deserialize;
use uuid::Uuid;

use super::refresh_token::{Session, redeem_refresh_token};
use super::with_offline_access;

use crate::options::EndpointVersion;
use crate::token_client::{App, ClientAuth, Form, TokenClient, TokenResponse};
use crate::token_response::{clamp_seconds, lenient_seconds};
use crate::{AuthError, Authority, CredentialOptions, EntraErrorKind};

/// RFC 8628 §3.5: on `slow_down` the interval grows by 5 seconds.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Entra's usual interval, used when the answer gives none.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Polling interval bounds: at least a second (RFC 8628 asks for no faster than the interval
/// given, default 5 s) and at most a minute, whatever the server says or `slow_down` adds up to.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// Entra's device codes live 15 minutes; this is used when the answer gives no lifetime.
const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(900);
/// The longest a device code sign-in is allowed to run, whatever `expires_in` says: an hour.
const MAX_CODE_LIFETIME: Duration = Duration::from_secs(3600);

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
        client_id: Uuid,
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
        form.push("client_id", inner.app.client_id_text())
            .push("scope", all_scopes.join(" "));
        let start: DeviceCodeStart = inner
            .client
            .post_form(&inner.app.authority.device_code_endpoint(), &form)
            .await?;
        let lifetime = start.lifetime();
        let interval = start.interval();
        let info = DeviceCodeInfo {
            user_code: start.user_code,
            verification_uri: start.verification_uri,
            message: start.message.unwrap_or_default(),
            expires_in: lifetime,
        };
        tracing::info!(verification_uri = %info.verification_uri, "device code sign-in started");
        (inner.prompt)(&info);
        self.poll(&start.device_code, &all_scopes, lifetime, interval)
            .await
    }

    async fn poll(
        &self,
        device_code: &str,
        scopes: &[&str],
        lifetime: Duration,
        mut interval: Duration,
    ) -> Result<TokenResponse, AuthError> {
        let inner = &self.inner;
        let clock = inner.client.clock();
        let start = clock.now();
        let deadline = start.checked_add(lifetime.try_into().unwrap_or(time::Duration::ZERO));
        let deadline = deadline.unwrap_or(start);
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
                Err(AuthError::Entra(e)) => match e.kind() {
                    EntraErrorKind::AuthorizationPending => {
                        tracing::debug!("device code: still pending")
                    }
                    EntraErrorKind::SlowDown => {
                        interval = (interval + SLOW_DOWN_STEP).min(MAX_INTERVAL);
                        tracing::debug!(?interval, "device code: asked to slow down");
                    }
                    EntraErrorKind::AuthorizationDeclined | EntraErrorKind::AccessDenied => {
                        return Err(AuthError::DeviceCodeDeclined);
                    }
                    EntraErrorKind::ExpiredToken => return Err(AuthError::DeviceCodeExpired),
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

/// The device authorization answer (RFC 8628 §3.2). `expires_in` and `interval` are read
/// leniently (numbers or strings, any size) and clamped, so a hostile answer cannot make the
/// poller overflow or wait for years.
#[derive(Deserialize)]
pub(crate) struct DeviceCodeStart {
    pub(crate) device_code: String,
    pub(crate) user_code: String,
    #[serde(alias = "verification_url")]
    pub(crate) verification_uri: String,
    #[serde(default, deserialize_with = "lenient_seconds")]
    expires_in: Option<i128>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    interval: Option<i128>,
    pub(crate) message: Option<String>,
}

impl DeviceCodeStart {
    /// How long the code is valid: the answer's `expires_in` clamped to at most an hour
    /// (15 minutes when absent).
    pub(crate) fn lifetime(&self) -> Duration {
        match self.expires_in {
            Some(seconds) => Duration::from_secs(clamp_seconds(seconds, MAX_CODE_LIFETIME)),
            None => DEFAULT_CODE_LIFETIME,
        }
    }

    /// How long to wait between polls: the answer's `interval` clamped to 1–60 seconds
    /// (5 seconds when absent).
    pub(crate) fn interval(&self) -> Duration {
        match self.interval {
            Some(seconds) => Duration::from_secs(clamp_seconds(seconds, MAX_INTERVAL)),
            None => DEFAULT_INTERVAL,
        }
        .max(MIN_INTERVAL)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn start(expires_in: &str, interval: &str) -> DeviceCodeStart {
        let body = format!(
            r#"{{"device_code":"d","user_code":"U","verification_uri":"https://microsoft.com/devicelogin","expires_in":{expires_in},"interval":{interval}}}"#
        );
        serde_json::from_str(&body).expect(&body)
    }

    #[test]
    fn absurd_lifetimes_and_intervals_are_clamped() {
        let huge = start("1000000000000", &u64::MAX.to_string());
        assert_eq!(huge.lifetime(), MAX_CODE_LIFETIME);
        assert_eq!(huge.interval(), MAX_INTERVAL);
        let negative = start("-900", "-5");
        assert_eq!(negative.lifetime(), Duration::ZERO);
        assert_eq!(negative.interval(), MIN_INTERVAL);
        let strings = start("\"900\"", "\"5.5\"");
        assert_eq!(strings.lifetime(), Duration::from_secs(900));
        assert_eq!(strings.interval(), Duration::from_secs(5));
        let garbage = start("\"later\"", "null");
        assert_eq!(garbage.lifetime(), DEFAULT_CODE_LIFETIME);
        assert_eq!(garbage.interval(), DEFAULT_INTERVAL);
        let floats = start("1e300", "1e300");
        assert_eq!(floats.lifetime(), MAX_CODE_LIFETIME);
        assert_eq!(floats.interval(), MAX_INTERVAL);
    }

    fn number_or_string() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("JSON has no NaN", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            any::<i128>().prop_map(|i| serde_json::Value::from(i.to_string())),
            ".{0,12}".prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn device_code_answers_parse_into_bounded_timings(
            expires_in in number_or_string(),
            interval in number_or_string(),
        ) {
            let body = serde_json::json!({
                "device_code": "d", "user_code": "U",
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": expires_in, "interval": interval,
            });
            let parsed: DeviceCodeStart = serde_json::from_value(body).expect("timings never fail a parse");
            prop_assert!(parsed.lifetime() <= MAX_CODE_LIFETIME);
            prop_assert!(parsed.interval() >= MIN_INTERVAL && parsed.interval() <= MAX_INTERVAL);
        }

        #[test]
        fn valid_device_code_timings_round_trip(expires_in in 0u64..=3600, interval in 1u64..=60) {
            let body = serde_json::json!({
                "device_code": "d", "user_code": "U", "verification_url": "https://x",
                "expires_in": expires_in, "interval": interval.to_string(),
            });
            let parsed: DeviceCodeStart = serde_json::from_value(body).expect("valid");
            prop_assert_eq!(parsed.lifetime(), Duration::from_secs(expires_in));
            prop_assert_eq!(parsed.interval(), Duration::from_secs(interval));
        }

        #[test]
        fn arbitrary_device_code_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(parsed) = serde_json::from_slice::<DeviceCodeStart>(&bytes) {
                prop_assert!(parsed.lifetime() <= MAX_CODE_LIFETIME);
            }
        }
    }
}
