//! The Dataverse side: the org's business units, teams and roles the rules name (the
//! catalogue), and the synced users (`systemusers` by `azureactivedirectoryobjectid`) with
//! their business unit, roles and team memberships.

use std::collections::{HashMap, HashSet};

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

/// The Entra object ids of the org's users synced from Entra (those with an
/// `azureactivedirectoryobjectid`): with the users the rules place, the population the
/// safety limit is measured against.
pub async fn synced_entra_ids(client: &DataverseClient) -> Result<HashSet<Uuid>> {
    #[derive(Deserialize)]
    struct Synced {
        #[serde(rename = "azureactivedirectoryobjectid", default)]
        entra_id: Option<Uuid>,
    }
    let query = Query::new("systemusers")
        .select(["systemuserid", "azureactivedirectoryobjectid"])
        .filter(Filter::is_not_null("azureactivedirectoryobjectid"));
    let rows: Vec<Synced> = client.records_typed(&query).try_collect().await?;
    Ok(rows.into_iter().filter_map(|r| r.entra_id).collect())
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
            let team = pick_team(&teams, &name)?;
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

/// The team a rule names: by id, else by name among the teams that are not a business unit's
/// default team (each unit has one, named like the unit, and membership in it is managed by
/// the service). A name several teams share is refused rather than guessed.
fn pick_team<'a>(teams: &'a [Team], name: &str) -> Result<&'a Team> {
    if let Ok(id) = Uuid::parse_str(name.trim()) {
        return teams
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| missing("team", name));
    }
    let named: Vec<&Team> = teams
        .iter()
        .filter(|t| t.is_default != Some(true))
        .filter(|t| {
            t.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name.trim()))
        })
        .collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(missing("team", name)),
        many => Err(SyncError::MissingInOrg {
            what: format!(
                "one team named '{name}' ({} teams share the name: {})",
                many.len(),
                many.iter()
                    .map(|t| t.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            fix: "give the team's id in the rules file instead of its name, or rename one of \
                  the teams"
                .to_owned(),
        }),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn team(name: &str, default: bool) -> Team {
        serde_json::from_value(serde_json::json!({
            "teamid": Uuid::new_v4(), "name": name, "isdefault": default
        }))
        .expect("team")
    }

    #[test]
    fn a_unit_default_team_is_never_picked_by_name() {
        let teams = [team("Sales", true), team("Sales", false)];
        assert_eq!(
            pick_team(&teams, "sales").expect("owner team").id,
            teams[1].id
        );
        let only_default = [team("Service", true)];
        assert!(matches!(
            pick_team(&only_default, "Service"),
            Err(SyncError::MissingInOrg { .. })
        ));
    }

    #[test]
    fn a_shared_team_name_is_refused_and_an_id_is_accepted() {
        let teams = [team("Ops", false), team("Ops", false)];
        let err = pick_team(&teams, "Ops").expect_err("ambiguous").to_string();
        assert!(err.contains("2 teams share the name"), "{err}");
        assert!(err.contains(&teams[0].id.to_string()), "{err}");
        let id = teams[1].id.to_string();
        assert_eq!(pick_team(&teams, &id).expect("by id").id, teams[1].id);
    }
}
