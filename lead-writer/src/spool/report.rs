//! Looking at the queue and acting on it as an operator: status, parked items and their
//! retry, dead letters, purging written items.

use time::OffsetDateTime;

use super::convert::{count, from_millis, millis};
use super::{
    DeadLetter, DeadLetterId, ErrorEntry, ItemState, ParkedFilter, Spool, SpoolError, SpoolId,
    SpoolStatus, sql,
};
use crate::Rejection;
use dynamics_store::{Row, SqlValue};

impl Spool {
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
