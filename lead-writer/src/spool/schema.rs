//! The spool's tables. Times are Unix milliseconds in 64-bit integers on both backends, so the
//! queue statements are the same text on both.

use dynamics_store::Migration;

/// The component name in `schema_versions`.
pub(super) const COMPONENT: &str = "lead_spool";

pub(super) static MIGRATIONS: [Migration; 1] = [Migration {
    version: 1,
    sqlite: "
        CREATE TABLE spool_items (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            idempotency_key TEXT NOT NULL UNIQUE,
            key_bucket BIGINT NOT NULL,
            raw_body BLOB NOT NULL,
            lead_json TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            state TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            claims BIGINT NOT NULL DEFAULT 0,
            due_at BIGINT NOT NULL,
            leased_by TEXT,
            lease_until BIGINT,
            last_error TEXT,
            last_error_at BIGINT,
            finished_at BIGINT
        );
        CREATE INDEX spool_items_due ON spool_items (state, due_at);
        CREATE INDEX spool_items_lease ON spool_items (state, lease_until);
        CREATE INDEX spool_items_errors ON spool_items (last_error_at);
        CREATE TABLE spool_dead_letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            raw_body BLOB NOT NULL,
            code TEXT NOT NULL,
            reason TEXT NOT NULL,
            received_at BIGINT NOT NULL
        );
    ",
    postgres: "
        CREATE TABLE spool_items (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            key_bucket BIGINT NOT NULL,
            raw_body BYTEA NOT NULL,
            lead_json TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            state TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            claims BIGINT NOT NULL DEFAULT 0,
            due_at BIGINT NOT NULL,
            leased_by TEXT,
            lease_until BIGINT,
            last_error TEXT,
            last_error_at BIGINT,
            finished_at BIGINT
        );
        CREATE INDEX spool_items_due ON spool_items (state, due_at);
        CREATE INDEX spool_items_lease ON spool_items (state, lease_until);
        CREATE INDEX spool_items_errors ON spool_items (last_error_at);
        CREATE TABLE spool_dead_letters (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            raw_body BYTEA NOT NULL,
            code TEXT NOT NULL,
            reason TEXT NOT NULL,
            received_at BIGINT NOT NULL
        );
    ",
}];
