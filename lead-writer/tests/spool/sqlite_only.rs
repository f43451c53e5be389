//! What only the SQLite backend has: a file, its permissions, its location forms.

use std::time::Duration;

use lead_writer::spool::{ManualClock, SpoolBackend};
use lead_writer::{Spool, SpoolError, SpoolOptions};

use crate::support::{Backend, TempDir, lead, start};

#[cfg(unix)]
#[tokio::test]
async fn the_file_and_its_log_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    let path = dir.path.join("leads.db");
    // A file left world-readable by someone else is tightened too.
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let clock = ManualClock::new(start());
    let spool = Spool::open_sqlite(&path, SpoolOptions::default().clock(clock))
        .await
        .unwrap();
    spool.enqueue(&lead(1)).await.unwrap();
    for name in ["leads.db", "leads.db-wal"] {
        let mode = std::fs::metadata(dir.path.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} is {mode:o}");
    }
}

#[tokio::test]
async fn locations_choose_the_backend() {
    let backend = Backend::sqlite();
    let clock = ManualClock::new(start());
    let spool = Spool::open(
        &format!("sqlite:{}", backend.location),
        SpoolOptions::default().clock(clock.clone()),
    )
    .await
    .unwrap();
    assert_eq!(spool.backend(), SpoolBackend::Sqlite);
    assert_eq!(spool.location(), backend.location);
    assert!(matches!(
        Spool::open("  ", SpoolOptions::default()).await,
        Err(SpoolError::Config(_))
    ));
    let error = Spool::open("postgres://u@db.example.com/leads", SpoolOptions::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("sslmode=disable"), "{error}");
    assert!(matches!(
        Spool::open(&backend.location, SpoolOptions::default().max_attempts(0)).await,
        Err(SpoolError::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn debug_of_items_hides_the_lead() {
    let backend = Backend::sqlite();
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let received = lead(7);
    assert!(!format!("{received:?}").contains("ada7@example.com"));
    spool.enqueue(&received).await.unwrap();
    let item = spool
        .claim("w", 1, Duration::from_secs(5))
        .await
        .unwrap()
        .pop()
        .unwrap();
    let debug = format!("{item:?}");
    for secret in ["ada7@example.com", "Ada7", "Lovelace"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(
        debug.contains("AzureMarketplace") && debug.contains("bytes"),
        "{debug}"
    );
}

/// The environment variable that turns [`child_enqueues_until_killed`] into the child process.
const CHILD_DB: &str = "LEAD_SPOOL_TEST_CHILD_DB";

/// Every acknowledged enqueue survives the process being killed (`SIGKILL`) right after it:
/// a child process enqueues and prints each acknowledgement; the test kills it mid-stream and
/// reopens the file.
#[cfg(unix)]
#[tokio::test]
async fn acknowledged_leads_survive_a_killed_process() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = TempDir::new();
    let path = dir.path.join("killed.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sqlite_only::child_enqueues_until_killed",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("ACK ") {
            acknowledged.push(id.parse::<i64>().unwrap());
            if acknowledged.len() == 25 {
                child.kill().unwrap(); // SIGKILL: no destructors, no clean close
                break;
            }
        }
    }
    child.wait().unwrap();
    assert_eq!(acknowledged.len(), 25, "the child stopped early");

    let clock = ManualClock::new(start());
    let spool = Spool::open_sqlite(&path, SpoolOptions::default().clock(clock))
        .await
        .unwrap();
    let items = spool
        .claim("checker", 1000, Duration::from_secs(5))
        .await
        .unwrap();
    let stored: Vec<i64> = items.iter().map(|item| item.id.0).collect();
    for id in &acknowledged {
        assert!(
            stored.contains(id),
            "acknowledged item {id} was lost; stored {stored:?}"
        );
    }
}

/// The child half of [`acknowledged_leads_survive_a_killed_process`]; does nothing when run
/// on its own.
#[tokio::test]
#[ignore = "run by acknowledged_leads_survive_a_killed_process as a child process"]
async fn child_enqueues_until_killed() {
    use std::io::Write;
    let Some(path) = std::env::var_os(CHILD_DB) else {
        return;
    };
    let clock = ManualClock::new(start());
    let spool = Spool::open_sqlite(
        std::path::Path::new(&path),
        SpoolOptions::default().clock(clock),
    )
    .await
    .unwrap();
    // Bounded so a parent that died without killing us does not leave us running forever.
    for n in 0..10_000 {
        let queued = spool.enqueue(&lead(n)).await.unwrap();
        let mut out = std::io::stdout().lock();
        writeln!(out, "ACK {}", queued.id.0).unwrap();
        out.flush().unwrap();
    }
}

/// A row whose time column cannot be read back (out of range, or not a number) is parked by
/// the claim; the other due items are still handed out, so the queue does not stall on it.
#[tokio::test]
async fn a_row_with_an_unreadable_time_is_parked_and_the_others_are_claimed() {
    let backend = Backend::sqlite();
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    for n in 1..=3 {
        spool.enqueue(&lead(n)).await.unwrap();
    }
    let db = rusqlite::Connection::open(&backend.location).unwrap();
    let ids: Vec<i64> = db
        .prepare("SELECT id FROM spool_items ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    db.execute(
        "UPDATE spool_items SET received_at = ?1 WHERE id = ?2",
        rusqlite::params![i64::MAX, ids[0]],
    )
    .unwrap();
    db.execute(
        "UPDATE spool_items SET key_bucket = 'x' WHERE id = ?1",
        [ids[1]],
    )
    .unwrap();
    let claimed = spool.claim("w", 10, Duration::from_secs(5)).await.unwrap();
    let claimed: Vec<i64> = claimed.iter().map(|item| item.id.0).collect();
    assert_eq!(claimed, [ids[2]]);
    let status = spool.status().await.unwrap();
    assert_eq!(status.parked, 2, "{status:?}");
    let parked = spool.parked(10).await.unwrap();
    assert!(
        parked
            .iter()
            .all(|p| p.error.contains("cannot be read back")),
        "{parked:?}"
    );
}

/// A backoff whose cap is far beyond any storable time retries "never" instead of panicking.
#[tokio::test]
async fn a_huge_backoff_cap_does_not_panic() {
    let backend = Backend::sqlite();
    let clock = ManualClock::new(start());
    let backoff =
        lead_writer::spool::Backoff::new(Duration::from_secs(u64::MAX / 2), Duration::MAX).unwrap();
    let spool = backend
        .open_with(
            SpoolOptions::default()
                .clock(clock.clone())
                .backoff(backoff),
        )
        .await;
    let id = spool.enqueue(&lead(1)).await.unwrap().id;
    spool.claim("w", 1, Duration::from_secs(5)).await.unwrap();
    let outcome = spool.fail(id, "w", "503", true).await.unwrap();
    assert!(
        matches!(outcome, lead_writer::spool::FailOutcome::Retry { due_at, .. } if due_at.year() == 9999),
        "{outcome:?}"
    );
    // Still readable: status and a later claim do not trip over the stored time.
    spool.status().await.unwrap();
    assert!(
        spool
            .claim("w", 1, Duration::from_secs(5))
            .await
            .unwrap()
            .is_empty()
    );
}

/// A refused body longer than the dead-letter cap is cut; the reason keeps its real size.
#[tokio::test]
async fn an_oversized_dead_letter_is_cut_and_its_size_recorded() {
    let backend = Backend::sqlite();
    let clock = ManualClock::new(start());
    let spool = backend
        .open_with(
            SpoolOptions::default()
                .clock(clock.clone())
                .max_dead_letter_bytes(10),
        )
        .await;
    let rejection = lead_writer::Rejection {
        code: "too_large".to_owned(),
        reason: "lead body is too large".to_owned(),
    };
    let body = vec![b'x'; 100];
    spool.dead_letter(&body, &rejection).await.unwrap();
    spool.dead_letter(b"short", &rejection).await.unwrap();
    let mut letters = spool.dead_letters(10).await.unwrap();
    letters.sort_by_key(|letter| letter.id.0);
    assert_eq!(letters[0].raw_body, vec![b'x'; 10]);
    assert_eq!(
        letters[0].rejection.reason,
        "lead body is too large (body cut to its first 10 of 100 bytes)"
    );
    assert_eq!(letters[1].raw_body, b"short");
    assert_eq!(letters[1].rejection.reason, "lead body is too large");
}
