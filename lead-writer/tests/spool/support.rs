//! Test plumbing: a backend to open spools on, leads to put in them, a fixed clock.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use lead_writer::spool::{ManualClock, Received};
use lead_writer::{KeyOptions, Lead, Spool, SpoolOptions};
use time::OffsetDateTime;

/// 2026-01-01T00:00:00Z.
pub(crate) const START: i64 = 1_767_225_600;

pub(crate) fn start() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(START).unwrap()
}

/// Where a test's spools live: a SQLite file in its own directory, or a fresh PostgreSQL
/// database. Opening twice gives two independent spools on the same store, as two processes
/// would have.
pub(crate) struct Backend {
    pub(crate) location: String,
    _dir: Option<TempDir>,
}

impl Backend {
    pub(crate) fn sqlite() -> Backend {
        let dir = TempDir::new();
        Backend {
            location: dir.path.join("spool.db").display().to_string(),
            _dir: Some(dir),
        }
    }

    pub(crate) async fn postgres(label: &str) -> Option<Backend> {
        Some(Backend {
            location: test_postgres::fresh_database(label).await?,
            _dir: None,
        })
    }

    pub(crate) fn is_sqlite(&self) -> bool {
        !self.location.starts_with("postgres")
    }

    pub(crate) async fn open(&self, clock: &ManualClock) -> Spool {
        self.open_with(SpoolOptions::default().clock(clock.clone()))
            .await
    }

    pub(crate) async fn open_with(&self, options: SpoolOptions) -> Spool {
        Spool::open(&self.location, options)
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", self.location))
    }
}

/// A directory removed when dropped.
pub(crate) struct TempDir {
    pub(crate) path: PathBuf,
}

impl TempDir {
    pub(crate) fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "lead-spool-test-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Lead number `n`, received `n` seconds after [`START`] (all in one key bucket).
pub(crate) fn lead(n: u32) -> Received {
    let body = format!(
        r#"{{"UserDetails":{{"FirstName":"Ada{n}","LastName":"Lovelace","Email":"ada{n}@example.com"}},"LeadSource":"AzureMarketplace","ActionCode":"INS","OfferTitle":"Engines"}}"#
    );
    received(body.into_bytes(), START + i64::from(n))
}

/// A received body, parsed and keyed as the intake does.
pub(crate) fn received(raw_body: Vec<u8>, at: i64) -> Received {
    let lead = Lead::parse(&raw_body).expect("test leads parse");
    let key = lead.idempotency_key(at, &KeyOptions::default());
    Received {
        raw_body,
        lead,
        key,
        received_at: OffsetDateTime::from_unix_timestamp(at).unwrap(),
    }
}

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../reference/fixtures/marketplace/"
    );
    std::fs::read(format!("{path}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}
