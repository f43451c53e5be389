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
}
