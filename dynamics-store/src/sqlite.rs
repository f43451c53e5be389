//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a statement
//! that returned has been synced to disk (<https://www.sqlite.org/pragma.html#pragma_synchronous>:
//! in WAL mode, FULL syncs the log on every commit; NORMAL may lose the last commits on power
//! loss). The connection is used from async code on tokio's blocking threads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::migrate::{self, Migration};
use crate::{Row, SqlValue, StoreError};

/// A SQLite database file and its one connection (statements from one process are serialised
/// here; other processes wait for the file lock up to the busy timeout). A transaction
/// ([`crate::Store::begin`]) holds the connection until it ends.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    path: PathBuf,
    connection: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file, owner-only on Unix, in WAL mode with
    /// `synchronous=FULL`.
    pub async fn open(path: &Path, busy_timeout: Duration) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        let opened = path.clone();
        let connection = blocking(move || open_connection(&opened, busy_timeout)).await??;
        Ok(SqliteStore {
            path,
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs one statement and returns its rows; see [`crate::Store::query`].
    pub async fn query(
        &self,
        sql: &str,
        params: Vec<SqlValue>,
        immediate: bool,
    ) -> Result<Vec<Row>, StoreError> {
        let sql = placeholders(sql);
        self.with_connection(move |connection| {
            if immediate {
                let transaction = connection
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| StoreError::sqlite("begin immediate", e))?;
                let rows = run_query(&transaction, &sql, &params)?;
                transaction
                    .commit()
                    .map_err(|e| StoreError::sqlite("commit", e))?;
                Ok(rows)
            } else {
                run_query(connection, &sql, &params)
            }
        })
        .await
    }

    /// Runs one statement and returns how many rows it changed.
    pub async fn execute(&self, sql: &str, params: Vec<SqlValue>) -> Result<u64, StoreError> {
        let sql = placeholders(sql);
        self.with_connection(move |connection| run_execute(connection, &sql, &params))
            .await
    }

    /// Applies `component`'s pending `migrations`; see [`crate::Store::migrate`].
    pub async fn migrate(
        &self,
        component: &'static str,
        migrations: &'static [Migration],
    ) -> Result<(), StoreError> {
        self.with_connection(move |connection| {
            // IMMEDIATE: a second process opening the file at the same time waits here
            // instead of applying the same steps twice.
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| StoreError::sqlite("begin migration", e))?;
            transaction
                .execute_batch(migrate::VERSION_TABLE)
                .map_err(|e| StoreError::sqlite("create schema_versions", e))?;
            let current = run_query(
                &transaction,
                &placeholders(migrate::READ_VERSION),
                &[SqlValue::text(component)],
            )?
            .first()
            .map(|row| row.i64(0))
            .transpose()?
            .unwrap_or(0);
            let pending = migrate::pending(component, migrations, current)?;
            for step in pending {
                transaction
                    .execute_batch(step.sqlite)
                    .map_err(|e| StoreError::sqlite("apply migration", e))?;
            }
            if let Some(last) = pending.last() {
                transaction
                    .execute(
                        &placeholders(migrate::WRITE_VERSION),
                        rusqlite::params![component, last.version],
                    )
                    .map_err(|e| StoreError::sqlite("record schema version", e))?;
            }
            transaction
                .commit()
                .map_err(|e| StoreError::sqlite("commit migration", e))
        })
        .await
    }

    async fn with_connection<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let mut guard = self.lock().await?;
        blocking(move || job(&mut guard)).await?
    }

    /// Takes the connection, first rolling back a transaction an earlier holder left open
    /// (a task cancelled or panicking between `BEGIN` and `COMMIT`).
    async fn lock(&self) -> Result<OwnedMutexGuard<Connection>, StoreError> {
        let guard = Arc::clone(&self.connection).lock_owned().await;
        if guard.is_autocommit() {
            return Ok(guard);
        }
        blocking(move || {
            guard
                .execute_batch("ROLLBACK")
                .map_err(|e| StoreError::sqlite("roll back an abandoned transaction", e))?;
            Ok(guard)
        })
        .await?
    }

    /// Starts a `BEGIN IMMEDIATE` transaction: the write lock is taken before the first read,
    /// so another process cannot change what the transaction read before it writes.
    pub(crate) async fn begin(&self) -> Result<SqliteTransaction, StoreError> {
        let guard = self.lock().await?;
        let guard = blocking(move || {
            guard
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| StoreError::sqlite("begin immediate", e))?;
            Ok::<_, StoreError>(guard)
        })
        .await??;
        Ok(SqliteTransaction { guard: Some(guard) })
    }
}

/// An open SQLite transaction: it owns the connection until it is committed or rolled back.
pub(crate) struct SqliteTransaction {
    /// `None` once ended, or when a statement's future was dropped before it answered (the
    /// blocking task then rolls back; see [`Self::run`]).
    guard: Option<OwnedMutexGuard<Connection>>,
}

impl SqliteTransaction {
    /// Runs `job` on a blocking thread. The connection travels there inside a
    /// `SqliteTransaction`, whose `Drop` rolls back: when this future is dropped before the
    /// job answers (a cancelled task), tokio drops the undelivered result on that thread as
    /// soon as the job ends, so the transaction ends at once instead of holding the file's
    /// write lock (and other processes waiting on it) until the connection's next use.
    async fn run<T: Send + 'static>(
        &mut self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if self.guard.is_none() {
            return Err(ended());
        }
        let mut held = SqliteTransaction {
            guard: self.guard.take(),
        };
        let (mut held, result) = blocking(move || {
            let result = held.guard.as_deref_mut().map_or_else(|| Err(ended()), job);
            (held, result)
        })
        .await?;
        self.guard = held.guard.take();
        result
    }

    pub(crate) async fn query(
        &mut self,
        sql: &str,
        params: Vec<SqlValue>,
    ) -> Result<Vec<Row>, StoreError> {
        let sql = placeholders(sql);
        self.run(move |connection| run_query(connection, &sql, &params))
            .await
    }

    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        params: Vec<SqlValue>,
    ) -> Result<u64, StoreError> {
        let sql = placeholders(sql);
        self.run(move |connection| run_execute(connection, &sql, &params))
            .await
    }

    pub(crate) async fn end(mut self, commit: bool) -> Result<(), StoreError> {
        let (statement, operation) = if commit {
            ("COMMIT", "commit")
        } else {
            ("ROLLBACK", "rollback")
        };
        let result = self
            .run(move |connection| {
                let ended = connection
                    .execute_batch(statement)
                    .map_err(|e| StoreError::sqlite(operation, e));
                if ended.is_err() && !connection.is_autocommit() {
                    // A failed COMMIT (a deferred constraint, a busy file) leaves the
                    // transaction open, holding the write lock: end it now. Best effort: if
                    // this fails too, the next holder of the connection rolls back.
                    let _ignored = connection.execute_batch("ROLLBACK");
                }
                ended
            })
            .await;
        self.guard = None;
        result
    }
}

/// A transaction dropped without `commit` is rolled back here, at once, so the file's write
/// lock is not held until the connection's next use.
impl Drop for SqliteTransaction {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take()
            && !guard.is_autocommit()
        {
            // Best effort: if this fails, the next holder of the connection rolls back.
            let _ignored = guard.execute_batch("ROLLBACK");
        }
    }
}

fn ended() -> StoreError {
    StoreError::sqlite("transaction", "the transaction has already ended")
}

async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| StoreError::sqlite("blocking task", e))
}

fn open_connection(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    restrict_file(path)?;
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::sqlite("open", format!("{}: {e}", path.display())))?;
    connection
        .busy_timeout(busy_timeout)
        .map_err(|e| StoreError::sqlite("set busy_timeout", e))?;
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|e| StoreError::sqlite("set journal_mode", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        // WAL needs shared memory between processes; some network filesystems lack it.
        return Err(StoreError::Config(format!(
            "SQLite could not switch {} to WAL mode (it stayed in {mode}); put the spool on a local filesystem",
            path.display()
        )));
    }
    connection
        .execute_batch("PRAGMA synchronous = FULL;")
        .map_err(|e| StoreError::sqlite("set synchronous", e))?;
    Ok(connection)
}

/// Creates the file owner-only (0600) before SQLite opens it, and tightens an existing one:
/// the spool holds leads, which are personal data. SQLite gives the `-wal` and `-shm` files
/// the database file's permissions.
#[cfg(unix)]
fn restrict_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", path.display())))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| StoreError::Config(format!("cannot make {} owner-only: {e}", path.display())))
}

#[cfg(not(unix))]
fn restrict_file(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

fn run_query(
    connection: &Connection,
    sql: &str,
    params: &[SqlValue],
) -> Result<Vec<Row>, StoreError> {
    let mut statement = connection
        .prepare_cached(sql)
        .map_err(|e| StoreError::sqlite("prepare", e))?;
    let columns = statement.column_count();
    let mut rows = statement
        .query(rusqlite::params_from_iter(params.iter().map(to_sqlite)))
        .map_err(|e| StoreError::sqlite("query", e))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| StoreError::sqlite("read row", e))? {
        let mut values = Vec::with_capacity(columns);
        for index in 0..columns {
            let value = row
                .get_ref(index)
                .map_err(|e| StoreError::sqlite("read column", e))?;
            values.push(from_sqlite(value)?);
        }
        out.push(Row(values));
    }
    Ok(out)
}

fn run_execute(connection: &Connection, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
    let mut statement = connection
        .prepare_cached(sql)
        .map_err(|e| StoreError::sqlite("prepare", e))?;
    let changed = statement
        .execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))
        .map_err(|e| StoreError::sqlite("execute", e))?;
    Ok(changed as u64)
}

fn to_sqlite(value: &SqlValue) -> Value {
    match value {
        SqlValue::Int(Some(v)) => Value::Integer(*v),
        SqlValue::Text(Some(v)) => Value::Text(v.clone()),
        SqlValue::Bytes(Some(v)) => Value::Blob(v.clone()),
        SqlValue::Int(None) | SqlValue::Text(None) | SqlValue::Bytes(None) => Value::Null,
    }
}

fn from_sqlite(value: ValueRef<'_>) -> Result<SqlValue, StoreError> {
    Ok(match value {
        ValueRef::Null => SqlValue::Int(None),
        ValueRef::Integer(v) => SqlValue::int(v),
        ValueRef::Text(bytes) => SqlValue::text(
            std::str::from_utf8(bytes)
                .map_err(|_| StoreError::Decode("a text column is not UTF-8".to_owned()))?,
        ),
        ValueRef::Blob(bytes) => SqlValue::bytes(bytes),
        ValueRef::Real(_) => {
            return Err(StoreError::Decode(
                "a column holds a floating-point number; the stores only use integers".to_owned(),
            ));
        }
    })
}

/// PostgreSQL's `$n` placeholders as SQLite's numbered `?n`. Statements passed here hold no
/// `$` elsewhere (no dollar quoting, no `$` in literals).
fn placeholders(sql: &str) -> String {
    sql.replace('$', "?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = $1 AND c <= $12"),
            "SELECT a FROM t WHERE b = ?1 AND c <= ?12"
        );
    }
}
