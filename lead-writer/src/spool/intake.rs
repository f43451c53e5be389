//! Taking leads in: enqueueing parsed leads (one or a batch per commit) and keeping refused
//! bodies as dead letters.

use std::collections::{HashMap, HashSet};

use super::convert::millis;
use super::{DeadLetterId, Enqueued, Received, Spool, SpoolError, SpoolId, sql};
use crate::Rejection;
use dynamics_store::SqlValue;

/// The most leads one [`Spool::enqueue_batch`] may hold (six parameters each, well under
/// SQLite's and PostgreSQL's parameter limits).
pub const MAX_ENQUEUE_BATCH: usize = 500;

impl Spool {
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

    /// Keeps a body that was refused at intake (it never parsed into a lead), with the reason.
    /// At most [`SpoolOptions::max_dead_letter_bytes`](super::SpoolOptions) of the body are
    /// kept; a longer body is cut and the reason records its size. Durable when it returns,
    /// like [`Spool::enqueue`].
    pub async fn dead_letter(
        &self,
        raw_body: &[u8],
        rejection: &Rejection,
    ) -> Result<DeadLetterId, SpoolError> {
        let cap = self.inner.options.max_dead_letter_bytes;
        let (kept, reason) = if raw_body.len() > cap {
            (
                &raw_body[..cap],
                format!(
                    "{} (body cut to its first {cap} of {} bytes)",
                    rejection.reason,
                    raw_body.len()
                ),
            )
        } else {
            (raw_body, rejection.reason.clone())
        };
        let rows = self
            .inner
            .store
            .query(
                sql::INSERT_DEAD_LETTER,
                vec![
                    SqlValue::bytes(kept),
                    SqlValue::text(rejection.code.clone()),
                    SqlValue::text(reason),
                    SqlValue::int(millis(self.now())),
                ],
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| SpoolError::Storage("dead letter insert returned no id".to_owned()))?;
        Ok(DeadLetterId(row.i64(0)?))
    }
}
