//! A table's names: logical name, entity set name and primary id column, read from
//! `EntityDefinitions` once per client (clones share the cache), so callers may name a table
//! either way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dynamics_http::Method;
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::options::RequestOptions;
use crate::query::checked_name;
use crate::query::encode::query_value;

/// The names Dataverse gives one table. From [`DataverseClient::resolve_table`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableNames {
    /// The logical name (`account`): `@odata.type` is `Microsoft.Dynamics.CRM.{logical_name}`.
    pub logical_name: String,
    /// The entity set name (`accounts`): the URL segment of the table's rows.
    pub entity_set: String,
    /// The primary id column (`accountid`).
    pub primary_id: String,
    /// `TableType` as the service answered it (`Standard`, `Elastic`, `Virtual`), when it did.
    pub table_type: Option<String>,
}

impl TableNames {
    /// `Some(true)` for an elastic table, `Some(false)` for any other type, `None` when the
    /// service did not say.
    pub fn is_elastic(&self) -> Option<bool> {
        self.table_type
            .as_deref()
            .map(|t| t.eq_ignore_ascii_case("elastic"))
    }
}

/// One `EntityDefinitions` member, as much of it as the names need.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Definition {
    logical_name: Option<String>,
    entity_set_name: Option<String>,
    primary_id_attribute: Option<String>,
    table_type: Option<String>,
}

#[derive(Deserialize)]
struct Definitions {
    #[serde(default)]
    value: Vec<Definition>,
}

/// What the client has learnt about tables, shared by its clones: names per name given, and
/// which bulk messages each table offers.
#[derive(Default)]
pub(crate) struct TableCache {
    /// One cell per name asked for; concurrent callers for a name wait on the same cell.
    names: Mutex<HashMap<String, Arc<OnceCell<TableNames>>>>,
    /// Bulk message support per table and message.
    pub(crate) bulk: crate::bulk::MessageSupport,
}

impl TableCache {
    fn cell(&self, name: &str) -> Arc<OnceCell<TableNames>> {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(names.entry(name.to_string()).or_default())
    }

    /// Remembers `names` under both its names, so asking with the other one costs nothing.
    fn remember(&self, names: &TableNames) {
        for key in [&names.logical_name, &names.entity_set] {
            // Already set (or being resolved) is fine: it resolves to the same table.
            let _ = self.cell(key).set(names.clone());
        }
    }
}

/// `$select` and `$filter` matching a table by either name. `name` must already be checked
/// (letters, digits and `_` only), so it needs no quoting beyond the query encoding.
///
/// UNCONFIRMED: "Query table definitions using the Web API" says `$filter` works on any
/// primitive property but does not show `or`; if the service refuses it, [`resolve`] falls
/// back to one filter per name.
fn query(filter: &str) -> String {
    format!(
        "EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute,TableType&$filter={}",
        query_value(filter)
    )
}

impl DataverseClient {
    /// A table's logical name, entity set name and primary id column, given either name
    /// (`"account"` or `"accounts"`). Read once from `EntityDefinitions` and cached for the
    /// client and its clones; concurrent callers for the same name share one request.
    ///
    /// A table the org does not have is [`DataverseError::NotFound`].
    pub async fn resolve_table(&self, name: &str) -> Result<TableNames> {
        let name = checked_name("table name", name)?;
        let cell = self.tables().cell(&name);
        let names = cell.get_or_try_init(|| self.fetch_names(&name)).await?;
        self.tables().remember(names);
        Ok(names.clone())
    }

    async fn fetch_names(&self, name: &str) -> Result<TableNames> {
        let either = format!("EntitySetName eq '{name}' or LogicalName eq '{name}'");
        let found = match self.definitions(&either).await {
            // A service that refuses `or` in a metadata filter: one name at a time.
            Err(e) if e.status() == Some(400) => {
                let by_set = self
                    .definitions(&format!("EntitySetName eq '{name}'"))
                    .await?;
                if by_set.is_empty() {
                    self.definitions(&format!("LogicalName eq '{name}'"))
                        .await?
                } else {
                    by_set
                }
            }
            other => other?,
        };
        pick(name, found)
    }

    async fn definitions(&self, filter: &str) -> Result<Vec<Definition>> {
        let request = self.request(
            Method::Get,
            self.url(&query(filter))?,
            &RequestOptions::default(),
        );
        let response = self.send(request).await?;
        let definitions: Definitions = response.json()?;
        Ok(definitions.value)
    }
}

/// The member naming `name`: its set name first (a set name and another table's logical name
/// could coincide), then its logical name.
fn pick(name: &str, found: Vec<Definition>) -> Result<TableNames> {
    let mut complete: Vec<TableNames> = found
        .into_iter()
        .filter_map(|d| {
            Some(TableNames {
                logical_name: d.logical_name?,
                entity_set: d.entity_set_name?,
                primary_id: d.primary_id_attribute?,
                table_type: d.table_type,
            })
        })
        .collect();
    let by_set = complete
        .iter()
        .position(|t| t.entity_set.eq_ignore_ascii_case(name));
    let by_logical = complete
        .iter()
        .position(|t| t.logical_name.eq_ignore_ascii_case(name));
    match by_set.or(by_logical) {
        Some(i) => Ok(complete.swap_remove(i)),
        None => Err(DataverseError::NotFound {
            what: format!("a table named `{name}` (as entity set or logical name)"),
            fix: "check the spelling, or create the table first; a table only in a solution not yet imported does not exist yet".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(logical: &str, set: &str) -> Definition {
        Definition {
            logical_name: Some(logical.into()),
            entity_set_name: Some(set.into()),
            primary_id_attribute: Some(format!("{logical}id")),
            table_type: Some("Standard".into()),
        }
    }

    #[test]
    fn the_query_selects_the_names_and_filters_on_both() {
        let q = query("EntitySetName eq 'accounts' or LogicalName eq 'accounts'");
        assert_eq!(
            q,
            "EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute,TableType&$filter=EntitySetName%20eq%20'accounts'%20or%20LogicalName%20eq%20'accounts'"
        );
    }

    #[test]
    fn the_set_name_wins_over_another_tables_logical_name() {
        let found = vec![
            definition("accounts", "accountses"),
            definition("account", "accounts"),
        ];
        let names = pick("accounts", found).expect("found");
        assert_eq!(names.logical_name, "account");
        assert_eq!(names.primary_id, "accountid");
        assert_eq!(names.is_elastic(), Some(false));
    }

    #[test]
    fn nothing_found_or_incomplete_members_are_not_found() {
        let incomplete = Definition {
            logical_name: Some("x".into()),
            entity_set_name: None,
            primary_id_attribute: None,
            table_type: None,
        };
        let err = pick("x", vec![incomplete]).expect_err("incomplete");
        assert!(err.is_not_found(), "{err}");
        assert!(err.to_string().contains("`x`"), "{err}");
    }
}
