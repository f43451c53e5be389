//! What the sync must not forget between runs, besides its Graph position: the roles a user
//! held before a business unit move (a move drops them in the classic model, so they are
//! written down first and given back, on this run or the next), the users whose steps
//! failed (retried by the next run), and a fingerprint of the rules the position was read
//! with (edited rules start a full round). Kept through `dynamics-store`, normally in the
//! same SQLite file as the checkpoint, and scoped like it by the sync's checkpoint key, so
//! syncs of several orgs can share one store.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use dynamics_store::{Migration, SqlValue, SqliteStore, Store};
use uuid::Uuid;

use crate::error::{Result, SyncError};

/// The same statements on SQLite and PostgreSQL. Entries are scoped by the sync's
/// checkpoint key (`sync_key`), as the checkpoints are.
const SCHEMA_V1: &str = "CREATE TABLE user_sync_held_roles (
        sync_key TEXT NOT NULL,
        systemuser_id TEXT NOT NULL,
        role_ids TEXT NOT NULL,
        PRIMARY KEY (sync_key, systemuser_id)
    );
    CREATE TABLE user_sync_retry (
        sync_key TEXT NOT NULL,
        entra_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (sync_key, entra_id)
    );
    CREATE TABLE user_sync_rules (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL
    )";

static MIGRATIONS: [Migration; 1] = [Migration {
    version: 1,
    sqlite: SCHEMA_V1,
    postgres: SCHEMA_V1,
}];

/// The sync's durable notes (see the module docs). Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct SyncJournal {
    store: Store,
}

impl SyncJournal {
    /// Over an open store; creates its tables on first use.
    pub async fn new(store: Store) -> Result<Self> {
        store.migrate("user-sync-journal", &MIGRATIONS).await?;
        Ok(SyncJournal { store })
    }

    /// Over an SQLite file (created when missing), e.g. the checkpoint's file.
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        let store = SqliteStore::open(path, Duration::from_secs(5)).await?;
        Self::new(Store::Sqlite(store)).await
    }

    /// Notes the (root) roles `systemuser` holds before a move, for the sync under `key`;
    /// durable when this returns.
    pub async fn hold_roles(&self, key: &str, systemuser: Uuid, roles: &[Uuid]) -> Result<()> {
        let ids: Vec<String> = roles.iter().map(Uuid::to_string).collect();
        self.store
            .execute(
                "INSERT INTO user_sync_held_roles (sync_key, systemuser_id, role_ids)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (sync_key, systemuser_id) DO UPDATE SET role_ids = excluded.role_ids",
                vec![
                    SqlValue::text(key),
                    SqlValue::text(systemuser.to_string()),
                    SqlValue::text(ids.join(",")),
                ],
            )
            .await?;
        Ok(())
    }

    /// The roles noted and not yet given back, by systemuser.
    pub async fn held_roles(&self, key: &str) -> Result<BTreeMap<Uuid, Vec<Uuid>>> {
        let rows = self
            .store
            .query(
                "SELECT systemuser_id, role_ids FROM user_sync_held_roles WHERE sync_key = $1",
                vec![SqlValue::text(key)],
            )
            .await?;
        let mut out = BTreeMap::new();
        for row in rows {
            let user = parse_id(&row.text(0)?)?;
            let roles = row
                .text(1)?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(parse_id)
                .collect::<Result<Vec<_>>>()?;
            out.insert(user, roles);
        }
        Ok(out)
    }

    /// Forgets the roles of `systemuser` (all given back).
    pub async fn release_roles(&self, key: &str, systemuser: Uuid) -> Result<()> {
        self.store
            .execute(
                "DELETE FROM user_sync_held_roles WHERE sync_key = $1 AND systemuser_id = $2",
                vec![SqlValue::text(key), SqlValue::text(systemuser.to_string())],
            )
            .await?;
        Ok(())
    }

    /// Puts a user whose steps failed on the retry list, with why (no personal data: the
    /// reason is the error's text, which names ids, not people).
    pub async fn add_retry(&self, key: &str, entra_id: Uuid, reason: &str) -> Result<()> {
        self.store
            .execute(
                "INSERT INTO user_sync_retry (sync_key, entra_id, reason) VALUES ($1, $2, $3)
                 ON CONFLICT (sync_key, entra_id) DO UPDATE SET reason = excluded.reason",
                vec![
                    SqlValue::text(key),
                    SqlValue::text(entra_id.to_string()),
                    SqlValue::text(reason),
                ],
            )
            .await?;
        Ok(())
    }

    /// The users to try again, with the last reason.
    pub async fn retry_list(&self, key: &str) -> Result<BTreeMap<Uuid, String>> {
        let rows = self
            .store
            .query(
                "SELECT entra_id, reason FROM user_sync_retry WHERE sync_key = $1",
                vec![SqlValue::text(key)],
            )
            .await?;
        rows.iter()
            .map(|row| Ok((parse_id(&row.text(0)?)?, row.text(1)?)))
            .collect()
    }

    /// Takes a user off the retry list (its steps went through).
    pub async fn clear_retry(&self, key: &str, entra_id: Uuid) -> Result<()> {
        self.store
            .execute(
                "DELETE FROM user_sync_retry WHERE sync_key = $1 AND entra_id = $2",
                vec![SqlValue::text(key), SqlValue::text(entra_id.to_string())],
            )
            .await?;
        Ok(())
    }

    /// The rules fingerprint saved under `key`.
    pub async fn rules_fingerprint(&self, key: &str) -> Result<Option<String>> {
        let rows = self
            .store
            .query(
                "SELECT fingerprint FROM user_sync_rules WHERE key = $1",
                vec![SqlValue::text(key)],
            )
            .await?;
        rows.first()
            .map(|r| r.text(0))
            .transpose()
            .map_err(Into::into)
    }

    /// Saves the fingerprint of the rules a round under `key` was applied with.
    pub async fn set_rules_fingerprint(&self, key: &str, fingerprint: &str) -> Result<()> {
        self.store
            .execute(
                "INSERT INTO user_sync_rules (key, fingerprint) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint",
                vec![SqlValue::text(key), SqlValue::text(fingerprint)],
            )
            .await?;
        Ok(())
    }
}

fn parse_id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| {
        SyncError::invalid(
            "sync journal",
            format!(
                "a stored id `{text}` is not a GUID; the state file was edited by hand or is \
                 damaged: delete the row or the file"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn held_roles_retries_and_fingerprints_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("user-sync-journal-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("state.sqlite");
        let (u, r1, r2) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        {
            let j = SyncJournal::open_sqlite(&path).await.expect("open");
            j.hold_roles("k", u, &[r1, r2]).await.expect("hold");
            j.add_retry("k", u, "did not appear").await.expect("retry");
            j.set_rules_fingerprint("k", "f1").await.expect("fp");
            j.set_rules_fingerprint("k", "f2").await.expect("fp again");
        }
        let j = SyncJournal::open_sqlite(&path).await.expect("reopen");
        assert_eq!(j.held_roles("k").await.expect("held")[&u], vec![r1, r2]);
        assert_eq!(j.retry_list("k").await.expect("list")[&u], "did not appear");
        // Another sync (another org) sharing the store sees none of it.
        assert!(j.held_roles("other").await.expect("held").is_empty());
        assert!(j.retry_list("other").await.expect("list").is_empty());
        j.clear_retry("other", u).await.expect("clear elsewhere");
        assert_eq!(j.retry_list("k").await.expect("list").len(), 1);
        assert_eq!(
            j.rules_fingerprint("k").await.expect("fp").as_deref(),
            Some("f2")
        );
        j.release_roles("k", u).await.expect("release");
        j.clear_retry("k", u).await.expect("clear");
        assert!(j.held_roles("k").await.expect("held").is_empty());
        assert!(j.retry_list("k").await.expect("list").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
