//! Waits for an async operation to end, polling `asyncoperations({id})` on the pipeline's
//! clock (so tests do not sleep), within a time limit.

use std::time::Duration;

use uuid::Uuid;

use super::status::{self, AsyncOperationState, AsyncOperationStatus};
use crate::client::DataverseClient;
use crate::error::{DataverseError, MESSAGE_LIMIT, Result};

/// The shortest wait between two polls of an asynchronous import.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How an async operation ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: AsyncOperationStatus,
    pub(crate) state: AsyncOperationState,
    /// `friendlymessage`, else `message`.
    pub(crate) message: Option<String>,
}

/// Polls until the operation ends (statuscode 30/31/32, or statecode 3), the time is up, or
/// the number of polls the time allows is used up (so a clock that stands still still ends).
pub(crate) async fn wait(
    client: &DataverseClient,
    operation: Uuid,
    import_job: Option<Uuid>,
    interval: Duration,
    timeout: Duration,
) -> Result<Finished> {
    let clock = client.pipeline().options().clock.clone();
    let interval = interval.max(MIN_POLL_INTERVAL);
    let max_polls = timeout.as_millis() / interval.as_millis() + 2;
    let start = clock.now();
    let mut polls: u128 = 0;
    loop {
        let row = client
            .table("asyncoperations")
            .retrieve(operation)
            .select(["statecode", "statuscode", "message", "friendlymessage"])
            .send()
            .await?;
        polls += 1;
        let bad = |why: String| {
            DataverseError::UnexpectedResponse(format!("async operation {operation}: {why}"))
        };
        let state = status::option_value(row.get("statecode"), "statecode")
            .map_err(bad)?
            .map(status::state);
        let code = status::option_value(row.get("statuscode"), "statuscode")
            .map_err(bad)?
            .map(status::status);
        let ended = code.is_some_and(AsyncOperationStatus::is_final)
            || state == Some(AsyncOperationState::Completed);
        if ended {
            let message = ["friendlymessage", "message"]
                .iter()
                .find_map(|c| row.get_str(c).filter(|m| !m.trim().is_empty()))
                .map(|m| dynamics_http::capped(m, MESSAGE_LIMIT));
            return Ok(Finished {
                status: code.unwrap_or(AsyncOperationStatus::Unknown(-1)),
                state: state.unwrap_or(AsyncOperationState::Completed),
                message,
            });
        }
        let waited: Duration = (clock.now() - start).try_into().unwrap_or(Duration::ZERO);
        if waited >= timeout || polls >= max_polls {
            return Err(DataverseError::SolutionImportTimedOut {
                async_operation_id: operation,
                import_job_id: import_job,
                waited,
                last_status: describe(state, code),
            });
        }
        tracing::debug!(%operation, status = %describe(state, code), "solution import still running");
        clock.sleep(interval.min(timeout - waited)).await;
    }
}

fn describe(state: Option<AsyncOperationState>, code: Option<AsyncOperationStatus>) -> String {
    match (state, code) {
        (_, Some(code)) => code.to_string(),
        (Some(state), None) => state.to_string(),
        (None, None) => "not reported".to_string(),
    }
}
