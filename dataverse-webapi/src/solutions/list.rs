//! Reading the org's solutions: all visible ones, or one by unique name (and version).

use futures::TryStreamExt;
use serde::Deserialize;
use uuid::Uuid;

use super::Solutions;
use crate::error::{DataverseError, Result};
use crate::query::{Expand, Filter, Order};
use crate::table::TableQuery;

const COLUMNS: [&str; 6] = [
    "solutionid",
    "uniquename",
    "friendlyname",
    "version",
    "ismanaged",
    "installedon",
];
const PUBLISHER_COLUMNS: [&str; 3] = ["uniquename", "friendlyname", "customizationprefix"];

/// A solution installed in the org.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SolutionInfo {
    /// `solutionid`.
    pub id: Option<Uuid>,
    /// `uniquename`.
    pub unique_name: String,
    /// `friendlyname`.
    pub friendly_name: Option<String>,
    /// `version` (`1.0.0.0`).
    pub version: Option<String>,
    /// `ismanaged`.
    pub managed: Option<bool>,
    /// `installedon`, as the service wrote it.
    pub installed_on: Option<String>,
    /// The publisher (`publisherid`).
    pub publisher: Option<PublisherInfo>,
}

/// The publisher of a [`SolutionInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublisherInfo {
    /// `uniquename`.
    pub unique_name: Option<String>,
    /// `friendlyname`.
    pub friendly_name: Option<String>,
    /// `customizationprefix`.
    pub customization_prefix: Option<String>,
}

#[derive(Deserialize)]
struct SolutionRow {
    solutionid: Option<Uuid>,
    uniquename: Option<String>,
    friendlyname: Option<String>,
    version: Option<String>,
    ismanaged: Option<bool>,
    installedon: Option<String>,
    publisherid: Option<PublisherRow>,
}

#[derive(Deserialize)]
struct PublisherRow {
    uniquename: Option<String>,
    friendlyname: Option<String>,
    customizationprefix: Option<String>,
}

impl TryFrom<SolutionRow> for SolutionInfo {
    type Error = DataverseError;

    fn try_from(row: SolutionRow) -> Result<Self> {
        let unique_name = row.uniquename.filter(|n| !n.is_empty()).ok_or_else(|| {
            DataverseError::UnexpectedResponse(
                "a solutions row has no uniquename; it cannot be named".into(),
            )
        })?;
        Ok(SolutionInfo {
            id: row.solutionid,
            unique_name,
            friendly_name: row.friendlyname,
            version: row.version,
            managed: row.ismanaged,
            installed_on: row.installedon,
            publisher: row.publisherid.map(|p| PublisherInfo {
                unique_name: p.uniquename,
                friendly_name: p.friendlyname,
                customization_prefix: p.customizationprefix,
            }),
        })
    }
}

fn base_query(solutions: &Solutions) -> TableQuery {
    solutions
        .client
        .table("solutions")
        .query()
        .select(COLUMNS)
        .expand(Expand::new("publisherid").select(PUBLISHER_COLUMNS))
}

async fn collect(query: TableQuery) -> Result<Vec<SolutionInfo>> {
    let rows: Vec<SolutionRow> = query.records_typed().try_collect().await?;
    rows.into_iter().map(SolutionInfo::try_from).collect()
}

/// Lists the org's solutions. From [`Solutions::list`].
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct ListSolutions {
    solutions: Solutions,
    include_hidden: bool,
}

impl ListSolutions {
    pub(crate) fn new(solutions: Solutions) -> Self {
        ListSolutions {
            solutions,
            include_hidden: false,
        }
    }

    /// Also list the solutions the maker portal hides (`isvisible eq false`, such as
    /// `Active` and `Default`).
    pub fn include_hidden(mut self) -> Self {
        self.include_hidden = true;
        self
    }

    /// The query this sends.
    pub fn query(&self) -> TableQuery {
        let query = base_query(&self.solutions).order_by("uniquename", Order::Asc);
        if self.include_hidden {
            query
        } else {
            query.filter(Filter::eq("isvisible", true))
        }
    }

    /// Sends the query and collects every solution (the same as awaiting the builder).
    pub async fn send(self) -> Result<Vec<SolutionInfo>> {
        collect(self.query()).await
    }
}

send_on_await!([] ListSolutions => Vec<SolutionInfo>, 'static);

/// Finds one solution by unique name, and optionally version. From [`Solutions::find`].
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct FindSolution {
    solutions: Solutions,
    unique_name: String,
    version: Option<String>,
}

impl FindSolution {
    pub(crate) fn new(solutions: Solutions, unique_name: String) -> Self {
        FindSolution {
            solutions,
            unique_name,
            version: None,
        }
    }

    /// Only if it is installed at this version (`1.0.0.0`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The query this sends.
    pub fn query(&self) -> TableQuery {
        let mut filter = Filter::eq("uniquename", self.unique_name.as_str());
        if let Some(version) = &self.version {
            filter = filter.and(Filter::eq("version", version.as_str()));
        }
        base_query(&self.solutions).filter(filter).top(1)
    }

    /// Sends the query (the same as awaiting the builder): `None` when no such solution is
    /// installed (at that version).
    pub async fn send(self) -> Result<Option<SolutionInfo>> {
        if self.unique_name.trim().is_empty() {
            return Err(DataverseError::invalid(
                "solution unique name",
                "pass the solution's unique name (not empty)",
            ));
        }
        let found = collect(self.query()).await?;
        Ok(found.into_iter().next())
    }
}

send_on_await!([] FindSolution => Option<SolutionInfo>, 'static);
