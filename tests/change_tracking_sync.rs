//! Workflow: change tracking sync (`change_tracking_sync`) on the emulator, with security
//! enforced for the syncing app's application user: refused before it holds organization-level
//! read, then an initial sync of accounts and contacts into a SQLite mirror, the creates,
//! updates and deletes of another principal, and an expired token resynced with the deletes
//! made meanwhile reconciled. After each round the mirror equals the source.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dynamics_emulator::{AppSeed, Emulator, SecretSeed};
use dynamics_rs::auth::{ClientSecretCredential, CredentialOptions, Uuid};
use dynamics_rs::change_sync::store::SqlValue;
use dynamics_rs::change_sync::{
    ChangeSync, CheckpointStore, Phase, SqlCheckpoints, SyncError, SyncOptions, SyncTarget,
};
use dynamics_rs::dataverse::changes::{Change, DeleteReason};
use dynamics_rs::dataverse::provisioning::{Principal, PrivilegeDepth, PrivilegeGrant};
use dynamics_rs::dataverse::{ClientOptions, DataverseClient};
use serde_json::json;

const APP_ID: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000c6);
const APP_SECRET: &str = "change-sync-test-secret";

/// `(entity set, primary id, the column mirrored)`.
const TABLES: [(&str, &str, &str); 2] = [
    ("accounts", "accountid", "name"),
    ("contacts", "contactid", "lastname"),
];

fn sync_app(emulator: &Emulator) -> DataverseClient {
    let seed = emulator.defaults();
    emulator
        .seed()
        .add_app(
            seed.tenant_id,
            AppSeed {
                secrets: vec![SecretSeed::new(APP_SECRET)],
                ..AppSeed::new(APP_ID, "Change Sync")
            },
        )
        .expect("the app registers");
    let credential = ClientSecretCredential::new(
        common::authority(emulator),
        APP_ID,
        APP_SECRET.to_string(),
        CredentialOptions::default(),
    )
    .expect("credential");
    DataverseClient::new(
        seed.dataverse_url.as_str(),
        Arc::new(credential),
        ClientOptions::default(),
    )
    .expect("client")
}

#[derive(Debug, Default, PartialEq)]
struct Round {
    changed: usize,
    deleted: usize,
    reconciled: usize,
    resynced: bool,
}

/// One round of a table into `mirror`, in the outbox form.
async fn round(sync: &mut ChangeSync, column: &str) -> Result<Round, SyncError> {
    let entity_set = sync.target().entity_set.clone();
    let primary_id = sync.target().primary_id.clone();
    let mut round = Round::default();
    while let Some(batch) = sync.next_batch().await? {
        round.resynced |= batch.phase() == Phase::Resync;
        let mut tx = batch.begin().await?;
        for change in batch.changes() {
            match change {
                Change::Changed(row) => {
                    round.changed += 1;
                    tx.execute(
                        "INSERT INTO mirror (entity_set, id, value) VALUES ($1, $2, $3)
                         ON CONFLICT (entity_set, id) DO UPDATE SET value = excluded.value",
                        vec![
                            SqlValue::text(&entity_set),
                            SqlValue::Text(change.id(&primary_id).map(|id| id.to_string())),
                            SqlValue::Text(row.get_str(column).map(str::to_owned)),
                        ],
                    )
                    .await?;
                }
                Change::Deleted { id, reason } => {
                    if *reason == DeleteReason::Reconciled {
                        round.reconciled += 1;
                    } else {
                        round.deleted += 1;
                    }
                    tx.execute(
                        "DELETE FROM mirror WHERE entity_set = $1 AND id = $2",
                        vec![SqlValue::text(&entity_set), SqlValue::text(id.to_string())],
                    )
                    .await?;
                }
                _ => {}
            }
        }
        batch.commit(tx).await?;
    }
    Ok(round)
}

async fn mirror(
    checkpoints: &SqlCheckpoints,
    entity_set: &str,
) -> BTreeMap<String, Option<String>> {
    checkpoints
        .store()
        .query(
            "SELECT id, value FROM mirror WHERE entity_set = $1",
            vec![SqlValue::text(entity_set)],
        )
        .await
        .expect("mirror")
        .iter()
        .map(|row| (row.text(0).expect("id"), row.opt_text(1).expect("value")))
        .collect()
}

fn source(
    emulator: &Emulator,
    entity_set: &str,
    primary_id: &str,
    column: &str,
) -> BTreeMap<String, Option<String>> {
    emulator
        .seed()
        .rows(entity_set)
        .iter()
        .map(|row| {
            (
                row[primary_id].as_str().expect("id").to_owned(),
                row[column].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn assert_mirror_equals_source(emulator: &Emulator, checkpoints: &SqlCheckpoints) {
    for (entity_set, primary_id, column) in TABLES {
        assert_eq!(
            mirror(checkpoints, entity_set).await,
            source(emulator, entity_set, primary_id, column),
            "{entity_set}"
        );
    }
}

#[tokio::test]
async fn an_application_user_mirrors_accounts_and_contacts_through_deltas_and_an_expired_token() {
    let emulator = common::start().await;
    let admin = common::dataverse_client(&emulator);
    let app = sync_app(&emulator);
    emulator
        .seed()
        .insert_rows(
            "accounts",
            (0..12).map(|n| json!({"name": format!("A{n}")})).collect(),
        )
        .expect("accounts");
    emulator
        .seed()
        .insert_rows(
            "contacts",
            (0..5)
                .map(|n| json!({"lastname": format!("C{n}")}))
                .collect(),
        )
        .expect("contacts");

    let dir = std::env::temp_dir().join(format!("change-tracking-sync-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let checkpoints = Arc::new(
        SqlCheckpoints::open_sqlite(&dir.join("mirror.db"))
            .await
            .expect("open"),
    );
    checkpoints
        .store()
        .execute(
            "CREATE TABLE mirror (entity_set TEXT NOT NULL, id TEXT NOT NULL, value TEXT,
             PRIMARY KEY (entity_set, id))",
            vec![],
        )
        .await
        .expect("mirror table");
    let mut syncs: Vec<(ChangeSync, &str)> = TABLES
        .iter()
        .map(|(entity_set, primary_id, column)| {
            let target =
                SyncTarget::new(format!("emulator/{entity_set}"), *entity_set, *primary_id)
                    .select([*column]);
            let options = SyncOptions {
                max_page_size: Some(5),
                ..SyncOptions::default()
            };
            (
                ChangeSync::new(app.clone(), checkpoints.clone(), target, options),
                *column,
            )
        })
        .collect();

    // The application user exists but holds no role: change tracking is refused.
    let user = admin
        .app_users()
        .ensure(APP_ID)
        .send()
        .await
        .expect("app user")
        .user
        .id;
    let refused = round(&mut syncs[0].0, "name")
        .await
        .expect_err("no read privilege yet");
    assert!(
        matches!(&refused, SyncError::Dataverse(e) if e.status() == Some(403)),
        "{refused}"
    );
    assert!(
        checkpoints
            .load("emulator/accounts")
            .await
            .expect("load")
            .is_none()
    );

    // A role with organization-level read on both tables.
    let root = admin.business_units().root().await.expect("root unit");
    let role = admin
        .table("roles")
        .create(&json!({"name": "Change Tracking Reader", "businessunitid@odata.bind": format!("/businessunits({})", root.id)}))
        .send()
        .await
        .expect("role");
    admin
        .roles()
        .add_privileges(
            role,
            ["prvReadAccount", "prvReadContact"]
                .map(|p| PrivilegeGrant::new(p, PrivilegeDepth::Organization)),
        )
        .await
        .expect("privileges");
    admin
        .roles()
        .assign(role, Principal::User(user))
        .send()
        .await
        .expect("assign");

    // Initial sync: every row, over several pages.
    for (sync, column) in &mut syncs {
        let initial = round(sync, column).await.expect("initial sync");
        assert!(
            initial.changed > 0 && initial.deleted + initial.reconciled == 0,
            "{initial:?}"
        );
    }
    assert_mirror_equals_source(&emulator, &checkpoints).await;

    // Another principal's creates, updates and deletes.
    let accounts = admin.table("accounts");
    let rows = emulator.seed().rows("accounts");
    let id = |n: usize| {
        rows[n]["accountid"]
            .as_str()
            .expect("id")
            .parse::<Uuid>()
            .expect("uuid")
    };
    accounts
        .create(&json!({"name": "New"}))
        .send()
        .await
        .expect("create");
    accounts
        .update(id(0), &json!({"name": "Renamed"}))
        .send()
        .await
        .expect("update");
    accounts.delete(id(1)).send().await.expect("delete");
    let delta = round(&mut syncs[0].0, "name").await.expect("delta");
    assert_eq!(
        delta,
        Round {
            changed: 2,
            deleted: 1,
            ..Round::default()
        }
    );
    let (sync, column) = &mut syncs[1];
    assert_eq!(
        round(sync, column).await.expect("no contact changes"),
        Round::default()
    );
    assert_mirror_equals_source(&emulator, &checkpoints).await;

    // Deletes while nobody polls, then the token expires: the resync reconciles them.
    accounts.delete(id(2)).send().await.expect("delete");
    accounts.delete(id(3)).send().await.expect("delete");
    let contact = emulator.seed().rows("contacts")[0]["contactid"]
        .as_str()
        .expect("id")
        .parse::<Uuid>()
        .expect("uuid");
    admin
        .table("contacts")
        .delete(contact)
        .send()
        .await
        .expect("delete");
    emulator.advance_clock(Duration::from_secs(8 * 86_400));
    let mut reconciled = Vec::new();
    for (sync, column) in &mut syncs {
        let resync = round(sync, column).await.expect("resync");
        assert!(resync.resynced, "{resync:?}");
        assert_eq!(sync.resyncs(), 1);
        reconciled.push(resync.reconciled);
    }
    assert_eq!(reconciled, [2, 1]);
    assert_mirror_equals_source(&emulator, &checkpoints).await;
    let _ = std::fs::remove_dir_all(&dir);
}
