//! What the sync must not forget between runs, besides its Graph position: the roles a user
//! held before a business unit move (a move drops them in the classic model, so they are
//! written down first and given back, on this run or the next), the users whose steps
//! failed (retried by the next run), and a fingerprint of the rules the position was read
//! with (edited rules start a full round). Kept through `dynamics-store`, normally in the
//! same SQLite file as the checkpoint.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use dynamics_store::{Migration, SqlValue, SqliteStore, Store};
use uuid::Uuid;

use crate::error::{Result, SyncError};

static MIGRATIONS: [Migration; 1] = [Migration {
    version: 1,
    sqlite: "CREATE TABLE user_sync_held_roles (
        systemuser_id TEXT PRIMARY KEY,
        role_ids TEXT NOT NULL
    );
    CREATE TABLE user_sync_retry (
        entra_id TEXT PRIMARY KEY,
        reason TEXT NOT NULL
    );
    CREATE TABLE user_sync_rules (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL
    )",
    postgres: "CREATE TABLE user_sync_held_roles (
        systemuser_id TEXT PRIMARY KEY,
        role_ids TEXT NOT NULL
    );
    CREATE TABLE user_sync_retry (
        entra_id TEXT PRIMARY KEY,
        reason TEXT NOT NULL
    );
    CREATE TABLE user_sync_rules (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL
    )",
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

    /// Notes the (root) roles `systemuser` holds before a move; durable when this returns.
    pub async fn hold_roles(&self, systemuser: Uuid, roles: &[Uuid]) -> Result<()> {
        let ids: Vec<String> = roles.iter().map(Uuid::to_string).collect();
        self.store
            .execute(
                "INSERT INTO user_sync_held_roles (systemuser_id, role_ids) VALUES ($1, $2)
                 ON CONFLICT (systemuser_id) DO UPDATE SET role_ids = excluded.role_ids",
                vec![
                    SqlValue::text(systemuser.to_string()),
                    SqlValue::text(ids.join(",")),
                ],
            )
            .await?;
        Ok(())
    }

    /// The roles noted and not yet given back, by systemuser.
    pub async fn held_roles(&self) -> Result<BTreeMap<Uuid, Vec<Uuid>>> {
        let rows = self
            .store
            .query(
                "SELECT systemuser_id, role_ids FROM user_sync_held_roles",
                vec![],
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
    pub async fn release_roles(&self, systemuser: Uuid) -> Result<()> {
        self.store
            .execute(
                "DELETE FROM user_sync_held_roles WHERE systemuser_id = $1",
                vec![SqlValue::text(systemuser.to_string())],
            )
            .await?;
        Ok(())
    }

    /// Puts a user whose steps failed on the retry list, with why (no personal data: the
    /// reason is the error's text, which names ids, not people).
    pub async fn add_retry(&self, entra_id: Uuid, reason: &str) -> Result<()> {
        self.store
            .execute(
                "INSERT INTO user_sync_retry (entra_id, reason) VALUES ($1, $2)
                 ON CONFLICT (entra_id) DO UPDATE SET reason = excluded.reason",
                vec![SqlValue::text(entra_id.to_string()), SqlValue::text(reason)],
            )
            .await?;
        Ok(())
    }

    /// The users to try again, with the last reason.
    pub async fn retry_list(&self) -> Result<BTreeMap<Uuid, String>> {
        let rows = self
            .store
            .query("SELECT entra_id, reason FROM user_sync_retry", vec![])
            .await?;
        rows.iter()
            .map(|row| Ok((parse_id(&row.text(0)?)?, row.text(1)?)))
            .collect()
    }

    /// Takes a user off the retry list (its steps went through).
    pub async fn clear_retry(&self, entra_id: Uuid) -> Result<()> {
        self.store
            .execute(
                "DELETE FROM user_sync_retry WHERE entra_id = $1",
                vec![SqlValue::text(entra_id.to_string())],
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
            j.hold_roles(u, &[r1, r2]).await.expect("hold");
            j.add_retry(u, "did not appear").await.expect("retry");
            j.set_rules_fingerprint("k", "f1").await.expect("fp");
            j.set_rules_fingerprint("k", "f2").await.expect("fp again");
        }
        let j = SyncJournal::open_sqlite(&path).await.expect("reopen");
        assert_eq!(j.held_roles().await.expect("held")[&u], vec![r1, r2]);
        assert_eq!(j.retry_list().await.expect("list")[&u], "did not appear");
        assert_eq!(
            j.rules_fingerprint("k").await.expect("fp").as_deref(),
            Some("f2")
        );
        j.release_roles(u).await.expect("release");
        j.clear_retry(u).await.expect("clear");
        assert!(j.held_roles().await.expect("held").is_empty());
        assert!(j.retry_list().await.expect("list").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
