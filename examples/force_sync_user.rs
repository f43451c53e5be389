//! Force-sync an Entra user into a Dynamics environment with `ApplyUser` (Online Management
//! API v1.2) and wait for the operation, as Test Drive does before handing out a trial.
//!
//! ```sh
//! cargo run --example force_sync_user
//! ```
//! Against a tenant: the variables of `whitelist_app`, plus `DYNAMICS_ENVIRONMENT_ID` and
//! `DYNAMICS_SYNC_USER_OBJECT_ID` (the user's Entra object id).

mod common;

use std::time::Duration;

use dynamics_rs::admin::WaitOptions;

/// One result line: the label in a fixed-width column, then the value.
fn line(label: &str, value: impl std::fmt::Display) {
    println!("{label:<22} {value}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = common::admin::connect().await?;
    let environment = target
        .environment_id
        .ok_or("set DYNAMICS_ENVIRONMENT_ID to the environment (instance) id")?;
    let user = target
        .user_object_id
        .ok_or("set DYNAMICS_SYNC_USER_OBJECT_ID to the user's Entra object id")?;

    let instance = target.client.get_instance(environment).await?;
    line(
        "environment",
        format!(
            "{} ({})",
            instance.friendly_name.as_deref().unwrap_or("-"),
            instance.application_url.as_deref().unwrap_or("-")
        ),
    );
    let mut poller = target.client.apply_user(environment, user).await?;
    line(
        "ApplyUser started",
        format!("operation {}", poller.operation_id()),
    );
    let wait = WaitOptions {
        timeout: Duration::from_secs(600),
        ..Default::default()
    };
    let status = poller.poll().await?.clone();
    line("after the first poll", format!("{:?}", status.status));
    let done = poller.wait_with(wait).await?;
    line("finished", format!("{:?}", done.status));
    line("user synced", user);
    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}
