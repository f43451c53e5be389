//! The token store contract on SQLite, PostgreSQL and memory: save, load, compare-and-swap,
//! list, delete, single-use pending sign-ins; and, for SQL, encryption at rest (owner-only
//! file, no plaintext, wrong key and altered rows refused with typed errors).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{account, account_id};
use connector_accounts::{
    CachedAccessToken, ConnectorError, MemoryTokenStore, OrgUrl, PendingSignIn, SqlTokenStore,
    TokenKey, TokenStore,
};
use dynamics_auth::Secret;
use dynamics_store::{SqlValue, SqliteStore};
use time::OffsetDateTime;

async fn contract(store: Arc<dyn TokenStore>) {
    let mut a = account("acct-a", "https://login.microsoftonline.com/", "rt-1", None);
    assert_eq!(store.save(&a).await.unwrap(), 1);
    let loaded = store.load(&a.id).await.unwrap().expect("saved");
    assert_eq!(loaded.version, 1);
    assert_eq!(loaded.refresh_token.secret(), "rt-1");
    assert!(loaded.previous_refresh_token.is_none());
    assert_eq!(loaded.org_url, a.org_url);
    assert_eq!(loaded.scopes, a.scopes);

    // Compare-and-swap: the first writer at version 1 wins, a second one at 1 loses.
    a.refresh_token = Secret::new("rt-2");
    a.previous_refresh_token = Some(Secret::new("rt-1"));
    a.access_token = Some(CachedAccessToken {
        token: Secret::new("at-2"),
        expires_on: OffsetDateTime::now_utc() + Duration::from_secs(3600),
    });
    assert!(store.rotate(1, &a).await.unwrap());
    assert!(
        !store.rotate(1, &a).await.unwrap(),
        "a stale version must lose"
    );
    let rotated = store.load(&a.id).await.unwrap().unwrap();
    assert_eq!(rotated.version, 2);
    assert_eq!(rotated.refresh_token.secret(), "rt-2");
    assert_eq!(rotated.previous_refresh_token.unwrap().secret(), "rt-1");
    assert_eq!(rotated.access_token.unwrap().token.secret(), "at-2");

    // A new sign-in replaces the account and moves the version on.
    assert_eq!(
        store
            .save(&account(
                "acct-a",
                "https://login.microsoftonline.com/",
                "rt-new",
                None
            ))
            .await
            .unwrap(),
        3
    );
    store
        .save(&account(
            "acct-b",
            "https://login.microsoftonline.com/",
            "rt-b",
            None,
        ))
        .await
        .unwrap();
    let ids: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(ids, ["acct-a", "acct-b"]);
    assert!(store.delete(&account_id("acct-b")).await.unwrap());
    assert!(!store.delete(&account_id("acct-b")).await.unwrap());
    assert!(store.load(&account_id("acct-b")).await.unwrap().is_none());

    // A delete and a new sign-in restart the version; a write meant for the old sign-in
    // (whose version happens to match again) must still lose.
    let host = "https://login.microsoftonline.com/";
    let mut old = account("acct-d", host, "rt-old", None);
    assert_eq!(store.save(&old).await.unwrap(), 1);
    old.refresh_token = Secret::new("rt-old-2");
    assert!(store.rotate(1, &old).await.unwrap());
    assert!(store.delete(&old.id).await.unwrap());
    let mut new = account("acct-d", host, "rt-new", None);
    new.sign_in_id = "second-sign-in".into();
    assert_eq!(store.save(&new).await.unwrap(), 1);
    assert!(store.rotate(1, &new).await.unwrap());
    old.refresh_token = Secret::new("rt-stale");
    assert!(
        !store.rotate(2, &old).await.unwrap(),
        "a write for an earlier sign-in must lose"
    );
    let current = store.load(&new.id).await.unwrap().unwrap();
    assert_eq!(current.refresh_token.secret(), "rt-new");
    assert_eq!(current.sign_in_id, "second-sign-in");
    assert!(store.delete(&new.id).await.unwrap());

    // Pending sign-ins: taken once; expired ones purged.
    let pending = |hash: u8, expires_at| PendingSignIn {
        state_hash: [hash; 32],
        account: account_id("acct-c"),
        org_url: OrgUrl::parse("https://c.crm.dynamics.com").unwrap(),
        authority_host: "https://login.microsoftonline.com/".into(),
        tenant: "organizations".into(),
        scopes: vec![
            "https://c.crm.dynamics.com/user_impersonation".into(),
            "offline_access".into(),
        ],
        pkce_verifier: Secret::new("verifier-value-0123456789"),
        session_binding_hash: [7; 32],
        expires_at,
    };
    let now = OffsetDateTime::now_utc();
    store
        .put_pending(&pending(1, now + Duration::from_secs(600)))
        .await
        .unwrap();
    store
        .put_pending(&pending(2, now - Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(store.purge_expired(now).await.unwrap(), 1);
    let taken = store
        .take_pending(&[1; 32])
        .await
        .unwrap()
        .expect("pending");
    assert_eq!(taken.pkce_verifier.secret(), "verifier-value-0123456789");
    assert_eq!(taken.session_binding_hash, [7; 32]);
    assert_eq!(taken.scopes.len(), 2);
    assert!(
        store.take_pending(&[1; 32]).await.unwrap().is_none(),
        "single use"
    );
    assert!(
        store.take_pending(&[2; 32]).await.unwrap().is_none(),
        "purged"
    );
}

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    contract(Arc::new(MemoryTokenStore::new())).await;
}

#[tokio::test]
async fn sqlite_store_keeps_the_contract() {
    let dir = tempdir();
    let store = SqlTokenStore::open_sqlite(&dir.join("tokens.db"), TokenKey::generate())
        .await
        .unwrap();
    contract(Arc::new(store)).await;
}

#[tokio::test]
async fn postgres_store_keeps_the_contract() {
    let Some(url) = test_postgres::fresh_database("connector_contract").await else {
        return;
    };
    let store = SqlTokenStore::connect_postgres(&url, TokenKey::generate())
        .await
        .unwrap();
    contract(Arc::new(store)).await;
}

#[tokio::test]
async fn sqlite_file_is_owner_only_and_holds_no_plaintext_token() {
    let dir = tempdir();
    let path = dir.join("tokens.db");
    let store = SqlTokenStore::open_sqlite(&path, TokenKey::generate())
        .await
        .unwrap();
    let secret = "rt-plaintext-marker-0123456789";
    store
        .save(&account(
            "acct-a",
            "https://login.microsoftonline.com/",
            secret,
            None,
        ))
        .await
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the token file must be owner-only");
    }
    drop(store);
    for file in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "plaintext token on disk"
        );
    }
}

#[tokio::test]
async fn a_wrong_key_is_a_typed_error_never_garbage() {
    let dir = tempdir();
    let path = dir.join("tokens.db");
    let store = SqlTokenStore::open_sqlite(&path, TokenKey::generate())
        .await
        .unwrap();
    store
        .save(&account(
            "acct-a",
            "https://login.microsoftonline.com/",
            "rt-1",
            None,
        ))
        .await
        .unwrap();
    drop(store);
    let other = TokenKey::generate();
    let reopened = SqlTokenStore::open_sqlite(&path, other.clone())
        .await
        .unwrap();
    let error = reopened.load(&account_id("acct-a")).await.unwrap_err();
    match &error {
        ConnectorError::WrongKey {
            account, expected, ..
        } => {
            assert_eq!(account.as_str(), "acct-a");
            assert_eq!(expected, other.id());
        }
        other => panic!("expected WrongKey, got {other:?}"),
    }
    assert!(error.to_string().contains("another key"), "{error}");
}

#[tokio::test]
async fn altered_or_swapped_ciphertext_is_refused() {
    let dir = tempdir();
    let path = dir.join("tokens.db");
    let key = TokenKey::generate();
    let store = SqlTokenStore::open_sqlite(&path, key.clone())
        .await
        .unwrap();
    store
        .save(&account(
            "acct-a",
            "https://login.microsoftonline.com/",
            "rt-a",
            None,
        ))
        .await
        .unwrap();
    store
        .save(&account(
            "acct-b",
            "https://login.microsoftonline.com/",
            "rt-b",
            None,
        ))
        .await
        .unwrap();

    // A second connection to the same file plays the attacker with write access to the rows.
    let raw = SqliteStore::open(&path, Duration::from_secs(5))
        .await
        .unwrap();
    // 1. Flip one byte of acct-a's sealed refresh token.
    let rows = raw
        .query(
            "SELECT refresh_token FROM connector_accounts WHERE account_id = $1",
            vec![SqlValue::text("acct-a")],
            false,
        )
        .await
        .unwrap();
    let mut sealed = rows[0].bytes(0).unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 0x01;
    raw.execute(
        "UPDATE connector_accounts SET refresh_token = $1 WHERE account_id = $2",
        vec![SqlValue::bytes(sealed), SqlValue::text("acct-a")],
    )
    .await
    .unwrap();
    assert!(matches!(
        store.load(&account_id("acct-a")).await,
        Err(ConnectorError::Tampered { .. })
    ));

    // 2. Copy acct-b's (valid) ciphertext into acct-a's row: the account id is bound in.
    raw.execute(
        "UPDATE connector_accounts SET refresh_token = (SELECT refresh_token FROM connector_accounts WHERE account_id = $1) WHERE account_id = $2",
        vec![SqlValue::text("acct-b"), SqlValue::text("acct-a")],
    )
    .await
    .unwrap();
    let error = store.load(&account_id("acct-a")).await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::Tampered { .. }),
        "{error:?}"
    );
    assert!(!format!("{error:?} {error}").contains("rt-b"));
    // acct-b itself is untouched.
    assert_eq!(
        store
            .load(&account_id("acct-b"))
            .await
            .unwrap()
            .unwrap()
            .refresh_token
            .secret(),
        "rt-b"
    );
}

/// Someone with write access to the database but not the key changes where an account's
/// tokens go: the row no longer opens, so no token or client secret is sent there.
#[tokio::test]
async fn clear_columns_that_route_tokens_are_authenticated() {
    let dir = tempdir();
    let path = dir.join("tokens.db");
    let store = SqlTokenStore::open_sqlite(&path, TokenKey::generate())
        .await
        .unwrap();
    let raw = SqliteStore::open(&path, Duration::from_secs(5))
        .await
        .unwrap();
    for (column, value) in [
        ("authority_host", "https://login.evil.example/"),
        ("org_url", "https://evil.crm.dynamics.com"),
        ("tenant", "attacker.onmicrosoft.com"),
        (
            "scopes",
            "https://evil.crm.dynamics.com/.default offline_access",
        ),
        ("sign_in_id", "another-sign-in"),
    ] {
        store
            .save(&account(
                "acct-a",
                "https://login.microsoftonline.com/",
                "rt-a",
                None,
            ))
            .await
            .unwrap();
        assert!(store.load(&account_id("acct-a")).await.is_ok());
        raw.execute(
            &format!("UPDATE connector_accounts SET {column} = $1 WHERE account_id = $2"),
            vec![SqlValue::text(value), SqlValue::text("acct-a")],
        )
        .await
        .unwrap();
        let error = store.load(&account_id("acct-a")).await.unwrap_err();
        assert!(
            matches!(error, ConnectorError::Tampered { .. }),
            "{column}: {error:?}"
        );
    }

    // The same for a pending sign-in's sign-in host and session binding.
    for (column, value) in [
        ("authority_host", "https://login.evil.example/"),
        ("session_binding_hash", &"ab".repeat(32)[..]),
    ] {
        let hash = [column.len() as u8; 32];
        store
            .put_pending(&PendingSignIn {
                state_hash: hash,
                account: account_id("acct-p"),
                org_url: OrgUrl::parse("https://c.crm.dynamics.com").unwrap(),
                authority_host: "https://login.microsoftonline.com/".into(),
                tenant: "organizations".into(),
                scopes: vec!["https://c.crm.dynamics.com/user_impersonation".into()],
                pkce_verifier: Secret::new("verifier-value-0123456789"),
                session_binding_hash: [9; 32],
                expires_at: OffsetDateTime::now_utc() + Duration::from_secs(600),
            })
            .await
            .unwrap();
        raw.execute(
            &format!("UPDATE connector_pending_sign_ins SET {column} = $1"),
            vec![SqlValue::text(value)],
        )
        .await
        .unwrap();
        let error = store.take_pending(&hash).await.unwrap_err();
        assert!(
            matches!(error, ConnectorError::Tampered { .. }),
            "{column}: {error:?}"
        );
    }
}

#[test]
fn debug_output_hides_tokens() {
    let mut a = account(
        "acct-a",
        "https://login.microsoftonline.com/",
        "rt-secret-value",
        Some("rt-old-value"),
    );
    a.access_token = Some(CachedAccessToken {
        token: Secret::new("at-secret-value"),
        expires_on: OffsetDateTime::now_utc(),
    });
    let shown = format!("{a:?}");
    for secret in ["rt-secret-value", "rt-old-value", "at-secret-value"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

/// A fresh directory under the system temp dir (removed by the OS; tests never share one).
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "connector-accounts-{}-{}",
        std::process::id(),
        uuid_like()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn uuid_like() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    nanos ^ u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
}
