//! The import's own records in the spool database: the rows already imported per source
//! table (a SHA-256 of `PartitionKey|RowKey` each, which is what decides whether a row is
//! imported), the watermark (the newest row imported, for reports), and the lines already
//! sent to the dead letters (so a re-run does not dead-letter them again). Their own migration
//! component, so the spool's schema is untouched.

use std::collections::HashSet;

use dynamics_store::{Migration, SqlValue, Store};
use time::OffsetDateTime;

use super::row::RowPosition;
use crate::spool::SpoolError;

/// The component name in `schema_versions`.
const COMPONENT: &str = "lead_table_import";

static MIGRATIONS: [Migration; 2] = [
    Migration {
        version: 1,
        sqlite: "
        CREATE TABLE lead_import_watermarks (
            source TEXT PRIMARY KEY,
            timestamp_nanos BIGINT NOT NULL,
            partition_key TEXT NOT NULL,
            row_key TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE lead_import_rejected_lines (
            source TEXT NOT NULL,
            line_sha256 TEXT NOT NULL,
            PRIMARY KEY (source, line_sha256)
        );
    ",
        postgres: "
        CREATE TABLE lead_import_watermarks (
            source TEXT PRIMARY KEY,
            timestamp_nanos BIGINT NOT NULL,
            partition_key TEXT NOT NULL,
            row_key TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE lead_import_rejected_lines (
            source TEXT NOT NULL,
            line_sha256 TEXT NOT NULL,
            PRIMARY KEY (source, line_sha256)
        );
    ",
    },
    // The imported rows by identity, not by position: an export is a paged scan in key order,
    // not a snapshot, so a row can appear behind the watermark (see the module docs of
    // `import`). On PostgreSQL the watermark's keys compare bytewise (`COLLATE "C"`) as Rust's
    // `String` does; the database's own collation could rank "a" before "B" and refuse to move
    // the watermark. SQLite compares text bytewise (BINARY) already.
    Migration {
        version: 2,
        sqlite: "
        CREATE TABLE lead_import_rows (
            source TEXT NOT NULL,
            row_sha256 TEXT NOT NULL,
            PRIMARY KEY (source, row_sha256)
        );
    ",
        postgres: r#"
        CREATE TABLE lead_import_rows (
            source TEXT NOT NULL,
            row_sha256 TEXT NOT NULL,
            PRIMARY KEY (source, row_sha256)
        );
        ALTER TABLE lead_import_watermarks
            ALTER COLUMN partition_key TYPE TEXT COLLATE "C",
            ALTER COLUMN row_key TYPE TEXT COLLATE "C";
    "#,
    },
];

const READ_WATERMARK: &str = "SELECT timestamp_nanos, partition_key, row_key
    FROM lead_import_watermarks WHERE source = $1";

/// Moves the watermark forward only: a stale writer (two imports at once) cannot move it back.
const WRITE_WATERMARK: &str = "INSERT INTO lead_import_watermarks
    (source, timestamp_nanos, partition_key, row_key, updated_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (source) DO UPDATE SET timestamp_nanos = excluded.timestamp_nanos,
        partition_key = excluded.partition_key, row_key = excluded.row_key,
        updated_at = excluded.updated_at
    WHERE (lead_import_watermarks.timestamp_nanos, lead_import_watermarks.partition_key,
           lead_import_watermarks.row_key)
        < (excluded.timestamp_nanos, excluded.partition_key, excluded.row_key)";

const READ_IMPORTED: &str = "SELECT row_sha256 FROM lead_import_rows WHERE source = $1";

const FIND_REJECTED: &str =
    "SELECT 1 FROM lead_import_rejected_lines WHERE source = $1 AND line_sha256 = $2";

const RECORD_REJECTED: &str = "INSERT INTO lead_import_rejected_lines (source, line_sha256)
    VALUES ($1, $2) ON CONFLICT (source, line_sha256) DO NOTHING";

/// Brings the import's tables up to date.
pub(super) async fn migrate(store: &Store) -> Result<(), SpoolError> {
    Ok(store.migrate(COMPONENT, &MIGRATIONS).await?)
}

/// The last position imported from `source`, if any.
pub(super) async fn watermark(
    store: &Store,
    source: &str,
) -> Result<Option<RowPosition>, SpoolError> {
    let rows = store
        .query(READ_WATERMARK, vec![SqlValue::text(source)])
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let nanos = row.i64(0)?;
    let timestamp = OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).map_err(|e| {
        SpoolError::Storage(format!(
            "the stored import watermark ({nanos} ns) is out of range: {e}"
        ))
    })?;
    Ok(Some(RowPosition {
        timestamp,
        partition_key: row.text(1)?,
        row_key: row.text(2)?,
    }))
}

/// Records `position` as imported from `source` (never moving the watermark back).
pub(super) async fn advance(
    store: &Store,
    source: &str,
    position: &RowPosition,
    now: OffsetDateTime,
) -> Result<(), SpoolError> {
    let now_millis = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    store
        .execute(
            WRITE_WATERMARK,
            vec![
                SqlValue::text(source),
                SqlValue::int(position.nanos()),
                SqlValue::text(position.partition_key.as_str()),
                SqlValue::text(position.row_key.as_str()),
                SqlValue::int(now_millis),
            ],
        )
        .await?;
    Ok(())
}

/// The identities (SHA-256 of `PartitionKey|RowKey`, hex) of the rows imported from `source`.
/// A year of leads is a few thousand rows: held in memory for the run.
pub(super) async fn imported_rows(
    store: &Store,
    source: &str,
) -> Result<HashSet<String>, SpoolError> {
    let rows = store
        .query(READ_IMPORTED, vec![SqlValue::text(source)])
        .await?;
    rows.iter()
        .map(|row| Ok(row.text(0)?))
        .collect::<Result<_, SpoolError>>()
}

/// Records rows as imported from `source`, after their leads are durable in the spool.
pub(super) async fn record_imported(
    store: &Store,
    source: &str,
    row_hashes: &[String],
) -> Result<(), SpoolError> {
    if row_hashes.is_empty() {
        return Ok(());
    }
    let mut params = Vec::with_capacity(row_hashes.len() * 2);
    let values: Vec<String> = row_hashes
        .iter()
        .enumerate()
        .map(|(i, hash)| {
            params.push(SqlValue::text(source));
            params.push(SqlValue::text(hash.as_str()));
            format!("(${}, ${})", 2 * i + 1, 2 * i + 2)
        })
        .collect();
    let sql = format!(
        "INSERT INTO lead_import_rows (source, row_sha256) VALUES {}
            ON CONFLICT (source, row_sha256) DO NOTHING",
        values.join(", ")
    );
    store.execute(&sql, params).await?;
    Ok(())
}

/// Whether a line with this hash was dead-lettered by an earlier run.
pub(super) async fn was_rejected(
    store: &Store,
    source: &str,
    sha256: &str,
) -> Result<bool, SpoolError> {
    let rows = store
        .query(
            FIND_REJECTED,
            vec![SqlValue::text(source), SqlValue::text(sha256)],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Remembers a dead-lettered line.
pub(super) async fn record_rejected(
    store: &Store,
    source: &str,
    sha256: &str,
) -> Result<(), SpoolError> {
    store
        .execute(
            RECORD_REJECTED,
            vec![SqlValue::text(source), SqlValue::text(sha256)],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use dynamics_store::PgStore;
    use time::macros::datetime;

    use super::*;

    fn at(partition_key: &str) -> RowPosition {
        RowPosition {
            timestamp: datetime!(2020-06-01 10:00 UTC),
            partition_key: partition_key.to_owned(),
            row_key: "r".to_owned(),
        }
    }

    /// A database whose text collation is a natural-language one (ICU root), as many
    /// PostgreSQL servers have: "a" sorts before "B" there, after it in Rust.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_watermark_moves_in_rust_order_under_a_natural_language_collation() {
        let Some(url) = test_postgres::fresh_database("import_collation").await else {
            return;
        };
        let store = Store::Postgres(Box::new(PgStore::connect(&url).await.unwrap()));
        // Version 1 as a database with that default collation would have made it.
        store
            .execute(
                "CREATE COLLATION natural_language (provider = icu, locale = 'und')",
                vec![],
            )
            .await
            .unwrap();
        let version_one = MIGRATIONS[0]
            .postgres
            .replace("TEXT NOT NULL", "TEXT COLLATE natural_language NOT NULL");
        for statement in version_one.split(';').filter(|s| !s.trim().is_empty()) {
            store.execute(statement, vec![]).await.unwrap();
        }
        store
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version BIGINT NOT NULL)",
                vec![],
            )
            .await
            .unwrap();
        store
            .execute(
                "INSERT INTO schema_versions (component, version) VALUES ($1, 1)",
                vec![SqlValue::text(COMPONENT)],
            )
            .await
            .unwrap();
        migrate(&store).await.unwrap();

        let now = OffsetDateTime::now_utc();
        assert!(at("B") < at("a"), "Rust compares bytes");
        advance(&store, "t", &at("B"), now).await.unwrap();
        advance(&store, "t", &at("a"), now).await.unwrap();
        assert_eq!(watermark(&store, "t").await.unwrap(), Some(at("a")));
        // Never backwards.
        advance(&store, "t", &at("B"), now).await.unwrap();
        assert_eq!(watermark(&store, "t").await.unwrap(), Some(at("a")));
    }

    #[tokio::test]
    async fn imported_rows_are_recorded_once_per_source() {
        let dir = std::env::temp_dir().join(format!("lead-import-state-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::Sqlite(
            dynamics_store::SqliteStore::open(&dir.join("s.db"), std::time::Duration::from_secs(5))
                .await
                .unwrap(),
        );
        migrate(&store).await.unwrap();
        let hashes = vec!["aa".to_owned(), "bb".to_owned()];
        record_imported(&store, "t", &hashes).await.unwrap();
        record_imported(&store, "t", &hashes[..1]).await.unwrap();
        record_imported(&store, "other", &[]).await.unwrap();
        let seen = imported_rows(&store, "t").await.unwrap();
        assert_eq!(seen, hashes.into_iter().collect());
        assert!(imported_rows(&store, "other").await.unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
