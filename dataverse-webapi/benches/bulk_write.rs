//! Bulk write throughput under service protection. The emulator (in a child process) enforces
//! a request limit per sliding window plus a latency model; the client writes N leads with
//! `create_many`, knowing none of the limits: its concurrency limiter adapts from
//! `x-ms-dop-hint` and 429s. Prints records/s, the best any client could do under those
//! limits, and the ratio (goal: at least 0.9). Then, if Node.js and `bench/peers` are set up,
//! the `dynamics-web-api` peer does the same work against a fresh emulator with the same
//! settings, and the ratio of the two is printed (goal: at least 3).
//!
//! ```sh
//! cargo bench -p dataverse-webapi --bench bulk_write
//! ```

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use dataverse_webapi::{BulkOptions, Record};

// The combined execution time limit binds: the service admits 10 s of work per 2 s window,
// that is five 250 ms batches in flight. Too little concurrency wastes it; too much draws 429s.
// 60,000 rows is about fifteen windows, so the ratio reflects the steady state rather than the
// first throttling event every client meets.
const ROWS: usize = 60_000;
const WINDOW: Duration = Duration::from_secs(2);
const MAX_REQUESTS: u32 = 100_000;
const MAX_EXECUTION: Duration = Duration::from_secs(10);
const MAX_CONCURRENT: u32 = 52;
const PER_REQUEST: Duration = Duration::from_millis(50);
const PER_OPERATION: Duration = Duration::from_millis(2);
const BATCH: usize = 100;
/// The peer runs one `executeBatch` at a time, as its documentation shows.
const PEER_PARALLEL: &str = "1";

fn spec() -> support::ServerSpec {
    support::ServerSpec {
        limits: Some((WINDOW, MAX_REQUESTS, MAX_EXECUTION, MAX_CONCURRENT)),
        latency: Some((PER_REQUEST, PER_OPERATION)),
        dop_hint: Some(8),
        generated_leads: 0,
    }
}

/// The best rate any client can sustain: the emulator's steady-state ceiling for the best batch
/// size and concurrency (the limits are per window, so there is no burst to exploit beyond the
/// first window's allowance, which a run of several windows amortises).
fn run_ceiling() -> f64 {
    spec()
        .config()
        .ceiling(BATCH as u32, MAX_CONCURRENT)
        .records_per_sec
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if support::serve_if_child() {
        return Ok(());
    }
    let steady = spec().config().ceiling(BATCH as u32, MAX_CONCURRENT);
    let run_ceiling = run_ceiling();

    let ours = {
        let server = support::Server::start(&spec());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let client = support::client(&server.base_url);
            let rows: Vec<Record> = (0..ROWS)
                .map(|i| {
                    Record::new()
                        .with("subject", format!("bench {i}"))
                        .with("lastname", "Bench")
                })
                .collect();
            let started = Instant::now();
            let report = client
                .create_many(
                    "leads",
                    &rows,
                    &BulkOptions {
                        batch_size: BATCH,
                        ..Default::default()
                    },
                )
                .await?;
            let elapsed = started.elapsed();
            if let Some((first, _)) = report.failures().first() {
                return Err(format!(
                    "{} of {ROWS} rows failed, the first at row {first}",
                    report.failures().len()
                )
                .into());
            }
            if report.succeeded() != ROWS {
                return Err(format!("{} outcomes for {ROWS} rows", report.outcomes.len()).into());
            }
            Ok::<_, Box<dyn std::error::Error>>((
                ROWS as f64 / elapsed.as_secs_f64(),
                elapsed,
                client.limiter().limit(),
            ))
        })?
    };

    println!("bulk write benchmark: {ROWS} leads, batches of {BATCH}");
    println!("conditions: {}", support::conditions());
    println!(
        "emulator limits: {MAX_REQUESTS} operations per {WINDOW:?} sliding window, {MAX_EXECUTION:?} execution time per window, \
         {MAX_CONCURRENT} concurrent; latency {PER_REQUEST:?} per request + {PER_OPERATION:?} per operation; x-ms-dop-hint 8"
    );
    println!(
        "  ceiling: {:.0} records/s (bound by {:?}: requests {:.0}/s, execution time {:.0}/s, concurrency {:.0}/s)",
        steady.records_per_sec,
        steady.bound,
        steady.by_requests,
        steady.by_execution_time,
        steady.by_concurrency
    );
    let (rate, elapsed, limit) = ours;
    println!(
        "  dataverse-webapi  {rate:.0} records/s in {elapsed:.2?} (concurrency limit at the end: {limit}); ratio to the ceiling {:.2} (goal: at least 0.9)",
        rate / run_ceiling
    );

    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/peers");
    if !peers.join("node_modules/dynamics-web-api").exists() {
        println!(
            "  dynamics-web-api  skipped: run `npm install` in bench/peers (see bench/peers/README.md)"
        );
        return Ok(());
    }
    let server = support::Server::start(&spec());
    let output = Command::new("node")
        .current_dir(&peers)
        .args([
            "bulk.mjs",
            "--base",
            &server.base_url,
            "--count",
            &ROWS.to_string(),
            "--batch",
            &BATCH.to_string(),
            "--parallel",
            PEER_PARALLEL,
        ])
        .output()?;
    drop(server);
    if !output.status.success() {
        println!(
            "  dynamics-web-api  failed: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        );
        return Ok(());
    }
    let line = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let peer: serde_json::Value = serde_json::from_str(&line)?;
    let peer_rate = peer["recordsPerSecond"].as_f64().unwrap_or(f64::NAN);
    println!(
        "  dynamics-web-api  {peer_rate:.0} records/s (batches of {BATCH}, {PEER_PARALLEL} at a time as its documentation shows, 429 retried by hand after Retry-After)"
    );
    println!(
        "  ratio dataverse-webapi / dynamics-web-api {:.2} (goal: at least 3)",
        rate / peer_rate
    );
    Ok(())
}
