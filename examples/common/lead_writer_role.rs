//! The lead writer's security setup for `marketplace_leads` and its test: `lead_writer::setup`,
//! the same code path as `d365 leads setup`. (The `application_user` example walks through
//! the steps one by one with that module's pieces.)

use std::time::Duration;

use dynamics_rs::auth::Uuid;
use dynamics_rs::dataverse::DataverseClient;
use lead_writer::setup::{self, SetupOptions};

/// As `admin`: the whole setup (idempotent). Returns the application user's id.
pub(crate) async fn grant_lead_writer(
    admin: &DataverseClient,
    app_id: Uuid,
    poll_interval: Duration,
) -> Result<Uuid, Box<dyn std::error::Error>> {
    let report = setup::run(
        admin,
        &SetupOptions::new(app_id).poll_interval(poll_interval),
    )
    .await?;
    Ok(report.user_id)
}
