//! `leads ...`: the marketplace lead intake and writer (the `lead-writer` crate).

use clap::Subcommand;

use super::dataverse_target::OrgInputs;
use super::leads_serve::{self, ServeArgs};
use crate::exit::Failure;

/// `d365 leads ...`
#[derive(Debug, Subcommand)]
pub(crate) enum LeadsCommand {
    /// Run the HTTPS endpoint the commercial marketplace posts leads to, and the writer that
    /// puts them into the org's lead table (--org-url or --environment). A lead is stored in
    /// the spool before it is acknowledged. The writer's application user needs Create on
    /// Lead and Read on the lead table's definition
    Serve(ServeArgs),
}

/// Runs a `leads` command.
pub(crate) async fn run(command: &LeadsCommand, inputs: OrgInputs<'_>) -> Result<(), Failure> {
    match command {
        LeadsCommand::Serve(args) => leads_serve::run(args, inputs).await,
    }
}
