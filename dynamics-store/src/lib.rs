//! SQL plumbing shared by the durable stores: one small API over an embedded SQLite file and a
//! PostgreSQL server, so the queue logic above it is written once.
//!
//! Statements are written once with PostgreSQL's `$n` placeholders; SQLite runs them as its
//! numbered `?n` placeholders. Where the dialects differ (DDL, row locking) the caller passes
//! the text for each [`Dialect`]. Nothing here knows about leads, so tokens and checkpoints use it
//! too.

mod error;
mod migrate;
mod postgres;
mod row;
mod sqlite;
mod transaction;

pub use error::StoreError;
pub use migrate::Migration;
pub use postgres::{PgOptions, PgStore};
pub use row::{Row, SqlValue};
pub use sqlite::SqliteStore;
pub use transaction::Transaction;

/// The SQL dialect of a store, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (`?n` placeholders, `BEGIN IMMEDIATE` for read-then-write).
    Sqlite,
    /// PostgreSQL (`$n` placeholders, `FOR UPDATE SKIP LOCKED`).
    Postgres,
}

/// A connected store: an embedded SQLite file or a PostgreSQL database.
#[derive(Debug)]
pub enum Store {
    /// An embedded SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database shared by several processes.
    Postgres(Box<PgStore>),
}

impl Store {
    /// Which SQL dialect this store speaks.
    pub fn dialect(&self) -> Dialect {
        match self {
            Store::Sqlite(_) => Dialect::Sqlite,
            Store::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs one statement in its own transaction and returns the rows it produced (a `SELECT`,
    /// or a write with `RETURNING`). It has committed, durably, when this returns.
    pub async fn query(&self, sql: &str, params: Vec<SqlValue>) -> Result<Vec<Row>, StoreError> {
        match self {
            Store::Sqlite(store) => store.query(sql, params, false).await,
            Store::Postgres(store) => store.query(sql, params).await,
        }
    }

    /// Like [`Store::query`] for a statement that reads and then writes: on SQLite it runs in a
    /// `BEGIN IMMEDIATE` transaction, which takes the write lock before reading, so two
    /// connections can never pick the same rows. PostgreSQL statements lock what they need
    /// themselves (`FOR UPDATE SKIP LOCKED` in the text).
    pub async fn query_for_write(
        &self,
        sql: &str,
        params: Vec<SqlValue>,
    ) -> Result<Vec<Row>, StoreError> {
        match self {
            Store::Sqlite(store) => store.query(sql, params, true).await,
            Store::Postgres(store) => store.query(sql, params).await,
        }
    }

    /// Starts a transaction: the statements run through the returned [`Transaction`] take
    /// effect together at [`Transaction::commit`], or not at all.
    ///
    /// ```no_run
    /// # async fn run(store: dynamics_store::Store) -> Result<(), dynamics_store::StoreError> {
    /// use dynamics_store::SqlValue;
    /// let mut tx = store.begin().await?;
    /// tx.execute("UPDATE mirror SET name = $1 WHERE id = $2", vec![SqlValue::text("Ada"), SqlValue::int(7)]).await?;
    /// tx.execute("UPDATE cursor SET link = $1", vec![SqlValue::text("next")]).await?;
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn begin(&self) -> Result<Transaction, StoreError> {
        match self {
            Store::Sqlite(store) => store.begin().await.map(Transaction::sqlite),
            Store::Postgres(store) => store.begin().await.map(Transaction::postgres),
        }
    }

    /// Runs one statement and returns how many rows it changed.
    pub async fn execute(&self, sql: &str, params: Vec<SqlValue>) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(store) => store.execute(sql, params).await,
            Store::Postgres(store) => store.execute(sql, params).await,
        }
    }

    /// Brings `component`'s tables to the newest of `migrations`, recording the version in the
    /// shared `schema_versions` table. Safe when several processes open the same database.
    pub async fn migrate(
        &self,
        component: &'static str,
        migrations: &'static [Migration],
    ) -> Result<(), StoreError> {
        migrate::check_order(component, migrations)?;
        match self {
            Store::Sqlite(store) => store.migrate(component, migrations).await,
            Store::Postgres(store) => store.migrate(component, migrations).await,
        }
    }
}
