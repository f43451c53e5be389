//! `leads ...`: the marketplace lead intake and writer (the `lead-writer` crate).

use clap::Subcommand;

use super::dataverse_target::OrgInputs;
use super::leads_import::{self, ImportArgs};
use super::leads_serve::{self, ServeArgs};
use super::leads_setup::{self, SetupArgs};
use super::leads_status::{self, RetryArgs, StatusArgs};
use super::leads_validate::{self, ValidateArgs};
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
    /// Set the org up for the writer, safely again and again: import the lead writer
    /// solution (its role with the lead privileges), ensure the application user of --app-id,
    /// give it the role plus the two extra privileges Microsoft's lead writer needs; then print
    /// the URL to paste into Partner Center (with --public-url). Needs System Administrator in
    /// the org
    Setup(SetupArgs),
    /// Send a test lead (Microsoft's MSFT_TEST_ shape) through the running endpoint and wait
    /// until it is in the org's lead table; prints its id and subject
    Validate(ValidateArgs),
    /// Import an Azure Table destination's MarketplaceLeads export (JSON lines) into the
    /// spool, oldest first; the spool records each row imported, so a re-run imports only the rest.
    /// Bad lines go to the dead letters with their line numbers
    ImportTable(ImportArgs),
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
        LeadsCommand::Setup(args) => leads_setup::run(args, inputs, format).await,
        LeadsCommand::Validate(args) => leads_validate::run(args, inputs, format).await,
        LeadsCommand::ImportTable(args) => leads_import::run(args, format).await,
    }
}
