//! Schema migrations: numbered steps per component, with the version kept in one table so
//! several components (the lead spool, later tokens and checkpoints) can share a database.

use crate::StoreError;

/// One schema step: the DDL for each dialect. Steps of a component are numbered 1, 2, 3, ...
/// and are never edited once released; a change is a new step.
#[derive(Debug)]
pub struct Migration {
    /// The step's number: 1 for the first, then 2, 3, ...
    pub version: i64,
    /// The step's DDL for SQLite.
    pub sqlite: &'static str,
    /// The step's DDL for PostgreSQL.
    pub postgres: &'static str,
}

/// The version table, the same text on both dialects.
pub(crate) const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_versions (
    component TEXT PRIMARY KEY,
    version BIGINT NOT NULL
)";

pub(crate) const READ_VERSION: &str = "SELECT version FROM schema_versions WHERE component = $1";

pub(crate) const WRITE_VERSION: &str =
    "INSERT INTO schema_versions (component, version) VALUES ($1, $2)
    ON CONFLICT (component) DO UPDATE SET version = excluded.version";

/// Refuses a migration list that is not numbered 1..=n (a programming error caught at open).
pub(crate) fn check_order(
    component: &'static str,
    migrations: &[Migration],
) -> Result<(), StoreError> {
    for (index, migration) in migrations.iter().enumerate() {
        if migration.version != index as i64 + 1 {
            return Err(StoreError::Config(format!(
                "{component} migrations must be numbered 1, 2, 3, ...; step {} is numbered {}",
                index + 1,
                migration.version
            )));
        }
    }
    Ok(())
}

/// The steps still to apply to a database at `current`, or an error when it is newer.
pub(crate) fn pending(
    component: &'static str,
    migrations: &'static [Migration],
    current: i64,
) -> Result<&'static [Migration], StoreError> {
    let known = migrations.len() as i64;
    if current > known {
        return Err(StoreError::SchemaTooNew {
            component,
            found: current,
            known,
        });
    }
    Ok(&migrations[current.max(0) as usize..])
}

#[cfg(test)]
mod tests {
    use super::*;

    static STEPS: [Migration; 2] = [
        Migration {
            version: 1,
            sqlite: "",
            postgres: "",
        },
        Migration {
            version: 2,
            sqlite: "",
            postgres: "",
        },
    ];

    #[test]
    fn pending_steps_follow_the_current_version() {
        assert_eq!(pending("t", &STEPS, 0).unwrap().len(), 2);
        assert_eq!(pending("t", &STEPS, 1).unwrap()[0].version, 2);
        assert!(pending("t", &STEPS, 2).unwrap().is_empty());
        let error = pending("t", &STEPS, 3).unwrap_err();
        assert!(
            error.to_string().contains("newer than this build's 2"),
            "{error}"
        );
    }

    #[test]
    fn misnumbered_steps_are_refused() {
        assert!(check_order("t", &STEPS).is_ok());
        assert!(check_order("t", &STEPS[1..]).is_err());
    }
}
