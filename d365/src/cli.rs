//! The command line: every command, flag and help text (clap derive). Parsing only; what the
//! values mean is decided in `config` and `signin`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use uuid::Uuid;

use online_mgmt_api::EnvironmentName;

use crate::cli_errors::{INSTANCE_ID, OPERATION_ID, USER_OBJECT_ID, environment_name, guid};

/// Shown after `d365 --help`: where settings come from and what the exit codes mean.
pub(crate) const AFTER_HELP: &str = "\
Settings are read from, lowest to highest precedence: the --config file (the original \
CDSTestdriveUtility.exe.config XML or a TOML file with the same keys), then environment \
variables, then flags.

Environment variables:
  D365_CONFIG                  path of the config file (like --config)
  D365_AAD_APPLICATION_ID      AadApplicationId: the app to register (like --app-id)
  D365_TENANT_ID               AadAppTenantId: the app's tenant (like --tenant-id)
  D365_APP_CREATED_ON          AadAppCreatedOn (informational)
  D365_SERVICE_URL             ServiceURL: region name (EMEA, crm4, ...) or URL (like --service-url)
  D365_AUTHORITY               AadAuthority: https://login.microsoftonline.com/<tenant> (like --authority)
  D365_REDIRECT_URL            AadAppRedirectURL (accepted; unused by these sign-ins)
  D365_AUTHORITY_HOST          sign-in host, e.g. an emulator's URL (like --authority-host)
  D365_CLOUD                   public, usgov, usgovhigh, dod, china (like --cloud)
  D365_BACKEND                 oma or bap (like --backend)
  D365_RESOURCE                admin API resource / audience (like --resource)
  D365_CLIENT_ID               client id used to sign in (like --client-id)
  D365_USERNAME                user name for the password sign-in (like --username)
  D365_PASSWORD                password for the password sign-in (else prompted / read from stdin)
  D365_CLIENT_SECRET           client secret for app-only sign-in (or --client-secret-env VAR)
  D365_CERTIFICATE, D365_PRIVATE_KEY, D365_PFX, D365_PFX_PASSWORD
                               certificate sign-in (like --certificate, --private-key, --pfx)

Exit codes:
  0  success
  2  usage or configuration error (bad flag, missing key, malformed config file, invalid GUID)
  3  sign-in failed (wrong password, MFA required: use --device-code, consent missing, ...)
  4  not authorised (401/403): the account needs the Global or Service administrator role
     (admin API), or a security role granting the privilege named (app-users, roles, solutions)
  5  not found (unknown application, instance, environment or operation)
  6  the service failed or could not be reached, or the operation failed or timed out
  7  throttled by the service (after retries)";

/// The long help of `apps register` / `whitelistapp`.
const REGISTER_ABOUT: &str = "\
Register (\"whitelist\") the application AadApplicationId of the tenant AadAppTenantId with the \
admin API, so that AppSource Test Drive can force-sync users into your instance. Registering an \
application that is already registered changes nothing.

Like CDSTestdriveUtility.exe, it asks for a user name and password (or reads them from stdin; \
accounts with multi-factor authentication use --device-code). The account must hold the \
Microsoft 365 Global administrator or Service administrator role.";

/// Where the options every command accepts are described, shown under each command's help
/// instead of repeating them.
const GLOBAL_OPTIONS_NOTE: &str = "\
Global options (--config, --service-url, --tenant-id, --backend, the sign-in options, --json, \
-v, --max-retries, --emulator, ...) are accepted here too: `d365 --help` lists them.";

/// The command line as parsed: the options every command accepts are listed once, in
/// `d365 --help` under their own headings, and each command's help names them in one line.
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    let globals: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().clone())
        .collect();
    for sub in cmd.get_subcommands_mut() {
        hide_globals(sub, &globals);
    }
    cmd
}

fn hide_globals(cmd: &mut clap::Command, globals: &[clap::Id]) {
    let hidden = std::mem::take(cmd)
        .mut_args(|a| {
            if globals.contains(a.get_id()) {
                a.hide(true)
            } else {
                a
            }
        })
        .after_help(GLOBAL_OPTIONS_NOTE);
    *cmd = hidden;
    for sub in cmd.get_subcommands_mut() {
        hide_globals(sub, globals);
    }
}

/// `d365`: the Dynamics 365 admin command line. Registers ("whitelists") an Entra application
/// with the Online Management API for AppSource Test Drive, force-syncs users, lists instances.
#[derive(Debug, Parser)]
#[command(
    name = "d365",
    version,
    about = "Dynamics 365 admin from any OS: register (whitelist) an Entra app for AppSource \
             Test Drive, force-sync users, list instances (replaces CDSTestdriveUtility.exe); \
             in a Dataverse org: application users, security roles, solutions.",
    after_help = AFTER_HELP,
    propagate_version = true
)]
pub(crate) struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command accepts: where the settings, the service and the sign-in come from,
/// and how to print.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Config file: the old CDSTestdriveUtility.exe.config (XML) or a TOML file with the same
    /// keys [env: D365_CONFIG]
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,

    /// Admin API: `oma` (Online Management API, as the old utility) or `bap` (Power Platform
    /// admin API) [default: oma] [env: D365_BACKEND]
    #[arg(long, global = true, value_enum)]
    pub(crate) backend: Option<BackendArg>,

    /// ServiceURL: region name (NorthAmerica, EMEA, crm4, ...) or the admin service URL
    /// [env: D365_SERVICE_URL]
    #[arg(long, global = true, value_name = "REGION|URL")]
    pub(crate) service_url: Option<String>,

    /// AadAuthority: the sign-in authority (host and tenant).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help = "AadAuthority: sign-in authority, e.g. https://login.microsoftonline.com/<tenant> \
                [env: D365_AUTHORITY]"
    )]
    pub(crate) authority: Option<String>,

    /// AadAppTenantId: the application's directory (tenant) id; also the sign-in tenant when
    /// AadAuthority names none, where a verified domain (contoso.onmicrosoft.com) also works
    /// [env: D365_TENANT_ID]
    #[arg(long, global = true, value_name = "GUID")]
    pub(crate) tenant_id: Option<String>,

    /// Sign-in host, overriding AadAuthority's host, e.g. an emulator's base URL
    /// [env: D365_AUTHORITY_HOST]
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) authority_host: Option<String>,

    /// Microsoft cloud: public, usgov, usgovhigh, dod, china [default: public] [env: D365_CLOUD]
    #[arg(long, global = true, value_name = "CLOUD")]
    pub(crate) cloud: Option<String>,

    /// The admin API's token audience, when it cannot be discovered [env: D365_RESOURCE]
    #[arg(long, global = true, value_name = "URI")]
    pub(crate) resource: Option<String>,

    /// Retries of a throttled (429) or failed (5xx, network) request before giving up; the
    /// service's Retry-After is honoured [default: 4]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10))]
    pub(crate) max_retries: Option<u32>,

    #[command(flatten)]
    pub(crate) sign_in: SignInArgs,

    /// Machine-readable JSON on stdout (stable field names) instead of tables
    #[arg(long, global = true, help_heading = "Global options")]
    pub(crate) json: bool,

    /// Log each admin request (method, URL, status, time) and sign-in steps to stderr (never
    /// tokens or secrets); retries are always shown
    #[arg(long, short = 'v', global = true, help_heading = "Global options")]
    pub(crate) verbose: bool,

    /// Run against an in-process emulator: no tenant, nothing leaves this machine. The
    /// emulator's tenant, sign-in host and service URL replace those of the config file and
    /// the environment (AadAppTenantId, AadAuthority, ServiceURL); --tenant-id still wins
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        conflicts_with_all = ["service_url", "authority", "authority_host"]
    )]
    pub(crate) emulator: bool,
}

/// How to sign in. Without any of these, the user name and password are asked for, as the
/// old utility did.
#[derive(Debug, Args)]
#[command(next_help_heading = "Sign-in options")]
pub(crate) struct SignInArgs {
    /// Client (application) id to sign in with. For user sign-in it defaults to the
    /// well-known PowerShell / Power Apps public client 1950a258-227b-4e31-a9cf-717495945fc2
    /// [env: D365_CLIENT_ID]
    #[arg(long, global = true, value_name = "GUID")]
    pub(crate) client_id: Option<String>,

    /// User name (UPN) for the password sign-in; asked for when missing [env: D365_USERNAME]
    #[arg(long, short = 'u', global = true, value_name = "UPN")]
    pub(crate) username: Option<String>,

    /// Sign in with a device code (accounts with multi-factor authentication); the code to
    /// enter is printed to stderr
    #[arg(long, global = true, conflicts_with_all = ["client_secret_env", "certificate", "pfx"])]
    pub(crate) device_code: bool,

    /// App-only sign-in: the name of the environment variable holding the client secret
    /// (D365_CLIENT_SECRET is used when set and no other sign-in is chosen)
    #[arg(long, global = true, value_name = "VAR", conflicts_with_all = ["certificate", "pfx"])]
    pub(crate) client_secret_env: Option<String>,

    /// App-only sign-in with a certificate: the certificate PEM file (may also hold the key)
    /// [env: D365_CERTIFICATE]
    #[arg(long, global = true, value_name = "PEM", conflicts_with = "pfx")]
    pub(crate) certificate: Option<PathBuf>,

    /// The certificate's private key PEM file (PKCS#8 or PKCS#1) [env: D365_PRIVATE_KEY]
    #[arg(long, global = true, value_name = "PEM")]
    pub(crate) private_key: Option<PathBuf>,

    /// App-only sign-in with a PKCS#12 (.pfx/.p12) file [env: D365_PFX]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) pfx: Option<PathBuf>,

    /// The name of the environment variable holding the .pfx password (D365_PFX_PASSWORD is
    /// used when set)
    #[arg(long, global = true, value_name = "VAR")]
    pub(crate) pfx_password_env: Option<String>,
}

/// The admin API to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendArg {
    /// Online Management API (admin.services.crm*.dynamics.com), as the old utility.
    Oma,
    /// Power Platform admin API (api.bap.microsoft.com): management apps and addUser.
    Bap,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Register, list and unregister applications with the admin API
    #[command(subcommand)]
    Apps(AppsCommand),

    /// Force-sync users into an environment
    #[command(subcommand)]
    Users(UsersCommand),

    /// List and show Dynamics 365 instances (Online Management API)
    #[command(subcommand)]
    Instances(InstancesCommand),

    /// Follow long-running admin operations (Online Management API)
    #[command(subcommand)]
    Operations(OperationsCommand),

    /// Show the settings in effect and where each came from (secrets are never shown)
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Application users of a Dataverse org (--org-url or --environment)
    #[command(subcommand, name = "app-users")]
    AppUsers(crate::commands::app_users::AppUsersCommand),

    /// Security roles of a Dataverse org (--org-url or --environment)
    #[command(subcommand)]
    Roles(crate::commands::roles::RolesCommand),

    /// Solutions of a Dataverse org: import a .zip, list (--org-url or --environment)
    #[command(subcommand)]
    Solutions(crate::commands::solutions::SolutionsCommand),

    /// Marketplace leads into a Dataverse org: the intake endpoint and writer (`serve`, which
    /// needs --org-url or --environment), the spool's status and retries
    #[command(subcommand)]
    Leads(crate::commands::leads::LeadsCommand),

    /// Old CDSTestdriveUtility.exe name of `apps register`
    #[command(
        name = "whitelistapp",
        visible_alias = "registerapp",
        long_about = REGISTER_ABOUT
    )]
    WhitelistApp(RegisterArgs),

    /// Old CDSTestdriveUtility.exe name of `apps list`
    #[command(name = "listallapps")]
    ListAllApps(ListAppsArgs),

    /// Old CDSTestdriveUtility.exe name of `apps unregister`
    #[command(name = "unregisterapp")]
    UnregisterApp(UnregisterArgs),
}

/// `d365 apps ...`
#[derive(Debug, Subcommand)]
pub(crate) enum AppsCommand {
    /// Register ("whitelist") the application (AadApplicationId) for the tenant (AadAppTenantId)
    #[command(long_about = REGISTER_ABOUT)]
    Register(RegisterArgs),
    /// List the registered applications
    List(ListAppsArgs),
    /// Remove the application's registration
    Unregister(UnregisterArgs),
}

/// Options of `apps register` / `whitelistapp`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RegisterArgs {
    /// The application (client) id to register: AadApplicationId [env: D365_AAD_APPLICATION_ID]
    #[arg(long, value_name = "GUID")]
    pub(crate) app_id: Option<String>,
}

/// Options of `apps list` / `listallapps`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ListAppsArgs {}

/// Options of `apps unregister` / `unregisterapp`.
#[derive(Debug, Clone, Args)]
pub(crate) struct UnregisterArgs {
    /// The application (client) id to unregister: AadApplicationId
    /// [env: D365_AAD_APPLICATION_ID]
    #[arg(long, value_name = "GUID")]
    pub(crate) app_id: Option<String>,
}

/// `d365 users ...`
#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Add (force-sync) an Entra user into an environment now, instead of waiting for the
    /// background sync (Online Management API ApplyUser, or BAP addUser)
    ForceSync(ForceSyncArgs),
    /// Bring Entra users into a Dataverse org by a rules file: business unit, teams and
    /// roles, force-syncing the missing ones; --dry-run prints the plan (crate user-sync)
    Sync(crate::commands::users_sync::SyncArgs),
}

/// Options of `users force-sync`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ForceSyncArgs {
    /// The environment: its instance id (Online Management API), or its environment id, which
    /// may be `Default-<tenant id>` (--backend bap)
    #[arg(long, value_name = "GUID", value_parser = environment_name)]
    pub(crate) environment: EnvironmentName,

    /// The user's Entra object id
    #[arg(long, value_name = "OBJECT ID", value_parser = guid(USER_OBJECT_ID))]
    pub(crate) user: Uuid,

    #[command(flatten)]
    pub(crate) wait: WaitArgs,
}

/// `d365 instances ...`
#[derive(Debug, Subcommand)]
pub(crate) enum InstancesCommand {
    /// List the instances in the region (ServiceURL)
    List,
    /// Show one instance
    Get {
        /// The instance id
        #[arg(value_name = "GUID", value_parser = guid(INSTANCE_ID))]
        id: Uuid,
    },
}

/// `d365 operations ...`
#[derive(Debug, Subcommand)]
pub(crate) enum OperationsCommand {
    /// Wait until a long-running operation ends, and show its outcome
    Wait {
        /// The operation id
        #[arg(value_name = "GUID", value_parser = guid(OPERATION_ID))]
        id: Uuid,

        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// `d365 config ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print every setting in effect and its source
    Show,
}

/// How to wait for a long-running operation.
#[derive(Debug, Clone, Args)]
pub(crate) struct WaitArgs {
    /// Give up after this many seconds [default: 600]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout_secs: Option<u64>,

    /// Longest wait between polls, in milliseconds; the service's Retry-After is honoured up
    /// to this [default: 30000]
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) poll_interval_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn old_names_take_the_same_options_as_the_new_ones() {
        let cli =
            Cli::try_parse_from(["d365", "whitelistapp", "--app-id", "x", "--tenant-id", "y"])
                .expect("parses");
        assert!(matches!(
            cli.command,
            Command::WhitelistApp(RegisterArgs { .. })
        ));
        let cli = Cli::try_parse_from(["d365", "unregisterapp", "--app-id", "x"]).expect("parses");
        assert!(matches!(cli.command, Command::UnregisterApp(_)));
        let cli = Cli::try_parse_from(["d365", "listallapps", "--json"]).expect("parses");
        assert!(cli.global.json);
    }

    #[test]
    fn registerapp_is_a_visible_alias_of_whitelistapp() {
        let cli = Cli::try_parse_from(["d365", "registerapp", "--app-id", "x"]).expect("parses");
        assert!(matches!(cli.command, Command::WhitelistApp(_)));
        let help = Cli::command().render_help().to_string();
        assert!(help.contains("registerapp"), "{help}");
    }

    #[test]
    fn global_flags_go_before_or_after_the_command() {
        let cli = Cli::try_parse_from(["d365", "apps", "list", "--backend", "bap", "--emulator"])
            .expect("parses");
        assert_eq!(cli.global.backend, Some(BackendArg::Bap));
        assert!(cli.global.emulator);
    }

    #[test]
    fn guids_are_checked_with_a_clear_message() {
        let err = Cli::try_parse_from([
            "d365",
            "users",
            "force-sync",
            "--environment",
            "nope",
            "--user",
            "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b",
        ])
        .expect_err("bad guid");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn sign_in_methods_exclude_each_other() {
        let err = Cli::try_parse_from([
            "d365",
            "apps",
            "list",
            "--device-code",
            "--client-secret-env",
            "X",
        ])
        .expect_err("conflict");
        assert_eq!(err.exit_code(), 2);
    }

    fn long_help(path: &[&str]) -> String {
        let mut cmd = command();
        let mut sub = &mut cmd;
        for name in path {
            sub = sub.find_subcommand_mut(name).expect("subcommand");
        }
        sub.render_long_help().to_string()
    }

    #[test]
    fn global_options_are_listed_once_under_their_own_headings() {
        let top = command().render_long_help().to_string();
        assert!(top.contains("Global options:"), "{top}");
        assert!(top.contains("Sign-in options:"), "{top}");
        let global_section = top.split("Global options:").nth(1).expect("section");
        let global_section = global_section
            .split("Sign-in options:")
            .next()
            .expect("part");
        assert!(global_section.contains("--service-url"), "{top}");
        let sign_in = top.split("Sign-in options:").nth(1).expect("section");
        assert!(
            !sign_in.contains("--json"),
            "--json is not a sign-in option: {top}"
        );
        for path in [
            &["whitelistapp"][..],
            &["apps", "list"],
            &["users", "force-sync"],
        ] {
            let help = long_help(path);
            assert!(!help.contains("--service-url <"), "{path:?}: {help}");
            assert!(!help.contains("--client-secret-env <"), "{path:?}: {help}");
            assert!(
                help.contains("`d365 --help` lists them"),
                "{path:?}: {help}"
            );
            assert!(help.lines().count() < 40, "{path:?}: {help}");
        }
        // Hidden from the help, still accepted after the command.
        let mut m = command()
            .try_get_matches_from(["d365", "apps", "list", "--service-url", "EMEA", "--json"])
            .expect("parses");
        let cli = <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut m).expect("cli");
        assert_eq!(cli.global.service_url.as_deref(), Some("EMEA"));
        assert!(cli.global.json);
    }

    #[test]
    fn the_org_command_groups_are_listed_and_say_what_they_need() {
        let top = command().render_help().to_string();
        for group in ["app-users", "roles", "solutions"] {
            let line = top
                .lines()
                .find(|l| l.trim_start().starts_with(group))
                .unwrap_or_else(|| panic!("{group} listed: {top}"));
            assert!(line.contains("Dataverse org"), "{line}");
        }
        for (path, needs) in [
            (&["roles", "assign"][..], "Assign on Security Role"),
            (&["roles", "remove"], "Assign on Security Role"),
            (&["roles", "privileges"], "Write on Security Role"),
            (&["roles", "list"], "Read on Security Role"),
            (&["app-users", "ensure"], "System Administrator"),
            (&["app-users", "disable"], "System Administrator"),
            (&["solutions", "import"], "System Customizer"),
            (&["solutions", "list"], "Read on Solution"),
        ] {
            let help = long_help(path);
            assert!(help.contains(needs), "{path:?}: {help}");
            assert!(help.contains("--environment"), "{path:?}: {help}");
            assert!(!help.contains("--service-url <"), "{path:?}: {help}");
        }
    }

    #[test]
    fn whitelistapp_help_says_it_asks_for_a_password_and_needs_an_admin_role() {
        for path in [&["whitelistapp"][..], &["apps", "register"]] {
            let help = long_help(path);
            assert!(help.contains("user name and password"), "{help}");
            assert!(
                help.contains("Global administrator or Service administrator role"),
                "{help}"
            );
        }
    }

    #[test]
    fn leads_serve_help_lists_its_flags() {
        let help = long_help(&["leads", "serve"]);
        for flag in [
            "--spool",
            "--listen",
            "--secret-env",
            "--secret-in",
            "--public-url",
            "--show-url",
            "--max-body-bytes",
            "--mapping",
            "--intake-only",
            "--tls-cert",
            "--tls-key",
            "--org-url",
        ] {
            assert!(help.contains(flag), "{flag}: {help}");
        }
    }
}
