//! Waiting for long-running operations: poll `Operation/{id}` (or the `Operation-Location`
//! the service gave, if it is on the service's own origin) at the interval `Retry-After`
//! asks for, until the status is terminal.

use std::future::Future;
use std::time::Duration;

use dynamics_http::{HttpRequest, HttpResponse, parse_retry_after};
use url::Url;
use uuid::Uuid;

use crate::client::{decode, shape_error};
use crate::{AdminError, OnlineManagementClient, OperationStatus};

/// How long and how often to wait. Construct with `..Default::default()`.
#[derive(Clone, Debug)]
pub struct WaitOptions {
    /// Give up after this long (default 30 minutes) with [`AdminError::PollTimeout`].
    pub timeout: Duration,
    /// The poll interval when the service sends no `Retry-After` (default 5 s; at least
    /// 100 ms is used).
    pub default_interval: Duration,
    /// The longest interval, whatever `Retry-After` says (default 60 s).
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(30 * 60),
            default_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(60),
        }
    }
}

const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// A long-running operation the service has started (`202 Accepted`), or finished at once
/// (`200 OK`).
///
/// Waits use the clock of the client's [`PipelineOptions`](dynamics_http::PipelineOptions),
/// so tests with a [`ManualClock`](dynamics_auth::ManualClock) do not sleep. A status this
/// client does not know is kept ([`OperationState::Unknown`](crate::OperationState::Unknown))
/// and polling goes on.
#[derive(Clone, Debug)]
pub struct OperationPoller {
    client: OnlineManagementClient,
    operation: &'static str,
    operation_id: Uuid,
    location: Option<Url>,
    retry_after: Option<Duration>,
    last: OperationStatus,
}

impl OperationPoller {
    /// Reads the start answer: `OperationId` from the body, `Operation-Location` (used only
    /// when it is on the service's origin) and `Retry-After` from the headers.
    pub(crate) fn from_response(
        client: OnlineManagementClient,
        response: &HttpResponse,
        operation: &'static str,
    ) -> Result<Self, AdminError> {
        let status: OperationStatus = decode(response, operation)?;
        if status.status.is_failure() {
            return Err(AdminError::OperationFailed {
                status: Box::new(status),
            });
        }
        let location = response
            .header("operation-location")
            .and_then(|v| same_origin(&client, v, "Operation-Location header"))
            .or_else(|| {
                status
                    .operation_location
                    .as_deref()
                    .and_then(|v| same_origin(&client, v, "OperationLocation field"))
            });
        if status.operation_id.is_nil() && location.is_none() && !status.is_terminal() {
            return Err(shape_error(
                response,
                operation,
                "the service started an operation but named neither its OperationId nor an Operation-Location",
            ));
        }
        Ok(OperationPoller {
            operation_id: status.operation_id,
            retry_after: retry_after(response),
            client,
            operation,
            location,
            last: status,
        })
    }

    /// A poller for an operation started earlier (by another process, or before a
    /// [`AdminError::PollTimeout`]); reads its status once.
    pub(crate) async fn resume(
        client: OnlineManagementClient,
        operation_id: Uuid,
    ) -> Result<Self, AdminError> {
        let request = client.requests().operation_status(operation_id)?;
        let response = client
            .send(request, Some(not_found_text(operation_id)))
            .await?;
        let last: OperationStatus = decode(&response, "GetOperationStatus")?;
        Ok(OperationPoller {
            retry_after: retry_after(&response),
            client,
            operation: "GetOperationStatus",
            operation_id,
            location: None,
            last,
        })
    }

    /// The operation's id.
    pub fn operation_id(&self) -> Uuid {
        self.operation_id
    }

    /// The operation that started it (the spec's operation id, such as `ApplyUser`).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The last status seen.
    pub fn last_status(&self) -> &OperationStatus {
        &self.last
    }

    /// `true` once the last status is terminal.
    pub fn is_done(&self) -> bool {
        self.last.is_terminal()
    }

    /// The interval the service last asked for (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The URL polled: the service's `Operation-Location` when it gave one on its own
    /// origin, otherwise `Operation/{id}`.
    pub fn poll_url(&self) -> Result<Url, AdminError> {
        match &self.location {
            Some(url) => Ok(url.clone()),
            None => Ok(self
                .client
                .requests()
                .operation_status(self.operation_id)?
                .url()
                .clone()),
        }
    }

    /// Reads the status once.
    pub async fn poll(&mut self) -> Result<&OperationStatus, AdminError> {
        let not_found = Some(not_found_text(self.operation_id));
        let response = match self.location.clone() {
            Some(url) => {
                let request = self.client.requests().request(HttpRequest::get(url));
                match self.client.send(request, not_found.clone()).await {
                    Err(e) if e.is_not_found() && !self.operation_id.is_nil() => {
                        tracing::warn!(
                            operation_id = %self.operation_id,
                            "the Operation-Location URL answered 404; polling Operation/{{id}} instead"
                        );
                        self.location = None;
                        let request = self.client.requests().operation_status(self.operation_id)?;
                        self.client.send(request, not_found).await?
                    }
                    other => other?,
                }
            }
            None => {
                let request = self.client.requests().operation_status(self.operation_id)?;
                self.client.send(request, not_found).await?
            }
        };
        if let Some(wait) = retry_after(&response) {
            self.retry_after = Some(wait);
        }
        let status: OperationStatus = decode(&response, "GetOperationStatus")?;
        tracing::debug!(
            operation_id = %self.operation_id,
            status = %status.status,
            "operation polled"
        );
        self.last = status;
        Ok(&self.last)
    }

    /// Polls until the status is terminal, within [`WaitOptions::default`] (30 minutes):
    /// `Ok` with the final status on success, [`AdminError::OperationFailed`] on failure,
    /// [`AdminError::PollTimeout`] once the time is up. [`wait_with`](Self::wait_with)
    /// sets other limits.
    pub async fn wait(self) -> Result<OperationStatus, AdminError> {
        self.wait_with(WaitOptions::default()).await
    }

    /// [`wait`](Self::wait) within `options`: [`AdminError::PollTimeout`] once
    /// `options.timeout` has passed.
    pub async fn wait_with(mut self, options: WaitOptions) -> Result<OperationStatus, AdminError> {
        let clock = self.client.pipeline().options().clock.clone();
        let start = clock.now();
        loop {
            if self.last.is_terminal() {
                return if self.last.is_success() {
                    Ok(self.last)
                } else {
                    Err(AdminError::OperationFailed {
                        status: Box::new(self.last),
                    })
                };
            }
            let elapsed = Duration::try_from(clock.now() - start).unwrap_or(Duration::ZERO);
            if elapsed >= options.timeout {
                return Err(AdminError::PollTimeout {
                    operation_id: self.operation_id,
                    last_status: Box::new(self.last),
                });
            }
            let interval = self
                .retry_after
                .filter(|d| !d.is_zero())
                .unwrap_or(options.default_interval)
                .min(options.max_interval)
                .max(MIN_INTERVAL)
                .min(options.timeout - elapsed);
            clock.sleep(interval).await;
            self.poll().await?;
        }
    }

    /// [`wait_with`](Self::wait_with), giving up with [`AdminError::Cancelled`] as soon as `cancel`
    /// completes (Ctrl-C, a shutdown signal). The operation goes on at the service.
    pub async fn wait_or_cancel(
        self,
        options: WaitOptions,
        cancel: impl Future<Output = ()>,
    ) -> Result<OperationStatus, AdminError> {
        let operation_id = self.operation_id;
        tokio::select! {
            result = self.wait_with(options) => result,
            () = cancel => Err(AdminError::Cancelled { operation_id }),
        }
    }
}

impl OnlineManagementClient {
    /// A poller for an operation started earlier, such as after a
    /// [`AdminError::PollTimeout`]; reads its status once (`GET Operation/{id}`).
    pub async fn resume_operation(
        &self,
        operation_id: Uuid,
    ) -> Result<OperationPoller, AdminError> {
        OperationPoller::resume(self.clone(), operation_id).await
    }
}

fn retry_after(response: &HttpResponse) -> Option<Duration> {
    response.header("retry-after").and_then(parse_retry_after)
}

fn not_found_text(operation_id: Uuid) -> String {
    format!("operation {operation_id} is not known to the service (it may have expired)")
}

/// `value` as a URL on the service's origin (relative values resolve against it).
fn same_origin(client: &OnlineManagementClient, value: &str, what: &str) -> Option<Url> {
    let base = client.service_url();
    let url = base.join(value.trim()).ok()?;
    if url.origin() == base.origin() && !dynamics_auth::secure_url::has_user_info(&url) {
        Some(url)
    } else {
        tracing::warn!(
            url = %dynamics_http::redacted_url(&url),
            "ignoring the {what}: it is not on the service's origin (or carries user info); polling Operation/{{id}}"
        );
        None
    }
}
