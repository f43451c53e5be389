//! The token store's tables and statements. Times are Unix milliseconds; tokens are sealed
//! bytes (see [`TokenKey`](crate::TokenKey)); the same statement text runs on both backends.

use dynamics_store::Migration;

/// The component name in `schema_versions`.
pub(super) const COMPONENT: &str = "connector_accounts";

pub(super) static MIGRATIONS: [Migration; 2] = [
    Migration {
        version: 1,
        sqlite: "
        CREATE TABLE connector_accounts (
            account_id TEXT PRIMARY KEY,
            org_url TEXT NOT NULL,
            authority_host TEXT NOT NULL,
            tenant TEXT NOT NULL,
            scopes TEXT NOT NULL,
            key_id TEXT NOT NULL,
            refresh_token BLOB NOT NULL,
            previous_refresh_token BLOB,
            access_token BLOB,
            access_expires_at BIGINT,
            status TEXT NOT NULL,
            lease_owner TEXT,
            lease_until BIGINT,
            version BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE connector_pending_sign_ins (
            state_hash TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            org_url TEXT NOT NULL,
            authority_host TEXT NOT NULL,
            tenant TEXT NOT NULL,
            scopes TEXT NOT NULL,
            key_id TEXT NOT NULL,
            pkce_verifier BLOB NOT NULL,
            expires_at BIGINT NOT NULL
        );
        CREATE INDEX connector_pending_expiry ON connector_pending_sign_ins (expires_at);
    ",
        postgres: "
        CREATE TABLE connector_accounts (
            account_id TEXT PRIMARY KEY,
            org_url TEXT NOT NULL,
            authority_host TEXT NOT NULL,
            tenant TEXT NOT NULL,
            scopes TEXT NOT NULL,
            key_id TEXT NOT NULL,
            refresh_token BYTEA NOT NULL,
            previous_refresh_token BYTEA,
            access_token BYTEA,
            access_expires_at BIGINT,
            status TEXT NOT NULL,
            lease_owner TEXT,
            lease_until BIGINT,
            version BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE connector_pending_sign_ins (
            state_hash TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            org_url TEXT NOT NULL,
            authority_host TEXT NOT NULL,
            tenant TEXT NOT NULL,
            scopes TEXT NOT NULL,
            key_id TEXT NOT NULL,
            pkce_verifier BYTEA NOT NULL,
            expires_at BIGINT NOT NULL
        );
        CREATE INDEX connector_pending_expiry ON connector_pending_sign_ins (expires_at);
    ",
    },
    // Each sign-in's random id (checked by every compare-and-swap) and the hash of the
    // session binding of a pending sign-in. Rows of version 1 hold tokens sealed in the old
    // format, which no longer opens: their customers sign in again.
    Migration {
        version: 2,
        sqlite: MIGRATION_2,
        postgres: MIGRATION_2,
    },
];

/// The same DDL on both backends.
const MIGRATION_2: &str = "
    ALTER TABLE connector_accounts ADD COLUMN sign_in_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE connector_pending_sign_ins ADD COLUMN session_binding_hash TEXT NOT NULL DEFAULT '';
";

/// The account columns, in the order [`super::sql`] binds and reads them.
const ACCOUNT_COLUMNS: &str = "account_id, org_url, authority_host, tenant, scopes, key_id, \
     refresh_token, previous_refresh_token, access_token, access_expires_at, status, \
     lease_owner, lease_until, version, updated_at, sign_in_id";

pub(super) fn select_account() -> String {
    format!("SELECT {ACCOUNT_COLUMNS} FROM connector_accounts WHERE account_id = $1")
}

/// Insert with version 1, or replace a re-authorized account with the next version;
/// `$14` is `updated_at`, `$15` the sign-in id.
pub(super) fn upsert_account() -> String {
    format!(
        "INSERT INTO connector_accounts ({ACCOUNT_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15)
         ON CONFLICT (account_id) DO UPDATE SET
            org_url = excluded.org_url, authority_host = excluded.authority_host,
            tenant = excluded.tenant, scopes = excluded.scopes, key_id = excluded.key_id,
            refresh_token = excluded.refresh_token,
            previous_refresh_token = excluded.previous_refresh_token,
            access_token = excluded.access_token, access_expires_at = excluded.access_expires_at,
            status = excluded.status, lease_owner = excluded.lease_owner,
            lease_until = excluded.lease_until,
            version = connector_accounts.version + 1,
            updated_at = excluded.updated_at, sign_in_id = excluded.sign_in_id
         RETURNING version"
    )
}

/// The compare-and-swap: `$14` is the new version, `$16` the expected one, `$17` the
/// sign-in id (the version alone restarts at 1 after a delete and a new sign-in).
pub(super) const UPDATE_ACCOUNT: &str = "UPDATE connector_accounts SET
        org_url = $2, authority_host = $3, tenant = $4, scopes = $5, key_id = $6,
        refresh_token = $7, previous_refresh_token = $8, access_token = $9,
        access_expires_at = $10, status = $11, lease_owner = $12, lease_until = $13,
        version = $14, updated_at = $15
     WHERE account_id = $1 AND version = $16 AND sign_in_id = $17";

pub(super) const DELETE_ACCOUNT: &str = "DELETE FROM connector_accounts WHERE account_id = $1";

pub(super) const LIST_ACCOUNTS: &str = "SELECT account_id, org_url, tenant, status, updated_at FROM connector_accounts ORDER BY account_id";

pub(super) const INSERT_PENDING: &str = "INSERT INTO connector_pending_sign_ins
        (state_hash, account_id, org_url, authority_host, tenant, scopes, key_id, pkce_verifier, expires_at, session_binding_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub(super) const TAKE_PENDING: &str = "DELETE FROM connector_pending_sign_ins WHERE state_hash = $1
     RETURNING state_hash, account_id, org_url, authority_host, tenant, scopes, key_id, pkce_verifier, expires_at, session_binding_hash";

pub(super) const PURGE_PENDING: &str =
    "DELETE FROM connector_pending_sign_ins WHERE expires_at < $1";
