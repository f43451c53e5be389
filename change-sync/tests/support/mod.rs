//! What the change-sync tests share: the emulator, an app-only client, a SQLite mirror fed
//! by `ChangeSync` in the outbox form, and comparisons with the source.

#![allow(dead_code)] // Each test file uses its own part.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use change_sync::{ChangeSync, SqlCheckpoints, SyncError, SyncOptions, SyncTarget};
use dataverse_webapi::changes::Change;
use dataverse_webapi::{ClientOptions, DataverseClient};
use dynamics_auth::{Authority, ClientSecretCredential, CredentialOptions, TokenCredential};
use dynamics_emulator::Emulator;
use dynamics_store::SqlValue;

pub(crate) const CREATE_MIRROR: &str =
    "CREATE TABLE IF NOT EXISTS mirror (id TEXT PRIMARY KEY, name TEXT)";

/// An app-only client on the emulator's org (the seeded application and its secret).
pub(crate) fn client(emulator: &Emulator) -> DataverseClient {
    let seed = emulator.defaults();
    let authority = Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string())
        .expect("authority");
    let credential: Arc<dyn TokenCredential> = Arc::new(
        ClientSecretCredential::new(
            authority,
            seed.client_id,
            seed.client_secret.clone(),
            CredentialOptions::default(),
        )
        .expect("credential"),
    );
    DataverseClient::new(
        seed.dataverse_url.as_str(),
        credential,
        ClientOptions::default(),
    )
    .expect("client")
}

/// A fresh directory for one test.
pub(crate) fn temp_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "change-sync-{label}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Checkpoints and a `mirror` table in one SQLite file.
pub(crate) async fn sqlite_mirror(dir: &std::path::Path) -> Arc<SqlCheckpoints> {
    let checkpoints = SqlCheckpoints::open_sqlite(&dir.join("mirror.db"))
        .await
        .expect("open");
    checkpoints
        .store()
        .execute(CREATE_MIRROR, vec![])
        .await
        .expect("mirror table");
    Arc::new(checkpoints)
}

pub(crate) fn accounts_sync(
    client: DataverseClient,
    checkpoints: Arc<SqlCheckpoints>,
    options: SyncOptions,
) -> ChangeSync {
    let target = SyncTarget::new("emulator/accounts", "accounts", "accountid").select(["name"]);
    ChangeSync::new(client, checkpoints, target, options)
}

/// What one round applied.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub(crate) changed: usize,
    pub(crate) deleted: usize,
    pub(crate) reconciled: usize,
}

/// Applies batches into `mirror` (outbox form) until the round ends.
pub(crate) async fn catch_up(sync: &mut ChangeSync) -> Result<Applied, SyncError> {
    let mut applied = Applied::default();
    while let Some(batch) = sync.next_batch().await? {
        let mut tx = batch.begin().await?;
        for change in batch.changes() {
            match change {
                Change::Changed(row) => {
                    applied.changed += 1;
                    let id = change.id("accountid").map(|id| id.to_string());
                    tx.execute(
                        "INSERT INTO mirror (id, name) VALUES ($1, $2)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                        vec![
                            SqlValue::Text(id),
                            SqlValue::Text(row.get_str("name").map(str::to_owned)),
                        ],
                    )
                    .await?;
                }
                Change::Deleted { id, reason } => {
                    if *reason == dataverse_webapi::changes::DeleteReason::Reconciled {
                        applied.reconciled += 1;
                    } else {
                        applied.deleted += 1;
                    }
                    tx.execute(
                        "DELETE FROM mirror WHERE id = $1",
                        vec![SqlValue::text(id.to_string())],
                    )
                    .await?;
                }
                _ => {}
            }
        }
        batch.commit(tx).await?;
    }
    Ok(applied)
}

/// The mirror: id → name.
pub(crate) async fn mirror_rows(checkpoints: &SqlCheckpoints) -> BTreeMap<String, Option<String>> {
    checkpoints
        .store()
        .query("SELECT id, name FROM mirror", vec![])
        .await
        .expect("read mirror")
        .iter()
        .map(|row| (row.text(0).expect("id"), row.opt_text(1).expect("name")))
        .collect()
}

/// The source: id → name of every account in the emulator.
pub(crate) fn source_rows(emulator: &Emulator) -> BTreeMap<String, Option<String>> {
    emulator
        .seed()
        .rows("accounts")
        .iter()
        .map(|row| {
            (
                row["accountid"].as_str().expect("accountid").to_owned(),
                row["name"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// A client for a wiremock server standing in for the org, with a static token.
pub(crate) fn mock_client(server: &wiremock::MockServer) -> DataverseClient {
    let token = dynamics_auth::StaticTokenCredential::new(
        "test-token",
        time::OffsetDateTime::now_utc() + std::time::Duration::from_secs(3600),
    );
    DataverseClient::new(&server.uri(), Arc::new(token), ClientOptions::default()).expect("client")
}

/// A change tracking page of accounts `rows` (ids from the numbers), with an
/// `@odata.nextLink` or `@odata.deltaLink` query when given.
pub(crate) fn accounts_page(
    org: &str,
    rows: &[u128],
    next: Option<&str>,
    delta: Option<&str>,
) -> serde_json::Value {
    let mut body = serde_json::json!({
        "@odata.context": format!("{org}/api/data/v9.2/$metadata#accounts(name)"),
        "value": rows.iter().map(|n| serde_json::json!({
            "@odata.etag": "W/\"1\"",
            "name": format!("Account {n}"),
            "accountid": uuid::Uuid::from_u128(*n).to_string(),
        })).collect::<Vec<_>>(),
    });
    if let Some(next) = next {
        body["@odata.nextLink"] = serde_json::json!(format!("{org}/api/data/v9.2/accounts?{next}"));
    }
    if let Some(delta) = delta {
        body["@odata.deltaLink"] =
            serde_json::json!(format!("{org}/api/data/v9.2/accounts?{delta}"));
    }
    body
}
