//! Bulk writes: many rows through bulk operation messages (`CreateMultiple`, …) where the
//! table offers them, else through batches sent in parallel, with one outcome per row.
//!
//! The client's concurrency limiter decides how many requests are in flight, so callers do not
//! need to know the org's limits; `parallelism` only caps how many are queued at once.

mod elastic;
mod message;
mod prepare;
mod refusal;
mod runner;
mod support;

pub(crate) use support::MessageSupport;

use futures::{StreamExt, stream};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use message::BulkMessage;

use crate::batch::{Batch, BatchOptions, BatchRequest, BatchResponse};
use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::key::RecordKey;

/// Rows per bulk operation message by default.
///
/// Learn, "Use bulk operation messages" (and "Optimize performance for bulk operations"):
/// there is no set limit on the rows of one message, but a request must finish within the
/// two-minute execution limit and the guidance is to start with a modest number of rows
/// (around 100; fewer for tables with many plug-ins) and grow it while requests stay well
/// inside that limit. 100 is that start; raise it with
/// [`BulkOptions::rows_per_message`] for simple tables.
pub const DEFAULT_ROWS_PER_MESSAGE: usize = 100;

/// Whether bulk writes use bulk operation messages (`CreateMultiple`, `UpdateMultiple`,
/// `UpsertMultiple`, `DeleteMultiple`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BulkMessages {
    /// Use the message where the table offers it, else `$batch` (the default). The table's
    /// names are resolved once per client (one metadata read); the first message per table
    /// and kind tells whether the table offers it, and a table that does not is written by
    /// `$batch` from then on, for the client's lifetime. `DeleteMultiple` is only tried on
    /// elastic tables (Learn: standard tables do not offer it). If the table's names cannot
    /// be read, the call uses `$batch` with the name as given.
    #[default]
    Auto,
    /// Always `$batch` (and plain requests for batches of one), with the name as given.
    Never,
}

/// How to run a bulk write.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    /// Rows per `$batch` (default 10, Microsoft's suggested start; 1 sends plain requests).
    pub batch_size: usize,
    /// Most requests queued at once (default 64); the concurrency limiter decides how many
    /// are actually in flight.
    pub parallelism: usize,
    /// Whether to use bulk operation messages (default [`BulkMessages::Auto`]).
    pub messages: BulkMessages,
    /// Rows per bulk operation message (default [`DEFAULT_ROWS_PER_MESSAGE`]; at least 1).
    pub rows_per_message: usize,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            batch_size: 10,
            parallelism: 64,
            messages: BulkMessages::Auto,
            rows_per_message: DEFAULT_ROWS_PER_MESSAGE,
        }
    }
}

/// Why one row was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkFailure {
    /// Index of the row in the input (the same as its [`BulkOutcome::index`]).
    pub index: usize,
    /// HTTP status of the row's operation, when there was one.
    pub status: Option<u16>,
    /// The Dataverse error code.
    pub code: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// Longest message [`BulkFailure`]'s `Display` shows, in characters; the full text stays in
/// [`BulkFailure::message`].
const DISPLAY_MESSAGE_CHARS: usize = 200;

/// `row 3: HTTP 400, code 0x80040203: <message>`, the message cut to 200 characters and its
/// control characters shown as spaces, so one failure stays one log line. The client never adds
/// row values; the message is the service's, with the one value Learn shows it quoting (SQL's
/// "The duplicate key value is (…)") taken out when the failure is made. Other service
/// messages may still name a value the service chose to quote.
impl std::fmt::Display for BulkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}", self.index)?;
        match (self.status, &self.code) {
            (Some(status), Some(code)) => write!(f, ": HTTP {status}, code {code}")?,
            (Some(status), None) => write!(f, ": HTTP {status}")?,
            (None, Some(code)) => write!(f, ": code {code}")?,
            (None, None) => {}
        }
        write!(
            f,
            ": {}",
            dynamics_http::capped(&self.message, DISPLAY_MESSAGE_CHARS)
        )
    }
}

/// One row's outcome: its position in the input and the row id (for creates and upserts) or
/// the failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOutcome {
    /// Index in the input.
    pub index: usize,
    /// The id written, when the service returned one, or why it failed.
    pub result: std::result::Result<Option<Uuid>, BulkFailure>,
}

/// Outcomes in input order.
#[derive(Debug, Clone, Default)]
pub struct BulkReport {
    /// One per input row.
    pub outcomes: Vec<BulkOutcome>,
}

impl BulkReport {
    /// Rows written.
    pub fn succeeded(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_ok()).count()
    }

    /// Rows not written.
    pub fn failed(&self) -> impl Iterator<Item = &BulkOutcome> {
        self.outcomes.iter().filter(|o| o.result.is_err())
    }

    /// The ids the service answered with, in input order: one per written row that came back
    /// with an id (creates and upserts; deletes and some updates answer without one).
    pub fn ids(&self) -> Vec<Uuid> {
        self.outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok().copied().flatten())
            .collect()
    }

    /// The rows not written, each with its input index, in input order.
    pub fn failures(&self) -> Vec<(usize, &BulkFailure)> {
        self.outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().err().map(|f| (o.index, f)))
            .collect()
    }

    /// Whether every row was written.
    pub fn all_succeeded(&self) -> bool {
        self.outcomes.iter().all(|o| o.result.is_ok())
    }
}

/// One row of a bulk call: its key (updates, upserts, deletes) and its values (all but
/// deletes).
type Row<'a, T> = (Option<&'a RecordKey>, Option<&'a T>);

impl DataverseClient {
    /// Creates every row. `table` is the entity set name (`leads`), or with
    /// [`BulkMessages::Auto`] also the logical name (`lead`). With bulk messages each row
    /// gets an id chosen by the client (unless it carries its own), so a message repeated
    /// after a lost answer is recognised instead of writing rows twice.
    pub async fn create_many<T: Serialize>(
        &self,
        table: &str,
        rows: &[T],
        options: &BulkOptions,
    ) -> Result<BulkReport> {
        let rows: Vec<Row<'_, T>> = rows.iter().map(|r| (None, Some(r))).collect();
        self.write_rows(BulkMessage::Create, table, &rows, options)
            .await
    }

    /// Creates or updates every row by its key (see [`Self::create_many`] for `table`).
    ///
    /// `UpsertMultiple` answers without ids (Learn, "UpsertMultiple Action": 204 No
    /// Content), so a row upserted by alternate key through it reports `Ok(None)`; a row
    /// upserted by id reports its id.
    pub async fn upsert_many<T: Serialize>(
        &self,
        table: &str,
        rows: &[(RecordKey, T)],
        options: &BulkOptions,
    ) -> Result<BulkReport> {
        let rows: Vec<Row<'_, T>> = rows.iter().map(|(k, r)| (Some(k), Some(r))).collect();
        self.write_rows(BulkMessage::Upsert, table, &rows, options)
            .await
    }

    /// Updates every row by its key, never creating one (see [`Self::create_many`] for
    /// `table`).
    pub async fn update_many<T: Serialize>(
        &self,
        table: &str,
        rows: &[(RecordKey, T)],
        options: &BulkOptions,
    ) -> Result<BulkReport> {
        let rows: Vec<Row<'_, T>> = rows.iter().map(|(k, r)| (Some(k), Some(r))).collect();
        self.write_rows(BulkMessage::Update, table, &rows, options)
            .await
    }

    /// Deletes every row (see [`Self::create_many`] for `table`). `DeleteMultiple` is used
    /// on elastic tables only; other tables delete by `$batch`.
    pub async fn delete_many(
        &self,
        table: &str,
        keys: &[RecordKey],
        options: &BulkOptions,
    ) -> Result<BulkReport> {
        let rows: Vec<Row<'_, Value>> = keys.iter().map(|k| (Some(k), None)).collect();
        self.write_rows(BulkMessage::Delete, table, &rows, options)
            .await
    }

    /// Routes each row to a bulk message or to `$batch`, sends both, and puts the outcomes
    /// in input order.
    async fn write_rows<T: Serialize>(
        &self,
        kind: BulkMessage,
        table: &str,
        rows: &[Row<'_, T>],
        options: &BulkOptions,
    ) -> Result<BulkReport> {
        let names = match options.messages {
            BulkMessages::Never => None,
            BulkMessages::Auto => match self.resolve_table(table).await {
                Ok(names) => Some(names),
                Err(e) => {
                    tracing::debug!(table, error = %e, "table names unknown; writing by $batch");
                    None
                }
            },
        };
        let entity_set = names
            .as_ref()
            .map_or(table, |n| n.entity_set.as_str())
            .to_string();
        let entity_set = entity_set.as_str();
        // Learn, "Use bulk operation messages": DeleteMultiple is for elastic tables only.
        let offered = names.filter(|n| kind != BulkMessage::Delete || n.is_elastic() == Some(true));
        let mut outcomes: Vec<Option<BulkOutcome>> = vec![None; rows.len()];
        let mut batch = Vec::new();
        if let Some(names) = &offered {
            // Prepared as the sending asks for each message: the first goes at once.
            let mut messages = prepare::Messages::new(kind, names, rows, options.rows_per_message);
            let sent = self
                .send_messages(kind, names, &mut messages, options.parallelism)
                .await;
            for outcome in sent.outcomes.into_iter().chain(messages.failed) {
                let index = outcome.index;
                outcomes[index] = Some(outcome);
            }
            batch = messages.batch;
            batch.extend(sent.refused.into_iter().map(|t| (t.index, t.fallback)));
            batch.sort_by_key(|(index, _)| *index);
        } else {
            for (index, (key, row)) in rows.iter().enumerate() {
                match fallback_request(kind, entity_set, *key, *row)
                    .and_then(|r| r.check().map(|()| r))
                {
                    Ok(request) => batch.push((index, request)),
                    // A row that cannot even be written into a request fails alone.
                    Err(e) => outcomes[index] = Some(failure(index, None, None, e.to_string())),
                }
            }
        }
        for outcome in self.run_batches(batch, options).await {
            let index = outcome.index;
            outcomes[index] = Some(outcome);
        }
        Ok(BulkReport {
            outcomes: outcomes
                .into_iter()
                .enumerate()
                .map(|(index, o)| {
                    o.unwrap_or_else(|| failure(index, None, None, "the row was not sent".into()))
                })
                .collect(),
        })
    }

    /// Sends rows by `$batch`, `batch_size` a batch, one outcome per row.
    async fn run_batches(
        &self,
        requests: Vec<(usize, BatchRequest)>,
        options: &BulkOptions,
    ) -> Vec<BulkOutcome> {
        let batch_size = options
            .batch_size
            .clamp(1, crate::batch::MAX_BATCH_REQUESTS);
        let chunks: Vec<Vec<(usize, BatchRequest)>> = requests
            .chunks(batch_size)
            .map(<[(usize, BatchRequest)]>::to_vec)
            .collect();
        let mut outcomes = Vec::with_capacity(requests.len());
        let mut results = stream::iter(chunks)
            .map(|chunk| async move {
                let outcome = self.run_chunk(&chunk).await;
                (chunk, outcome)
            })
            .buffer_unordered(options.parallelism.max(1));
        while let Some((chunk, result)) = results.next().await {
            match result {
                Ok(chunk_outcomes) => outcomes.extend(chunk_outcomes),
                Err(e) => outcomes.extend(chunk.iter().map(|(index, _)| {
                    failure(
                        *index,
                        e.status(),
                        e.code().map(str::to_string),
                        e.to_string(),
                    )
                })),
            }
        }
        outcomes
    }

    async fn run_chunk(&self, chunk: &[(usize, BatchRequest)]) -> Result<Vec<BulkOutcome>> {
        if let [(index, request)] = chunk {
            return Ok(vec![self.run_single(*index, request).await]);
        }
        let mut batch = Batch::new();
        for (_, request) in chunk {
            batch.push(request.clone());
        }
        let result = self
            .execute_batch(
                &batch,
                &BatchOptions {
                    continue_on_error: true,
                    ..Default::default()
                },
            )
            .await?;
        if result.responses.len() != chunk.len() {
            return Err(DataverseError::UnexpectedResponse(format!(
                "a batch of {} answered {} parts",
                chunk.len(),
                result.responses.len()
            )));
        }
        Ok(chunk
            .iter()
            .zip(&result.responses)
            .map(|((index, _), response)| self.outcome(*index, response))
            .collect())
    }

    async fn run_single(&self, index: usize, request: &BatchRequest) -> BulkOutcome {
        // One row: a plain request is cheaper for the service than a batch of one.
        match self.send_single(request).await {
            Ok(response) => self.outcome(index, &response),
            Err(e) => failure(
                index,
                e.status(),
                e.code().map(str::to_string),
                e.to_string(),
            ),
        }
    }

    fn outcome(&self, index: usize, response: &BatchResponse) -> BulkOutcome {
        if response.is_success() {
            return match self.batch_entity_id(response) {
                Ok(id) => BulkOutcome {
                    index,
                    result: Ok(id),
                },
                Err(e) => failure(index, Some(response.status), None, e.to_string()),
            };
        }
        let (code, message) = response.error().unwrap_or((None, None));
        failure(
            index,
            Some(response.status),
            code,
            message
                .unwrap_or_else(|| format!("the operation failed with HTTP {}", response.status)),
        )
    }
}

/// The row as a `$batch` operation on `entity_set`.
fn fallback_request<T: Serialize>(
    kind: BulkMessage,
    entity_set: &str,
    key: Option<&RecordKey>,
    row: Option<&T>,
) -> Result<BatchRequest> {
    let missing = |what: &str| {
        DataverseError::invalid("bulk row", format!("a {} row needs {what}", kind.name()))
    };
    let key = || key.cloned().ok_or_else(|| missing("a key"));
    let row = || row.ok_or_else(|| missing("values"));
    match kind {
        BulkMessage::Create => BatchRequest::create(entity_set, row()?),
        BulkMessage::Update => BatchRequest::update(entity_set, key()?, row()?),
        BulkMessage::Upsert => BatchRequest::upsert(entity_set, key()?, row()?),
        BulkMessage::Delete => BatchRequest::delete_row(entity_set, key()?),
    }
}

fn failure(
    index: usize,
    status: Option<u16>,
    code: Option<String>,
    message: String,
) -> BulkOutcome {
    BulkOutcome {
        index,
        result: Err(BulkFailure {
            index,
            status,
            code,
            message: without_key_values(message),
        }),
    }
}

/// SQL Server's duplicate key message quotes the clashing values ("… The duplicate key value is
/// (someone@example.com)."), which Learn lists among the bulk messages' errors: the values are
/// personal data, so they are replaced by "(…)".
fn without_key_values(message: String) -> String {
    const MARKER: &str = "The duplicate key value is (";
    let Some(start) = message.find(MARKER) else {
        return message;
    };
    let open = start + MARKER.len();
    // SQL ends the list with ")."; a value may itself hold ")".
    let rest = &message[open..];
    let close = rest
        .find(").")
        .or_else(|| rest.rfind(')'))
        .map_or(message.len(), |end| open + end);
    format!("{}…{}", &message[..open], &message[close..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_key_values_are_taken_out_of_failures() {
        let outcome = failure(
            4,
            Some(500),
            None,
            "Cannot insert duplicate key row in object 'dbo.LeadBase' with unique index \
             'ndx_email'. The duplicate key value is (ana@example.com, (x)). (Targets[4])"
                .into(),
        );
        let message = outcome.result.expect_err("a failure").message;
        assert!(!message.contains("ana@example.com"), "{message}");
        assert!(
            message.ends_with("The duplicate key value is (…). (Targets[4])"),
            "{message}"
        );
        assert_eq!(without_key_values("plain".into()), "plain");
    }

    fn report() -> BulkReport {
        let ok = |index, id: Option<u128>| BulkOutcome {
            index,
            result: Ok(id.map(Uuid::from_u128)),
        };
        BulkReport {
            outcomes: vec![
                ok(0, Some(1)),
                failure(1, Some(400), Some("0x80040203".into()), "bad column".into()),
                ok(2, None),
                ok(3, Some(3)),
                failure(4, None, None, "the row was not sent".into()),
            ],
        }
    }

    #[test]
    fn ids_are_the_written_rows_ids_in_input_order() {
        assert_eq!(report().ids(), vec![Uuid::from_u128(1), Uuid::from_u128(3)]);
    }

    #[test]
    fn failures_carry_their_input_index() {
        let report = report();
        let failures = report.failures();
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].0, 1);
        assert_eq!(failures[0].1.status, Some(400));
        assert_eq!(failures[0].1.code.as_deref(), Some("0x80040203"));
        assert_eq!(failures[1].0, 4);
        assert_eq!(failures[1].1.message, "the row was not sent");
        assert!(!report.all_succeeded());
        assert!(BulkReport::default().all_succeeded());
        assert!(BulkReport::default().ids().is_empty());
    }

    #[test]
    fn a_failure_displays_row_status_code_and_message() {
        let report = report();
        let failures = report.failures();
        assert_eq!(
            failures[0].1.to_string(),
            "row 1: HTTP 400, code 0x80040203: bad column"
        );
        assert_eq!(failures[1].1.to_string(), "row 4: the row was not sent");
        assert_eq!(failures[0].1.index, 1);
        let only_code = failure(7, None, Some("0x1".into()), "m".into());
        let only_status = failure(8, Some(412), None, "m".into());
        let shown = |o: BulkOutcome| o.result.expect_err("a failure").to_string();
        assert_eq!(shown(only_code), "row 7: code 0x1: m");
        assert_eq!(shown(only_status), "row 8: HTTP 412: m");
    }

    #[test]
    fn a_long_or_multiline_message_is_cut_to_one_line() {
        let long = format!("first\r\nsecond {}", "é".repeat(500));
        let shown = failure(0, Some(400), None, long.clone())
            .result
            .expect_err("a failure")
            .to_string();
        assert!(!shown.contains('\n') && !shown.contains('\r'));
        assert!(shown.starts_with("row 0: HTTP 400: first  second "));
        assert!(shown.ends_with('…'));
        assert_eq!(
            shown.chars().count(),
            "row 0: HTTP 400: ".len() + DISPLAY_MESSAGE_CHARS + 1
        );
        // The full message is still there for whoever needs it.
        let full = failure(0, None, None, long.clone());
        assert_eq!(full.result.expect_err("a failure").message, long);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]
        #[test]
        fn display_never_panics_and_stays_one_bounded_line(
            index in proptest::prelude::any::<usize>(),
            status in proptest::option::of(proptest::prelude::any::<u16>()),
            message in ".{0,400}",
        ) {
            let shown = failure(index, status, None, message).result.expect_err("a failure").to_string();
            proptest::prop_assert!(!shown.chars().any(char::is_control));
            proptest::prop_assert!(shown.chars().count() <= 64 + DISPLAY_MESSAGE_CHARS);
        }
    }
}
