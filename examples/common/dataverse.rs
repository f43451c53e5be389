//! Where the Dataverse examples run: the emulator's Dataverse service (app-only, with the
//! seeded application's secret) by default, or the org in `DYNAMICS_ORG_URL`.

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
    if let Some(settings) = TenantSettings::from_env()? {
        let secret = settings
            .client_secret
            .clone()
            .ok_or("set DYNAMICS_CLIENT_SECRET: the Dataverse examples sign in app-only")?;
        let credential: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
            settings.authority()?,
            &settings.client_id,
            secret,
            CredentialOptions::default(),
        )?);
        let client = DataverseClient::new(&settings.org_url, credential, ClientOptions::default())?;
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
        &seed.client_id.to_string(),
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
