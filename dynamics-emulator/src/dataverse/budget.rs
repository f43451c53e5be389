//! [`Budget`]: how much work one request may do while it holds the rows' lock. Lambdas
//! (`any`/`all`) and collection-valued `$expand`s visit related rows once per parent row, so
//! nested ones multiply; without a bound a short query could hold the lock for hours. Every row
//! (or many-to-many link) visited through a navigation property spends one unit, and every
//! expanded row rendered [`EXPANDED_ROW_COST`] more; once the budget is spent, navigation finds nothing more and the request is answered 400
//! ([`Budget::error`]) instead of with a partial result.

use std::cell::Cell;

use super::errors::ApiError;
use super::state::DataverseStore;
use super::wire::ApiResponse;

/// Rows one request may visit through navigation properties. A query over the emulator's
/// usual data stays far below it; a combinatorial one (15 nested collection expansions over
/// rows related many-to-many) reaches it within a second or so.
pub(crate) const EVALUATION_BUDGET: u64 = 2_000_000;

/// What rendering one expanded row costs, in rows visited: building its JSON object is far
/// more work (and memory) than looking at a row, so this also bounds the answer's size.
pub(crate) const EXPANDED_ROW_COST: u64 = 10;

/// What is left of one request's budget. It lives beside the rows and is renewed each time the
/// rows' lock is taken.
#[derive(Debug)]
pub(crate) struct Budget {
    left: Cell<u64>,
    exhausted: Cell<bool>,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(EVALUATION_BUDGET)
    }
}

impl Budget {
    /// A budget of `units`.
    pub(crate) fn new(units: u64) -> Self {
        Self {
            left: Cell::new(units),
            exhausted: Cell::new(false),
        }
    }

    /// A budget no request reaches (for the platform's own walks, such as a write replacing a
    /// collection).
    pub(crate) fn unlimited() -> Self {
        Self::new(u64::MAX)
    }

    /// Renews the budget for a new request.
    pub(crate) fn renew(&self) {
        self.left.set(EVALUATION_BUDGET);
        self.exhausted.set(false);
    }

    /// Spends `units`; `false` (and exhausted from then on) when not that many are left.
    pub(crate) fn spend(&self, units: u64) -> bool {
        match self.left.get().checked_sub(units) {
            Some(left) if !self.exhausted.get() => {
                self.left.set(left);
                true
            }
            _ => {
                self.exhausted.set(true);
                false
            }
        }
    }

    /// Whether the request ran out of budget: its answer would be incomplete.
    pub(crate) fn is_exhausted(&self) -> bool {
        self.exhausted.get()
    }

    /// The answer to a request that ran out of budget.
    ///
    /// UNCONFIRMED: the code is the OData layer's 0x80060888 and the wording is the emulator's
    /// own; the service's answer to a query too expensive to run is not documented.
    pub(crate) fn error() -> ApiError {
        ApiError::bad_request(format!(
            "The query is too complex: it would visit more related rows than the emulator \
             allows one request ({EVALUATION_BUDGET}, an expanded row counting \
             {EXPANDED_ROW_COST}) through nested any/all lambdas or collection-valued $expand \
             options. Nest fewer of them, or filter or limit ($top) the related rows."
        ))
    }
}

/// Runs one operation (a request, or a part of a `$batch`) within the budget, as one
/// transaction: an operation that fails, or that runs out of budget after writing (a create
/// whose `return=representation` expands too much), leaves nothing behind, and one that runs
/// out of budget is answered with [`Budget::error`] instead of a partial result. An operation
/// that starts with the budget already spent (a later part of the same batch) is not run.
pub(crate) fn run_within_budget(
    store: &mut DataverseStore,
    operation: impl FnOnce(&mut DataverseStore) -> ApiResponse,
) -> ApiResponse {
    if store.budget.is_exhausted() {
        return ApiResponse::from(Budget::error());
    }
    let outermost = store.data.begin();
    let response = operation(store);
    let exhausted = store.budget.is_exhausted();
    if outermost {
        if exhausted || !response.is_success() {
            store.data.rollback(&store.catalog);
        } else {
            store.data.commit();
        }
    }
    if exhausted {
        ApiResponse::from(Budget::error())
    } else {
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_stops_at_zero_and_renewing_starts_again() {
        let budget = Budget::new(3);
        assert!(budget.spend(1) && budget.spend(2));
        assert!(!budget.is_exhausted());
        assert!(!budget.spend(1));
        assert!(budget.is_exhausted());
        assert!(!budget.spend(0), "once exhausted, always exhausted");
        budget.renew();
        assert!(budget.spend(EXPANDED_ROW_COST) && !budget.is_exhausted());
        assert!(Budget::unlimited().spend(EVALUATION_BUDGET));
        assert_eq!(Budget::error().code, "0x80060888");
    }

    #[test]
    fn an_operation_that_runs_out_of_budget_leaves_nothing_behind() {
        use axum::http::StatusCode;
        use uuid::Uuid;

        use crate::dataverse::seeding::ORG_IDS;
        use crate::dataverse::store::row::Row;

        let mut store = DataverseStore::empty(ORG_IDS).expect("built-in tables");
        let table = store.builtin("account");
        let id = Uuid::new_v4();
        let response = run_within_budget(&mut store, |store| {
            let DataverseStore { catalog, data, .. } = store;
            data.put(catalog, table, id, Row::new(1, []))
                .expect("stored");
            // Rendering the answer spends everything.
            while store.budget.spend(EXPANDED_ROW_COST) {}
            ApiResponse::empty(StatusCode::CREATED)
        });
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert!(store.data.row(table, id).is_none(), "the write was undone");
        // A later operation under the same lock is not run at all.
        let later = run_within_budget(&mut store, |_| unreachable!("not run"));
        assert_eq!(later.status, StatusCode::BAD_REQUEST);
        // With a fresh budget, a successful operation keeps its writes.
        store.budget.renew();
        let kept = run_within_budget(&mut store, |store| {
            let DataverseStore { catalog, data, .. } = store;
            data.put(catalog, table, id, Row::new(1, []))
                .expect("stored");
            ApiResponse::empty(StatusCode::CREATED)
        });
        assert_eq!(kept.status, StatusCode::CREATED);
        assert!(store.data.row(table, id).is_some());
        assert!(store.data.begin(), "no transaction left open");
    }
}
