//! Importing a solution zip: `ImportSolution` (the call returns when the import is done) or
//! `ImportSolutionAsync` (a system job, polled until it ends), then the import job's result.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::job_result::{self, JobResult};
use super::poll;
use super::status::{AsyncOperationStatus, json_kind};
use super::{ImportOutcome, Solutions};
use crate::error::{DataverseError, MESSAGE_LIMIT, Result};
use crate::options::RequestOptions;

/// Default wait between two polls of an asynchronous import (Microsoft's sample waits 10 s).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// Default time an asynchronous import may take before [`Import::send`] gives up waiting.
pub const DEFAULT_IMPORT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Imports a solution zip. From [`Solutions::import`].
///
/// A finished import that failed is an error,
/// [`DataverseError::SolutionImportFailed`] with the service's error text and the import job
/// id, rather than an outcome with a flag: a failed import changed nothing the caller can
/// build on, and an error cannot be ignored by mistake. Warnings of a successful import are
/// in [`ImportOutcome::warnings`].
///
/// A synchronous import must finish within one request, so the pipeline's per-attempt
/// timeout (120 s by default) bounds it; when that runs out the import may still be running
/// on the service, and the error is the pipeline's timeout. Choose the job id with
/// [`Import::import_job_id`] to look the job up afterwards, or use [`Import::asynchronously`]
/// for anything but small solutions.
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct Import {
    solutions: Solutions,
    zip: Vec<u8>,
    overwrite_unmanaged_customizations: bool,
    publish_workflows: bool,
    holding_solution: bool,
    skip_product_update_dependencies: bool,
    import_job_id: Option<Uuid>,
    asynchronous: bool,
    poll_interval: Duration,
    timeout: Duration,
    options: RequestOptions,
}

impl fmt::Debug for Import {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Import")
            .field("zip_bytes", &self.zip.len())
            .field(
                "overwrite_unmanaged_customizations",
                &self.overwrite_unmanaged_customizations,
            )
            .field("publish_workflows", &self.publish_workflows)
            .field("holding_solution", &self.holding_solution)
            .field("import_job_id", &self.import_job_id)
            .field("asynchronous", &self.asynchronous)
            .field("poll_interval", &self.poll_interval)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Import {
    pub(crate) fn new(solutions: Solutions, zip: Vec<u8>) -> Self {
        Import {
            solutions,
            zip,
            overwrite_unmanaged_customizations: false,
            publish_workflows: false,
            holding_solution: false,
            skip_product_update_dependencies: false,
            import_job_id: None,
            asynchronous: false,
            poll_interval: DEFAULT_POLL_INTERVAL,
            timeout: DEFAULT_IMPORT_TIMEOUT,
            options: RequestOptions::default(),
        }
    }

    /// Overwrite unmanaged customizations made on top of the solution's components
    /// (`OverwriteUnmanagedCustomizations`; default `false`).
    pub fn overwrite_unmanaged_customizations(mut self, overwrite: bool) -> Self {
        self.overwrite_unmanaged_customizations = overwrite;
        self
    }

    /// Activate the processes (workflows) in the solution (`PublishWorkflows`; default
    /// `false`).
    pub fn publish_workflows(mut self, publish: bool) -> Self {
        self.publish_workflows = publish;
        self
    }

    /// Import as a holding solution staged for upgrade (`HoldingSolution`; default `false`).
    pub fn holding_solution(mut self, holding: bool) -> Self {
        self.holding_solution = holding;
        self
    }

    /// Skip the enforcement of dependencies on product updates
    /// (`SkipProductUpdateDependencies`; default `false`).
    pub fn skip_product_update_dependencies(mut self, skip: bool) -> Self {
        self.skip_product_update_dependencies = skip;
        self
    }

    /// The import job's id for a synchronous import (`ImportJobId`); a new one when never
    /// set. Not sent with [`Self::asynchronously`], where the service chooses it.
    pub fn import_job_id(mut self, id: Uuid) -> Self {
        self.import_job_id = Some(id);
        self
    }

    /// Import with `ImportSolutionAsync` and wait for the system job, polling every
    /// [`Self::poll_interval`] for at most [`Self::timeout`]. Use it for large solutions: a
    /// synchronous import must finish within one request.
    pub fn asynchronously(mut self) -> Self {
        self.asynchronous = true;
        self
    }

    /// Wait between two polls of an asynchronous import (default 10 s; at least 1 s).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long to wait for an asynchronous import (default 30 minutes). When it is up,
    /// [`DataverseError::SolutionImportTimedOut`] names the async operation, which may still
    /// finish.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Per-request settings (impersonation and the like).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// The JSON body of the action, without sending it. A synchronous import without
    /// [`Self::import_job_id`] gets a fresh `ImportJobId` in each body built.
    pub fn request_body(&self) -> Result<Value> {
        if !self.zip.starts_with(b"PK") {
            return Err(DataverseError::invalid(
                "solution file",
                "pass the bytes of a solution .zip (they start with PK)",
            ));
        }
        let mut body = Map::new();
        body.insert(
            "OverwriteUnmanagedCustomizations".into(),
            self.overwrite_unmanaged_customizations.into(),
        );
        body.insert("PublishWorkflows".into(), self.publish_workflows.into());
        body.insert(
            "CustomizationFile".into(),
            base64::engine::general_purpose::STANDARD
                .encode(&self.zip)
                .into(),
        );
        if !self.asynchronous {
            let id = self.import_job_id.unwrap_or_else(Uuid::new_v4);
            body.insert("ImportJobId".into(), json!(id));
        }
        if self.holding_solution {
            body.insert("HoldingSolution".into(), true.into());
        }
        if self.skip_product_update_dependencies {
            body.insert("SkipProductUpdateDependencies".into(), true.into());
        }
        Ok(Value::Object(body))
    }

    /// Sends the import and waits for its end (the same as awaiting the builder).
    pub async fn send(mut self) -> Result<ImportOutcome> {
        if self.asynchronous {
            return self.send_async().await;
        }
        let job = *self.import_job_id.get_or_insert_with(Uuid::new_v4);
        let body = self.request_body()?;
        let client = &self.solutions.client;
        match client
            .call_action("ImportSolution", &body, None, &self.options)
            .await
        {
            Ok(_) => {
                let result = read_job(&self.solutions, job).await?;
                finish(result, Some(job), None)
            }
            Err(error) => Err(explain_failure(&self.solutions, job, error).await),
        }
    }

    async fn send_async(self) -> Result<ImportOutcome> {
        let body = self.request_body()?;
        let client = &self.solutions.client;
        let answer = client
            .call_action("ImportSolutionAsync", &body, None, &self.options)
            .await?;
        let operation = answer
            .get("AsyncOperationId")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s.trim()).ok())
            .ok_or_else(|| {
                DataverseError::UnexpectedResponse(
                    "ImportSolutionAsync answered without a usable AsyncOperationId (a GUID)"
                        .into(),
                )
            })?;
        // The key names the import job; it is read as a GUID and ignored otherwise.
        let job = answer
            .get("ImportJobKey")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s.trim()).ok());
        let ended = poll::wait(client, operation, job, self.poll_interval, self.timeout).await?;
        if ended.status == AsyncOperationStatus::Succeeded {
            let result = match job {
                Some(job) => read_job(&self.solutions, job).await?,
                None => None,
            };
            return finish(result, job, Some(operation));
        }
        // Failed, canceled or an unknown end: the job's text is the most precise.
        let from_job = match job {
            Some(job) => read_job(&self.solutions, job).await.ok().flatten(),
            None => None,
        };
        let message = from_job
            .and_then(|r| r.message)
            .or(ended.message)
            .unwrap_or_else(|| {
                format!(
                    "the import's async operation ended as {} with {}",
                    ended.state, ended.status
                )
            });
        Err(DataverseError::SolutionImportFailed {
            import_job_id: job,
            async_operation_id: Some(operation),
            message,
        })
    }
}

send_on_await!([] Import => ImportOutcome, 'static);

/// The outcome from the job's result, or the failure it reports.
fn finish(
    result: Option<JobResult>,
    job: Option<Uuid>,
    operation: Option<Uuid>,
) -> Result<ImportOutcome> {
    let result = result.unwrap_or_default();
    if result.succeeded == Some(false) {
        return Err(DataverseError::SolutionImportFailed {
            import_job_id: job,
            async_operation_id: operation,
            message: result
                .message
                .unwrap_or_else(|| "the import job reports failure without an error text".into()),
        });
    }
    Ok(ImportOutcome {
        import_job_id: job,
        async_operation_id: operation,
        solution_unique_name: result.unique_name,
        version: result.version,
        warnings: result.warnings,
    })
}

/// A failed `ImportSolution` call: when the service answered with an error and the import
/// job it started says why, that text; otherwise the call's own error.
async fn explain_failure(
    solutions: &Solutions,
    job: Uuid,
    error: DataverseError,
) -> DataverseError {
    let answered = error
        .status()
        .is_some_and(|s| s >= 400 && !matches!(s, 401 | 403 | 429));
    if !answered {
        return error;
    }
    match read_job(solutions, job).await {
        Ok(Some(result)) if result.succeeded == Some(false) => {
            DataverseError::SolutionImportFailed {
                import_job_id: Some(job),
                async_operation_id: None,
                message: result
                    .message
                    .unwrap_or_else(|| dynamics_http::capped(&error.to_string(), MESSAGE_LIMIT)),
            }
        }
        _ => error,
    }
}

/// Reads an import job's result. `Ok(None)` when the job does not exist (404) or has no
/// result yet.
async fn read_job(solutions: &Solutions, job: Uuid) -> Result<Option<JobResult>> {
    let row = match solutions
        .client
        .table("importjobs")
        .retrieve(job)
        .select(["data", "solutionname", "progress"])
        .send()
        .await
    {
        Ok(row) => row,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let bad = |why: String| DataverseError::UnexpectedResponse(format!("import job {job}: {why}"));
    let mut result = match row.get("data") {
        None | Some(Value::Null) => JobResult::default(),
        Some(Value::String(xml)) if xml.trim().is_empty() => JobResult::default(),
        Some(Value::String(xml)) => job_result::parse(xml).map_err(bad)?,
        Some(other) => {
            return Err(bad(format!(
                "data is a JSON {}, not the result XML",
                json_kind(other)
            )));
        }
    };
    if result.unique_name.is_none() {
        result.unique_name = row
            .get_str("solutionname")
            .filter(|s| !s.trim().is_empty())
            .map(|s| dynamics_http::capped(s, 200));
    }
    Ok(Some(result))
}
