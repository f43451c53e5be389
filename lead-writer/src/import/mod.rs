//! `import`: moving leads from an Azure Table destination into the spool (REFERENCE-WORKFLOWS
//! 1.5). The input is an export of the `MarketplaceLeads` table as JSON lines, one entity per
//! line (`PartitionKey`, `RowKey`, `Timestamp`, `ActionCode`, `CreatedTime`, `CustomerInfo`
//! as JSON text, `Description`, `LeadSource`, `OfferDisplayName`).
//!
//! - Each line is read with the crate's parser ([`Lead::parse`](crate::Lead::parse), which knows the entity
//!   shape). The rows are imported oldest first by (`Timestamp`, `PartitionKey`, `RowKey`).
//! - A row is one lead, identified by `PartitionKey|RowKey` (REFERENCE-WORKFLOWS 1.5: "Use
//!   `PartitionKey|RowKey` as the idempotency key"). The spool's database keeps a SHA-256 of
//!   that identity for every row imported, per source table, and a run skips exactly those
//!   rows. Not a position: an export is a paged scan in key order, not a snapshot, so a row
//!   with an older `Timestamp` can land in a partition already scanned and show up only in a
//!   later export; a watermark would drop it. An updated row (new `Timestamp`, same keys) is
//!   not imported again.
//! - The record of a batch is written after the batch is durable in the spool, so a crash in
//!   between only makes the next run enqueue that batch again, which the lead's idempotency
//!   key turns into duplicates that add nothing.
//! - The lead's key ([`Lead::table_row_idempotency_key`](crate::Lead::table_row_idempotency_key))
//!   is its content, the day of its `CreatedTime`, and the row's identity: two rows with the
//!   same content are two leads, and a row gives the same key on every run. When `CreatedTime`
//!   is missing or unreadable, the row's `Timestamp` (its last write) stands in, and the
//!   report counts those rows.
//! - A watermark, the newest position imported, is kept for the report; it does not decide
//!   what is skipped.
//! - A line that is not a lead goes to the dead letters with its line number and the reason,
//!   once: a hash of each such line is kept, so a re-run does not add it again.
//! - `dry_run` reads and counts, and writes nothing (apart from creating the import's empty
//!   tables in a spool that never had them).
//!
//! Run one import per source at a time. The whole file is held in memory while it is sorted;
//! a year of leads is a few megabytes.

mod row;
mod state;

use std::fmt;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::spool::{MAX_ENQUEUE_BATCH, Received, Spool, SpoolError};
use crate::{KeyOptions, ParseOptions};

pub use row::RowPosition;

/// The table name Microsoft's Azure Table destination writes to (REFERENCE-WORKFLOWS 1.5).
pub const DEFAULT_SOURCE: &str = "MarketplaceLeads";

/// How an import runs. Construct with `ImportOptions::default()` and the setters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// The source's name, which the import's records (rows imported, watermark) are kept
    /// under (default [`DEFAULT_SOURCE`]). Two tables need two names.
    pub source: String,
    /// Only read and count; write nothing.
    pub dry_run: bool,
    /// Leads enqueued per commit, each followed by a watermark update (default 100, at most
    /// [`MAX_ENQUEUE_BATCH`]).
    pub batch_size: usize,
    /// Import at most this many rows not imported before (oldest first), then stop; the
    /// next run carries on. Default: all.
    pub limit: Option<u64>,
    /// How lead keys are derived (must match the intake's, so a lead that came both ways is
    /// one lead).
    pub key: KeyOptions,
    /// How lines are parsed (the size limit applies per line).
    pub parse: ParseOptions,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            source: DEFAULT_SOURCE.to_owned(),
            dry_run: false,
            batch_size: 100,
            limit: None,
            key: KeyOptions::default(),
            parse: ParseOptions::default(),
        }
    }
}

impl ImportOptions {
    /// Sets the source name.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// Only read and count.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Sets the batch size.
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows;
        self
    }

    /// Imports at most `rows` rows this run.
    pub fn limit(mut self, rows: u64) -> Self {
        self.limit = Some(rows);
        self
    }

    fn validate(&self) -> Result<(), ImportError> {
        if self.source.trim().is_empty() {
            return Err(ImportError::Config(
                "the source name is empty; give the table's name, such as MarketplaceLeads"
                    .to_owned(),
            ));
        }
        if self.batch_size == 0 || self.batch_size > MAX_ENQUEUE_BATCH {
            return Err(ImportError::Config(format!(
                "the batch size must be 1..={MAX_ENQUEUE_BATCH} (it is {})",
                self.batch_size
            )));
        }
        Ok(())
    }
}

/// What an import read and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Lines in the file, blank ones included.
    pub lines: u64,
    /// Blank lines (skipped).
    pub blank: u64,
    /// Rows imported by an earlier run (same `PartitionKey|RowKey`), or repeated in this file.
    pub already_imported: u64,
    /// Rows added to the spool (in a dry run: rows that would be enqueued).
    pub imported: u64,
    /// Rows whose lead the spool already held (from the intake, or an interrupted run).
    pub already_queued: u64,
    /// Rows past the `limit`, left for the next run.
    pub left_for_next_run: u64,
    /// Rows (of those imported or to import) without a readable `CreatedTime`, whose lead's
    /// day came from `Timestamp`, the row's last write.
    pub created_from_timestamp: u64,
    /// Lines sent to the dead letters by this run (in a dry run: that would be).
    pub rejected: u64,
    /// Bad lines already in the dead letters from an earlier run.
    pub rejected_before: u64,
    /// The newest position imported, after the run (before it, in a dry run).
    pub watermark: Option<RowPosition>,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "would import"
        } else {
            "imported"
        };
        writeln!(
            f,
            "{} lines: {verb} {}, already in the spool {}, done by an earlier run {}, \
             bad lines {} new + {} seen before, blank {}{}",
            self.lines,
            self.imported,
            self.already_queued,
            self.already_imported,
            self.rejected,
            self.rejected_before,
            self.blank,
            if self.left_for_next_run > 0 {
                format!(", left for the next run {}", self.left_for_next_run)
            } else {
                String::new()
            }
        )?;
        if self.created_from_timestamp > 0 {
            writeln!(
                f,
                "{} rows had no readable CreatedTime; their day came from Timestamp",
                self.created_from_timestamp
            )?;
        }
        match &self.watermark {
            Some(mark) => writeln!(f, "Watermark: {mark}"),
            None => writeln!(f, "Watermark: none yet"),
        }
    }
}

/// Why an import stopped. What was committed before stays, recorded as imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// An option cannot be used; the text says what to fix.
    #[error("table import: {0}")]
    Config(String),
    /// The spool failed.
    #[error("table import: {0}")]
    Spool(#[from] SpoolError),
}

/// Imports an export (`contents`: JSON lines) into `spool`. See the module docs.
pub async fn import_table(
    spool: &Spool,
    contents: &[u8],
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    options.validate()?;
    let store = spool.store();
    state::migrate(store).await?;
    let source = options.source.trim();
    let watermark = state::watermark(store, source).await?;
    let mut seen = state::imported_rows(store, source).await?;
    let mut report = ImportReport {
        dry_run: options.dry_run,
        watermark,
        ..ImportReport::default()
    };

    let mut rows = Vec::new();
    // A final newline ends the last line; it does not start another.
    let body = contents.strip_suffix(b"\n").unwrap_or(contents);
    let lines = body
        .split(|b| *b == b'\n')
        .take_while(|_| !contents.is_empty());
    for (index, line) in lines.enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        report.lines += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            report.blank += 1;
            continue;
        }
        match row::read(index + 1, line, &options.parse) {
            Ok(row) => rows.push(row),
            Err(rejection) => {
                let hash = sha256_hex(line);
                if state::was_rejected(store, source, &hash).await? {
                    report.rejected_before += 1;
                    continue;
                }
                report.rejected += 1;
                if !options.dry_run {
                    // Dead letter first, then the record of it: a crash in between gives
                    // a second dead letter on the next run, never a lost line.
                    spool.dead_letter(line, &rejection).await?;
                    state::record_rejected(store, source, &hash).await?;
                }
            }
        }
    }

    // Oldest first; a row imported before, or repeated in the file, is skipped by its
    // identity (an updated row keeps its keys).
    rows.sort_by(|a, b| a.position.cmp(&b.position).then(a.line.cmp(&b.line)));
    let before = rows.len();
    rows.retain(|row| seen.insert(row.position.identity()));
    report.already_imported = (before - rows.len()) as u64;
    if let Some(limit) = options.limit {
        let keep = usize::try_from(limit).unwrap_or(usize::MAX).min(rows.len());
        report.left_for_next_run = (rows.len() - keep) as u64;
        rows.truncate(keep);
    }
    report.created_from_timestamp = rows.iter().filter(|r| r.created_from_timestamp).count() as u64;
    if options.dry_run {
        report.imported = rows.len() as u64;
        return Ok(report);
    }

    for batch in rows.chunks(options.batch_size) {
        let received: Vec<Received> = batch
            .iter()
            .map(|row| Received {
                raw_body: row.raw.clone(),
                key: row.lead.table_row_idempotency_key(
                    row.created_at.unix_timestamp(),
                    &row.position.partition_key,
                    &row.position.row_key,
                    &options.key,
                ),
                lead: row.lead.clone(),
                received_at: row.created_at,
            })
            .collect();
        for answer in spool.enqueue_batch(&received).await? {
            if answer.duplicate {
                report.already_queued += 1;
            } else {
                report.imported += 1;
            }
        }
        let identities: Vec<String> = batch.iter().map(|row| row.position.identity()).collect();
        state::record_imported(store, source, &identities).await?;
        if let Some(last) = batch.last() {
            state::advance(store, source, &last.position, OffsetDateTime::now_utc()).await?;
            // A late row can be older than the watermark, which never moves back.
            if report
                .watermark
                .as_ref()
                .is_none_or(|mark| *mark < last.position)
            {
                report.watermark = Some(last.position.clone());
            }
        }
    }
    Ok(report)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
