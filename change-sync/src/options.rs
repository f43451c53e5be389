//! What a [`crate::ChangeSync`] syncs and how.

use std::time::Duration;

/// The table a sync follows and the key its checkpoint is kept under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTarget {
    /// The checkpoint key, unique per org and table, e.g. `contoso.crm4/accounts`.
    pub key: String,
    /// The table's entity set name (`accounts`).
    pub entity_set: String,
    /// The table's primary id column (`accountid`), from which changed rows' ids are read
    /// (`TableNames::primary_id` from `DataverseClient::resolve_table`).
    pub primary_id: String,
    /// The columns of the full sync (`$select`; the delta links keep them). Empty: all.
    pub select: Vec<String>,
}

impl SyncTarget {
    /// A target with all columns.
    pub fn new(
        key: impl Into<String>,
        entity_set: impl Into<String>,
        primary_id: impl Into<String>,
    ) -> Self {
        SyncTarget {
            key: key.into(),
            entity_set: entity_set.into(),
            primary_id: primary_id.into(),
            select: Vec::new(),
        }
    }

    /// Only these columns.
    pub fn select<I: IntoIterator<Item = S>, S: Into<String>>(mut self, columns: I) -> Self {
        self.select.extend(columns.into_iter().map(Into::into));
        self
    }
}

/// How a [`crate::ChangeSync`] pages and recovers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// Rows a page (`Prefer: odata.maxpagesize`); `None` leaves the service's 5000. A page is
    /// the unit of commit: smaller pages repeat less after a crash (acknowledgement form) and
    /// hold shorter transactions.
    pub max_page_size: Option<u32>,
    /// On an expired token (`0x80044352`), start a full resync with delete reconciliation
    /// at once (default). When `false`, [`crate::SyncError::TokenExpired`] is returned and
    /// the caller decides ([`crate::ChangeSync::start_resync`]).
    pub auto_resync: bool,
    /// How often the caller polls, when it does: compared at start with the org's
    /// `expirechangetrackingindays`, with a warning when a missed poll could expire the token.
    pub poll_interval: Option<Duration>,
    /// Reconciled deletions a batch.
    pub reconcile_batch: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            max_page_size: None,
            auto_resync: true,
            poll_interval: None,
            reconcile_batch: 5000,
        }
    }
}
