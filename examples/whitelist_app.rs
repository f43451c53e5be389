//! Register ("whitelist") an Entra application with the Online Management API, as
//! `CDSTestdriveUtility.exe whitelistapp` did, so that it can call the API app-only (Test Drive
//! uses this to force-sync users into your instance).
//!
//! ```sh
//! cargo run --example whitelist_app
//! ```
//! Against a tenant: `DYNAMICS_TENANT_ID`, `DYNAMICS_PUBLIC_CLIENT_ID` (+ `DYNAMICS_USERNAME` /
//! `DYNAMICS_PASSWORD`, or `DYNAMICS_DEVICE_CODE=1`), `DYNAMICS_ADMIN_SERVICE_URL` and
//! `DYNAMICS_APPLICATION_TO_REGISTER`.

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = common::admin::connect().await?;
    let app = target
        .application_id
        .ok_or("set DYNAMICS_APPLICATION_TO_REGISTER to the application (client) id to register")?;
    let registered = target
        .api
        .register_application(app)
        .tenant_id(target.tenant_id)
        .await?;
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for (label, value) in [
        (
            "registered application",
            registered.application_id.to_string(),
        ),
        (
            "in tenant",
            or_dash(registered.tenant_id.map(|t| t.to_string())),
        ),
        (
            "enabled",
            or_dash(registered.enabled.map(|e| e.to_string())),
        ),
        (
            "registration id",
            or_dash(registered.registration_id.map(|r| r.to_string())),
        ),
    ] {
        println!("{label:<22} {value}");
    }
    // Registering again is harmless: the existing registration comes back.
    let again = target
        .api
        .register_application(app)
        .tenant_id(target.tenant_id)
        .await?;
    assert_eq!(again.application_id, registered.application_id);
    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}
