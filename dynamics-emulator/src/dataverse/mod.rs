//! The Dataverse Web API service (`/api/data/v9.0/`, `v9.1`, `v9.2` on the emulator origin):
//! tables with metadata, OData queries, FetchXML, `$batch`, change tracking, service
//! protection limits, a latency model and fault injection.
//!
//! Layout: [`metadata`] (table definitions), [`store`] (rows), [`odata`] (query language),
//! [`render`] and [`write`] (rows to and from JSON), [`handlers`] (the operations), [`service`]
//! (the HTTP entry point with auth, limits and faults).

mod access;
mod auth;
mod batch_multipart;
pub(crate) mod budget;
mod env;
mod errors;
mod faults;
mod fetchxml;
mod generated;
mod handlers;
mod identity;
mod ids;
mod keys;
mod metadata;
mod odata;
mod protection;
mod render;
mod rng;
mod security;
pub(crate) mod seeding;
mod service;
mod settings;
mod solution;
mod state;
mod store;
mod table_seed;
mod wire;
mod write;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::routing::any;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

pub use settings::{
    BatchCounting, Ceiling, CeilingBound, DataverseConfig, DataverseLimits, FaultInjection,
    LatencyModel, SecurityEnforcement,
};
pub use table_seed::{AlternateKeySeed, ColumnSeed, ColumnType, TableSeed};

use self::env::{Caller, Env};
use self::errors::ApiError;
use self::faults::Faults;
use self::odata::prefer::Prefer;
use self::odata::select::Selection;
use self::protection::Protection;
use self::render::entity::Renderer;
use self::state::DataverseStore;
use crate::error::EmulatorError;
use crate::state::Shared;

/// Whether a path version is one the service answers.
pub(crate) fn is_supported_version(version: &str) -> bool {
    matches!(version, "v9.0" | "v9.1" | "v9.2")
}

/// The Dataverse service's share of the emulator state.
pub(crate) struct DataverseShared {
    /// The organisation's well-known rows (the default org's, or an extra org's own
    /// organisation id).
    ids: state::OrgIds,
    store: Mutex<DataverseStore>,
    settings: Mutex<DataverseConfig>,
    pub(crate) protection: Protection,
    pub(crate) faults: Faults,
    /// Which environment user list the `systemuser` rows were last made from.
    pub(crate) synced_users: identity::SyncedUsers,
    requests: AtomicU64,
    /// When the emulator started (the base of the protection windows' clock).
    started: Instant,
}

impl DataverseShared {
    /// The organisation with its starting rows, and the settings.
    pub(crate) fn new(config: DataverseConfig) -> Result<Self, EmulatorError> {
        Self::with_ids(config, seeding::ORG_IDS)
    }

    /// An extra organisation: the default org's rows under an organisation id of its own
    /// (derived from `org_url`, so the same URL gives the same id).
    pub(crate) fn extra(config: DataverseConfig, org_url: &str) -> Result<Self, EmulatorError> {
        let ids = state::OrgIds {
            organization: ids::name_uuid("organization", org_url),
            ..seeding::ORG_IDS
        };
        Self::with_ids(config, ids)
    }

    fn with_ids(config: DataverseConfig, ids: state::OrgIds) -> Result<Self, EmulatorError> {
        Ok(Self {
            ids,
            store: Mutex::new(Self::starting_store(OffsetDateTime::now_utc(), ids)?),
            faults: Faults::new(config.faults.seed),
            settings: Mutex::new(config),
            protection: Protection::default(),
            synced_users: identity::SyncedUsers::default(),
            requests: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    /// The built-in tables with the organisation's starting rows.
    fn starting_store(
        now: OffsetDateTime,
        ids: state::OrgIds,
    ) -> Result<DataverseStore, EmulatorError> {
        let mut store = DataverseStore::empty(ids).map_err(EmulatorError::seed)?;
        seeding::seed_organization(&mut store, now.unix_timestamp())
            .map_err(|e| EmulatorError::seed(e.message))?;
        security::seed::sync_catalogue(&mut store, now.unix_timestamp())
            .map_err(|e| EmulatorError::seed(e.message))?;
        Ok(store)
    }

    /// Drops every custom table and row and starts again from the starting rows.
    pub(crate) fn reset(&self, now: OffsetDateTime) -> Result<(), EmulatorError> {
        let fresh = Self::starting_store(now, self.ids)?;
        let mut store = self.lock();
        *store = fresh;
        // The fresh rows have no users yet: the next request makes them from the whole list.
        self.synced_users.forget();
        Ok(())
    }

    /// Locks the rows, renewing the evaluation budget ([`budget`]). A panic while the lock was held (a poisoned lock) may have left a
    /// transaction open: its changes are rolled back, so a half-applied request never stays
    /// visible and later transactions keep their atomicity.
    pub(crate) fn lock(&self) -> MutexGuard<'_, DataverseStore> {
        recover(&self.store)
    }

    /// A copy of the current settings.
    pub(crate) fn settings(&self) -> DataverseConfig {
        self.settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes the settings; a new fault seed restarts the fault sequence.
    pub(crate) fn update_settings(&self, change: impl FnOnce(&mut DataverseConfig)) {
        let mut settings = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
        let before = settings.faults;
        change(&mut settings);
        if settings.faults != before {
            self.faults.reseed(settings.faults.seed);
        }
    }

    fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Web API requests so far.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The organisation's ID.
    pub(crate) fn organization_id(&self) -> Uuid {
        self.ids.organization
    }

    /// Monotonic "now" moved by the emulator clock's offset.
    pub(crate) fn now(&self, shared: &Shared) -> Instant {
        let base = self.started + self.started.elapsed();
        base.checked_add(shared.clock.offset()).unwrap_or(base)
    }
}

/// Locks `store` with a fresh evaluation budget; after a panic under the lock, rolls back any
/// open transaction and clears the poison.
fn recover(store: &Mutex<DataverseStore>) -> MutexGuard<'_, DataverseStore> {
    let guard = store.lock().unwrap_or_else(|poisoned| {
        let mut guard = poisoned.into_inner();
        let DataverseStore { catalog, data, .. } = &mut *guard;
        data.rollback(catalog);
        store.clear_poison();
        guard
    });
    guard.budget.renew();
    guard
}

/// The Web API routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/data/{version}", any(service::serve))
        .route("/api/data/{version}/", any(service::serve))
        .route("/api/data/{version}/{*rest}", any(service::serve))
}

/// The environment's users as the directory knows them (read before the rows are locked, so
/// the two locks are never held together).
fn environment(shared: &Shared) -> identity::OrgSnapshot {
    identity::snapshot(shared, &auth::origin(shared))
}

/// Environment users become `systemuser` rows (what every request does first).
fn sync(
    shared: &Shared,
    snapshot: &identity::OrgSnapshot,
    store: &mut DataverseStore,
) -> Result<(), ApiError> {
    identity::sync_users(store, snapshot, shared.clock.now().unix_timestamp())?;
    shared.dataverse.synced_users.record(snapshot);
    Ok(())
}

/// Adds a custom table.
pub(crate) fn add_table(shared: &Shared, table: &TableSeed) -> Result<(), EmulatorError> {
    let mut store = shared.dataverse.lock();
    let code = 10_000 + i32::try_from(store.catalog.tables.len()).unwrap_or(0);
    let spec = table.to_spec(code);
    let DataverseStore { catalog, data, .. } = &mut *store;
    catalog.add(&spec).map_err(EmulatorError::seed)?;
    data.catch_up(catalog);
    // The new table's privileges, held by System Administrator.
    security::seed::sync_catalogue(&mut store, shared.clock.now().unix_timestamp())
        .map_err(|e| EmulatorError::seed(e.message))?;
    Ok(())
}

fn table_of(store: &DataverseStore, entity_set: &str) -> Result<u16, EmulatorError> {
    store
        .catalog
        .by_set(entity_set)
        .ok_or_else(|| EmulatorError::seed(format!("no entity set {entity_set}")))
}

/// Inserts rows (Web API JSON) into an entity set; returns their IDs.
pub(crate) fn insert_rows(
    shared: &Shared,
    entity_set: &str,
    rows: &[Value],
) -> Result<Vec<Uuid>, EmulatorError> {
    let snapshot = environment(shared);
    let mut store = shared.dataverse.lock();
    sync(shared, &snapshot, &mut store).map_err(|e| EmulatorError::seed(e.message))?;
    let table = table_of(&store, entity_set)?;
    seeding::insert_rows(&mut store, table, rows, shared.clock.now().unix_timestamp())
        .map_err(|e| EmulatorError::seed(format!("{} ({})", e.message, e.code)))
}

/// The rows of an entity set as the Web API renders them (all columns, `@odata.etag`).
pub(crate) fn rows(shared: &Shared, entity_set: &str) -> Vec<Value> {
    let snapshot = environment(shared);
    let mut store = shared.dataverse.lock();
    if sync(shared, &snapshot, &mut store).is_err() {
        return Vec::new();
    }
    let Ok(table) = table_of(&store, entity_set) else {
        return Vec::new();
    };
    let env = Env {
        origin: auth::origin(shared),
        version: "v9.2".to_owned(),
        caller: Caller {
            user_id: store.org.system_user,
            business_unit_id: store.org.root_business_unit,
        },
        organization_id: store.org.organization,
        now: shared.clock.now(),
        security: SecurityEnforcement::Off,
    };
    let prefer = Prefer::default();
    let renderer = Renderer {
        view: store.view(),
        env: &env,
        prefer: &prefer,
        omit_nulls: false,
        in_collection: true,
        money_companion: true,
        access: None,
    };
    store
        .data
        .table(table)
        .rows
        .iter()
        .map(|(id, row)| Value::Object(renderer.row(table, *id, row, &Selection::All, &[])))
        .collect()
}

/// How many rows an entity set has (0 for an unknown set).
pub(crate) fn row_count(shared: &Shared, entity_set: &str) -> usize {
    let store = shared.dataverse.lock();
    table_of(&store, entity_set).map_or(0, |table| store.data.table(table).rows.len())
}

/// Appends generated leads; returns the number of leads.
pub(crate) fn insert_generated_leads(shared: &Shared, count: usize) -> usize {
    let mut store = shared.dataverse.lock();
    generated::insert_generated_leads(&mut store, count, shared.clock.now().unix_timestamp())
}

/// How many `PublishXml` and `PublishAllXml` requests were accepted.
pub(crate) fn metadata_publishes(shared: &Shared) -> u64 {
    shared.dataverse.lock().catalog.publishes
}

/// How many solutions `ImportSolution` received.
pub(crate) fn solution_imports(shared: &Shared) -> u64 {
    shared.dataverse.lock().solution_imports
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::store::row::Row;
    use super::*;

    #[test]
    fn a_panic_under_the_lock_is_rolled_back_by_the_next_lock() {
        let shared = DataverseShared::new(DataverseConfig::default()).expect("starts");
        let (table, id) = (shared.lock().builtin("account"), Uuid::new_v4());
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            let mut store = shared.lock();
            let DataverseStore { catalog, data, .. } = &mut *store;
            assert!(data.begin());
            data.put(catalog, table, id, Row::new(1, []))
                .expect("stored");
            panic!("simulated panic with a transaction open");
        }));
        assert!(panicked.is_err());
        let mut store = shared.lock();
        assert!(store.data.row(table, id).is_none(), "half-done work undone");
        assert!(store.data.begin(), "the next transaction is the outermost");
        store.data.commit();
        drop(store);
        assert!(!shared.store.is_poisoned(), "the poison was cleared");
    }
}
