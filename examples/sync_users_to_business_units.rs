//! Sync Entra users into Dataverse business units by rules (issue 13): a tenant of 200 staff
//! in three departments and two countries; the org's business units, teams and roles are
//! created first; the rules in `reference/user-sync/business_units.toml` place each user.
//! The example previews the plan (dry run), applies it, changes some users in Entra (one
//! moves department, one leaves, two are hired), syncs again, and ends with a run that has
//! nothing to do. A dry run prints its plan (the first rows of a long one); an applied run
//! says what it did.
//!
//! ```sh
//! cargo run --example sync_users_to_business_units
//! ```
//! Against a tenant: the variables of `whitelist_app` (with `DYNAMICS_CLIENT_SECRET`: the app
//! reads Graph with `User.Read.All`, and needs a Dataverse application user), plus
//! `DYNAMICS_ADMIN_SERVICE_URL` and `DYNAMICS_ENVIRONMENT_ID` for force sync. Optional:
//! `DYNAMICS_USER_SYNC_RULES` (a rules file; default the one above) and
//! `DYNAMICS_USER_SYNC_APPLY=1` (without it, a tenant run is a dry run only; the Entra changes
//! are yours to make between runs).

mod common;

use std::sync::Arc;

use common::user_sync_demo as demo;
use dynamics_rs::auth::{ClientSecretCredential, CredentialOptions, TokenCredential};
use dynamics_rs::user_sync::{
    ForceSync, GraphClient, GraphOptions, RuleSet, SilentProgress, SqlCheckpoints, SyncOptions,
    SyncReport, UserSync,
};

fn heading(text: &str) {
    println!("\n== {text}");
}

/// Plan rows shown before the rest is summed up (the first run plans every user).
const ROWS_SHOWN: usize = 12;

/// A dry run's plan as a table (its first rows when long); for an applied run, what was done
/// (its plan was shown by the dry run before it).
fn show(report: &SyncReport) {
    if report.plan.actions.is_empty() {
        println!(
            "(nothing to do: {} users looked at)",
            report.plan.considered
        );
    } else if report.dry_run {
        let table = report.plan.to_table();
        let lines: Vec<&str> = table.lines().collect();
        // The header, the rows, and the summary line last.
        let rows = lines.len().saturating_sub(2);
        for line in lines.iter().take(1 + rows.min(ROWS_SHOWN)) {
            println!("{line}");
        }
        if rows > ROWS_SHOWN {
            println!("... and {} more rows", rows - ROWS_SHOWN);
        }
        if let Some(summary) = lines.last() {
            println!("{summary}");
        }
    }
    if !report.dry_run && !report.plan.actions.is_empty() {
        let failed = report.failed().len();
        println!(
            "applied {} actions (a force sync is followed by its unit, role and team steps), \
             {failed} failed",
            report.applied.len()
        );
    }
}

/// `Engineering 67, Sales 67, Support 66`.
fn per_unit(counts: &std::collections::BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(unit, n)| format!("{unit} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match common::TenantSettings::from_env()? {
        Some(settings) => tenant(&settings).await,
        None => emulator().await,
    }
}

async fn emulator() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = dynamics_emulator::Emulator::start().await?;
    println!(
        "(running against the emulator at {}; set DYNAMICS_* to use a tenant)",
        emulator.base_url()
    );
    let staff = demo::seed_staff(&emulator, 200)?;
    let clients = demo::emulator_clients(&emulator).await?;
    demo::prepare_org(&clients.dataverse).await?;
    let dir = std::env::temp_dir().join(format!("sync-users-example-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let sync = UserSync::new(
        clients.graph,
        clients.dataverse.clone(),
        Arc::new(clients.force_sync),
        Arc::new(SqlCheckpoints::open_sqlite(&dir.join("user-sync.sqlite")).await?),
        demo::rules()?,
    )
    .with_progress(Arc::new(SilentProgress));
    let options = SyncOptions {
        disable_leavers: true,
        checkpoint_key: format!("graph-users/{}", emulator.defaults().tenant_id),
        ..Default::default()
    };
    let dry_run = SyncOptions {
        dry_run: true,
        ..options.clone()
    };

    heading("1. dry run: what the rules would do");
    show(&sync.run(&dry_run).await?);
    heading("2. apply");
    show(&sync.run(&options).await?);
    println!(
        "users per business unit: {}",
        per_unit(&demo::users_per_unit(&clients.dataverse, &staff).await?)
    );

    heading("3. in Entra: one moves to Engineering, one leaves, two are hired");
    let changes = demo::change_some(&emulator, &staff)?;
    println!("the plan:");
    show(&sync.run(&dry_run).await?);
    show(&sync.run(&options).await?);
    let mut everyone = staff.clone();
    everyone.extend(changes.hired);
    println!(
        "users per business unit: {}",
        per_unit(&demo::users_per_unit(&clients.dataverse, &everyone).await?)
    );

    heading("4. once more: nothing changed, nothing to do");
    show(&sync.run(&options).await?);
    let _ = std::fs::remove_dir_all(&dir);
    emulator.shutdown().await;
    Ok(())
}

async fn tenant(settings: &common::TenantSettings) -> Result<(), Box<dyn std::error::Error>> {
    let secret = settings
        .client_secret
        .clone()
        .ok_or("set DYNAMICS_CLIENT_SECRET: the app reads Microsoft Graph app-only")?;
    let graph_credential: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
        settings.authority()?,
        settings.client_id,
        secret,
        CredentialOptions::default(),
    )?);
    let graph = GraphClient::new(
        dynamics_rs::user_sync::graph::DEFAULT_GRAPH_BASE,
        graph_credential,
        GraphOptions::default(),
    )?;
    let org = common::dataverse::connect().await?.client;
    let admin = common::admin::connect().await?;
    let environment = admin
        .environment_id
        .ok_or("set DYNAMICS_ENVIRONMENT_ID to the environment (instance) id")?;
    let force_sync: Arc<dyn ForceSync> = Arc::new(dynamics_rs::user_sync::AdminForceSync::new(
        admin.api.clone(),
        environment.into(),
        Default::default(),
    ));
    let rules = match std::env::var("DYNAMICS_USER_SYNC_RULES") {
        Ok(path) => RuleSet::load(path.as_ref())?,
        Err(_) => demo::rules()?,
    };
    demo::prepare_org(&org).await?;
    let sync = UserSync::new(
        graph,
        org,
        force_sync,
        Arc::new(SqlCheckpoints::open_sqlite("user-sync.sqlite".as_ref()).await?),
        rules,
    );
    let options = SyncOptions {
        disable_leavers: true,
        checkpoint_key: format!("graph-users/{}:{}", settings.tenant, settings.org_url),
        ..Default::default()
    };
    heading("dry run");
    show(
        &sync
            .run(&SyncOptions {
                dry_run: true,
                ..options.clone()
            })
            .await?,
    );
    if std::env::var("DYNAMICS_USER_SYNC_APPLY").is_ok_and(|v| v == "1") {
        heading("apply");
        show(&sync.run(&options).await?);
        heading("once more");
        show(&sync.run(&options).await?);
    } else {
        println!("(set DYNAMICS_USER_SYNC_APPLY=1 to apply)");
    }
    Ok(())
}
