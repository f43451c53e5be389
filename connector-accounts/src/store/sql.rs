//! [`SqlTokenStore`]: the token store on SQLite (one file, owner-only) or PostgreSQL (shared
//! by several workers), through `dynamics-store`. Tokens and PKCE verifiers are sealed with
//! the caller's [`TokenKey`] before they reach the database.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dynamics_store::{PgStore, Row, SqlValue, SqliteStore, Store, StoreError};
use time::OffsetDateTime;

use super::TokenStore;
use super::schema::{self, COMPONENT, MIGRATIONS};
use crate::{
    AccountId, AccountStatus, AccountSummary, CachedAccessToken, ConnectorError, OrgUrl,
    PendingSignIn, RefreshLease, StoredAccount, TokenKey,
};

/// How long a SQLite connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

// Field names in the associated data of sealed values.
const FIELD_REFRESH: &str = "refresh_token";
const FIELD_PREVIOUS: &str = "previous_refresh_token";
const FIELD_ACCESS: &str = "access_token";
const FIELD_VERIFIER: &str = "pkce_verifier";

/// The token store on SQL.
#[derive(Debug, Clone)]
pub struct SqlTokenStore {
    store: Arc<Store>,
    key: TokenKey,
}

impl SqlTokenStore {
    /// Opens (creating when missing) a SQLite file, readable by its owner only on Unix.
    pub async fn open_sqlite(path: &Path, key: TokenKey) -> Result<Self, ConnectorError> {
        let store = SqliteStore::open(path, BUSY_TIMEOUT).await?;
        Self::from_store(Store::Sqlite(store), key).await
    }

    /// Connects to PostgreSQL (`postgres://user:password@host/db`), for several workers.
    pub async fn connect_postgres(url: &str, key: TokenKey) -> Result<Self, ConnectorError> {
        let store = PgStore::connect(url).await?;
        Self::from_store(Store::Postgres(Box::new(store)), key).await
    }

    /// Uses an already opened store (shared with other components), creating the tables.
    pub async fn from_store(store: Store, key: TokenKey) -> Result<Self, ConnectorError> {
        store.migrate(COMPONENT, &MIGRATIONS).await?;
        Ok(SqlTokenStore {
            store: Arc::new(store),
            key,
        })
    }

    /// The parameters `$1`..`$13` shared by the insert and the update.
    fn account_params(&self, a: &StoredAccount) -> Vec<SqlValue> {
        let scopes = a.scopes.join(" ");
        let bound = account_bound(
            a.org_url.as_str(),
            &a.authority_host,
            &a.tenant,
            &scopes,
            &a.sign_in_id,
        );
        let seal =
            |field: &str, value: &str| SqlValue::bytes(self.key.seal(&a.id, field, &bound, value));
        vec![
            SqlValue::text(a.id.as_str()),
            SqlValue::text(a.org_url.as_str()),
            SqlValue::text(&a.authority_host),
            SqlValue::text(&a.tenant),
            SqlValue::text(scopes.clone()),
            SqlValue::text(self.key.id()),
            seal(FIELD_REFRESH, a.refresh_token.secret()),
            a.previous_refresh_token
                .as_ref()
                .map_or(SqlValue::Bytes(None), |t| seal(FIELD_PREVIOUS, t.secret())),
            a.access_token.as_ref().map_or(SqlValue::Bytes(None), |t| {
                seal(FIELD_ACCESS, t.token.secret())
            }),
            SqlValue::Int(a.access_token.as_ref().map(|t| millis(t.expires_on))),
            SqlValue::text(a.status.as_str()),
            SqlValue::Text(a.lease.as_ref().map(|l| l.owner.clone())),
            SqlValue::Int(a.lease.as_ref().map(|l| millis(l.until))),
        ]
    }

    fn account_from_row(&self, row: &Row) -> Result<StoredAccount, ConnectorError> {
        let id = AccountId::new(row.text(0)?)?;
        self.key.check_id(&id, &row.text(5)?)?;
        let (org_url, authority_host, tenant, scopes, sign_in_id) = (
            row.text(1)?,
            row.text(2)?,
            row.text(3)?,
            row.text(4)?,
            row.text(15)?,
        );
        let bound = account_bound(&org_url, &authority_host, &tenant, &scopes, &sign_in_id);
        let open = |field: &str, bytes: &[u8]| self.key.open(&id, field, &bound, bytes);
        let previous = match opt_bytes(row, 7)? {
            Some(bytes) => Some(open(FIELD_PREVIOUS, &bytes)?),
            None => None,
        };
        let access = match (opt_bytes(row, 8)?, row.opt_i64(9)?) {
            (Some(bytes), Some(expires)) => Some(CachedAccessToken {
                token: open(FIELD_ACCESS, &bytes)?,
                expires_on: from_millis(expires),
            }),
            _ => None,
        };
        let lease = match (row.opt_text(11)?, row.opt_i64(12)?) {
            (Some(owner), Some(until)) => Some(RefreshLease {
                owner,
                until: from_millis(until),
            }),
            _ => None,
        };
        let refresh_token = open(FIELD_REFRESH, &row.bytes(6)?)?;
        Ok(StoredAccount {
            org_url: OrgUrl::parse(&org_url)?,
            authority_host,
            tenant,
            scopes: split_scopes(&scopes),
            refresh_token,
            previous_refresh_token: previous,
            access_token: access,
            status: AccountStatus::parse(&row.text(10)?),
            lease,
            version: row.i64(13)?,
            updated_at: from_millis(row.i64(14)?),
            sign_in_id,
            id,
        })
    }
}

#[async_trait]
impl TokenStore for SqlTokenStore {
    async fn save(&self, account: &StoredAccount) -> Result<i64, ConnectorError> {
        let mut params = self.account_params(account);
        params.push(SqlValue::int(millis(account.updated_at)));
        params.push(SqlValue::text(&account.sign_in_id));
        let rows = self
            .store
            .query_for_write(&schema::upsert_account(), params)
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| StoreError::Decode("the upsert returned no version".into()))?;
        Ok(row.i64(0)?)
    }

    async fn load(&self, id: &AccountId) -> Result<Option<StoredAccount>, ConnectorError> {
        let rows = self
            .store
            .query(&schema::select_account(), vec![SqlValue::text(id.as_str())])
            .await?;
        rows.first()
            .map(|row| self.account_from_row(row))
            .transpose()
    }

    async fn rotate(
        &self,
        expected_version: i64,
        next: &StoredAccount,
    ) -> Result<bool, ConnectorError> {
        let mut params = self.account_params(next);
        params.push(SqlValue::int(expected_version + 1));
        params.push(SqlValue::int(millis(next.updated_at)));
        params.push(SqlValue::int(expected_version));
        params.push(SqlValue::text(&next.sign_in_id));
        let changed = self.store.execute(schema::UPDATE_ACCOUNT, params).await?;
        Ok(changed == 1)
    }

    async fn delete(&self, id: &AccountId) -> Result<bool, ConnectorError> {
        let changed = self
            .store
            .execute(schema::DELETE_ACCOUNT, vec![SqlValue::text(id.as_str())])
            .await?;
        Ok(changed > 0)
    }

    async fn list(&self) -> Result<Vec<AccountSummary>, ConnectorError> {
        let rows = self.store.query(schema::LIST_ACCOUNTS, Vec::new()).await?;
        rows.iter()
            .map(|row| {
                Ok(AccountSummary {
                    id: AccountId::new(row.text(0)?)?,
                    org_url: OrgUrl::parse(&row.text(1)?)?,
                    tenant: row.text(2)?,
                    status: AccountStatus::parse(&row.text(3)?),
                    updated_at: from_millis(row.i64(4)?),
                })
            })
            .collect()
    }

    async fn put_pending(&self, p: &PendingSignIn) -> Result<(), ConnectorError> {
        let scopes = p.scopes.join(" ");
        let binding = hex(&p.session_binding_hash);
        let bound = pending_bound(
            p.org_url.as_str(),
            &p.authority_host,
            &p.tenant,
            &scopes,
            &binding,
        );
        let params = vec![
            SqlValue::text(hex(&p.state_hash)),
            SqlValue::text(p.account.as_str()),
            SqlValue::text(p.org_url.as_str()),
            SqlValue::text(&p.authority_host),
            SqlValue::text(&p.tenant),
            SqlValue::text(scopes.clone()),
            SqlValue::text(self.key.id()),
            SqlValue::bytes(self.key.seal(
                &p.account,
                FIELD_VERIFIER,
                &bound,
                p.pkce_verifier.secret(),
            )),
            SqlValue::int(millis(p.expires_at)),
            SqlValue::text(binding.clone()),
        ];
        self.store.execute(schema::INSERT_PENDING, params).await?;
        Ok(())
    }

    async fn take_pending(
        &self,
        state_hash: &[u8; 32],
    ) -> Result<Option<PendingSignIn>, ConnectorError> {
        let rows = self
            .store
            .query_for_write(schema::TAKE_PENDING, vec![SqlValue::text(hex(state_hash))])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let account = AccountId::new(row.text(1)?)?;
        self.key.check_id(&account, &row.text(6)?)?;
        let (org_url, authority_host, tenant, scopes, binding) = (
            row.text(2)?,
            row.text(3)?,
            row.text(4)?,
            row.text(5)?,
            row.text(9)?,
        );
        let bound = pending_bound(&org_url, &authority_host, &tenant, &scopes, &binding);
        let pkce_verifier = self
            .key
            .open(&account, FIELD_VERIFIER, &bound, &row.bytes(7)?)?;
        // Authenticated by the seal above, so a malformed value means an altered row.
        let session_binding_hash = unhex(&binding).ok_or_else(|| ConnectorError::Tampered {
            account: account.clone(),
        })?;
        Ok(Some(PendingSignIn {
            state_hash: *state_hash,
            org_url: OrgUrl::parse(&org_url)?,
            authority_host,
            tenant,
            scopes: split_scopes(&scopes),
            pkce_verifier,
            session_binding_hash,
            expires_at: from_millis(row.i64(8)?),
            account,
        }))
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, ConnectorError> {
        Ok(self
            .store
            .execute(schema::PURGE_PENDING, vec![SqlValue::int(millis(now))])
            .await?)
    }
}

/// The clear account columns bound into every sealed token of the row: changing where the
/// tokens go (org, sign-in host, tenant, scopes) or the sign-in they belong to breaks the seal.
fn account_bound<'a>(
    org_url: &'a str,
    authority_host: &'a str,
    tenant: &'a str,
    scopes: &'a str,
    sign_in_id: &'a str,
) -> [&'a str; 6] {
    [
        "account",
        org_url,
        authority_host,
        tenant,
        scopes,
        sign_in_id,
    ]
}

/// The clear pending-sign-in columns bound into its sealed PKCE verifier.
fn pending_bound<'a>(
    org_url: &'a str,
    authority_host: &'a str,
    tenant: &'a str,
    scopes: &'a str,
    session_binding_hash: &'a str,
) -> [&'a str; 6] {
    [
        "pending",
        org_url,
        authority_host,
        tenant,
        scopes,
        session_binding_hash,
    ]
}

fn opt_bytes(row: &Row, index: usize) -> Result<Option<Vec<u8>>, ConnectorError> {
    match row.0.get(index) {
        Some(SqlValue::Bytes(None) | SqlValue::Text(None) | SqlValue::Int(None)) => Ok(None),
        _ => Ok(Some(row.bytes(index)?)),
    }
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}
