//! The state every service of the emulator shares: directory, grants, environments, admin-API
//! data, clock, signing key.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use url::Url;
use uuid::Uuid;

use crate::admin::AdminStore;
use crate::clock::Clock;
use crate::config::DeviceCodeBehaviour;
use crate::dataverse::DataverseShared;
use crate::directory::Directory;
use crate::environments::Environments;
use crate::grants::Grants;
use crate::graph::GraphStore;
use crate::signing::SigningKey;

/// Token and code lifetimes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub(crate) access_token: Duration,
    pub(crate) refresh_token: Duration,
    pub(crate) authorization_code: Duration,
}

/// The mutable part of the state, behind one lock.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) directory: Directory,
    pub(crate) grants: Grants,
    pub(crate) device_behaviour: DeviceCodeBehaviour,
    pub(crate) environments: Environments,
    pub(crate) admin: AdminStore,
    pub(crate) graph: GraphStore,
}

/// Shared by all request handlers and by [`Seeder`](crate::Seeder) handles. An extra
/// organisation ([`Emulator::add_org`](crate::Emulator::add_org)) has its own, with its own
/// Dataverse and origin over the same directory, clock and signing key.
pub(crate) struct Shared {
    /// The emulator's base URL, with a trailing slash: the sign-in service and admin APIs.
    pub(crate) base_url: Url,
    /// The Dataverse organisation these handlers serve, with a trailing slash: the base URL,
    /// or an extra organisation's own host.
    pub(crate) org_url: Url,
    pub(crate) clock: Clock,
    pub(crate) signing: Arc<SigningKey>,
    pub(crate) lifetimes: Lifetimes,
    /// The Dataverse Web API's rows, settings and counters (behind their own locks).
    pub(crate) dataverse: DataverseShared,
    token_requests: AtomicU64,
    admin_requests: AtomicU64,
    store: Arc<Mutex<Store>>,
}

impl Shared {
    pub(crate) fn new(
        base_url: Url,
        signing: SigningKey,
        lifetimes: Lifetimes,
        store: Store,
        dataverse: DataverseShared,
    ) -> Self {
        Self {
            org_url: base_url.clone(),
            base_url,
            clock: Clock::default(),
            signing: Arc::new(signing),
            lifetimes,
            dataverse,
            token_requests: AtomicU64::new(0),
            admin_requests: AtomicU64::new(0),
            store: Arc::new(Mutex::new(store)),
        }
    }

    /// Another organisation at `org_url` with its own `dataverse`, under the same sign-in
    /// service, directory, environments and clock.
    pub(crate) fn for_org(&self, org_url: Url, dataverse: DataverseShared) -> Self {
        Self {
            base_url: self.base_url.clone(),
            org_url,
            clock: self.clock.clone(),
            signing: Arc::clone(&self.signing),
            lifetimes: self.lifetimes,
            dataverse,
            token_requests: AtomicU64::new(0),
            admin_requests: AtomicU64::new(0),
            store: Arc::clone(&self.store),
        }
    }

    /// Locks the mutable state. A panic while the lock was held cannot leave it half-updated in a
    /// way that matters to an emulator, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one request to a token endpoint.
    pub(crate) fn count_token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests to token endpoints so far.
    pub(crate) fn token_requests(&self) -> u64 {
        self.token_requests.load(Ordering::Relaxed)
    }

    /// Counts one request to an admin API.
    pub(crate) fn count_admin_request(&self) {
        self.admin_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests to the admin APIs so far.
    pub(crate) fn admin_requests(&self) -> u64 {
        self.admin_requests.load(Ordering::Relaxed)
    }

    /// `{base}{rest}` (the base has a trailing slash, `rest` has none at the start).
    pub(crate) fn url(&self, rest: &str) -> String {
        format!("{}{}", self.base_url, rest.trim_start_matches('/'))
    }

    /// The v2 issuer for a tenant: `{base}{tid}/v2.0`.
    pub(crate) fn issuer_v2(&self, tenant_id: Uuid) -> String {
        self.url(&format!("{tenant_id}/v2.0"))
    }

    /// The v1 issuer for a tenant: `{base}{tid}/`.
    pub(crate) fn issuer_v1(&self, tenant_id: Uuid) -> String {
        self.url(&format!("{tenant_id}/"))
    }
}
