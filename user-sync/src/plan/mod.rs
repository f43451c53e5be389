//! The plan: from Graph users, the rules and the org's state, the actions that bring the org
//! in line. Computed without IO, in a deterministic order, so a dry run shows exactly what an
//! apply does. Only roles and teams the rules name are ever removed.

mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;
use uuid::Uuid;

use crate::error::{Result, SyncError};
use crate::graph::GraphUser;
use crate::org::{Catalog, OrgUser};
use crate::rules::{Decision, Membership, RuleSet, Target};

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActionKind {
    /// The user is placed but not in Dataverse: add it (ApplyUser / `addUser`), then place it.
    ForceSync,
    /// Move the user to another business unit (`SetBusinessSystemUser`).
    MoveUnit,
    /// Take a role the rules manage away.
    RemoveRole,
    /// Give a role.
    AddRole,
    /// Take the user out of a team the rules manage.
    RemoveTeam,
    /// Put the user into a team.
    AddTeam,
    /// The user left Entra (removed, or its account disabled): disable it (never delete).
    DisableLeaver,
    /// The user is placed but has no licence, so it cannot be synced: reported only.
    ReportUnlicensed,
}

impl ActionKind {
    /// The name used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::ForceSync => "force_sync",
            ActionKind::MoveUnit => "move_unit",
            ActionKind::RemoveRole => "remove_role",
            ActionKind::AddRole => "add_role",
            ActionKind::RemoveTeam => "remove_team",
            ActionKind::AddTeam => "add_team",
            ActionKind::DisableLeaver => "disable_leaver",
            ActionKind::ReportUnlicensed => "report_unlicensed",
        }
    }

    /// Whether the action takes something away (counted by the safety limit).
    pub fn is_disruptive(self) -> bool {
        matches!(
            self,
            ActionKind::MoveUnit
                | ActionKind::RemoveRole
                | ActionKind::RemoveTeam
                | ActionKind::DisableLeaver
        )
    }
}

/// One step of a plan.
///
/// `Debug` leaves out the user's label (its user principal name: personal data).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Action {
    /// The user's Entra object id.
    pub user: Uuid,
    /// The user principal name (else the object id), for people reading the plan.
    pub label: String,
    /// What to do.
    pub kind: ActionKind,
    /// The business unit, role or team concerned (a summary of the placement for
    /// `force_sync`).
    pub detail: String,
    /// The placement rule behind it, if any.
    pub rule: Option<String>,
    /// The user's `systemuserid`, when it exists.
    pub systemuser_id: Option<Uuid>,
    /// The business unit, role or team id the action applies.
    pub target_id: Option<Uuid>,
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Action")
            .field("user", &self.user)
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("rule", &self.rule)
            .field("systemuser_id", &self.systemuser_id)
            .field("target_id", &self.target_id)
            .finish_non_exhaustive()
    }
}

/// A user as one Graph page reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum UserChange {
    /// The user as it is now (complete: every selected property).
    Present(Box<GraphUser>),
    /// The user was removed from the directory.
    Removed(Uuid),
}

impl UserChange {
    fn id(&self) -> Option<Uuid> {
        match self {
            UserChange::Present(u) => Uuid::parse_str(&u.id).ok(),
            UserChange::Removed(id) => Some(*id),
        }
    }
}

/// Settings of planning.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Disable users who left Entra (opt-in).
    pub disable_leavers: bool,
}

/// The actions for a set of users, and how many users were looked at.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// The actions, ordered by user label, user, kind and detail.
    pub actions: Vec<Action>,
    /// Users looked at (placed, skipped or leaving).
    pub considered: usize,
    /// Users the filter or a `skip` rule left out, or no placement matched.
    pub skipped: usize,
    /// Users the rules place (the managed population, with the org's synced users).
    #[serde(skip)]
    pub(crate) placed: BTreeSet<Uuid>,
}

impl Plan {
    /// Whether there is nothing to do (reports of unlicensed users aside).
    pub fn is_empty(&self) -> bool {
        self.actions
            .iter()
            .all(|a| a.kind == ActionKind::ReportUnlicensed)
    }

    /// The users with a move, a removal or a disable.
    pub fn disrupted_users(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.kind.is_disruptive())
            .map(|a| a.user)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// How many actions of each kind.
    pub fn counts(&self) -> BTreeMap<ActionKind, usize> {
        let mut out = BTreeMap::new();
        for a in &self.actions {
            *out.entry(a.kind).or_insert(0) += 1;
        }
        out
    }

    /// Appends another plan (of other users) and keeps the order.
    pub fn merge(&mut self, other: Plan) {
        self.extend_unsorted(other);
        self.sort();
    }

    /// Adds `other` without restoring the order (call [`sort`](Self::sort) once after many).
    pub(crate) fn extend_unsorted(&mut self, other: Plan) {
        self.actions.extend(other.actions);
        self.considered += other.considered;
        self.skipped += other.skipped;
        self.placed.extend(other.placed);
    }

    /// Restores the plan's order.
    pub(crate) fn sort(&mut self) {
        sort(&mut self.actions);
    }

    /// Drops the actions of `users` (all of them considered by this plan) and stops
    /// counting them: their newer entry is planned elsewhere in the round. `skipped` is
    /// left as it is.
    pub(crate) fn forget(&mut self, users: &std::collections::HashSet<Uuid>) {
        self.actions.retain(|a| !users.contains(&a.user));
        self.placed.retain(|u| !users.contains(u));
        self.considered = self.considered.saturating_sub(users.len());
    }

    /// The safety limit's denominator: the users the rules manage, i.e. those they place
    /// in this round together with the org's users synced from Entra (`synced`, their
    /// object ids). Not every Graph user: with a filter choosing 300 of 5,000, a rules
    /// mistake must not move all 300 because 300 is "only 6%".
    pub fn managed_population(&self, synced: &std::collections::HashSet<Uuid>) -> usize {
        synced.len() + self.placed.iter().filter(|u| !synced.contains(u)).count()
    }

    /// Refuses a plan that disrupts more than `share` of `population` users (the managed
    /// population, see [`managed_population`](Self::managed_population)), unless `force`.
    pub fn check_safety(&self, share: f64, population: usize, force: bool) -> Result<()> {
        let considered = population;
        let affected = self.disrupted_users();
        if force || considered == 0 {
            return Ok(());
        }
        let allowed = (share * considered as f64).floor() as usize;
        if affected > allowed {
            return Err(SyncError::SafetyLimit {
                affected,
                considered,
                percent: 100.0 * affected as f64 / considered as f64,
                limit_percent: 100.0 * share,
            });
        }
        Ok(())
    }
}

fn sort(actions: &mut [Action]) {
    // Keys computed once per action, not per comparison (lower-casing allocates).
    actions.sort_by_cached_key(|a| (a.label.to_lowercase(), a.user, a.kind, a.detail.clone()));
}

/// What planning reads: the rules, group membership, the org's catalogue and users.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs<'a> {
    /// The rules.
    pub rules: &'a RuleSet,
    /// The members of the groups the rules test.
    pub membership: &'a Membership,
    /// The business units, teams and roles the rules name.
    pub catalog: &'a Catalog,
    /// The synced users, by Entra object id in lower case.
    pub org: &'a HashMap<String, OrgUser>,
    /// Settings.
    pub options: PlanOptions,
}

/// The plan for these users. A user listed twice (Graph may replay) counts once, with the
/// last entry. A user id that is not a GUID is left out.
pub fn plan(inputs: PlanInputs<'_>, changes: &[UserChange]) -> Result<Plan> {
    let mut latest: BTreeMap<Uuid, &UserChange> = BTreeMap::new();
    for change in changes {
        if let Some(id) = change.id() {
            latest.insert(id, change);
        }
    }
    let mut out = Plan::default();
    for (id, change) in latest {
        out.considered += 1;
        let org_user = inputs.org.get(&id.to_string());
        let leaving = match change {
            UserChange::Removed(_) => Some(id.to_string()),
            UserChange::Present(u) if u.is_disabled() => Some(u.label().to_owned()),
            UserChange::Present(_) => None,
        };
        if let Some(label) = leaving {
            if let Some(existing) = org_user
                && inputs.options.disable_leavers
                && !existing.is_disabled()
            {
                out.actions.push(Action {
                    user: id,
                    label,
                    kind: ActionKind::DisableLeaver,
                    detail: "isdisabled = true".to_owned(),
                    rule: None,
                    systemuser_id: Some(existing.id),
                    target_id: None,
                });
            }
            continue;
        }
        let UserChange::Present(user) = change else {
            continue;
        };
        let (rule, target) = match inputs.rules.decide(user, inputs.membership) {
            Decision::Place { rule, target } => (rule, target),
            Decision::Skip => {
                out.skipped += 1;
                continue;
            }
        };
        let base = Action {
            user: id,
            label: user.label().to_owned(),
            kind: ActionKind::ForceSync,
            detail: String::new(),
            rule: Some(rule.to_owned()),
            systemuser_id: None,
            target_id: None,
        };
        out.placed.insert(id);
        match org_user {
            // Entra's assignedLicenses is only a hint: environments that need no licence
            // (e.g. developer or some trial environments) take unlicensed users, so the
            // service decides and its `userNotLicensed` / ApplyUser licence failure answer
            // is what reports the user (Learn, "Add users to an environment
            // automatically or manually"; which environments skip the check is
            // UNCONFIRMED here).
            None if !user.is_licensed() => out.actions.push(Action {
                detail: format!(
                    "{} (hint: no licence assigned in Entra; the service may refuse it)",
                    summary(target)
                ),
                ..base
            }),
            None => out.actions.push(Action {
                detail: summary(target),
                ..base
            }),
            Some(existing) => placement_actions(inputs, &base, existing, target, &mut out.actions)?,
        }
    }
    sort(&mut out.actions);
    Ok(out)
}

/// `unit: X; roles: A, B; teams: C` for a force-sync row.
fn summary(target: &Target) -> String {
    let mut parts = Vec::new();
    if let Some(unit) = &target.business_unit {
        parts.push(format!("unit: {unit}"));
    }
    if !target.roles.is_empty() {
        parts.push(format!("roles: {}", target.roles.join(", ")));
    }
    if !target.teams.is_empty() {
        parts.push(format!("teams: {}", target.teams.join(", ")));
    }
    parts.join("; ")
}

/// The moves and role/team changes that place an existing user at `target`.
pub(crate) fn placement_actions(
    inputs: PlanInputs<'_>,
    base: &Action,
    existing: &OrgUser,
    target: &Target,
    out: &mut Vec<Action>,
) -> Result<()> {
    let catalog = inputs.catalog;
    let with = |kind, detail: &str, target_id| Action {
        kind,
        detail: detail.to_owned(),
        systemuser_id: Some(existing.id),
        target_id,
        ..base.clone()
    };
    let mut unit = existing.business_unit;
    if let Some(name) = &target.business_unit {
        let wanted = catalog
            .unit(name)
            .ok_or_else(|| unknown("business unit", name))?;
        if existing.business_unit != Some(wanted.id) {
            out.push(with(ActionKind::MoveUnit, name, Some(wanted.id)));
            unit = Some(wanted.id);
        }
    }
    let managed_roles = inputs.rules.managed_roles();
    let held: Vec<(String, Uuid)> = existing
        .roles
        .iter()
        .filter_map(|r| r.name.as_ref().map(|n| (n.to_lowercase(), r.id)))
        .collect();
    for name in &target.roles {
        if !held.iter().any(|(h, _)| *h == name.to_lowercase()) {
            let role = catalog
                .role(name, unit)
                .ok_or_else(|| unknown("security role", name))?;
            out.push(with(ActionKind::AddRole, name, Some(role.id)));
        }
    }
    for (name, id) in &held {
        if managed_roles.contains(name) && !target.roles.iter().any(|r| r.to_lowercase() == *name) {
            let shown = existing
                .roles
                .iter()
                .find(|r| r.id == *id)
                .and_then(|r| r.name.clone())
                .unwrap_or_else(|| name.clone());
            out.push(with(ActionKind::RemoveRole, &shown, Some(*id)));
        }
    }
    // Teams are compared by id: a rule may name a team by id, and a unit's default team
    // may share a managed team's name without being managed.
    let mut wanted_teams = Vec::new();
    for name in &target.teams {
        let team = catalog.team(name).ok_or_else(|| unknown("team", name))?;
        wanted_teams.push(team.id);
        if !existing.teams.iter().any(|t| t.id == team.id) {
            out.push(with(ActionKind::AddTeam, name, Some(team.id)));
        }
    }
    let managed_teams: Vec<Uuid> = inputs
        .rules
        .managed_teams()
        .iter()
        .filter_map(|name| catalog.team(name).map(|t| t.id))
        .collect();
    for held in &existing.teams {
        if managed_teams.contains(&held.id) && !wanted_teams.contains(&held.id) {
            let name = held.name.clone().unwrap_or_else(|| held.id.to_string());
            out.push(with(ActionKind::RemoveTeam, &name, Some(held.id)));
        }
    }
    Ok(())
}

fn unknown(kind: &str, name: &str) -> SyncError {
    SyncError::MissingInOrg {
        what: format!("a {kind} named '{name}'"),
        fix: "load the catalogue with Catalog::load for these rules".to_owned(),
    }
}

#[cfg(test)]
mod tests;
