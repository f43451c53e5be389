//! [`EnvironmentUsers`]: the users present in one environment, in the order they were added,
//! with a stamp that names the list: adding keeps it (the list only grows), replacing the list
//! moves it. The Dataverse service reads the list on every request; it remembers how far into
//! a stamped list it made rows, so a request looks at the users added since, not at all of
//! them (a first sync of 50,000 users adds one between almost every two requests).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

/// Stamps handed out process-wide, so two lists (even of a deleted and re-created instance
/// with the same id) never share one.
static NEXT_STAMP: AtomicU64 = AtomicU64::new(1);

fn next_stamp() -> u64 {
    NEXT_STAMP.fetch_add(1, Ordering::Relaxed)
}

/// Object IDs of the users present in an environment.
#[derive(Debug, Clone)]
pub(crate) struct EnvironmentUsers {
    ids: Vec<Uuid>,
    /// The same IDs, for an add that does not scan the list.
    present: HashSet<Uuid>,
    stamp: u64,
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
            stamp: next_stamp(),
        }
    }
}

impl EnvironmentUsers {
    /// The IDs, in the order they were added.
    pub(crate) fn ids(&self) -> &[Uuid] {
        &self.ids
    }

    /// The list's stamp: the same while users are only added (the first `n` IDs stay the
    /// same), another once the list was replaced.
    pub(crate) fn stamp(&self) -> u64 {
        self.stamp
    }

    /// Adds a user at the end; `false` if it was already present.
    pub(crate) fn add(&mut self, object_id: Uuid) -> bool {
        if !self.present.insert(object_id) {
            return false;
        }
        self.ids.push(object_id);
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
    fn adding_keeps_the_stamp_and_replacing_moves_it() {
        let mut users = EnvironmentUsers::default();
        let stamp = users.stamp();
        assert!(users.add(Uuid::from_u128(1)));
        assert!(!users.add(Uuid::from_u128(1)));
        assert_eq!(
            users.stamp(),
            stamp,
            "a list that only grew keeps its stamp"
        );
        users.replace(vec![Uuid::from_u128(1)]);
        assert_ne!(users.stamp(), stamp, "same content, still a new stamp");
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
