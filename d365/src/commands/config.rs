//! `config show`: every setting in effect and where it came from. Secrets are never read
//! from config files and never shown; only whether each secret variable is set.

use std::path::Path;

use serde::Serialize;

use crate::config::{DEFAULT_PUBLIC_CLIENT_ID, Key, Settings, ShownSetting};
use crate::exit::{ExitKind, Failure};
use crate::output::{self, Format, Table};
use crate::signin::{CLIENT_SECRET_ENV, PASSWORD_ENV, PFX_PASSWORD_ENV};

/// `config show --json`.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    config_file: Option<String>,
    settings: Vec<ShownSetting>,
    secrets: Vec<SecretShown<'a>>,
}

/// Whether a secret variable is set; never its value.
#[derive(Debug, Serialize)]
struct SecretShown<'a> {
    env: &'a str,
    set: bool,
}

/// Prints the settings.
pub(crate) fn show(
    settings: &Settings,
    config_file: Option<&Path>,
    format: Format,
) -> Result<(), Failure> {
    let secrets: Vec<SecretShown<'_>> = [CLIENT_SECRET_ENV, PASSWORD_ENV, PFX_PASSWORD_ENV]
        .into_iter()
        .map(|env| SecretShown {
            env,
            set: std::env::var(env).is_ok_and(|v| !v.is_empty()),
        })
        .collect();
    let shown = Shown {
        config_file: config_file.map(|p| p.display().to_string()),
        settings: settings.show(),
        secrets,
    };
    let result = match format {
        Format::Json => output::print_json(&shown),
        Format::Human => output::print_text(&render(&shown)),
    };
    result.map_err(|e| {
        Failure::new(ExitKind::Service, format!("cannot write the output: {e}"))
            .with_fix("check that standard output can be written (disk space, permissions)")
    })
}

/// The human listing, within 100 columns for usual values: which value each setting has and
/// where it came from (the value last, so a long URL does not push the other columns out),
/// then how each can be set.
fn render(shown: &Shown<'_>) -> String {
    let mut text = format!(
        "Config file: {}\n\n",
        shown.config_file.as_deref().unwrap_or("(none)")
    );
    let mut values = Table::new(["SETTING", "FROM", "VALUE"]);
    let mut how = Table::new(["SETTING", "ENVIRONMENT", "FLAG"]);
    for s in &shown.settings {
        let value = match (s.value.as_deref(), s.key) {
            (Some(v), _) => v.to_owned(),
            (None, k) if k == Key::ClientId.file_name() => {
                format!("({DEFAULT_PUBLIC_CLIENT_ID} for user sign-in)")
            }
            (None, _) => "-".to_owned(),
        };
        // "file <path>" is "file" here: the path is on the first line.
        let from = s
            .source
            .as_deref()
            .and_then(|label| label.split_whitespace().next())
            .unwrap_or("-");
        values.row([s.key.to_owned(), from.to_owned(), value]);
        how.row([
            s.key.to_owned(),
            s.env.to_owned(),
            s.flag.unwrap_or("-").to_owned(),
        ]);
    }
    text.push_str(&values.render());
    text.push('\n');
    for secret in &shown.secrets {
        text.push_str(&format!(
            "{}: {}\n",
            secret.env,
            if secret.set { "set" } else { "not set" }
        ));
    }
    text.push_str("\nHow to set each setting (config file key, environment variable, flag):\n");
    text.push_str(&how.render());
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Layer, Source, Sourced};

    #[test]
    fn config_show_fits_100_columns() {
        let file = Path::new("/home/someone/projects/test-drive/CDSTestdriveUtility.exe.config");
        let sourced = |value: &str| Sourced {
            value: value.to_owned(),
            source: Source::File(file.to_path_buf()),
        };
        let layer: Layer = vec![
            (
                Key::AadApplicationId,
                sourced("c0a7e5a0-0000-4000-8000-000000000030"),
            ),
            (
                Key::AadAppTenantId,
                sourced("c0a7e5a0-0000-4000-8000-000000000001"),
            ),
            (
                Key::AadAuthority,
                sourced("https://login.microsoftonline.com/c0a7e5a0-0000-4000-8000-000000000001"),
            ),
            (
                Key::ServiceUrl,
                sourced("https://admin.services.crm4.dynamics.com"),
            ),
            (
                Key::AadAppRedirectUrl,
                sourced("https://contoso.example/redirect"),
            ),
        ];
        let settings = Settings::layered([layer]);
        let shown = Shown {
            config_file: Some(file.display().to_string()),
            settings: settings.show(),
            secrets: vec![SecretShown {
                env: PASSWORD_ENV,
                set: false,
            }],
        };
        let text = render(&shown);
        for line in text.lines() {
            assert!(
                line.chars().count() <= 100,
                "{} columns: {line}",
                line.len()
            );
        }
        assert!(
            text.contains("file  https://login.microsoftonline.com/"),
            "{text}"
        );
        assert!(text.contains("D365_TENANT_ID"), "{text}");
        assert!(text.contains("--tenant-id"), "{text}");
    }
}
