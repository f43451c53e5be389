//! `leads status` and `leads retry`: an operator's look at the spool and the putting back of
//! parked leads. The rendering is in [`super::leads_report`].

use clap::{ArgGroup, Args};
use lead_writer::spool::{ParkedFilter, SpoolId};
use serde::Serialize;
use time::OffsetDateTime;

use super::dataverse_target::io_failure;
use super::leads_report::StatusReport;
use super::leads_spool::{open_existing, spool_failure};
use crate::exit::Failure;
use crate::output::{self, Format};

/// Options of `leads status`.
#[derive(Debug, Clone, Args)]
pub(crate) struct StatusArgs {
    /// The spool `leads serve` uses: its SQLite file or its postgres:// URL
    #[arg(long, value_name = "PATH|URL", default_value = "leads.db")]
    pub(crate) spool: String,

    /// Most parked items and dead letters listed (each)
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) limit: u32,
}

/// Options of `leads retry`: exactly one of --all, --id, --error-contains.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["all", "id", "error_contains"])))]
pub(crate) struct RetryArgs {
    /// The spool `leads serve` uses: its SQLite file or its postgres:// URL
    #[arg(long, value_name = "PATH|URL", default_value = "leads.db")]
    pub(crate) spool: String,

    /// Put back every parked lead
    #[arg(long)]
    pub(crate) all: bool,

    /// Put back these parked items (ids from `leads status`); ids not parked are skipped
    #[arg(long, value_name = "ID", num_args = 1..,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) id: Vec<i64>,

    /// Put back the parked items whose error contains this text (case-sensitive), e.g. a
    /// Dataverse error code after fixing its cause
    #[arg(long, value_name = "TEXT")]
    pub(crate) error_contains: Option<String>,
}

/// Runs `leads status`.
pub(crate) async fn status(args: &StatusArgs, format: Format) -> Result<(), Failure> {
    let spool = open_existing(&args.spool).await?;
    let status = spool.status().await.map_err(|e| spool_failure(&e))?;
    let parked = spool
        .parked(args.limit)
        .await
        .map_err(|e| spool_failure(&e))?;
    let dead = spool
        .dead_letters(args.limit)
        .await
        .map_err(|e| spool_failure(&e))?;
    let report = StatusReport::new(
        spool.location(),
        &status,
        &parked,
        &dead,
        OffsetDateTime::now_utc(),
    );
    match format {
        Format::Json => output::print_json(&report),
        Format::Human => output::print_text(&report.text()),
    }
    .map_err(io_failure)
}

/// The `--json` answer of `leads retry`.
#[derive(Debug, Clone, Serialize)]
struct RetryJson {
    /// Parked items made pending again, due now.
    put_back: u64,
}

/// Runs `leads retry`.
pub(crate) async fn retry(args: &RetryArgs, format: Format) -> Result<(), Failure> {
    let filter = filter(args)?;
    let spool = open_existing(&args.spool).await?;
    let put_back = spool
        .retry_parked(&filter)
        .await
        .map_err(|e| spool_failure(&e))?;
    match format {
        Format::Json => output::print_json(&RetryJson { put_back }),
        Format::Human => output::print_text(&retry_text(put_back)),
    }
    .map_err(io_failure)
}

/// The chosen items; an empty --error-contains would match every error, so it must say so
/// with --all instead.
fn filter(args: &RetryArgs) -> Result<ParkedFilter, Failure> {
    if args.all {
        return Ok(ParkedFilter::All);
    }
    if let Some(text) = &args.error_contains {
        if text.trim().is_empty() {
            return Err(Failure::usage("--error-contains is empty")
                .with_fix("give part of the error `d365 leads status` shows, or use --all"));
        }
        return Ok(ParkedFilter::ErrorContains(text.clone()));
    }
    Ok(ParkedFilter::Ids(
        args.id.iter().copied().map(SpoolId).collect(),
    ))
}

fn retry_text(put_back: u64) -> String {
    match put_back {
        0 => "No parked lead matched; nothing was put back.\n".to_owned(),
        1 => {
            "Put 1 parked lead back in the queue (due now; its attempts start again).\n".to_owned()
        }
        n => format!(
            "Put {n} parked leads back in the queue (due now; their attempts start again).\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(extra: &[&str]) -> Result<RetryArgs, clap::Error> {
        let mut argv = vec!["d365", "leads", "retry"];
        argv.extend_from_slice(extra);
        let cli = crate::cli::Cli::try_parse_from(argv)?;
        match cli.command {
            crate::cli::Command::Leads(super::super::leads::LeadsCommand::Retry(a)) => Ok(a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_takes_exactly_one_choice() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["--all", "--id", "3"]).is_err());
        assert!(parse(&["--id", "0"]).is_err());
        assert_eq!(
            filter(&parse(&["--all"]).unwrap()).unwrap(),
            ParkedFilter::All
        );
        assert_eq!(
            filter(&parse(&["--id", "3", "9"]).unwrap()).unwrap(),
            ParkedFilter::Ids(vec![SpoolId(3), SpoolId(9)])
        );
        assert_eq!(
            filter(&parse(&["--error-contains", "0x80040220"]).unwrap()).unwrap(),
            ParkedFilter::ErrorContains("0x80040220".to_owned())
        );
        let err = filter(&parse(&["--error-contains", " "]).unwrap()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn retry_says_how_many() {
        assert!(retry_text(0).starts_with("No parked lead"));
        assert!(retry_text(1).starts_with("Put 1 parked lead back"));
        assert!(retry_text(4).starts_with("Put 4 parked leads back"));
    }
}
