//! The emulator set up for the lead writer examples (`application_user`, `marketplace_leads`):
//! its seeded confidential app is the administrator (the emulator makes it a System
//! Administrator on first use), and a new app registered in its directory is the lead writer.

use std::sync::Arc;

use dynamics_emulator::{AppSeed, Emulator, SecretSeed};
use dynamics_rs::auth::{
    Authority, ClientSecretCredential, CredentialOptions, TokenCredential, Uuid,
};
use dynamics_rs::dataverse::{ClientOptions, DataverseClient};

/// The running emulator and a client for each app.
pub(crate) struct LeadWriterEmulator {
    pub(crate) emulator: Emulator,
    /// The seeded administrator app.
    pub(crate) admin: DataverseClient,
    /// The lead writer app (`app_id`).
    pub(crate) app: DataverseClient,
}

/// Starts the emulator and registers the lead writer app as `app_id` with a fresh secret.
pub(crate) async fn start(app_id: Uuid) -> Result<LeadWriterEmulator, Box<dyn std::error::Error>> {
    start_with_app(app_id, "Marketplace Lead Writer").await
}

/// Starts the emulator and registers an app named `app_name` as `app_id` with a fresh secret
/// (the `app` client of the answer).
pub(crate) async fn start_with_app(
    app_id: Uuid,
    app_name: &str,
) -> Result<LeadWriterEmulator, Box<dyn std::error::Error>> {
    let emulator = Emulator::start().await?;
    let seed = emulator.defaults();
    println!(
        "(running against the emulator at {}; set DYNAMICS_* to use an org)",
        emulator.base_url()
    );
    let secret = format!("lw-example-{}", Uuid::new_v4());
    emulator.seed().add_app(
        seed.tenant_id,
        AppSeed {
            secrets: vec![SecretSeed::new(secret.clone())],
            ..AppSeed::new(app_id, app_name)
        },
    )?;
    let authority =
        || Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string());
    let client =
        |client_id: Uuid, secret: String| -> Result<DataverseClient, Box<dyn std::error::Error>> {
            let credential: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
                authority()?,
                client_id,
                secret,
                CredentialOptions::default(),
            )?);
            Ok(DataverseClient::new(
                seed.dataverse_url.as_str(),
                credential,
                ClientOptions::default(),
            )?)
        };
    let admin = client(seed.client_id, seed.client_secret.clone())?;
    let app = client(app_id, secret)?;
    Ok(LeadWriterEmulator {
        emulator,
        admin,
        app,
    })
}
