//! List the applications registered with the Online Management API, as
//! `CDSTestdriveUtility.exe listallapps` did.
//!
//! ```sh
//! cargo run --example list_apps
//! ```
//! Against a tenant: the variables of `whitelist_app` (without the application id).

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = common::admin::connect().await?;
    if let Some(app) = target.application_id.filter(|_| target.emulator.is_some()) {
        // The emulator starts empty: register one so there is something to list.
        target
            .api
            .register_application(app)
            .tenant_id(target.tenant_id)
            .await?;
    }
    let apps = target.api.list_applications().await?;
    println!(
        "{:<38} {:<38} {:<8} CREATED",
        "APPLICATION ID", "TENANT", "ENABLED"
    );
    for app in &apps {
        println!(
            "{:<38} {:<38} {:<8} {}",
            app.application_id.to_string(),
            app.tenant_id
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            app.enabled
                .map(|e| e.to_string())
                .unwrap_or_else(|| "-".into()),
            app.created_on
                .as_deref()
                .map_or_else(|| "-".into(), to_the_second),
        );
    }
    println!("{} registered application(s)", apps.len());
    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

/// An RFC 3339 timestamp without its fraction of a second (`...T05:27:02.212Z` becomes
/// `...T05:27:02Z`); anything else as it is.
fn to_the_second(timestamp: &str) -> String {
    match timestamp.split_once('.') {
        Some((whole, rest)) => {
            let zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{whole}{zone}")
        }
        None => timestamp.to_string(),
    }
}
