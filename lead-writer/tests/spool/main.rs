//! The spool's behaviour, each scenario run on SQLite and on PostgreSQL (the PostgreSQL runs
//! skip with a line where PostgreSQL is not installed, unless DYNAMICS_REQUIRE_POSTGRES=1).

mod postgres_only;
mod queue;
mod sqlite_only;
mod support;

/// Runs `queue::$scenario` on both backends as `$scenario::sqlite` and `$scenario::postgres`.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                crate::queue::$scenario(crate::support::Backend::sqlite()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(backend) = crate::support::Backend::postgres(stringify!($scenario)).await
                else {
                    return;
                };
                crate::queue::$scenario(backend).await;
            }
        }
    )*};
}

on_both_backends!(
    enqueue_is_durable_and_idempotent,
    claims_are_exclusive_under_concurrency,
    expired_lease_is_reclaimed_and_the_old_holder_refused,
    only_the_lease_holder_may_complete,
    failures_back_off_with_the_injected_clock_then_park,
    retry_parked_puts_back_what_the_filter_selects,
    status_counts_every_state,
    dead_letters_keep_body_and_reason,
    newer_schema_is_refused,
    a_batch_is_stored_at_once_with_duplicates_answered,
    a_renewed_lease_keeps_the_item,
    many_leases_are_renewed_at_once_for_their_holder_only,
    an_item_whose_workers_keep_dying_is_parked,
    purging_removes_only_old_written_items,
);
