//! Sending rows as bulk operation messages and turning each answer into one outcome per row:
//! the probe that learns whether a table offers a message, the parallel sends, and the
//! isolation of failing rows.
//!
//! Learn, "Use bulk operation messages": on a standard table a message is one transaction
//! ("all operations roll back on error") and the error names the failing target, so a failed
//! message is resent without the named row, or halved until single rows are isolated; on an
//! elastic table partial success is possible and the error lists each target's status (see
//! [`super::elastic`]). "Service protection API limits" and the same page's FAQ: a bulk
//! message counts as one request toward the requests limit, so it goes through the client's
//! ordinary send path, which weighs it as one.

use dynamics_http::{HttpResponse, Method};
use futures::future::BoxFuture;
use futures::{StreamExt, stream};
use uuid::Uuid;

use super::message::{self, BulkMessage, Target};
use super::{BulkOutcome, elastic, failure, refusal};
use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::names::TableNames;
use crate::options::RequestOptions;

/// How many first messages find out together whether a table offers a bulk message.
const PROBE_MESSAGES: usize = 4;

/// What sending some targets came to.
#[derive(Default)]
pub(super) struct Sent {
    /// One outcome per target written or failed.
    pub(super) outcomes: Vec<BulkOutcome>,
    /// Targets of a message the table does not offer: they go through `$batch` instead.
    pub(super) refused: Vec<Target>,
    /// Whether the service answered about the message itself (wrote rows or failed one),
    /// which settles that the table offers it.
    reached: bool,
}

impl Sent {
    fn written(targets: &[Target], ids: impl IntoIterator<Item = Option<Uuid>>) -> Self {
        Sent {
            outcomes: targets
                .iter()
                .zip(ids)
                .map(|(t, id)| BulkOutcome {
                    index: t.index,
                    result: Ok(id),
                })
                .collect(),
            refused: Vec::new(),
            reached: true,
        }
    }

    /// Every target fails with `error`.
    fn failed(targets: &[Target], error: &DataverseError, reached: bool) -> Self {
        Sent {
            outcomes: targets
                .iter()
                .map(|t| row_failure(t.index, error))
                .collect(),
            refused: Vec::new(),
            reached,
        }
    }

    fn absorb(&mut self, other: Sent) {
        self.outcomes.extend(other.outcomes);
        self.refused.extend(other.refused);
        self.reached |= other.reached;
    }
}

/// A row failed with `error`: the service's own message where there is one (it names the
/// target), else our description of the error.
fn row_failure(index: usize, error: &DataverseError) -> BulkOutcome {
    failure(
        index,
        error.status(),
        error.code().map(str::to_string),
        refusal::service_message(error).map_or_else(|| error.to_string(), str::to_string),
    )
}

/// Halvings allowed to isolate the failing rows of `rows` when the error does not name them:
/// enough to reach single rows (`ceil(log2(rows))`), no more.
fn bisect_depth(rows: usize) -> u32 {
    if rows <= 1 {
        0
    } else {
        usize::BITS - (rows - 1).leading_zeros()
    }
}

impl DataverseClient {
    /// Sends `messages` (each a message's targets, prepared as they are asked for), up to
    /// `parallelism` at once. While the client does not know whether the table offers the message, the
    /// first message goes alone (concurrent callers wait for it); a "not supported" answer
    /// is remembered for the client's lifetime and every target comes back in
    /// [`Sent::refused`], for `$batch`.
    pub(super) async fn send_messages(
        &self,
        message: BulkMessage,
        names: &TableNames,
        messages: &mut impl Iterator<Item = Vec<Target>>,
        parallelism: usize,
    ) -> Sent {
        let mut sent = Sent::default();
        let cell = self.tables().bulk.cell(&names.logical_name, message);
        {
            let mut known = cell.lock().await;
            match *known {
                Some(false) => {
                    sent.refused = messages.flatten().collect();
                    return sent;
                }
                Some(true) => {}
                None => {
                    // A few first messages probe together, so the start is not one message
                    // in flight for a whole round trip; a table without the message refuses
                    // at most these few, which go by $batch.
                    let first: Vec<Vec<Target>> = messages
                        .by_ref()
                        .take(PROBE_MESSAGES.min(parallelism.max(1)))
                        .collect();
                    if !first.is_empty() {
                        let answers = futures::future::join_all(first.into_iter().map(|targets| {
                            let halvings = bisect_depth(targets.len());
                            self.send_part(message, names, targets, halvings)
                        }))
                        .await;
                        // Offered when any probe went through without a refusal.
                        let offered = answers.iter().any(|a| a.reached && a.refused.is_empty());
                        let mut probe = Sent::default();
                        for answer in answers {
                            probe.absorb(answer);
                        }
                        if !offered && !probe.refused.is_empty() {
                            tracing::debug!(
                                table = %names.logical_name,
                                message = message.name(),
                                "the table does not offer the message; using $batch from now on"
                            );
                            *known = Some(false);
                            sent.absorb(probe);
                            sent.refused.extend(messages.flatten());
                            return sent;
                        }
                        if offered {
                            *known = Some(true);
                        }
                        sent.absorb(probe);
                    }
                }
            }
        }
        let mut rest = stream::iter(messages)
            .map(|targets| {
                let halvings = bisect_depth(targets.len());
                self.send_part(message, names, targets, halvings)
            })
            .buffer_unordered(parallelism.max(1));
        while let Some(part) = rest.next().await {
            sent.absorb(part);
        }
        if !sent.refused.is_empty() {
            let mut known = cell.lock().await;
            // A table that has answered a message keeps it: a later refusal that reads like
            // "not supported" is about those rows, not the table, and goes by $batch alone.
            if *known != Some(true) {
                *known = Some(false);
            }
        }
        sent
    }

    /// Sends one message and works out each target's outcome. `halvings` is how many more
    /// times the message may be halved to isolate failing rows (see [`bisect_depth`]).
    fn send_part<'a>(
        &'a self,
        message: BulkMessage,
        names: &'a TableNames,
        targets: Vec<Target>,
        halvings: u32,
    ) -> BoxFuture<'a, Sent> {
        Box::pin(async move {
            let (error, body) = match self.post_message(message, names, &targets).await {
                Ok(response) if response.status() < 400 => {
                    return match message::answered_ids(message, &targets, response.body()) {
                        Ok(ids) => Sent::written(&targets, ids),
                        Err(e) => Sent::failed(&targets, &e, true),
                    };
                }
                Ok(response) => (
                    DataverseError::from(dynamics_http::status_error(&response)),
                    response.into_body(),
                ),
                Err(e) => (e, Vec::new()),
            };
            if refusal::is_not_supported(&error, message.name()) {
                return Sent {
                    refused: targets,
                    ..Sent::default()
                };
            }
            // Only a standard table's message is one transaction, so only there does one
            // committed target prove the whole message was written.
            if message == BulkMessage::Create
                && names.is_elastic() != Some(true)
                && refusal::is_duplicate_key(&error)
                && self.wrote_already(names, &targets, &error).await
            {
                // A repeat of a message whose answer was lost: the first attempt committed
                // every target (one transaction), with the ids the client chose.
                return Sent::written(&targets, targets.iter().map(|t| t.id));
            }
            if refusal::fails_every_row(&error) {
                return Sent::failed(&targets, &error, false);
            }
            if names.is_elastic() == Some(true) {
                return match elastic::target_statuses(&body) {
                    Some(statuses) => {
                        self.elastic_outcomes(message, names, &targets, &error, &statuses)
                            .await
                    }
                    // UNCONFIRMED: without the per-target statuses nothing says which rows
                    // were written; every row is reported with the error.
                    None => Sent::failed(&targets, &error, true),
                };
            }
            self.isolate(message, names, targets, error, halvings).await
        })
    }

    /// A standard table refused a message for a row's sake: nothing was written. The named
    /// row fails and the others are sent again; with no row named, the message is halved
    /// (`halvings` more times at most) until the failing rows stand alone.
    async fn isolate(
        &self,
        message: BulkMessage,
        names: &TableNames,
        mut targets: Vec<Target>,
        error: DataverseError,
        halvings: u32,
    ) -> Sent {
        if targets.len() <= 1 {
            return Sent::failed(&targets, &error, true);
        }
        if let Some(position) = refusal::failing_target(&error, &targets) {
            let bad = targets.remove(position);
            let mut sent = Sent::failed(std::slice::from_ref(&bad), &error, true);
            sent.absorb(self.send_part(message, names, targets, halvings).await);
            return sent;
        }
        if halvings == 0 {
            return Sent::failed(&targets, &error, true);
        }
        let second = targets.split_off(targets.len() / 2);
        let (mut sent, other) = futures::join!(
            self.send_part(message, names, targets, halvings - 1),
            self.send_part(message, names, second, halvings - 1),
        );
        sent.absorb(other);
        sent.reached = true;
        sent
    }

    /// Per-row outcomes of a partly failed message on an elastic table.
    async fn elastic_outcomes(
        &self,
        message: BulkMessage,
        names: &TableNames,
        targets: &[Target],
        error: &DataverseError,
        statuses: &[elastic::TargetStatus],
    ) -> Sent {
        let named = refusal::failing_target(error, targets);
        let first_error =
            refusal::service_message(error).map_or_else(|| error.to_string(), str::to_string);
        let mut outcomes = Vec::with_capacity(targets.len());
        for (position, target) in targets.iter().enumerate() {
            let listed = statuses.iter().find(|s| s.request_index == position);
            let outcome = match listed {
                Some(s) if s.status >= 400 => {
                    let ours = message == BulkMessage::Create
                        && target.generated
                        && matches!(s.status, 409 | 412)
                        && self.row_exists(names, target.id).await;
                    if ours {
                        // A repeat found the row its lost first attempt wrote.
                        BulkOutcome {
                            index: target.index,
                            result: Ok(target.id),
                        }
                    } else if named == Some(position) {
                        row_failure(target.index, error)
                    } else {
                        failure(
                            target.index,
                            Some(s.status),
                            None,
                            format!(
                                "HTTP {} for this row (elastic table: the message's other rows stand); the message's first error: {first_error}",
                                s.status
                            ),
                        )
                    }
                }
                Some(s) => BulkOutcome {
                    index: target.index,
                    result: Ok(s.id.or(target.id)),
                },
                // Not listed: counted as done only if the table shows it (the row is there,
                // or gone for a delete); never on a guess. UNCONFIRMED whether the service
                // lists every target.
                None => {
                    let present = self.row_exists(names, target.id).await;
                    let done = if message == BulkMessage::Delete {
                        target.id.is_some() && !present
                    } else {
                        present
                    };
                    if done {
                        BulkOutcome {
                            index: target.index,
                            result: Ok(target.id),
                        }
                    } else {
                        failure(
                            target.index,
                            None,
                            None,
                            format!(
                                "outcome unknown: the elastic table's answer does not list this row and reading it back did not show it {}; the message's first error: {first_error}",
                                if message == BulkMessage::Delete {
                                    "gone"
                                } else {
                                    "written"
                                }
                            ),
                        )
                    }
                }
            };
            outcomes.push(outcome);
        }
        Sent {
            outcomes,
            refused: Vec::new(),
            reached: true,
        }
    }

    /// Whether a duplicate key answer is about rows this client wrote: the target it names
    /// (else the first) carries an id the client chose at random, and that row exists. A
    /// random id is found only if an earlier attempt of this same message wrote it.
    async fn wrote_already(
        &self,
        names: &TableNames,
        targets: &[Target],
        error: &DataverseError,
    ) -> bool {
        let position = refusal::failing_target(error, targets).unwrap_or(0);
        match targets.get(position) {
            Some(target) if target.generated => self.row_exists(names, target.id).await,
            _ => false,
        }
    }

    /// Whether the row with `id` exists (a read of its primary id only).
    async fn row_exists(&self, names: &TableNames, id: Option<Uuid>) -> bool {
        let Some(id) = id else {
            return false;
        };
        let path = format!("{}({id})?$select={}", names.entity_set, names.primary_id);
        let Ok(url) = self.url(&path) else {
            return false;
        };
        self.send(self.request(Method::Get, url, &RequestOptions::default()))
            .await
            .is_ok()
    }

    /// `POST {set}/Microsoft.Dynamics.CRM.{message}` with the targets; any final status is
    /// an answer. A create is repeated after an ambiguous failure only when every id is the
    /// client's own choice: then a repeat of a committed message is recognised (see
    /// [`Self::wrote_already`]); with the caller's ids a duplicate could be anyone's.
    async fn post_message(
        &self,
        message: BulkMessage,
        names: &TableNames,
        targets: &[Target],
    ) -> Result<HttpResponse> {
        let url = self.url(&message.path(&names.entity_set))?;
        let ids_ours = message != BulkMessage::Create || targets.iter().all(|t| t.generated);
        let request = self
            .request(Method::Post, url, &RequestOptions::default())
            .header("Prefer", elastic::PREFER_ERROR_DETAILS)
            .json(&message::body(targets))?
            .retry_safe(message.retry_safe() && ids_ours);
        self.send_any_status(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halvings_reach_single_rows_and_no_further() {
        assert_eq!(bisect_depth(0), 0);
        assert_eq!(bisect_depth(1), 0);
        assert_eq!(bisect_depth(2), 1);
        assert_eq!(bisect_depth(50), 6);
        assert_eq!(bisect_depth(64), 6);
        assert_eq!(bisect_depth(65), 7);
    }
}
