//! The Dataverse side: the org's business units, teams and roles the rules name (the
//! catalogue), and the synced users (`systemusers` by `azureactivedirectoryobjectid`) with
//! their business unit, roles and team memberships.

use std::collections::HashMap;

use dataverse_webapi::provisioning::{BusinessUnit, SecurityRole, Team};
use dataverse_webapi::{DataverseClient, Expand, Filter, Query};
use futures::TryStreamExt;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{Result, SyncError};
use crate::rules::RuleSet;

/// How many object ids go into one `$filter` (keeps the URL short).
const IDS_PER_QUERY: usize = 40;

/// A role a user holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HeldRole {
    /// `roleid` (the copy of the user's business unit).
    #[serde(rename = "roleid")]
    pub id: Uuid,
    /// The role's name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A team a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HeldTeam {
    /// `teamid`.
    #[serde(rename = "teamid")]
    pub id: Uuid,
    /// The team's name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A synced user as Dataverse has it (no personal data beyond ids).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrgUser {
    /// `systemuserid`.
    #[serde(rename = "systemuserid")]
    pub id: Uuid,
    /// `azureactivedirectoryobjectid`.
    #[serde(rename = "azureactivedirectoryobjectid", default)]
    pub entra_id: Option<Uuid>,
    /// `_businessunitid_value`.
    #[serde(rename = "_businessunitid_value", default)]
    pub business_unit: Option<Uuid>,
    /// `isdisabled` (a missing value reads as enabled).
    #[serde(rename = "isdisabled", default)]
    pub disabled: Option<bool>,
    /// Roles held directly.
    #[serde(rename = "systemuserroles_association", default)]
    pub roles: Vec<HeldRole>,
    /// Team memberships.
    #[serde(rename = "teammembership_association", default)]
    pub teams: Vec<HeldTeam>,
}

impl OrgUser {
    /// Whether the user is disabled.
    pub fn is_disabled(&self) -> bool {
        self.disabled == Some(true)
    }
}

/// The synced users with these Entra object ids, keyed by the id in lower case.
pub async fn read_users(
    client: &DataverseClient,
    entra_ids: &[Uuid],
) -> Result<HashMap<String, OrgUser>> {
    let mut out = HashMap::new();
    for chunk in entra_ids.chunks(IDS_PER_QUERY) {
        let query = Query::new("systemusers")
            .select([
                "systemuserid",
                "azureactivedirectoryobjectid",
                "_businessunitid_value",
                "isdisabled",
            ])
            .filter(Filter::any(
                chunk
                    .iter()
                    .map(|id| Filter::eq("azureactivedirectoryobjectid", *id)),
            ))
            .expand(Expand::new("systemuserroles_association").select(["roleid", "name"]))
            .expand(Expand::new("teammembership_association").select(["teamid", "name"]));
        let rows: Vec<OrgUser> = client.records_typed(&query).try_collect().await?;
        for row in rows {
            if let Some(entra) = row.entra_id {
                out.insert(entra.to_string(), row);
            }
        }
    }
    Ok(out)
}

/// The business units, teams and roles the rules name, looked up once per run.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    units: HashMap<String, BusinessUnit>,
    teams: HashMap<String, Team>,
    roles: HashMap<String, Vec<SecurityRole>>,
}

impl Catalog {
    /// Reads what `rules` names from the org; anything missing is a
    /// [`SyncError::MissingInOrg`] that names it and the rule set.
    pub async fn load(client: &DataverseClient, rules: &RuleSet) -> Result<Self> {
        let mut catalog = Catalog::default();
        let units = client.business_units().list().await?;
        for name in rules.business_units() {
            let unit = units
                .iter()
                .find(|u| {
                    u.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                })
                .ok_or_else(|| missing("business unit", &name))?;
            catalog.units.insert(name.to_lowercase(), unit.clone());
        }
        let teams = client.teams().list().await?;
        for name in rules.managed_teams() {
            let team = teams
                .iter()
                .find(|t| {
                    t.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                })
                .ok_or_else(|| missing("team", &name))?;
            catalog.teams.insert(name, team.clone());
        }
        for name in rules.managed_roles() {
            let copies: Vec<SecurityRole> = client
                .roles()
                .named(&name)
                .await?
                .into_iter()
                .filter(|r| {
                    r.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                })
                .collect();
            if copies.is_empty() {
                return Err(missing("security role", &name));
            }
            catalog.roles.insert(name, copies);
        }
        Ok(catalog)
    }

    /// A catalogue built in code (tests, callers that know the ids).
    pub fn from_parts(
        units: Vec<BusinessUnit>,
        teams: Vec<Team>,
        roles: Vec<SecurityRole>,
    ) -> Self {
        let mut catalog = Catalog::default();
        for u in units {
            if let Some(n) = u.name.clone() {
                catalog.units.insert(n.to_lowercase(), u);
            }
        }
        for t in teams {
            if let Some(n) = t.name.clone() {
                catalog.teams.insert(n.to_lowercase(), t);
            }
        }
        for r in roles {
            if let Some(n) = r.name.clone() {
                catalog.roles.entry(n.to_lowercase()).or_default().push(r);
            }
        }
        catalog
    }

    /// The business unit with this name.
    pub fn unit(&self, name: &str) -> Option<&BusinessUnit> {
        self.units.get(&name.to_lowercase())
    }

    /// The team with this name.
    pub fn team(&self, name: &str) -> Option<&Team> {
        self.teams.get(&name.to_lowercase())
    }

    /// The copy of a role for a business unit, else any copy (the service picks the unit's
    /// copy when it is assigned).
    pub fn role(&self, name: &str, unit: Option<Uuid>) -> Option<&SecurityRole> {
        let copies = self.roles.get(&name.to_lowercase())?;
        copies
            .iter()
            .find(|r| unit.is_some() && r.business_unit_id == unit)
            .or_else(|| copies.first())
    }
}

fn missing(kind: &str, name: &str) -> SyncError {
    SyncError::MissingInOrg {
        what: format!("a {kind} named '{name}' (the rules name it)"),
        fix: format!(
            "create the {kind} in the org (d365 or the admin centre), or correct the name in \
             the rules file"
        ),
    }
}
