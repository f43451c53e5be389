//! A fresh database per test, so tests never see each other's rows.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio_postgres::NoTls;
use url::Url;

use crate::server::PgTestServer;

/// Creates a new, empty database on the process's server and returns its URL; `None` when
/// PostgreSQL tests are skipped on this machine (see [`PgTestServer::get`]). `label` goes into
/// the name to help when reading server logs.
///
/// # Panics
///
/// When the server cannot be reached or refuses `CREATE DATABASE`.
pub async fn fresh_database(label: &str) -> Option<String> {
    Some(PgTestServer::get()?.fresh_database(label).await)
}

impl PgTestServer {
    /// Creates a new, empty database on this server and returns its URL (see
    /// [`fresh_database`]).
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or refuses `CREATE DATABASE`.
    pub async fn fresh_database(&self, label: &str) -> String {
        let name = database_name(label);
        let (client, connection) = tokio_postgres::connect(self.admin_url(), NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the PostgreSQL test server: {e}"));
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
        drop(client);
        let _ = driver.await;
        with_database(self.admin_url(), &name)
    }
}

/// `dyn_test_<label>_<pid>_<n>_<time>`: unique across tests, runs and processes, and a plain
/// identifier (lower-case letters, digits, underscores; at most 63 bytes).
fn database_name(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let clean: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(24)
        .collect();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "dyn_test_{clean}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The server URL with its database replaced (query parameters such as `sslmode` kept).
fn with_database(admin_url: &str, name: &str) -> String {
    match Url::parse(admin_url) {
        Ok(mut url) => {
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
        // Not a URL: the key=value form; a later dbname overrides an earlier one.
        Err(_) => format!("{admin_url} dbname={name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_plain_identifiers() {
        let a = database_name("Spool Claims-2!");
        let b = database_name("Spool Claims-2!");
        assert_ne!(a, b);
        assert!(a.starts_with("dyn_test_spool_claims_2__"), "{a}");
        assert!(a.len() <= 63, "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        );
    }

    #[test]
    fn database_replaces_the_path_and_keeps_the_query() {
        assert_eq!(
            with_database(
                "postgres://ci@127.0.0.1:5432/postgres?sslmode=disable",
                "t1"
            ),
            "postgres://ci@127.0.0.1:5432/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://ci@127.0.0.1:5432", "t1"),
            "postgres://ci@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("host=/tmp user=ci", "t1"),
            "host=/tmp user=ci dbname=t1"
        );
    }
}
