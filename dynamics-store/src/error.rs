//! The store's error: what failed, on which backend, without statement parameters (they can
//! hold personal data).

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The location or URL cannot be used; the text says what to fix.
    #[error("{0}")]
    Config(String),
    /// SQLite refused or failed an operation.
    #[error("SQLite {operation}: {detail}")]
    Sqlite {
        /// What was being done.
        operation: &'static str,
        /// SQLite's message.
        detail: String,
    },
    /// PostgreSQL refused or failed an operation, or the connection broke.
    #[error("PostgreSQL {operation}: {detail}")]
    Postgres {
        /// What was being done.
        operation: &'static str,
        /// The server's severity, code and message (never its `DETAIL`).
        detail: String,
    },
    /// A row did not have the shape the statement promised.
    #[error("unexpected row shape: {0}")]
    Decode(String),
    /// The database's schema is newer than this build knows.
    #[error(
        "the database holds {component} schema version {found}, newer than this build's {known}; run a newer build (downgrades are not supported)"
    )]
    SchemaTooNew {
        /// The component whose schema is newer.
        component: &'static str,
        /// The version in the database.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
}

impl StoreError {
    /// A SQLite failure during `operation`.
    pub fn sqlite(operation: &'static str, error: impl std::fmt::Display) -> Self {
        StoreError::Sqlite {
            operation,
            detail: error.to_string(),
        }
    }

    /// A PostgreSQL failure during `operation`, without the server's `DETAIL` (it can quote row values).
    pub fn postgres(operation: &'static str, error: &tokio_postgres::Error) -> Self {
        // `Display` of a server error is only its severity and message; the `DETAIL` field,
        // which can quote row values, is left out on purpose.
        let detail = match error.as_db_error() {
            Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
            None => error.to_string(),
        };
        StoreError::Postgres { operation, detail }
    }
}
