//! What every provisioning handle shares: collecting rows across pages, the errors for
//! missing rows, and recognising the service's "already exists" answer.

use futures::TryStreamExt;
use serde::de::DeserializeOwned;

use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::query::Query;

/// Every row of a query, as a serde type.
pub(crate) async fn collect<T: DeserializeOwned + Send + 'static>(
    client: &DataverseClient,
    query: &Query,
) -> Result<Vec<T>> {
    client.records_typed(query).try_collect().await
}

/// Every row of a collection addressed by a path relative to the API root (a navigation
/// property such as `systemusers(<id>)/systemuserroles_association?$select=...`).
pub(crate) async fn collect_path<T: DeserializeOwned>(
    client: &DataverseClient,
    relative: &str,
) -> Result<Vec<T>> {
    let pages: Vec<crate::Page> = client
        .pages_from_link(relative, None, None)
        .try_collect()
        .await?;
    pages
        .iter()
        .flat_map(|page| page.value.iter())
        .map(|row| row.to_typed())
        .collect()
}

/// A missing row, with what to do about it.
pub(crate) fn not_found(what: impl Into<String>, fix: impl Into<String>) -> DataverseError {
    DataverseError::NotFound {
        what: what.into(),
        fix: fix.into(),
    }
}

/// `0x80040237` (DuplicateRecord): "A record with matching key values already exists", which
/// Dataverse answers (with 412) to a second create of the same application user and to an
/// association that is already there.
pub(crate) fn is_duplicate(error: &DataverseError) -> bool {
    error
        .code()
        .is_some_and(|code| code.eq_ignore_ascii_case("0x80040237") || code == "-2147220937")
}

/// `$select` lists shared by the handles.
pub(crate) mod columns {
    /// An application user.
    pub(crate) const APP_USER: [&str; 8] = [
        "systemuserid",
        "applicationid",
        "fullname",
        "internalemailaddress",
        "isdisabled",
        "deletedstate",
        "_businessunitid_value",
        "azureactivedirectoryobjectid",
    ];
    /// A security role.
    pub(crate) const ROLE: [&str; 4] = [
        "roleid",
        "name",
        "_businessunitid_value",
        "_parentrootroleid_value",
    ];
    /// A business unit.
    pub(crate) const BUSINESS_UNIT: [&str; 4] = [
        "businessunitid",
        "name",
        "_parentbusinessunitid_value",
        "isdisabled",
    ];
    /// A team.
    pub(crate) const TEAM: [&str; 7] = [
        "teamid",
        "name",
        "teamtype",
        "_businessunitid_value",
        "azureactivedirectoryobjectid",
        "isdefault",
        "membershiptype",
    ];
}
