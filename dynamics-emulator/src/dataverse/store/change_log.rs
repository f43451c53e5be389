//! [`ChangeLog`]: what changed in one table, by version, so a change-tracking page is read
//! by seeking to its cursor (O(page · log n)) rather than by scanning and sorting the table.
//!
//! Two ordered records are kept in step with the rows: every stored row under its current
//! version, and every deletion under the version it was given. A row changed again leaves
//! its old position, so it is found once, at its latest version, as the service reports it.

use std::collections::BTreeSet;
use std::ops::Bound;

use uuid::Uuid;

/// A place in the version order of stored rows: after `(version, id)`. Ids break ties, so a
/// page can end between two rows that share a version and the next page starts at the second.
pub(crate) type Position = (u64, Uuid);

/// The last position of a version: after every row stored with it.
pub(crate) fn end_of(version: u64) -> Position {
    (version, Uuid::max())
}

/// The version-ordered records of one table.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    /// `(version, id)` of every stored row, at its current version.
    live: BTreeSet<Position>,
    /// `(version, id)` of deleted rows, oldest first (versions only grow, so this stays
    /// sorted and is searched by bisection).
    deletions: Vec<(u64, Uuid)>,
}

impl ChangeLog {
    /// A row was stored at `version`, replacing the one stored at `before` (if any).
    pub(crate) fn stored(&mut self, id: Uuid, before: Option<u64>, version: u64) {
        if let Some(before) = before {
            self.live.remove(&(before, id));
        }
        self.live.insert((version, id));
    }

    /// The row stored at `version` was taken out.
    pub(crate) fn taken(&mut self, id: Uuid, version: u64) {
        self.live.remove(&(version, id));
    }

    /// Logs a deletion for change tracking.
    pub(crate) fn log_deletion(&mut self, version: u64, id: Uuid) {
        self.deletions.push((version, id));
    }

    /// Forgets the last logged deletion (its transaction rolled back).
    pub(crate) fn unlog_deletion(&mut self) {
        self.deletions.pop();
    }

    /// Stored rows after `after` up to and including version `upper`, by version then id.
    pub(crate) fn stored_between(
        &self,
        after: Position,
        upper: u64,
    ) -> impl Iterator<Item = Position> + '_ {
        let end = end_of(upper);
        // An empty or inverted window (a cursor past its own cut) yields nothing rather
        // than letting `BTreeSet::range` panic.
        let window = (after < end).then(|| {
            self.live
                .range((Bound::Excluded(after), Bound::Included(end)))
                .copied()
        });
        window.into_iter().flatten()
    }

    /// Deletions with `after < version <= upper`, oldest first.
    pub(crate) fn deleted_between(&self, after: u64, upper: u64) -> &[(u64, Uuid)] {
        let start = self.deletions.partition_point(|(v, _)| *v <= after);
        let end = self.deletions.partition_point(|(v, _)| *v <= upper);
        self.deletions.get(start..end).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn a_changed_row_moves_to_its_new_version() {
        let mut log = ChangeLog::default();
        log.stored(id(1), None, 10);
        log.stored(id(2), None, 11);
        log.stored(id(1), Some(10), 12);
        let all: Vec<Position> = log.stored_between((0, Uuid::nil()), 100).collect();
        assert_eq!(all, vec![(11, id(2)), (12, id(1))]);
        log.taken(id(2), 11);
        let all: Vec<Position> = log.stored_between((0, Uuid::nil()), 100).collect();
        assert_eq!(all, vec![(12, id(1))]);
    }

    #[test]
    fn windows_are_exclusive_below_inclusive_above_and_split_ties_by_id() {
        let mut log = ChangeLog::default();
        for (version, n) in [(5, 1), (5, 2), (5, 3), (6, 4), (7, 5)] {
            log.stored(id(n), None, version);
        }
        let ids = |after: Position, upper: u64| -> Vec<u128> {
            log.stored_between(after, upper)
                .map(|(_, i)| i.as_u128())
                .collect()
        };
        assert_eq!(ids((5, id(1)), 6), vec![2, 3, 4]);
        assert_eq!(ids(end_of(5), 7), vec![4, 5]);
        assert_eq!(ids((0, Uuid::nil()), 5), vec![1, 2, 3]);
        assert_eq!(ids(end_of(7), 5), Vec::<u128>::new());
    }

    #[test]
    fn deletions_are_found_by_bisection_and_undone_from_the_end() {
        let mut log = ChangeLog::default();
        for (version, n) in [(3, 1), (8, 2), (9, 3)] {
            log.log_deletion(version, id(n));
        }
        assert_eq!(log.deleted_between(3, 8), &[(8, id(2))]);
        assert_eq!(log.deleted_between(0, 100).len(), 3);
        assert!(log.deleted_between(9, 100).is_empty());
        assert!(log.deleted_between(9, 2).is_empty());
        log.unlog_deletion();
        assert_eq!(log.deleted_between(0, 100).len(), 2);
    }
}
