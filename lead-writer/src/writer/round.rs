//! One round of the writer: claim, map, write (renewing leases meanwhile), settle each item.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use dataverse_webapi::{BulkReport, DataverseError};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Inner;
use super::alert::ParkedAlert;
use super::classify::{Verdict, classify, classify_call};
use super::error::WriterError;
use crate::spool::{FailOutcome, SpoolError, SpoolId, SpoolItem};

/// Longest service message kept with a failed item, in characters (the full text is in the
/// service's logs; the spool keeps enough to act on).
const MAX_STORED_MESSAGE: usize = 500;

/// What one round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RoundReport {
    /// Items claimed (0: nothing was due).
    pub claimed: usize,
    /// Written as new rows.
    pub written: usize,
    /// Already in the table (completed).
    pub duplicates: usize,
    /// Parked (the alert hook was called for each).
    pub parked: usize,
    /// Handed back to the spool to retry after its backoff.
    pub retried: usize,
    /// Taken over by another worker before this one settled them.
    pub lease_lost: usize,
}

/// Why an item was not written, as stored with it.
struct Failure {
    status: Option<u16>,
    code: Option<String>,
    text: String,
}

impl Failure {
    fn describe(status: Option<u16>, code: Option<&str>, message: &str) -> Failure {
        let mut text = String::from("writing the lead failed");
        if let Some(status) = status {
            text.push_str(&format!(": HTTP {status}"));
        }
        if let Some(code) = code {
            text.push_str(&format!(", code {code}"));
        }
        let message: String = message.chars().take(MAX_STORED_MESSAGE).collect();
        text.push_str(&format!(": {message}"));
        Failure {
            status,
            code: code.map(str::to_owned),
            text,
        }
    }
}

/// One round as `worker`: the name its claims and settlements carry in the spool. Each of
/// [`Writer::run`](super::Writer::run)'s loops has its own, so a loop re-claiming an item
/// whose lease ran out in a sibling loop is told apart from it.
pub(super) async fn run(inner: &Inner, worker: &str) -> Result<RoundReport, WriterError> {
    let options = &inner.options;
    let items = inner
        .spool
        .claim(worker, options.claim_size, options.lease)
        .await?;
    if items.is_empty() {
        return Ok(RoundReport::default());
    }
    // The leases are renewed until the round ends, not only while the rows are sent:
    // settling can take longer than a lease too (a duplicate is confirmed by reading its
    // row, one read per item, each liable to throttling), and an item whose lease runs out
    // meanwhile is claimed and written again by another loop or process.
    let ids: Vec<SpoolId> = items.iter().map(|item| item.id).collect();
    tokio::select! {
        result = write_and_settle(inner, worker, &items) => result,
        never = keep_leases(inner, worker, &ids) => match never {},
    }
}

/// Maps, writes and settles the claimed `items`.
async fn write_and_settle(
    inner: &Inner,
    worker: &str,
    items: &[SpoolItem],
) -> Result<RoundReport, WriterError> {
    let options = &inner.options;
    let mut report = RoundReport {
        claimed: items.len(),
        ..RoundReport::default()
    };

    let mut rows: Vec<Map<String, Value>> = Vec::with_capacity(items.len());
    let mut mapped: Vec<&SpoolItem> = Vec::with_capacity(items.len());
    for item in items {
        match options.mapping.to_columns(&item.lead, &item.key) {
            Ok(mut columns) => {
                columns.insert(
                    options.id_column.clone(),
                    Value::String(item.key.lead_id().hyphenated().to_string()),
                );
                rows.push(columns);
                mapped.push(item);
            }
            Err(error) => {
                // The lead itself does not fit the mapping: retrying cannot help.
                let failure = Failure {
                    status: None,
                    code: Some(error.code().to_owned()),
                    text: format!("mapping the lead failed: {error}"),
                };
                settle(
                    inner,
                    worker,
                    item,
                    Verdict::Permanent,
                    &failure,
                    &mut report,
                )
                .await?;
            }
        }
    }
    if rows.is_empty() {
        return Ok(report);
    }

    if options.duplicate_detection {
        let started = Instant::now();
        let results = write_each(inner, &rows).await;
        inner.stats.add_write_call(started.elapsed());
        settle_each(inner, worker, &mapped, results, &mut report).await?;
        return Ok(report);
    }

    let started = Instant::now();
    let written = write(inner, &rows).await;
    inner.stats.add_write_call(started.elapsed());

    match written {
        Ok(bulk) => settle_rows(inner, worker, &mapped, &bulk, &mut report).await?,
        Err(error) => {
            let verdict = classify_call(&error);
            let failure = Failure::describe(error.status(), error.code(), &error.to_string());
            for item in mapped {
                // A clash the helper could not pin on one row says nothing about this one:
                // if its row is absent, try again (the spool's attempt limit parks it).
                let verdict = match verdict {
                    Verdict::Duplicate => confirm_duplicate(inner, item, Verdict::Transient).await,
                    ref other => other.clone(),
                };
                settle(inner, worker, item, verdict, &failure, &mut report).await?;
            }
        }
    }
    Ok(report)
}

/// Sends the rows (the round renews the items' leases meanwhile).
async fn write(inner: &Inner, rows: &[Map<String, Value>]) -> Result<BulkReport, DataverseError> {
    let options = &inner.options;
    let table = inner.client.table(options.entity_set.as_str());
    table
        .create_many(rows)
        .options(options.bulk.clone())
        .send()
        .await
}

/// With duplicate detection on: each row created on its own with the org's rules applied
/// (`MSCRM.SuppressDuplicateDetection: false`, documented for a plain create; whether the
/// bulk messages honour it is UNCONFIRMED). The client's limiter paces the requests (the
/// round renews the leases meanwhile). One answer per row, in order.
async fn write_each(
    inner: &Inner,
    rows: &[Map<String, Value>],
) -> Vec<Result<Uuid, DataverseError>> {
    let options = &inner.options;
    let table = inner.client.table(options.entity_set.as_str());
    // Chunks of `parallelism` sent together (a plain loop: a stream of borrowed futures
    // would not be `Send` for the spawned run loop).
    let mut results = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(options.bulk.parallelism.max(1)) {
        let mut sending = Vec::with_capacity(chunk.len());
        for row in chunk {
            sending.push(table.create(row).duplicate_detection().send());
        }
        results.extend(futures::future::join_all(sending).await);
    }
    results
}

/// Settles the items of [`write_each`], one answer each.
async fn settle_each(
    inner: &Inner,
    worker: &str,
    items: &[&SpoolItem],
    results: Vec<Result<Uuid, DataverseError>>,
    report: &mut RoundReport,
) -> Result<(), WriterError> {
    for (item, result) in items.iter().zip(results) {
        match result {
            Ok(_) => {
                if complete(inner, worker, item, report).await? {
                    inner.stats.add_written();
                    report.written += 1;
                }
            }
            Err(error) => {
                let failure = Failure::describe(error.status(), error.code(), &error.to_string());
                let verdict = match classify_call(&error) {
                    Verdict::Duplicate => confirm_duplicate(inner, item, Verdict::Permanent).await,
                    // A replay of a lead written before matches the rules too (its own row):
                    // that is a duplicate delivery, not a new lead to hold back. Which check
                    // the service runs first is UNCONFIRMED, so look.
                    Verdict::DuplicateDetected => {
                        confirm_duplicate(inner, item, Verdict::DuplicateDetected).await
                    }
                    other => other,
                };
                settle(inner, worker, item, verdict, &failure, report).await?;
            }
        }
    }
    Ok(())
}

/// Renews the leases on `ids` every third of the lease, until dropped. The renewals run
/// beside the round (both are polled), so the round is never held up by a slow renewal, and
/// each renewal is one statement for all the items. Items the round has settled are no
/// longer leased and are simply not renewed.
async fn keep_leases(inner: &Inner, worker: &str, ids: &[SpoolId]) -> Infallible {
    let options = &inner.options;
    let period = (options.lease / 3).max(Duration::from_millis(100));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    // A slow renewal must not be followed by a burst of catch-up renewals.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match inner.spool.renew_leases(ids, worker, options.lease).await {
            // Fewer renewed than claimed: settled already, or taken over (the settle step
            // sees each lost lease and counts it).
            Ok(_) => {}
            // A storage error only risks a second write, which the deterministic id makes
            // harmless.
            Err(error) => tracing::warn!("renewing the leads' leases failed: {error}"),
        }
    }
}

async fn settle_rows(
    inner: &Inner,
    worker: &str,
    items: &[&SpoolItem],
    bulk: &BulkReport,
    report: &mut RoundReport,
) -> Result<(), WriterError> {
    for outcome in &bulk.outcomes {
        let Some(item) = items.get(outcome.index) else {
            // UNCONFIRMED by the helper's contract, but harmless: an unknown index names no
            // item; items without an outcome come back after their lease.
            continue;
        };
        match &outcome.result {
            Ok(_) => {
                if complete(inner, worker, item, report).await? {
                    inner.stats.add_written();
                    report.written += 1;
                }
            }
            Err(row) => {
                let failure = Failure::describe(row.status, row.code.as_deref(), &row.message);
                let verdict = match classify(row) {
                    Verdict::Duplicate => confirm_duplicate(inner, item, Verdict::Permanent).await,
                    Verdict::DuplicateDetected => {
                        confirm_duplicate(inner, item, Verdict::DuplicateDetected).await
                    }
                    other => other,
                };
                settle(inner, worker, item, verdict, &failure, report).await?;
            }
        }
    }
    Ok(())
}

/// Settles a failed item by its verdict (a duplicate already confirmed by [`confirm_duplicate`]).
async fn settle(
    inner: &Inner,
    worker: &str,
    item: &SpoolItem,
    verdict: Verdict,
    failure: &Failure,
    report: &mut RoundReport,
) -> Result<(), WriterError> {
    match verdict {
        Verdict::Duplicate => {
            if complete(inner, worker, item, report).await? {
                tracing::debug!(spool_id = item.id.0, "lead already written; completed");
                inner.stats.add_duplicate();
                report.duplicates += 1;
            }
            return Ok(());
        }
        Verdict::Permanent | Verdict::Transient | Verdict::DuplicateDetected => {}
    }
    let retryable = verdict == Verdict::Transient;
    let detected;
    let text = if verdict == Verdict::DuplicateDetected {
        detected = format!(
            "duplicate detection: the org's duplicate detection rules match an existing \
             record, so this lead was not written; compare it with that record, and to write \
             it anyway run without duplicate detection and `leads retry` it ({})",
            failure.text
        );
        detected.as_str()
    } else {
        failure.text.as_str()
    };
    let outcome = match inner.spool.fail(item.id, worker, text, retryable).await {
        Ok(outcome) => outcome,
        Err(SpoolError::LeaseLost { .. }) => {
            lost(inner, item, report);
            return Ok(());
        }
        Err(other) => return Err(other.into()),
    };
    match outcome {
        FailOutcome::Retry { attempts, .. } => {
            // debug, not info: a fault storm retries every item and must not flood the log
            // (the counters and `status` show retries).
            tracing::debug!(
                spool_id = item.id.0,
                attempts,
                "lead write will be retried: {}",
                failure.text
            );
            inner.stats.add_retried();
            report.retried += 1;
        }
        FailOutcome::Parked { .. } => {
            inner.stats.add_parked();
            report.parked += 1;
            inner.options.alert.parked(&ParkedAlert {
                id: item.id,
                code: failure.code.clone(),
                status: failure.status,
                error: text.to_owned(),
            });
        }
    }
    Ok(())
}

/// A duplicate answer only says that some key clashed: our deterministic id, or an
/// alternate key or unique index shared with ANOTHER row (Learn, "Use bulk operation
/// messages": the same `0x80040237` for both). Only a row with the lead's own id proves an
/// earlier write; otherwise the lead would be lost silently, so the verdict is `absent`:
/// [`Verdict::Permanent`] (parked for a person) when the clash was this row's own.
async fn confirm_duplicate(inner: &Inner, item: &SpoolItem, absent: Verdict) -> Verdict {
    let options = &inner.options;
    let table = inner.client.table(options.entity_set.as_str());
    let found = table
        .retrieve(item.key.lead_id())
        .select([options.id_column.as_str()])
        .send()
        .await;
    match found {
        Ok(_) => Verdict::Duplicate,
        Err(error) if error.is_not_found() => absent,
        Err(error) => {
            // Cannot tell now; the next attempt asks again.
            tracing::debug!(
                spool_id = item.id.0,
                "checking a duplicate lead's row failed: {error}"
            );
            Verdict::Transient
        }
    }
}

/// Completes an item; false when another worker holds it now (counted as a lost lease).
async fn complete(
    inner: &Inner,
    worker: &str,
    item: &SpoolItem,
    report: &mut RoundReport,
) -> Result<bool, WriterError> {
    match inner.spool.complete(item.id, worker).await {
        Ok(()) => Ok(true),
        Err(SpoolError::LeaseLost { .. }) => {
            lost(inner, item, report);
            Ok(false)
        }
        Err(other) => Err(other.into()),
    }
}

fn lost(inner: &Inner, item: &SpoolItem, report: &mut RoundReport) {
    tracing::warn!(
        spool_id = item.id.0,
        "another worker took over this lead before it was settled; leaving it to them"
    );
    inner.stats.add_lease_lost();
    report.lease_lost += 1;
}
