//! The import's own records in the spool database: the watermark per source table, and the
//! lines already sent to the dead letters (so a re-run does not dead-letter them again).
//! Their own migration component, so the spool's schema is untouched.

use dynamics_store::{Migration, SqlValue, Store};
use time::OffsetDateTime;

use super::row::RowPosition;
use crate::spool::SpoolError;

/// The component name in `schema_versions`.
const COMPONENT: &str = "lead_table_import";

static MIGRATIONS: [Migration; 1] = [Migration {
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
}];

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
