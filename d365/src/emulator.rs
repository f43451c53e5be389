//! `--emulator`: starts the workspace's emulator in this process and points every setting at
//! it, so the tool can be tried without a tenant. Its state ends with the command.

#[cfg(feature = "emulator")]
use dynamics_auth::Secret;
#[cfg(feature = "emulator")]
use dynamics_emulator::Emulator;

use crate::config::Layer;
#[cfg(feature = "emulator")]
use crate::config::{Key, Source, Sourced};
#[cfg(feature = "emulator")]
use crate::exit::ExitKind;
use crate::exit::Failure;
use crate::signin::EmulatorUser;

/// A running in-process emulator and the settings that point at it.
pub(crate) struct Running {
    /// Kept alive for the command's duration; dropping it stops the server.
    #[cfg(feature = "emulator")]
    emulator: Emulator,
    /// Without the `emulator` feature there is never one.
    #[cfg(not(feature = "emulator"))]
    never: std::convert::Infallible,
}

#[cfg(feature = "emulator")]
impl Running {
    /// Starts the emulator with its default seed.
    pub(crate) async fn start() -> Result<Self, Failure> {
        let emulator = Emulator::start().await.map_err(|e| {
            Failure::new(
                ExitKind::Service,
                format!("the in-process emulator did not start: {e}"),
            )
            .with_fix("check that this process may listen on a loopback (127.0.0.1) port")
        })?;
        Ok(Running { emulator })
    }

    /// Values that override the config file and the environment (flags still win): the
    /// service and sign-in endpoints, the tenant (`AadAppTenantId`: a file's real tenant is
    /// not the emulator's, and the emulator refuses to register an app for a foreign
    /// tenant), and, for user sign-in, the seeded administrator and public client; for
    /// app-only sign-in, the confidential client.
    pub(crate) fn overrides(&self, app_only: bool) -> Layer {
        let d = self.emulator.defaults();
        let base = self
            .emulator
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        let mut values = vec![
            (Key::ServiceUrl, base.clone()),
            (Key::AuthorityHost, base.clone()),
            (Key::AadAuthority, format!("{base}/{}", d.tenant_id)),
            (Key::AadAppTenantId, d.tenant_id.to_string()),
        ];
        if app_only {
            values.push((Key::ClientId, d.client_id.to_string()));
        } else {
            values.push((Key::ClientId, d.public_client_id.to_string()));
            values.push((Key::UserName, d.user.upn.clone()));
        }
        layer(values)
    }

    /// The seeded administrator's password, used when the emulator chose the user.
    pub(crate) fn user(&self) -> EmulatorUser {
        EmulatorUser {
            password: Secret::new(self.emulator.defaults().user.password.clone()),
        }
    }

    /// The note printed to stderr; `who` is the user or app that signs in.
    pub(crate) fn note(&self, who: &str) -> String {
        let d = self.emulator.defaults();
        format!(
            "note: --emulator: using an in-process emulator at {} (tenant {}, environment {}, \
             signing in as {who}); nothing leaves this machine, and its state ends with this command",
            self.emulator.base_url(),
            d.tenant_domain,
            d.instance_id,
        )
    }
}

/// Without the `emulator` feature, `--emulator` is refused.
#[cfg(not(feature = "emulator"))]
impl Running {
    /// Refuses: this build has no emulator.
    pub(crate) async fn start() -> Result<Self, Failure> {
        Err(Failure::usage("this d365 was built without the emulator")
            .with_fix("rebuild it with the `emulator` feature (on by default)"))
    }

    /// Never called: no value exists.
    pub(crate) fn overrides(&self, _app_only: bool) -> Layer {
        match self.never {}
    }

    /// Never called: no value exists.
    pub(crate) fn user(&self) -> EmulatorUser {
        match self.never {}
    }

    /// Never called: no value exists.
    pub(crate) fn note(&self, _who: &str) -> String {
        match self.never {}
    }
}

#[cfg(feature = "emulator")]
fn layer(values: Vec<(Key, String)>) -> Layer {
    values
        .into_iter()
        .map(|(key, value)| {
            (
                key,
                Sourced {
                    value,
                    source: Source::Emulator,
                },
            )
        })
        .collect()
}
