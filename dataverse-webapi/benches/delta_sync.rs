//! Change tracking at scale: an initial delta sync of 1,000,000 leads, then 100,000 changes
//! (creates, updates, deletes) and the delta sync of them, through
//! `client.table("leads").changes()`, beside `dynamics-web-api`'s `trackChanges` (the
//! `bench/peers/delta.mjs` script) against the same emulator. Prints rows/s per phase and the
//! peak resident memory of each client (goal: under 64 MiB for ours, and at least twice the
//! peer's rate).
//!
//! ```sh
//! cargo bench -p dataverse-webapi --bench delta_sync                    # 1,000,000 rows
//! cargo bench -p dataverse-webapi --bench delta_sync -- --quick         # 50,000 rows
//! cargo bench -p dataverse-webapi --bench delta_sync -- --rows 200000 --changes 20000 \
//!     --page-size 5000 --peer pages --rounds 3  # --peer pages,all (default) | pages | all | none
//! ```
//!
//! `--rounds N` runs each phase N times, ours and the peer's in turn, and keeps the best rate
//! of each (the machine is shared; a burst of load elsewhere then hits both).
//!
//! Processes: the emulator runs in a child process (see `support`), the changes are written by
//! another child (this binary again, in the writer role) through the bulk API, and each peer
//! phase is its own Node process; so this process holds only our client, and its peak
//! resident memory (`VmHWM`, reset through `/proc/self/clear_refs` before each phase) is the
//! client's alone. The emulator child's CPU time per row is printed beside each run: the
//! service's share, the same for both clients, which on a busy machine bounds how far apart
//! their rates can be. Rows are consumed as a sync would and dropped: counted as changed or
//! deleted and folded into a checksum of ids, which both clients must agree on.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use dataverse_webapi::changes::Change;
use dataverse_webapi::{DataverseClient, RecordKey};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The writer child's role variable: `base_url,creates,updates,deletes`.
const WRITER: &str = "DELTA_BENCH_WRITER";
/// The table (leads are change-tracked in the emulator, as in a Syncari setup).
const ENTITY_SET: &str = "leads";
const PRIMARY_ID: &str = "leadid";
/// The columns a sync keeps (the peer selects the same).
const SELECT: [&str; 6] = [
    "subject",
    "firstname",
    "lastname",
    "emailaddress1",
    "companyname",
    "telephone1",
];
/// The largest page Dataverse serves (Learn: "Use change tracking…": pages of 5000).
const PAGE_SIZE: u32 = 5000;

/// What one sync saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    changed: u64,
    deleted: u64,
    /// Wrapping sum over the rows of the XOR of the id's four 32-bit words (order-free, so
    /// both clients can compute it the same way).
    checksum: u32,
}

impl Tally {
    fn add(&mut self, change: &Change) -> Result<(), BoxError> {
        let id = change
            .id(PRIMARY_ID)
            .ok_or("a changed row came without its leadid")?;
        match change {
            Change::Deleted { .. } => self.deleted += 1,
            _ => self.changed += 1,
        }
        let v = id.as_u128();
        let word = (v >> 96) as u32 ^ (v >> 64) as u32 ^ (v >> 32) as u32 ^ v as u32;
        self.checksum = self.checksum.wrapping_add(word);
        Ok(())
    }

    fn rows(&self) -> u64 {
        self.changed + self.deleted
    }
}

/// One client's run of one phase.
#[derive(Debug, Clone)]
struct Run {
    tally: Tally,
    seconds: f64,
    /// CPU time of the client's process during the phase (user + system, all threads).
    cpu_seconds: f64,
    /// CPU time of the emulator's process during the phase: the service's share of the
    /// work, the same for both clients, which bounds how far apart their rates can be.
    server_cpu_seconds: f64,
    peak_mib: f64,
    pages: Option<u64>,
    delta_link: Option<String>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.tally.rows() as f64 / self.seconds
    }

    /// Client CPU microseconds per row: the client's own cost, whatever the server's speed.
    fn cpu_us_per_row(&self) -> f64 {
        self.cpu_seconds * 1e6 / self.tally.rows() as f64
    }

    /// Emulator CPU microseconds per row.
    fn server_us_per_row(&self) -> f64 {
        self.server_cpu_seconds * 1e6 / self.tally.rows() as f64
    }
}

struct Settings {
    rows: usize,
    changes: usize,
    page_size: u32,
    peer_pages: bool,
    peer_all: bool,
    /// Rounds of each phase, ours and the peer's alternating; the best of each is kept.
    rounds: usize,
}

impl Settings {
    fn from_args() -> Result<Settings, BoxError> {
        let args: Vec<String> = std::env::args().collect();
        let value = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let number = |name: &str, fallback: usize| -> Result<usize, BoxError> {
            match value(name) {
                Some(text) => text
                    .replace(['_', ','], "")
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        format!("{name} wants a positive whole number, not {text:?}").into()
                    }),
                None => Ok(fallback),
            }
        };
        let quick = args.iter().any(|a| a == "--quick");
        let rows = number("--rows", if quick { 50_000 } else { 1_000_000 })?;
        let changes = number("--changes", if quick { 5_000 } else { 100_000 })?;
        let page_size = number("--page-size", PAGE_SIZE as usize)?;
        let rounds = number("--rounds", 1)?;
        let page_size = u32::try_from(page_size)
            .ok()
            .filter(|p| *p <= PAGE_SIZE)
            .ok_or_else(|| format!("--page-size is at most {PAGE_SIZE} (the service's maximum)"))?;
        if changes > rows {
            return Err(format!(
                "--changes ({changes}) is more than --rows ({rows}): updates and deletes need existing rows"
            )
            .into());
        }
        let peer = value("--peer").unwrap_or_else(|| "pages,all".into());
        let modes: Vec<&str> = peer.split(',').map(str::trim).collect();
        if let Some(bad) = modes
            .iter()
            .find(|m| !matches!(**m, "pages" | "all" | "none"))
        {
            return Err(format!("--peer wants pages, all, pages,all or none, not {bad:?}").into());
        }
        Ok(Settings {
            rows,
            changes,
            page_size,
            peer_pages: modes.contains(&"pages"),
            peer_all: modes.contains(&"all"),
            rounds,
        })
    }

    /// The mix of changes: 40% creates, 40% updates, 20% deletes.
    fn mix(&self) -> (usize, usize, usize) {
        let creates = self.changes * 2 / 5;
        let updates = self.changes * 2 / 5;
        (creates, updates, self.changes - creates - updates)
    }
}

fn main() -> Result<(), BoxError> {
    if support::serve_if_child() {
        return Ok(());
    }
    if let Ok(spec) = std::env::var(WRITER) {
        return write_changes(&spec);
    }
    let settings = Settings::from_args()?;
    let (creates, updates, deletes) = settings.mix();
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/peers");
    let peer_ready = peers.join("node_modules/dynamics-web-api").exists()
        && (settings.peer_pages || settings.peer_all);

    println!(
        "delta sync benchmark: {} leads, then {} changes ({creates} creates, {updates} updates, {deletes} deletes); \
         $select of {} columns, pages of {}, best of {} round(s)",
        settings.rows,
        settings.changes,
        SELECT.len(),
        settings.page_size,
        settings.rounds
    );
    println!("conditions: {}", support::conditions());
    println!("load average at start: {}", support::load_average());

    let server = support::Server::start(&support::ServerSpec {
        generated_leads: settings.rows,
        ..Default::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client = support::client(&server.base_url);
    // The Syncari setup step; leads are tracked already, so this only reads the definition.
    let outcome = runtime.block_on(client.metadata().enable_change_tracking("lead"))?;
    println!("change tracking on leads: {outcome:?}");

    // Rounds alternate ours and the peer, so a burst of load elsewhere hits both; each keeps
    // its best rate (and its highest peak memory). A delta link can be read again, so the
    // delta phase repeats too.
    let mut problems = Vec::new();
    let mut ours_initial: Option<Run> = None;
    let mut peer_initial = None;
    let mut peer_initial_all = None;
    for round in 1..=settings.rounds {
        let run = runtime.block_on(sync(&client, None, settings.page_size, server.pid()))?;
        print_run("ours", "initial", &run);
        keep_best(&mut ours_initial, run, &mut problems);
        if peer_ready && settings.peer_pages {
            let run = run_peer(&peers, &server, settings.page_size, "pages", None)?;
            print_run("peer (pages)", "initial", &run);
            keep_best(&mut peer_initial, run, &mut problems);
        }
        // retrieveAll holds every row: one run shows its cost.
        if peer_ready && settings.peer_all && round == 1 {
            let run = run_peer(&peers, &server, settings.page_size, "all", None)?;
            print_run("peer (retrieveAll)", "initial", &run);
            peer_initial_all = Some(run);
        }
    }
    let ours_initial = ours_initial.ok_or("no round ran")?;

    let written = write_through_child(&server.base_url, creates, updates, deletes)?;
    println!("changes written by another process in {written:.1?}");

    let ours_link = ours_initial
        .delta_link
        .clone()
        .ok_or("our initial sync ended without a delta link")?;
    // The peer's own delta link (from its page-by-page run, or else its retrieveAll run).
    let peer_link = peer_initial
        .as_ref()
        .or(peer_initial_all.as_ref())
        .and_then(|r| r.delta_link.clone());
    let mut ours_delta: Option<Run> = None;
    let mut peer_delta = None;
    for _ in 0..settings.rounds {
        let run = runtime.block_on(sync(
            &client,
            Some(&ours_link),
            settings.page_size,
            server.pid(),
        ))?;
        print_run("ours", "delta", &run);
        keep_best(&mut ours_delta, run, &mut problems);
        if let Some(link) = &peer_link {
            let run = run_peer(&peers, &server, settings.page_size, "pages", Some(link))?;
            print_run("peer (pages)", "delta", &run);
            keep_best(&mut peer_delta, run, &mut problems);
        }
    }
    let ours_delta = ours_delta.ok_or("no round ran")?;
    println!("load average at end: {}", support::load_average());

    let expected_delta = (creates + updates) as u64;
    if ours_delta.tally.changed != expected_delta || ours_delta.tally.deleted != deletes as u64 {
        problems.push(format!(
            "our delta saw {} changed and {} deleted, expected {expected_delta} and {deletes}",
            ours_delta.tally.changed, ours_delta.tally.deleted
        ));
    }
    if ours_initial.tally.changed < settings.rows as u64 {
        problems.push(format!(
            "our initial sync saw {} rows, fewer than the {} seeded",
            ours_initial.tally.changed, settings.rows
        ));
    }
    for (name, ours, peer) in [
        ("initial (pages)", &ours_initial, &peer_initial),
        ("initial (retrieveAll)", &ours_initial, &peer_initial_all),
        ("delta", &ours_delta, &peer_delta),
    ] {
        if let Some(peer) = peer
            && peer.tally != ours.tally
        {
            problems.push(format!(
                "{name}: ours saw {:?}, the peer {:?}",
                ours.tally, peer.tally
            ));
        }
    }

    print_table(
        &settings,
        [
            (
                "initial sync",
                &ours_initial,
                &peer_initial,
                &peer_initial_all,
            ),
            ("delta sync", &ours_delta, &peer_delta, &None),
        ],
    );
    if !peer_ready {
        println!(
            "peer skipped (--peer none, or run `npm install` in bench/peers: see bench/peers/README.md)"
        );
    }
    if problems.is_empty() {
        println!("check: both clients saw the same rows (counts and id checksum)");
        Ok(())
    } else {
        for problem in &problems {
            println!("MISMATCH: {problem}");
        }
        Err(format!("{} mismatches", problems.len()).into())
    }
}

/// One sync through the change stream, from scratch or from a delta link; every page is
/// consumed and dropped. The peak memory is of this phase only.
async fn sync(
    client: &DataverseClient,
    from: Option<&str>,
    page_size: u32,
    server_pid: u32,
) -> Result<Run, BoxError> {
    reset_peak_rss();
    let mut changes = client
        .table(ENTITY_SET)
        .changes()
        .select(SELECT)
        .max_page_size(page_size);
    if let Some(link) = from {
        changes = changes.from_link(link);
    }
    let started = Instant::now();
    let cpu_before = cpu_seconds("self");
    let server_before = cpu_seconds(&server_pid.to_string());
    let mut stream = std::pin::pin!(changes.pages());
    let mut tally = Tally::default();
    let mut pages = 0;
    let mut delta_link = None;
    while let Some(page) = stream.try_next().await? {
        pages += 1;
        for change in &page.changes {
            tally.add(change)?;
        }
        if page.delta_link.is_some() {
            delta_link = page.delta_link;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let server_cpu_seconds = cpu_seconds(&server_pid.to_string()) - server_before;
    let cpu_seconds = cpu_seconds("self") - cpu_before;
    Ok(Run {
        tally,
        seconds,
        cpu_seconds,
        server_cpu_seconds,
        peak_mib: support::peak_rss_mib().unwrap_or(f64::NAN),
        pages: Some(pages),
        delta_link,
    })
}

/// Keeps the faster of two runs of the same phase, with the higher peak memory of the two;
/// runs that saw different rows are a problem.
fn keep_best(best: &mut Option<Run>, run: Run, problems: &mut Vec<String>) {
    let Some(kept) = best else {
        *best = Some(run);
        return;
    };
    if kept.tally != run.tally {
        problems.push(format!(
            "two rounds of one phase saw {:?} and {:?}",
            kept.tally, run.tally
        ));
    }
    let peak_mib = kept.peak_mib.max(run.peak_mib);
    if run.rate() > kept.rate() {
        *kept = run;
    }
    kept.peak_mib = peak_mib;
}

/// Resets this process's peak resident memory (`VmHWM`) to its current size (Linux
/// `clear_refs` value 5); elsewhere the peak stays the process's lifetime peak.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU time a process has used (`process` is `self` or a pid; Linux `/proc/{process}/stat`
/// utime + stime, in clock ticks of 1/100 s, the `USER_HZ` of mainstream Linux builds); NaN
/// elsewhere.
fn cpu_seconds(process: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{process}/stat")) else {
        return f64::NAN;
    };
    // The fields after the command name (which may hold spaces) close with ')'.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

/// One run of the Node peer (`bench/peers/delta.mjs`).
fn run_peer(
    peers: &Path,
    server: &support::Server,
    page_size: u32,
    mode: &str,
    from: Option<&str>,
) -> Result<Run, BoxError> {
    let base_url = server.base_url.as_str();
    let mut command = Command::new("node");
    command.current_dir(peers).args([
        "delta.mjs",
        "--base",
        base_url,
        "--page-size",
        &page_size.to_string(),
        "--mode",
        mode,
        "--select",
        &SELECT.join(","),
    ]);
    if let Some(link) = from {
        command.args(["--from", link]);
    }
    let server_pid = server.pid().to_string();
    let server_before = cpu_seconds(&server_pid);
    let output = command.output()?;
    // Node's start-up costs the emulator nothing; its one untimed WhoAmI is negligible.
    let server_cpu_seconds = cpu_seconds(&server_pid) - server_before;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "the peer ({mode}) failed: {}",
            stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("node failed")
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| format!("the peer printed no JSON line ({e}): {line:?}"))?;
    let count = |key: &str| answer[key].as_u64().unwrap_or(0);
    Ok(Run {
        tally: Tally {
            changed: count("changed"),
            deleted: count("deleted"),
            checksum: count("checksum") as u32,
        },
        seconds: answer["seconds"].as_f64().unwrap_or(f64::NAN),
        cpu_seconds: answer["cpuSeconds"].as_f64().unwrap_or(f64::NAN),
        server_cpu_seconds,
        peak_mib: answer["peakRssMiB"].as_f64().unwrap_or(f64::NAN),
        pages: answer["pages"].as_u64(),
        delta_link: answer["deltaLink"].as_str().map(str::to_string),
    })
}

/// Runs the writer role in a child process, so its memory never counts as the client's.
fn write_through_child(
    base_url: &str,
    creates: usize,
    updates: usize,
    deletes: usize,
) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let output = Command::new(std::env::current_exe()?)
        .env(WRITER, format!("{base_url},{creates},{updates},{deletes}"))
        .output()?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr);
        return Err(format!("the writer failed: {}", text.trim()).into());
    }
    Ok(started.elapsed())
}

/// The writer role: another user's creates, updates and deletes, through the bulk API
/// (`CreateMultiple`, `UpdateMultiple`, deletes in `$batch`). Updates and deletes take
/// distinct existing leads, so the delta holds exactly `creates + updates` changed rows and
/// `deletes` deleted ones.
fn write_changes(spec: &str) -> Result<(), BoxError> {
    let parts: Vec<&str> = spec.split(',').collect();
    let [base_url, creates, updates, deletes] = parts[..] else {
        return Err(format!("{WRITER} wants base_url,creates,updates,deletes").into());
    };
    let (creates, updates, deletes): (usize, usize, usize) =
        (creates.parse()?, updates.parse()?, deletes.parse()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = support::client(base_url);
        let table = client.table(ENTITY_SET);
        let ids: Vec<uuid::Uuid> = table
            .query()
            .select([PRIMARY_ID])
            .max_page_size(PAGE_SIZE)
            .records()
            .take(updates + deletes)
            .map(|r| {
                r.map_err(BoxError::from).and_then(|r| {
                    r.get_guid(PRIMARY_ID)
                        .ok_or_else(|| BoxError::from("a lead came without its leadid"))
                })
            })
            .try_collect()
            .await?;
        if ids.len() < updates + deletes {
            return Err(format!("only {} leads to update and delete", ids.len()).into());
        }
        let new_rows: Vec<serde_json::Value> = (0..creates)
            .map(|n| {
                json!({
                    "subject": format!("Delta lead {n}"),
                    "firstname": "Delta",
                    "lastname": format!("Created {n}"),
                    "emailaddress1": format!("delta{n}@example.com"),
                    "companyname": "Contoso",
                })
            })
            .collect();
        let report = table.create_many(&new_rows).send().await?;
        check(report.all_succeeded(), "creates")?;
        let changed: Vec<(RecordKey, serde_json::Value)> = ids[..updates]
            .iter()
            .enumerate()
            .map(|(n, id)| {
                (
                    RecordKey::from(*id),
                    json!({ "subject": format!("Updated lead {n}"), "jobtitle": "Changed" }),
                )
            })
            .collect();
        let report = table.update_many(&changed).send().await?;
        check(report.all_succeeded(), "updates")?;
        let gone: Vec<RecordKey> = ids[updates..]
            .iter()
            .copied()
            .map(RecordKey::from)
            .collect();
        let report = table.delete_many(&gone).send().await?;
        check(report.all_succeeded(), "deletes")?;
        Ok(())
    })
}

fn check(ok: bool, what: &str) -> Result<(), BoxError> {
    if ok {
        Ok(())
    } else {
        Err(format!("some {what} failed").into())
    }
}

fn print_run(client: &str, phase: &str, run: &Run) {
    println!(
        "  {client:<20} {phase:<8} {:>9} changed {:>7} deleted in {:>7.2}s = {:>9.0} rows/s, client CPU {:>6.2}s ({:.2} us/row), emulator CPU {:.2} us/row, peak RSS {:>7.1} MiB{}",
        run.tally.changed,
        run.tally.deleted,
        run.seconds,
        run.rate(),
        run.cpu_seconds,
        run.cpu_us_per_row(),
        run.server_us_per_row(),
        run.peak_mib,
        run.pages
            .map(|p| format!(", {p} pages"))
            .unwrap_or_default()
    );
}

fn print_table(settings: &Settings, rows: [(&str, &Run, &Option<Run>, &Option<Run>); 2]) {
    println!();
    println!(
        "| phase | rows | ours rows/s | peer rows/s (pages) | ours / peer | ours CPU us/row | peer CPU us/row | emulator CPU us/row, ours / peer | ours peak MiB | peer peak MiB (pages) | peer retrieveAll rows/s, peak MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (phase, ours, peer, all) in rows {
        let (peer_rate, ratio, peer_cpu, peer_server, peer_mib) = match peer {
            Some(p) => (
                format!("{:.0}", p.rate()),
                format!("{:.2}", ours.rate() / p.rate()),
                format!("{:.2}", p.cpu_us_per_row()),
                format!("{:.2}", p.server_us_per_row()),
                format!("{:.1}", p.peak_mib),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into(), "-".into()),
        };
        let all = all
            .as_ref()
            .map(|a| format!("{:.0}, {:.1}", a.rate(), a.peak_mib))
            .unwrap_or_else(|| "-".into());
        println!(
            "| {phase} | {} | {:.0} | {peer_rate} | {ratio} | {:.2} | {peer_cpu} | {:.2} / {peer_server} | {:.1} | {peer_mib} | {all} |",
            ours.tally.rows(),
            ours.rate(),
            ours.cpu_us_per_row(),
            ours.server_us_per_row(),
            ours.peak_mib,
        );
    }
    println!(
        "goals: ours under 64 MiB in both phases, and at least 2x the peer's rows/s (page size {}, {} seeded rows)",
        settings.page_size, settings.rows
    );
}
