//! `roles list | assign | remove | privileges`: security roles of one Dataverse org, for users,
//! application users and teams.

use clap::{Args, Subcommand};
use dataverse_webapi::DataverseError;
use dataverse_webapi::provisioning::{
    AccessRight, Principal, PrivilegeDepth, PrivilegeGrant, PrivilegeRef, RolePrivilege,
    SecurityRole,
};
use serde::Serialize;
use uuid::Uuid;

use super::app_users::business_unit_id;
use super::dataverse_target::{
    DataverseTargetArgs, OrgInputs, OrgSession, connect, from_dataverse, io_failure,
};
use crate::cli_errors::{APPLICATION_ID, SYSTEM_USER_ID, TEAM_ID, guid};
use crate::exit::Failure;
use crate::output::{self, Format, Table, cell};

/// `d365 roles ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RolesCommand {
    /// List the roles of a user, application user or team, or those of a business unit (the
    /// root one by default). Needs Read on Security Role
    List(ListArgs),
    /// Assign a role to a user, application user or team; a role already held is success.
    /// A role name is looked up in the principal's own business unit. Needs System
    /// Administrator, or a role with Assign on Security Role and at least the privileges of
    /// the role given
    Assign(ChangeArgs),
    /// Remove a role from a user, application user or team; a role not held is success.
    /// Needs System Administrator, or a role with Assign on Security Role
    Remove(ChangeArgs),
    /// Show a role's privileges, after adding (--add) or removing (--remove) some. Showing
    /// needs Read on Security Role; --add and --remove need Write on Security Role and, to
    /// add, at least the privileges added
    Privileges(PrivilegesArgs),
}

/// Who: exactly one of these for assign and remove, at most one for list.
#[derive(Debug, Clone, Args)]
#[group(multiple = false)]
pub(crate) struct PrincipalArgs {
    /// A user's systemuserid
    #[arg(long, value_name = "GUID", value_parser = guid(SYSTEM_USER_ID))]
    pub(crate) user: Option<Uuid>,

    /// An application user, by its Entra application (client) id
    #[arg(long, value_name = "GUID", value_parser = guid(APPLICATION_ID))]
    pub(crate) app_id: Option<Uuid>,

    /// A team's teamid
    #[arg(long, value_name = "GUID", value_parser = guid(TEAM_ID))]
    pub(crate) team: Option<Uuid>,
}

impl PrincipalArgs {
    fn given(&self) -> bool {
        self.user.is_some() || self.app_id.is_some() || self.team.is_some()
    }
}

/// Options of `roles list`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) principal: PrincipalArgs,

    /// Without a principal: the business unit (name or id) whose roles to list
    #[arg(long, value_name = "NAME|GUID", conflicts_with_all = ["user", "app_id", "team"])]
    pub(crate) business_unit: Option<String>,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// Options of `roles assign` and `roles remove`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ChangeArgs {
    /// The role: its name (e.g. "Microsoft Marketplace Lead Writer") or its id
    #[arg(long, value_name = "NAME|GUID")]
    pub(crate) role: String,

    #[command(flatten)]
    pub(crate) principal: PrincipalArgs,

    /// assign only: give this very role even when it belongs to another business unit than
    /// the principal's (orgs with record ownership across business units); by default the
    /// copy in the principal's own business unit is assigned
    #[arg(long)]
    pub(crate) as_given: bool,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// Options of `roles privileges`.
#[derive(Debug, Clone, Args)]
pub(crate) struct PrivilegesArgs {
    /// The role: its name or its id
    #[arg(long, value_name = "NAME|GUID")]
    pub(crate) role: String,

    /// The business unit (name or id) whose copy of a role given by name to use [default:
    /// the root business unit]
    #[arg(long, value_name = "NAME|GUID")]
    pub(crate) business_unit: Option<String>,

    /// Add a privilege at a depth: prvReadAsyncOperation:Organization or
    /// asyncoperation:Read:Organization (depths: User, BusinessUnit, ParentChild,
    /// Organization, or Basic, Local, Deep, Global); repeatable
    #[arg(long, value_name = "PRIVILEGE:DEPTH", value_parser = parse_grant)]
    pub(crate) add: Vec<PrivilegeGrant>,

    /// Remove a privilege: prvReadAsyncOperation or asyncoperation:Read; repeatable
    #[arg(long, value_name = "PRIVILEGE", value_parser = parse_privilege)]
    pub(crate) remove: Vec<PrivilegeRef>,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// `prvName`, `table:Right`, or a privilege id.
pub(crate) fn parse_privilege(spec: &str) -> Result<PrivilegeRef, String> {
    let spec = spec.trim();
    if let Ok(id) = Uuid::parse_str(spec) {
        return Ok(PrivilegeRef::Id(id));
    }
    match spec.split(':').collect::<Vec<_>>().as_slice() {
        [name]
            if name.len() > 3 && name.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("prv")) =>
        {
            Ok(PrivilegeRef::Name((*name).to_owned()))
        }
        [table, right] if !table.is_empty() => {
            let right = AccessRight::parse(right).ok_or_else(|| {
                format!(
                    "`{right}` is not an access right: use Read, Write, Append, AppendTo, \
                     Create, Delete, Share or Assign"
                )
            })?;
            Ok(PrivilegeRef::Table {
                table: table.to_ascii_lowercase(),
                right,
            })
        }
        _ => Err(format!(
            "`{spec}` is not a privilege: write prvReadAsyncOperation or \
             asyncoperation:Read (table logical name and access right)"
        )),
    }
}

/// `privilege:Depth` where privilege is as [`parse_privilege`] reads it.
pub(crate) fn parse_grant(spec: &str) -> Result<PrivilegeGrant, String> {
    let Some((privilege, depth)) = spec.trim().rsplit_once(':') else {
        return Err(format!(
            "`{spec}` has no depth: write prvReadAsyncOperation:Organization or \
             asyncoperation:Read:Organization"
        ));
    };
    let depth = PrivilegeDepth::parse(depth);
    if let PrivilegeDepth::Unknown(raw) = &depth {
        return Err(format!(
            "`{raw}` is not a depth: use User, BusinessUnit, ParentChild or Organization"
        ));
    }
    Ok(PrivilegeGrant {
        privilege: parse_privilege(privilege)?,
        depth,
    })
}

/// A role as printed with `--json`. Field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RoleJson {
    /// `roleid` (of this business unit's copy).
    pub(crate) role_id: Uuid,
    /// The name.
    pub(crate) name: Option<String>,
    /// The business unit of this copy.
    pub(crate) business_unit_id: Option<Uuid>,
    /// The root business unit's copy.
    pub(crate) parent_root_role_id: Option<Uuid>,
}

impl From<&SecurityRole> for RoleJson {
    fn from(r: &SecurityRole) -> Self {
        RoleJson {
            role_id: r.id,
            name: r.name.clone(),
            business_unit_id: r.business_unit_id,
            parent_root_role_id: r.parent_root_role_id,
        }
    }
}

/// The outcome of `assign` / `remove` as printed with `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ChangeJson {
    /// The role (the copy assigned or removed).
    pub(crate) role_id: Uuid,
    /// Its name, when known.
    pub(crate) role_name: Option<String>,
    /// `user` or `team`.
    pub(crate) principal_type: &'static str,
    /// The systemuserid or teamid.
    pub(crate) principal_id: Uuid,
    /// `assigned`, `removed` or `not held`.
    pub(crate) outcome: &'static str,
}

/// A privilege of a role as printed with `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PrivilegeJson {
    /// The name, when the service says it.
    pub(crate) name: Option<String>,
    /// `privilegeid`.
    pub(crate) privilege_id: Uuid,
    /// `Basic`, `Local`, `Deep` or `Global`.
    pub(crate) depth: String,
}

impl From<&RolePrivilege> for PrivilegeJson {
    fn from(p: &RolePrivilege) -> Self {
        PrivilegeJson {
            name: p.name.clone(),
            privilege_id: p.id,
            depth: p.depth.as_str().to_owned(),
        }
    }
}

/// The org the command names.
pub(crate) fn org_args(command: &RolesCommand) -> &DataverseTargetArgs {
    match command {
        RolesCommand::List(a) => &a.org,
        RolesCommand::Assign(a) | RolesCommand::Remove(a) => &a.org,
        RolesCommand::Privileges(a) => &a.org,
    }
}

/// Runs `roles ...`.
pub(crate) async fn run(
    command: &RolesCommand,
    inputs: OrgInputs<'_>,
    format: Format,
) -> Result<(), Failure> {
    let choice = org_args(command).choice(inputs.default_org.as_deref())?;
    if let RolesCommand::Assign(a) | RolesCommand::Remove(a) = command
        && !a.principal.given()
    {
        return Err(Failure::usage("no user, application user or team given")
            .with_fix("add --user <systemuserid>, --app-id <application id> or --team <teamid>"));
    }
    let org = connect(choice, inputs).await?;
    let fail = |e: DataverseError| from_dataverse(&e, &org.ctx);
    let roles = org.client.roles();
    match command {
        RolesCommand::List(args) => {
            let listed = match principal(&org, &args.principal).await? {
                Some(p) => roles.of(p).await,
                None => {
                    let unit = match &args.business_unit {
                        Some(u) => business_unit_id(&org, u).await?,
                        None => org.client.business_units().root().await.map_err(fail)?.id,
                    };
                    roles.in_business_unit(unit).await
                }
            }
            .map_err(fail)?;
            let rows: Vec<RoleJson> = listed.iter().map(RoleJson::from).collect();
            print(format, &rows, || roles_text(&rows))
        }
        RolesCommand::Assign(args) | RolesCommand::Remove(args) => {
            let Some(who) = principal(&org, &args.principal).await? else {
                return Err(Failure::usage("no principal"));
            };
            let role = match Uuid::parse_str(args.role.trim()) {
                Ok(id) => id,
                Err(_) => {
                    roles
                        .find(args.role.trim())
                        .in_business_unit_of(who)
                        .await
                        .map_err(fail)?
                        .id
                }
            };
            let (kind, id) = match who {
                Principal::User(id) => ("user", id),
                Principal::Team(id) => ("team", id),
            };
            let json = if matches!(command, RolesCommand::Assign(_)) {
                let mut assign = roles.assign(role, who);
                if args.as_given {
                    assign = assign.as_given();
                }
                let assigned = assign.await.map_err(fail)?;
                ChangeJson {
                    role_id: assigned.id,
                    role_name: assigned.name,
                    principal_type: kind,
                    principal_id: id,
                    outcome: "assigned",
                }
            } else {
                let removed = roles.remove(role, who).await.map_err(fail)?;
                ChangeJson {
                    role_id: role,
                    role_name: None,
                    principal_type: kind,
                    principal_id: id,
                    outcome: if removed { "removed" } else { "not held" },
                }
            };
            print(format, &json, || change_text(&json))
        }
        RolesCommand::Privileges(args) => {
            let role = match Uuid::parse_str(args.role.trim()) {
                Ok(id) => id,
                Err(_) => {
                    let mut find = roles.find(args.role.trim());
                    if let Some(u) = &args.business_unit {
                        find = find.in_business_unit(business_unit_id(&org, u).await?);
                    }
                    find.await.map_err(fail)?.id
                }
            };
            if !args.add.is_empty() {
                let added = roles
                    .add_privileges(role, args.add.clone())
                    .await
                    .map_err(fail)?;
                eprintln!("added or updated {} privilege(s)", added.len());
            }
            for privilege in &args.remove {
                let removed = roles
                    .remove_privilege(role, privilege.clone())
                    .await
                    .map_err(fail)?;
                if !removed {
                    eprintln!("the role did not hold {privilege:?}; nothing to remove");
                }
            }
            let rows: Vec<PrivilegeJson> = roles
                .privileges(role)
                .await
                .map_err(fail)?
                .iter()
                .map(PrivilegeJson::from)
                .collect();
            print(format, &rows, || privileges_text(&rows))
        }
    }
}

async fn principal(org: &OrgSession, args: &PrincipalArgs) -> Result<Option<Principal>, Failure> {
    if let Some(id) = args.user {
        return Ok(Some(Principal::User(id)));
    }
    if let Some(id) = args.team {
        return Ok(Some(Principal::Team(id)));
    }
    let Some(app) = args.app_id else {
        return Ok(None);
    };
    let user = org
        .client
        .app_users()
        .find(app)
        .await
        .map_err(|e| from_dataverse(&e, &org.ctx))?
        .ok_or_else(|| {
            from_dataverse(
                &DataverseError::NotFound {
                    what: format!("an application user for application {app}"),
                    fix: format!("create it first: d365 app-users ensure --app-id {app}"),
                },
                &org.ctx,
            )
        })?;
    Ok(Some(Principal::User(user.id)))
}

fn print<T: Serialize>(
    format: Format,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<(), Failure> {
    match format {
        Format::Json => output::print_json(value),
        Format::Human => output::print_text(&text()),
    }
    .map_err(io_failure)
}

/// The human role listing.
pub(crate) fn roles_text(rows: &[RoleJson]) -> String {
    if rows.is_empty() {
        return "No roles.\n".to_owned();
    }
    let mut table = Table::new(["ROLE ID", "NAME", "BUSINESS UNIT"]);
    for r in rows {
        table.row([
            r.role_id.to_string(),
            cell(r.name.as_deref()),
            cell(r.business_unit_id),
        ]);
    }
    table.render()
}

/// The human outcome of assign / remove.
pub(crate) fn change_text(c: &ChangeJson) -> String {
    let role = match &c.role_name {
        Some(name) => format!("Role '{name}' ({})", c.role_id),
        None => format!("Role {}", c.role_id),
    };
    match c.outcome {
        "assigned" => format!(
            "{role} is assigned to {} {}.\n",
            c.principal_type, c.principal_id
        ),
        "removed" => format!(
            "{role} is removed from {} {}.\n",
            c.principal_type, c.principal_id
        ),
        _ => format!(
            "{} {} did not hold role {}; nothing to remove.\n",
            c.principal_type, c.principal_id, c.role_id
        ),
    }
}

/// The human privilege listing.
pub(crate) fn privileges_text(rows: &[PrivilegeJson]) -> String {
    if rows.is_empty() {
        return "The role has no privileges.\n".to_owned();
    }
    let mut table = Table::new(["PRIVILEGE", "PRIVILEGE ID", "DEPTH"]);
    for p in rows {
        table.row([
            cell(p.name.as_deref()),
            p.privilege_id.to_string(),
            PrivilegeDepth::parse(&p.depth).to_string(),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn privilege_specs_read_names_tables_and_depths() {
        let g = parse_grant("prvReadAsyncOperation:Organization").expect("name");
        assert_eq!(
            g.privilege,
            PrivilegeRef::Name("prvReadAsyncOperation".into())
        );
        assert_eq!(g.depth, PrivilegeDepth::Organization);
        let g = parse_grant("UserEntityUISettings:create:user").expect("table");
        assert_eq!(
            g.privilege,
            PrivilegeRef::Table {
                table: "userentityuisettings".into(),
                right: AccessRight::Create
            }
        );
        assert_eq!(g.depth, PrivilegeDepth::User);
        assert!(
            parse_grant("prvReadLead")
                .expect_err("no depth")
                .contains("no depth")
        );
        assert!(
            parse_grant("prvReadLead:Galaxy")
                .expect_err("depth")
                .contains("not a depth")
        );
        assert!(
            parse_privilege("lead:Fly")
                .expect_err("right")
                .contains("access right")
        );
        assert!(parse_privilege("readlead").is_err());
    }

    #[test]
    fn outcomes_say_what_happened() {
        let c = ChangeJson {
            role_id: Uuid::from_u128(1),
            role_name: Some("Lead Writer".into()),
            principal_type: "user",
            principal_id: Uuid::from_u128(2),
            outcome: "assigned",
        };
        assert!(change_text(&c).contains("'Lead Writer'"));
        let rows = [PrivilegeJson {
            name: Some("prvReadLead".into()),
            privilege_id: Uuid::from_u128(3),
            depth: "Global".into(),
        }];
        let text = privileges_text(&rows);
        assert!(
            text.contains("prvReadLead") && text.contains("Organization"),
            "{text}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_spec_parses_or_explains(spec in ".{0,40}") {
            match parse_grant(&spec) {
                Ok(g) => prop_assert!(!matches!(g.depth, PrivilegeDepth::Unknown(_))),
                Err(message) => prop_assert!(!message.is_empty()),
            }
            let _ = parse_privilege(&spec);
        }
    }
}
