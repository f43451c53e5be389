//! `users sync`: bring Entra users into a Dataverse org by a rules file (business unit,
//! teams, roles), force-syncing the missing ones; a plan with `--dry-run`, else applied and
//! resumable from its Graph checkpoint (crate `user-sync`).

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use clap::Args;
use online_mgmt_api::{EnvironmentName, WaitOptions};
use serde::Serialize;
use user_sync::{
    AdminForceSync, ForceSync, ForceSyncOutcome, GraphClient, GraphOptions, RuleSet,
    SqlCheckpoints, StderrProgress, SyncError, SyncJournal, SyncOptions, SyncReport, UserSync,
    UserWait,
};
use uuid::Uuid;

use super::dataverse_target::{DataverseTargetArgs, OrgInputs, connect, from_dataverse};
use crate::cli::WaitArgs;
use crate::cli_errors::environment_name;
use crate::exit::{self, Context, ExitKind, Failure};
use crate::output::{self, Format};
use crate::session;

/// Options of `users sync`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SyncArgs {
    /// The rules file (TOML): `[filter]`, ordered `[[placement]]` rules, `default`, `[safety]`
    #[arg(long, value_name = "PATH")]
    pub(crate) rules: PathBuf,

    /// Print the plan only; change nothing and keep the checkpoint where it is
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Apply even if the plan moves or strips more users than the rules' safety share
    #[arg(long)]
    pub(crate) force: bool,

    /// Disable (never delete) users removed from Entra or whose account is disabled
    #[arg(long)]
    pub(crate) disable_leavers: bool,

    /// Read every user instead of the changes since the checkpoint (after group changes)
    #[arg(long)]
    pub(crate) full: bool,

    /// The checkpoint file (SQLite), created when missing [default: user-sync.sqlite]
    #[arg(long, value_name = "PATH")]
    pub(crate) state: Option<PathBuf>,

    /// Microsoft Graph's base URL [default: https://graph.microsoft.com/v1.0/; with
    /// --emulator, the emulator's]
    #[arg(long, value_name = "URL")]
    pub(crate) graph_url: Option<String>,

    /// The environment users are force-synced into: its instance id (Online Management API
    /// ApplyUser) or environment id (--backend bap addUser) [default: --environment when it
    /// is an id, else the instance whose URL is the org's]
    #[arg(long, value_name = "GUID", value_parser = environment_name)]
    pub(crate) sync_environment: Option<EnvironmentName>,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,

    #[command(flatten)]
    pub(crate) wait: WaitArgs,
}

/// Where force syncs go, or why they cannot (used only when the plan has some).
#[derive(Debug)]
enum CliForceSync {
    Ready(AdminForceSync),
    Unavailable(&'static str),
}

#[async_trait]
impl ForceSync for CliForceSync {
    async fn force_sync(&self, user: Uuid) -> user_sync::Result<ForceSyncOutcome> {
        match self {
            CliForceSync::Ready(admin) => admin.force_sync(user).await,
            CliForceSync::Unavailable(why) => Err(SyncError::InvalidInput {
                what: "--sync-environment".to_owned(),
                problem: (*why).to_owned(),
            }),
        }
    }
}

/// The outcome as printed with `--json`. Field names are stable.
#[derive(Debug, Serialize)]
pub(crate) struct SyncJson {
    /// Whether nothing was changed.
    pub(crate) dry_run: bool,
    /// Whether Graph was read from the start.
    pub(crate) full_round: bool,
    /// Graph pages read.
    pub(crate) pages: usize,
    /// The plan: `considered`, `skipped`, `counts`, `actions`.
    pub(crate) plan: serde_json::Value,
    /// Actions applied.
    pub(crate) applied: usize,
    /// Users reported as unlicensed.
    pub(crate) unlicensed: Vec<String>,
    /// Users whose steps failed (`user`, `reason`); the next run retries them.
    pub(crate) failed: Vec<FailedJson>,
    /// Whether the rules changed since the last run (a full round was read).
    pub(crate) rules_changed: bool,
}

/// One failed user in `--json`.
#[derive(Debug, Serialize)]
pub(crate) struct FailedJson {
    /// The user principal name (else the object id).
    pub(crate) user: String,
    /// Why.
    pub(crate) reason: String,
}

impl From<&SyncReport> for SyncJson {
    fn from(r: &SyncReport) -> Self {
        SyncJson {
            dry_run: r.dry_run,
            full_round: r.full_round,
            pages: r.pages,
            plan: r.plan.to_json(),
            applied: r.applied.len(),
            unlicensed: r.unlicensed().into_iter().map(str::to_owned).collect(),
            failed: r
                .failed()
                .into_iter()
                .map(|(user, reason)| FailedJson {
                    user: user.to_owned(),
                    reason: reason.to_owned(),
                })
                .collect(),
            rules_changed: r.rules_changed,
        }
    }
}

/// The human outcome: the plan's table, then what happened.
pub(crate) fn text(report: &SyncReport) -> String {
    let mut out = report.plan.to_table();
    if report.rules_changed {
        out.push_str("The rules changed since the last run: every user was read again.\n");
    }
    for (user, reason) in report.failed() {
        out.push_str(&format!(
            "Failed (retried by the next run): {user}: {reason}\n"
        ));
    }
    if report.dry_run {
        out.push_str("Dry run: nothing was changed.\n");
    } else {
        out.push_str(&format!(
            "Applied {} actions from {} Graph page(s){}.\n",
            report.applied.len(),
            report.pages,
            if report.full_round {
                " (full round)"
            } else {
                ""
            }
        ));
    }
    out
}

/// The rules, read before anything is signed in.
pub(crate) fn load_rules(args: &SyncArgs) -> Result<RuleSet, Failure> {
    RuleSet::load(&args.rules).map_err(|e| {
        Failure::usage(e.to_string()).with_fix(
            "correct the rules file; the format is in the user-sync README and \
             reference/user-sync/rules.example.toml",
        )
    })
}

/// Maps a sync error to a failure with an exit code and a fix.
pub(crate) fn from_sync(error: &SyncError, ctx: &Context) -> Failure {
    match error {
        SyncError::Dataverse(e) => from_dataverse(e, ctx),
        SyncError::Admin(e) => exit::from_admin(e, ctx),
        SyncError::Graph(e) if matches!(e.status(), Some(401 | 403)) => exit::from_http(e, ctx)
            .with_fix(
                "the signed-in user or application needs User.Read.All (and \
                 GroupMember.Read.All for member_of rules) in Microsoft Graph",
            ),
        SyncError::Graph(e) => exit::from_http(e, ctx),
        SyncError::Rules(_) | SyncError::InvalidInput { .. } | SyncError::Group { .. } => {
            Failure::usage(error.to_string())
        }
        SyncError::SafetyLimit { .. } => Failure::usage(error.to_string())
            .with_fix("look at the plan with --dry-run; if it is meant, run again with --force"),
        SyncError::MissingInOrg { .. } => Failure::new(ExitKind::NotFound, error.to_string()),
        _ => Failure::new(ExitKind::Service, error.to_string())
            .with_fix("run the same command again: it resumes from the last applied page"),
    }
}

/// The Online Management API instance whose application URL is the org's (the environment
/// to force-sync into when --sync-environment is not given); `None` on BAP or when no
/// instance of the region (ServiceURL) serves this org.
async fn instance_of_org(
    admin: &session::Session,
    org_url: &url::Url,
    ctx: &Context,
) -> Result<Option<EnvironmentName>, Failure> {
    let Some(oma) = &admin.oma else {
        return Ok(None);
    };
    let instances = oma
        .list_instances()
        .await
        .map_err(|e| exit::from_admin(&e, ctx))?;
    Ok(instances
        .iter()
        .find(|i| {
            i.application_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| u.origin() == org_url.origin())
        })
        .map(|i| EnvironmentName::from(i.id)))
}

/// Runs `users sync`.
pub(crate) async fn run(
    args: &SyncArgs,
    inputs: OrgInputs<'_>,
    format: Format,
) -> Result<(), Failure> {
    let rules = load_rules(args)?;
    let choice = args.org.choice(inputs.default_org.as_deref())?;
    let graph_url = match (&args.graph_url, &inputs.default_org) {
        (Some(url), _) => url.clone(),
        (None, Some(emulator)) if inputs.emulator_user.is_some() => {
            format!("{}/graph/v1.0/", emulator.trim_end_matches('/'))
        }
        _ => user_sync::graph::DEFAULT_GRAPH_BASE.to_owned(),
    };
    let sync_environment = args.sync_environment.clone().or_else(|| {
        args.org
            .environment
            .as_deref()
            .and_then(|e| environment_name(e).ok())
    });
    let (settings, global) = (inputs.settings, inputs.global);
    let org = connect(choice, inputs).await?;
    let ctx = org.ctx.clone();
    let mut pipeline = dynamics_http::PipelineOptions::default();
    if let Some(n) = global.max_retries {
        pipeline.retry.max_retries = n;
    }
    let graph = GraphClient::new(
        &graph_url,
        org.credential.clone(),
        GraphOptions {
            pipeline,
            ..GraphOptions::default()
        },
    )
    .map_err(|e| from_sync(&e, &ctx))?;

    let wait: WaitOptions = super::wait_options(&args.wait);
    let force: CliForceSync = if args.dry_run {
        CliForceSync::Unavailable("a dry run force-syncs nobody")
    } else {
        let target = session::target(settings, global.max_retries)?;
        let admin = session::connect(target, org.credential.clone(), ctx.clone()).await?;
        let environment = match sync_environment {
            Some(e) => Some(e),
            None => instance_of_org(&admin, org.client.org_url(), &ctx).await?,
        };
        match environment {
            Some(environment) => CliForceSync::Ready(AdminForceSync::new(
                admin.admin.clone(),
                environment,
                wait.clone(),
            )),
            None => CliForceSync::Unavailable(
                "users missing in the org are force-synced into an environment, and none was \
                 found for this org: add --sync-environment <instance or environment id>",
            ),
        }
    };
    let state = args
        .state
        .clone()
        .unwrap_or_else(|| PathBuf::from("user-sync.sqlite"));
    let checkpoints = SqlCheckpoints::open_sqlite(&state).await.map_err(|e| {
        Failure::usage(format!("the checkpoint file {}: {e}", state.display()))
            .with_fix("give a writable path with --state")
    })?;
    // The roles noted before moves, the retry list and the rules' fingerprint live in the
    // same file as the checkpoint.
    let journal = SyncJournal::open_sqlite(&state).await.map_err(|e| {
        Failure::usage(format!("the state file {}: {e}", state.display()))
            .with_fix("give a writable path with --state")
    })?;
    let org_url = org.client.org_url().to_string();
    let sync = UserSync::new(
        graph,
        org.client.clone(),
        Arc::new(force),
        Arc::new(checkpoints),
        rules,
    )
    .with_progress(Arc::new(StderrProgress))
    .with_journal(journal);
    let options = SyncOptions {
        dry_run: args.dry_run,
        force: args.force,
        disable_leavers: args.disable_leavers,
        full: args.full,
        checkpoint_key: format!("{}:{org_url}", user_sync::DEFAULT_CHECKPOINT_KEY),
        // --timeout-secs, when given, bounds each user's wait (capped at
        // user_sync::MAX_USER_WAIT); else the library's shorter per-user default.
        user_wait: match args.wait.timeout_secs {
            Some(_) => UserWait {
                timeout: wait.timeout,
                interval: wait.default_interval,
            },
            None => UserWait::default(),
        },
        ..SyncOptions::default()
    };
    let report = sync.run(&options).await.map_err(|e| from_sync(&e, &ctx))?;
    match format {
        Format::Json => output::print_json(&SyncJson::from(&report)),
        Format::Human => output::print_text(&text(&report)),
    }
    .map_err(super::dataverse_target::io_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_rules_file_is_a_usage_error_with_its_line() {
        let dir = std::env::temp_dir().join(format!("d365-rules-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("rules.toml");
        std::fs::write(
            &path,
            "[default]\nroles = [\"R\"]\n[filter]\nattribute = \"city\"\nop = \"like\"\nvalue = \"x\"\n",
        )
        .expect("write");
        let args = SyncArgs {
            rules: path,
            dry_run: true,
            force: false,
            disable_leavers: false,
            full: false,
            state: None,
            graph_url: None,
            sync_environment: None,
            org: DataverseTargetArgs {
                org_url: None,
                environment: None,
            },
            wait: WaitArgs {
                timeout_secs: None,
                poll_interval_ms: None,
            },
        };
        let failure = load_rules(&args).expect_err("bad op");
        assert_eq!(failure.exit_code(), 2);
        let shown = failure.to_string();
        assert!(
            shown.contains("unknown op `like`") && shown.contains("line 3"),
            "{shown}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_safety_stop_asks_for_force_and_the_report_reads_as_json() {
        let err = SyncError::SafetyLimit {
            affected: 5,
            considered: 10,
            percent: 50.0,
            limit_percent: 10.0,
        };
        let failure = from_sync(&err, &Context::default());
        assert_eq!(failure.exit_code(), 2);
        assert!(failure.to_string().contains("--force"), "{failure}");
        let report = SyncReport::default();
        let json = serde_json::to_value(SyncJson::from(&report)).expect("json");
        assert_eq!(json["plan"]["considered"], 0);
        assert_eq!(json["applied"], 0);
        assert_eq!(json["failed"], serde_json::json!([]));
        assert_eq!(json["rules_changed"], false);
        assert!(text(&report).contains("No changes."));
    }
}
