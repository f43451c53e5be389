//! `leads ...`: the marketplace lead intake and writer (the `lead-writer` crate).

use clap::Subcommand;

use super::dataverse_target::OrgInputs;
use super::leads_serve::{self, ServeArgs};
use super::leads_status::{self, RetryArgs, StatusArgs};
use crate::exit::Failure;
use crate::output::Format;

/// `d365 leads ...`
#[derive(Debug, Subcommand)]
pub(crate) enum LeadsCommand {
    /// Run the HTTPS endpoint the commercial marketplace posts leads to, and the writer that
    /// puts them into the org's lead table (--org-url or --environment). A lead is stored in
    /// the spool before it is acknowledged. The writer's application user needs Create on
    /// Lead and Read on the lead table's definition
    Serve(ServeArgs),
    /// Show the spool: queue depth, counts by state, the oldest due and received leads,
    /// parked leads and dead letters with their reasons, the last errors. Never lead data
    Status(StatusArgs),
    /// Put parked leads back in the queue (after fixing what parked them), due now with
    /// their attempts reset; prints how many
    Retry(RetryArgs),
}

/// Runs a `leads` command.
pub(crate) async fn run(
    command: &LeadsCommand,
    inputs: OrgInputs<'_>,
    format: Format,
) -> Result<(), Failure> {
    match command {
        LeadsCommand::Serve(args) => leads_serve::run(args, inputs).await,
        LeadsCommand::Status(args) => leads_status::status(args, format).await,
        LeadsCommand::Retry(args) => leads_status::retry(args, format).await,
    }
}
