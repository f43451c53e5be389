//! [`EnvironmentUsers`]: the users present in one environment, in the order they were added,
//! with a version stamp that moves on every change. The Dataverse service reads the list on
//! every request; with tens of thousands of users it rebuilds its view of them only when the
//! stamp moved, so a request costs the same whatever the environment's size.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

/// Stamps handed out process-wide, so two lists (even of a deleted and re-created instance
/// with the same id) never share one.
static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

fn next_version() -> u64 {
    NEXT_VERSION.fetch_add(1, Ordering::Relaxed)
}

/// Object IDs of the users present in an environment.
#[derive(Debug, Clone)]
pub(crate) struct EnvironmentUsers {
    ids: Vec<Uuid>,
    /// The same IDs, for an add that does not scan the list.
    present: HashSet<Uuid>,
    version: u64,
}

impl Default for EnvironmentUsers {
    fn default() -> Self {
        Self::from(Vec::new())
    }
}

impl From<Vec<Uuid>> for EnvironmentUsers {
    /// The list as given, a repeated ID kept once (its first place).
    fn from(ids: Vec<Uuid>) -> Self {
        let mut present = HashSet::with_capacity(ids.len());
        let ids = ids.into_iter().filter(|id| present.insert(*id)).collect();
        Self {
            ids,
            present,
            version: next_version(),
        }
    }
}

impl EnvironmentUsers {
    /// The IDs, in the order they were added.
    pub(crate) fn ids(&self) -> &[Uuid] {
        &self.ids
    }

    /// A stamp that differs after any change to the list.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// Adds a user; `false` if it was already present (the stamp then stays).
    pub(crate) fn add(&mut self, object_id: Uuid) -> bool {
        if !self.present.insert(object_id) {
            return false;
        }
        self.ids.push(object_id);
        self.version = next_version();
        true
    }

    /// Replaces the whole list (a reset empties it, a restore brings back a backup's).
    pub(crate) fn replace(&mut self, ids: Vec<Uuid>) {
        *self = Self::from(ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_moves_the_stamp_and_a_repeat_add_does_not() {
        let mut users = EnvironmentUsers::default();
        let empty = users.version();
        assert!(users.add(Uuid::from_u128(1)));
        let one = users.version();
        assert_ne!(one, empty);
        assert!(!users.add(Uuid::from_u128(1)));
        assert_eq!(users.version(), one);
        users.replace(vec![Uuid::from_u128(1)]);
        assert_ne!(users.version(), one, "same content, still a new stamp");
        users.replace(Vec::new());
        assert!(users.ids().is_empty());
    }

    #[test]
    fn the_order_of_adding_is_kept_and_repeats_are_dropped() {
        let ids = [3, 1, 3, 2].map(Uuid::from_u128).to_vec();
        let mut users = EnvironmentUsers::from(ids);
        assert!(users.add(Uuid::from_u128(4)));
        assert_eq!(users.ids(), &[3, 1, 2, 4].map(Uuid::from_u128));
    }
}
