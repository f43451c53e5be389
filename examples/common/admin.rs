//! Where the admin examples run: the emulator (signed in as its seeded Global administrator)
//! by default, or a real tenant when `DYNAMICS_TENANT_ID` and the admin settings are set.

use std::sync::Arc;

use dynamics_emulator::Emulator;
use dynamics_rs::admin::{
    AdminApi, AdminBackend, ClientOptions, OnlineManagementClient, ServiceEndpoint,
};
use dynamics_rs::auth::{
    Authority, CredentialOptions, TokenCredential, UsernamePasswordCredential,
};
use uuid::Uuid;

use super::TenantSettings;

/// An admin session: the API, the tenant, an environment to work on, and an example
/// application and user; plus the emulator while it runs.
pub(crate) struct AdminTarget {
    pub(crate) api: AdminApi,
    pub(crate) client: OnlineManagementClient,
    pub(crate) tenant_id: Uuid,
    pub(crate) environment_id: Option<Uuid>,
    pub(crate) application_id: Option<Uuid>,
    pub(crate) user_object_id: Option<Uuid>,
    pub(crate) emulator: Option<Emulator>,
}

fn guid(name: &str) -> Result<Option<Uuid>, String> {
    match std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
        Some(v) => Uuid::parse_str(v.trim())
            .map(Some)
            .map_err(|_| format!("{name} must be a GUID, got `{v}`")),
        None => Ok(None),
    }
}

/// The emulator, or the tenant in the environment (see README.md for the variables).
pub(crate) async fn connect() -> Result<AdminTarget, Box<dyn std::error::Error>> {
    match TenantSettings::from_env()? {
        Some(settings) => connect_tenant(&settings).await,
        None => connect_emulator().await,
    }
}

async fn connect_emulator() -> Result<AdminTarget, Box<dyn std::error::Error>> {
    let emulator = Emulator::start().await?;
    let seed = emulator.defaults();
    println!(
        "(running against the emulator at {}; set DYNAMICS_* to use a tenant)",
        emulator.base_url()
    );
    let authority =
        Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string())?;
    // The seeded Global administrator signs in, as the old utility's prompt did.
    let credential: Arc<dyn TokenCredential> = Arc::new(UsernamePasswordCredential::new(
        authority,
        seed.public_client_id,
        &seed.user.upn,
        seed.user.password.clone(),
        CredentialOptions::default(),
    )?);
    let endpoint = ServiceEndpoint::Custom(emulator.base_url().clone());
    let client =
        OnlineManagementClient::connect(endpoint, credential, ClientOptions::default()).await?;
    Ok(AdminTarget {
        api: AdminApi::new(AdminBackend::OnlineManagement(client.clone())),
        client,
        tenant_id: seed.tenant_id,
        environment_id: Some(seed.instance_id),
        application_id: Some(seed.client_id),
        user_object_id: Some(seed.non_admin_user.object_id),
        emulator: Some(emulator),
    })
}

async fn connect_tenant(
    settings: &TenantSettings,
) -> Result<AdminTarget, Box<dyn std::error::Error>> {
    let tenant_id = Uuid::parse_str(&settings.tenant)
        .map_err(|_| "DYNAMICS_TENANT_ID must be the tenant GUID for the admin examples")?;
    let service = std::env::var("DYNAMICS_ADMIN_SERVICE_URL").map_err(
        |_| "set DYNAMICS_ADMIN_SERVICE_URL to a region (EMEA, crm4, ...) or the admin service URL",
    )?;
    // Admin APIs need a Global or Service administrator: a user sign-in.
    let credential = settings.user_credential()?;
    let endpoint = ServiceEndpoint::parse(&service)?;
    let client =
        OnlineManagementClient::connect(endpoint, credential, ClientOptions::default()).await?;
    Ok(AdminTarget {
        api: AdminApi::new(AdminBackend::OnlineManagement(client.clone())),
        client,
        tenant_id,
        environment_id: guid("DYNAMICS_ENVIRONMENT_ID")?,
        application_id: guid("DYNAMICS_APPLICATION_TO_REGISTER")?,
        user_object_id: guid("DYNAMICS_SYNC_USER_OBJECT_ID")?,
        emulator: None,
    })
}
