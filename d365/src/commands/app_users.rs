//! `app-users ensure | list | disable`: the application users of one Dataverse org.

use clap::{Args, Subcommand};
use dataverse_webapi::provisioning::{ApplicationUser, EnsuredAppUser};
use serde::Serialize;
use uuid::Uuid;

use super::dataverse_target::{
    DataverseTargetArgs, OrgInputs, OrgSession, connect, from_dataverse, io_failure,
};
use crate::cli_errors::{APPLICATION_ID, guid};
use crate::exit::Failure;
use crate::output::{self, Format, Table, cell, fields};

/// `d365 app-users ...`
#[derive(Debug, Subcommand)]
pub(crate) enum AppUsersCommand {
    /// Make sure an Entra application has an enabled application user in the org: adopt the
    /// existing one (enabling it) or create it, in the root business unit unless
    /// --business-unit says otherwise. Running it again changes nothing. Needs System
    /// Administrator in the org (Create and Write on User)
    Ensure(EnsureArgs),
    /// List the org's application users. Needs Read on User
    List(ListArgs),
    /// Disable an application's user (it can no longer sign in to the org). Needs System
    /// Administrator in the org (Write on User)
    Disable(DisableArgs),
}

/// Options of `app-users ensure`.
#[derive(Debug, Clone, Args)]
pub(crate) struct EnsureArgs {
    /// The Entra application (client) id
    #[arg(long, value_name = "GUID", value_parser = guid(APPLICATION_ID))]
    pub(crate) app_id: Uuid,

    /// The business unit (name or id) to create the user in, or to move it to
    #[arg(long, value_name = "NAME|GUID")]
    pub(crate) business_unit: Option<String>,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// Options of `app-users list`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// Options of `app-users disable`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DisableArgs {
    /// The Entra application (client) id
    #[arg(long, value_name = "GUID", value_parser = guid(APPLICATION_ID))]
    pub(crate) app_id: Uuid,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// An application user as printed with `--json`. Field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AppUserJson {
    /// `systemuserid`.
    pub(crate) systemuser_id: Uuid,
    /// The Entra application (client) id.
    pub(crate) application_id: Option<Uuid>,
    /// The name Dataverse shows.
    pub(crate) name: Option<String>,
    /// Whether the user is disabled.
    pub(crate) disabled: bool,
    /// The business unit id.
    pub(crate) business_unit_id: Option<Uuid>,
    /// The names of the roles, when read.
    pub(crate) roles: Vec<String>,
}

impl From<&ApplicationUser> for AppUserJson {
    fn from(u: &ApplicationUser) -> Self {
        AppUserJson {
            systemuser_id: u.id,
            application_id: u.application_id,
            name: u.full_name.clone(),
            disabled: u.is_disabled,
            business_unit_id: u.business_unit_id,
            roles: u.roles.iter().filter_map(|r| r.name.clone()).collect(),
        }
    }
}

/// The outcome of `ensure` as printed with `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EnsureJson {
    /// The user.
    #[serde(flatten)]
    pub(crate) user: AppUserJson,
    /// `created`, `updated` or `unchanged`.
    pub(crate) outcome: &'static str,
}

impl From<&EnsuredAppUser> for EnsureJson {
    fn from(e: &EnsuredAppUser) -> Self {
        EnsureJson {
            user: AppUserJson::from(&e.user),
            outcome: if e.created {
                "created"
            } else if e.updated {
                "updated"
            } else {
                "unchanged"
            },
        }
    }
}

/// The org the command names, checked before any sign-in.
pub(crate) fn org_args(command: &AppUsersCommand) -> &DataverseTargetArgs {
    match command {
        AppUsersCommand::Ensure(a) => &a.org,
        AppUsersCommand::List(a) => &a.org,
        AppUsersCommand::Disable(a) => &a.org,
    }
}

/// Runs `app-users ...`.
pub(crate) async fn run(
    command: &AppUsersCommand,
    inputs: OrgInputs<'_>,
    format: Format,
) -> Result<(), Failure> {
    let choice = org_args(command).choice(inputs.default_org.as_deref())?;
    let org = connect(choice, inputs).await?;
    let fail = |e: dataverse_webapi::DataverseError| from_dataverse(&e, &org.ctx);
    let users = org.client.app_users();
    match command {
        AppUsersCommand::Ensure(args) => {
            let mut ensure = users.ensure(args.app_id);
            if let Some(unit) = &args.business_unit {
                ensure = ensure.business_unit(business_unit_id(&org, unit).await?);
            }
            let ensured = ensure.await.map_err(fail)?;
            let json = EnsureJson::from(&ensured);
            print(format, &json, || ensure_text(&json))
        }
        AppUsersCommand::List(_) => {
            let rows: Vec<AppUserJson> = users
                .list()
                .await
                .map_err(fail)?
                .iter()
                .map(AppUserJson::from)
                .collect();
            print(format, &rows, || list_text(&rows))
        }
        AppUsersCommand::Disable(args) => {
            let user = users.disable(args.app_id).await.map_err(fail)?;
            let json = AppUserJson::from(&user);
            print(format, &json, || {
                format!(
                    "The application user of {} ({}) is disabled.\n",
                    args.app_id, json.systemuser_id
                )
            })
        }
    }
}

/// A business unit given by id or name.
pub(crate) async fn business_unit_id(org: &OrgSession, unit: &str) -> Result<Uuid, Failure> {
    if let Ok(id) = Uuid::parse_str(unit.trim()) {
        return Ok(id);
    }
    org.client
        .business_units()
        .find(unit.trim())
        .await
        .map_err(|e| from_dataverse(&e, &org.ctx))?
        .map(|u| u.id)
        .ok_or_else(|| {
            from_dataverse(
                &dataverse_webapi::DataverseError::NotFound {
                    what: format!("a business unit named '{}'", unit.trim()),
                    fix: "check the name, or give the business unit's id".into(),
                },
                &org.ctx,
            )
        })
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

/// The human outcome of `ensure`.
pub(crate) fn ensure_text(e: &EnsureJson) -> String {
    let what = match e.outcome {
        "created" => "created",
        "updated" => "already existed and was updated",
        _ => "already existed; nothing changed",
    };
    let mut text = format!(
        "The application user of {} {what}.\n",
        cell(e.user.application_id)
    );
    text.push_str(&fields(&[
        ("systemuserid", e.user.systemuser_id.to_string()),
        ("business unit", cell(e.user.business_unit_id)),
        ("enabled", (!e.user.disabled).to_string()),
        ("roles", e.user.roles.join(", ")),
    ]));
    text
}

/// The human listing.
pub(crate) fn list_text(rows: &[AppUserJson]) -> String {
    if rows.is_empty() {
        return "No application users in this org.\n".to_owned();
    }
    let mut table = Table::new([
        "APPLICATION ID",
        "SYSTEMUSERID",
        "NAME",
        "ENABLED",
        "BUSINESS UNIT",
    ]);
    for r in rows {
        table.row([
            cell(r.application_id),
            r.systemuser_id.to_string(),
            cell(r.name.as_deref()),
            (!r.disabled).to_string(),
            cell(r.business_unit_id),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AppUserJson {
        AppUserJson {
            systemuser_id: Uuid::from_u128(1),
            application_id: Some(Uuid::from_u128(2)),
            name: Some("Lead Writer".into()),
            disabled: false,
            business_unit_id: None,
            roles: vec!["Basic User".into()],
        }
    }

    #[test]
    fn the_outcome_and_the_listing_name_the_application() {
        let json = EnsureJson {
            user: row(),
            outcome: "unchanged",
        };
        let text = ensure_text(&json);
        assert!(
            text.contains("nothing changed") && text.contains("Basic User"),
            "{text}"
        );
        let value = serde_json::to_value(&json).expect("json");
        assert_eq!(value["outcome"], "unchanged");
        assert_eq!(value["application_id"], Uuid::from_u128(2).to_string());
        let listing = list_text(&[row()]);
        assert!(listing.starts_with("APPLICATION ID"), "{listing}");
        assert!(listing.contains("Lead Writer"), "{listing}");
        assert!(list_text(&[]).contains("No application users"));
    }
}
