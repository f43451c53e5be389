//! The shared store: a PostgreSQL database that several writer processes use at once.
//!
//! No TLS is compiled in (the client stays lean). Loopback and Unix-socket addresses connect in
//! plain text as they are; any other host needs `sslmode=disable` written in the URL, so
//! sending leads unencrypted over a network is a choice someone made, not a default. A URL
//! that asks for `sslmode=require` is refused, since it cannot be honoured.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex as SyncMutex};

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, Statement};

use crate::migrate::{self, Migration};
use crate::{Row, SqlValue, StoreError};

/// Held across a migration so two processes opening one database do not apply a step twice
/// (an arbitrary constant: "dyn365" in ASCII).
const MIGRATION_LOCK: i64 = 0x6479_6e33_3635;

/// A PostgreSQL database; connects on first use and again after the connection broke.
pub struct PgStore {
    config: Config,
    target: String,
    connected: Mutex<Option<Arc<Connected>>>,
    /// Idle connections for transactions: a transaction needs a connection of its own, since
    /// the shared one interleaves the statements of concurrent callers.
    idle: Arc<SyncMutex<Vec<Connected>>>,
    /// One permit per open transaction ([`PgOptions::max_transactions`]), so concurrent
    /// transactions cannot open connections without bound.
    transactions: Arc<Semaphore>,
}

/// How a [`PgStore`] uses the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Transactions open at once, each on a connection of its own (besides the one connection
    /// plain statements share); a further [`crate::Store::begin`] waits until one ends. Default
    /// [`PgOptions::DEFAULT_MAX_TRANSACTIONS`]: PostgreSQL's own default `max_connections` is
    /// 100 for every client of the server together, so several processes fit. At least 1;
    /// a task that begins a transaction while it holds another needs 2 or more.
    pub max_transactions: usize,
}

impl PgOptions {
    /// The default of [`PgOptions::max_transactions`].
    pub const DEFAULT_MAX_TRANSACTIONS: usize = 10;
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_transactions: Self::DEFAULT_MAX_TRANSACTIONS,
        }
    }
}

/// How many idle transaction connections are kept for reuse.
const IDLE_TRANSACTION_CONNECTIONS: usize = 4;

struct Connected {
    client: Client,
    /// Prepared statements by text: the queue runs a handful of statements many times.
    statements: SyncMutex<HashMap<String, Statement>>,
}

/// Shows where, never the password.
impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Checks the URL (`postgres://user@host:port/db?sslmode=disable`, or the `key=value`
    /// form) and connects once, so a wrong address fails at start-up. Default
    /// [`PgOptions`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &PgOptions::default()).await
    }

    /// [`connect`](Self::connect) with `options`.
    pub async fn connect_with(url: &str, options: &PgOptions) -> Result<Self, StoreError> {
        if options.max_transactions == 0 {
            return Err(StoreError::Config(
                "PgOptions::max_transactions is 0, so no transaction could ever begin; set it to 1 or more".to_owned(),
            ));
        }
        let config: Config = url.parse().map_err(|e| {
            // The parser's message does not repeat the URL, which may hold a password.
            StoreError::Config(format!("the PostgreSQL URL cannot be read: {e}"))
        })?;
        check_transport(&config)?;
        let store = PgStore {
            target: describe(&config),
            config,
            connected: Mutex::new(None),
            idle: Arc::new(SyncMutex::new(Vec::new())),
            transactions: Arc::new(Semaphore::new(options.max_transactions)),
        };
        store.connection().await?;
        Ok(store)
    }

    /// Where the store connects (`host:port/db`), for messages.
    pub fn target(&self) -> &str {
        &self.target
    }

    async fn connection(&self) -> Result<Arc<Connected>, StoreError> {
        let mut slot = self.connected.lock().await;
        if let Some(connected) = slot.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(Arc::clone(connected));
        }
        let connected = Arc::new(self.connect_new().await?);
        *slot = Some(Arc::clone(&connected));
        Ok(connected)
    }

    async fn connect_new(&self) -> Result<Connected, StoreError> {
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| StoreError::postgres("connect", &e))?;
        // The connection future drives the socket; when it ends the client reports itself
        // closed and the next call reconnects.
        tokio::spawn(async move {
            let _ended = connection.await;
        });
        ensure_durable_commits(&client).await?;
        Ok(Connected {
            client,
            statements: SyncMutex::new(HashMap::new()),
        })
    }

    /// Starts a transaction on a connection of its own (an idle one, or a new one), waiting
    /// while [`PgOptions::max_transactions`] are open.
    pub(crate) async fn begin(&self) -> Result<PgTransaction, StoreError> {
        let permit = Arc::clone(&self.transactions)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Config("the PostgreSQL store was shut down".to_owned()))?;
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let connected = match idle.filter(|c| !c.client.is_closed()) {
            Some(connected) => connected,
            None => self.connect_new().await?,
        };
        connected
            .client
            .batch_execute("BEGIN")
            .await
            .map_err(|e| StoreError::postgres("begin", &e))?;
        Ok(PgTransaction {
            connected: Some(connected),
            idle: Arc::clone(&self.idle),
            _permit: permit,
        })
    }

    async fn statement(&self, connected: &Connected, sql: &str) -> Result<Statement, StoreError> {
        prepare(connected, sql).await
    }

    /// Runs one statement and returns its rows; see [`crate::Store::query`].
    pub async fn query(&self, sql: &str, params: Vec<SqlValue>) -> Result<Vec<Row>, StoreError> {
        let connected = self.connection().await?;
        let statement = self.statement(&connected, sql).await?;
        let rows = connected
            .client
            .query(&statement, &bind(&params))
            .await
            .map_err(|e| StoreError::postgres("query", &e))?;
        rows.iter().map(read_row).collect()
    }

    /// Runs one statement and returns how many rows it changed.
    pub async fn execute(&self, sql: &str, params: Vec<SqlValue>) -> Result<u64, StoreError> {
        let connected = self.connection().await?;
        let statement = self.statement(&connected, sql).await?;
        connected
            .client
            .execute(&statement, &bind(&params))
            .await
            .map_err(|e| StoreError::postgres("execute", &e))
    }

    /// Applies `component`'s pending `migrations`; see [`crate::Store::migrate`].
    pub async fn migrate(
        &self,
        component: &'static str,
        migrations: &'static [Migration],
    ) -> Result<(), StoreError> {
        let connected = self.connection().await?;
        let client = &connected.client;
        client
            .batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK}); {};",
                migrate::VERSION_TABLE
            ))
            .await
            .map_err(|e| StoreError::postgres("begin migration", &e))?;
        let result = async {
            let current = client
                .query_opt(migrate::READ_VERSION, &[&component])
                .await
                .map_err(|e| StoreError::postgres("read schema version", &e))?
                .map(|row| row.try_get::<_, i64>(0))
                .transpose()
                .map_err(|e| StoreError::postgres("read schema version", &e))?
                .unwrap_or(0);
            let pending = migrate::pending(component, migrations, current)?;
            for step in pending {
                client
                    .batch_execute(step.postgres)
                    .await
                    .map_err(|e| StoreError::postgres("apply migration", &e))?;
            }
            if let Some(last) = pending.last() {
                client
                    .execute(migrate::WRITE_VERSION, &[&component, &last.version])
                    .await
                    .map_err(|e| StoreError::postgres("record schema version", &e))?;
            }
            Ok::<(), StoreError>(())
        }
        .await;
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = client
            .batch_execute(end)
            .await
            .map_err(|e| StoreError::postgres("end migration", &e));
        result.and(ended)
    }
}

async fn prepare(connected: &Connected, sql: &str) -> Result<Statement, StoreError> {
    let cached = connected
        .statements
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(sql)
        .cloned();
    if let Some(statement) = cached {
        return Ok(statement);
    }
    let statement = connected
        .client
        .prepare(sql)
        .await
        .map_err(|e| StoreError::postgres("prepare", &e))?;
    connected
        .statements
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(sql.to_owned(), statement.clone());
    Ok(statement)
}

/// An open PostgreSQL transaction on a connection of its own.
pub(crate) struct PgTransaction {
    /// `None` once ended.
    connected: Option<Connected>,
    idle: Arc<SyncMutex<Vec<Connected>>>,
    /// Released when the transaction ends or is dropped.
    _permit: OwnedSemaphorePermit,
}

impl PgTransaction {
    fn connected(&self) -> Result<&Connected, StoreError> {
        self.connected.as_ref().ok_or_else(|| StoreError::Postgres {
            operation: "transaction",
            detail: "the transaction has already ended".to_owned(),
        })
    }

    pub(crate) async fn query(
        &mut self,
        sql: &str,
        params: Vec<SqlValue>,
    ) -> Result<Vec<Row>, StoreError> {
        let connected = self.connected()?;
        let statement = prepare(connected, sql).await?;
        let rows = connected
            .client
            .query(&statement, &bind(&params))
            .await
            .map_err(|e| StoreError::postgres("query", &e))?;
        rows.iter().map(read_row).collect()
    }

    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        params: Vec<SqlValue>,
    ) -> Result<u64, StoreError> {
        let connected = self.connected()?;
        let statement = prepare(connected, sql).await?;
        connected
            .client
            .execute(&statement, &bind(&params))
            .await
            .map_err(|e| StoreError::postgres("execute", &e))
    }

    pub(crate) async fn end(mut self, commit: bool) -> Result<(), StoreError> {
        let Some(connected) = self.connected.take() else {
            return self.connected().map(|_| ());
        };
        let (statement, operation) = if commit {
            ("COMMIT", "commit")
        } else {
            ("ROLLBACK", "rollback")
        };
        connected
            .client
            .batch_execute(statement)
            .await
            .map_err(|e| StoreError::postgres(operation, &e))?;
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_TRANSACTION_CONNECTIONS {
            idle.push(connected);
        }
        Ok(())
    }
}

// A transaction dropped without `commit` drops its connection: closing it makes the server
// roll the transaction back, and nothing half-done goes back to the idle list.

/// A commit must be on disk before the intake acknowledges a lead. `synchronous_commit=off`
/// (set on the server or the role) reports commits before they are flushed, so a server crash
/// could lose acknowledged leads; the session turns it back on. Stronger settings (`on`,
/// `remote_write`, `remote_apply`, and `local`, which still flushes locally) are kept
/// (PostgreSQL docs, "Asynchronous Commit").
async fn ensure_durable_commits(client: &Client) -> Result<(), StoreError> {
    let setting: String = client
        .query_one("SHOW synchronous_commit", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| StoreError::postgres("read synchronous_commit", &e))?;
    if commits_may_be_lost(&setting) {
        client
            .batch_execute("SET synchronous_commit = on")
            .await
            .map_err(|e| StoreError::postgres("set synchronous_commit", &e))?;
    }
    Ok(())
}

fn commits_may_be_lost(synchronous_commit: &str) -> bool {
    synchronous_commit.trim().eq_ignore_ascii_case("off")
}

fn bind(params: &[SqlValue]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|value| -> &(dyn ToSql + Sync) {
            match value {
                SqlValue::Int(v) => v,
                SqlValue::Text(v) => v,
                SqlValue::Bytes(v) => v,
            }
        })
        .collect()
}

fn read_row(row: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let decode = |e: tokio_postgres::Error| StoreError::postgres("read column", &e);
    let mut values = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            SqlValue::Int(row.try_get::<_, Option<i64>>(index).map_err(decode)?)
        } else if *ty == Type::INT4 {
            SqlValue::Int(
                row.try_get::<_, Option<i32>>(index)
                    .map_err(decode)?
                    .map(i64::from),
            )
        } else if *ty == Type::INT2 {
            SqlValue::Int(
                row.try_get::<_, Option<i16>>(index)
                    .map_err(decode)?
                    .map(i64::from),
            )
        } else if *ty == Type::BOOL {
            SqlValue::Int(
                row.try_get::<_, Option<bool>>(index)
                    .map_err(decode)?
                    .map(i64::from),
            )
        } else if [Type::TEXT, Type::VARCHAR, Type::NAME, Type::BPCHAR].contains(ty) {
            SqlValue::Text(row.try_get::<_, Option<String>>(index).map_err(decode)?)
        } else if *ty == Type::BYTEA {
            SqlValue::Bytes(row.try_get::<_, Option<Vec<u8>>>(index).map_err(decode)?)
        } else {
            return Err(StoreError::Decode(format!(
                "column `{}` has PostgreSQL type {ty}, which the stores do not use",
                column.name()
            )));
        };
        values.push(value);
    }
    Ok(Row(values))
}

/// Refuses transports this build cannot make safe (see the module docs).
fn check_transport(config: &Config) -> Result<(), StoreError> {
    let mode = config.get_ssl_mode();
    if mode == SslMode::Require {
        return Err(StoreError::Config(
            "the PostgreSQL URL asks for sslmode=require, but this build has no TLS for PostgreSQL; connect over loopback or a Unix socket (for example through a local tunnel), or set sslmode=disable on a trusted network".to_owned(),
        ));
    }
    let remote: Vec<String> = config
        .get_hosts()
        .iter()
        .filter_map(|host| match host {
            Host::Tcp(name) if !is_loopback(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    if !remote.is_empty() && mode != SslMode::Disable {
        return Err(StoreError::Config(format!(
            "PostgreSQL host {} is not loopback and this build has no TLS for PostgreSQL, so leads would cross the network unencrypted; add sslmode=disable to the URL to accept that, or connect through loopback or a Unix socket",
            remote.join(", ")
        )));
    }
    Ok(())
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str) -> Result<(), StoreError> {
        check_transport(&url.parse::<Config>().unwrap())
    }

    #[test]
    fn loopback_needs_no_sslmode() {
        assert!(check("postgres://u@127.0.0.1:5432/db").is_ok());
        assert!(check("postgres://u@localhost/db").is_ok());
        assert!(check("postgres://u@[::1]:5433/db").is_ok());
        assert!(check("host=/var/run/postgresql dbname=db").is_ok());
    }

    #[test]
    fn remote_hosts_need_an_explicit_sslmode_disable() {
        let error = check("postgres://u@db.example.com/db").unwrap_err();
        assert!(error.to_string().contains("sslmode=disable"), "{error}");
        assert!(check("postgres://u@db.example.com/db?sslmode=disable").is_ok());
        let error = check("postgres://u@127.0.0.1/db?sslmode=require").unwrap_err();
        assert!(error.to_string().contains("no TLS"), "{error}");
    }

    #[test]
    fn only_asynchronous_commit_is_overridden() {
        assert!(commits_may_be_lost("off"));
        assert!(commits_may_be_lost("OFF"));
        for kept in ["on", "local", "remote_write", "remote_apply"] {
            assert!(!commits_may_be_lost(kept), "{kept}");
        }
    }

    #[tokio::test]
    async fn zero_transactions_is_refused_before_connecting() {
        let options = PgOptions {
            max_transactions: 0,
        };
        // Nothing listens on port 1: the refusal must come before any connection attempt.
        let error = PgStore::connect_with("postgres://u@127.0.0.1:1/db", &options)
            .await
            .expect_err("refused");
        assert!(error.to_string().contains("max_transactions"), "{error}");
    }

    #[test]
    fn description_has_no_password() {
        let config: Config = "postgres://u:hunter2@127.0.0.1:5433/leads".parse().unwrap();
        assert_eq!(describe(&config), "127.0.0.1:5433/leads");
    }
}
