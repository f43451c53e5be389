//! The client: one org, one pipeline, the standard headers.

use std::fmt;
use std::sync::Arc;

use dynamics_auth::{TokenCredential, scopes, secure_url};
use dynamics_http::{
    AttemptObserver, BearerAuth, HttpRequest, HttpResponse, Method, Pipeline, PipelineOptions,
};
use url::Url;
use uuid::Uuid;

use crate::error::{DataverseError, Result};
use crate::key::RecordKey;
use crate::limiter::{ConcurrencyLimiter, LimiterOptions};
use crate::options::RequestOptions;
use crate::query::{checked, prefer_header};

/// Options of a [`DataverseClient`]. Construct with `..Default::default()`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Web API version (default `v9.2`).
    pub api_version: String,
    /// The pipeline (retries, timeouts, clock).
    pub pipeline: PipelineOptions,
    /// The scope to sign in for; by default `{org}/.default` (app-only). For user sign-ins
    /// use `dynamics_auth::scopes::dataverse_user_impersonation(org_url)`.
    pub scope: Option<String>,
    /// The adaptive limit on concurrent requests, shared by the client's clones.
    pub concurrency: LimiterOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            api_version: "v9.2".into(),
            pipeline: PipelineOptions::default(),
            scope: None,
            concurrency: LimiterOptions::default(),
        }
    }
}

/// A Dataverse Web API client for one org. Cheap to clone; clones share the connection pool
/// and the token cache.
#[derive(Clone)]
pub struct DataverseClient {
    inner: Arc<Inner>,
}

struct Inner {
    org_url: Url,
    api_root: Url,
    pipeline: Pipeline,
    limiter: ConcurrencyLimiter,
    tables: crate::names::TableCache,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq)]
pub struct UpsertOutcome {
    /// The row's id, when the service answered with it.
    pub id: Option<Uuid>,
    /// The row's key as the service answered it (`OData-EntityId`): the id, or the alternate
    /// key the upsert was addressed by.
    pub key: Option<RecordKey>,
    /// `Some(true)` if it was created, `Some(false)` if updated, `None` when the service does
    /// not say (a 204 answer).
    pub created: Option<bool>,
}

/// How an upsert treats an existing or a missing row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpsertMode {
    /// Create or update.
    #[default]
    Upsert,
    /// Create only: fails with 412 if the row exists (`If-None-Match: *`).
    CreateOnly,
    /// Update only: fails with 404 if the row does not exist (`If-Match: *`).
    UpdateOnly,
}

/// The answer of `WhoAmI`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct WhoAmI {
    /// The caller's `systemuserid`.
    pub user_id: Uuid,
    /// The caller's business unit.
    pub business_unit_id: Uuid,
    /// The org.
    pub organization_id: Uuid,
}

impl DataverseClient {
    /// A client for `org_url` (`https://contoso.crm4.dynamics.com`; plain `http` only to
    /// loopback). Tokens come from `credential` for `{org}/.default` unless
    /// [`ClientOptions::scope`] says otherwise, and are only ever sent to the org's host.
    pub fn new(
        org_url: &str,
        credential: Arc<dyn TokenCredential>,
        options: ClientOptions,
    ) -> Result<Self> {
        let parsed = secure_url::parse_secure_url("Dataverse org URL", org_url)
            .map_err(|e| DataverseError::invalid("org URL", e.to_string()))?;
        let org_url = Url::parse(&parsed.origin().ascii_serialization())
            .map_err(|e| DataverseError::invalid("org URL", e.to_string()))?;
        let version = options.api_version.trim_matches('/');
        if version.is_empty()
            || !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            return Err(DataverseError::invalid("API version", "write it like v9.2"));
        }
        let api_root = org_url
            .join(&format!("api/data/{version}/"))
            .map_err(|e| DataverseError::invalid("org URL", e.to_string()))?;
        let scope = match options.scope {
            Some(s) => s,
            None => scopes::dataverse_default(org_url.as_str())
                .map_err(|e| DataverseError::invalid("org URL", e.to_string()))?,
        };
        let auth = BearerAuth::new(credential, vec![scope], &org_url)?;
        let limiter = ConcurrencyLimiter::new(options.concurrency);
        let mut pipeline_options = options.pipeline;
        pipeline_options.observer = Some(match pipeline_options.observer.take() {
            Some(theirs) => Arc::new(BothObservers(limiter.observer(), theirs)),
            None => limiter.observer(),
        });
        let pipeline = Pipeline::new(Some(auth), pipeline_options)?;
        Ok(DataverseClient {
            inner: Arc::new(Inner {
                org_url,
                api_root,
                pipeline,
                limiter,
                tables: Default::default(),
            }),
        })
    }

    /// The org URL (origin only).
    pub fn org_url(&self) -> &Url {
        &self.inner.org_url
    }

    /// The API root, `{org}/api/data/v9.2/`.
    pub fn api_root(&self) -> &Url {
        &self.inner.api_root
    }

    /// The pipeline (for custom requests).
    pub fn pipeline(&self) -> &Pipeline {
        &self.inner.pipeline
    }

    /// Resolves a path relative to the API root (`accounts(...)`), refusing anything that
    /// would leave the org.
    pub fn url(&self, relative: &str) -> Result<Url> {
        let url = self
            .inner
            .api_root
            .join(relative.trim_start_matches('/'))
            .map_err(|e| DataverseError::invalid("path", e.to_string()))?;
        self.check_same_org(&url)?;
        Ok(url)
    }

    pub(crate) fn check_same_org(&self, url: &Url) -> Result<()> {
        if url.origin() != self.inner.org_url.origin() {
            return Err(DataverseError::ForeignLink {
                link: dynamics_http::redacted_url(url),
            });
        }
        Ok(())
    }

    /// A request with the standard OData headers and the per-call options applied.
    pub fn request(&self, method: Method, url: Url, options: &RequestOptions) -> HttpRequest {
        let request = HttpRequest::new(method, url)
            .header("Accept", "application/json")
            .header("OData-MaxVersion", "4.0")
            .header("OData-Version", "4.0");
        options.apply(request)
    }

    /// Table names and bulk message support learnt so far, shared by the clones.
    pub(crate) fn tables(&self) -> &crate::names::TableCache {
        &self.inner.tables
    }

    /// The concurrency limiter the client's requests share.
    pub fn limiter(&self) -> &ConcurrencyLimiter {
        &self.inner.limiter
    }

    /// Sends a request through the limiter and the pipeline; an error status is an error.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let response = self.send_any_status(request).await?;
        if response.status() >= 400 {
            return Err(dynamics_http::status_error(&response).into());
        }
        Ok(response)
    }

    /// Sends a request through the limiter and the pipeline, returning any final status.
    pub async fn send_any_status(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.send_any_status_for(request, 1).await
    }

    /// [`send_any_status`](Self::send_any_status) for a request carrying `operations`
    /// operations (a `$batch`): it weighs that many toward the request budget the limiter
    /// paces to, as the service counts them.
    pub(crate) async fn send_any_status_for(
        &self,
        request: HttpRequest,
        operations: u32,
    ) -> Result<HttpResponse> {
        // A slot for each attempt, not for the whole call: a retry waiting out Retry-After
        // or a back-off leaves its slot to others, and is paced again when it goes.
        let limiter = &self.inner.limiter;
        Ok(self
            .inner
            .pipeline
            .send_any_status_gated(request, || limiter.acquire_for(operations))
            .await?)
    }

    pub(crate) fn record_url(&self, entity_set: &str, key: &RecordKey) -> Result<Url> {
        checked("entity set", entity_set)?;
        self.url(&format!("{entity_set}{}", key.segment()?))
    }

    /// `WhoAmI`: the caller's user, business unit and org.
    pub async fn who_am_i(&self) -> Result<WhoAmI> {
        let response = self
            .send(self.request(Method::Get, self.url("WhoAmI")?, &RequestOptions::default()))
            .await?;
        response.json().map_err(Into::into)
    }
}

/// `Prefer` for a page request.
pub(crate) fn page_prefer(max_page_size: Option<u32>, annotations: Option<&str>) -> Option<String> {
    prefer_header(max_page_size, annotations)
}

/// Tells two observers about each attempt.
#[derive(Debug)]
struct BothObservers(Arc<dyn AttemptObserver>, Arc<dyn AttemptObserver>);

impl AttemptObserver for BothObservers {
    fn on_attempt(&self, outcome: &dynamics_http::AttemptOutcome) {
        self.0.on_attempt(outcome);
        self.1.on_attempt(outcome);
    }

    /// The shorter of the two advices.
    fn fault_backoff(&self, backoff: std::time::Duration) -> std::time::Duration {
        self.0
            .fault_backoff(backoff)
            .min(self.1.fault_backoff(backoff))
    }
}

impl fmt::Debug for DataverseClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataverseClient")
            .field("org_url", &self.inner.org_url.as_str())
            .field("api_root", &self.inner.api_root.as_str())
            .finish_non_exhaustive()
    }
}
