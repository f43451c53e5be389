//! Security roles: find by name in a business unit, list a principal's roles, assign and
//! remove (idempotent), for users and teams.

use std::fmt;

use uuid::Uuid;

use super::model::{BusinessUnit, Principal, SecurityRole};
use super::read::{collect, collect_path, columns, is_duplicate, not_found};
use crate::client::DataverseClient;
use crate::error::Result;
use crate::query::{Filter, Query};
use crate::record::Record;

impl DataverseClient {
    /// Security roles: [`Roles::find`], [`Roles::of`], [`Roles::assign`], [`Roles::remove`],
    /// and their privileges ([`Roles::privileges`], [`Roles::add_privileges`], ...).
    pub fn roles(&self) -> Roles {
        Roles {
            client: self.clone(),
        }
    }
}

/// The org's security roles. From [`DataverseClient::roles`].
#[derive(Clone)]
pub struct Roles {
    pub(crate) client: DataverseClient,
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roles").finish_non_exhaustive()
    }
}

impl Roles {
    fn query(&self) -> Query {
        Query::new("roles").select(columns::ROLE)
    }

    /// Finds the role named `name` in a business unit (the root one unless
    /// [`FindRole::in_business_unit`] or [`FindRole::in_business_unit_of`] says otherwise).
    /// Roles exist once per business unit; when the unit has none of that name, the
    /// [`DataverseError::NotFound`](crate::DataverseError::NotFound) names the units that do.
    pub fn find(&self, name: impl Into<String>) -> FindRole {
        FindRole {
            roles: self.clone(),
            name: name.into(),
            unit: UnitChoice::Root,
        }
    }

    /// One role by id.
    pub async fn get(&self, id: Uuid) -> Result<SecurityRole> {
        self.client
            .table("roles")
            .retrieve(id)
            .select(columns::ROLE)
            .typed()
            .await
    }

    /// Every copy of the roles named `name`, one per business unit.
    pub async fn named(&self, name: &str) -> Result<Vec<SecurityRole>> {
        collect(&self.client, &self.query().filter(Filter::eq("name", name))).await
    }

    /// The roles of one business unit.
    pub async fn in_business_unit(&self, business_unit: Uuid) -> Result<Vec<SecurityRole>> {
        collect(
            &self.client,
            &self
                .query()
                .filter(Filter::eq("_businessunitid_value", business_unit)),
        )
        .await
    }

    /// The roles a principal holds directly (not those it has through its teams).
    pub async fn of(&self, principal: Principal) -> Result<Vec<SecurityRole>> {
        collect_path(
            &self.client,
            &format!(
                "{}({})/{}?$select={}",
                principal.entity_set(),
                principal.id(),
                principal.roles_navigation(),
                columns::ROLE.join(",")
            ),
        )
        .await
    }

    /// The roles of a user; see [`Roles::of`].
    pub async fn of_user(&self, user: Uuid) -> Result<Vec<SecurityRole>> {
        self.of(Principal::User(user)).await
    }

    /// The roles of a team; see [`Roles::of`].
    pub async fn of_team(&self, team: Uuid) -> Result<Vec<SecurityRole>> {
        self.of(Principal::Team(team)).await
    }

    /// The business unit of a user or team.
    pub(crate) async fn unit_of(&self, principal: Principal) -> Result<Uuid> {
        let row: Record = self
            .client
            .table(principal.entity_set())
            .retrieve(principal.id())
            .select(["_businessunitid_value"])
            .await?;
        row.get_guid("_businessunitid_value").ok_or_else(|| {
            not_found(
                format!(
                    "the business unit of {} {}",
                    principal.kind(),
                    principal.id()
                ),
                "check that the signed-in principal may read it",
            )
        })
    }

    /// The copy of a role (by its root role id) that lives in `unit`.
    async fn copy_in(&self, root_role: Uuid, unit: Uuid) -> Result<Option<SecurityRole>> {
        let filter = Filter::eq("roleid", root_role)
            .or(Filter::eq("_parentrootroleid_value", root_role))
            .and(Filter::eq("_businessunitid_value", unit));
        let rows: Vec<SecurityRole> = collect(&self.client, &self.query().filter(filter)).await?;
        Ok(rows.into_iter().next())
    }

    /// Gives `principal` the role `role`; awaited, answers the role actually assigned.
    ///
    /// Idempotent: a role already held is success. Given a role of another business unit,
    /// the copy in the principal's own unit is assigned (found through `parentrootroleid`),
    /// as the classic business unit model requires, unless [`AssignRole::as_given`] says
    /// otherwise. When the unit has no copy, the role is assigned as given (orgs with record
    /// ownership across business units allow it); if the service refuses, the
    /// [`DataverseError::NotFound`](crate::DataverseError::NotFound) explains the classic
    /// model and carries the service's message.
    pub fn assign(&self, role: Uuid, principal: Principal) -> AssignRole {
        AssignRole {
            roles: self.clone(),
            role,
            principal,
            as_given: false,
        }
    }

    async fn assign_now(
        &self,
        role: Uuid,
        principal: Principal,
        as_given: bool,
    ) -> Result<SecurityRole> {
        let given = self.get(role).await?;
        let unit = self.unit_of(principal).await?;
        let target = match given.business_unit_id {
            Some(u) if u != unit && !as_given => self
                .copy_in(given.root_role_id(), unit)
                .await?
                .unwrap_or_else(|| given.clone()),
            _ => given.clone(),
        };
        if self.of(principal).await?.iter().any(|r| r.id == target.id) {
            return Ok(target);
        }
        let associated = self
            .client
            .associate(
                principal.entity_set(),
                principal.id(),
                principal.roles_navigation(),
                "roles",
                target.id,
            )
            .await;
        match associated {
            Ok(()) => Ok(target),
            Err(e) if is_duplicate(&e) => Ok(target),
            Err(e)
                if target.business_unit_id.is_some_and(|u| u != unit)
                    && matches!(e.status(), Some(400 | 403 | 404 | 412)) =>
            {
                Err(not_found(
                    format!(
                        "a copy of role '{}' in business unit {unit} of {} {} (the service \
                         refused the copy of business unit {}: {e})",
                        given.name.as_deref().unwrap_or("?"),
                        principal.kind(),
                        principal.id(),
                        target
                            .business_unit_id
                            .map(|u| u.to_string())
                            .unwrap_or_default(),
                    ),
                    format!(
                        "in the classic business unit model a {} can hold only roles of its \
                         own business unit: find the role there (roles().find(name)\
                         .in_business_unit_of(..)), or turn on record ownership across \
                         business units",
                        principal.kind()
                    ),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Takes the role `role` (or its copy in the principal's business unit) away from
    /// `principal`. Idempotent: answers `false` when the principal did not hold it.
    pub async fn remove(&self, role: Uuid, principal: Principal) -> Result<bool> {
        let held = self.of(principal).await?;
        let target = match held.iter().find(|r| r.id == role) {
            Some(r) => r.id,
            None => {
                let given = self.get(role).await?;
                match held
                    .iter()
                    .find(|r| r.root_role_id() == given.root_role_id())
                {
                    Some(r) => r.id,
                    None => return Ok(false),
                }
            }
        };
        let removed = self
            .client
            .disassociate(
                principal.entity_set(),
                principal.id(),
                principal.roles_navigation(),
                Some(("roles", target)),
            )
            .await;
        match removed {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Assigns a role. From [`Roles::assign`].
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct AssignRole {
    roles: Roles,
    role: Uuid,
    principal: Principal,
    as_given: bool,
}

impl AssignRole {
    /// Assign this very copy even when it belongs to another business unit than the
    /// principal's (orgs with record ownership across business units allow it).
    pub fn as_given(mut self) -> Self {
        self.as_given = true;
        self
    }

    /// Sends the requests (the same as awaiting the builder).
    pub async fn send(self) -> Result<SecurityRole> {
        self.roles
            .assign_now(self.role, self.principal, self.as_given)
            .await
    }
}

send_on_await!([] AssignRole => SecurityRole, 'static);

#[derive(Debug, Clone, Copy)]
enum UnitChoice {
    Root,
    Unit(Uuid),
    Of(Principal),
}

/// Finds a role by name in one business unit. From [`Roles::find`].
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct FindRole {
    roles: Roles,
    name: String,
    unit: UnitChoice,
}

impl FindRole {
    /// In this business unit.
    pub fn in_business_unit(mut self, id: Uuid) -> Self {
        self.unit = UnitChoice::Unit(id);
        self
    }

    /// In the business unit of this user or team: the copy it can be given.
    pub fn in_business_unit_of(mut self, principal: Principal) -> Self {
        self.unit = UnitChoice::Of(principal);
        self
    }

    /// Sends the requests (the same as awaiting the builder).
    pub async fn send(self) -> Result<SecurityRole> {
        let roles = &self.roles;
        let unit = match self.unit {
            UnitChoice::Unit(id) => id,
            UnitChoice::Of(principal) => roles.unit_of(principal).await?,
            UnitChoice::Root => roles.client.business_units().root().await?.id,
        };
        let copies = roles.named(&self.name).await?;
        if let Some(role) = copies.iter().find(|r| r.business_unit_id == Some(unit)) {
            return Ok(role.clone());
        }
        if copies.is_empty() {
            return Err(not_found(
                format!("a security role named '{}'", self.name),
                "check the name (as shown in the admin centre), or import the solution that \
                 brings the role",
            ));
        }
        let elsewhere = roles.units_named(&copies).await?;
        Err(not_found(
            format!(
                "a security role named '{}' in business unit {unit}; it exists in {elsewhere}",
                self.name
            ),
            "look it up in one of those business units, or in the business unit of the user \
             or team it is for (in_business_unit_of)",
        ))
    }
}

send_on_await!([] FindRole => SecurityRole, 'static);

impl Roles {
    /// "`Sales` (id), `Root` (id)" for the business units of these role copies.
    async fn units_named(&self, copies: &[SecurityRole]) -> Result<String> {
        // Named in the message: a few are enough, and each is a clause in the query's URL.
        const NAMED: usize = 20;
        let all: Vec<Uuid> = copies.iter().filter_map(|r| r.business_unit_id).collect();
        let ids = &all[..all.len().min(NAMED)];
        let units: Vec<BusinessUnit> = if ids.is_empty() {
            Vec::new()
        } else {
            collect(
                &self.client,
                &Query::new("businessunits")
                    .select(columns::BUSINESS_UNIT)
                    .filter(Filter::any(
                        ids.iter().map(|id| Filter::eq("businessunitid", *id)),
                    )),
            )
            .await?
        };
        let more = match all.len().saturating_sub(NAMED) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        Ok(ids
            .iter()
            .map(|id| {
                let name = units
                    .iter()
                    .find(|u| u.id == *id)
                    .and_then(|u| u.name.as_deref())
                    .unwrap_or("?");
                format!("'{name}' ({id})")
            })
            .collect::<Vec<_>>()
            .join(", ")
            + &more)
    }
}
