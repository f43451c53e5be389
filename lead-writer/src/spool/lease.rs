//! Working the queue: claiming due items under a lease, renewing it, and reporting each item
//! written or failed. Only the lease holder may act on an item.

use std::time::Duration;

use time::{OffsetDateTime, PrimitiveDateTime};

use super::convert::{count, from_millis, millis, time_duration};
use super::{FailOutcome, ItemState, Spool, SpoolError, SpoolId, SpoolItem, sql};
use crate::{IdempotencyKey, Lead};
use dynamics_store::{Dialect, Row, SqlValue};

/// The most items one claim may ask for.
pub const MAX_CLAIM: u32 = 1000;
/// The longest worker name accepted.
const MAX_WORKER_LEN: usize = 200;
/// Error texts longer than this many characters are cut when stored.
const MAX_ERROR_CHARS: usize = 2000;

impl Spool {
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

    /// Extends the leases this worker holds on `ids` to `lease` from now, in one statement
    /// per [`MAX_CLAIM`] ids (a heartbeat for a whole claim). Returns how many were renewed:
    /// fewer than `ids` means another worker took some, which settling them will tell.
    pub async fn renew_leases(
        &self,
        ids: &[SpoolId],
        worker: &str,
        lease: Duration,
    ) -> Result<u64, SpoolError> {
        check_worker(worker)?;
        let until = lease_end(self.now(), lease)?;
        let mut renewed = 0;
        for chunk in ids.chunks(MAX_CLAIM as usize) {
            let mut params = vec![SqlValue::text(worker), SqlValue::int(millis(until))];
            params.extend(chunk.iter().map(|id| SqlValue::int(id.0)));
            renewed += self
                .inner
                .store
                .execute(&sql::renew_leases(chunk.len()), params)
                .await?;
        }
        Ok(renewed)
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
            let due_at = retry_at(now, options.backoff.delay(attempts, id.0));
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

/// Reads a row in [`sql`]'s item column order. Once the id is read, any failure (bad JSON,
/// a time out of range, a column of the wrong type) is [`SpoolError::Corrupt`], so the claim
/// parks that row and hands out the others instead of failing on it forever.
fn decode_item(row: &Row) -> Result<SpoolItem, SpoolError> {
    let id = SpoolId(row.i64(0)?);
    decode_fields(row, id).map_err(|error| match error {
        SpoolError::Corrupt { .. } => error,
        other => SpoolError::Corrupt {
            id,
            detail: other.to_string(),
        },
    })
}

fn decode_fields(row: &Row, id: SpoolId) -> Result<SpoolItem, SpoolError> {
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

/// When an item failed at `now` is due again after `delay`: clamped to the latest time the
/// spool can store, so a huge [`Backoff::max`](super::Backoff::max) cannot overflow.
fn retry_at(now: OffsetDateTime, delay: Duration) -> OffsetDateTime {
    time_duration(delay)
        .ok()
        .and_then(|delay| now.checked_add(delay))
        .unwrap_or(PrimitiveDateTime::MAX.assume_utc())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_backoff_is_clamped_not_overflowed() {
        let now = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
        let latest = PrimitiveDateTime::MAX.assume_utc();
        assert_eq!(retry_at(now, Duration::MAX), latest);
        assert_eq!(retry_at(now, Duration::from_secs(u64::MAX / 4)), latest);
        assert_eq!(
            retry_at(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        // The clamped time survives being stored and read back.
        assert!(from_millis(millis(latest)).is_ok());
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
