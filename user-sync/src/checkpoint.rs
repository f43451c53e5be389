//! A small durable map, key → cursor text, over `dynamics-store` (an SQLite file by default,
//! or PostgreSQL). The user sync keeps its Graph delta position here; nothing in it is
//! specific to Graph, so other incremental syncs can share it under their own keys.

use std::path::Path;
use std::time::Duration;

use dynamics_store::{Migration, SqlValue, SqliteStore, Store};

use crate::error::Result;

static MIGRATIONS: [Migration; 1] = [Migration {
    version: 1,
    sqlite: "CREATE TABLE sync_checkpoints (
        key TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        saved_at BIGINT NOT NULL
    )",
    postgres: "CREATE TABLE sync_checkpoints (
        key TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        saved_at BIGINT NOT NULL
    )",
}];

/// A stored cursor.
#[derive(Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The cursor, as its owner wrote it.
    pub cursor: String,
    /// When it was saved (Unix seconds).
    pub saved_at: i64,
}

/// Cursors may hold service tokens (a delta token is a bookmark, not a credential, but it
/// is still nobody's business in a log): `Debug` shows the length only.
impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("cursor_len", &self.cursor.len())
            .field("saved_at", &self.saved_at)
            .finish()
    }
}

/// Durable cursors by key.
#[derive(Debug)]
pub struct CheckpointStore {
    store: Store,
}

impl CheckpointStore {
    /// Over an open store; creates the table on first use.
    pub async fn new(store: Store) -> Result<Self> {
        store.migrate("sync-checkpoints", &MIGRATIONS).await?;
        Ok(CheckpointStore { store })
    }

    /// Over an SQLite file (created when missing).
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        let store = SqliteStore::open(path, Duration::from_secs(5)).await?;
        Self::new(Store::Sqlite(store)).await
    }

    /// The cursor stored under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Checkpoint>> {
        let rows = self
            .store
            .query(
                "SELECT cursor, saved_at FROM sync_checkpoints WHERE key = $1",
                vec![SqlValue::text(key)],
            )
            .await?;
        match rows.first() {
            Some(row) => Ok(Some(Checkpoint {
                cursor: row.text(0)?,
                saved_at: row.i64(1)?,
            })),
            None => Ok(None),
        }
    }

    /// Stores `cursor` under `key` (replacing what was there); durable when this returns.
    pub async fn put(&self, key: &str, cursor: &str, saved_at: i64) -> Result<()> {
        self.store
            .execute(
                "INSERT INTO sync_checkpoints (key, cursor, saved_at) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET cursor = excluded.cursor, saved_at = excluded.saved_at",
                vec![
                    SqlValue::text(key),
                    SqlValue::text(cursor),
                    SqlValue::int(saved_at),
                ],
            )
            .await?;
        Ok(())
    }

    /// Forgets `key`.
    pub async fn clear(&self, key: &str) -> Result<()> {
        self.store
            .execute(
                "DELETE FROM sync_checkpoints WHERE key = $1",
                vec![SqlValue::text(key)],
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cursors_survive_reopening_and_can_be_replaced_or_cleared() {
        let dir = std::env::temp_dir().join(format!("user-sync-ckpt-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("state.sqlite");
        {
            let store = CheckpointStore::open_sqlite(&path).await.expect("open");
            assert_eq!(store.get("a").await.expect("get"), None);
            store.put("a", "one", 10).await.expect("put");
            store.put("a", "two", 20).await.expect("replace");
        }
        let store = CheckpointStore::open_sqlite(&path).await.expect("reopen");
        let got = store.get("a").await.expect("get").expect("kept");
        assert_eq!((got.cursor.as_str(), got.saved_at), ("two", 20));
        assert!(!format!("{got:?}").contains("two"));
        store.clear("a").await.expect("clear");
        assert_eq!(store.get("a").await.expect("get"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cursors_live_in_postgresql_too() {
        let Some(url) = test_postgres::fresh_database("user_sync_checkpoints").await else {
            return;
        };
        let pg = dynamics_store::PgStore::connect(&url)
            .await
            .expect("connect");
        let store = CheckpointStore::new(Store::Postgres(Box::new(pg)))
            .await
            .expect("migrate");
        store.put("k", "one", 1).await.expect("put");
        store.put("k", "two", 2).await.expect("replace");
        let got = store.get("k").await.expect("get").expect("kept");
        assert_eq!((got.cursor.as_str(), got.saved_at), ("two", 2));
    }
}
