//! The settings of this run: which config file to read, which flags set which keys, and the
//! order of the layers (file, environment, `--emulator`, flags).

use std::path::{Path, PathBuf};

use crate::cli::{AppsCommand, BackendArg, Command, GlobalArgs};
use crate::config::{
    self, CONFIG_ENV, DEFAULT_FILES, Key, Layer, Settings, env_layer, flag_layer, read_file,
};
use crate::exit::Failure;

/// The merged settings and what was noticed while reading them.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    /// The settings.
    pub(crate) settings: Settings,
    /// Problems worth a warning on stderr (unknown keys, ignored sections).
    pub(crate) warnings: Vec<String>,
    /// The config file read, if any.
    pub(crate) config_file: Option<PathBuf>,
}

/// What goes into the settings besides the command line.
pub(crate) struct Inputs<'a> {
    /// Environment lookup.
    pub(crate) env: &'a dyn Fn(&str) -> Option<String>,
    /// Where default config files are looked for.
    pub(crate) cwd: &'a Path,
    /// Values that override the file and the environment but not flags (`--emulator`).
    pub(crate) overrides: Layer,
    /// Values used when nothing else sets them.
    pub(crate) defaults: Layer,
}

/// The config file to read: `--config`, else `D365_CONFIG`, else a default file present in
/// `cwd`. The flag says whether the file was named explicitly.
pub(crate) fn config_path(
    global: &GlobalArgs,
    env: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Option<(PathBuf, bool)> {
    if let Some(path) = &global.config {
        return Some((path.clone(), true));
    }
    if let Some(path) = env(CONFIG_ENV).filter(|p| !p.trim().is_empty()) {
        return Some((PathBuf::from(path.trim()), true));
    }
    DEFAULT_FILES
        .iter()
        .map(|name| cwd.join(name))
        .find(|p| p.is_file())
        .map(|p| (p, false))
}

/// The values set by flags, for this command.
pub(crate) fn flags(global: &GlobalArgs, command: &Command) -> Layer {
    let mut values = vec![
        (Key::ServiceUrl, global.service_url.clone()),
        (Key::AadAuthority, global.authority.clone()),
        (Key::AuthorityHost, global.authority_host.clone()),
        (Key::Cloud, global.cloud.clone()),
        (Key::Resource, global.resource.clone()),
        (
            Key::Backend,
            global.backend.map(|b| match b {
                BackendArg::Oma => "oma".to_owned(),
                BackendArg::Bap => "bap".to_owned(),
            }),
        ),
        (Key::ClientId, global.sign_in.client_id.clone()),
        (Key::UserName, global.sign_in.username.clone()),
        (Key::Certificate, path_text(&global.sign_in.certificate)),
        (Key::PrivateKeyPem, path_text(&global.sign_in.private_key)),
        (Key::Pfx, path_text(&global.sign_in.pfx)),
    ];
    let app_id = match command {
        Command::Apps(AppsCommand::Register(a)) | Command::WhitelistApp(a) => a.app_id.clone(),
        Command::Apps(AppsCommand::Unregister(a)) | Command::UnregisterApp(a) => a.app_id.clone(),
        _ => None,
    };
    values.push((Key::AadApplicationId, app_id));
    values.push((Key::AadAppTenantId, global.tenant_id.clone()));
    flag_layer(values)
}

fn path_text(path: &Option<PathBuf>) -> Option<String> {
    path.as_ref().map(|p| p.display().to_string())
}

/// Reads the config file and merges: defaults, file, environment, overrides, flags.
pub(crate) fn load(
    global: &GlobalArgs,
    command: &Command,
    inputs: Inputs<'_>,
) -> Result<Loaded, Failure> {
    let mut warnings = Vec::new();
    let mut file_layer = Layer::new();
    let config_file = match config_path(global, inputs.env, inputs.cwd) {
        Some((path, explicit)) => {
            let file = read_file(&path).map_err(Failure::config)?;
            if !explicit {
                warnings.push(format!(
                    "reading settings from {} (found in the current directory; --config picks another file)",
                    path.display()
                ));
            }
            warnings.extend(file.warnings);
            file_layer = file.layer;
            Some(path)
        }
        None => None,
    };
    let settings = Settings::layered([
        inputs.defaults,
        file_layer,
        env_layer(inputs.env),
        inputs.overrides,
        flags(global, command),
    ]);
    Ok(Loaded {
        settings,
        warnings,
        config_file,
    })
}

/// `ServiceURL` for messages: "EMEA (environment variable D365_SERVICE_URL)".
pub(crate) fn describe_service(settings: &Settings) -> Option<String> {
    settings.get(Key::ServiceUrl).map(|s| {
        format!(
            "{} from {}",
            s.value,
            s.source.describe(config::Key::ServiceUrl)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> crate::cli::Cli {
        crate::cli::Cli::try_parse_from(args).expect("parses")
    }

    fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
    }

    #[test]
    fn layers_go_file_env_overrides_flags() {
        let cli = parse(&[
            "d365",
            "whitelistapp",
            "--app-id",
            "33333333-3333-3333-3333-333333333333",
        ]);
        let env = |name: &str| match name {
            "D365_CONFIG" => Some(
                examples()
                    .join("CDSTestdriveUtility.exe.config")
                    .display()
                    .to_string(),
            ),
            "D365_SERVICE_URL" => Some("EMEA".to_owned()),
            "D365_AAD_APPLICATION_ID" => Some("22222222-2222-2222-2222-222222222222".to_owned()),
            "D365_USERNAME" => Some("env@contoso.onmicrosoft.com".to_owned()),
            _ => None,
        };
        let overrides = flag_layer(vec![(Key::UserName, Some("emu@contoso.com".into()))]);
        let loaded = load(
            &cli.global,
            &cli.command,
            Inputs {
                env: &env,
                cwd: Path::new("/nonexistent"),
                overrides,
                defaults: Layer::new(),
            },
        )
        .expect("loads");
        let s = &loaded.settings;
        assert_eq!(
            s.text(Key::AadApplicationId),
            Some("33333333-3333-3333-3333-333333333333")
        );
        assert_eq!(s.text(Key::ServiceUrl), Some("EMEA"));
        assert_eq!(s.text(Key::UserName), Some("emu@contoso.com"));
        assert_eq!(
            s.text(Key::AadAppTenantId),
            Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
        );
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn a_default_file_in_the_current_directory_is_read_with_a_note() {
        let cli = parse(&["d365", "listallapps"]);
        let loaded = load(
            &cli.global,
            &cli.command,
            Inputs {
                env: &|_| None,
                cwd: &examples(),
                overrides: Layer::new(),
                defaults: Layer::new(),
            },
        )
        .expect("loads");
        assert!(
            loaded
                .config_file
                .as_ref()
                .is_some_and(|p| p.ends_with("CDSTestdriveUtility.exe.config"))
        );
        assert!(loaded.warnings[0].contains("found in the current directory"));
    }

    #[test]
    fn a_missing_explicit_file_is_a_usage_error() {
        let cli = parse(&["d365", "--config", "/nonexistent/x.config", "listallapps"]);
        let err = load(
            &cli.global,
            &cli.command,
            Inputs {
                env: &|_| None,
                cwd: Path::new("/"),
                overrides: Layer::new(),
                defaults: Layer::new(),
            },
        )
        .expect_err("missing");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("/nonexistent/x.config"), "{err}");
    }
}
