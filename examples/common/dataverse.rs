//! Where the Dataverse examples run: the emulator's Dataverse service (app-only, with the
//! seeded application's secret) by default, or the org in `DYNAMICS_ORG_URL`, through
//! [`DataverseClient::from_env_with`].

use std::sync::Arc;

use dynamics_emulator::Emulator;
use dynamics_rs::auth::{Authority, ClientSecretCredential, CredentialOptions, TokenCredential};
use dynamics_rs::dataverse::{ClientOptions, DataverseClient};

use super::TenantSettings;

/// A client, and the emulator while it runs.
pub(crate) struct DataverseTarget {
    pub(crate) client: DataverseClient,
    pub(crate) emulator: Option<Emulator>,
}

pub(crate) async fn connect() -> Result<DataverseTarget, Box<dyn std::error::Error>> {
    if TenantSettings::from_env()?.is_some() {
        let client = DataverseClient::from_env_with(app_only_variable)?;
        return Ok(DataverseTarget {
            client,
            emulator: None,
        });
    }
    let emulator = Emulator::start().await?;
    let seed = emulator.defaults();
    println!(
        "(running against the emulator at {}; set DYNAMICS_* to use an org)",
        emulator.base_url()
    );
    let authority =
        Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string())?;
    let credential: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
        authority,
        seed.client_id,
        seed.client_secret.clone(),
        CredentialOptions::default(),
    )?);
    let client = DataverseClient::new(
        seed.dataverse_url.as_str(),
        credential,
        ClientOptions::default(),
    )?;
    Ok(DataverseTarget {
        client,
        emulator: Some(emulator),
    })
}

/// The environment as [`DataverseClient::from_env_with`] should see it. The examples' README
/// documents one set of `DYNAMICS_*` variables for every example, so a run of `sign_in` may
/// set a client secret and a certificate together, which `from_env` refuses as ambiguous.
/// The Dataverse examples have always signed in with the secret when there is one: hide the
/// certificate variables then, and let a certificate alone work as `from_env` allows.
fn app_only_variable(name: &str) -> Option<String> {
    use dynamics_rs::dataverse::{
        ENV_CERTIFICATE_PEM, ENV_CERTIFICATE_PFX, ENV_CERTIFICATE_PFX_PASSWORD, ENV_CLIENT_SECRET,
        ENV_PRIVATE_KEY_PEM,
    };
    let value = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let certificate = [
        ENV_CERTIFICATE_PEM,
        ENV_PRIVATE_KEY_PEM,
        ENV_CERTIFICATE_PFX,
        ENV_CERTIFICATE_PFX_PASSWORD,
    ];
    if certificate.contains(&name) && value(ENV_CLIENT_SECRET).is_some() {
        return None;
    }
    value(name)
}

/// On an org, the administrator who grants the role, signing in as a user: with
/// `DYNAMICS_USERNAME`/`DYNAMICS_PASSWORD`, or by device code (`DYNAMICS_DEVICE_CODE=1`, or no
/// password given).
pub(crate) fn org_admin(
    settings: &TenantSettings,
) -> Result<DataverseClient, Box<dyn std::error::Error>> {
    let credential = settings.user_credential()?;
    Ok(DataverseClient::new(
        &settings.org_url,
        credential,
        ClientOptions::default(),
    )?)
}
