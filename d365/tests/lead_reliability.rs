//! The lead writer's reliability proof in the reduced form CI runs (issue 12 §3): 2,000
//! distinct leads posted concurrently to `d365 leads serve` processes, the emulator failing
//! 20% of the Web API requests (503s, dropped connections, slow answers, 429s), each process
//! killed with SIGKILL three times at random points and restarted; afterwards the lead table
//! holds every lead exactly once and the spool is empty. Two processes sharing PostgreSQL,
//! and one on SQLite. The full form (100,000 leads) is `cargo bench -p d365 --bench leads --
//! reliability`.
//!
//! Nothing here is timed: the limit only bounds a hung run. The kill points and the fault
//! sequence are seeded; where they land still depends on the machine's speed, and every
//! placement must pass.

mod lead_proof;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lead_proof::{ProofConfig, RetryPolicy, SpoolKind, run};

const LEADS: usize = 2_000;

fn config(spool: SpoolKind, processes: usize, work_dir: PathBuf) -> ProofConfig {
    ProofConfig {
        leads: LEADS,
        processes,
        kills_per_process: 3,
        fault_share: 0.20,
        slow_delay: Duration::from_millis(500),
        concurrency: 32,
        // A killed process's claims wait this long for another writer: short, so the drain
        // does not wait out the two-minute default.
        lease_secs: 5,
        // Quick retries, so the drain does not wait out the ten-second first back-off, and
        // room for the attempts a 20% fault storm costs (the default parks after 10).
        retry: RetryPolicy {
            initial_secs: 1,
            max_secs: 4,
            max_attempts: 50,
        },
        seed: 12,
        spool,
        binary: PathBuf::from(env!("CARGO_BIN_EXE_d365")),
        work_dir,
        limit: Duration::from_secs(240),
        midnight_guard: Duration::from_secs(240),
        write_latencies: false,
    }
}

/// A fresh scratch directory under Cargo's target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lead-reliability-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgresql_lose_and_duplicate_nothing_through_faults_and_kills() {
    let Some(url) = test_postgres::fresh_database("lead_reliability").await else {
        return;
    };
    let dir = scratch("pg");
    let outcome = run(config(SpoolKind::Postgres(url), 2, dir.clone())).await;
    println!("{outcome}");
    outcome.check().unwrap_or_else(|e| panic!("{e}\n{outcome}"));
    assert_eq!(outcome.kills.len(), 6, "{outcome}");
    if std::env::var_os("LEAD_PROOF_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_on_sqlite_loses_and_duplicates_nothing_through_faults_and_kills() {
    let dir = scratch("sqlite");
    let spool = SpoolKind::Sqlite(dir.join("spool.db"));
    let outcome = run(config(spool, 1, dir.clone())).await;
    println!("{outcome}");
    outcome.check().unwrap_or_else(|e| panic!("{e}\n{outcome}"));
    assert_eq!(outcome.kills.len(), 3, "{outcome}");
    if std::env::var_os("LEAD_PROOF_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(dir);
    }
}
