//! Solutions: import a solution zip (synchronously or as a system job), list and find the
//! installed ones, and build a minimal solution zip holding security roles.
//!
//! ```no_run
//! # async fn run(client: dataverse_webapi::DataverseClient) -> dataverse_webapi::Result<()> {
//! use std::time::Duration;
//! use dataverse_webapi::provisioning::PrivilegeDepth;
//! use dataverse_webapi::solutions::{Publisher, RoleDefinition, SolutionBuilder};
//!
//! let zip = SolutionBuilder::new("LeadWriter", "1.0.0.0", Publisher::new("contoso", "Contoso", "cts", 10000))
//!     .role(RoleDefinition::new("Lead Writer").privilege("prvCreateLead", PrivilegeDepth::Organization))
//!     .build()
//!     .map_err(|e| dataverse_webapi::DataverseError::InvalidInput { what: "solution".into(), fix: e.to_string() })?;
//! let outcome = client.solutions().import(zip).asynchronously().timeout(Duration::from_secs(600)).await?;
//! for warning in &outcome.warnings {
//!     println!("warning: {}", warning.message);
//! }
//! let installed = client.solutions().find("LeadWriter").await?;
//! # Ok(()) }
//! ```

mod import;
mod job_result;
mod list;
mod package;
mod poll;
mod status;

use uuid::Uuid;

use crate::client::DataverseClient;

pub use import::{DEFAULT_IMPORT_TIMEOUT, DEFAULT_POLL_INTERVAL, Import};
pub use list::{FindSolution, ListSolutions, PublisherInfo, SolutionInfo};
pub use package::{
    Publisher, RoleDefinition, SolutionBuilder, SolutionPackageError, SolutionPrivilegeLevel,
};
pub use poll::MIN_POLL_INTERVAL;
pub use status::{AsyncOperationState, AsyncOperationStatus};

impl DataverseClient {
    /// The org's solutions: import, list, find.
    pub fn solutions(&self) -> Solutions {
        Solutions {
            client: self.clone(),
        }
    }
}

/// Solution operations on one org. From [`DataverseClient::solutions`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct Solutions {
    client: DataverseClient,
}

impl Solutions {
    /// Imports a solution zip (its bytes, as [`SolutionBuilder::build`] or an export gives
    /// them). Synchronous unless [`Import::asynchronously`].
    pub fn import(&self, zip: impl Into<Vec<u8>>) -> Import {
        Import::new(self.clone(), zip.into())
    }

    /// Lists the visible solutions, sorted by unique name.
    pub fn list(&self) -> ListSolutions {
        ListSolutions::new(self.clone())
    }

    /// Finds a solution by unique name.
    pub fn find(&self, unique_name: impl Into<String>) -> FindSolution {
        FindSolution::new(self.clone(), unique_name.into())
    }
}

/// A successful import. A failed one is [`DataverseError::SolutionImportFailed`](crate::DataverseError::SolutionImportFailed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOutcome {
    /// The import job; its `data` column holds the full log. `None` when an asynchronous
    /// import's `ImportJobKey` was not a GUID.
    pub import_job_id: Option<Uuid>,
    /// The system job of an asynchronous import.
    pub async_operation_id: Option<Uuid>,
    /// The solution's unique name, from the import job.
    pub solution_unique_name: Option<String>,
    /// The solution's version, from the import job's result.
    pub version: Option<String>,
    /// Warnings in the import job's result (at most 1000).
    pub warnings: Vec<ImportWarning>,
}

/// A warning in an import job's result (an element with `result="warning"`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportWarning {
    /// The `errortext`.
    pub message: String,
    /// The component it is about, such as `entity Lead`, when the result names one.
    pub component: Option<String>,
}
