//! `leads import-table`: moving leads from an Azure Table destination's `MarketplaceLeads`
//! export (JSON lines) into the spool (`lead_writer::import`), recording each row imported so
//! a re-run does only what is new.

use std::path::PathBuf;

use clap::Args;
use lead_writer::import::{DEFAULT_SOURCE, ImportError, ImportOptions, ImportReport, import_table};
use lead_writer::{Spool, SpoolOptions};
use serde::Serialize;

use super::dataverse_target::io_failure;
use super::leads_spool::spool_failure;
use crate::exit::{ExitKind, Failure};
use crate::output::{self, Format};

/// Options of `leads import-table`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ImportArgs {
    /// The export: one MarketplaceLeads entity per line, as JSON (PartitionKey, RowKey,
    /// Timestamp, CustomerInfo, LeadSource, ...)
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,

    /// The spool `leads serve` uses (its SQLite file, created when missing, or its
    /// postgres:// URL)
    #[arg(long, value_name = "PATH|URL", default_value = "leads.db")]
    pub(crate) spool: String,

    /// Read and count only; write nothing
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// The name the import's records are kept under (one per table)
    #[arg(long, value_name = "NAME", default_value = DEFAULT_SOURCE)]
    pub(crate) source: String,

    /// Import at most this many rows (oldest first); the next run carries on
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) limit: Option<u64>,
}

/// The `--json` answer.
#[derive(Debug, Serialize)]
struct ImportJson {
    dry_run: bool,
    lines: u64,
    blank: u64,
    imported: u64,
    already_queued: u64,
    already_imported: u64,
    created_from_timestamp: u64,
    left_for_next_run: u64,
    rejected: u64,
    rejected_before: u64,
    watermark: Option<String>,
}

/// Runs `leads import-table`.
pub(crate) async fn run(args: &ImportArgs, format: Format) -> Result<(), Failure> {
    let contents = tokio::fs::read(&args.file).await.map_err(|e| {
        Failure::usage(format!("cannot read {}: {e}", args.file.display()))
            .with_fix("give the path of the table export (JSON lines)")
    })?;
    let spool = Spool::open(&args.spool, SpoolOptions::default())
        .await
        .map_err(|e| spool_failure(&e))?;
    let mut options = ImportOptions::default()
        .source(args.source.clone())
        .dry_run(args.dry_run);
    if let Some(limit) = args.limit {
        options = options.limit(limit);
    }
    let report = import_table(&spool, &contents, &options)
        .await
        .map_err(|e| match e {
            ImportError::Config(_) => Failure::usage(e.to_string()),
            ImportError::Spool(spool) => spool_failure(&spool),
            other => Failure::new(ExitKind::Service, other.to_string()),
        })?;
    match format {
        Format::Json => output::print_json(&json(&report)),
        Format::Human => output::print_text(&text(&report)),
    }
    .map_err(io_failure)
}

fn json(report: &ImportReport) -> ImportJson {
    ImportJson {
        dry_run: report.dry_run,
        lines: report.lines,
        blank: report.blank,
        imported: report.imported,
        already_queued: report.already_queued,
        already_imported: report.already_imported,
        created_from_timestamp: report.created_from_timestamp,
        left_for_next_run: report.left_for_next_run,
        rejected: report.rejected,
        rejected_before: report.rejected_before,
        watermark: report.watermark.as_ref().map(ToString::to_string),
    }
}

fn text(report: &ImportReport) -> String {
    let mut text = report.to_string();
    if report.rejected > 0 && !report.dry_run {
        text.push_str(
            "Bad lines are in the dead letters, with their line numbers: `d365 leads status`.\n",
        );
    }
    if report.dry_run {
        text.push_str("Dry run: nothing was written.\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_points_to_the_dead_letters_and_says_dry_runs() {
        let mut report = ImportReport::default();
        report.lines = 3;
        report.imported = 2;
        report.rejected = 1;
        let shown = text(&report);
        assert!(shown.contains("imported 2"), "{shown}");
        assert!(shown.contains("leads status"), "{shown}");
        let mut dry = report.clone();
        dry.dry_run = true;
        assert!(text(&dry).contains("Dry run"));
        assert_eq!(serde_json::to_value(json(&dry)).unwrap()["rejected"], 1);
    }
}
