//! The pipeline: per call, a deadline; then retries; per try, a fresh token; then the transport.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::{Clock, SystemClock};
use tracing::Instrument as _;

use crate::auth::BearerAuth;
use crate::error::{HttpError, StatusError, body_excerpt, parse_error_body};
use crate::request::{HttpRequest, check_header, redacted_url};
use crate::response::HttpResponse;
use crate::retry::{Retry, RetryOptions, classify_status, parse_retry_after};

/// Named timeouts.
#[derive(Debug, Clone)]
pub struct Timeouts {
    /// To open a connection (default 10 s).
    pub connect: Duration,
    /// For one attempt, from sending to the last byte of the body (default 120 s).
    pub per_attempt: Duration,
    /// For the whole call, retries and waits included (default none).
    pub operation: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            per_attempt: Duration::from_secs(120),
            operation: None,
        }
    }
}

/// What one attempt came to, for an [`AttemptObserver`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttemptOutcome {
    /// The status, when the service answered.
    pub status: Option<u16>,
    /// Time from sending to the end of the body.
    pub latency: Duration,
    /// `Retry-After`, when the service sent one.
    pub retry_after: Option<Duration>,
    /// `x-ms-dop-hint`: the degree of parallelism the service recommends.
    pub dop_hint: Option<usize>,
    /// For an error answer: the service's error code and message, when its body has them
    /// (a throttled answer names the limit it hit).
    pub error: Option<(Option<String>, Option<String>)>,
    /// The size of the request's body in bytes (0 without one), so that an observer can
    /// compare the latencies of requests of like size.
    pub request_bytes: usize,
}

impl AttemptOutcome {
    /// An outcome (for observers' tests, and for clients that report their own attempts).
    pub fn new(
        status: Option<u16>,
        latency: Duration,
        retry_after: Option<Duration>,
        dop_hint: Option<usize>,
    ) -> Self {
        AttemptOutcome {
            status,
            latency,
            retry_after,
            dop_hint,
            error: None,
            request_bytes: 0,
        }
    }
}

/// Sees every attempt the pipeline makes, retries included: the hook for adaptive
/// concurrency control and metrics.
pub trait AttemptObserver: Send + Sync + fmt::Debug {
    /// Called after each attempt.
    fn on_attempt(&self, outcome: &AttemptOutcome);

    /// The wait before retrying after a fault (a 5xx or a lost answer, without
    /// `Retry-After`); `backoff` is what [`RetryOptions::backoff`](crate::RetryOptions::backoff)
    /// gives. The default keeps it. An observer that sees how often the service fails may
    /// shorten it while faults are rare: the back-off is there to spare an unwell service.
    fn fault_backoff(&self, backoff: Duration) -> Duration {
        backoff
    }
}

/// Options of a [`Pipeline`]. Construct with `..Default::default()`.
///
/// `Debug` shows the proxy without its user name and password.
#[derive(Clone)]
pub struct PipelineOptions {
    /// Retry settings.
    pub retry: RetryOptions,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// The User-Agent header.
    pub user_agent: String,
    /// Where waiting comes from; replace it in tests.
    pub clock: Arc<dyn Clock>,
    /// Told about every attempt (default none).
    pub observer: Option<Arc<dyn AttemptObserver>>,
    /// A proxy for `https` requests (default none: the `HTTPS_PROXY` / `ALL_PROXY`
    /// environment variables, honouring `NO_PROXY`). Requests to loopback hosts and plain
    /// `http` requests never go through a proxy, whatever this or the environment says, so a
    /// bearer token for a local server is never handed to one.
    pub proxy: Option<url::Url>,
    /// The largest answer body read, in bytes (default 256 MiB, room for a large org's
    /// `$metadata`). A longer answer fails with [`HttpError::Decode`] once this much has been
    /// read (at once when its `Content-Length` says so), so a broken or hostile server cannot
    /// make the client hold an unbounded body.
    pub max_response_bytes: usize,
}

/// Default of [`PipelineOptions::max_response_bytes`].
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// Written by hand: a proxy URL may carry `user:password@`, which `Url`'s own `Debug` prints.
impl fmt::Debug for PipelineOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelineOptions")
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("user_agent", &self.user_agent)
            .field("clock", &self.clock)
            .field("observer", &self.observer)
            .field("max_response_bytes", &self.max_response_bytes)
            .field(
                "proxy",
                &self
                    .proxy
                    .as_ref()
                    .map(dynamics_auth::secure_url::redact_url),
            )
            .finish()
    }
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            retry: RetryOptions::default(),
            timeouts: Timeouts::default(),
            user_agent: concat!("dynamics-rs/", env!("CARGO_PKG_VERSION")).to_string(),
            clock: Arc::new(SystemClock),
            observer: None,
            proxy: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Sends requests for one service: bearer auth pinned to its origin (and, on a 401, one retry
/// with a fresh token), retries of 429 and, for requests safe to repeat, of 408/5xx and
/// broken connections, with `Retry-After` honoured over exponential back-off; timeouts per
/// attempt and per call; the service's error body turned into a [`HttpError`].
///
/// Cheap to clone; clones share the connection pool and the token cache.
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    auth: Option<BearerAuth>,
    options: PipelineOptions,
}

/// One attempt's result.
enum Attempt {
    Answered(HttpResponse),
    Failed(HttpError),
}

impl Pipeline {
    /// A pipeline; `auth` is `None` for unauthenticated endpoints (such as a challenge probe).
    pub fn new(auth: Option<BearerAuth>, options: PipelineOptions) -> Result<Self, HttpError> {
        check_header("User-Agent", &options.user_agent)?;
        let builder = reqwest::Client::builder()
            .connect_timeout(options.timeouts.connect)
            .timeout(options.timeouts.per_attempt)
            .user_agent(options.user_agent.clone())
            // Never follow redirects: a redirect could carry the token to another host.
            .redirect(reqwest::redirect::Policy::none());
        // The workspace's one proxy rule, shared with the token client.
        let http = dynamics_auth::proxy::apply_proxy_rule(builder, options.proxy.as_ref())
            .map_err(|e| HttpError::InvalidRequest(e.to_string()))?
            .build()
            .map_err(|e| HttpError::InvalidRequest(format!("cannot build the HTTP client: {e}")))?;
        Ok(Pipeline {
            inner: Arc::new(Inner {
                http,
                auth,
                options,
            }),
        })
    }

    /// The bearer auth, if any.
    pub fn auth(&self) -> Option<&BearerAuth> {
        self.inner.auth.as_ref()
    }

    /// The options.
    pub fn options(&self) -> &PipelineOptions {
        &self.inner.options
    }

    /// Sends the request and returns the answer if its status is below 400 (so `304 Not
    /// Modified` is an answer, not an error); otherwise the service's error.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let response = self.send_any_status(request).await?;
        if response.status >= 400 {
            return Err(status_error(&response));
        }
        Ok(response)
    }

    /// Sends the request and returns whatever the service finally answered, error statuses
    /// included (after retries).
    pub async fn send_any_status(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.send_any_status_gated(request, || std::future::ready(()))
            .await
    }

    /// [`send_any_status`](Self::send_any_status), each attempt (retries included) admitted by
    /// `gate`: the pipeline awaits `gate()` before the attempt and holds what it hands out
    /// for that attempt only, letting go of it before any back-off or `Retry-After` wait.
    /// A client's concurrency limiter goes here, so that a request waiting to retry does not
    /// hold a slot, and each retry is paced like a new request. The operation timeout
    /// includes the time spent waiting at the gate.
    pub async fn send_any_status_gated<G, F, P>(
        &self,
        request: HttpRequest,
        gate: G,
    ) -> Result<HttpResponse, HttpError>
    where
        G: FnMut() -> F,
        F: Future<Output = P>,
    {
        // A request that cannot be sent as built is the caller's to fix: not retried.
        request.validate()?;
        let span = tracing::debug_span!(
            "http_request",
            method = %request.method(),
            url = %redacted_url(request.url()),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let call = self.run(request, gate);
        match self.inner.options.timeouts.operation {
            Some(limit) => match tokio::time::timeout(limit, call).instrument(span).await {
                Ok(result) => result,
                Err(_) => Err(HttpError::OperationTimeout {
                    elapsed: limit,
                    last: "no answer in time".into(),
                }),
            },
            None => call.instrument(span).await,
        }
    }

    async fn run<G, F, P>(
        &self,
        request: HttpRequest,
        mut gate: G,
    ) -> Result<HttpResponse, HttpError>
    where
        G: FnMut() -> F,
        F: Future<Output = P>,
    {
        let options = &self.inner.options;
        let mut retries = 0u32;
        let mut refreshed_token = false;
        loop {
            // Held for this attempt only: dropped before any wait below.
            let pass = gate().await;
            let attempt = self.attempt(&request).await;
            drop(pass);
            let (retry, wait, last) = match attempt {
                Attempt::Answered(response) => {
                    if response.status == 401
                        && !refreshed_token
                        && let Some(auth) = &self.inner.auth
                    {
                        // The token may have been revoked or rotated: drop it and try once more.
                        tracing::debug!("401: invalidating the cached token and retrying once");
                        auth.invalidate();
                        refreshed_token = true;
                        continue;
                    }
                    let retry = classify_status(response.status);
                    if retry == Retry::No {
                        tracing::Span::current().record("status", response.status);
                        tracing::Span::current().record("attempts", retries + 1);
                        return Ok(response);
                    }
                    let wait = response.header("retry-after").and_then(parse_retry_after);
                    (retry, wait, Ok(response))
                }
                Attempt::Failed(error) => {
                    let retry = match &error {
                        HttpError::Transport { connect: true, .. } => Retry::Refused,
                        HttpError::Transport { .. } => Retry::Ambiguous,
                        HttpError::Credential { auth, .. }
                            if auth.as_ref().is_some_and(|a| a.is_retryable()) =>
                        {
                            Retry::Refused
                        }
                        _ => Retry::No,
                    };
                    (retry, None, Err(error))
                }
            };
            let allowed = match retry {
                Retry::Refused => true,
                Retry::Ambiguous => request.is_retry_safe(),
                Retry::No => false,
            };
            if !allowed || retries >= options.retry.max_retries {
                if let Ok(response) = &last {
                    tracing::Span::current().record("status", response.status);
                }
                tracing::Span::current().record("attempts", retries + 1);
                return last;
            }
            let delay = match (wait, retry) {
                (Some(wait), _) => wait,
                (None, Retry::Ambiguous) => {
                    let backoff = options.retry.backoff(retries);
                    options
                        .observer
                        .as_ref()
                        .map_or(backoff, |o| o.fault_backoff(backoff))
                }
                (None, _) => options.retry.backoff(retries),
            }
            .min(options.retry.max_delay);
            match &last {
                Ok(response) => tracing::info!(
                    status = response.status,
                    ?delay,
                    retry = retries + 1,
                    throttled = response.status == 429,
                    "retrying after the service's answer"
                ),
                Err(error) => {
                    tracing::info!(%error, ?delay, retry = retries + 1, "retrying after a failure")
                }
            }
            options.clock.sleep(delay).await;
            retries += 1;
        }
    }

    async fn attempt(&self, request: &HttpRequest) -> Attempt {
        let url = request.url();
        let mut builder = self
            .inner
            .http
            .request(request.method().to_reqwest(), url.clone());
        for (name, value) in request.headers() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(auth) = &self.inner.auth {
            match auth.header_value(url).await {
                Ok(value) => builder = builder.header("Authorization", value),
                Err(e) => return Attempt::Failed(e),
            }
        }
        if let Some(body) = request.body_bytes() {
            builder = builder.body(body.to_vec());
        }
        let started = std::time::Instant::now();
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                self.observe(request, None, started, &[], None);
                return Attempt::Failed(transport_error(request, &e));
            }
        };
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_string(), v.to_string()))
            })
            .collect();
        let body = read_capped(response, self.inner.options.max_response_bytes).await;
        let error = match (&body, status) {
            (Ok(bytes), 400..) => Some(parse_error_body(bytes)),
            _ => None,
        };
        self.observe(request, Some(status), started, &headers, error);
        match body {
            Ok(body) => Attempt::Answered(HttpResponse {
                method: request.method(),
                url: url.clone(),
                status,
                headers,
                body,
            }),
            Err(BodyError::Transport(e)) => Attempt::Failed(transport_error(request, &e)),
            Err(BodyError::TooLarge(limit)) => Attempt::Failed(HttpError::Decode {
                method: request.method(),
                url: redacted_url(url),
                status,
                message: format!(
                    "the body is longer than {limit} bytes (raise PipelineOptions::max_response_bytes if the service is right)"
                ),
            }),
        }
    }
}

impl Pipeline {
    fn observe(
        &self,
        request: &HttpRequest,
        status: Option<u16>,
        started: std::time::Instant,
        headers: &[(String, String)],
        error: Option<(Option<String>, Option<String>)>,
    ) {
        let Some(observer) = &self.inner.options.observer else {
            return;
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        observer.on_attempt(&AttemptOutcome {
            status,
            latency: started.elapsed(),
            retry_after: header("retry-after").and_then(parse_retry_after),
            dop_hint: header("x-ms-dop-hint").and_then(|v| v.trim().parse().ok()),
            error,
            request_bytes: request.body_bytes().map_or(0, <[u8]>::len),
        });
    }
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("auth", &self.inner.auth)
            .field("options", &self.inner.options)
            .finish()
    }
}

/// Turns an error answer into an [`HttpError::Status`].
pub fn status_error(response: &HttpResponse) -> HttpError {
    let (code, message) = parse_error_body(&response.body);
    let request_id = [
        "x-ms-service-request-id",
        "request-id",
        "x-ms-request-id",
        "x-ms-correlation-id",
        "x-correlation-id",
    ]
    .iter()
    .find_map(|h| response.header(h))
    .map(str::to_string);
    HttpError::Status(Box::new(StatusError {
        method: response.method,
        url: redacted_url(&response.url),
        status: response.status,
        code,
        message,
        request_id,
        retry_after: response.header("retry-after").and_then(parse_retry_after),
        www_authenticate: response.header("www-authenticate").map(str::to_string),
        body: body_excerpt(&response.body),
        hint: None,
    }))
}

/// Why an answer's body could not be read.
enum BodyError {
    Transport(reqwest::Error),
    /// Longer than the limit (bytes).
    TooLarge(usize),
}

/// Reads an answer's body, at most `limit` bytes: a `Content-Length` over it fails before
/// reading, a body that turns out longer fails as soon as it passes the limit.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let declared = response.content_length();
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(limit));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn transport_error(request: &HttpRequest, e: &reqwest::Error) -> HttpError {
    if e.is_builder() {
        // The request could not be built (checked beforehand, so this is a backstop): a
        // usage error, never a retryable transport failure. reqwest's text may quote a
        // header value, so it is not copied.
        return HttpError::InvalidRequest(format!(
            "{} {}: the request cannot be built (a header or the URL is not valid)",
            request.method(),
            redacted_url(request.url())
        ));
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    // reqwest's message names the full URL; keep only the redacted one.
    let full = request.url().as_str();
    let message = message.replace(full, &redacted_url(request.url()));
    HttpError::Transport {
        method: request.method(),
        url: redacted_url(request.url()),
        message,
        connect: e.is_connect(),
        timed_out: e.is_timeout(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_proxy_without_its_credentials() {
        let options = PipelineOptions {
            proxy: Some(url::Url::parse("http://alice:hunter2@proxy.example:3128").expect("url")),
            ..Default::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("alice"), "{shown}");
        assert!(shown.contains("proxy.example:3128"), "{shown}");
        let pretty = format!("{options:#?}");
        assert!(
            !pretty.contains("hunter2") && !pretty.contains("alice"),
            "{pretty}"
        );
    }
}
