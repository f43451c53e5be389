//! The spool's records: what goes in, what a worker gets, what `status` reports.

use std::fmt;

use time::OffsetDateTime;

use crate::{IdempotencyKey, Lead, Rejection};

/// A spool item's id (unique in its database, increasing in enqueue order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpoolId(pub i64);

impl fmt::Display for SpoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A dead letter's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeadLetterId(pub i64);

impl fmt::Display for DeadLetterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A lead as received, ready to enqueue. `Debug` hides the body and the lead's personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Received {
    /// The body exactly as it arrived.
    pub raw_body: Vec<u8>,
    /// The parsed lead.
    pub lead: Lead,
    /// Its idempotency key (derived with `received_at`).
    pub key: IdempotencyKey,
    /// When it arrived.
    pub received_at: OffsetDateTime,
}

impl fmt::Debug for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Received")
            .field("raw_body", &format_args!("<{} bytes>", self.raw_body.len()))
            .field("lead", &self.lead)
            .field("key", &self.key)
            .field("received_at", &self.received_at)
            .finish()
    }
}

/// The answer to an enqueue: the item's id and whether the key was already queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The item holding the lead (the earlier one for a duplicate).
    pub id: SpoolId,
    /// True when an item with the same idempotency key already existed; nothing was added.
    pub duplicate: bool,
}

/// A lead leased to a worker by [`Spool::claim`](super::Spool::claim). `Debug` hides the body
/// and the lead's personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct SpoolItem {
    /// The item's id, for `complete` and `fail`.
    pub id: SpoolId,
    /// The lead's idempotency key.
    pub key: IdempotencyKey,
    /// The parsed lead.
    pub lead: Lead,
    /// The body exactly as it arrived.
    pub raw_body: Vec<u8>,
    /// When it arrived.
    pub received_at: OffsetDateTime,
    /// Failed attempts so far.
    pub attempts: u32,
    /// How many times the item has been leased, this time included (more than `attempts + 1`
    /// when earlier workers died holding it).
    pub claims: u32,
    /// When the lease ends; after that another worker may claim the item.
    pub lease_until: OffsetDateTime,
}

impl fmt::Debug for SpoolItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpoolItem")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("lead", &self.lead)
            .field("raw_body", &format_args!("<{} bytes>", self.raw_body.len()))
            .field("received_at", &self.received_at)
            .field("attempts", &self.attempts)
            .field("claims", &self.claims)
            .field("lease_until", &self.lease_until)
            .finish()
    }
}

/// Where an item is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemState {
    /// Waiting for its due time or a worker.
    Pending,
    /// Leased to a worker.
    Leased,
    /// Written; kept so a replay of its key stays a duplicate.
    Done,
    /// Stopped after a failure that will not heal or too many attempts; the reason is kept.
    Parked,
    /// A state written by a newer build.
    Unknown(String),
}

impl ItemState {
    /// The state as stored.
    pub fn as_str(&self) -> &str {
        match self {
            ItemState::Pending => "pending",
            ItemState::Leased => "leased",
            ItemState::Done => "done",
            ItemState::Parked => "parked",
            ItemState::Unknown(other) => other,
        }
    }

    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "pending" => ItemState::Pending,
            "leased" => ItemState::Leased,
            "done" => ItemState::Done,
            "parked" => ItemState::Parked,
            other => ItemState::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for ItemState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`Spool::fail`](super::Spool::fail) did with the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// It will be claimable again at `due_at`.
    Retry {
        /// Failed attempts so far, this one included.
        attempts: u32,
        /// When it becomes claimable.
        due_at: OffsetDateTime,
    },
    /// It was parked (not retryable, or out of attempts).
    Parked {
        /// Failed attempts so far, this one included.
        attempts: u32,
    },
}

/// An item's latest error, as `status` and `parked` list it. The error text is what the worker
/// passed to `fail`, which must not hold lead data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEntry {
    /// The item.
    pub id: SpoolId,
    /// Its state now.
    pub state: ItemState,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The error.
    pub error: String,
    /// When it happened.
    pub at: OffsetDateTime,
}

/// Counts and recent errors, for `leads status` and metrics. Read with a few queries in a row,
/// not as one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SpoolStatus {
    /// Items waiting (due now or later).
    pub pending: u64,
    /// Of those, the ones due now.
    pub due_now: u64,
    /// Items leased to workers (expired leases included).
    pub leased: u64,
    /// Items written.
    pub done: u64,
    /// Items parked.
    pub parked: u64,
    /// Bodies refused at intake.
    pub dead_letters: u64,
    /// Items still to write: pending plus leased.
    pub queue_depth: u64,
    /// The earliest due time among pending items.
    pub oldest_due_at: Option<OffsetDateTime>,
    /// The receive time of the oldest item still to write (pending or leased).
    pub oldest_received_at: Option<OffsetDateTime>,
    /// The latest errors, newest first, any state.
    pub last_errors: Vec<ErrorEntry>,
}

/// Which parked items [`Spool::retry_parked`](super::Spool::retry_parked) puts back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParkedFilter {
    /// Every parked item.
    All,
    /// These items (ids that are not parked are skipped).
    Ids(Vec<SpoolId>),
    /// Items whose error contains this text (case-sensitive), for example after fixing a
    /// missing privilege.
    ErrorContains(String),
}

/// A body refused at intake, kept with the reason. `Debug` hides the body.
#[derive(Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Its id.
    pub id: DeadLetterId,
    /// When it arrived.
    pub received_at: OffsetDateTime,
    /// Why it was refused.
    pub rejection: Rejection,
    /// The body exactly as it arrived.
    pub raw_body: Vec<u8>,
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("id", &self.id)
            .field("received_at", &self.received_at)
            .field("rejection", &self.rejection)
            .field("raw_body", &format_args!("<{} bytes>", self.raw_body.len()))
            .finish()
    }
}
