//! Delete reconciliation after a full resync.
//!
//! When a token expires the deletes made since are lost: the service only offers a full sync
//! (Learn; REFERENCE-WORKFLOWS 2.2). The rows the caller holds locally but the full sync no
//! longer returns are the deletions. The design keeps memory at 16 bytes per row on the server
//! side and nothing per row on the caller's side:
//!
//! - the full sync's ids are collected in a flat `Vec<Uuid>` ([`SeenIds`]), sorted once at the
//!   end ([`SeenSet`]); a hash set would cost two to three times as much;
//! - the caller's known ids are read as an iterator, in any order (a database cursor), each
//!   looked up by binary search, so millions of local ids are never held in memory at once.
//!
//! A Bloom filter would be smaller but its false positives would hide deletions. A caller
//! whose table is too big even for 16 bytes a row can instead mark rows in its own store with
//! a sync generation while applying the resync and delete the unmarked ones afterwards.

use std::fmt;

use uuid::Uuid;

use super::model::{Change, ChangePage, DeleteReason};
use crate::error::{DataverseError, Result};

/// Ids seen during a full sync, collected page by page.
#[derive(Default, Clone)]
pub struct SeenIds {
    ids: Vec<Uuid>,
}

impl SeenIds {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one id.
    pub fn insert(&mut self, id: Uuid) {
        self.ids.push(id);
    }

    /// Adds the ids of the page's changed rows, read from their `primary_id` column
    /// (`accountid`); deletions are not "seen". A changed row without a GUID there is an
    /// error, not a row to skip: skipping it would report the row as deleted, and a wrong
    /// `primary_id` would report every known row as deleted.
    pub fn extend_from_page(&mut self, page: &ChangePage, primary_id: &str) -> Result<()> {
        for change in &page.changes {
            if let Change::Changed(record) = change {
                let id = record.get_guid(primary_id).ok_or_else(|| {
                    DataverseError::UnexpectedResponse(format!(
                        "a changed row has no GUID in its {primary_id} column, so deletions \
                         cannot be reconciled: pass the table's primary id column \
                         (TableNames::primary_id from resolve_table)"
                    ))
                })?;
                self.ids.push(id);
            }
        }
        Ok(())
    }

    /// How many ids were added (duplicates included).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// `true` when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Sorts and deduplicates the ids for look-ups.
    pub fn finish(mut self) -> SeenSet {
        self.ids.sort_unstable();
        self.ids.dedup();
        SeenSet {
            ids: self.ids.into_boxed_slice(),
        }
    }
}

impl fmt::Debug for SeenIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeenIds")
            .field("len", &self.ids.len())
            .finish()
    }
}

/// The ids a full sync returned, sorted: answers "is this id still there?".
#[derive(Clone, Default)]
pub struct SeenSet {
    ids: Box<[Uuid]>,
}

impl SeenSet {
    /// `true` when the full sync returned the id.
    pub fn contains(&self, id: &Uuid) -> bool {
        self.ids.binary_search(id).is_ok()
    }

    /// How many distinct ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// `true` when the full sync returned no row.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The `known` ids the full sync did not return, as
    /// `Deleted { reason: Reconciled }`, lazily and in the order of `known`.
    pub fn deletions<'a, I>(&'a self, known: I) -> impl Iterator<Item = Change> + 'a
    where
        I: IntoIterator<Item = Uuid>,
        I::IntoIter: 'a,
    {
        known
            .into_iter()
            .filter(|id| !self.contains(id))
            .map(|id| Change::Deleted {
                id,
                reason: DeleteReason::Reconciled,
            })
    }
}

impl fmt::Debug for SeenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeenSet")
            .field("len", &self.ids.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use proptest::prelude::*;

    fn page_of(ids: &[Uuid]) -> ChangePage {
        ChangePage {
            changes: ids
                .iter()
                .map(|id| Change::Changed(Record::new().with("accountid", id.to_string())))
                .chain([Change::Deleted {
                    id: Uuid::from_u128(999),
                    reason: DeleteReason::Deleted,
                }])
                .collect(),
            ..ChangePage::default()
        }
    }

    #[test]
    fn absent_known_ids_become_reconciled_deletions() {
        let mut seen = SeenIds::new();
        seen.extend_from_page(
            &page_of(&[Uuid::from_u128(2), Uuid::from_u128(1)]),
            "accountid",
        )
        .expect("every changed row has its id");
        seen.insert(Uuid::from_u128(2));
        let set = seen.finish();
        assert_eq!(set.len(), 2);
        assert!(
            !set.contains(&Uuid::from_u128(999)),
            "deletions are not seen"
        );
        let known = vec![Uuid::from_u128(3), Uuid::from_u128(1), Uuid::from_u128(999)];
        let gone: Vec<Change> = set.deletions(known).collect();
        assert_eq!(
            gone,
            vec![
                Change::Deleted {
                    id: Uuid::from_u128(3),
                    reason: DeleteReason::Reconciled
                },
                Change::Deleted {
                    id: Uuid::from_u128(999),
                    reason: DeleteReason::Reconciled
                }
            ]
        );
    }

    #[test]
    fn a_changed_row_without_its_id_is_an_error_not_a_deletion() {
        let mut seen = SeenIds::new();
        let page = page_of(&[Uuid::from_u128(1)]);
        let error = seen
            .extend_from_page(&page, "contactid")
            .expect_err("the wrong id column must not make every row look deleted");
        assert!(error.to_string().contains("contactid"), "{error}");
        assert!(seen.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn deletions_are_exactly_known_minus_seen(
            seen in proptest::collection::vec(0u128..64, 0..40),
            known in proptest::collection::vec(0u128..64, 0..40),
        ) {
            let mut ids = SeenIds::new();
            for id in &seen {
                ids.insert(Uuid::from_u128(*id));
            }
            let set = ids.finish();
            let gone: Vec<u128> = set
                .deletions(known.iter().map(|k| Uuid::from_u128(*k)).collect::<Vec<_>>())
                .filter_map(|c| c.id("accountid"))
                .map(|id| id.as_u128())
                .collect();
            let expected: Vec<u128> = known.iter().copied().filter(|k| !seen.contains(k)).collect();
            prop_assert_eq!(gone, expected);
        }
    }
}
