//! The durable spool between receiving a lead and writing it: an outbox table on an embedded
//! SQLite file (the default, nothing to install) or a PostgreSQL database (several writer
//! processes, on several machines, sharing one queue).
//!
//! - [`Spool::enqueue`] returns only once the lead is durable (SQLite WAL with
//!   `synchronous=FULL`; PostgreSQL committed), so the intake can answer 2xx after it. It is
//!   idempotent on the lead's key.
//! - [`Spool::claim`] leases due items to a worker; a lease that runs out (a killed worker)
//!   makes the item claimable again. [`Spool::complete`] and [`Spool::fail`] act only for the
//!   lease holder; failures back off exponentially with jitter and park after
//!   [`SpoolOptions::max_attempts`] or when not retryable.
//! - [`Spool::dead_letter`] keeps bodies that never parsed, with the [`Rejection`](crate::Rejection).
//!
//! Delivery is at least once: an item whose lease ran out while its worker was still writing
//! can be written twice, which the lead's deterministic id makes harmless.
//!
//! The queue logic is written once over both backends; only the claim statement differs (row
//! locks on PostgreSQL, an immediate transaction on SQLite).

mod backoff;
mod clock;
mod convert;
mod error;
mod intake;
mod lease;
mod model;
mod options;
mod report;
mod schema;
mod sql;

use std::path::Path;
use std::sync::Arc;

use time::OffsetDateTime;

use dynamics_store::{Dialect, PgStore, SqliteStore, Store};

pub use backoff::Backoff;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::SpoolError;
pub use model::{
    DeadLetter, DeadLetterId, Enqueued, ErrorEntry, FailOutcome, ItemState, ParkedFilter, Received,
    SpoolId, SpoolItem, SpoolStatus,
};
pub use options::SpoolOptions;

pub use intake::MAX_ENQUEUE_BATCH;
pub use lease::MAX_CLAIM;

/// Which database a spool uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpoolBackend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// The durable lead queue. Cheap to clone; clones share the connection.
#[derive(Debug, Clone)]
pub struct Spool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    options: SpoolOptions,
}

impl Spool {
    /// Opens a spool from a location: a `postgres://` or `postgresql://` URL, or a SQLite file
    /// path (optionally written `sqlite:PATH`).
    pub async fn open(location: &str, options: SpoolOptions) -> Result<Spool, SpoolError> {
        let trimmed = location.trim();
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Spool::connect_postgres(trimmed, options).await;
        }
        let path = trimmed.strip_prefix("sqlite:").unwrap_or(trimmed);
        if path.is_empty() {
            return Err(SpoolError::Config(
                "the spool location is empty; give a SQLite file path or a postgres:// URL"
                    .to_owned(),
            ));
        }
        Spool::open_sqlite(Path::new(path), options).await
    }

    /// Opens (creating when missing) a SQLite spool file, owner-only on Unix, and brings its
    /// schema up to date.
    pub async fn open_sqlite(path: &Path, options: SpoolOptions) -> Result<Spool, SpoolError> {
        options.validate()?;
        let store = SqliteStore::open(path, options.busy_timeout).await?;
        Spool::start(Store::Sqlite(store), options).await
    }

    /// Connects to a PostgreSQL spool and brings its schema up to date. See the crate README
    /// for the URL rules (no TLS; a non-loopback host needs `sslmode=disable` in the URL).
    pub async fn connect_postgres(url: &str, options: SpoolOptions) -> Result<Spool, SpoolError> {
        options.validate()?;
        let store = PgStore::connect(url).await?;
        Spool::start(Store::Postgres(Box::new(store)), options).await
    }

    async fn start(store: Store, options: SpoolOptions) -> Result<Spool, SpoolError> {
        store
            .migrate(schema::COMPONENT, &schema::MIGRATIONS)
            .await?;
        Ok(Spool {
            inner: Arc::new(Inner { store, options }),
        })
    }

    /// The database behind this spool.
    pub fn backend(&self) -> SpoolBackend {
        match self.inner.store.dialect() {
            Dialect::Sqlite => SpoolBackend::Sqlite,
            Dialect::Postgres => SpoolBackend::Postgres,
        }
    }

    /// Where the spool lives: the SQLite file, or `host:port/db` (never a password).
    pub fn location(&self) -> String {
        match &self.inner.store {
            Store::Sqlite(store) => store.path().display().to_string(),
            Store::Postgres(store) => store.target().to_owned(),
        }
    }

    /// The database, for the crate's other records kept beside the queue (the table
    /// import's watermark), under their own migration component.
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    fn now(&self) -> OffsetDateTime {
        self.inner.options.clock.now()
    }
}
