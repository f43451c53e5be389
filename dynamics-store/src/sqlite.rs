//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a statement
//! that returned has been synced to disk (<https://www.sqlite.org/pragma.html#pragma_synchronous>:
//! in WAL mode, FULL syncs the log on every commit; NORMAL may lose the last commits on power
//! loss). The connection is used from async code on tokio's blocking threads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::migrate::{self, Migration};
use crate::{Row, SqlValue, StoreError};

/// A SQLite database file and its one connection (statements from one process are serialised
/// here; other processes wait for the file lock up to the busy timeout).
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
        self.with_connection(move |connection| {
            let mut statement = connection
                .prepare_cached(&sql)
                .map_err(|e| StoreError::sqlite("prepare", e))?;
            let changed = statement
                .execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))
                .map_err(|e| StoreError::sqlite("execute", e))?;
            Ok(changed as u64)
        })
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
        let connection = Arc::clone(&self.connection);
        blocking(move || {
            // A panic while holding the lock cannot leave a half-done transaction behind
            // (rusqlite rolls back on drop), so a poisoned lock is safe to reuse.
            let mut guard = connection.lock().unwrap_or_else(|p| p.into_inner());
            job(&mut guard)
        })
        .await?
    }
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
