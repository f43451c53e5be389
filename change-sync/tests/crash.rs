//! Crash test: the `change-sync-mirror` binary mirrors `accounts` into a SQLite file while
//! this process makes creates, updates and deletes at the emulator (which runs here, so it
//! survives); the child is killed with SIGKILL 20 times and started again: once between the
//! pages of the initial sync, once between the pages of the full resync that follows an
//! expired token (`0x80044352`), the others at random points. The phase of the checkpoint
//! at each kill is recorded and must span the initial sync, the resync and deltas; the
//! binary's own counts (committed with its batches) must show the resync and at least the
//! reconciled deletes of rows it had mirrored that were deleted while the token expired.
//! At the end a last run catches up and the mirror must equal the source exactly.
//!
//! The CI form makes 3,000 changes; the full form (50,000 changes) is
//! `cargo test -p change-sync --test crash -- --ignored`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dataverse_webapi::DataverseClient;
use dynamics_emulator::Emulator;
use dynamics_store::{SqliteStore, Store};
use futures::StreamExt;
use rand::Rng;
use serde_json::json;
use tokio::sync::Mutex;
use uuid::Uuid;

const KILLS: usize = 20;
/// The kill that lands in the resync (the token expires just before its child starts).
const RESYNC_KILL: usize = KILLS / 2;
/// Rows a page: small, so a full sync spans many pages and a kill can land between them.
const PAGE_SIZE: &str = "50";

fn child(emulator: &Emulator, db: &Path, exit_when_idle: bool) -> Child {
    let seed = emulator.defaults();
    Command::new(env!("CARGO_BIN_EXE_change-sync-mirror"))
        .env("CHANGE_SYNC_ORG_URL", seed.dataverse_url.as_str())
        .env("CHANGE_SYNC_AUTHORITY", emulator.base_url().as_str())
        .env("CHANGE_SYNC_TENANT", seed.tenant_id.to_string())
        .env("CHANGE_SYNC_CLIENT_ID", seed.client_id.to_string())
        .env("CHANGE_SYNC_CLIENT_SECRET", &seed.client_secret)
        .env("CHANGE_SYNC_DB", db)
        .env("CHANGE_SYNC_PAGE_SIZE", PAGE_SIZE)
        .env("CHANGE_SYNC_POLL_MS", "20")
        .env(
            "CHANGE_SYNC_EXIT_WHEN_IDLE",
            if exit_when_idle { "1" } else { "0" },
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start change-sync-mirror")
}

/// Makes changes at the emulator: creates, and once enough rows live, a mix of updates and
/// deletes of live rows, eight requests in flight.
#[derive(Clone)]
struct Writer {
    client: DataverseClient,
    live: Arc<Mutex<Vec<Uuid>>>,
    /// Every row deleted, in order.
    deleted: Arc<Mutex<Vec<Uuid>>>,
    done: Arc<AtomicUsize>,
}

impl Writer {
    async fn run(self, count: usize) {
        futures::stream::iter(0..count)
            .for_each_concurrent(8, |_| self.clone().one())
            .await;
    }

    async fn one(self) {
        let table = self.client.table("accounts");
        let n = self.done.fetch_add(1, Ordering::Relaxed);
        let roll = rand::rng().random_range(0..10);
        let target = {
            let mut live = self.live.lock().await;
            match roll {
                // 20 % deletes (taken out of the live set at once: no double delete).
                0 | 1 if live.len() > 50 => {
                    let at = rand::rng().random_range(0..live.len());
                    Some((true, live.swap_remove(at)))
                }
                // 30 % updates.
                2..=4 if live.len() > 50 => {
                    let at = rand::rng().random_range(0..live.len());
                    Some((false, live[at]))
                }
                _ => None,
            }
        };
        match target {
            Some((true, id)) => {
                table.delete(id).send().await.expect("delete");
                self.deleted.lock().await.push(id);
            }
            Some((false, id)) => {
                // The row may have been deleted meanwhile by another task: a 404 is fine.
                let updated = table
                    .update(id, &json!({"name": format!("Updated {n}")}))
                    .send()
                    .await;
                if let Err(error) = updated {
                    assert!(error.is_not_found(), "update: {error}");
                }
            }
            None => {
                let id = table
                    .create(&json!({"name": format!("Created {n}")}))
                    .send()
                    .await
                    .expect("create");
                self.live.lock().await.push(id);
            }
        }
    }
}

async fn mirror(db: &Path) -> BTreeMap<String, Option<String>> {
    let store = Store::Sqlite(
        SqliteStore::open(db, Duration::from_secs(30))
            .await
            .expect("open mirror"),
    );
    // The child may have been killed before it created the table.
    let exists = store
        .query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'mirror'",
            vec![],
        )
        .await
        .expect("read schema");
    if exists.is_empty() {
        return BTreeMap::new();
    }
    store
        .query("SELECT id, body FROM mirror", vec![])
        .await
        .expect("read mirror")
        .iter()
        .map(|row| {
            let body: serde_json::Value =
                serde_json::from_str(&row.text(1).expect("body")).expect("json");
            (
                row.text(0).expect("id"),
                body["name"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Where the child's checkpoint stands: its phase, and whether it is between the pages of a
/// round. `None` before the child committed anything.
async fn standing(store: &Store) -> Option<(String, bool)> {
    let rows = store
        .query(
            "SELECT phase, page_cursor IS NOT NULL FROM change_sync_checkpoints",
            vec![],
        )
        .await
        .ok()?;
    let row = rows.first()?;
    Some((row.text(0).ok()?, row.i64(1).ok()? == 1))
}

/// Waits until the child's checkpoint is between two pages of a full sync in `phase`, or it
/// exited, or a minute passed (the test's phase assertions then tell).
async fn until_between_pages(db: &Path, running: &mut Child, phase: &str) {
    let store = Store::Sqlite(
        SqliteStore::open(db, Duration::from_secs(30))
            .await
            .expect("open mirror"),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline && running.try_wait().expect("child").is_none() {
        if standing(&store)
            .await
            .is_some_and(|(at, between)| at == phase && between)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The binary's counts: phase → (batches, reconciled deletions).
async fn stats(db: &Path) -> BTreeMap<String, (i64, i64)> {
    let store = Store::Sqlite(
        SqliteStore::open(db, Duration::from_secs(30))
            .await
            .expect("open mirror"),
    );
    store
        .query(
            "SELECT phase, batches, reconciled FROM mirror_stats",
            vec![],
        )
        .await
        .expect("read mirror_stats")
        .iter()
        .map(|row| {
            (
                row.text(0).expect("phase"),
                (
                    row.i64(1).expect("batches"),
                    row.i64(2).expect("reconciled"),
                ),
            )
        })
        .collect()
}

async fn crash_run(total: usize) {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = support::temp_dir("crash");
    let db = dir.join("mirror.db");
    let writer = Writer {
        client: support::client(&emulator),
        live: Arc::new(Mutex::new(Vec::new())),
        deleted: Arc::new(Mutex::new(Vec::new())),
        done: Arc::new(AtomicUsize::new(0)),
    };
    // A fifth before the first start, so the first full sync spans many pages; the rest in
    // equal parts while the child runs and after it was killed.
    let before = total / 5;
    writer.clone().run(before).await;
    let chunk = (total - before) / KILLS;
    let mut phases_at_kill = Vec::new();
    // Rows the child had mirrored that were deleted while the token expired: the resync
    // must report each of them as a reconciled deletion.
    let mut must_reconcile = 0;
    for kill in 0..KILLS {
        let count = if kill == KILLS - 1 {
            total - before - chunk * (KILLS - 1)
        } else {
            chunk
        };
        if kill == RESYNC_KILL {
            // Only a delta link can expire: when every earlier child was killed inside the
            // initial sync (a large run on a slow machine), one run catches up first, not
            // killed, so the sync holds a delta link from here on.
            let status = child(&emulator, &db, true).wait().expect("catch-up run");
            assert!(status.success(), "the catch-up run failed: {status}");
            // Changes (deletes among them) while no child runs, then past the org's 7 days:
            // the next delta is refused, the child resyncs and must reconcile those deletes,
            // with kills landing in the resync and its reconciliation.
            let mirrored = mirror(&db).await;
            let before_window = writer.deleted.lock().await.len();
            writer.clone().run(count).await;
            must_reconcile = writer.deleted.lock().await[before_window..]
                .iter()
                .filter(|id| mirrored.contains_key(&id.to_string()))
                .count();
            emulator.advance_clock(Duration::from_secs(8 * 86_400));
        }
        let changes = tokio::spawn(
            writer
                .clone()
                .run(if kill == RESYNC_KILL { 0 } else { count }),
        );
        let mut running = child(&emulator, &db, false);
        let waited = match kill {
            0 => {
                until_between_pages(&db, &mut running, "initial").await;
                "between initial pages".to_owned()
            }
            RESYNC_KILL => {
                until_between_pages(&db, &mut running, "resync").await;
                "between resync pages".to_owned()
            }
            _ => {
                // Longer runs get longer lives, so each child still gets through its share
                // of pages (a child spends its first tens of milliseconds starting).
                let longest = (600 * total / 3_000).clamp(600, 6_000) as u64;
                let wait = rand::rng().random_range(50..longest);
                tokio::time::sleep(Duration::from_millis(wait)).await;
                format!("after {wait} ms")
            }
        };
        running.kill().expect("SIGKILL");
        let status = running.wait().expect("reap");
        assert!(
            status.code().is_none(),
            "the child must die of the signal, not exit by itself: {status}"
        );
        changes.await.expect("changes");
        let store = Store::Sqlite(
            SqliteStore::open(&db, Duration::from_secs(30))
                .await
                .expect("open mirror"),
        );
        let phase = standing(&store).await.map(|(phase, _)| phase);
        eprintln!(
            "kill {kill}: {waited}, checkpoint {phase:?}, {} of {total} changes made",
            writer.done.load(Ordering::Relaxed)
        );
        phases_at_kill.push(phase.unwrap_or_else(|| "none".to_owned()));
    }
    assert_eq!(writer.done.load(Ordering::Relaxed), total);
    assert_eq!(
        phases_at_kill[0], "initial",
        "the first kill lands between the initial sync's pages: {phases_at_kill:?}"
    );
    assert_eq!(
        phases_at_kill[RESYNC_KILL], "resync",
        "a kill lands between the resync's pages: {phases_at_kill:?}"
    );
    assert!(
        phases_at_kill.iter().any(|phase| phase == "incremental"),
        "kills land in delta rounds too: {phases_at_kill:?}"
    );
    assert!(
        must_reconcile > 0,
        "the expired window deleted no mirrored row; the test proves nothing"
    );

    let status = child(&emulator, &db, true).wait().expect("last run");
    assert!(status.success(), "the last run failed: {status}");
    let source = support::source_rows(&emulator);
    let mirrored = mirror(&db).await;
    assert_eq!(mirrored.len(), source.len(), "row counts differ");
    assert!(mirrored == source, "the mirror differs from the source");
    let counts = stats(&db).await;
    eprintln!("committed batches and reconciled deletions by phase: {counts:?}");
    let (resync_batches, _) = counts.get("resync").copied().unwrap_or_default();
    assert!(
        resync_batches > 0,
        "no resync batch was committed, so no 0x80044352 was met: {counts:?}"
    );
    let reconciled: i64 = counts.values().map(|(_, reconciled)| reconciled).sum();
    assert!(
        reconciled >= must_reconcile as i64,
        "{reconciled} reconciled deletions, but {must_reconcile} mirrored rows were deleted while the token expired: {counts:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twenty_times_the_mirror_still_equals_the_source() {
    let total = std::env::var("CHANGE_SYNC_CRASH_CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    crash_run(total).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full form: 50,000 changes, minutes on a small machine"]
async fn killed_twenty_times_during_fifty_thousand_changes() {
    crash_run(50_000).await;
}
