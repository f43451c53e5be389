//! [`Links`]: the pairs of one many-to-many relationship, readable from either side without a
//! scan. A user's roles or teams are read on every request (access checks, `$expand`); with
//! tens of thousands of users, scanning every pair each time made those requests cost as much
//! as the org was large.

use std::collections::BTreeSet;

use uuid::Uuid;

/// `(entity1 id, entity2 id)` pairs, kept in both orders.
#[derive(Debug, Default, Clone)]
pub(crate) struct Links {
    forward: BTreeSet<(Uuid, Uuid)>,
    /// The same pairs as `(entity2 id, entity1 id)`.
    backward: BTreeSet<(Uuid, Uuid)>,
}

impl Links {
    /// Whether the pair is present.
    pub(crate) fn contains(&self, pair: &(Uuid, Uuid)) -> bool {
        self.forward.contains(pair)
    }

    /// Adds a pair; `false` if it was present.
    pub(crate) fn insert(&mut self, (a, b): (Uuid, Uuid)) -> bool {
        self.backward.insert((b, a));
        self.forward.insert((a, b))
    }

    /// Removes a pair; `false` if it was absent.
    pub(crate) fn remove(&mut self, (a, b): &(Uuid, Uuid)) -> bool {
        self.backward.remove(&(*b, *a));
        self.forward.remove(&(*a, *b))
    }

    /// The ids linked to `id`: entity2 ids when `id` is an entity1 id (`first`), else entity1
    /// ids; in id order.
    pub(crate) fn partners(&self, id: Uuid, first: bool) -> impl Iterator<Item = Uuid> + '_ {
        let side = if first { &self.forward } else { &self.backward };
        side.range((id, Uuid::nil())..=(id, Uuid::max()))
            .map(|(_, other)| *other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn partners_are_found_from_either_side_and_follow_removals() {
        let mut links = Links::default();
        assert!(links.insert((id(1), id(10))));
        assert!(links.insert((id(1), id(11))));
        assert!(links.insert((id(2), id(10))));
        assert!(!links.insert((id(2), id(10))));
        assert_eq!(
            links.partners(id(1), true).collect::<Vec<_>>(),
            [id(10), id(11)]
        );
        assert_eq!(
            links.partners(id(10), false).collect::<Vec<_>>(),
            [id(1), id(2)]
        );
        assert!(links.partners(id(10), true).next().is_none());
        assert!(links.remove(&(id(1), id(10))));
        assert!(!links.remove(&(id(1), id(10))));
        assert_eq!(links.partners(id(10), false).collect::<Vec<_>>(), [id(2)]);
        assert!(links.contains(&(id(2), id(10))) && !links.contains(&(id(1), id(10))));
    }

    #[test]
    fn the_nil_and_max_ids_are_partners_too() {
        let mut links = Links::default();
        links.insert((id(5), Uuid::nil()));
        links.insert((id(5), Uuid::max()));
        assert_eq!(
            links.partners(id(5), true).collect::<Vec<_>>(),
            [Uuid::nil(), Uuid::max()]
        );
    }
}
