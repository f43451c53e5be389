//! `change-sync-mirror`: mirrors one Dataverse table into a SQLite file with [`ChangeSync`],
//! the mirror rows and the checkpoint committed together. Polls until killed, or until a
//! round brings nothing new when `CHANGE_SYNC_EXIT_WHEN_IDLE=1`. The crash test kills it with
//! `kill -9` and starts it again.
//!
//! Settings (environment): `CHANGE_SYNC_ORG_URL`, `CHANGE_SYNC_AUTHORITY` (the sign-in host,
//! e.g. `https://login.microsoftonline.com`), `CHANGE_SYNC_TENANT`, `CHANGE_SYNC_CLIENT_ID`,
//! `CHANGE_SYNC_CLIENT_SECRET`, `CHANGE_SYNC_DB` (the SQLite file), `CHANGE_SYNC_TABLE`
//! (entity set, default `accounts`), `CHANGE_SYNC_PRIMARY_ID` (default `accountid`),
//! `CHANGE_SYNC_SELECT` (comma-separated columns, default `name`), `CHANGE_SYNC_PAGE_SIZE`
//! (default 500), `CHANGE_SYNC_POLL_MS` (default 200).
//!
//! The mirror table is `mirror (id TEXT PRIMARY KEY, body TEXT)`, `body` the row's JSON.
//! `mirror_stats (phase, batches, changes, reconciled)` counts, per phase, the batches
//! committed, their changes and their reconciled deletions, in the batches' transactions
//! (so kills never skew them): batches in the `resync` phase mean a delta link was refused
//! with `0x80044352` (the binary starts no resync otherwise).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use change_sync::{ChangeSync, Phase, SqlCheckpoints, SyncError, SyncOptions, SyncTarget};
use dataverse_webapi::changes::{Change, DeleteReason};
use dataverse_webapi::{ClientOptions, DataverseClient};
use dynamics_auth::{Authority, ClientSecretCredential, CredentialOptions, TokenCredential};
use dynamics_store::SqlValue;

const CREATE_MIRROR: &str =
    "CREATE TABLE IF NOT EXISTS mirror (id TEXT PRIMARY KEY, body TEXT NOT NULL)";
const UPSERT: &str = "INSERT INTO mirror (id, body) VALUES ($1, $2)
    ON CONFLICT (id) DO UPDATE SET body = excluded.body";
const DELETE: &str = "DELETE FROM mirror WHERE id = $1";
const CREATE_STATS: &str = "CREATE TABLE IF NOT EXISTS mirror_stats (
    phase TEXT PRIMARY KEY,
    batches BIGINT NOT NULL,
    changes BIGINT NOT NULL,
    reconciled BIGINT NOT NULL
)";
const COUNT: &str = "INSERT INTO mirror_stats (phase, batches, changes, reconciled)
    VALUES ($1, 1, $2, $3)
    ON CONFLICT (phase) DO UPDATE SET batches = mirror_stats.batches + 1,
        changes = mirror_stats.changes + excluded.changes,
        reconciled = mirror_stats.reconciled + excluded.reconciled";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("change-sync-mirror: {message}");
            ExitCode::FAILURE
        }
    }
}

fn setting(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("set {name} (see the binary's documentation)"))
}

fn setting_or(name: &str, default: &str) -> String {
    setting(name).unwrap_or_else(|_| default.to_owned())
}

fn number(name: &str, default: u64) -> Result<u64, String> {
    setting_or(name, &default.to_string())
        .parse()
        .map_err(|_| format!("{name} must be a whole number"))
}

async fn run() -> Result<(), String> {
    let authority = Authority::with_host(
        &setting("CHANGE_SYNC_AUTHORITY")?,
        &setting("CHANGE_SYNC_TENANT")?,
    )
    .map_err(|e| e.to_string())?;
    let client_id = setting("CHANGE_SYNC_CLIENT_ID")?
        .parse()
        .map_err(|_| "CHANGE_SYNC_CLIENT_ID must be a GUID".to_owned())?;
    let credential: Arc<dyn TokenCredential> = Arc::new(
        ClientSecretCredential::new(
            authority,
            client_id,
            setting("CHANGE_SYNC_CLIENT_SECRET")?,
            CredentialOptions::default(),
        )
        .map_err(|e| e.to_string())?,
    );
    let client = DataverseClient::new(
        &setting("CHANGE_SYNC_ORG_URL")?,
        credential,
        ClientOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    let db = setting("CHANGE_SYNC_DB")?;
    let checkpoints = SqlCheckpoints::open_sqlite(db.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    for create in [CREATE_MIRROR, CREATE_STATS] {
        checkpoints
            .store()
            .execute(create, vec![])
            .await
            .map_err(|e| e.to_string())?;
    }
    let entity_set = setting_or("CHANGE_SYNC_TABLE", "accounts");
    let primary_id = setting_or("CHANGE_SYNC_PRIMARY_ID", "accountid");
    let select = setting_or("CHANGE_SYNC_SELECT", "name");
    let target = SyncTarget::new(format!("mirror/{entity_set}"), entity_set, primary_id)
        .select(select.split(',').map(str::trim).filter(|c| !c.is_empty()));
    let poll = Duration::from_millis(number("CHANGE_SYNC_POLL_MS", 200)?);
    let options = SyncOptions {
        max_page_size: Some(number("CHANGE_SYNC_PAGE_SIZE", 500)? as u32),
        poll_interval: Some(poll),
        ..SyncOptions::default()
    };
    let exit_when_idle = setting_or("CHANGE_SYNC_EXIT_WHEN_IDLE", "0") == "1";
    let mut sync = ChangeSync::new(client, Arc::new(checkpoints), target, options);
    loop {
        // Idle means a delta round that brought nothing: the end of a full sync or of its
        // reconciliation is not (changes made since come in the delta after it).
        let phase = sync.checkpoint().await.map_err(|e| e.to_string())?.phase;
        let applied = catch_up(&mut sync).await.map_err(|e| e.to_string())?;
        if exit_when_idle && applied == 0 && phase == Phase::Incremental {
            return Ok(());
        }
        tokio::time::sleep(poll).await;
    }
}

/// Applies batches until the round ends; answers how many changes it applied.
async fn catch_up(sync: &mut ChangeSync) -> Result<usize, SyncError> {
    let primary_id = sync.target().primary_id.clone();
    let mut applied = 0;
    while let Some(batch) = sync.next_batch().await? {
        let mut tx = batch.begin().await?;
        let mut reconciled = 0;
        for change in batch.changes() {
            match change {
                Change::Changed(row) => {
                    let id = change.id(&primary_id).map(|id| id.to_string());
                    let body = serde_json::to_string(row.as_map()).unwrap_or_default();
                    tx.execute(UPSERT, vec![SqlValue::Text(id), SqlValue::text(body)])
                        .await?;
                }
                Change::Deleted { id, reason } => {
                    if *reason == DeleteReason::Reconciled {
                        reconciled += 1;
                    }
                    tx.execute(DELETE, vec![SqlValue::text(id.to_string())])
                        .await?;
                }
                _ => {}
            }
        }
        let changes = i64::try_from(batch.changes().len()).unwrap_or(i64::MAX);
        tx.execute(
            COUNT,
            vec![
                SqlValue::text(batch.phase().as_str()),
                SqlValue::int(changes),
                SqlValue::int(reconciled),
            ],
        )
        .await?;
        applied += batch.changes().len();
        batch.commit(tx).await?;
    }
    Ok(applied)
}
