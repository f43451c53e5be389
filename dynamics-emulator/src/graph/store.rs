//! The Graph-only state of each tenant: the change log behind `/users/delta`, the groups, and
//! the sync "epoch" an admin reset moves on. Users themselves live in the directory.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use time::OffsetDateTime;
use uuid::Uuid;

use super::props;
use crate::directory::User;

/// Graph state of all tenants.
#[derive(Default)]
pub(crate) struct GraphStore {
    tenants: HashMap<Uuid, GraphTenant>,
    /// Last change sequence number handed out (shared by all tenants).
    seq: u64,
}

/// Graph state of one tenant.
#[derive(Default)]
pub(crate) struct GraphTenant {
    /// Bumped by a reset: delta tokens of an older epoch get `410 Gone` (`resyncRequired`).
    pub(crate) epoch: u64,
    /// Latest change per user, by sequence number (one entry per user).
    log: BTreeMap<u64, Uuid>,
    entries: HashMap<Uuid, Change>,
    /// Groups by object ID.
    pub(crate) groups: BTreeMap<Uuid, Group>,
}

/// How many recent changes of one user are remembered for `$select` tracking; older ones are
/// folded away, and a round reaching back past them shows the user anyway (a replay, which the
/// docs allow).
const HISTORY: usize = 8;

/// The changes of one user, folded: a user changed twice in a round shows once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// The latest change.
    pub(crate) seq: u64,
    /// Recent changes: sequence number and mask of changed properties (all bits for a
    /// creation), oldest first.
    history: Vec<(u64, u32)>,
    pub(crate) removed: Option<Removal>,
}

impl Change {
    /// Whether a change after `since` touched a property in `tracked`.
    pub(crate) fn touches(&self, since: u64, tracked: u32) -> bool {
        let truncated = self.history.len() == HISTORY
            && self.history.first().is_some_and(|(seq, _)| *seq > since);
        truncated
            || self
                .history
                .iter()
                .any(|(seq, mask)| *seq > since && mask & tracked != 0)
    }
}

/// Why a user left: Graph's `@removed.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// Soft-deleted, restorable from deleted items (`"changed"`).
    Changed,
    /// Permanently deleted (`"deleted"`).
    Deleted,
}

impl Removal {
    /// The wire value of `@removed.reason`.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Changed => "changed",
            Self::Deleted => "deleted",
        }
    }
}

/// An Entra group.
pub(crate) struct Group {
    pub(crate) id: Uuid,
    pub(crate) display_name: String,
    pub(crate) description: Option<String>,
    pub(crate) mail_nickname: String,
    pub(crate) created: OffsetDateTime,
    /// Member user object IDs, ordered (the members list pages by this order).
    pub(crate) members: BTreeSet<Uuid>,
}

impl GraphStore {
    /// The tenant's Graph state (created on first use).
    pub(crate) fn tenant_mut(&mut self, tenant_id: Uuid) -> &mut GraphTenant {
        self.tenants.entry(tenant_id).or_default()
    }

    /// The tenant's Graph state, if anything was recorded for it.
    pub(crate) fn tenant(&self, tenant_id: Uuid) -> Option<&GraphTenant> {
        self.tenants.get(&tenant_id)
    }

    /// The latest sequence number: a delta round started now covers changes up to it.
    pub(crate) fn high_water(&self) -> u64 {
        self.seq
    }

    /// Records that `new` was added (`old` is `None`) or replaced `old`. Nothing is recorded
    /// when no Graph property changed.
    pub(crate) fn record_user(&mut self, tenant_id: Uuid, old: Option<&User>, new: &User) {
        let mask = match old {
            None => props::mask(&props::ALL),
            Some(old) => props::changed(old, new),
        };
        if mask == 0 {
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        self.tenant_mut(tenant_id)
            .log_change(new.object_id, seq, |change| {
                if change.history.len() == HISTORY {
                    change.history.remove(0);
                }
                change.history.push((seq, mask));
                change.removed = None;
            });
    }

    /// Records that a user was deleted.
    pub(crate) fn record_removal(&mut self, tenant_id: Uuid, object_id: Uuid, removal: Removal) {
        self.seq += 1;
        let seq = self.seq;
        let tenant = self.tenant_mut(tenant_id);
        for group in tenant.groups.values_mut() {
            group.members.remove(&object_id);
        }
        tenant.log_change(object_id, seq, |change| change.removed = Some(removal));
    }
}

impl GraphTenant {
    fn log_change(&mut self, object_id: Uuid, seq: u64, update: impl FnOnce(&mut Change)) {
        let change = self.entries.entry(object_id).or_insert(Change {
            seq,
            history: Vec::new(),
            removed: None,
        });
        self.log.remove(&change.seq);
        change.seq = seq;
        update(change);
        self.log.insert(seq, object_id);
    }

    /// The changes with sequence numbers in `(after, up_to]`, oldest first.
    pub(crate) fn changes(
        &self,
        after: u64,
        up_to: u64,
    ) -> impl Iterator<Item = (Uuid, &Change)> + '_ {
        // A token can be forged (it is plain text): an inverted window is empty, never a
        // panic in `range`.
        let up_to = up_to.max(after);
        self.log
            .range((Bound::Excluded(after), Bound::Included(up_to)))
            .filter_map(|(_, id)| self.entries.get(id).map(|c| (*id, c)))
    }

    /// Whether the user was deleted (softly or for good) and not re-created since.
    pub(crate) fn removal(&self, object_id: Uuid) -> Option<Removal> {
        self.entries.get(&object_id).and_then(|c| c.removed)
    }
}

impl Group {
    /// A group from seed data; `members` are the seed's members that exist.
    pub(crate) fn from_seed(
        seed: crate::seed::GroupSeed,
        members: BTreeSet<Uuid>,
        created: OffsetDateTime,
    ) -> Self {
        let mail_nickname = seed.mail_nickname.unwrap_or_else(|| {
            seed.display_name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect()
        });
        Self {
            id: seed.id,
            display_name: seed.display_name,
            description: seed.description,
            mail_nickname,
            created,
            members,
        }
    }
}
