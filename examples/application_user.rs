//! Setting up an application user for the lead writer: ensure the app's application user,
//! import a solution holding the "Marketplace Lead Writer" role, give the user that role plus
//! the extra privileges the lead writer needs, then sign in as the app and see what it may do.
//!
//! ```sh
//! cargo run --example application_user
//! ```
//! Against an org: `DYNAMICS_TENANT_ID`, `DYNAMICS_ORG_URL`, `DYNAMICS_CLIENT_ID` and
//! `DYNAMICS_CLIENT_SECRET` (the app to set up, signing in app-only), and an administrator of
//! the org signing in as a user: `DYNAMICS_USERNAME` and `DYNAMICS_PASSWORD`, or
//! `DYNAMICS_DEVICE_CODE=1`, with `DYNAMICS_PUBLIC_CLIENT_ID`. On an org it creates or adopts
//! the application user, imports (or re-imports) the unmanaged solution
//! `MarketplaceLeadWriterExample`, assigns its role, adds six privileges to it, and creates
//! one lead and one account, which it deletes again as the administrator at the end. It
//! deletes nothing it did not create.

mod common;

use std::time::Duration;

use dynamics_emulator::Emulator;
use dynamics_rs::auth::Uuid;
use dynamics_rs::dataverse::provisioning::Principal;
use dynamics_rs::dataverse::solutions::{DEFAULT_POLL_INTERVAL, MIN_POLL_INTERVAL};
use dynamics_rs::dataverse::{DataverseClient, DataverseError, Record};

use common::TenantSettings;
// The lead writer's own setup pieces (`d365 leads setup` runs them all at once).
use lead_writer::setup::{
    ROLE_NAME as ROLE, SOLUTION_NAME as SOLUTION, SOLUTION_VERSION, extra_privileges,
    solution_zip as lead_writer_solution,
};

/// The application the emulator run registers as the lead writer.
const EMULATOR_APP_ID: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000a1);

/// One result line: the label in a fixed-width column, then the value.
fn line(label: &str, value: impl std::fmt::Display) {
    println!("{label:<26} {value}");
}

/// A short explanation before a step.
fn step(text: &str) {
    println!("\n-- {text}");
}

/// Who does what: an administrator, the lead writer app, and the emulator while it runs.
struct Setup {
    admin: DataverseClient,
    app: DataverseClient,
    app_id: Uuid,
    poll_interval: Duration,
    emulator: Option<Emulator>,
}

/// A refusal as one line: status and Dataverse code, or the whole error when it is another.
fn outcome<T>(result: &Result<T, DataverseError>, expected_code: &str) -> String {
    match result {
        Ok(_) => "ALLOWED".to_string(),
        Err(e) if e.status() == Some(403) && e.code() == Some(expected_code) => {
            format!("refused (403 {expected_code}), as it should be")
        }
        Err(e) => format!("failed otherwise: {e}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = match TenantSettings::from_env()? {
        Some(settings) => connect_tenant(&settings).await?,
        None => connect_emulator().await?,
    };
    let Setup {
        admin, app, app_id, ..
    } = &setup;
    line("lead writer app", app_id);

    step("The app needs an application user in the org: find it or create it (no roles yet).");
    let ensured = admin.app_users().ensure(*app_id).await?;
    let user = ensured.user.id;
    line(
        "application user",
        format!(
            "{user} ({})",
            if ensured.created {
                "created"
            } else {
                "already there, adopted"
            }
        ),
    );
    let me = app.who_am_i().await?;
    line("app signs in as", format!("systemuser {}", me.user_id));

    step("Before: an application user without a security role may not create a lead.");
    let held = admin.roles().of_user(user).await?;
    if held.is_empty() {
        let lead = Record::new().with("subject", "Before the role");
        let refused = app.table("leads").create(&lead).await;
        line("create lead, no role", outcome(&refused, "0x80042f09"));
        // Should the org allow it after all (a team's role), remove the lead this run made.
        if let Ok(id) = refused {
            admin.table("leads").delete(id).await?;
            line("removed", format!("lead {id}"));
        }
    } else {
        line(
            "create lead, no role",
            format!("skipped: the user already holds {} role(s)", held.len()),
        );
    }

    step("Import the lead writer solution; it brings the role (re-importing is fine).");
    let zip = lead_writer_solution()?;
    let imported = admin
        .solutions()
        .import(zip)
        .asynchronously()
        .poll_interval(setup.poll_interval)
        .await?;
    line(
        "imported solution",
        format!(
            "{SOLUTION} {} ({} warning(s))",
            imported.version.as_deref().unwrap_or(SOLUTION_VERSION),
            imported.warnings.len()
        ),
    );

    step("Give the user the role: the copy in the user's own business unit.");
    let role = admin
        .roles()
        .find(ROLE)
        .in_business_unit_of(Principal::User(user))
        .await?;
    let assigned = admin.roles().assign(role.id, Principal::User(user)).await?;
    line("assigned role", format!("{ROLE} ({})", assigned.id));

    step("Add the extra privileges (UI settings at User, system jobs at Organization level).");
    let added = admin
        .roles()
        .add_privileges(role.root_role_id(), extra_privileges())
        .await?;
    line("added privileges", format!("{} to {ROLE}", added.len()));

    step("After: the app may create a lead, and still may not delete an account.");
    let lead = Record::new()
        .with("subject", "Interested in the marketplace offer")
        .with("lastname", "Example");
    let lead_id = app.table("leads").create(&lead).await?;
    line("create lead, with role", format!("created {lead_id}"));
    // The account is the administrator's, made for this probe and removed below.
    let account_id = admin
        .table("accounts")
        .create(&Record::new().with("name", "Lead writer probe (example)"))
        .await?;
    let refused = app.table("accounts").delete(account_id).await;
    line("delete account, with role", outcome(&refused, "0x80040220"));

    step("Clean up what this run created (the lead and the probe account), as the administrator.");
    if refused.is_err() {
        admin.table("accounts").delete(account_id).await?;
    }
    admin.table("leads").delete(lead_id).await?;
    line("removed", format!("lead {lead_id}, account {account_id}"));
    line(
        "left in place",
        format!("application user, solution {SOLUTION}, its role and privileges"),
    );

    if let Some(emulator) = setup.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

/// The emulator, with the lead writer app registered (see `common::lead_writer_emulator`).
async fn connect_emulator() -> Result<Setup, Box<dyn std::error::Error>> {
    let started = common::lead_writer_emulator::start(EMULATOR_APP_ID).await?;
    Ok(Setup {
        admin: started.admin,
        app: started.app,
        app_id: EMULATOR_APP_ID,
        poll_interval: MIN_POLL_INTERVAL,
        emulator: Some(started.emulator),
    })
}

/// An org: the configured app signs in app-only; an administrator signs in as a user.
async fn connect_tenant(settings: &TenantSettings) -> Result<Setup, Box<dyn std::error::Error>> {
    let app = common::dataverse::connect().await?.client;
    let admin = common::dataverse::org_admin(settings)?;
    Ok(Setup {
        admin,
        app,
        app_id: settings.client_id,
        poll_interval: DEFAULT_POLL_INTERVAL,
        emulator: None,
    })
}
