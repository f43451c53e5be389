//! The client: one org, one pipeline, the standard headers, and record operations.

use std::fmt;
use std::sync::Arc;

use dynamics_auth::{TokenCredential, scopes, secure_url};
use dynamics_http::{
    AttemptObserver, BearerAuth, HttpRequest, HttpResponse, Method, Pipeline, PipelineOptions,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;
use uuid::Uuid;

use crate::error::{DataverseError, Result};
use crate::key::{RecordKey, parse_entity_id};
use crate::limiter::{ConcurrencyLimiter, LimiterOptions};
use crate::options::RequestOptions;
use crate::query::{Expand, check_column, checked, prefer_header};
use crate::record::{Record, field_only};

/// Options of a [`DataverseClient`]. Construct with `..Default::default()`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Web API version (default `v9.2`).
    pub api_version: String,
    /// The pipeline (retries, timeouts, clock).
    pub pipeline: PipelineOptions,
    /// The scope to sign in for; by default `{org}/.default` (app-only). Use
    /// [`scopes::dataverse_user_impersonation`] for user sign-ins.
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

    /// The concurrency limiter the client's requests share.
    pub fn limiter(&self) -> &ConcurrencyLimiter {
        &self.inner.limiter
    }

    /// Sends a request through the limiter and the pipeline; an error status is an error.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let _slot = self.inner.limiter.acquire().await;
        Ok(self.inner.pipeline.send(request).await?)
    }

    /// Sends a request through the limiter and the pipeline, returning any final status.
    pub async fn send_any_status(&self, request: HttpRequest) -> Result<HttpResponse> {
        let _slot = self.inner.limiter.acquire().await;
        Ok(self.inner.pipeline.send_any_status(request).await?)
    }

    fn record_url(&self, entity_set: &str, key: &RecordKey) -> Result<Url> {
        checked("entity set", entity_set)?;
        self.url(&format!("{entity_set}{}", key.segment()?))
    }

    /// Creates a row; returns its id, read from `OData-EntityId`, or from `Location` (the
    /// header OData v4 requires on a 201), or, when the answer carries the row
    /// (`return=representation`), from its `@odata.id` or its primary key column.
    pub async fn create(
        &self,
        entity_set: &str,
        record: &impl Serialize,
        options: &RequestOptions,
    ) -> Result<Uuid> {
        checked("entity set", entity_set)?;
        let request = self
            .request(Method::Post, self.url(entity_set)?, options)
            .json(record)?;
        let response = self.send(request).await?;
        let key = match self.entity_id_header(&response) {
            Some(header) => parse_entity_id(&self.inner.api_root, header)?.1,
            None => match id_in_body(&self.inner.api_root, entity_set, response.body())? {
                Some(id) => RecordKey::Id(id),
                None => {
                    return Err(DataverseError::UnexpectedResponse(format!(
                        "{} answered {} without OData-EntityId, Location or the row's id",
                        response.method(),
                        response.status()
                    )));
                }
            },
        };
        key.id().ok_or_else(|| {
            DataverseError::UnexpectedResponse(
                "a create answered with an alternate key, not an id".into(),
            )
        })
    }

    /// Creates a row and returns it as stored (`Prefer: return=representation`, 201), with
    /// `select` columns (all when empty).
    pub async fn create_and_return(
        &self,
        entity_set: &str,
        record: &impl Serialize,
        select: &[&str],
        options: &RequestOptions,
    ) -> Result<Record> {
        checked("entity set", entity_set)?;
        let url = self.url(&with_select(entity_set, select)?)?;
        let request = self
            .request(Method::Post, url, &options.clone().return_representation())
            .json(record)?;
        let response = self.send(request).await?;
        response.json().map_err(Into::into)
    }

    /// Retrieves one row with `select` columns (all when empty) and optional expands.
    pub async fn retrieve(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        select: &[&str],
        expand: &[Expand],
        options: &RequestOptions,
    ) -> Result<Record> {
        self.retrieve_typed(entity_set, key, select, expand, options)
            .await
    }

    /// The same, into a serde type.
    pub async fn retrieve_typed<T: DeserializeOwned>(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        select: &[&str],
        expand: &[Expand],
        options: &RequestOptions,
    ) -> Result<T> {
        let mut query = crate::Query::new(entity_set).select(select.iter().copied());
        for e in expand {
            query = query.expand(e.clone());
        }
        let relative = query.to_relative_url()?;
        let key = key.into().segment()?;
        let relative = match relative.split_once('?') {
            Some((set, q)) => format!("{set}{key}?{q}"),
            None => format!("{relative}{key}"),
        };
        let response = self
            .send(self.request(Method::Get, self.url(&relative)?, options))
            .await?;
        response.json().map_err(Into::into)
    }

    /// Updates a row (PATCH with `If-Match: *`, so a missing row is a 404, not a create).
    /// With `if_match` set to the row's ETag, fails with 412 if the row changed since.
    ///
    /// Without an ETag the update is repeated after a timeout or a 408/5xx, like any request
    /// that is safe to repeat. With one it is not: if the lost attempt was applied, a repeat
    /// would meet the new ETag and report a 412 about the caller's own change. The timeout
    /// or 408/5xx is returned as it is instead; the change may or may not have been applied,
    /// so re-read the row (its ETag tells) before trying again.
    pub async fn update(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        changes: &impl Serialize,
        if_match: Option<&str>,
        options: &RequestOptions,
    ) -> Result<()> {
        let request = self
            .request(
                Method::Patch,
                self.record_url(entity_set, &key.into())?,
                options,
            )
            .header("If-Match", if_match.unwrap_or("*"))
            // With `If-Match: *` a repeat leaves the same state; with an ETag, a repeat after
            // a lost success would fail 412 against our own change, so it is not repeated.
            .retry_safe(if_match.is_none())
            .json(changes)?;
        self.send(request).await?;
        Ok(())
    }

    /// Updates and returns the row as stored (`Prefer: return=representation`, 200).
    pub async fn update_and_return(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        changes: &impl Serialize,
        select: &[&str],
        options: &RequestOptions,
    ) -> Result<Record> {
        self.update_and_return_if(entity_set, key.into(), changes, select, None, options)
            .await
    }

    /// [`Self::update_and_return`], conditional on an ETag when `if_match` is set (412 if the
    /// row changed since; not repeated after a lost answer, as in [`Self::update`]).
    pub(crate) async fn update_and_return_if(
        &self,
        entity_set: &str,
        key: RecordKey,
        changes: &impl Serialize,
        select: &[&str],
        if_match: Option<&str>,
        options: &RequestOptions,
    ) -> Result<Record> {
        checked("entity set", entity_set)?;
        let relative = with_select(&format!("{entity_set}{}", key.segment()?), select)?;
        let request = self
            .request(
                Method::Patch,
                self.url(&relative)?,
                &options.clone().return_representation(),
            )
            .header("If-Match", if_match.unwrap_or("*"))
            .retry_safe(if_match.is_none())
            .json(changes)?;
        self.send(request).await?.json().map_err(Into::into)
    }

    /// Upserts a row by id or alternate key (PATCH without `If-Match`), or only creates or
    /// only updates it, as `mode` says.
    ///
    /// A create-only upsert ([`UpsertMode::CreateOnly`]) that timed out or got a 408/5xx may
    /// have created the row before the answer was lost; it is tried again, and if that
    /// attempt then finds the row existing (412), the create is taken to have succeeded:
    /// the outcome says `created: Some(true)` with the key the upsert was addressed by. A 412
    /// on the first attempt is still an error ([`DataverseError::is_precondition_failed`]).
    /// The retry cannot tell our own row from one another writer created in between; in
    /// both cases nothing was overwritten.
    pub async fn upsert(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        record: &impl Serialize,
        mode: UpsertMode,
        options: &RequestOptions,
    ) -> Result<UpsertOutcome> {
        let key = key.into();
        let mut request = self
            .request(Method::Patch, self.record_url(entity_set, &key)?, options)
            // Addressed by key, an upsert leaves the same state however often it runs.
            .retry_safe(true)
            .json(record)?;
        request = match mode {
            UpsertMode::Upsert => request,
            UpsertMode::CreateOnly => request
                .header("If-None-Match", "*")
                // Retried here instead, to recognise our own create in a 412.
                .retry_safe(false),
            UpsertMode::UpdateOnly => request.header("If-Match", "*"),
        };
        let response = match mode {
            UpsertMode::CreateOnly => match self
                .send_write_once(request, |status| status == 412)
                .await?
            {
                Some(response) => response,
                None => {
                    return Ok(UpsertOutcome {
                        id: key.id(),
                        key: Some(key),
                        created: Some(true),
                    });
                }
            },
            _ => self.send(request).await?,
        };
        let key = match self.entity_id_header(&response) {
            Some(header) => Some(parse_entity_id(&self.inner.api_root, header)?.1),
            None => None,
        };
        let id = key.as_ref().and_then(RecordKey::id);
        let created = match response.status() {
            201 => Some(true),
            200 => Some(false),
            _ => None,
        };
        Ok(UpsertOutcome { id, key, created })
    }

    /// Sends a write the pipeline must not repeat by itself, repeating it here after a
    /// failure that leaves open whether it was applied (a timeout or broken connection after
    /// sending, 408, 5xx). `took_effect` says whether a status answered to a repeat means such
    /// an earlier attempt did apply: 412 for a create-only upsert (the row exists now), 404
    /// for a delete (the row is gone). `Ok(None)` is that case. Any other final answer,
    /// error statuses included, is returned as it is, and so is the same status on the first
    /// attempt.
    pub(crate) async fn send_recognising_own_write(
        &self,
        request: HttpRequest,
        took_effect: fn(u16) -> bool,
    ) -> Result<Option<HttpResponse>> {
        let pipeline = self.inner.pipeline.options();
        let mut retries = 0u32;
        let mut may_have_applied = false;
        loop {
            let answer = self.send_any_status(request.clone()).await;
            let (ambiguous, wait) = match &answer {
                Ok(response) if may_have_applied && took_effect(response.status()) => {
                    tracing::debug!(
                        status = response.status(),
                        "an attempt whose answer was lost took effect; taking the write as done"
                    );
                    return Ok(None);
                }
                Ok(response) => (
                    matches!(response.status(), 408 | 500 | 502 | 503 | 504),
                    response
                        .header("retry-after")
                        .and_then(dynamics_http::parse_retry_after),
                ),
                Err(DataverseError::Http(dynamics_http::HttpError::Transport {
                    connect: false,
                    ..
                })) => (true, None),
                Err(_) => (false, None),
            };
            if !ambiguous || retries >= pipeline.retry.max_retries {
                return answer.map(Some);
            }
            may_have_applied = true;
            let delay = wait
                .unwrap_or_else(|| pipeline.retry.backoff(retries))
                .min(pipeline.retry.max_delay);
            pipeline.clock.sleep(delay).await;
            retries += 1;
        }
    }

    /// [`Self::send_recognising_own_write`] for calls that want error statuses as errors.
    async fn send_write_once(
        &self,
        request: HttpRequest,
        took_effect: fn(u16) -> bool,
    ) -> Result<Option<HttpResponse>> {
        match self
            .send_recognising_own_write(request, took_effect)
            .await?
        {
            Some(response) if response.status() >= 400 => {
                Err(dynamics_http::status_error(&response).into())
            }
            other => Ok(other),
        }
    }

    /// Deletes a row; with `if_match`, only if it has not changed since (412 otherwise).
    ///
    /// Without `if_match`, a delete that timed out or got a 408/5xx is tried again, and a 404
    /// on that repeat is taken as the earlier attempt having deleted the row: the call
    /// succeeds (the row is gone either way). A 404 on the first attempt is still an error
    /// ([`DataverseError::is_not_found`]). With `if_match` the delete is not repeated: a
    /// repeat could not tell its own delete from a change by someone else, so the timeout or
    /// 408/5xx is returned and the row may or may not be gone.
    pub async fn delete(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        if_match: Option<&str>,
    ) -> Result<()> {
        self.delete_with_options(entity_set, key.into(), if_match, &RequestOptions::default())
            .await
    }

    /// [`Self::delete`] with per-request options (impersonation, plug-in bypass...).
    pub(crate) async fn delete_with_options(
        &self,
        entity_set: &str,
        key: RecordKey,
        if_match: Option<&str>,
        options: &RequestOptions,
    ) -> Result<()> {
        let request = self
            .request(Method::Delete, self.record_url(entity_set, &key)?, options)
            // Repeated below, or (with an ETag) not at all; never by the pipeline, whose
            // repeat would report our own delete as a 404 or 412.
            .retry_safe(false);
        match if_match {
            Some(etag) => {
                self.send(request.header("If-Match", etag)).await?;
            }
            None => {
                self.send_write_once(request, |status| status == 404)
                    .await?;
            }
        }
        Ok(())
    }

    /// Reads one column's value (`GET {row}/{column}` → `{"value": ...}`); `Null` when the
    /// column is empty (the service answers 204 No Content).
    pub async fn get_property(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
    ) -> Result<Value> {
        let url = self.property_url(entity_set, &key.into(), column)?;
        let response = self
            .send(self.request(Method::Get, url, &RequestOptions::default()))
            .await?;
        // A null property is answered 204 No Content.
        if response.status() == 204 || response.body().iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        let body: Value = response.json()?;
        Ok(body.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Sets one column (`PUT {row}/{column}` with `{"value": ...}`).
    pub async fn put_property(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        let url = self.property_url(entity_set, &key.into(), column)?;
        let request = self
            .request(Method::Put, url, &RequestOptions::default())
            .json(&serde_json::json!({ "value": value.into() }))?;
        self.send(request).await?;
        Ok(())
    }

    /// Clears one column (`DELETE {row}/{column}`).
    pub async fn delete_property(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
    ) -> Result<()> {
        let url = self.property_url(entity_set, &key.into(), column)?;
        self.send(self.request(Method::Delete, url, &RequestOptions::default()))
            .await?;
        Ok(())
    }

    fn property_url(&self, entity_set: &str, key: &RecordKey, column: &str) -> Result<Url> {
        let column = checked("column", column)?;
        checked("entity set", entity_set)?;
        self.url(&format!("{entity_set}{}/{column}", key.segment()?))
    }

    /// Adds `target` to a collection-valued navigation property (1:N or N:N):
    /// `POST {row}/{navigation}/$ref`.
    pub async fn associate(
        &self,
        entity_set: &str,
        id: Uuid,
        navigation: &str,
        target_set: &str,
        target_id: Uuid,
    ) -> Result<()> {
        self.write_ref(
            Method::Post,
            (entity_set, id, navigation),
            (target_set, target_id),
        )
        .await
    }

    /// Points a single-valued navigation property at `target`: `PUT {row}/{navigation}/$ref`.
    pub async fn set_reference(
        &self,
        entity_set: &str,
        id: Uuid,
        navigation: &str,
        target_set: &str,
        target_id: Uuid,
    ) -> Result<()> {
        self.write_ref(
            Method::Put,
            (entity_set, id, navigation),
            (target_set, target_id),
        )
        .await
    }

    async fn write_ref(
        &self,
        method: Method,
        (entity_set, id, navigation): (&str, Uuid, &str),
        (target_set, target_id): (&str, Uuid),
    ) -> Result<()> {
        let url = self.ref_url(entity_set, id, navigation)?;
        let target = self.record_url(target_set, &RecordKey::Id(target_id))?;
        let request = self
            .request(method, url, &RequestOptions::default())
            .json(&serde_json::json!({ "@odata.id": target.as_str() }))?;
        self.send(request).await?;
        Ok(())
    }

    /// Removes `target` from a collection-valued navigation property
    /// (`DELETE {row}/{navigation}/$ref?$id=...`), or clears a single-valued one when
    /// `target` is `None` (`DELETE {row}/{navigation}/$ref`).
    pub async fn disassociate(
        &self,
        entity_set: &str,
        id: Uuid,
        navigation: &str,
        target: Option<(&str, Uuid)>,
    ) -> Result<()> {
        let mut url = self.ref_url(entity_set, id, navigation)?;
        if let Some((target_set, target_id)) = target {
            let target = self.record_url(target_set, &RecordKey::Id(target_id))?;
            url.set_query(Some(&format!(
                "$id={}",
                crate::query::encode::query_value(target.as_str())
            )));
        }
        // Like `delete`: a repeat after a lost answer may find the link already gone.
        let request = self
            .request(Method::Delete, url, &RequestOptions::default())
            .retry_safe(false);
        self.send_write_once(request, |status| status == 404)
            .await?;
        Ok(())
    }

    fn ref_url(&self, entity_set: &str, id: Uuid, navigation: &str) -> Result<Url> {
        let navigation = checked("navigation property", navigation)?;
        checked("entity set", entity_set)?;
        self.url(&format!("{entity_set}({id})/{navigation}/$ref"))
    }

    /// `WhoAmI`: the caller's user, business unit and org.
    pub async fn who_am_i(&self) -> Result<WhoAmI> {
        let response = self
            .send(self.request(Method::Get, self.url("WhoAmI")?, &RequestOptions::default()))
            .await?;
        response.json().map_err(Into::into)
    }

    /// Calls a function (GET). `bound_to` is `Some((entity_set, id))` for a bound function;
    /// parameters are passed as aliases, so their values are written as safe literals.
    pub async fn call_function(
        &self,
        name: &str,
        parameters: &[(&str, crate::Literal)],
        bound_to: Option<(&str, Uuid)>,
        options: &RequestOptions,
    ) -> Result<Value> {
        let name = check_operation_name(name)?;
        let mut call = String::new();
        if let Some((set, id)) = bound_to {
            checked("entity set", set)?;
            call.push_str(&format!("{set}({id})/"));
        }
        let mut aliases = Vec::new();
        let mut query = Vec::new();
        for (i, (param, value)) in parameters.iter().enumerate() {
            let param = checked("function parameter", param)?;
            aliases.push(format!("{param}=@p{i}"));
            query.push(format!(
                "@p{i}={}",
                crate::query::encode::query_value(&value.render()?)
            ));
        }
        call.push_str(&format!("{name}({})", aliases.join(",")));
        if !query.is_empty() {
            call.push('?');
            call.push_str(&query.join("&"));
        }
        let response = self
            .send(self.request(Method::Get, self.url(&call)?, options))
            .await?;
        parse_optional_json(&response)
    }

    /// Calls an action (POST) with a JSON body; `bound_to` as for functions. Returns the
    /// answer's JSON, or `Null` for actions that return nothing (204).
    pub async fn call_action(
        &self,
        name: &str,
        body: &impl Serialize,
        bound_to: Option<(&str, Uuid)>,
        options: &RequestOptions,
    ) -> Result<Value> {
        let name = check_operation_name(name)?;
        let path = match bound_to {
            Some((set, id)) => {
                checked("entity set", set)?;
                format!("{set}({id})/{name}")
            }
            None => name,
        };
        let request = self
            .request(Method::Post, self.url(&path)?, options)
            .json(body)?;
        let response = self.send(request).await?;
        parse_optional_json(&response)
    }

    /// The header naming the row a create or upsert wrote: `OData-EntityId`, or `Location`
    /// (OData v4 requires it on a 201; `OData-EntityId` may be absent).
    pub(crate) fn entity_id_header<'a>(&self, response: &'a HttpResponse) -> Option<&'a str> {
        response
            .header("OData-EntityId")
            .or_else(|| response.header("Location"))
    }
}

/// The id of a row returned in a create's answer: its `@odata.id`, or its primary key column
/// (`accountid` for `accounts`, `opportunityid` for `opportunities`).
fn id_in_body(api_root: &Url, entity_set: &str, body: &[u8]) -> Result<Option<Uuid>> {
    let Ok(Value::Object(row)) = serde_json::from_slice::<Value>(body) else {
        return Ok(None);
    };
    if let Some(Value::String(id)) = row.get("@odata.id") {
        return Ok(parse_entity_id(api_root, id)?.1.id());
    }
    let mut stems = vec![
        entity_set
            .strip_suffix('s')
            .unwrap_or(entity_set)
            .to_string(),
    ];
    if let Some(stem) = entity_set.strip_suffix("ies") {
        stems.push(format!("{stem}y"));
    }
    if let Some(stem) = entity_set.strip_suffix("es") {
        stems.push(stem.to_string());
    }
    Ok(stems.iter().find_map(|stem| {
        row.get(&format!("{stem}id"))
            .and_then(Value::as_str)
            .and_then(|v| Uuid::parse_str(v).ok())
    }))
}

fn with_select(path: &str, select: &[&str]) -> Result<String> {
    if select.is_empty() {
        return Ok(path.to_string());
    }
    let checked: std::result::Result<Vec<String>, String> =
        select.iter().map(|c| check_column(c)).collect();
    let columns = checked.map_err(|fix| DataverseError::invalid("$select", fix))?;
    Ok(format!(
        "{path}?$select={}",
        crate::query::encode::query_value(&columns.join(","))
    ))
}

/// Actions and functions may be namespaced (`Microsoft.Dynamics.CRM.WinOpportunity`).
fn check_operation_name(name: &str) -> Result<String> {
    let ok = !name.is_empty() && name.split('.').all(|seg| check_column(seg).is_ok());
    if ok {
        Ok(name.to_string())
    } else {
        Err(DataverseError::invalid(
            "function or action name",
            "use the operation's name, optionally namespaced (Microsoft.Dynamics.CRM.Name)",
        ))
    }
}

fn parse_optional_json(response: &HttpResponse) -> Result<Value> {
    if response.body().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(response.body()).map_err(|e| {
        DataverseError::UnexpectedResponse(format!("the answer is not JSON: {}", field_only(&e)))
    })
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
}

impl fmt::Debug for DataverseClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataverseClient")
            .field("org_url", &self.inner.org_url.as_str())
            .field("api_root", &self.inner.api_root.as_str())
            .finish_non_exhaustive()
    }
}
