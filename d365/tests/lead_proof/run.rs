//! One run from start to checks: emulator, processes, load, kills, drain, read-back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dynamics_store::{PgStore, SqliteStore, Store};
use lead_writer::{Spool, SpoolOptions};
use tokio::sync::watch;
use uuid::Uuid;

use super::chaos::{self, Watch};
use super::emulator::{fault_mix, start};
use super::fleet::{Process, RetryPolicy, ServeSpec};
use super::load::{LoadProgress, LoadSpec, post_all};
use super::outcome::{Outcome, SpoolCount, count_table};

/// How often the drain is checked.
const DRAIN_POLL: Duration = Duration::from_millis(50);
const DAY_SECONDS: u64 = 24 * 60 * 60;

/// Where the processes' spool lives.
#[derive(Debug, Clone)]
pub(crate) enum SpoolKind {
    /// A SQLite file (one process).
    Sqlite(PathBuf),
    /// A PostgreSQL database URL (shared by every process).
    Postgres(String),
}

impl SpoolKind {
    fn location(&self) -> String {
        match self {
            SpoolKind::Sqlite(path) => path.display().to_string(),
            SpoolKind::Postgres(url) => url.clone(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            SpoolKind::Sqlite(_) => "SQLite",
            SpoolKind::Postgres(_) => "PostgreSQL",
        }
    }
}

/// One run's settings.
#[derive(Debug, Clone)]
pub(crate) struct ProofConfig {
    /// Distinct leads posted.
    pub(crate) leads: usize,
    /// `leads serve` processes on the spool.
    pub(crate) processes: usize,
    /// SIGKILLs per process during the run.
    pub(crate) kills_per_process: u32,
    /// Share of Web API requests that fail (split between 503, drop, slow, 429).
    pub(crate) fault_share: f64,
    /// The delay of a slow answer.
    pub(crate) slow_delay: Duration,
    /// Leads in flight at once from the load generator.
    pub(crate) concurrency: usize,
    /// `--lease-secs` of the processes: how long a killed process's claims stay stranded.
    pub(crate) lease_secs: u64,
    /// The processes' retry flags.
    pub(crate) retry: RetryPolicy,
    /// Seeds the fault sequence and the kill points.
    pub(crate) seed: u64,
    /// The spool.
    pub(crate) spool: SpoolKind,
    /// The `d365` binary.
    pub(crate) binary: PathBuf,
    /// Scratch directory (logs, the SQLite spool); created if missing.
    pub(crate) work_dir: PathBuf,
    /// Bound on the whole run; past it the run fails (not a timing goal).
    pub(crate) limit: Duration,
    /// When the run could cross midnight UTC within this, wait for midnight first (a replay
    /// across it is a new lead by design). Zero: do not wait, only report a crossing.
    pub(crate) midnight_guard: Duration,
    /// Also read the per-lead receive-to-written latencies from the spool.
    pub(crate) write_latencies: bool,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Waits out midnight UTC when it is closer than `guard`.
async fn keep_clear_of_midnight(guard: Duration) {
    let to_midnight = DAY_SECONDS - unix_now() % DAY_SECONDS;
    if guard.is_zero() || to_midnight > guard.as_secs() {
        return;
    }
    eprintln!(
        "waiting {to_midnight} s for midnight UTC: a lead redelivered across it gets a new key by design"
    );
    tokio::time::sleep(Duration::from_secs(to_midnight + 1)).await;
}

/// Runs the proof and returns what it found; the caller checks [`Outcome::check`].
///
/// # Panics
///
/// When the run cannot be set up or does not finish within [`ProofConfig::limit`].
pub(crate) async fn run(config: ProofConfig) -> Outcome {
    keep_clear_of_midnight(config.midnight_guard).await;
    std::fs::create_dir_all(&config.work_dir).expect("the work directory");
    let emulator = Arc::new(start().await);
    let baseline = emulator.seed().row_count("leads");
    let base = emulator
        .base_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let tag = Uuid::new_v4().simple().to_string()[..12].to_owned();
    let spec = ServeSpec {
        binary: config.binary.clone(),
        emulator_url: base,
        tenant: emulator.defaults().tenant_id.to_string(),
        spool: config.spool.location(),
        url_secret: format!("proof-{}", Uuid::new_v4().simple()),
        lease_secs: config.lease_secs,
        retry: config.retry,
        log_dir: config.work_dir.clone(),
        ready_within: Duration::from_secs(60),
    };
    let http = reqwest::Client::new();
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let mut fleet: Vec<Process> = names
        .iter()
        .take(config.processes.clamp(1, names.len()))
        .map(|n| Process::new(n))
        .collect();
    // Faults from the first start on: the writers' start-up reads go through them too.
    emulator.seed().set_fault_injection(fault_mix(
        config.fault_share,
        config.seed,
        config.slow_delay,
    ));
    for process in &mut fleet {
        process.start(&spec, &http).await;
    }

    let progress = Arc::new(LoadProgress::default());
    let load = LoadSpec {
        leads: config.leads,
        concurrency: config.concurrency,
        tag: tag.clone(),
        endpoints: fleet.iter().map(|p| p.intake_url(&spec)).collect(),
    };
    let plan = chaos::plan(fleet.len(), config.kills_per_process, config.seed);
    let watch = Watch {
        emulator: Arc::clone(&emulator),
        progress: Arc::clone(&progress),
        baseline,
        leads: config.leads,
    };
    let (done_tx, done_rx) = watch::channel(false);
    let spool = Spool::open(&config.spool.location(), SpoolOptions::default())
        .await
        .expect("the harness opens the spool");
    let started = Instant::now();
    let first_day = unix_now() / DAY_SECONDS;

    // The load, then the drain, while the chaos task kills and restarts.
    let work = async {
        let loaded = post_all(load, Arc::clone(&progress))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let drained = loop {
            let written = emulator.seed().row_count("leads").saturating_sub(baseline);
            if written >= config.leads {
                let status = spool.status().await.expect("the spool status");
                if status.queue_depth == 0 {
                    break started.elapsed();
                }
            }
            assert!(
                started.elapsed() < config.limit,
                "the run did not finish within {:?}: {written} of {} leads written; spool: {:?}",
                config.limit,
                config.leads,
                spool
                    .status()
                    .await
                    .map(|s| (s.queue_depth, s.parked, s.last_errors)),
            );
            tokio::time::sleep(DRAIN_POLL).await;
        };
        let _ = done_tx.send(true);
        (loaded, drained)
    };
    let chaos = chaos::run(&mut fleet, &spec, plan, watch, done_rx);
    let ((loaded, end_to_end), kills) = tokio::join!(work, chaos);
    for process in &mut fleet {
        process.stop();
    }
    emulator
        .seed()
        .set_fault_injection(dynamics_emulator::FaultInjection::default());

    let mut outcome = Outcome {
        conditions: format!(
            "{} leads, {} `leads serve` process(es) on {}, {:.0}% Web API faults (503, drop, slow {:?}, 429), {} kill -9 per process, lease {} s, retry {}..{} s x{}, {} posting at once, seed {}",
            config.leads,
            fleet.len(),
            config.spool.name(),
            config.fault_share * 100.0,
            config.slow_delay,
            config.kills_per_process,
            config.lease_secs,
            config.retry.initial_secs,
            config.retry.max_secs,
            config.retry.max_attempts,
            config.concurrency,
            config.seed
        ),
        posted: config.leads,
        kills,
        end_to_end_elapsed: end_to_end,
        crossed_midnight: unix_now() / DAY_SECONDS != first_day,
        ..Outcome::default()
    };
    outcome.add_load(loaded);
    outcome.processes = fleet
        .iter()
        .map(|p| (p.name.clone(), p.starts, p.crashes))
        .collect();
    outcome.table = count_table(&emulator.seed().rows("leads"), &tag, config.leads);
    let status = spool.status().await.expect("the spool status");
    outcome.spool = SpoolCount {
        queue_depth: status.queue_depth,
        parked: status.parked,
        dead_letters: status.dead_letters,
        done: status.done,
        last_errors: status.last_errors.iter().map(|e| e.error.clone()).collect(),
    };
    if config.write_latencies {
        outcome.write_latencies = write_latencies(&config.spool).await;
    }
    if let Ok(emulator) = Arc::try_unwrap(emulator) {
        emulator.shutdown().await;
    }
    outcome
}

/// Receive-to-written time of every written lead, from the spool's own columns.
async fn write_latencies(spool: &SpoolKind) -> Vec<Duration> {
    let store = match spool {
        SpoolKind::Sqlite(path) => Store::Sqlite(
            SqliteStore::open(path, Duration::from_secs(5))
                .await
                .expect("the SQLite spool opens"),
        ),
        SpoolKind::Postgres(url) => Store::Postgres(Box::new(
            PgStore::connect(url)
                .await
                .expect("the PostgreSQL spool connects"),
        )),
    };
    let rows = store
        .query(
            "SELECT finished_at - received_at FROM spool_items WHERE state = 'done'",
            Vec::new(),
        )
        .await
        .expect("the spool's times read");
    rows.iter()
        .filter_map(|row| row.i64(0).ok())
        .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
        .collect()
}
