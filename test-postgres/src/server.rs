//! The one server per test process: the URL from the environment, or a private cluster.

use std::io::Write;
use std::sync::OnceLock;

use crate::cluster::{self, Cluster, StartError};

/// A PostgreSQL URL to use instead of starting a private cluster (CI may set it).
pub const URL_ENV: &str = "DYNAMICS_TEST_POSTGRES_URL";

/// When `1`, a machine without PostgreSQL fails the tests instead of skipping them.
pub const REQUIRE_ENV: &str = "DYNAMICS_REQUIRE_POSTGRES";

/// The PostgreSQL server the tests of this process use.
#[derive(Debug)]
pub struct PgTestServer {
    admin_url: String,
    /// The private cluster, if one was started (the watchdog stops it).
    cluster: Option<Cluster>,
}

impl PgTestServer {
    /// The process's server, started on first use. `None` (after printing a "skipped" line)
    /// when no PostgreSQL is installed and [`REQUIRE_ENV`] is not `1`.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is required but missing, or installed but failing to start: a test
    /// harness reports a broken environment by failing the test.
    pub fn get() -> Option<&'static PgTestServer> {
        static SERVER: OnceLock<Result<PgTestServer, StartError>> = OnceLock::new();
        match decide(SERVER.get_or_init(start), required()) {
            Decision::Use(server) => Some(server),
            Decision::Skip(line) => {
                // Written to the real stderr so it shows even when the test's output is
                // captured.
                let _ = writeln!(std::io::stderr(), "{line}");
                None
            }
            Decision::Fail(why) => panic!("{why}"),
        }
    }

    /// A URL for the server's maintenance database (`postgres`), for creating databases.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The private cluster's directory (data, socket and `server.log`), when this process
    /// started one; `None` when [`URL_ENV`] named the server.
    pub fn cluster_dir(&self) -> Option<&std::path::Path> {
        self.cluster.as_ref().map(Cluster::dir)
    }
}

fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v.trim() == "1")
}

fn start() -> Result<PgTestServer, StartError> {
    if let Ok(url) = std::env::var(URL_ENV) {
        let url = url.trim().to_owned();
        if !url.is_empty() {
            return Ok(PgTestServer {
                admin_url: url,
                cluster: None,
            });
        }
    }
    let cluster = cluster::start()?;
    Ok(PgTestServer {
        admin_url: cluster.url(),
        cluster: Some(cluster),
    })
}

/// What a test does with the outcome of starting the server.
#[derive(Debug)]
enum Decision<'a> {
    Use(&'a PgTestServer),
    Skip(String),
    Fail(String),
}

fn decide(outcome: &Result<PgTestServer, StartError>, required: bool) -> Decision<'_> {
    match outcome {
        Ok(server) => Decision::Use(server),
        Err(StartError::NotInstalled(why)) if !required => Decision::Skip(format!(
            "skipped: install postgresql to run the PostgreSQL tests ({why}); set {REQUIRE_ENV}=1 to make this a failure"
        )),
        Err(StartError::NotInstalled(why)) => Decision::Fail(format!(
            "{REQUIRE_ENV}=1 but PostgreSQL is not installed ({why}); install the postgresql package or set {URL_ENV}"
        )),
        Err(StartError::Failed(why)) => {
            Decision::Fail(format!("the PostgreSQL test server did not start: {why}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing() -> Result<PgTestServer, StartError> {
        Err(StartError::NotInstalled("no initdb".to_owned()))
    }

    #[test]
    fn missing_postgres_skips_with_a_line_unless_required() {
        match decide(&missing(), false) {
            Decision::Skip(line) => {
                assert!(line.starts_with("skipped: install postgresql"), "{line}")
            }
            other => panic!("expected a skip, got {other:?}"),
        }
        match decide(&missing(), true) {
            Decision::Fail(why) => assert!(why.contains(REQUIRE_ENV), "{why}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_broken_installation_always_fails() {
        let broken = Err(StartError::Failed("initdb failed".to_owned()));
        assert!(matches!(decide(&broken, false), Decision::Fail(_)));
        let server = Ok(PgTestServer {
            admin_url: "postgres://x@127.0.0.1/postgres".to_owned(),
            cluster: None,
        });
        assert!(matches!(decide(&server, true), Decision::Use(_)));
    }
}
