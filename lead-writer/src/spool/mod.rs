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
//! - [`Spool::dead_letter`] keeps bodies that never parsed, with the [`Rejection`].
//!
//! Delivery is at least once: an item whose lease ran out while its worker was still writing
//! can be written twice, which the lead's deterministic id makes harmless.
//!
//! The queue logic is written once over both backends; only the claim statement differs (row
//! locks on PostgreSQL, an immediate transaction on SQLite).

mod backoff;
mod clock;
mod error;
mod model;
mod options;
mod schema;
mod sql;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::store::{Dialect, PgStore, Row, SqlValue, SqliteStore, Store};
use crate::{IdempotencyKey, Lead, Rejection};

pub use backoff::Backoff;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::SpoolError;
pub use model::{
    DeadLetter, DeadLetterId, Enqueued, ErrorEntry, FailOutcome, ItemState, ParkedFilter, Received,
    SpoolId, SpoolItem, SpoolStatus,
};
pub use options::SpoolOptions;

/// The longest worker name accepted.
const MAX_WORKER_LEN: usize = 200;
/// The most items one claim may ask for.
pub const MAX_CLAIM: u32 = 1000;
/// The most leads one [`Spool::enqueue_batch`] may hold (six parameters each, well under
/// SQLite's and PostgreSQL's parameter limits).
pub const MAX_ENQUEUE_BATCH: usize = 500;
/// Error texts longer than this many characters are cut when stored.
const MAX_ERROR_CHARS: usize = 2000;

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

    fn now(&self) -> OffsetDateTime {
        self.inner.options.clock.now()
    }

    /// Stores a received lead. Returns once it is durable; a lead whose idempotency key is
    /// already queued (in any state) is not added again, and the answer says so.
    pub async fn enqueue(&self, received: &Received) -> Result<Enqueued, SpoolError> {
        let mut answers = self.enqueue_batch(std::slice::from_ref(received)).await?;
        answers.pop().ok_or_else(|| {
            SpoolError::Storage("enqueue returned no answer for its one lead".to_owned())
        })
    }

    /// Stores up to [`MAX_ENQUEUE_BATCH`] received leads in one commit (one disk sync for all,
    /// which is how an intake under load acknowledges many leads quickly). Returns one answer
    /// per lead, in order, once all are durable; a key already queued, or repeated earlier in
    /// the batch, is answered as a duplicate of that item. All or nothing: on an error none
    /// was stored.
    pub async fn enqueue_batch(&self, batch: &[Received]) -> Result<Vec<Enqueued>, SpoolError> {
        if batch.len() > MAX_ENQUEUE_BATCH {
            return Err(SpoolError::InvalidArgument(format!(
                "a batch may hold at most {MAX_ENQUEUE_BATCH} leads (got {})",
                batch.len()
            )));
        }
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let now = millis(self.now());
        let mut params = Vec::with_capacity(batch.len() * 6);
        let mut keys = Vec::with_capacity(batch.len());
        for received in batch {
            let lead_json = serde_json::to_string(&received.lead).map_err(|e| {
                SpoolError::InvalidArgument(format!("a lead cannot be stored as JSON: {e}"))
            })?;
            let key = received.key.hex();
            params.extend([
                SqlValue::text(key.clone()),
                SqlValue::int(received.key.bucket()),
                SqlValue::bytes(received.raw_body.clone()),
                SqlValue::text(lead_json),
                SqlValue::int(millis(received.received_at)),
                SqlValue::int(now),
            ]);
            keys.push(key);
        }
        let store = &self.inner.store;
        let mut inserted = HashMap::new();
        for row in store.query(&sql::insert_items(batch.len()), params).await? {
            inserted.insert(row.text(1)?, SpoolId(row.i64(0)?));
        }
        // Keys that were not inserted were queued before: look up their items.
        let mut earlier = HashMap::new();
        let missing: Vec<&String> = keys.iter().filter(|k| !inserted.contains_key(*k)).collect();
        if !missing.is_empty() {
            let params = missing.iter().map(|k| SqlValue::text(k.as_str())).collect();
            for row in store
                .query(&sql::find_by_keys(missing.len()), params)
                .await?
            {
                earlier.insert(row.text(1)?, SpoolId(row.i64(0)?));
            }
        }
        let mut answered_new = HashSet::new();
        keys.iter()
            .map(|key| {
                if let Some(id) = inserted.get(key) {
                    // The first mention of a new key inserted it; later ones repeat it.
                    let duplicate = !answered_new.insert(key.as_str());
                    Ok(Enqueued { id: *id, duplicate })
                } else if let Some(id) = earlier.get(key) {
                    Ok(Enqueued {
                        id: *id,
                        duplicate: true,
                    })
                } else {
                    // The conflicting item was purged between the two statements (very
                    // unlikely); enqueueing again inserts it.
                    Err(SpoolError::Storage(
                        "a lead's key conflicted with an item that then disappeared; enqueue again"
                            .to_owned(),
                    ))
                }
            })
            .collect()
    }

    /// Leases up to `max` due items to `worker` for `lease`: pending items whose due time has
    /// come, and leased items whose lease ran out. Oldest due first. Each item goes to one
    /// claimer only, however many claim at once.
    pub async fn claim(
        &self,
        worker: &str,
        max: u32,
        lease: Duration,
    ) -> Result<Vec<SpoolItem>, SpoolError> {
        check_worker(worker)?;
        if max > MAX_CLAIM {
            return Err(SpoolError::InvalidArgument(format!(
                "a claim may ask for at most {MAX_CLAIM} items (asked for {max})"
            )));
        }
        let now = self.now();
        let lease_until = lease_end(now, lease)?;
        if max == 0 {
            return Ok(Vec::new());
        }
        let statement = match self.inner.store.dialect() {
            Dialect::Sqlite => sql::CLAIM_SQLITE,
            Dialect::Postgres => sql::CLAIM_POSTGRES,
        };
        let params = vec![
            SqlValue::text(worker),
            SqlValue::int(millis(lease_until)),
            SqlValue::int(millis(now)),
            SqlValue::int(i64::from(max)),
        ];
        let rows = self.inner.store.query_for_write(statement, params).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            match decode_item(&row) {
                Ok(item) if abandoned(&item) >= self.inner.options.max_abandoned_leases => {
                    self.park_held(&item, worker).await?;
                }
                Ok(item) => items.push(item),
                Err(SpoolError::Corrupt { id, detail }) => {
                    // Parking it keeps one unreadable row from being claimed forever.
                    self.park_unreadable(id, &detail).await?;
                }
                Err(other) => return Err(other),
            }
        }
        items.sort_by_key(|item| item.id);
        Ok(items)
    }

    /// Parks an item whose leases ran out [`SpoolOptions::max_abandoned_leases`] times instead
    /// of handing it out again.
    async fn park_held(&self, item: &SpoolItem, worker: &str) -> Result<(), SpoolError> {
        let error = format!(
            "{} leases ran out without the item being completed or failed; the workers holding it may be crashing on it",
            abandoned(item)
        );
        self.inner
            .store
            .execute(
                sql::PARK_HELD,
                vec![
                    SqlValue::int(item.id.0),
                    SqlValue::text(worker),
                    SqlValue::text(error),
                    SqlValue::int(millis(self.now())),
                ],
            )
            .await?;
        Ok(())
    }

    /// Extends the lease on an item this worker holds to `lease` from now (a heartbeat for a
    /// write that takes long, such as one held up by service protection limits). Returns the
    /// new end. Refused with [`SpoolError::LeaseLost`] when another worker took the item.
    pub async fn renew_lease(
        &self,
        id: SpoolId,
        worker: &str,
        lease: Duration,
    ) -> Result<OffsetDateTime, SpoolError> {
        check_worker(worker)?;
        let until = lease_end(self.now(), lease)?;
        let params = vec![
            SqlValue::int(id.0),
            SqlValue::text(worker),
            SqlValue::int(millis(until)),
        ];
        if self.inner.store.execute(sql::RENEW_LEASE, params).await? == 1 {
            return Ok(until);
        }
        Err(self.read_lease(id).await?.lost(id))
    }

    async fn park_unreadable(&self, id: SpoolId, detail: &str) -> Result<(), SpoolError> {
        let error = format!("stored row cannot be read back: {detail}");
        self.inner
            .store
            .execute(
                sql::PARK_UNREADABLE,
                vec![
                    SqlValue::int(id.0),
                    SqlValue::text(error),
                    SqlValue::int(millis(self.now())),
                ],
            )
            .await?;
        Ok(())
    }

    /// Marks a leased item written. Only the lease holder may: if the lease ran out and another
    /// worker claimed the item, nothing changes and [`SpoolError::LeaseLost`] says who holds
    /// it. A holder whose lease ran out may still complete while nobody else has claimed the
    /// item. Completing twice is fine.
    pub async fn complete(&self, id: SpoolId, worker: &str) -> Result<(), SpoolError> {
        check_worker(worker)?;
        let params = vec![
            SqlValue::int(id.0),
            SqlValue::text(worker),
            SqlValue::int(millis(self.now())),
        ];
        if self.inner.store.execute(sql::COMPLETE, params).await? == 1 {
            return Ok(());
        }
        let lease = self.read_lease(id).await?;
        if lease.state == ItemState::Done && lease.holder.as_deref() == Some(worker) {
            // A repeat of our own completion (say, after a lost reply).
            return Ok(());
        }
        Err(lease.lost(id))
    }

    /// Records a failed attempt on a leased item. A retryable failure with attempts left makes
    /// the item pending again after the backoff delay; otherwise it is parked, keeping `error`
    /// as the reason. `error` is stored and shown by `status`: describe the failure, do not
    /// quote lead data. Only the lease holder may fail an item (see [`Spool::complete`]).
    pub async fn fail(
        &self,
        id: SpoolId,
        worker: &str,
        error: &str,
        retryable: bool,
    ) -> Result<FailOutcome, SpoolError> {
        check_worker(worker)?;
        let lease = self.read_lease(id).await?;
        if lease.state != ItemState::Leased || lease.holder.as_deref() != Some(worker) {
            return Err(lease.lost(id));
        }
        let attempts = lease.attempts.saturating_add(1);
        let now = self.now();
        let error = truncate(error);
        let options = &self.inner.options;
        let (statement, params, outcome) = if retryable && attempts < options.max_attempts {
            let due_at = now + options.backoff.delay(attempts, id.0);
            (
                sql::RESCHEDULE,
                vec![
                    SqlValue::int(id.0),
                    SqlValue::text(worker),
                    SqlValue::int(i64::from(lease.attempts)),
                    SqlValue::int(i64::from(attempts)),
                    SqlValue::int(millis(due_at)),
                    SqlValue::text(error),
                    SqlValue::int(millis(now)),
                ],
                FailOutcome::Retry { attempts, due_at },
            )
        } else {
            (
                sql::PARK,
                vec![
                    SqlValue::int(id.0),
                    SqlValue::text(worker),
                    SqlValue::int(i64::from(lease.attempts)),
                    SqlValue::int(i64::from(attempts)),
                    SqlValue::text(error),
                    SqlValue::int(millis(now)),
                ],
                FailOutcome::Parked { attempts },
            )
        };
        // Compare-and-set on holder and attempts: if another worker took the item between the
        // read and this write, nothing is overwritten.
        if self.inner.store.execute(statement, params).await? == 1 {
            return Ok(outcome);
        }
        Err(self.read_lease(id).await?.lost(id))
    }

    async fn read_lease(&self, id: SpoolId) -> Result<Lease, SpoolError> {
        let rows = self
            .inner
            .store
            .query(sql::READ_LEASE, vec![SqlValue::int(id.0)])
            .await?;
        let row = rows.first().ok_or(SpoolError::NotFound { id })?;
        Ok(Lease {
            state: ItemState::parse(&row.text(0)?),
            holder: row.opt_text(1)?,
            attempts: count(row.i64(2)?),
        })
    }

    /// Keeps a body that was refused at intake (it never parsed into a lead), with the reason.
    /// Durable when it returns, like [`Spool::enqueue`].
    pub async fn dead_letter(
        &self,
        raw_body: &[u8],
        rejection: &Rejection,
    ) -> Result<DeadLetterId, SpoolError> {
        let rows = self
            .inner
            .store
            .query(
                sql::INSERT_DEAD_LETTER,
                vec![
                    SqlValue::bytes(raw_body),
                    SqlValue::text(rejection.code.clone()),
                    SqlValue::text(rejection.reason.clone()),
                    SqlValue::int(millis(self.now())),
                ],
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| SpoolError::Storage("dead letter insert returned no id".to_owned()))?;
        Ok(DeadLetterId(row.i64(0)?))
    }

    /// The newest dead letters, newest first, at most `limit`.
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, SpoolError> {
        let rows = self
            .inner
            .store
            .query(
                sql::LIST_DEAD_LETTERS,
                vec![SqlValue::int(i64::from(limit))],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DeadLetter {
                    id: DeadLetterId(row.i64(0)?),
                    received_at: from_millis(row.i64(1)?)?,
                    rejection: Rejection {
                        code: row.text(2)?,
                        reason: row.text(3)?,
                    },
                    raw_body: row.bytes(4)?,
                })
            })
            .collect()
    }

    /// Counts by state, queue depth, the oldest due and received times, and the latest errors.
    pub async fn status(&self) -> Result<SpoolStatus, SpoolError> {
        let store = &self.inner.store;
        let mut status = SpoolStatus::default();
        for row in store.query(sql::COUNT_BY_STATE, Vec::new()).await? {
            let n = row.i64(1)?.max(0) as u64;
            match ItemState::parse(&row.text(0)?) {
                ItemState::Pending => status.pending = n,
                ItemState::Leased => status.leased = n,
                ItemState::Done => status.done = n,
                ItemState::Parked => status.parked = n,
                ItemState::Unknown(_) => {}
            }
        }
        status.queue_depth = status.pending + status.leased;
        let now = millis(self.now());
        status.due_now = first_count(
            store
                .query(sql::COUNT_DUE, vec![SqlValue::int(now)])
                .await?,
        )?;
        status.dead_letters = first_count(store.query(sql::COUNT_DEAD_LETTERS, Vec::new()).await?)?;
        if let Some(row) = store.query(sql::OLDEST, Vec::new()).await?.first() {
            status.oldest_due_at = row.opt_i64(0)?.map(from_millis).transpose()?;
            status.oldest_received_at = row.opt_i64(1)?.map(from_millis).transpose()?;
        }
        let limit = SqlValue::int(i64::from(self.inner.options.recent_errors));
        status.last_errors = error_entries(store.query(sql::LAST_ERRORS, vec![limit]).await?)?;
        Ok(status)
    }

    /// Parked items with their reasons, most recently parked first, at most `limit`.
    pub async fn parked(&self, limit: u32) -> Result<Vec<ErrorEntry>, SpoolError> {
        let rows = self
            .inner
            .store
            .query(sql::LIST_PARKED, vec![SqlValue::int(i64::from(limit))])
            .await?;
        error_entries(rows)
    }

    /// Makes the chosen parked items pending again, due now, with their attempts reset (their
    /// last error stays for the record). Returns how many were put back.
    pub async fn retry_parked(&self, filter: &ParkedFilter) -> Result<u64, SpoolError> {
        let store = &self.inner.store;
        let now = SqlValue::int(millis(self.now()));
        let ids: Vec<SpoolId> = match filter {
            ParkedFilter::All => {
                return Ok(store.execute(sql::RETRY_ALL_PARKED, vec![now]).await?);
            }
            ParkedFilter::Ids(ids) => ids.clone(),
            ParkedFilter::ErrorContains(text) => {
                let mut matching = Vec::new();
                for row in store.query(sql::PARKED_ERRORS, Vec::new()).await? {
                    if row
                        .opt_text(1)?
                        .is_some_and(|error| error.contains(text.as_str()))
                    {
                        matching.push(SpoolId(row.i64(0)?));
                    }
                }
                matching
            }
        };
        let mut put_back = 0;
        for id in ids {
            put_back += store
                .execute(sql::RETRY_PARKED_ID, vec![now.clone(), SqlValue::int(id.0)])
                .await?;
        }
        Ok(put_back)
    }

    /// Deletes written items finished before `before`, returning how many. Keep them at least
    /// as long as a redelivery can arrive (the key's receive-time bucket, a day by default),
    /// or a late replay would be queued again.
    pub async fn purge_done(&self, before: OffsetDateTime) -> Result<u64, SpoolError> {
        Ok(self
            .inner
            .store
            .execute(sql::PURGE_DONE, vec![SqlValue::int(millis(before))])
            .await?)
    }
}

/// Who holds an item, read to explain a refused `complete` or `fail`.
struct Lease {
    state: ItemState,
    holder: Option<String>,
    attempts: u32,
}

impl Lease {
    fn lost(self, id: SpoolId) -> SpoolError {
        SpoolError::LeaseLost {
            id,
            holder: match self.state {
                ItemState::Leased => self.holder,
                _ => None,
            },
            state: self.state,
        }
    }
}

/// Reads a row in [`sql`]'s item column order.
fn decode_item(row: &Row) -> Result<SpoolItem, SpoolError> {
    let id = SpoolId(row.i64(0)?);
    let corrupt = |detail: String| SpoolError::Corrupt { id, detail };
    let key: IdempotencyKey = serde_json::from_value(serde_json::json!({
        "sha256": row.text(1)?,
        "bucket": row.i64(2)?,
    }))
    .map_err(|e| corrupt(format!("idempotency key: {e}")))?;
    let lead: Lead =
        serde_json::from_str(&row.text(4)?).map_err(|e| corrupt(format!("lead JSON: {e}")))?;
    Ok(SpoolItem {
        id,
        key,
        lead,
        raw_body: row.bytes(3)?,
        received_at: from_millis(row.i64(5)?)?,
        attempts: count(row.i64(6)?),
        lease_until: from_millis(row.i64(7)?)?,
        claims: count(row.i64(8)?),
    })
}

fn error_entries(rows: Vec<Row>) -> Result<Vec<ErrorEntry>, SpoolError> {
    rows.iter()
        .map(|row| {
            Ok(ErrorEntry {
                id: SpoolId(row.i64(0)?),
                state: ItemState::parse(&row.text(1)?),
                attempts: count(row.i64(2)?),
                error: row.opt_text(3)?.unwrap_or_default(),
                at: from_millis(row.opt_i64(4)?.unwrap_or(0))?,
            })
        })
        .collect()
}

fn first_count(rows: Vec<Row>) -> Result<u64, SpoolError> {
    Ok(rows
        .first()
        .map(|row| row.i64(0))
        .transpose()?
        .unwrap_or(0)
        .max(0) as u64)
}

fn check_worker(worker: &str) -> Result<(), SpoolError> {
    if worker.trim().is_empty()
        || worker.chars().count() > MAX_WORKER_LEN
        || worker.chars().any(char::is_control)
    {
        return Err(SpoolError::InvalidArgument(format!(
            "a worker name must be 1 to {MAX_WORKER_LEN} printable characters (for example host:pid)"
        )));
    }
    Ok(())
}

fn truncate(error: &str) -> String {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &error[..cut]),
        None => error.to_owned(),
    }
}

fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

/// Unix milliseconds, the stored form of every time.
fn millis(time: OffsetDateTime) -> i64 {
    let millis = time.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(millis).unwrap_or(if millis < 0 { i64::MIN } else { i64::MAX })
}

fn from_millis(millis: i64) -> Result<OffsetDateTime, SpoolError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).map_err(|e| {
        SpoolError::Storage(format!("a stored time ({millis} ms) is out of range: {e}"))
    })
}

/// Leases of an item that ran out without `complete` or `fail`: every lease but the current
/// one that did not end in a failed attempt.
fn abandoned(item: &SpoolItem) -> u32 {
    item.claims.saturating_sub(1).saturating_sub(item.attempts)
}

/// When a lease of `lease` taken at `now` ends.
fn lease_end(now: OffsetDateTime, lease: Duration) -> Result<OffsetDateTime, SpoolError> {
    if lease.as_millis() == 0 {
        return Err(SpoolError::InvalidArgument(
            "the lease must be at least one millisecond".to_owned(),
        ));
    }
    now.checked_add(time_duration(lease)?).ok_or_else(|| {
        SpoolError::InvalidArgument(format!("a lease of {lease:?} ends past year 9999"))
    })
}

fn time_duration(duration: Duration) -> Result<time::Duration, SpoolError> {
    time::Duration::try_from(duration)
        .map_err(|_| SpoolError::InvalidArgument(format!("{duration:?} is too long")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let time = OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_123_000_000).unwrap();
        assert_eq!(millis(time), 1_767_225_600_123);
        assert_eq!(from_millis(millis(time)).unwrap(), time);
        assert!(from_millis(i64::MAX).is_err());
    }

    #[test]
    fn worker_names_are_checked() {
        assert!(check_worker("host-a:4711").is_ok());
        assert!(check_worker(" ").is_err());
        assert!(check_worker("a\nb").is_err());
        assert!(check_worker(&"w".repeat(MAX_WORKER_LEN + 1)).is_err());
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR_CHARS + 5);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }
}
