//! Change tracking sync, a data-integration platform's setup end to end: an application user
//! signing in with a client secret, a least-privilege role that reads accounts, contacts and
//! leads across the organization (change tracking needs organization-level read), change
//! tracking enabled on the three tables, an initial sync into a local SQLite mirror (the
//! mirror rows and the checkpoints committed in one transaction), then the creates, updates
//! and deletes another user makes, and last an expired token: the full resync reports the
//! rows deleted meanwhile as reconciled deletions.
//!
//! ```sh
//! cargo run --example change_tracking_sync
//! ```
//! Against an org: `DYNAMICS_TENANT_ID`, `DYNAMICS_ORG_URL`, `DYNAMICS_CLIENT_ID` and
//! `DYNAMICS_CLIENT_SECRET` (the syncing app), and an administrator signing in as a user
//! (`DYNAMICS_USERNAME`/`DYNAMICS_PASSWORD`, or `DYNAMICS_DEVICE_CODE=1`). On an org it
//! creates or adopts the application user, creates the role "Change Tracking Reader" when
//! missing, turns change tracking on for account, contact and lead (**irreversible**),
//! creates two accounts, a contact and a lead and deletes them again. The token expiry step
//! runs on the emulator only (its clock moves eight days on); an org's tokens expire after its
//! `expirechangetrackingindays`. The mirror is `change_tracking_sync.db` in the temp directory.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dynamics_emulator::Emulator;
use dynamics_rs::auth::Uuid;
use dynamics_rs::change_sync::store::SqlValue;
use dynamics_rs::change_sync::{
    ChangeSync, Phase, SqlCheckpoints, SyncError, SyncOptions, SyncTarget,
};
use dynamics_rs::dataverse::changes::{Change, DeleteReason};
use dynamics_rs::dataverse::provisioning::{Principal, PrivilegeDepth, PrivilegeGrant};
use dynamics_rs::dataverse::{DataverseClient, DataverseError};
use serde_json::json;

use common::TenantSettings;

/// The syncing application the emulator run registers.
const EMULATOR_APP_ID: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000c5);
/// The role the application user gets.
const ROLE: &str = "Change Tracking Reader";

/// A table to mirror: logical name, entity set, primary id, columns.
struct Tracked {
    logical: &'static str,
    entity_set: &'static str,
    primary_id: &'static str,
    columns: &'static [&'static str],
}

const TABLES: [Tracked; 3] = [
    Tracked {
        logical: "account",
        entity_set: "accounts",
        primary_id: "accountid",
        columns: &["name"],
    },
    Tracked {
        logical: "contact",
        entity_set: "contacts",
        primary_id: "contactid",
        columns: &["firstname", "lastname"],
    },
    Tracked {
        logical: "lead",
        entity_set: "leads",
        primary_id: "leadid",
        columns: &["subject", "lastname"],
    },
];

const CREATE_MIRROR: &str = "CREATE TABLE IF NOT EXISTS mirror (
    entity_set TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (entity_set, id))";
const UPSERT: &str = "INSERT INTO mirror (entity_set, id, body) VALUES ($1, $2, $3)
    ON CONFLICT (entity_set, id) DO UPDATE SET body = excluded.body";
const DELETE: &str = "DELETE FROM mirror WHERE entity_set = $1 AND id = $2";

fn line(label: &str, value: impl std::fmt::Display) {
    println!("{label:<30} {value}");
}

fn step(text: &str) {
    println!("\n-- {text}");
}

/// Who does what: an administrator (also "another user" making changes), the syncing app,
/// and the emulator while it runs.
struct Setup {
    admin: DataverseClient,
    app: DataverseClient,
    app_id: Uuid,
    org: String,
    emulator: Option<Emulator>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = match TenantSettings::from_env()? {
        Some(settings) => {
            let app = common::dataverse::connect().await?.client;
            let admin = common::dataverse::org_admin(&settings)?;
            Setup {
                admin,
                app,
                app_id: settings.client_id,
                org: settings.org_url.clone(),
                emulator: None,
            }
        }
        None => {
            let started =
                common::lead_writer_emulator::start_with_app(EMULATOR_APP_ID, "Change Sync")
                    .await?;
            seed_existing_rows(&started.emulator)?;
            Setup {
                admin: started.admin,
                app: started.app,
                app_id: EMULATOR_APP_ID,
                org: "emulator".into(),
                emulator: Some(started.emulator),
            }
        }
    };

    step("The syncing app needs an application user with organization-level read.");
    let user = setup.admin.app_users().ensure(setup.app_id).send().await?;
    line("application user", user.user.id);
    let role = ensure_reader_role(&setup.admin).await?;
    setup
        .admin
        .roles()
        .assign(role, Principal::User(user.user.id))
        .send()
        .await?;
    line("role", format!("{ROLE} ({role})"));

    step("Change tracking on account, contact and lead (it can never be turned off again).");
    for table in &TABLES {
        let outcome = setup
            .admin
            .metadata()
            .enable_change_tracking(table.logical)
            .await?;
        line(table.logical, format!("{outcome:?}"));
    }

    let db = std::env::temp_dir().join("change_tracking_sync.db");
    remove_database(&db);
    let checkpoints = Arc::new(SqlCheckpoints::open_sqlite(&db).await?);
    checkpoints.store().execute(CREATE_MIRROR, vec![]).await?;
    let mut syncs: Vec<ChangeSync> = TABLES
        .iter()
        .map(|table| {
            let target = SyncTarget::new(
                format!("{}/{}", setup.org, table.entity_set),
                table.entity_set,
                table.primary_id,
            )
            .select(table.columns.iter().copied());
            let options = SyncOptions {
                max_page_size: Some(100),
                poll_interval: Some(Duration::from_secs(300)),
                ..SyncOptions::default()
            };
            ChangeSync::new(setup.app.clone(), checkpoints.clone(), target, options)
        })
        .collect();

    step("Initial sync into the SQLite mirror (rows and checkpoint in one transaction a page).");
    sync_all(&mut syncs).await?;
    if let Some(days) = syncs[0].expiry_days() {
        line("expirechangetrackingindays", days);
    }

    step("Another user creates, updates and deletes rows; the next poll brings exactly that.");
    let accounts = setup.admin.table("accounts");
    let kept = accounts.create(&json!({"name": "Fabrikam"})).send().await?;
    let brief = accounts.create(&json!({"name": "Tailspin"})).send().await?;
    accounts
        .update(kept, &json!({"name": "Fabrikam Inc."}))
        .send()
        .await?;
    accounts.delete(brief).send().await?;
    let contact = setup
        .admin
        .table("contacts")
        .create(&json!({"firstname": "Ada", "lastname": "Lovelace"}))
        .send()
        .await?;
    let lead = setup
        .admin
        .table("leads")
        .create(&json!({"subject": "Interested in sync", "lastname": "Byron"}))
        .send()
        .await?;
    sync_all(&mut syncs).await?;

    match &setup.emulator {
        Some(emulator) => {
            step("Deletes while the sync is down, then eight days pass: the token expires.");
            accounts.delete(kept).send().await?;
            setup.admin.table("contacts").delete(contact).send().await?;
            emulator.advance_clock(Duration::from_secs(8 * 86_400));
            sync_all(&mut syncs).await?;
            for sync in &syncs {
                line(
                    &format!("{} full resyncs", sync.target().entity_set),
                    sync.resyncs(),
                );
            }
            setup.admin.table("leads").delete(lead).send().await?;
            sync_all(&mut syncs).await?;
        }
        None => {
            step("Cleaning up the rows this run created (the deletes come in the next poll).");
            accounts.delete(kept).send().await?;
            setup.admin.table("contacts").delete(contact).send().await?;
            setup.admin.table("leads").delete(lead).send().await?;
            sync_all(&mut syncs).await?;
        }
    }

    step("The mirror now holds, per table:");
    for table in &TABLES {
        let rows = checkpoints
            .store()
            .query(
                "SELECT count(*) FROM mirror WHERE entity_set = $1",
                vec![SqlValue::text(table.entity_set)],
            )
            .await?;
        let mirrored = rows[0].i64(0)?;
        match &setup.emulator {
            Some(emulator) => {
                let source = emulator.seed().row_count(table.entity_set);
                line(
                    table.entity_set,
                    format!("{mirrored} rows (the source has {source})"),
                );
            }
            None => line(table.entity_set, format!("{mirrored} rows")),
        }
    }
    line("mirror file", db.display());
    Ok(())
}

/// The org's existing data on the emulator: 250 accounts (three pages of the initial sync),
/// 20 contacts and 10 leads.
fn seed_existing_rows(emulator: &Emulator) -> Result<(), Box<dyn std::error::Error>> {
    let seed = emulator.seed();
    seed.insert_rows(
        "accounts",
        (0..250)
            .map(|n| json!({"name": format!("Account {n}")}))
            .collect(),
    )?;
    seed.insert_rows(
        "contacts",
        (0..20)
            .map(|n| json!({"firstname": "Contact", "lastname": format!("{n}")}))
            .collect(),
    )?;
    seed.insert_rows(
        "leads",
        (0..10)
            .map(|n| json!({"subject": format!("Lead {n}"), "lastname": format!("{n}")}))
            .collect(),
    )?;
    Ok(())
}

/// Finds the reader role in the root business unit, or creates it; either way it gets
/// organization-level read on the three tables (adding a privilege it has is harmless).
async fn ensure_reader_role(admin: &DataverseClient) -> Result<Uuid, Box<dyn std::error::Error>> {
    let role = match admin.roles().find(ROLE).send().await {
        Ok(role) => role.id,
        Err(DataverseError::NotFound { .. }) => {
            let root = admin.business_units().root().await?;
            admin
                .table("roles")
                .create(&json!({
                    "name": ROLE,
                    "businessunitid@odata.bind": format!("/businessunits({})", root.id),
                }))
                .send()
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let grants = ["prvReadAccount", "prvReadContact", "prvReadLead"]
        .map(|name| PrivilegeGrant::new(name, PrivilegeDepth::Organization));
    admin.roles().add_privileges(role, grants).await?;
    Ok(role)
}

/// One round of every table: applies batches into the mirror until each is caught up, and
/// prints what came.
async fn sync_all(syncs: &mut [ChangeSync]) -> Result<(), SyncError> {
    for sync in syncs.iter_mut() {
        let entity_set = sync.target().entity_set.clone();
        let primary_id = sync.target().primary_id.clone();
        let (mut changed, mut deleted, mut reconciled, mut phases) = (0, 0, 0, Vec::new());
        while let Some(batch) = sync.next_batch().await? {
            if phases.last() != Some(&batch.phase()) {
                phases.push(batch.phase());
            }
            let mut tx = batch.begin().await?;
            for change in batch.changes() {
                match change {
                    Change::Changed(row) => {
                        changed += 1;
                        let id = change.id(&primary_id).map(|id| id.to_string());
                        let body = serde_json::to_string(row.as_map()).unwrap_or_default();
                        tx.execute(
                            UPSERT,
                            vec![
                                SqlValue::text(&entity_set),
                                SqlValue::Text(id),
                                SqlValue::text(body),
                            ],
                        )
                        .await?;
                    }
                    Change::Deleted { id, reason } => {
                        if *reason == DeleteReason::Reconciled {
                            reconciled += 1;
                        } else {
                            deleted += 1;
                        }
                        tx.execute(
                            DELETE,
                            vec![SqlValue::text(&entity_set), SqlValue::text(id.to_string())],
                        )
                        .await?;
                    }
                    _ => {}
                }
            }
            batch.commit(tx).await?;
        }
        let phases: Vec<&str> = phases.iter().map(|p| describe(*p)).collect();
        line(
            &entity_set,
            format!(
                "{changed} changed, {deleted} deleted, {reconciled} reconciled deletions ({})",
                if phases.is_empty() {
                    "nothing new".to_owned()
                } else {
                    phases.join(", ")
                }
            ),
        );
    }
    Ok(())
}

fn describe(phase: Phase) -> &'static str {
    match phase {
        Phase::Initial => "initial sync",
        Phase::Incremental => "delta",
        Phase::Resync => "full resync after an expired token",
        Phase::Reconcile => "delete reconciliation",
        _ => "other",
    }
}

/// A fresh mirror each run (the file and SQLite's WAL companions).
fn remove_database(db: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = PathBuf::from(db);
        path.as_mut_os_string().push(suffix);
        let _ = std::fs::remove_file(path);
    }
}
