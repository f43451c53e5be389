//! `setup`: the lead writer's security setup, done by code and safe to repeat. It imports
//! the lead writer solution (its role with the lead privileges), ensures the application user
//! of the writer's Entra app, gives it the role, and adds the extra privileges Microsoft's
//! lead writer documentation asks for (REFERENCE-WORKFLOWS 1.4). A second run finds
//! everything in place and changes nothing; [`SetupReport::changed`] says so.
//!
//! The examples, the `marketplace_leads` test and `d365 leads setup` all call [`run`].

mod solution;

use std::fmt;
use std::time::Duration;

use dataverse_webapi::DataverseClient;
use dataverse_webapi::DataverseError;
use dataverse_webapi::provisioning::{Principal, PrivilegeDepth, PrivilegeGrant, PrivilegeRef};
use dataverse_webapi::solutions::{DEFAULT_POLL_INTERVAL, SolutionPackageError};
use uuid::Uuid;

pub use solution::{
    Depth, EXTRA_PRIVILEGES, ROLE_NAME, ROLE_PRIVILEGES, SOLUTION_NAME, SOLUTION_VERSION,
    extra_privileges, solution_zip,
};

/// What to set up. Construct with [`SetupOptions::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetupOptions {
    /// The lead writer's Entra application (client) id.
    pub app_id: Uuid,
    /// How often the solution import is polled (default: the import's default).
    pub poll_interval: Duration,
}

impl SetupOptions {
    /// The defaults for the app `app_id`.
    pub fn new(app_id: Uuid) -> Self {
        SetupOptions {
            app_id,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// Sets how often the solution import is polled.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }
}

/// What [`run`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetupReport {
    /// The application user's `systemuserid`.
    pub user_id: Uuid,
    /// The application user was created by this run.
    pub user_created: bool,
    /// An existing application user was changed (enabled again).
    pub user_updated: bool,
    /// The solution was imported by this run (it was not installed at [`SOLUTION_VERSION`]).
    pub solution_imported: bool,
    /// The role copy assigned (the one in the user's business unit).
    pub role_id: Uuid,
    /// The role was assigned by this run.
    pub role_assigned: bool,
    /// Extra privileges added by this run, by name.
    pub privileges_added: Vec<String>,
}

impl SetupReport {
    /// True when this run changed anything in the org.
    pub fn changed(&self) -> bool {
        self.user_created
            || self.user_updated
            || self.solution_imported
            || self.role_assigned
            || !self.privileges_added.is_empty()
    }

    /// One line per step: what was done, or that it was already in place.
    pub fn lines(&self) -> Vec<String> {
        let done = |changed: bool, yes: String, no: String| if changed { yes } else { no };
        vec![
            done(
                self.user_created || self.user_updated,
                format!(
                    "application user {}: {}",
                    self.user_id,
                    if self.user_created {
                        "created"
                    } else {
                        "enabled"
                    }
                ),
                format!("application user {}: already in place", self.user_id),
            ),
            done(
                self.solution_imported,
                format!("solution {SOLUTION_NAME} {SOLUTION_VERSION}: imported"),
                format!("solution {SOLUTION_NAME} {SOLUTION_VERSION}: already installed"),
            ),
            done(
                self.role_assigned,
                format!("role \"{ROLE_NAME}\": assigned to the application user"),
                format!("role \"{ROLE_NAME}\": already held by the application user"),
            ),
            done(
                !self.privileges_added.is_empty(),
                format!(
                    "extra privileges: added {}",
                    self.privileges_added.join(", ")
                ),
                "extra privileges: already held by the role".to_owned(),
            ),
        ]
    }
}

/// Why setup stopped. Steps done before it stay done; running setup again continues.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The solution zip could not be built (a bug in this crate's role definition).
    #[error("building the lead writer solution failed: {0}")]
    Package(#[from] SolutionPackageError),
    /// A step's request failed.
    #[error("lead writer setup, {step}: {source}")]
    Dataverse {
        /// The step, in words.
        step: &'static str,
        /// The service's error.
        #[source]
        source: DataverseError,
    },
}

impl SetupError {
    /// The service's error, when a request failed.
    pub fn dataverse(&self) -> Option<&DataverseError> {
        match self {
            SetupError::Dataverse { source, .. } => Some(source),
            SetupError::Package(_) => None,
        }
    }
}

fn at(step: &'static str) -> impl FnOnce(DataverseError) -> SetupError {
    move |source| SetupError::Dataverse { step, source }
}

/// Sets up the lead writer as `admin` (a user or app allowed to import solutions, create
/// application users and assign roles, such as a System Administrator). Idempotent.
pub async fn run(
    admin: &DataverseClient,
    options: &SetupOptions,
) -> Result<SetupReport, SetupError> {
    let ensured = admin
        .app_users()
        .ensure(options.app_id)
        .await
        .map_err(at("ensuring the application user"))?;
    let user_id = ensured.user.id;

    let installed = admin
        .solutions()
        .find(SOLUTION_NAME)
        .version(SOLUTION_VERSION)
        .await
        .map_err(at("looking up the solution"))?;
    if installed.is_none() {
        admin
            .solutions()
            .import(solution_zip()?)
            .asynchronously()
            .poll_interval(options.poll_interval)
            .await
            .map_err(at("importing the solution"))?;
    }

    let role = admin
        .roles()
        .find(ROLE_NAME)
        .in_business_unit_of(Principal::User(user_id))
        .await
        .map_err(at("finding the role in the user's business unit"))?;
    let held = admin
        .roles()
        .of_user(user_id)
        .await
        .map_err(at("reading the user's roles"))?;
    let role_assigned = !held.iter().any(|r| r.id == role.id);
    if role_assigned {
        admin
            .roles()
            .assign(role.id, Principal::User(user_id))
            .await
            .map_err(at("assigning the role"))?;
    }

    let missing = missing_extra_privileges(admin, role.root_role_id()).await?;
    if !missing.is_empty() {
        admin
            .roles()
            .add_privileges(role.root_role_id(), missing.iter().map(|(_, g)| g.clone()))
            .await
            .map_err(at("adding the extra privileges"))?;
    }

    Ok(SetupReport {
        user_id,
        user_created: ensured.created,
        user_updated: ensured.updated,
        solution_imported: installed.is_none(),
        role_id: role.id,
        role_assigned,
        privileges_added: missing.into_iter().map(|(name, _)| name).collect(),
    })
}

/// Whether a privilege held at `held` is enough for `wanted`: a deeper level (an admin's
/// choice) is, and is left alone rather than lowered. A depth this version does not know is
/// taken as enough too, for the same reason (UNCONFIRMED that the service sends any).
fn covers(held: &PrivilegeDepth, wanted: &PrivilegeDepth) -> bool {
    let rank = |depth: &PrivilegeDepth| match depth {
        PrivilegeDepth::User => Some(0),
        PrivilegeDepth::BusinessUnit => Some(1),
        PrivilegeDepth::ParentChild => Some(2),
        PrivilegeDepth::Organization => Some(3),
        _ => None,
    };
    match (rank(held), rank(wanted)) {
        (Some(held), Some(wanted)) => held >= wanted,
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// The extra privileges the role does not hold at their depth or deeper, by name.
async fn missing_extra_privileges(
    admin: &DataverseClient,
    role: Uuid,
) -> Result<Vec<(String, PrivilegeGrant)>, SetupError> {
    let roles = admin.roles();
    let held = roles
        .privileges(role)
        .await
        .map_err(at("reading the role's privileges"))?;
    let mut missing = Vec::new();
    for (name, depth) in EXTRA_PRIVILEGES {
        let privilege = roles
            .resolve_privilege(&PrivilegeRef::from(name))
            .await
            .map_err(at("looking up a privilege"))?;
        let wanted: PrivilegeDepth = depth.privilege_depth();
        if !held
            .iter()
            .any(|p| p.id == privilege.id && covers(&p.depth, &wanted))
        {
            missing.push((
                name.to_owned(),
                PrivilegeGrant::new(PrivilegeRef::Id(privilege.id), wanted),
            ));
        }
    }
    Ok(missing)
}

impl fmt::Display for SetupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.lines() {
            writeln!(f, "{line}")?;
        }
        if !self.changed() {
            writeln!(f, "Nothing to change: the lead writer was already set up.")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> SetupReport {
        SetupReport {
            user_id: Uuid::nil(),
            user_created: false,
            user_updated: false,
            solution_imported: false,
            role_id: Uuid::nil(),
            role_assigned: false,
            privileges_added: Vec::new(),
        }
    }

    #[test]
    fn a_deeper_privilege_counts_as_held() {
        use PrivilegeDepth::*;
        assert!(covers(&Organization, &User));
        assert!(covers(&ParentChild, &BusinessUnit));
        assert!(covers(&User, &User));
        assert!(!covers(&User, &Organization));
        assert!(!covers(&BusinessUnit, &ParentChild));
        assert!(covers(&Unknown("Future".into()), &Organization));
    }

    #[test]
    fn a_run_that_found_everything_says_nothing_changed() {
        let unchanged = report();
        assert!(!unchanged.changed());
        assert!(unchanged.to_string().contains("Nothing to change"));
        let changed = SetupReport {
            role_assigned: true,
            privileges_added: vec!["prvReadAsyncOperation".into()],
            ..report()
        };
        assert!(changed.changed());
        let text = changed.to_string();
        assert!(text.contains("assigned") && text.contains("prvReadAsyncOperation"));
        assert!(!text.contains("Nothing to change"));
    }
}
