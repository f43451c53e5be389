//! The one place that talks to Entra ID's token endpoints: builds the form for a grant,
//! authenticates the client, posts, retries what is safe to retry, and turns the answer into
//! an [`AccessToken`] or an [`AuthError`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use azure_core::credentials::Secret;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tracing::Instrument as _;
use url::Url;
use uuid::Uuid;

use crate::certificate::ClientCertificate;
use crate::client_id::check_client_id;
use crate::clock::Clock;
use crate::error::{EntraError, EntraErrorKind};
use crate::options::EndpointVersion;
pub(crate) use crate::token_response::TokenResponse;
use crate::{AuthError, Authority, CredentialOptions, scopes};

/// Longest wait between retries, whatever `Retry-After` says.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(10);
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
/// How much of an unexpected error body goes into the error.
const BODY_EXCERPT_CHARS: usize = 300;
/// Largest answer read from a token endpoint; real ones are a few kilobytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Form fields whose values are secrets, to be scrubbed from anything the server echoes back.
const SECRET_FIELDS: [&str; 7] = [
    "client_secret",
    "client_assertion",
    "password",
    "refresh_token",
    "code",
    "code_verifier",
    "device_code",
];

/// Whether a token request may be sent again once it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Repeating it is harmless (client credentials, password, refresh token, device code
    /// polling, which is polling by design).
    Safe,
    /// It carries a single-use grant (an authorization code): it is retried only when it
    /// certainly never left (a connect error).
    SingleUse,
}

impl Replay {
    fn of_grant(grant_type: &str) -> Self {
        match grant_type {
            "authorization_code" => Replay::SingleUse,
            _ => Replay::Safe,
        }
    }
}

/// How the app proves who it is at the token endpoint.
#[derive(Clone)]
pub(crate) enum ClientAuth {
    /// A public client (native app): no client secret.
    Public,
    Secret(Secret),
    Certificate(Arc<ClientCertificate>),
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientAuth::Public => f.write_str("Public"),
            ClientAuth::Secret(_) => f.write_str("Secret(<redacted>)"),
            ClientAuth::Certificate(c) => write!(f, "Certificate({})", c.thumbprint()),
        }
    }
}

/// A form body. Deliberately not `Debug`: it holds secrets.
pub(crate) struct Form(Vec<(&'static str, String)>);

impl Form {
    pub(crate) fn new() -> Self {
        Form(Vec::new())
    }

    pub(crate) fn push(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.push((key, value.into()));
        self
    }

    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The values of the secret fields, to scrub from errors.
    fn secret_values(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| SECRET_FIELDS.contains(k))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn grant_type(&self) -> &str {
        self.0
            .iter()
            .find(|(k, _)| *k == "grant_type")
            .map(|(_, v)| v.as_str())
            .unwrap_or("none")
    }
}

/// Who is asking: the authority, the app and how it authenticates.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) authority: Authority,
    pub(crate) client_id: Uuid,
    pub(crate) auth: ClientAuth,
}

impl App {
    /// Refuses the nil GUID (a placeholder no app has).
    pub(crate) fn new(
        authority: Authority,
        client_id: Uuid,
        auth: ClientAuth,
    ) -> Result<Self, AuthError> {
        Ok(App {
            authority,
            client_id: check_client_id(client_id)?,
            auth,
        })
    }

    /// The client id as the token endpoint wants it: lower-case, hyphenated.
    pub(crate) fn client_id_text(&self) -> String {
        self.client_id.hyphenated().to_string()
    }

    /// App-only grants cannot use `common`/`organizations`/`consumers`.
    pub(crate) fn require_specific_tenant(&self) -> Result<(), AuthError> {
        if self.authority.tenant().is_multi_tenant_alias() {
            return Err(AuthError::invalid(
                "tenant id",
                self.authority.tenant().as_str(),
                "app-only sign-in needs the tenant's GUID or domain, not common/organizations/consumers",
            ));
        }
        Ok(())
    }
}

/// Builds the endpoint and form for a token request. IO-free, so it unit-tests.
pub(crate) fn token_request(
    app: &App,
    version: EndpointVersion,
    grant: Form,
    scopes: &[&str],
    now: OffsetDateTime,
) -> Result<(Url, Form), AuthError> {
    let (url, mut form) = match version {
        EndpointVersion::V2 => {
            let mut form = grant;
            if !scopes.is_empty() {
                form.push("scope", scopes.join(" "));
            }
            (app.authority.token_endpoint(), form)
        }
        EndpointVersion::V1 => {
            let resource = scopes.iter().find_map(|s| scopes::resource_of(s)).ok_or_else(|| {
                AuthError::invalid(
                    "scopes",
                    scopes.join(" "),
                    "the v1 endpoint needs a resource scope such as https://<org>.crm.dynamics.com/.default",
                )
            })?;
            let mut form = grant;
            form.push("resource", resource);
            (app.authority.v1_token_endpoint(), form)
        }
    };
    form.push("client_id", app.client_id_text());
    match &app.auth {
        ClientAuth::Public => {}
        ClientAuth::Secret(secret) => {
            form.push("client_secret", secret.secret());
        }
        ClientAuth::Certificate(cert) => {
            form.push(
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            );
            form.push(
                "client_assertion",
                cert.assertion(app.client_id, &url, now)?,
            );
        }
    }
    Ok((url, form))
}

/// Sends token-endpoint requests.
#[derive(Debug, Clone)]
pub(crate) struct TokenClient {
    http: reqwest::Client,
    options: CredentialOptions,
}

impl TokenClient {
    pub(crate) fn new(options: &CredentialOptions) -> Result<Self, AuthError> {
        let builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .user_agent(options.user_agent.clone())
            // A token endpoint never redirects; following one could carry secrets elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        // HTTPS may use a proxy; loopback and plain HTTP never do (see `proxy`).
        let http = crate::proxy::apply_proxy_rule(builder, None)?
            .build()
            .map_err(|e| AuthError::invalid("HTTP client", "options", e.to_string()))?;
        Ok(TokenClient {
            http,
            options: options.clone(),
        })
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.options.clock
    }

    /// Runs a grant for `scopes` and returns the answer.
    pub(crate) async fn redeem(
        &self,
        app: &App,
        grant: Form,
        scopes: &[&str],
    ) -> Result<TokenResponse, AuthError> {
        let grant_type = grant.grant_type().to_string();
        let replay = Replay::of_grant(&grant_type);
        let (url, form) = token_request(
            app,
            self.options.endpoint_version,
            grant,
            scopes,
            self.clock().now(),
        )?;
        let span = tracing::debug_span!(
            "entra_token_request",
            grant_type = %grant_type,
            endpoint = %url,
            client_id = %app.client_id,
        );
        self.post_form_with(&url, &form, replay)
            .instrument(span)
            .await
            .map_err(|e| with_consent_url(e, app))
    }

    /// Posts a form and parses a JSON answer, retrying network errors, 429 and 5xx.
    pub(crate) async fn post_form<T: DeserializeOwned>(
        &self,
        url: &Url,
        form: &Form,
    ) -> Result<T, AuthError> {
        self.post_form_with(url, form, Replay::Safe).await
    }

    /// Posts a form and parses a JSON answer. Network errors, 429 and 5xx are retried, except
    /// that a [`Replay::SingleUse`] request is retried only when it never left (connect
    /// error); otherwise it fails with [`AuthError::SignInMustRestart`].
    pub(crate) async fn post_form_with<T: DeserializeOwned>(
        &self,
        url: &Url,
        form: &Form,
        replay: Replay,
    ) -> Result<T, AuthError> {
        let mut attempt = 0;
        loop {
            match self.attempt(url, form).await {
                Ok(value) => return Ok(value),
                Err(failed) => {
                    let Failed {
                        error,
                        retry_after,
                        sent,
                    } = failed;
                    if replay == Replay::SingleUse && sent && error.is_retryable() {
                        tracing::debug!(attempt, error = %error, "single-use grant not resent");
                        return Err(AuthError::SignInMustRestart {
                            source: Box::new(error),
                        });
                    }
                    if !error.is_retryable() || attempt >= self.options.max_retries {
                        tracing::debug!(attempt, error = %error, "token request failed");
                        return Err(error);
                    }
                    let backoff = FIRST_RETRY_DELAY * 2u32.saturating_pow(attempt);
                    let delay = retry_after.unwrap_or(backoff).min(MAX_RETRY_DELAY);
                    tracing::debug!(attempt, ?delay, error = %error, "token request will be retried");
                    self.clock().sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    /// One request. Errors carry whether the request may have reached the server, and are
    /// scrubbed of the form's secrets (a server may echo the request back).
    async fn attempt<T: DeserializeOwned>(&self, url: &Url, form: &Form) -> Result<T, Failed> {
        self.attempt_unscrubbed(url, form)
            .await
            .map_err(|failed| Failed {
                error: failed.error.redact(&form.secret_values()),
                ..failed
            })
    }

    async fn attempt_unscrubbed<T: DeserializeOwned>(
        &self,
        url: &Url,
        form: &Form,
    ) -> Result<T, Failed> {
        let mut response = self
            .http
            .post(url.clone())
            .header("Accept", "application/json")
            .form(&form.0)
            .send()
            .await
            .map_err(|e| Failed {
                error: transport_error(url, &e),
                retry_after: None,
                // Only a failed connection proves the request never left.
                sent: !e.is_connect(),
            })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, self.clock().now()));
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Failed {
            error: transport_error(url, &e),
            retry_after: None,
            sent: true,
        })? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Failed {
                    error: AuthError::UnexpectedResponse {
                        url: url.to_string(),
                        status,
                        reason: format!("the answer is larger than {MAX_BODY_BYTES} bytes"),
                        body: "(withheld)".into(),
                    },
                    retry_after: None,
                    sent: true,
                });
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(status, "token endpoint answered");
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| {
                let error = AuthError::UnexpectedResponse {
                    url: url.to_string(),
                    status,
                    reason: format!(
                        "the answer is not a token response ({:?} error at line {} column {})",
                        e.classify(),
                        e.line(),
                        e.column()
                    ),
                    // A 2xx body may hold a token: never copy it into an error.
                    body: "(withheld)".into(),
                };
                Failed {
                    error,
                    retry_after: None,
                    sent: true,
                }
            });
        }
        let error = match EntraError::parse(status, &body) {
            Some(entra) => AuthError::Entra(Box::new(entra)),
            None => AuthError::UnexpectedResponse {
                url: url.to_string(),
                status,
                reason: "not Entra's error JSON".into(),
                body: String::from_utf8_lossy(&body)
                    .chars()
                    .take(BODY_EXCERPT_CHARS)
                    .collect(),
            },
        };
        Err(Failed {
            error,
            retry_after,
            sent: true,
        })
    }
}

/// A failed attempt.
struct Failed {
    error: AuthError,
    /// The server's `Retry-After`, in seconds.
    retry_after: Option<Duration>,
    /// `false` only when the request certainly never reached the server.
    sent: bool,
}

/// `Retry-After` from `now` (the client's clock), read by the workspace's one parser.
fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    crate::retry_after::parse_retry_after_at(value, SystemTime::from(now))
}

fn transport_error(url: &Url, e: &reqwest::Error) -> AuthError {
    // reqwest's Display names the URL; ours carries no secrets (they go in the body).
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    AuthError::Transport {
        url: url.to_string(),
        message,
        timed_out: e.is_timeout(),
    }
}

/// A consent error is only useful with the URL an administrator must open.
pub(crate) fn with_consent_url(error: AuthError, app: &App) -> AuthError {
    match error {
        AuthError::Entra(mut e) if e.kind() == EntraErrorKind::ConsentRequired => {
            e.admin_consent_url = Some(
                app.authority
                    .admin_consent_url(app.client_id, None, None)
                    .to_string(),
            );
            AuthError::Entra(e)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cloud;

    fn app(auth: ClientAuth) -> App {
        App::new(
            Authority::new(Cloud::Public, "contoso.onmicrosoft.com").expect("authority"),
            Uuid::from_u128(0x11111111_2222_3333_4444_555555555555),
            auth,
        )
        .expect("app")
    }

    fn grant() -> Form {
        let mut f = Form::new();
        f.push("grant_type", "client_credentials");
        f
    }

    #[test]
    fn v2_requests_carry_scope_and_secret() {
        let (url, form) = token_request(
            &app(ClientAuth::Secret(Secret::new("s3cr3t"))),
            EndpointVersion::V2,
            grant(),
            &["https://x.crm.dynamics.com/.default"],
            OffsetDateTime::now_utc(),
        )
        .expect("builds");
        assert_eq!(url.path(), "/contoso.onmicrosoft.com/oauth2/v2.0/token");
        assert_eq!(
            form.get("scope"),
            Some("https://x.crm.dynamics.com/.default")
        );
        assert_eq!(form.get("client_secret"), Some("s3cr3t"));
        assert_eq!(form.get("resource"), None);
    }

    #[test]
    fn v1_requests_carry_the_resource_instead() {
        let (url, form) = token_request(
            &app(ClientAuth::Public),
            EndpointVersion::V1,
            grant(),
            &["https://x.crm.dynamics.com/.default"],
            OffsetDateTime::now_utc(),
        )
        .expect("builds");
        assert_eq!(url.path(), "/contoso.onmicrosoft.com/oauth2/token");
        assert_eq!(form.get("resource"), Some("https://x.crm.dynamics.com"));
        assert_eq!(form.get("scope"), None);
    }

    #[test]
    fn retry_after_may_be_seconds_or_an_http_date() {
        let now = OffsetDateTime::from_unix_timestamp(1_445_412_480).expect("time"); // 07:28:00
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn the_nil_client_id_is_refused_with_where_to_find_the_real_one() {
        let authority = Authority::new(crate::Cloud::Public, "contoso.onmicrosoft.com").unwrap();
        let err = App::new(authority, Uuid::nil(), ClientAuth::Public).expect_err("nil");
        assert!(err.to_string().contains("Application (client) ID"), "{err}");
    }
}
