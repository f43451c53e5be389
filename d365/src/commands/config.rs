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

fn render(shown: &Shown<'_>) -> String {
    let mut text = format!(
        "Config file: {}\n\n",
        shown.config_file.as_deref().unwrap_or("(none)")
    );
    let mut t = Table::new(["SETTING", "VALUE", "FROM", "ENVIRONMENT", "FLAG"]);
    for s in &shown.settings {
        let value = match (s.value.as_deref(), s.key) {
            (Some(v), _) => v.to_owned(),
            (None, k) if k == Key::ClientId.file_name() => {
                format!("({DEFAULT_PUBLIC_CLIENT_ID} for user sign-in)")
            }
            (None, _) => "-".to_owned(),
        };
        t.row([
            s.key.to_owned(),
            value,
            s.source.clone().unwrap_or_else(|| "-".to_owned()),
            s.env.to_owned(),
            s.flag.unwrap_or("-").to_owned(),
        ]);
    }
    text.push_str(&t.render());
    text.push('\n');
    for secret in &shown.secrets {
        text.push_str(&format!(
            "{}: {}\n",
            secret.env,
            if secret.set { "set" } else { "not set" }
        ));
    }
    text
}
