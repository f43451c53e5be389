//! The writer loop: claims leads from the [`Spool`], writes them into the `lead` table with the
//! bulk helpers, and settles each item from its row's outcome.
//!
//! - **Create-only.** Each row carries the lead's deterministic id
//!   ([`IdempotencyKey::lead_id`](crate::IdempotencyKey::lead_id)) in `leadid` and is
//!   created (`CreateMultiple` where the table offers it, else `$batch`), never upserted: a
//!   replay must not overwrite a lead a salesperson has edited since. A duplicate key answer
//!   on that id means an earlier delivery or attempt wrote the lead, so the item is completed
//!   and counted as a duplicate (also when the earlier attempt was our own whose answer was
//!   lost).
//! - **One bad lead never blocks the others.** Failures are per row: a mapping error, a
//!   missing privilege or a bad column parks the item with the error and calls the
//!   [`AlertHook`]; throttling, outages and lost connections go back to the spool, which backs
//!   off and retries (also after a restart, since the spool is durable).
//! - **Leases** are renewed while a write runs, so a write held up by service protection
//!   limits keeps its items.
//! - [`Writer::start`] checks the mapping's columns against the table's metadata first.
//! - **Duplicate detection** (optional, [`WriterOptions::duplicate_detection`]): each lead is
//!   created on its own with the org's rules applied; a lead they match is parked with the
//!   reason (`0x80040333`), never retried, so a person decides.

mod alert;
mod classify;
mod error;
mod options;
mod round;
mod settings;
mod stats;

use std::future::Future;
use std::sync::Arc;

use dataverse_webapi::DataverseClient;
use tokio::sync::watch;

use crate::Spool;

pub use alert::{AlertHook, LogAlert, ParkedAlert};
pub use error::WriterError;
pub use options::WriterOptions;
pub use round::RoundReport;
pub use settings::WriterSettings;
pub use stats::{StatsSnapshot, WriterStats};

/// Writes spooled leads into Dataverse. Cheap to clone; clones share the client, the spool
/// and the counters.
#[derive(Debug, Clone)]
pub struct Writer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: DataverseClient,
    spool: Spool,
    options: WriterOptions,
    stats: WriterStats,
}

impl Writer {
    /// Checks the options, reads the table's columns and checks the mapping against them
    /// ([`WriterError::Mapping`] lists every unknown column), then returns a writer ready to
    /// run. The client needs read access to the table's definition.
    pub async fn start(
        client: DataverseClient,
        spool: Spool,
        options: WriterOptions,
    ) -> Result<Writer, WriterError> {
        options.validate()?;
        let attributes = client
            .metadata()
            .attributes(&options.logical_name)
            .select(["LogicalName"])
            .send()
            .await
            .map_err(|source| WriterError::Metadata {
                table: options.logical_name.clone(),
                source,
            })?;
        let known: Vec<&str> = attributes
            .iter()
            .filter_map(|a| a.logical_name.as_deref())
            .collect();
        options.mapping.check_columns(&known)?;
        if !known
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&options.id_column))
        {
            return Err(WriterError::Config(format!(
                "table `{}` has no column `{}` for the lead's deterministic id; set id_column to its primary id column",
                options.logical_name, options.id_column
            )));
        }
        Ok(Writer {
            inner: Arc::new(Inner {
                client,
                spool,
                options,
                stats: WriterStats::default(),
            }),
        })
    }

    /// The live counters.
    pub fn stats(&self) -> &WriterStats {
        &self.inner.stats
    }

    /// The options in use.
    pub fn options(&self) -> &WriterOptions {
        &self.inner.options
    }

    /// One round: claims up to `claim_size` due items, writes them and settles each. An
    /// empty report (`claimed == 0`) means nothing was due. An error is the spool's: items
    /// not settled come back after their lease.
    pub async fn run_once(&self) -> Result<RoundReport, WriterError> {
        round::run(&self.inner, &self.inner.options.worker).await
    }

    /// Runs rounds until `shutdown` completes: [`WriterOptions::rounds_in_flight`] loops
    /// at once (each claims its own items, so their writes overlap), each waiting
    /// [`WriterOptions::idle_poll`] when nothing was due, or after a spool error (logged; the
    /// round is tried again). Rounds in progress when `shutdown` fires are finished first, so
    /// no write is cut off mid-way.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        let (stop, stopped) = watch::channel(false);
        let loops = futures::future::join_all((0..self.inner.options.rounds_in_flight.max(1)).map(
            |index| {
                let worker = format!("{}#{index}", self.inner.options.worker);
                self.round_loop(worker, stopped.clone())
            },
        ));
        tokio::pin!(loops, shutdown);
        tokio::select! {
            _ = &mut loops => {}
            () = &mut shutdown => {
                let _ = stop.send(true);
                loops.await;
            }
        }
    }

    /// Rounds one after the other, as `worker`, until `stop` turns true.
    async fn round_loop(&self, worker: String, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let idle = match round::run(&self.inner, &worker).await {
                Ok(report) => report.claimed == 0,
                Err(error) => {
                    tracing::warn!("lead writer round failed, trying again shortly: {error}");
                    true
                }
            };
            if idle {
                tokio::select! {
                    // A dropped sender also ends the loop.
                    _ = stop.changed() => {}
                    () = tokio::time::sleep(self.inner.options.idle_poll) => {}
                }
            }
        }
    }
}
