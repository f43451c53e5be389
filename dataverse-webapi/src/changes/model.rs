//! What a change tracking stream yields: pages of typed changes.

use std::fmt;

use uuid::Uuid;

use crate::record::Record;

/// Why a row is reported as gone.
///
/// Server-controlled: unknown reasons are kept, never refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeleteReason {
    /// The row was deleted (`"reason":"deleted"`). Learn: a row created and deleted between
    /// two polls is reported so even if the client never saw it.
    Deleted,
    /// The row left the tracked set without being deleted (`"reason":"changed"`, OData 4.0
    /// deleted-entity semantics). UNCONFIRMED whether Dataverse ever sends it.
    Changed,
    /// Not reported by the service: the client's reconciliation after a full resync found the
    /// row absent ([`crate::changes::SeenIds`]).
    Reconciled,
    /// A reason this client does not know, as sent.
    Unknown(String),
}

impl DeleteReason {
    /// From the `reason` property of a `$deletedEntity` entry (case-insensitive; a missing
    /// reason is taken as `deleted`, the only one the Dataverse docs show).
    pub fn from_wire(reason: Option<&str>) -> Self {
        match reason.map(str::trim) {
            None => DeleteReason::Deleted,
            Some(r) if r.eq_ignore_ascii_case("deleted") => DeleteReason::Deleted,
            Some(r) if r.eq_ignore_ascii_case("changed") => DeleteReason::Changed,
            Some(r) => DeleteReason::Unknown(r.to_string()),
        }
    }
}

/// One change of a tracked table.
///
/// `Debug` hides the row's values (personal data): it shows the column count only.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// A row created or updated since the token (on a full sync: every row). A delta row
    /// leaves out null columns, as the service sends it.
    Changed(Record),
    /// A row gone since the token.
    Deleted {
        /// The row's id.
        id: Uuid,
        /// Why it is gone.
        reason: DeleteReason,
    },
}

impl Change {
    /// The row's id: the deleted id, or the changed row's `primary_id` column (`accountid`).
    pub fn id(&self, primary_id: &str) -> Option<Uuid> {
        match self {
            Change::Changed(record) => record.get_guid(primary_id),
            Change::Deleted { id, .. } => Some(*id),
        }
    }
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Changed(record) => f
                .debug_struct("Changed")
                .field("columns", &record.len())
                .finish_non_exhaustive(),
            Change::Deleted { id, reason } => f
                .debug_struct("Deleted")
                .field("id", id)
                .field("reason", reason)
                .finish(),
        }
    }
}

/// One page of changes, the unit a sync commits.
///
/// A page's [`next_link`](Self::next_link) is the cursor to resume from after applying it;
/// the last page has none and carries the [`delta_link`](Self::delta_link) to start the next
/// sync from. Save the link together with the page's effects (one transaction) so a crash
/// repeats at most one page.
///
/// `Debug` shows the counts and the links without their query (tokens, cookies).
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ChangePage {
    /// The changes: changed rows first, then deletions, as the service orders them.
    pub changes: Vec<Change>,
    /// The next page of the same sync, when there is one.
    pub next_link: Option<String>,
    /// On the last page only: where the next sync starts.
    pub delta_link: Option<String>,
    /// `true` for a page of a delta (changes since a token), `false` for a full sync
    /// (`@odata.context` ends in `/$delta` on delta pages).
    pub is_delta: bool,
    /// `@odata.count`, when asked for ([`crate::changes::Changes::count_in_pages`]).
    pub count: Option<i64>,
}

impl ChangePage {
    /// `true` on the last page of a sync: the one with the delta link.
    pub fn is_last(&self) -> bool {
        self.delta_link.is_some()
    }

    /// The ids of the changed rows (by their `primary_id` column) and of the deleted rows.
    pub fn ids<'a>(&'a self, primary_id: &'a str) -> impl Iterator<Item = Uuid> + 'a {
        self.changes.iter().filter_map(move |c| c.id(primary_id))
    }
}

impl fmt::Debug for ChangePage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let link = |l: &Option<String>| {
            l.as_deref()
                .map(|l| l.split(['?', '#']).next().unwrap_or_default().to_string())
        };
        let deleted = self
            .changes
            .iter()
            .filter(|c| matches!(c, Change::Deleted { .. }))
            .count();
        f.debug_struct("ChangePage")
            .field("changed", &(self.changes.len() - deleted))
            .field("deleted", &deleted)
            .field("next_link", &link(&self.next_link))
            .field("delta_link", &link(&self.delta_link))
            .field("is_delta", &self.is_delta)
            .field("count", &self.count)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_parse_infallibly() {
        assert_eq!(
            DeleteReason::from_wire(Some("deleted")),
            DeleteReason::Deleted
        );
        assert_eq!(
            DeleteReason::from_wire(Some("Changed")),
            DeleteReason::Changed
        );
        assert_eq!(DeleteReason::from_wire(None), DeleteReason::Deleted);
        assert_eq!(
            DeleteReason::from_wire(Some("archived")),
            DeleteReason::Unknown("archived".into())
        );
    }

    #[test]
    fn debug_hides_row_values_and_link_queries() {
        let page = ChangePage {
            changes: vec![
                Change::Changed(Record::new().with("name", "Ada Lovelace")),
                Change::Deleted {
                    id: Uuid::nil(),
                    reason: DeleteReason::Deleted,
                },
            ],
            delta_link: Some("https://org/api/data/v9.2/accounts?$deltatoken=secret".into()),
            ..ChangePage::default()
        };
        let shown = format!("{page:?} {:?}", page.changes);
        assert!(!shown.contains("Ada"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("deleted: 1"), "{shown}");
    }
}
