//! Opening an existing spool for the operator commands (`leads status`, `leads retry`): unlike
//! `leads serve`, a missing SQLite file is an error, not a new empty spool.

use std::path::Path;

use lead_writer::{Spool, SpoolError, SpoolOptions};

use crate::exit::{ExitKind, Failure};

/// What to do when `--spool` cannot be used.
const SPOOL_FIX: &str = "give --spool the same value `d365 leads serve` uses: its SQLite file \
     path, or its postgres:// URL (the database must be reachable)";

/// Opens the spool at `location` (a SQLite file that must exist, or a postgres:// URL).
pub(crate) async fn open_existing(location: &str) -> Result<Spool, Failure> {
    let trimmed = location.trim();
    if let Some(path) = sqlite_path(trimmed) {
        if path.is_empty() {
            return Err(Failure::usage("--spool is empty").with_fix(SPOOL_FIX));
        }
        if !Path::new(path).is_file() {
            return Err(Failure::usage(format!("no spool file at {path}")).with_fix(SPOOL_FIX));
        }
    }
    Spool::open(trimmed, SpoolOptions::default())
        .await
        .map_err(|e| spool_failure(&e))
}

/// A spool error as a failure: a bad location is a usage error, anything else a service one.
pub(crate) fn spool_failure(error: &SpoolError) -> Failure {
    match error {
        SpoolError::Config(_) | SpoolError::InvalidArgument(_) => {
            Failure::usage(error.to_string()).with_fix(SPOOL_FIX)
        }
        _ => Failure::new(ExitKind::Service, error.to_string()).with_fix(
            "check that the spool's database is reachable and not damaged, then run the command again",
        ),
    }
}

/// The SQLite file a location names, or `None` for a PostgreSQL URL (the rule of
/// `Spool::open`).
fn sqlite_path(location: &str) -> Option<&str> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return None;
    }
    Some(location.strip_prefix("sqlite:").unwrap_or(location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_told_apart_as_spool_open_does() {
        assert_eq!(sqlite_path("leads.db"), Some("leads.db"));
        assert_eq!(sqlite_path("sqlite:/var/x.db"), Some("/var/x.db"));
        assert_eq!(sqlite_path("postgres://u@127.0.0.1/db"), None);
        assert_eq!(sqlite_path("postgresql://u@127.0.0.1/db"), None);
    }

    #[tokio::test]
    async fn a_missing_file_is_a_usage_error_and_is_not_created() {
        let path = std::env::temp_dir().join(format!("d365-no-spool-{}.db", uuid::Uuid::new_v4()));
        let err = open_existing(&path.to_string_lossy()).await.unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("no spool file"), "{err}");
        assert!(err.to_string().contains("leads serve"), "{err}");
        assert!(!path.exists());
    }
}
