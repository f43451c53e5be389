//! The lead writer under load (issue 12 §3), with `d365 leads serve` processes spawned from
//! the binary Cargo built for this bench and the emulator in this process.
//!
//! ```sh
//! # Reliability, not timed: 100,000 leads, 20% faults, three kill -9 per process;
//! # two processes on PostgreSQL, then one on SQLite. Prints the counts; fails on a loss
//! # or a duplicate.
//! cargo bench -p d365 --bench leads -- reliability
//! cargo bench -p d365 --bench leads -- reliability --leads 10000 --backend sqlite
//! # Throughput: intake acknowledgements/s and end-to-end leads/s with p50/p99 latencies,
//! # no faults and no kills, on SQLite (one process) and PostgreSQL (two processes).
//! cargo bench -p d365 --bench leads -- throughput --leads 20000
//! ```
//!
//! PostgreSQL comes from `test-postgres`: `DYNAMICS_TEST_POSTGRES_URL`, or a private cluster
//! started from the installed binaries (with `fsync=off`, which the printed conditions say).

#[path = "../tests/lead_proof/mod.rs"]
mod lead_proof;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use lead_proof::{Outcome, ProofConfig, RetryPolicy, SpoolKind, run};

#[derive(Debug, Parser)]
#[command(about = "The lead writer's reliability proof and throughput benchmark")]
struct Args {
    #[command(subcommand)]
    mode: Mode,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, global = true, hide = true)]
    bench: bool,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Faults and kill -9 during the run; prints the counts and fails on a loss or duplicate
    Reliability(Common),
    /// No faults, no kills; prints rates and latencies
    Throughput(Common),
}

#[derive(Debug, Clone, clap::Args)]
struct Common {
    /// Distinct leads posted [default: 100000 for reliability, 20000 for throughput]
    #[arg(long)]
    leads: Option<usize>,
    /// Which spools to run
    #[arg(long, value_enum, default_value_t = Backend::Both)]
    backend: Backend,
    /// `leads serve` processes sharing the PostgreSQL spool (SQLite always has one)
    #[arg(long, default_value_t = 2)]
    pg_processes: usize,
    /// Leads in flight at once from the load generator
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// kill -9 per process (reliability)
    #[arg(long, default_value_t = 3)]
    kills: u32,
    /// Share of Web API requests failing (reliability)
    #[arg(long, default_value_t = 0.20)]
    faults: f64,
    /// Delay of a slow answer in milliseconds (reliability)
    #[arg(long, default_value_t = 2000)]
    slow_ms: u64,
    /// `--lease-secs` of the processes
    #[arg(long, default_value_t = 10)]
    lease_secs: u64,
    /// `--retry-initial-secs` of the processes
    #[arg(long, default_value_t = 1)]
    retry_initial_secs: u64,
    /// `--retry-max-secs` of the processes
    #[arg(long, default_value_t = 8)]
    retry_max_secs: u64,
    /// `--max-attempts` of the processes
    #[arg(long, default_value_t = 50)]
    max_attempts: u32,
    /// Seed of the faults and kill points
    #[arg(long, default_value_t = 12)]
    seed: u64,
    /// Bound on one run in seconds (a hung run fails; not a timing goal)
    #[arg(long, default_value_t = 3600)]
    limit_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
    Both,
}

/// How the numbers were taken.
fn conditions() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release (bench profile)"
    };
    let postgres = match std::env::var(test_postgres::URL_ENV) {
        Ok(url) if !url.trim().is_empty() => "PostgreSQL from DYNAMICS_TEST_POSTGRES_URL",
        _ => "PostgreSQL: test-postgres private cluster, fsync=off (commits are not flushed)",
    };
    // Other work on the machine skews every number; say how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    format!(
        "conditions: {cores} cores shared by the emulator, the load generator, the `leads serve` \
         processes and other work (load average {load} at start; timings are noisy); build \
         {profile}; loopback HTTP; SQLite spool synchronous=FULL on the local disk; {postgres}"
    )
}

async fn one(common: &Common, reliability: bool, spool: SpoolKind, processes: usize) -> Outcome {
    let leads = common
        .leads
        .unwrap_or(if reliability { 100_000 } else { 20_000 });
    let work_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "leads-bench-{}-{}",
        std::process::id(),
        match spool {
            SpoolKind::Sqlite(_) => "sqlite",
            SpoolKind::Postgres(_) => "pg",
        }
    ));
    let _ = std::fs::remove_dir_all(&work_dir);
    let spool = match spool {
        SpoolKind::Sqlite(_) => SpoolKind::Sqlite(work_dir.join("spool.db")),
        other => other,
    };
    let config = ProofConfig {
        leads,
        processes,
        kills_per_process: if reliability { common.kills } else { 0 },
        fault_share: if reliability { common.faults } else { 0.0 },
        slow_delay: Duration::from_millis(common.slow_ms),
        concurrency: common.concurrency,
        lease_secs: common.lease_secs,
        retry: RetryPolicy {
            initial_secs: common.retry_initial_secs,
            max_secs: common.retry_max_secs,
            max_attempts: common.max_attempts,
        },
        seed: common.seed,
        spool,
        binary: PathBuf::from(env!("CARGO_BIN_EXE_d365")),
        work_dir: work_dir.clone(),
        limit: Duration::from_secs(common.limit_secs),
        // A long run is not held back for midnight; a crossing is reported instead.
        midnight_guard: Duration::ZERO,
        write_latencies: !reliability,
    };
    let outcome = run(config).await;
    let _ = std::fs::remove_dir_all(&work_dir);
    outcome
}

fn main() {
    let args = Args::parse();
    let (common, reliability) = match &args.mode {
        Mode::Reliability(c) => (c.clone(), true),
        Mode::Throughput(c) => (c.clone(), false),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!("{}", conditions());
    let mut failed = false;
    runtime.block_on(async {
        if common.backend != Backend::Sqlite {
            match test_postgres::fresh_database("leads_bench").await {
                Some(url) => {
                    let outcome = one(
                        &common,
                        reliability,
                        SpoolKind::Postgres(url),
                        common.pg_processes,
                    )
                    .await;
                    failed |= report(&outcome, reliability);
                }
                None => println!("PostgreSQL skipped: not installed"),
            }
        }
        if common.backend != Backend::Postgres {
            let outcome = one(&common, reliability, SpoolKind::Sqlite(PathBuf::new()), 1).await;
            failed |= report(&outcome, reliability);
        }
    });
    if failed {
        std::process::exit(1);
    }
}

/// Prints a run; `true` when its checks failed.
fn report(outcome: &Outcome, reliability: bool) -> bool {
    println!("{outcome}");
    match outcome.check() {
        Ok(()) if reliability => {
            println!("  RESULT: exactly {} leads, each once", outcome.posted);
            false
        }
        Ok(()) => false,
        Err(why) => {
            println!("  RESULT: FAILED: {why}");
            true
        }
    }
}
