//! The intake URL as `leads serve` builds it, for the commands that print it (`leads setup`)
//! or call it (`leads validate`): the same flags and defaults as `leads serve`.

use std::net::SocketAddr;

use clap::Args;
use lead_writer::service::SecretIn;

use super::leads_serve::{SecretPlacement, base_url, read_secret};
use crate::exit::Failure;

/// Where `leads serve` takes leads: give the same values it was started with.
#[derive(Debug, Clone, Args)]
pub(crate) struct EndpointArgs {
    /// Environment variable holding the URL secret (as `leads serve --secret-env`)
    #[arg(long, value_name = "NAME", default_value = "D365_LEADS_SECRET")]
    pub(crate) secret_env: String,

    /// Where the secret goes in the URL (as `leads serve --secret-in`)
    #[arg(long, value_enum, default_value_t = SecretPlacement::Path)]
    pub(crate) secret_in: SecretPlacement,

    /// The public base URL the marketplace reaches (as `leads serve --public-url`)
    /// [default: http://<--listen>]
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,

    /// The address `leads serve` listens on, for the default base URL
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
}

impl EndpointArgs {
    /// The full intake URL with its secret.
    pub(crate) fn url(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Failure> {
        let secret = read_secret(&self.secret_env, env)?;
        let base = base_url(self.public_url.as_deref(), self.listen, false)?;
        let place = match self.secret_in {
            SecretPlacement::Path => SecretIn::Path,
            SecretPlacement::Query => SecretIn::Query,
        };
        Ok(format!("{base}{}", place.intake_path(secret.expose())))
    }

    /// The intake URL to paste into Partner Center: only with `--public-url` (which must be
    /// https), since the marketplace posts from the internet and the default base is this
    /// machine's listening address. `None` without it.
    pub(crate) fn partner_center_url(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, Failure> {
        match &self.public_url {
            Some(_) => self.url(env).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `EndpointArgs` as `leads validate` parses it.
    fn parse(extra: &[&str]) -> EndpointArgs {
        let mut argv = vec!["d365", "leads", "validate"];
        argv.extend_from_slice(extra);
        let cli = crate::cli::Cli::try_parse_from(argv).expect("parses");
        match cli.command {
            crate::cli::Command::Leads(super::super::leads::LeadsCommand::Validate(a)) => {
                a.endpoint
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_url_is_built_as_leads_serve_builds_it() {
        let secret = "abcdefghijklmnopqrstuvwxyz0123";
        let env = |name: &str| (name == "D365_LEADS_SECRET").then(|| secret.to_owned());
        assert_eq!(
            parse(&[]).url(&env).unwrap(),
            format!("http://127.0.0.1:8080/leads/{secret}")
        );
        assert_eq!(
            parse(&[
                "--public-url",
                "https://leads.contoso.com/",
                "--secret-in",
                "query"
            ])
            .url(&env)
            .unwrap(),
            format!("https://leads.contoso.com/leads?token={secret}")
        );
        // Partner Center gets only a public https URL, never the listening address.
        assert_eq!(parse(&[]).partner_center_url(&env).unwrap(), None);
        assert_eq!(
            parse(&["--public-url", "https://leads.contoso.com"])
                .partner_center_url(&env)
                .unwrap(),
            Some(format!("https://leads.contoso.com/leads/{secret}"))
        );
        let err = parse(&["--secret-env", "OTHER"]).url(&env).unwrap_err();
        assert!(err.to_string().contains("OTHER"), "{err}");
        assert!(
            parse(&["--public-url", "http://x.example"])
                .url(&env)
                .is_err()
        );
    }
}
