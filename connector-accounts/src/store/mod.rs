//! [`TokenStore`]: where accounts and pending sign-ins live. [`MemoryTokenStore`] for tests,
//! [`SqlTokenStore`] on SQLite (the default) or PostgreSQL (several workers).

mod memory;
mod schema;
mod sql;

pub use memory::MemoryTokenStore;
pub use sql::SqlTokenStore;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{AccountId, AccountSummary, ConnectorError, PendingSignIn, StoredAccount};

/// Durable storage of connector accounts, keyed by [`AccountId`].
///
/// Every change after the first save is a compare-and-swap on the account's version, so
/// workers sharing a store never overwrite each other's rotation.
#[async_trait]
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// Saves an account after a sign-in, replacing any earlier one with the same id (a
    /// re-authorization). Returns the version stored.
    async fn save(&self, account: &StoredAccount) -> Result<i64, ConnectorError>;

    /// The account, if stored.
    async fn load(&self, id: &AccountId) -> Result<Option<StoredAccount>, ConnectorError>;

    /// Replaces the account with `next` if its stored version is still `expected_version`
    /// and its [`sign_in_id`](StoredAccount::sign_in_id) is `next`'s; `next` is stored with
    /// version `expected_version + 1`. `false` when another writer got there first (or the
    /// account was deleted, or deleted and signed in again).
    async fn rotate(
        &self,
        expected_version: i64,
        next: &StoredAccount,
    ) -> Result<bool, ConnectorError>;

    /// Deletes the account; `false` when there was none.
    async fn delete(&self, id: &AccountId) -> Result<bool, ConnectorError>;

    /// Every account, without tokens, by id.
    async fn list(&self) -> Result<Vec<AccountSummary>, ConnectorError>;

    /// Keeps a pending sign-in until its callback.
    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), ConnectorError>;

    /// Removes and returns the pending sign-in with this state hash (single use).
    async fn take_pending(
        &self,
        state_hash: &[u8; 32],
    ) -> Result<Option<PendingSignIn>, ConnectorError>;

    /// Removes pending sign-ins that expired before `now`; returns how many.
    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, ConnectorError>;
}
