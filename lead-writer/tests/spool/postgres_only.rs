//! What only the PostgreSQL backend has: a server connection that can break.

use lead_writer::spool::{ManualClock, SpoolBackend};
use tokio_postgres::NoTls;

use crate::support::{Backend, lead, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_connection_is_replaced_on_the_next_call() {
    let Some(backend) = Backend::postgres("reconnect").await else {
        return;
    };
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    assert_eq!(spool.backend(), SpoolBackend::Postgres);
    let location = spool.location();
    assert!(
        location.contains(':') && !location.contains('@'),
        "{location}"
    );
    spool.enqueue(&lead(1)).await.unwrap();

    // The server ends the spool's session, as a restart or failover would.
    let (admin, connection) = tokio_postgres::connect(&backend.location, NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let ended = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(ended.len(), 1, "the spool had one session");

    // The call that meets the dead session may fail (a storage error the caller retries);
    // the spool then connects again by itself.
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let outcome = spool.enqueue(&lead(2)).await;
        let ok = outcome.is_ok();
        outcomes.push(outcome);
        if ok {
            break;
        }
    }
    let last = outcomes.pop().unwrap();
    assert!(last.is_ok(), "no reconnect: {last:?} after {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Err(lead_writer::SpoolError::Storage(_)))),
        "{outcomes:?}"
    );
    assert_eq!(spool.status().await.unwrap().pending, 2);
}
