//! `$batch`: many operations in one request, with atomic change sets, `Content-ID`
//! references and `Prefer: odata.continue-on-error`. Batches larger than the service allows
//! are split.

mod multipart;

use std::fmt;

use dynamics_http::{Method, status_error};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::key::{RecordKey, parse_entity_id};
use crate::query::checked;
use crate::record::field_only;
use multipart::{PartItem, PartRequest, check_header, check_part, read_batch, write_batch};

/// The most requests Dataverse accepts in one batch.
pub const MAX_BATCH_REQUESTS: usize = 1000;

/// One operation in a batch. Paths are relative to the API root (`accounts`,
/// `accounts(…)/name`) or start with a `Content-ID` reference (`$1`, `$1/primarycontactid/$ref`).
#[derive(Clone)]
pub struct BatchRequest {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    content_id: Option<String>,
}

impl BatchRequest {
    fn new(method: Method, path: &str) -> Self {
        BatchRequest {
            method,
            path: path.trim_start_matches('/').to_string(),
            headers: Vec::new(),
            body: None,
            content_id: None,
        }
    }

    fn with_body(mut self, body: &impl Serialize) -> Result<Self> {
        self.body = Some(serde_json::to_vec(body).map_err(|e| {
            DataverseError::invalid(
                "batch body",
                format!("cannot be serialised: {}", field_only(&e)),
            )
        })?);
        Ok(self)
    }

    /// `GET path`.
    pub fn get(path: &str) -> Self {
        Self::new(Method::Get, path).header("Accept", "application/json")
    }

    /// `POST path` with a JSON body.
    pub fn post(path: &str, body: &impl Serialize) -> Result<Self> {
        Self::new(Method::Post, path).with_body(body)
    }

    /// `PATCH path` with a JSON body.
    pub fn patch(path: &str, body: &impl Serialize) -> Result<Self> {
        Self::new(Method::Patch, path).with_body(body)
    }

    /// `PUT path` with a JSON body.
    pub fn put(path: &str, body: &impl Serialize) -> Result<Self> {
        Self::new(Method::Put, path).with_body(body)
    }

    /// `DELETE path`.
    pub fn delete(path: &str) -> Self {
        Self::new(Method::Delete, path)
    }

    /// Creates a row.
    pub fn create(entity_set: &str, record: &impl Serialize) -> Result<Self> {
        checked("entity set", entity_set)?;
        Self::post(entity_set, record)
    }

    /// Updates a row (`If-Match: *`: never creates).
    pub fn update(
        entity_set: &str,
        key: impl Into<RecordKey>,
        changes: &impl Serialize,
    ) -> Result<Self> {
        Ok(Self::patch(&row_path(entity_set, &key.into())?, changes)?.header("If-Match", "*"))
    }

    /// Creates or updates a row by id or alternate key.
    pub fn upsert(
        entity_set: &str,
        key: impl Into<RecordKey>,
        record: &impl Serialize,
    ) -> Result<Self> {
        Self::patch(&row_path(entity_set, &key.into())?, record)
    }

    /// Deletes a row.
    pub fn delete_row(entity_set: &str, key: impl Into<RecordKey>) -> Result<Self> {
        Ok(Self::delete(&row_path(entity_set, &key.into())?))
    }

    /// Adds a header to this operation. The name must be an RFC 7230 token and the value
    /// visible ASCII, spaces and tabs only (no line breaks, control or non-ASCII
    /// characters: the rule of `dynamics_http::is_valid_header_value`); a batch holding an
    /// operation that breaks this fails with [`DataverseError::InvalidInput`] before
    /// anything is sent.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Names this operation so later operations in the same change set can refer to the row it
    /// creates as `$id`. The id must be an RFC 7230 token (letters, digits and
    /// ``!#$%&'*+-.^_`|~``); otherwise running the batch fails with
    /// [`DataverseError::InvalidInput`].
    pub fn content_id(mut self, id: impl fmt::Display) -> Self {
        self.content_id = Some(id.to_string());
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }
}

impl BatchRequest {
    /// Checks what this operation writes into the multipart framing (headers, Content-ID,
    /// path), before anything is sent. Cheap byte scans, no allocation.
    pub(crate) fn check(&self) -> Result<()> {
        let reference = self.path.starts_with('$') && !self.path.starts_with("$batch");
        if self.path.bytes().any(|b| b.is_ascii_control())
            || (reference && !multipart::is_request_target(&self.path))
        {
            return Err(DataverseError::invalid(
                "batch operation path",
                "it must not contain line breaks or other control characters (nor spaces in a $n reference)",
            ));
        }
        if let Some(id) = &self.content_id
            && !multipart::is_token(id)
        {
            return Err(DataverseError::invalid(
                "batch Content-ID",
                "use letters, digits and !#$%&'*+-.^_`|~ only (no spaces or line breaks)",
            ));
        }
        for (name, value) in &self.headers {
            check_header(name, value)?;
        }
        Ok(())
    }
}

fn row_path(entity_set: &str, key: &RecordKey) -> Result<String> {
    checked("entity set", entity_set)?;
    Ok(format!("{entity_set}{}", key.segment()?))
}

impl fmt::Debug for BatchRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchRequest")
            .field("method", &self.method)
            // Up to the key or query: alternate keys and filters carry values.
            .field(
                "path",
                &self.path.split(['?', '(']).next().unwrap_or_default(),
            )
            .field("content_id", &self.content_id)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

#[derive(Debug, Clone)]
enum BatchItem {
    Single(BatchRequest),
    ChangeSet(Vec<BatchRequest>),
}

impl BatchItem {
    fn len(&self) -> usize {
        match self {
            BatchItem::Single(_) => 1,
            BatchItem::ChangeSet(r) => r.len(),
        }
    }

    /// Whether every operation gives the same result when applied twice: reads, `PUT`s and
    /// unconditional-or-`If-Match: *` `PATCH`es. Not a create by `POST` (a second row), nor a
    /// `DELETE` (the repeat answers 404 for the row it deleted), nor a conditional write.
    fn is_repeatable(&self) -> bool {
        let one = |r: &BatchRequest| {
            matches!(r.method, Method::Get | Method::Put | Method::Patch) && single_is_retry_safe(r)
        };
        match self {
            BatchItem::Single(r) => one(r),
            BatchItem::ChangeSet(rs) => rs.iter().all(one),
        }
    }
}

/// A batch: operations and change sets, executed in order.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    items: Vec<BatchItem>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Batch::default()
    }

    /// Adds an operation.
    pub fn push(&mut self, request: BatchRequest) -> &mut Self {
        self.items.push(BatchItem::Single(request));
        self
    }

    /// Adds a change set: its operations succeed or fail together. GETs are not allowed in a
    /// change set, and `Content-ID`s must be unique within it.
    pub fn push_change_set(&mut self, requests: Vec<BatchRequest>) -> Result<&mut Self> {
        if requests.is_empty() {
            return Err(DataverseError::invalid(
                "change set",
                "add at least one operation",
            ));
        }
        if requests.iter().any(|r| r.method == Method::Get) {
            return Err(DataverseError::invalid(
                "change set",
                "GET is not allowed inside a change set",
            ));
        }
        if requests.len() > MAX_BATCH_REQUESTS {
            return Err(DataverseError::invalid(
                "change set",
                format!("at most {MAX_BATCH_REQUESTS} operations: a change set cannot be split"),
            ));
        }
        let mut ids: Vec<&str> = requests
            .iter()
            .filter_map(|r| r.content_id.as_deref())
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != count {
            return Err(DataverseError::invalid(
                "change set",
                "Content-IDs must be unique",
            ));
        }
        self.items.push(BatchItem::ChangeSet(requests));
        Ok(self)
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.items.iter().map(BatchItem::len).sum()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Run every operation even after one fails (`Prefer: odata.continue-on-error`). Otherwise
    /// the batch stops at the first failure.
    pub continue_on_error: bool,
    /// Operations per request; larger batches are split (at most 1000, the service's limit).
    pub max_requests_per_batch: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            continue_on_error: false,
            max_requests_per_batch: MAX_BATCH_REQUESTS,
        }
    }
}

/// The answer to one operation.
#[derive(Clone)]
pub struct BatchResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// The operation's Content-ID, if it had one.
    pub content_id: Option<String>,
}

impl BatchResponse {
    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            DataverseError::UnexpectedResponse(format!("batch part body: {}", field_only(&e)))
        })
    }

    /// The Dataverse error code and message, for a failed operation.
    pub fn error(&self) -> Option<(Option<String>, Option<String>)> {
        (!self.is_success()).then(|| dynamics_http::parse_error_body(&self.body))
    }
}

impl fmt::Debug for BatchResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchResponse")
            .field("status", &self.status)
            .field("content_id", &self.content_id)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The answers of a batch, in order; operations not run (after a failure without
/// `continue_on_error`) are counted.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// One answer per operation that ran.
    pub responses: Vec<BatchResponse>,
    /// Operations that did not run.
    pub not_executed: usize,
}

impl BatchResult {
    /// `true` if every operation ran and succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.not_executed == 0 && self.responses.iter().all(BatchResponse::is_success)
    }
}

impl DataverseClient {
    /// Runs a batch, split into requests of at most `options.max_requests_per_batch`
    /// operations (change sets are kept whole).
    pub async fn execute_batch(
        &self,
        batch: &Batch,
        options: &BatchOptions,
    ) -> Result<BatchResult> {
        let limit = options.max_requests_per_batch.clamp(1, MAX_BATCH_REQUESTS);
        // Every operation is checked before the first request goes out.
        for item in &batch.items {
            match item {
                BatchItem::Single(r) => r.check()?,
                BatchItem::ChangeSet(rs) => rs.iter().try_for_each(BatchRequest::check)?,
            }
        }
        let chunks = split(&batch.items, limit)?;
        let mut result = BatchResult {
            responses: Vec::with_capacity(batch.len()),
            not_executed: 0,
        };
        let mut stopped = false;
        for chunk in chunks {
            let size: usize = chunk.iter().map(|i| i.len()).sum();
            if stopped {
                result.not_executed += size;
                continue;
            }
            let responses = self.send_batch(chunk, options.continue_on_error).await?;
            let failed = responses.len() < size || responses.iter().any(|r| !r.is_success());
            result.not_executed += size.saturating_sub(responses.len());
            result.responses.extend(responses);
            if failed && !options.continue_on_error {
                stopped = true;
            }
        }
        Ok(result)
    }

    async fn send_batch(
        &self,
        items: &[BatchItem],
        continue_on_error: bool,
    ) -> Result<Vec<BatchResponse>> {
        let parts: Result<Vec<PartItem>> = items
            .iter()
            .map(|item| match item {
                BatchItem::Single(r) => Ok(PartItem::Single(self.part(r)?)),
                BatchItem::ChangeSet(rs) => Ok(PartItem::ChangeSet(
                    rs.iter().map(|r| self.part(r)).collect::<Result<_>>()?,
                )),
            })
            .collect();
        let (body, content_type) = write_batch(&parts?, &Uuid::new_v4().to_string());
        // The answer is multipart, not JSON: ask for it (OData v4 section 11.7).
        let mut request = dynamics_http::HttpRequest::new(Method::Post, self.url("$batch")?)
            .header("Accept", "multipart/mixed")
            .header("OData-MaxVersion", "4.0")
            .header("OData-Version", "4.0")
            .body(body, &content_type);
        if continue_on_error {
            request = request.header("Prefer", "odata.continue-on-error");
        }
        // Dataverse counts every operation of a batch toward the request limit ("Service
        // protection API limits": batching does not avoid them), so the limiter weighs it so.
        let operations: usize = items.iter().map(BatchItem::len).sum();
        let operations = u32::try_from(operations).unwrap_or(u32::MAX);
        // A batch of operations that may all be repeated may itself be repeated after an
        // ambiguous failure (a dropped connection, a 503).
        let request = request.retry_safe(items.iter().all(BatchItem::is_repeatable));
        let response = self.send_any_status_for(request, operations).await?;
        let answer_type = response
            .header("content-type")
            .unwrap_or_default()
            .to_string();
        if !answer_type
            .to_ascii_lowercase()
            .starts_with("multipart/mixed")
        {
            if response.status() >= 400 {
                return Err(status_error(&response).into());
            }
            return Err(DataverseError::UnexpectedResponse(format!(
                "batch answered {} with {answer_type} instead of multipart/mixed",
                response.status()
            )));
        }
        let parts = read_batch(&answer_type, response.body())?;
        Ok(parts
            .into_iter()
            .map(|p| BatchResponse {
                status: p.status,
                headers: p.headers,
                body: p.body,
                content_id: p.content_id,
            })
            .collect())
    }

    fn part(&self, request: &BatchRequest) -> Result<PartRequest> {
        request.check()?;
        let target = if request.path.starts_with('$') && !request.path.starts_with("$batch") {
            request.path.clone()
        } else {
            // Resolve against the API root so nothing can point outside the org.
            let url = self.url(&request.path)?;
            let mut target = url.path().to_string();
            if let Some(q) = url.query() {
                target.push('?');
                target.push_str(q);
            }
            target
        };
        let part = PartRequest {
            method: request.method.as_str(),
            target,
            headers: request.headers.clone(),
            body: request.body.clone(),
            content_id: request.content_id.clone(),
        };
        check_part(&part)?;
        Ok(part)
    }

    /// Sends one batch operation as a plain request (for batches of one), answering in the same
    /// shape as a batch part. Error statuses are answers, not errors.
    pub(crate) async fn send_single(&self, request: &BatchRequest) -> Result<BatchResponse> {
        if request.path.starts_with('$') {
            return Err(DataverseError::invalid(
                "batch operation",
                "a Content-ID reference only works inside a change set",
            ));
        }
        request.check()?;
        let mut http = self.request(
            request.method,
            self.url(&request.path)?,
            &crate::RequestOptions::default(),
        );
        for (name, value) in &request.headers {
            http = http.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            http = http.body(body.clone(), "application/json; charset=utf-8");
        }
        let unconditional = !request.headers.iter().any(|(name, _)| {
            name.eq_ignore_ascii_case("if-match") || name.eq_ignore_ascii_case("if-none-match")
        });
        let response = if request.method == Method::Delete && unconditional {
            // Repeated here, so that a 404 after a lost answer counts as our own delete.
            let http = http.retry_safe(false);
            match self
                .send_recognising_own_write(http, |status| status == 404)
                .await?
            {
                Some(response) => response,
                None => {
                    return Ok(BatchResponse {
                        status: 204,
                        headers: Vec::new(),
                        body: Vec::new(),
                        content_id: None,
                    });
                }
            }
        } else {
            http = http.retry_safe(single_is_retry_safe(request));
            self.send_any_status(http).await?
        };
        Ok(BatchResponse {
            status: response.status(),
            headers: response.headers().to_vec(),
            body: response.into_body(),
            content_id: None,
        })
    }

    /// The id of the row a batch operation created or upserted: from its `OData-EntityId`,
    /// or from `Location` (which OData v4 requires on a 201 and some services send alone).
    pub fn batch_entity_id(&self, response: &BatchResponse) -> Result<Option<Uuid>> {
        match response
            .header("odata-entityid")
            .or_else(|| response.header("location"))
        {
            Some(h) => Ok(parse_entity_id(self.api_root(), h)?.1.id()),
            None => Ok(None),
        }
    }
}

/// Whether a batch operation sent on its own may be repeated by the pipeline after a failure
/// that leaves open whether it was applied. Not a create by POST (a repeat creates a second
/// row), nor a request conditional on the row's state (`If-None-Match`, or `If-Match` with an
/// ETag): if the lost attempt was applied, the repeat fails with 412 against its own change.
fn single_is_retry_safe(request: &BatchRequest) -> bool {
    request.method != Method::Post
        && !request.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("if-none-match")
                || (name.eq_ignore_ascii_case("if-match") && value.trim() != "*")
        })
}

fn split(items: &[BatchItem], limit: usize) -> Result<Vec<&[BatchItem]>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, item) in items.iter().enumerate() {
        let n = item.len();
        if n > limit {
            return Err(DataverseError::invalid(
                "batch",
                format!("a change set of {n} operations exceeds the {limit} per request"),
            ));
        }
        if size + n > limit {
            chunks.push(&items[start..i]);
            start = i;
            size = 0;
        }
        size += n;
    }
    if start < items.len() {
        chunks.push(&items[start..]);
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use dynamics_auth::{ManualClock, StaticTokenCredential};
    use dynamics_http::{PipelineOptions, RetryOptions, Timeouts};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    use super::*;
    use crate::ClientOptions;

    /// The first answer comes only after the client gave up on the attempt (the write was
    /// applied); every later one is `then`.
    struct AppliedThen {
        calls: Arc<AtomicUsize>,
        then: u16,
    }

    impl Respond for AppliedThen {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
                ResponseTemplate::new(204).set_delay(Duration::from_millis(400))
            } else {
                ResponseTemplate::new(self.then)
            }
        }
    }

    fn client(server: &MockServer) -> DataverseClient {
        let credential = StaticTokenCredential::new(
            "test-token",
            time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
        );
        DataverseClient::new(
            &server.uri(),
            Arc::new(credential),
            ClientOptions {
                pipeline: PipelineOptions {
                    clock: Arc::new(ManualClock::starting_now()),
                    retry: RetryOptions {
                        jitter: false,
                        ..Default::default()
                    },
                    timeouts: Timeouts {
                        per_attempt: Duration::from_millis(100),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .expect("client")
    }

    /// A conditional operation sent alone is not repeated after a lost answer: the repeat
    /// would fail with 412 against its own change.
    #[tokio::test]
    async fn a_conditional_single_operation_is_not_repeated_after_a_lost_answer() {
        let key = RecordKey::Id(Uuid::from_u128(7));
        for request in [
            BatchRequest::upsert("accounts", key.clone(), &serde_json::json!({"name": "a"}))
                .expect("request")
                .header("If-None-Match", "*"),
            BatchRequest::patch(
                "accounts(00000000-0000-0000-0000-000000000007)",
                &serde_json::json!({"name": "a"}),
            )
            .expect("request")
            .header("if-match", "W/\"1\""),
            BatchRequest::delete_row("accounts", key.clone())
                .expect("request")
                .header("If-Match", "W/\"1\""),
        ] {
            let server = MockServer::start().await;
            let calls = Arc::new(AtomicUsize::new(0));
            Mock::given(method(request.method().as_str()))
                .respond_with(AppliedThen {
                    calls: Arc::clone(&calls),
                    then: 412,
                })
                .expect(1)
                .mount(&server)
                .await;
            let result = client(&server).send_single(&request).await;
            let err = result.expect_err("the lost answer is reported, not a 412");
            assert_eq!(err.status(), None, "{err}");
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{request:?}");
        }
    }

    /// An unconditional delete sent alone that finds the row gone on its repeat deleted it.
    #[tokio::test]
    async fn a_single_delete_repeated_after_a_lost_answer_is_a_success() {
        let server = MockServer::start().await;
        let calls = Arc::new(AtomicUsize::new(0));
        Mock::given(method("DELETE"))
            .respond_with(AppliedThen {
                calls: Arc::clone(&calls),
                then: 404,
            })
            .expect(2)
            .mount(&server)
            .await;
        let request = BatchRequest::delete_row("accounts", Uuid::from_u128(7)).expect("request");
        let response = client(&server)
            .send_single(&request)
            .await
            .expect("answered");
        assert!(response.is_success(), "{}", response.status);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_batch_is_repeatable_only_when_every_operation_is() {
        let upsert = BatchRequest::upsert("leads", Uuid::from_u128(1), &serde_json::json!({}))
            .expect("request");
        let create = BatchRequest::create("leads", &serde_json::json!({})).expect("request");
        let delete = BatchRequest::delete_row("leads", Uuid::from_u128(1)).expect("request");
        assert!(BatchItem::Single(upsert.clone()).is_repeatable());
        assert!(BatchItem::Single(BatchRequest::get("leads")).is_repeatable());
        assert!(BatchItem::ChangeSet(vec![upsert.clone(), upsert.clone()]).is_repeatable());
        assert!(!BatchItem::ChangeSet(vec![upsert.clone(), create.clone()]).is_repeatable());
        assert!(!BatchItem::Single(create).is_repeatable());
        assert!(!BatchItem::Single(delete).is_repeatable());
        assert!(!BatchItem::Single(upsert.header("If-None-Match", "*")).is_repeatable());
    }

    #[test]
    fn only_unconditional_non_posts_are_repeated_by_the_pipeline() {
        let row = BatchRequest::delete("accounts(1)");
        assert!(single_is_retry_safe(&row));
        assert!(single_is_retry_safe(&row.clone().header("If-Match", " * ")));
        assert!(!single_is_retry_safe(
            &row.clone().header("IF-MATCH", "W/\"5\"")
        ));
        assert!(!single_is_retry_safe(&row.header("If-None-Match", "*")));
        let create = BatchRequest::create("accounts", &serde_json::json!({})).expect("request");
        assert!(!single_is_retry_safe(&create));
    }
}
