//! Teams: owner teams and teams bound to Entra groups (with their membership type), and the
//! membership of owner teams.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::model::{MembershipType, Team, TeamType};
use super::read::{collect, collect_path, columns, is_duplicate};
use crate::client::DataverseClient;
use crate::error::Result;
use crate::query::{Filter, Query};
use crate::record::Record;

impl DataverseClient {
    /// Teams: [`Teams::create`], [`Teams::find`], [`Teams::add_members`],
    /// [`Teams::remove_members`].
    pub fn teams(&self) -> Teams {
        Teams {
            client: self.clone(),
        }
    }
}

/// The org's teams. From [`DataverseClient::teams`].
#[derive(Clone)]
pub struct Teams {
    client: DataverseClient,
}

impl fmt::Debug for Teams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Teams").finish_non_exhaustive()
    }
}

const MEMBERSHIP: &str = "teammembership_association";
/// Users looked up per membership request (an `or` of this many ids keeps the URL short).
const MEMBERS_PER_LOOKUP: usize = 40;

impl Teams {
    fn query(&self) -> Query {
        Query::new("teams").select(columns::TEAM)
    }

    /// One team by id.
    pub async fn get(&self, id: Uuid) -> Result<Team> {
        self.client
            .table("teams")
            .retrieve(id)
            .select(columns::TEAM)
            .typed()
            .await
    }

    /// The team with this name, if any (the first when several share it).
    pub async fn find(&self, name: &str) -> Result<Option<Team>> {
        let rows: Vec<Team> =
            collect(&self.client, &self.query().filter(Filter::eq("name", name))).await?;
        Ok(rows.into_iter().next())
    }

    /// Every team.
    pub async fn list(&self) -> Result<Vec<Team>> {
        collect(&self.client, &self.query()).await
    }

    /// Creates a team: an owner team in the root business unit unless the builder says
    /// otherwise.
    pub fn create(&self, name: impl Into<String>) -> CreateTeam {
        CreateTeam {
            teams: self.clone(),
            name: name.into(),
            business_unit: None,
            group: None,
            membership: None,
        }
    }

    /// The `systemuserid`s of the team's members.
    pub async fn members(&self, team: Uuid) -> Result<Vec<Uuid>> {
        let rows: Vec<Record> = collect_path(
            &self.client,
            &format!("teams({team})/{MEMBERSHIP}?$select=systemuserid"),
        )
        .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.get_guid("systemuserid"))
            .collect())
    }

    /// Which of `users` are members of the team: their rows of the membership only, a few
    /// dozen ids a request, so adding one user to a team of thousands reads one row, not
    /// the whole team.
    async fn members_among(&self, team: Uuid, users: &[Uuid]) -> Result<HashSet<Uuid>> {
        let mut found = HashSet::new();
        for chunk in users.chunks(MEMBERS_PER_LOOKUP) {
            let filter = chunk
                .iter()
                .map(|id| format!("systemuserid eq {id}"))
                .collect::<Vec<_>>()
                .join(" or ");
            let rows: Vec<Record> = collect_path(
                &self.client,
                &format!("teams({team})/{MEMBERSHIP}?$select=systemuserid&$filter={filter}"),
            )
            .await?;
            found.extend(rows.iter().filter_map(|r| r.get_guid("systemuserid")));
        }
        Ok(found)
    }

    /// Adds users to an owner or access team; members already there are left as they are.
    /// Answers how many were added. (The members of an Entra group team come from the group.)
    pub async fn add_members(
        &self,
        team: Uuid,
        users: impl IntoIterator<Item = Uuid>,
    ) -> Result<usize> {
        let users: Vec<Uuid> = users.into_iter().collect();
        let current = self.members_among(team, &users).await?;
        let mut added = 0;
        for user in users {
            if current.contains(&user) {
                continue;
            }
            match self
                .client
                .associate("teams", team, MEMBERSHIP, "systemusers", user)
                .await
            {
                Ok(()) => added += 1,
                Err(e) if is_duplicate(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(added)
    }

    /// Removes users from a team; users who are not members are skipped. Answers how many were
    /// removed.
    pub async fn remove_members(
        &self,
        team: Uuid,
        users: impl IntoIterator<Item = Uuid>,
    ) -> Result<usize> {
        let users: Vec<Uuid> = users.into_iter().collect();
        let current = self.members_among(team, &users).await?;
        let mut removed = 0;
        for user in users {
            if !current.contains(&user) {
                continue;
            }
            match self
                .client
                .disassociate("teams", team, MEMBERSHIP, Some(("systemusers", user)))
                .await
            {
                Ok(()) => removed += 1,
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}

/// Creates a team. From [`Teams::create`].
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct CreateTeam {
    teams: Teams,
    name: String,
    business_unit: Option<Uuid>,
    group: Option<(Uuid, TeamType)>,
    membership: Option<MembershipType>,
}

impl CreateTeam {
    /// The team's business unit (the root one when never called).
    pub fn business_unit(mut self, id: Uuid) -> Self {
        self.business_unit = Some(id);
        self
    }

    /// A team bound to an Entra security group (its object id): `teamtype` 2.
    pub fn entra_security_group(mut self, object_id: Uuid) -> Self {
        self.group = Some((object_id, TeamType::EntraSecurityGroup));
        self
    }

    /// A team bound to a Microsoft 365 group (its object id): `teamtype` 3.
    pub fn entra_office_group(mut self, object_id: Uuid) -> Self {
        self.group = Some((object_id, TeamType::EntraOfficeGroup));
        self
    }

    /// Which members of the group belong to the team (group teams only; the service's
    /// default, members and guests, when never called).
    pub fn membership(mut self, membership: MembershipType) -> Self {
        self.membership = Some(membership);
        self
    }

    /// The row to create.
    pub(crate) fn body(&self, business_unit: Uuid) -> Value {
        let mut row = Map::new();
        row.insert("name".into(), json!(self.name));
        let team_type = self.group.map_or(TeamType::Owner, |(_, t)| t);
        row.insert("teamtype".into(), json!(team_type.value()));
        row.insert(
            "businessunitid@odata.bind".into(),
            json!(format!("/businessunits({business_unit})")),
        );
        if let Some((object_id, _)) = self.group {
            row.insert("azureactivedirectoryobjectid".into(), json!(object_id));
            if let Some(m) = self.membership {
                row.insert("membershiptype".into(), json!(m.value()));
            }
        }
        Value::Object(row)
    }

    /// Sends the requests (the same as awaiting the builder); answers the team as stored.
    pub async fn send(self) -> Result<Team> {
        let client = &self.teams.client;
        let unit = match self.business_unit {
            Some(id) => id,
            None => client.business_units().root().await?.id,
        };
        let id = client.table("teams").create(&self.body(unit)).await?;
        self.teams.get(id).await
    }
}

send_on_await!([] CreateTeam => Team, 'static);
