//! Where the sync stands in Graph, as a `change-sync` [`Checkpoint`]: issue 13 asks for "the
//! same checkpoint store as the change tracking issue", and its model fits the users delta
//! query as it is: a page cursor (`@odata.nextLink`) inside a round, a delta cursor
//! (`@odata.deltaLink`) between rounds, a generation per full round and a ledger of known ids
//! to find who a full round no longer returns.
//!
//! The phases as this sync uses them:
//! - `Initial` / `Resync`: a full round (first, or after `--full` or an expired delta link);
//!   the page cursor resumes it.
//! - `Reconcile`: every page of the full round is applied; the known ids it did not return
//!   (marked with an older generation) are still to be treated as removed, then the delta
//!   cursor (held here) becomes current.
//! - `Incremental`: delta rounds; the page cursor resumes one, else the delta cursor starts
//!   the next.
//!
//! Functions only: no IO, so every transition is unit-tested.

use change_sync::{Checkpoint, Phase};

/// Where a run starts reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Start {
    /// A full round from Graph's first page.
    Full,
    /// Follow a stored link: the next page of a full round, or a delta round.
    Link {
        /// The link, as Graph sent it.
        link: String,
        /// Whether it continues a full round.
        full_round: bool,
    },
    /// The full round's pages are applied: only the reconciliation is left.
    Reconcile,
}

/// The checkpoint a run works under, and where it starts. `full` asks for a full round
/// whatever is stored.
pub(crate) fn start(saved: Option<Checkpoint>, full: bool) -> (Checkpoint, Start) {
    let Some(saved) = saved else {
        return (Checkpoint::start(), Start::Full);
    };
    if full {
        return (restart(&saved), Start::Full);
    }
    match saved.phase {
        Phase::Initial | Phase::Resync => match saved.page_cursor.clone() {
            Some(link) => (
                saved,
                Start::Link {
                    link,
                    full_round: true,
                },
            ),
            None => (restart(&saved), Start::Full),
        },
        Phase::Reconcile if saved.delta_cursor.is_some() => (saved, Start::Reconcile),
        Phase::Incremental => match saved.page_cursor.clone().or(saved.delta_cursor.clone()) {
            Some(link) => (
                saved,
                Start::Link {
                    link,
                    full_round: false,
                },
            ),
            None => (restart(&saved), Start::Full),
        },
        // A reconcile without its delta cursor, or a phase of a newer build: start over.
        _ => (restart(&saved), Start::Full),
    }
}

/// A new full round over `current`: the next generation, no cursors. The revision stays,
/// so the first save still checks nobody else wrote since.
pub(crate) fn restart(current: &Checkpoint) -> Checkpoint {
    Checkpoint {
        phase: Phase::Resync,
        page_cursor: None,
        delta_cursor: None,
        generation: current.generation + 1,
        revision: current.revision,
    }
}

/// The checkpoint after a page of `round` is applied, from the page's links.
pub(crate) fn after_page(
    round: &Checkpoint,
    full_round: bool,
    next_link: Option<String>,
    delta_link: Option<String>,
) -> Checkpoint {
    let (phase, page_cursor, delta_cursor) = match (full_round, next_link) {
        (true, Some(next)) => (round.phase, Some(next), None),
        (true, None) => (Phase::Reconcile, None, delta_link),
        (false, Some(next)) => (Phase::Incremental, Some(next), round.delta_cursor.clone()),
        (false, None) => (Phase::Incremental, None, delta_link),
    };
    Checkpoint {
        phase,
        page_cursor,
        delta_cursor,
        ..round.clone()
    }
}

/// The checkpoint once the reconciliation after a full round is applied: delta rounds from
/// the full round's delta link.
pub(crate) fn after_reconcile(reconciling: &Checkpoint) -> Checkpoint {
    Checkpoint {
        phase: Phase::Incremental,
        page_cursor: None,
        ..reconciling.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn a_first_run_is_a_full_round_of_generation_one() {
        let (cp, start) = start(None, false);
        assert_eq!(start, Start::Full);
        assert_eq!(
            (cp.phase, cp.generation, cp.revision),
            (Phase::Initial, 1, 0)
        );
    }

    #[test]
    fn a_full_round_walks_pages_then_reconciles_then_goes_incremental() {
        let (round, _) = start(None, false);
        let p1 = after_page(&round, true, link("next2"), None);
        assert_eq!(
            (p1.phase, p1.page_cursor.as_deref()),
            (Phase::Initial, Some("next2"))
        );
        // A crash here resumes the full round at page 2.
        assert_eq!(
            start(Some(p1.clone().saved()), false).1,
            Start::Link {
                link: "next2".into(),
                full_round: true
            }
        );
        let last = after_page(&p1, true, None, link("delta1"));
        assert_eq!(last.phase, Phase::Reconcile);
        assert_eq!(last.delta_cursor.as_deref(), Some("delta1"));
        assert_eq!(start(Some(last.clone()), false).1, Start::Reconcile);
        let done = after_reconcile(&last);
        assert_eq!(done.phase, Phase::Incremental);
        assert_eq!(
            start(Some(done), false).1,
            Start::Link {
                link: "delta1".into(),
                full_round: false
            }
        );
    }

    #[test]
    fn a_delta_round_keeps_the_old_delta_link_until_its_last_page() {
        let round = Checkpoint {
            phase: Phase::Incremental,
            delta_cursor: link("d1"),
            generation: 3,
            revision: 7,
            page_cursor: None,
        };
        let mid = after_page(&round, false, link("n2"), None);
        assert_eq!(mid.delta_cursor.as_deref(), Some("d1"));
        assert_eq!(
            start(Some(mid.clone()), false).1,
            Start::Link {
                link: "n2".into(),
                full_round: false
            }
        );
        let end = after_page(&mid, false, None, link("d2"));
        assert_eq!(
            (end.page_cursor, end.delta_cursor.as_deref()),
            (None, Some("d2"))
        );
        assert_eq!(end.generation, 3, "delta rounds keep the generation");
    }

    #[test]
    fn full_asks_for_the_next_generation_and_keeps_the_revision() {
        let saved = Checkpoint {
            phase: Phase::Incremental,
            delta_cursor: link("d1"),
            generation: 2,
            revision: 9,
            page_cursor: None,
        };
        let (cp, start) = start(Some(saved), true);
        assert_eq!(start, Start::Full);
        assert_eq!(
            (cp.phase, cp.generation, cp.revision),
            (Phase::Resync, 3, 9)
        );
        assert_eq!(cp.delta_cursor, None);
    }

    #[test]
    fn a_reconcile_without_a_delta_link_starts_over() {
        let broken = Checkpoint {
            phase: Phase::Reconcile,
            delta_cursor: None,
            generation: 1,
            revision: 2,
            page_cursor: None,
        };
        let (cp, start) = start(Some(broken), false);
        assert_eq!((start, cp.generation), (Start::Full, 2));
    }
}
