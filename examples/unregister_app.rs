//! Remove an application's registration, as `CDSTestdriveUtility.exe unregisterapp` did.
//!
//! ```sh
//! cargo run --example unregister_app
//! ```
//! Against a tenant: the variables of `whitelist_app`.

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = common::admin::connect().await?;
    let app = target.application_id.ok_or(
        "set DYNAMICS_APPLICATION_TO_REGISTER to the application (client) id to unregister",
    )?;
    if target.emulator.is_some() {
        // On the emulator, register first so there is something to remove.
        target
            .api
            .register_application(app)
            .tenant_id(target.tenant_id)
            .await?;
    }
    target.api.unregister_application(app).await?;
    println!("{:<22} {app}", "unregistered");
    match target.api.unregister_application(app).await {
        Err(e) => println!("{:<22} fails, as it should: {e}", "unregistering again"),
        Ok(()) => return Err("the application was still registered".into()),
    }
    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}
