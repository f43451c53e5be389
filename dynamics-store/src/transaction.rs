//! Several statements in one transaction, on either backend: all of them take effect at
//! `commit`, or none does.

use std::fmt;

use crate::postgres::PgTransaction;
use crate::sqlite::SqliteTransaction;
use crate::{Dialect, Row, SqlValue, StoreError};

/// An open transaction, from [`crate::Store::begin`].
///
/// Dropped without [`commit`](Self::commit) it rolls back. After a statement fails the
/// transaction can only be rolled back: PostgreSQL refuses everything after an error until
/// the end (and answers `COMMIT` with a silent rollback), so `commit` refuses on both
/// backends alike rather than report a rollback as a commit. A statement whose future was
/// dropped before it answered (a cancelled task, a timeout around it) counts as failed: it may
/// or may not have run, and committing that unknown state is refused the same way.
///
/// On SQLite the transaction is `BEGIN IMMEDIATE` and holds the store's one connection:
/// other statements of the same store wait until it ends, so keep it short and do not call
/// the store itself while holding it. On PostgreSQL it runs on a connection of its own at
/// `READ COMMITTED`.
pub struct Transaction {
    inner: Inner,
    /// The operation of the first statement that failed, if any. Set while a statement
    /// runs and cleared when it succeeds, so a cancelled one stays a failure.
    failed: Option<&'static str>,
}

enum Inner {
    Sqlite(SqliteTransaction),
    Postgres(Box<PgTransaction>),
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("dialect", &self.dialect())
            .field("failed", &self.failed.is_some())
            .finish()
    }
}

impl Transaction {
    pub(crate) fn sqlite(transaction: SqliteTransaction) -> Self {
        Transaction {
            inner: Inner::Sqlite(transaction),
            failed: None,
        }
    }

    pub(crate) fn postgres(transaction: PgTransaction) -> Self {
        Transaction {
            inner: Inner::Postgres(Box::new(transaction)),
            failed: None,
        }
    }

    /// Which SQL dialect the transaction speaks.
    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement inside the transaction and returns its rows (`$n` placeholders, as
    /// for [`crate::Store::query`]).
    pub async fn query(
        &mut self,
        sql: &str,
        params: Vec<SqlValue>,
    ) -> Result<Vec<Row>, StoreError> {
        self.check_usable()?;
        self.failed = Some("query");
        let result = match &mut self.inner {
            Inner::Sqlite(tx) => tx.query(sql, params).await,
            Inner::Postgres(tx) => tx.query(sql, params).await,
        };
        self.note(result)
    }

    /// Runs a statement inside the transaction and returns how many rows it changed.
    pub async fn execute(&mut self, sql: &str, params: Vec<SqlValue>) -> Result<u64, StoreError> {
        self.check_usable()?;
        self.failed = Some("execute");
        let result = match &mut self.inner {
            Inner::Sqlite(tx) => tx.execute(sql, params).await,
            Inner::Postgres(tx) => tx.execute(sql, params).await,
        };
        self.note(result)
    }

    /// Makes every statement of the transaction durable at once. Refused (and rolled back)
    /// when a statement of it failed.
    pub async fn commit(self) -> Result<(), StoreError> {
        if let Some(operation) = self.failed {
            let _rolled_back = self.end(false).await;
            return Err(StoreError::Config(format!(
                "the transaction was rolled back, not committed: an earlier {operation} in it failed or was cancelled before it answered"
            )));
        }
        self.end(true).await
    }

    /// Undoes every statement of the transaction.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.end(false).await
    }

    async fn end(self, commit: bool) -> Result<(), StoreError> {
        match self.inner {
            Inner::Sqlite(tx) => tx.end(commit).await,
            Inner::Postgres(tx) => tx.end(commit).await,
        }
    }

    fn check_usable(&self) -> Result<(), StoreError> {
        match self.failed {
            Some(operation) => Err(StoreError::Config(format!(
                "an earlier {operation} in this transaction failed or was cancelled before it answered; roll it back and start again"
            ))),
            None => Ok(()),
        }
    }

    /// After a statement answered: a success clears the mark set before it ran.
    fn note<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if result.is_ok() {
            self.failed = None;
        }
        result
    }
}
