//! [`Users`]: a tenant's user accounts, indexed by object ID (ordered, so Microsoft Graph can
//! page by a cursor) and by UPN, so that seeding 50,000 users stays linear.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use uuid::Uuid;

use super::User;

/// A tenant's users.
#[derive(Default)]
pub(crate) struct Users {
    by_id: BTreeMap<Uuid, User>,
    /// Lower-cased UPN → object ID.
    by_upn: HashMap<String, Uuid>,
    /// The object ID of the earliest-added user still present (the default sign-in user).
    first: Option<Uuid>,
    /// Insertion counter, for [`first`](Self::first).
    added: u64,
}

impl Users {
    /// The user with this object ID.
    pub(crate) fn get(&self, object_id: Uuid) -> Option<&User> {
        self.by_id.get(&object_id)
    }

    /// The user with this UPN (any case).
    pub(crate) fn by_upn(&self, upn: &str) -> Option<&User> {
        self.by_upn
            .get(&upn.trim().to_lowercase())
            .and_then(|id| self.by_id.get(id))
    }

    /// The earliest-added user still present.
    pub(crate) fn first(&self) -> Option<&User> {
        self.first.and_then(|id| self.by_id.get(&id))
    }

    /// All users in object-ID order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &User> {
        self.by_id.values()
    }

    /// All users, for changing.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut User> {
        self.by_id.values_mut()
    }

    /// Users with an object ID greater than `after` (all when `None`), in object-ID order.
    pub(crate) fn after(&self, after: Option<Uuid>) -> impl Iterator<Item = &User> {
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.by_id.range((lower, Bound::Unbounded)).map(|(_, u)| u)
    }

    /// Whether another user than `object_id` has this UPN.
    pub(crate) fn upn_taken_by_other(&self, upn: &str, object_id: Uuid) -> bool {
        self.by_upn
            .get(&upn.to_lowercase())
            .is_some_and(|owner| *owner != object_id)
    }

    /// Inserts or replaces a user (keeping its place as first user); returns the replaced one.
    pub(crate) fn insert(&mut self, mut user: User) -> Option<User> {
        let id = user.object_id;
        let old = self.by_id.remove(&id);
        if let Some(old) = &old {
            self.by_upn.remove(&old.upn.to_lowercase());
            user.added = old.added;
        } else {
            self.added += 1;
            user.added = self.added;
            if self.first.is_none() {
                self.first = Some(id);
            }
        }
        self.by_upn.insert(user.upn.to_lowercase(), id);
        self.by_id.insert(id, user);
        old
    }

    /// Removes a user; returns it.
    pub(crate) fn remove(&mut self, object_id: Uuid) -> Option<User> {
        let user = self.by_id.remove(&object_id)?;
        self.by_upn.remove(&user.upn.to_lowercase());
        if self.first == Some(object_id) {
            // Rare (the default user deleted): a linear scan is fine.
            self.first = self
                .by_id
                .values()
                .min_by_key(|u| u.added)
                .map(|u| u.object_id);
        }
        Some(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Profile;
    use crate::seed::MfaState;

    fn user(n: u128, upn: &str) -> User {
        User {
            object_id: Uuid::from_u128(n),
            upn: upn.to_owned(),
            password: String::new(),
            mfa: MfaState::None,
            display_name: upn.to_owned(),
            admin_roles: Vec::new(),
            licensed: true,
            profile: Profile {
                given_name: None,
                surname: None,
                mail: None,
                department: None,
                job_title: None,
                office_location: None,
                city: None,
                country: None,
                usage_location: None,
                account_enabled: true,
                licences: Vec::new(),
            },
            added: 0,
        }
    }

    #[test]
    fn lookups_ordering_and_the_first_user_survive_replace_and_remove() {
        let mut users = Users::default();
        users.insert(user(9, "first@x"));
        users.insert(user(2, "second@x"));
        users.insert(user(5, "third@x"));
        assert_eq!(
            users.by_upn("FIRST@X").map(|u| u.object_id),
            Some(Uuid::from_u128(9))
        );
        let order: Vec<u128> = users.iter().map(|u| u.object_id.as_u128()).collect();
        assert_eq!(order, [2, 5, 9]);
        let after: Vec<u128> = users
            .after(Some(Uuid::from_u128(2)))
            .map(|u| u.object_id.as_u128())
            .collect();
        assert_eq!(after, [5, 9]);

        // Replacing keeps the place as first user and moves the UPN index.
        assert!(users.insert(user(9, "renamed@x")).is_some());
        assert!(users.by_upn("first@x").is_none());
        assert_eq!(users.first().map(|u| u.upn.as_str()), Some("renamed@x"));
        assert!(users.upn_taken_by_other("renamed@x", Uuid::from_u128(2)));
        assert!(!users.upn_taken_by_other("renamed@x", Uuid::from_u128(9)));

        // Removing the first user makes the next-added one first.
        assert!(users.remove(Uuid::from_u128(9)).is_some());
        assert_eq!(users.first().map(|u| u.upn.as_str()), Some("second@x"));
        assert!(users.remove(Uuid::from_u128(9)).is_none());
    }
}
