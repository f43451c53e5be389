//! Shared setup of the end-to-end workflow tests: an in-process emulator configured so that
//! nothing waits (device codes approved on the first poll, admin operations finished on the
//! first status poll with no `Retry-After`), and the credentials and clients an SDK user builds.

#![allow(dead_code)] // Each test file uses its own part of this module.

use std::sync::Arc;
use std::time::Duration;

use dynamics_emulator::{DeviceCodeBehaviour, Emulator, EmulatorConfig};
use dynamics_rs::admin::{
    AdminApi, AdminBackend, ClientOptions as AdminOptions, OnlineManagementClient, ServiceEndpoint,
    WaitOptions,
};
use dynamics_rs::auth::{
    Authority, ClientSecretCredential, CredentialOptions, TokenCredential,
    UsernamePasswordCredential,
};
use dynamics_rs::dataverse::{ClientOptions as DataverseOptions, DataverseClient};

/// Starts an emulator on a free loopback port with the default seed, tuned for tests.
pub(crate) async fn start() -> Emulator {
    Emulator::start_with(EmulatorConfig {
        device_code: DeviceCodeBehaviour {
            interval_secs: 0,
            auto_approve_after_polls: Some(1),
            ..Default::default()
        },
        admin_operation_polls: 1,
        admin_retry_after_secs: 0,
        ..Default::default()
    })
    .await
    .expect("the emulator starts on loopback")
}

/// The seeded tenant's authority on the emulator.
pub(crate) fn authority(emulator: &Emulator) -> Authority {
    let seed = emulator.defaults();
    Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string())
        .expect("the emulator's URL is a valid authority host")
}

/// The seeded Global administrator, signing in with username and password.
pub(crate) fn admin_user(emulator: &Emulator) -> Arc<dyn TokenCredential> {
    let seed = emulator.defaults();
    Arc::new(
        UsernamePasswordCredential::new(
            authority(emulator),
            seed.public_client_id,
            &seed.user.upn,
            seed.user.password.clone(),
            CredentialOptions::default(),
        )
        .expect("valid username/password credential"),
    )
}

/// The seeded confidential application, signing in with its client secret.
pub(crate) fn app_secret(emulator: &Emulator) -> Arc<dyn TokenCredential> {
    let seed = emulator.defaults();
    Arc::new(
        ClientSecretCredential::new(
            authority(emulator),
            seed.client_id,
            seed.client_secret.clone(),
            CredentialOptions::default(),
        )
        .expect("valid client secret credential"),
    )
}

/// An Online Management API client on the emulator, signed in with `credential`.
pub(crate) async fn admin_client(
    emulator: &Emulator,
    credential: Arc<dyn TokenCredential>,
) -> OnlineManagementClient {
    OnlineManagementClient::connect(
        ServiceEndpoint::Custom(emulator.base_url().clone()),
        credential,
        AdminOptions::default(),
    )
    .await
    .expect("the admin client connects to the emulator")
}

/// The backend-neutral admin API over an Online Management client.
pub(crate) fn admin_api(client: OnlineManagementClient) -> AdminApi {
    AdminApi::new(AdminBackend::OnlineManagement(client))
}

/// Waiting for admin operations: short, since the emulator finishes them on the first poll.
pub(crate) fn quick_wait() -> WaitOptions {
    WaitOptions {
        default_interval: Duration::from_millis(10),
        timeout: Duration::from_secs(30),
        ..Default::default()
    }
}

/// A Dataverse client on the emulator's org, app-only with the seeded application's secret.
pub(crate) fn dataverse_client(emulator: &Emulator) -> DataverseClient {
    DataverseClient::new(
        emulator.defaults().dataverse_url.as_str(),
        app_secret(emulator),
        DataverseOptions::default(),
    )
    .expect("valid Dataverse client")
}
