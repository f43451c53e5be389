//! Running a command: settings first, then every check that needs no network (so a bad
//! GUID fails before any prompt), then sign-in, then the command itself.

pub(crate) mod app_users;
mod apps;
mod config;
pub(crate) mod dataverse_target;
mod instances;
pub(crate) mod leads;
mod leads_endpoint;
mod leads_import;
mod leads_report;
mod leads_serve;
mod leads_setup;
mod leads_spool;
mod leads_status;
mod leads_tls;
mod leads_validate;
mod operations;
pub(crate) mod roles;
pub(crate) mod solutions;
mod users;
pub(crate) mod users_sync;

use std::path::PathBuf;
use std::time::Duration;

use online_mgmt_api::{EnvironmentName, WaitOptions};
use uuid::Uuid;

use crate::cli::{
    AppsCommand, Cli, Command, ConfigCommand, InstancesCommand, OperationsCommand, UsersCommand,
    WaitArgs,
};
use crate::config::{Backend, Key, Layer, Settings, Sourced, Tenant};
use crate::emulator::Running;
use crate::exit::{Context, Failure};
use crate::output::Format;
use crate::session::{self, Session};
use crate::settings::{self, Inputs};
use crate::signin::{self, Method, SignInRequest, StdinPrompter};

/// A command with its inputs checked: what will be sent.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    /// Register an application.
    Register {
        /// The application (client) id.
        app_id: Uuid,
        /// Its tenant.
        tenant_id: Uuid,
    },
    /// List the registered applications.
    ListApps,
    /// Remove an application's registration.
    Unregister {
        /// The application (client) id.
        app_id: Uuid,
    },
    /// Force-sync a user into an environment.
    ForceSync {
        /// The environment: an instance id, or (BAP) `Default-<tenant id>`.
        environment: EnvironmentName,
        /// The user's object id.
        user: Uuid,
        /// How long and how often to poll.
        wait: WaitOptions,
    },
    /// List instances.
    ListInstances,
    /// Show one instance.
    GetInstance {
        /// The instance id.
        id: Uuid,
    },
    /// Wait for an operation.
    WaitOperation {
        /// The operation id.
        id: Uuid,
        /// How long and how often to poll.
        wait: WaitOptions,
    },
}

/// Runs the parsed command line.
pub(crate) async fn run(cli: Cli) -> Result<(), Failure> {
    let Cli { global, command } = cli;
    let format = if global.json {
        Format::Json
    } else {
        Format::Human
    };
    let env = |name: &str| std::env::var(name).ok();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let loaded = settings::load(
        &global,
        &command,
        Inputs {
            env: &env,
            cwd: &cwd,
            overrides: Layer::new(),
            defaults: Layer::new(),
        },
    )?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let method = signin::choose_method(&global.sign_in, &loaded.settings, &env)?;

    let emulator = if global.emulator {
        Some(Running::start().await?)
    } else {
        None
    };
    let settings = match &emulator {
        Some(emu) => {
            let app_only = method.is_app_only();
            let settings = settings::load(
                &global,
                &command,
                Inputs {
                    env: &env,
                    cwd: &cwd,
                    overrides: emu.overrides(app_only),
                    defaults: Layer::new(),
                },
            )?
            .settings;
            let who_key = if app_only {
                Key::ClientId
            } else {
                Key::UserName
            };
            eprintln!("{}", emu.note(settings.text(who_key).unwrap_or("-")));
            settings
        }
        None => loaded.settings,
    };

    if let Command::Config(ConfigCommand::Show) = &command {
        return config::show(&settings, loaded.config_file.as_deref(), format);
    }

    let org_inputs = || dataverse_target::OrgInputs {
        global: &global,
        settings: &settings,
        env: &env,
        emulator_user: emulator.as_ref().map(Running::user),
        // The emulator serves its one org at its own base URL, which is also its ServiceURL.
        default_org: emulator
            .as_ref()
            .and_then(|_| settings.text(Key::ServiceUrl).map(str::to_owned)),
    };
    match &command {
        Command::AppUsers(c) => return app_users::run(c, org_inputs(), format).await,
        Command::Roles(c) => return roles::run(c, org_inputs(), format).await,
        Command::Solutions(c) => return solutions::run(c, org_inputs(), format).await,
        Command::Leads(c) => return leads::run(c, org_inputs(), format).await,
        Command::Users(UsersCommand::Sync(a)) => {
            return users_sync::run(a, org_inputs(), format).await;
        }
        _ => {}
    }

    let job = job(&command, &settings, &method)?;
    let target = session::target(&settings, global.max_retries)?;
    if settings.backend().map_err(Failure::config)? == Backend::Bap
        && matches!(
            job,
            Job::ListInstances | Job::GetInstance { .. } | Job::WaitOperation { .. }
        )
    {
        return Err(
            Failure::usage("instances and operations are Online Management API commands")
                .with_fix("drop --backend bap (or D365_BACKEND / Backend in the config file)"),
        );
    }

    let emulator_user = emulator.as_ref().map(Running::user);
    let (credential, info) = tokio::task::block_in_place(|| {
        signin::credential(SignInRequest {
            args: &global.sign_in,
            settings: &settings,
            env: &env,
            prompter: &mut StdinPrompter,
            emulator_user,
        })
    })?;
    // Device-code sign-in always says who signed in (the browser step could have used any
    // account); other sign-ins say it with --verbose.
    let announce = info.method == Method::DeviceCode || global.verbose;
    let credential = crate::whoami::announcing(credential, announce);
    let ctx = Context {
        sign_in: Some(info),
        service: crate::settings::describe_service(&settings),
        not_found: None,
    };
    let session = session::connect(target, credential, ctx).await?;
    // The emulator, if any, lives until here.
    execute(job, &session, format).await
}

/// Checks the command's inputs against the settings, without any IO.
pub(crate) fn job(command: &Command, settings: &Settings, method: &Method) -> Result<Job, Failure> {
    Ok(match command {
        Command::Apps(AppsCommand::Register(_)) | Command::WhitelistApp(_) => {
            let app_id = settings.require_guid(
                Key::AadApplicationId,
                "it names the application to register",
            )?;
            let tenant_id = app_tenant(settings)?;
            if method.is_app_only() && app_only_client_is(settings, app_id) {
                return Err(Failure::usage(
                    "an application cannot register itself: the registration must be made by \
                     an administrator",
                )
                .with_fix(
                    "sign in as a Global or Service administrator: drop --client-secret-env, \
                     --certificate or --pfx (and unset D365_CLIENT_SECRET, D365_CERTIFICATE, \
                     D365_PFX) to be asked for a user name and password, or use --device-code",
                ));
            }
            Job::Register { app_id, tenant_id }
        }
        Command::Apps(AppsCommand::List(_)) | Command::ListAllApps(_) => Job::ListApps,
        Command::Apps(AppsCommand::Unregister(_)) | Command::UnregisterApp(_) => Job::Unregister {
            app_id: settings.require_guid(
                Key::AadApplicationId,
                "it names the application to unregister",
            )?,
        },
        Command::Users(UsersCommand::ForceSync(args)) => Job::ForceSync {
            environment: {
                if settings.backend().map_err(Failure::config)? == Backend::Oma {
                    users::oma_instance(&args.environment)?;
                }
                args.environment.clone()
            },
            user: args.user,
            wait: wait_options(&args.wait),
        },
        Command::Instances(InstancesCommand::List) => Job::ListInstances,
        Command::Instances(InstancesCommand::Get { id }) => Job::GetInstance { id: *id },
        Command::Operations(OperationsCommand::Wait { id, wait }) => Job::WaitOperation {
            id: *id,
            wait: wait_options(wait),
        },
        Command::Config(ConfigCommand::Show) => {
            return Err(Failure::usage("`config show` needs no job"));
        }
        Command::AppUsers(_)
        | Command::Roles(_)
        | Command::Solutions(_)
        | Command::Leads(_)
        | Command::Users(UsersCommand::Sync(_)) => {
            return Err(Failure::usage(
                "`app-users`, `roles`, `solutions` and `leads` act on a Dataverse org, not the admin API",
            ));
        }
    })
}

/// The application's tenant: `AadAppTenantId`, else the GUID tenant of `AadAuthority`.
fn app_tenant(settings: &Settings) -> Result<Uuid, Failure> {
    match settings.app_tenant()? {
        Some(Sourced {
            value: Tenant::Id(id),
            ..
        }) => return Ok(id),
        Some(Sourced {
            value: Tenant::Domain(domain),
            source,
        }) => {
            return Err(Failure::usage(format!(
                "{} is the domain `{domain}`: signing in accepts a domain, but registering an \
                 application needs the tenant's GUID",
                source.describe(Key::AadAppTenantId)
            ))
            .with_fix(
                "set AadAppTenantId (--tenant-id) to the Tenant ID shown in the Microsoft Entra \
                 admin center (entra.microsoft.com) > Overview",
            ));
        }
        None => {}
    }
    if let Some(tenant) = settings
        .authority_url()?
        .and_then(|a| a.tenant)
        .and_then(|t| Uuid::parse_str(&t).ok())
    {
        return Ok(tenant);
    }
    Err(Failure::usage(
        "AadAppTenantId is not set; it is the directory (tenant) id of the application to register",
    )
    .with_fix(format!("set {}", Key::AadAppTenantId.how_to_set())))
}

fn app_only_client_is(settings: &Settings, app_id: Uuid) -> bool {
    match settings.text(Key::ClientId) {
        Some(client) => Uuid::parse_str(client.trim()).is_ok_and(|c| c == app_id),
        // App-only sign-in without a client id signs in as AadApplicationId.
        None => true,
    }
}

/// The waiting options from the flags: `--poll-interval-ms` caps every wait between polls,
/// `Retry-After` included.
pub(crate) fn wait_options(args: &WaitArgs) -> WaitOptions {
    let cap = Duration::from_millis(args.poll_interval_ms.unwrap_or(DEFAULT_MAX_POLL_MS));
    WaitOptions {
        timeout: Duration::from_secs(args.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS)),
        default_interval: DEFAULT_POLL_INTERVAL.min(cap),
        max_interval: cap,
    }
}

/// `--timeout-secs` when not given.
const DEFAULT_TIMEOUT_SECS: u64 = 600;
/// `--poll-interval-ms` when not given.
const DEFAULT_MAX_POLL_MS: u64 = 30_000;
/// The pause between polls when the service sends no `Retry-After`.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

async fn execute(job: Job, session: &Session, format: Format) -> Result<(), Failure> {
    match job {
        Job::Register { app_id, tenant_id } => {
            apps::register(session, app_id, tenant_id, format).await
        }
        Job::ListApps => apps::list(session, format).await,
        Job::Unregister { app_id } => apps::unregister(session, app_id, format).await,
        Job::ForceSync {
            environment,
            user,
            wait,
        } => users::force_sync(session, environment, user, wait, format).await,
        Job::ListInstances => instances::list(session, format).await,
        Job::GetInstance { id } => instances::get(session, id, format).await,
        Job::WaitOperation { id, wait } => operations::wait(session, id, wait, format).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn settings(values: Vec<(Key, &str)>) -> Settings {
        crate::config::flag_settings(values)
    }

    fn command(args: &[&str]) -> Command {
        Cli::try_parse_from(args).expect("parses").command
    }

    #[test]
    fn register_needs_the_app_and_its_tenant() {
        let cmd = command(&["d365", "whitelistapp"]);
        let err = job(&cmd, &Settings::default(), &Method::Password).expect_err("no app");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("AadApplicationId"), "{err}");
        let s = settings(vec![
            (
                Key::AadApplicationId,
                "11111111-2222-3333-4444-555555555555",
            ),
            (
                Key::AadAuthority,
                "https://login.microsoftonline.com/c0a7e5a0-0000-4000-8000-000000000001",
            ),
        ]);
        let Job::Register { tenant_id, .. } = job(&cmd, &s, &Method::Password).expect("ok") else {
            panic!("register job expected");
        };
        assert_eq!(
            tenant_id.to_string(),
            "c0a7e5a0-0000-4000-8000-000000000001"
        );
    }

    #[test]
    fn an_app_cannot_register_itself() {
        let cmd = command(&["d365", "apps", "register"]);
        let s = settings(vec![
            (
                Key::AadApplicationId,
                "11111111-2222-3333-4444-555555555555",
            ),
            (Key::AadAppTenantId, "c0a7e5a0-0000-4000-8000-000000000001"),
        ]);
        let app_only = Method::AppOnly(crate::signin::AppOnly::ClientSecret { env: "X".into() });
        let err = job(&cmd, &s, &app_only).expect_err("self registration");
        assert!(err.to_string().contains("cannot register itself"), "{err}");
    }

    #[test]
    fn the_poll_interval_caps_every_wait() {
        let wait = wait_options(&WaitArgs {
            timeout_secs: Some(5),
            poll_interval_ms: Some(20),
        });
        assert_eq!(wait.timeout, Duration::from_secs(5));
        assert_eq!(wait.max_interval, Duration::from_millis(20));
        assert!(wait.default_interval <= Duration::from_millis(20));
        let default = wait_options(&WaitArgs {
            timeout_secs: None,
            poll_interval_ms: None,
        });
        assert_eq!(default.timeout, Duration::from_secs(600));
        assert_eq!(default.max_interval, Duration::from_secs(30));
    }
}
