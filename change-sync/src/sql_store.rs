//! The checkpoint store over `dynamics-store`: an embedded SQLite file by default, or a
//! PostgreSQL database that several workers share.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use dynamics_store::{Migration, PgStore, SqlValue, SqliteStore, Store, StoreError, Transaction};

use crate::checkpoint::{Checkpoint, CheckpointStore, Phase};
use crate::known_ids;

/// The component name in `schema_versions`.
const COMPONENT: &str = "change_sync";

/// Never edit a released step; add one.
static MIGRATIONS: [Migration; 1] = [Migration {
    version: 1,
    sqlite: "CREATE TABLE change_sync_checkpoints (
        sync_key TEXT PRIMARY KEY,
        phase TEXT NOT NULL,
        page_cursor TEXT,
        delta_cursor TEXT,
        generation BIGINT NOT NULL,
        revision BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE TABLE change_sync_known_ids (
        sync_key TEXT NOT NULL,
        id TEXT NOT NULL,
        generation BIGINT NOT NULL,
        PRIMARY KEY (sync_key, id)
    );
    CREATE INDEX change_sync_known_ids_generation
        ON change_sync_known_ids (sync_key, generation, id);",
    postgres: "CREATE TABLE change_sync_checkpoints (
        sync_key TEXT PRIMARY KEY,
        phase TEXT NOT NULL,
        page_cursor TEXT,
        delta_cursor TEXT,
        generation BIGINT NOT NULL,
        revision BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE TABLE change_sync_known_ids (
        sync_key TEXT NOT NULL,
        id TEXT NOT NULL,
        generation BIGINT NOT NULL,
        PRIMARY KEY (sync_key, id)
    );
    CREATE INDEX change_sync_known_ids_generation
        ON change_sync_known_ids (sync_key, generation, id);",
}];

const LOAD: &str = "SELECT phase, page_cursor, delta_cursor, generation, revision
    FROM change_sync_checkpoints WHERE sync_key = $1";

/// The first save of a key; a concurrent first save makes it change nothing.
const INSERT: &str = "INSERT INTO change_sync_checkpoints
    (sync_key, phase, page_cursor, delta_cursor, generation, revision, updated_at)
    VALUES ($1, $2, $3, $4, $5, 1, $6)
    ON CONFLICT (sync_key) DO NOTHING";

/// A later save, only over the revision it was read at. On PostgreSQL a concurrent update
/// waits for the other transaction, then re-checks the revision and changes nothing.
const UPDATE: &str = "UPDATE change_sync_checkpoints SET phase = $2, page_cursor = $3,
    delta_cursor = $4, generation = $5, updated_at = $6, revision = $7 + 1
    WHERE sync_key = $1 AND revision = $7";

const UNSEEN: &str = "SELECT id FROM change_sync_known_ids
    WHERE sync_key = $1 AND generation < $2 ORDER BY id LIMIT $3";

/// Checkpoints in a SQLite file or a PostgreSQL database (tables `change_sync_checkpoints`
/// and `change_sync_known_ids`, created on open). The caller's own tables may live in the
/// same database: [`CheckpointStore::begin`] gives the transaction to write them in.
#[derive(Debug, Clone)]
pub struct SqlCheckpoints {
    store: Arc<Store>,
}

impl SqlCheckpoints {
    /// Opens (creating when missing) a SQLite file, owner-only, WAL mode, synchronous commits.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        let store = SqliteStore::open(path, Duration::from_secs(30)).await?;
        Self::on(Arc::new(Store::Sqlite(store))).await
    }

    /// Connects to PostgreSQL (`postgres://user@host/db`; see [`PgStore::connect`] for TLS),
    /// with default [`dynamics_store::PgOptions`]; for others, connect with
    /// [`PgStore::connect_with`] and pass the store to [`on`](Self::on).
    pub async fn connect_postgres(url: &str) -> Result<Self, StoreError> {
        let store = PgStore::connect(url).await?;
        Self::on(Arc::new(Store::Postgres(Box::new(store)))).await
    }

    /// Uses a store the caller already has (and its other tables), creating this one's tables.
    pub async fn on(store: Arc<Store>) -> Result<Self, StoreError> {
        store.migrate(COMPONENT, &MIGRATIONS).await?;
        Ok(SqlCheckpoints { store })
    }

    /// The underlying store, for the caller's own statements.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
}

#[async_trait]
impl CheckpointStore for SqlCheckpoints {
    async fn load(&self, key: &str) -> Result<Option<Checkpoint>, StoreError> {
        let rows = self.store.query(LOAD, vec![SqlValue::text(key)]).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(Checkpoint {
            phase: Phase::parse(&row.text(0)?)?,
            page_cursor: row.opt_text(1)?,
            delta_cursor: row.opt_text(2)?,
            generation: row.i64(3)?,
            revision: row.i64(4)?,
        }))
    }

    async fn begin(&self) -> Result<Transaction, StoreError> {
        self.store.begin().await
    }

    async fn save_in(
        &self,
        tx: &mut Transaction,
        key: &str,
        checkpoint: &Checkpoint,
    ) -> Result<bool, StoreError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let mut params = vec![
            SqlValue::text(key),
            SqlValue::text(checkpoint.phase.as_str()),
            SqlValue::Text(checkpoint.page_cursor.clone()),
            SqlValue::Text(checkpoint.delta_cursor.clone()),
            SqlValue::int(checkpoint.generation),
            SqlValue::int(now),
        ];
        let statement = if checkpoint.revision == 0 {
            INSERT
        } else {
            params.push(SqlValue::int(checkpoint.revision));
            UPDATE
        };
        Ok(tx.execute(statement, params).await? == 1)
    }

    async fn remember_in(
        &self,
        tx: &mut Transaction,
        key: &str,
        ids: &[String],
        generation: i64,
    ) -> Result<(), StoreError> {
        let ids = known_ids::distinct(ids);
        for chunk in known_ids::chunks(&ids) {
            let mut params = Vec::with_capacity(chunk.len() + 2);
            params.push(SqlValue::text(key));
            params.push(SqlValue::int(generation));
            params.extend(chunk.iter().map(|id| SqlValue::text(*id)));
            tx.execute(&known_ids::remember_statement(chunk.len()), params)
                .await?;
        }
        Ok(())
    }

    async fn forget_in(
        &self,
        tx: &mut Transaction,
        key: &str,
        ids: &[String],
    ) -> Result<(), StoreError> {
        let ids = known_ids::distinct(ids);
        for chunk in known_ids::chunks(&ids) {
            let mut params = Vec::with_capacity(chunk.len() + 1);
            params.push(SqlValue::text(key));
            params.extend(chunk.iter().map(|id| SqlValue::text(*id)));
            tx.execute(&known_ids::forget_statement(chunk.len()), params)
                .await?;
        }
        Ok(())
    }

    async fn unseen(
        &self,
        key: &str,
        generation: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.store
            .query(
                UNSEEN,
                vec![
                    SqlValue::text(key),
                    SqlValue::int(generation),
                    SqlValue::int(limit),
                ],
            )
            .await?
            .iter()
            .map(|row| row.text(0))
            .collect()
    }
}
