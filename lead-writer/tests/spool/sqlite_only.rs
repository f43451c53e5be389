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
