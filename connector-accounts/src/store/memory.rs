//! [`MemoryTokenStore`]: the same contract in memory, for tests and single-process tools.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::TokenStore;
use crate::{AccountId, AccountSummary, ConnectorError, PendingSignIn, StoredAccount};

/// Accounts and pending sign-ins in memory (nothing survives the process).
#[derive(Default)]
pub struct MemoryTokenStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    accounts: BTreeMap<AccountId, StoredAccount>,
    pending: HashMap<[u8; 32], PendingSignIn>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the maps half-written (each change is one insert).
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("MemoryTokenStore")
            .field("accounts", &inner.accounts.len())
            .field("pending", &inner.pending.len())
            .finish()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn save(&self, account: &StoredAccount) -> Result<i64, ConnectorError> {
        let mut inner = self.lock();
        let version = inner.accounts.get(&account.id).map_or(1, |a| a.version + 1);
        let mut stored = account.clone();
        stored.version = version;
        inner.accounts.insert(account.id.clone(), stored);
        Ok(version)
    }

    async fn load(&self, id: &AccountId) -> Result<Option<StoredAccount>, ConnectorError> {
        Ok(self.lock().accounts.get(id).cloned())
    }

    async fn rotate(
        &self,
        expected_version: i64,
        next: &StoredAccount,
    ) -> Result<bool, ConnectorError> {
        let mut inner = self.lock();
        match inner.accounts.get_mut(&next.id) {
            Some(current)
                if current.version == expected_version && current.sign_in_id == next.sign_in_id =>
            {
                let mut stored = next.clone();
                stored.version = expected_version + 1;
                *current = stored;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, id: &AccountId) -> Result<bool, ConnectorError> {
        Ok(self.lock().accounts.remove(id).is_some())
    }

    async fn list(&self) -> Result<Vec<AccountSummary>, ConnectorError> {
        Ok(self
            .lock()
            .accounts
            .values()
            .map(AccountSummary::from)
            .collect())
    }

    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), ConnectorError> {
        self.lock()
            .pending
            .insert(pending.state_hash, pending.clone());
        Ok(())
    }

    async fn take_pending(
        &self,
        state_hash: &[u8; 32],
    ) -> Result<Option<PendingSignIn>, ConnectorError> {
        Ok(self.lock().pending.remove(state_hash))
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, ConnectorError> {
        let mut inner = self.lock();
        let before = inner.pending.len();
        inner.pending.retain(|_, p| p.expires_at >= now);
        Ok((before - inner.pending.len()) as u64)
    }
}
