//! Refresh-token rotation against a token endpoint that behaves like Entra ID (wiremock): the
//! previous token is kept until its successor worked, a refused newest token falls back to the
//! previous one, a crash between receiving and storing a rotated token does not lose the
//! account, and two workers refreshing one account at once redeem its token once.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::{TENANT, account, account_id};
use connector_accounts::{
    AccountId, AccountStatus, AccountSummary, AppCredential, CachedAccessToken, ConnectorApp,
    ConnectorError, ConnectorSignIn, MemoryTokenStore, PendingSignIn, SignInOptions, SqlTokenStore,
    StoredAccount, TokenKey, TokenStore,
};
use dynamics_auth::{Clock as _, CredentialOptions, Secret, TokenCredential, Uuid};
use time::OffsetDateTime;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_ID: Uuid = Uuid::from_u128(0x0c0c0c0c_1111_2222_3333_444444444444);

/// Long enough that a busy machine finishes a refresh within its budget (half of it).
const LEASE: Duration = Duration::from_secs(10);

fn sign_in(server: &MockServer, store: Arc<dyn TokenStore>) -> ConnectorSignIn {
    sign_in_with_lease(server, store, LEASE)
}

fn sign_in_with_lease(
    server: &MockServer,
    store: Arc<dyn TokenStore>,
    refresh_lease: Duration,
) -> ConnectorSignIn {
    ConnectorSignIn::new(
        ConnectorApp {
            client_id: CLIENT_ID,
            credential: AppCredential::Secret(Secret::new("platform-secret-value")),
            redirect_uri: "http://localhost/callback".into(),
        },
        store,
        SignInOptions {
            authority_host: server.uri(),
            discover_tenant: false,
            refresh_lease,
            credential_options: CredentialOptions {
                max_retries: 0,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .expect("valid settings")
}

fn host(server: &MockServer) -> String {
    format!("{}/", server.uri())
}

fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

fn tokens(access: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "token_type": "Bearer",
        "scope": "https://contoso.crm4.dynamics.com/user_impersonation",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": access,
        "refresh_token": refresh,
    }))
}

fn refused() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(serde_json::json!({
        "error": "invalid_grant",
        "error_description": "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.\r\nTrace ID: t\r\nCorrelation ID: c",
        "error_codes": [70008],
    }))
}

fn redeeming(refresh: &str) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains(format!("refresh_token={refresh}&")))
}

#[tokio::test]
async fn rotation_keeps_the_redeemed_token_as_the_fallback() {
    let server = MockServer::start().await;
    redeeming("rt-one")
        .respond_with(tokens("at-1", "rt-two"))
        .expect(1)
        .mount(&server)
        .await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    store
        .save(&account("acct", &host(&server), "rt-one", None))
        .await
        .unwrap();
    let flow = sign_in(&server, store.clone());

    let credential = flow.client_for(&account_id("acct")).await.unwrap();
    assert_eq!(
        credential.access_token().await.unwrap().token.secret(),
        "at-1"
    );
    // The stored access token serves the next call without a request.
    assert_eq!(
        credential.access_token().await.unwrap().token.secret(),
        "at-1"
    );

    let stored = store.load(&account_id("acct")).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.secret(), "rt-two");
    assert_eq!(stored.previous_refresh_token.unwrap().secret(), "rt-one");
    assert!(
        stored.lease.is_none(),
        "the lease is released with the rotation"
    );
    server.verify().await;
}

#[tokio::test]
async fn a_refused_newest_token_falls_back_to_the_previous_one() {
    let server = MockServer::start().await;
    redeeming("rt-stored-broken")
        .respond_with(refused())
        .expect(1)
        .mount(&server)
        .await;
    redeeming("rt-good")
        .respond_with(tokens("at-2", "rt-next"))
        .expect(1)
        .mount(&server)
        .await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    store
        .save(&account(
            "acct",
            &host(&server),
            "rt-stored-broken",
            Some("rt-good"),
        ))
        .await
        .unwrap();

    let credential = sign_in(&server, store.clone())
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    assert_eq!(
        credential.access_token().await.unwrap().token.secret(),
        "at-2"
    );
    let stored = store.load(&account_id("acct")).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.secret(), "rt-next");
    assert_eq!(stored.previous_refresh_token.unwrap().secret(), "rt-good");
    server.verify().await;
}

#[tokio::test]
async fn both_tokens_refused_asks_for_a_new_sign_in() {
    let server = MockServer::start().await;
    redeeming("rt-a")
        .respond_with(refused())
        .expect(1)
        .mount(&server)
        .await;
    redeeming("rt-b")
        .respond_with(refused())
        .expect(1)
        .mount(&server)
        .await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    store
        .save(&account("acct", &host(&server), "rt-a", Some("rt-b")))
        .await
        .unwrap();
    let flow = sign_in(&server, store.clone());

    let error = flow
        .client_for(&account_id("acct"))
        .await
        .unwrap()
        .access_token()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectorError::ReauthorizationRequired { .. }),
        "{error:?}"
    );
    assert!(error.needs_sign_in());
    let text = format!("{error} {error:?}");
    assert!(
        text.contains("AADSTS70008") && !text.contains("rt-a") && !text.contains("rt-b"),
        "{text}"
    );
    let stored = store.load(&account_id("acct")).await.unwrap().unwrap();
    assert_eq!(stored.status, AccountStatus::ReauthorizationRequired);
    // No further requests: the account waits for its customer.
    assert!(flow.client_for(&account_id("acct")).await.is_err());
    server.verify().await;
}

/// A store that fails the `n`-th rotation, as a process killed between receiving a rotated
/// token and storing it would.
#[derive(Debug)]
struct CrashOnRotation {
    inner: Arc<dyn TokenStore>,
    rotations: AtomicUsize,
    crash_at: usize,
}

#[async_trait]
impl TokenStore for CrashOnRotation {
    async fn save(&self, account: &StoredAccount) -> Result<i64, ConnectorError> {
        self.inner.save(account).await
    }
    async fn load(&self, id: &AccountId) -> Result<Option<StoredAccount>, ConnectorError> {
        self.inner.load(id).await
    }
    async fn rotate(&self, expected: i64, next: &StoredAccount) -> Result<bool, ConnectorError> {
        if self.rotations.fetch_add(1, Ordering::SeqCst) + 1 == self.crash_at {
            return Err(ConnectorError::Store(dynamics_store::StoreError::Config(
                "simulated crash".into(),
            )));
        }
        self.inner.rotate(expected, next).await
    }
    async fn delete(&self, id: &AccountId) -> Result<bool, ConnectorError> {
        self.inner.delete(id).await
    }
    async fn list(&self) -> Result<Vec<AccountSummary>, ConnectorError> {
        self.inner.list().await
    }
    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), ConnectorError> {
        self.inner.put_pending(pending).await
    }
    async fn take_pending(&self, hash: &[u8; 32]) -> Result<Option<PendingSignIn>, ConnectorError> {
        self.inner.take_pending(hash).await
    }
    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, ConnectorError> {
        self.inner.purge_expired(now).await
    }
}

/// Short, so the restarted worker waits out the dead worker's lease quickly.
const CRASH_LEASE: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_crash_between_receiving_and_storing_a_rotated_token_keeps_the_account() {
    let server = MockServer::start().await;
    // Entra ID keeps a redeemed refresh token valid, so the stored one can be redeemed again.
    redeeming("rt-one")
        .respond_with(tokens("at-lost", "rt-lost"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    redeeming("rt-one")
        .respond_with(tokens("at-2", "rt-three"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = std::env::temp_dir().join(format!("connector-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tokens.db");
    let _ = std::fs::remove_file(&file);
    let key = TokenKey::generate();
    let durable = Arc::new(
        SqlTokenStore::open_sqlite(&file, key.clone())
            .await
            .unwrap(),
    );
    durable
        .save(&account("acct", &host(&server), "rt-one", None))
        .await
        .unwrap();

    // Worker 1 claims the lease (rotation 1), receives rt-lost, dies before storing it (rotation 2).
    let crashing = Arc::new(CrashOnRotation {
        inner: durable.clone(),
        rotations: AtomicUsize::new(0),
        crash_at: 2,
    });
    let first = sign_in_with_lease(&server, crashing, CRASH_LEASE)
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    assert!(
        first.access_token().await.is_err(),
        "the simulated crash surfaces"
    );
    drop(first);

    // The restarted worker opens the file again, waits out the dead worker's lease and
    // redeems the token that is still stored.
    let reopened: Arc<dyn TokenStore> =
        Arc::new(SqlTokenStore::open_sqlite(&file, key).await.unwrap());
    let second = sign_in_with_lease(&server, reopened.clone(), CRASH_LEASE)
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    assert_eq!(second.access_token().await.unwrap().token.secret(), "at-2");
    let stored = reopened.load(&account_id("acct")).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.secret(), "rt-three");
    assert_eq!(stored.previous_refresh_token.unwrap().secret(), "rt-one");
    assert_eq!(stored.status, AccountStatus::Active);
    server.verify().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two workers (separate connections, separate in-process locks) refresh one account at the
/// same time: the token is redeemed once and both get the same access token.
async fn two_workers_redeem_once(
    server: &MockServer,
    a: Arc<dyn TokenStore>,
    b: Arc<dyn TokenStore>,
) {
    a.save(&account("acct", &host(server), "rt-one", None))
        .await
        .unwrap();
    let worker_a = sign_in(server, a)
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    let worker_b = sign_in(server, b.clone())
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    let (ta, tb) = tokio::join!(worker_a.access_token(), worker_b.access_token());
    assert_eq!(ta.unwrap().token.secret(), "at-1");
    assert_eq!(tb.unwrap().token.secret(), "at-1");
    let stored = b.load(&account_id("acct")).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.secret(), "rt-two");
    server.verify().await;
}

fn slow_single_redemption() -> Mock {
    // The delay keeps the first redemption in flight while the second worker looks.
    redeeming("rt-one")
        .respond_with(tokens("at-1", "rt-two").set_delay(Duration::from_millis(200)))
        .expect(1)
}

#[tokio::test]
async fn concurrent_refreshes_on_sqlite_redeem_the_token_once() {
    let server = MockServer::start().await;
    slow_single_redemption().mount(&server).await;
    let dir = std::env::temp_dir().join(format!("connector-concurrent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tokens.db");
    let _ = std::fs::remove_file(&file);
    let key = TokenKey::generate();
    let a = Arc::new(
        SqlTokenStore::open_sqlite(&file, key.clone())
            .await
            .unwrap(),
    );
    let b = Arc::new(SqlTokenStore::open_sqlite(&file, key).await.unwrap());
    two_workers_redeem_once(&server, a, b).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn concurrent_refreshes_on_postgres_redeem_the_token_once() {
    let Some(url) = test_postgres::fresh_database("connector_concurrent").await else {
        return;
    };
    let server = MockServer::start().await;
    slow_single_redemption().mount(&server).await;
    let key = TokenKey::generate();
    let a = Arc::new(
        SqlTokenStore::connect_postgres(&url, key.clone())
            .await
            .unwrap(),
    );
    let b = Arc::new(SqlTokenStore::connect_postgres(&url, key).await.unwrap());
    two_workers_redeem_once(&server, a, b).await;
}

#[tokio::test]
async fn tokens_go_to_the_account_org_only() {
    let server = MockServer::start().await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let mut stored = account("acct", &host(&server), "rt-one", None);
    stored.access_token = Some(CachedAccessToken {
        token: Secret::new("at-cached"),
        expires_on: OffsetDateTime::now_utc() + Duration::from_secs(3600),
    });
    store.save(&stored).await.unwrap();
    let credential = sign_in(&server, store)
        .client_for(&account_id("acct"))
        .await
        .unwrap();

    let own = credential
        .get_token(&["https://CONTOSO.crm4.dynamics.com//.default"], None)
        .await
        .unwrap();
    assert_eq!(own.token.secret(), "at-cached");
    let error = credential
        .get_token(&["https://fabrikam.crm.dynamics.com/.default"], None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            ConnectorError::from_azure(&error),
            Some(ConnectorError::ForeignResource { .. })
        ),
        "{error:?}"
    );
    assert!(format!("{credential:?}").contains("acct"));
}

#[tokio::test]
async fn a_lease_held_by_another_worker_is_waited_for_then_reported_busy() {
    let server = MockServer::start().await;
    let clock = Arc::new(dynamics_auth::ManualClock::starting_now());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let mut held = account("acct", &host(&server), "rt-one", None);
    held.lease = Some(connector_accounts::RefreshLease {
        owner: "another-worker".into(),
        until: clock.now() + Duration::from_secs(3600),
    });
    store.save(&held).await.unwrap();
    let flow = ConnectorSignIn::new(
        ConnectorApp {
            client_id: CLIENT_ID,
            credential: AppCredential::Secret(Secret::new("platform-secret-value")),
            redirect_uri: "http://localhost/callback".into(),
        },
        store,
        SignInOptions {
            authority_host: server.uri(),
            discover_tenant: false,
            credential_options: CredentialOptions {
                clock: clock.clone(),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let error = flow
        .client_for(&account_id("acct"))
        .await
        .unwrap()
        .access_token()
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::RefreshBusy(_)), "{error:?}");
    assert!(error.is_retryable());
    assert!(
        !clock.sleeps().is_empty(),
        "it waited for the other worker first"
    );
    // Nothing was redeemed while the other worker held the lease.
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

/// A store where another writer changes the row just before the refreshing worker's final
/// compare-and-swap, as a worker that took over a lapsed lease would.
#[derive(Debug)]
struct InterferingStore {
    inner: Arc<dyn TokenStore>,
    rotations: AtomicUsize,
    /// Whether the other writer also rotated the refresh token (else it only claimed a lease).
    other_rotates: bool,
}

#[async_trait]
impl TokenStore for InterferingStore {
    async fn save(&self, account: &StoredAccount) -> Result<i64, ConnectorError> {
        self.inner.save(account).await
    }
    async fn load(&self, id: &AccountId) -> Result<Option<StoredAccount>, ConnectorError> {
        self.inner.load(id).await
    }
    async fn rotate(&self, expected: i64, next: &StoredAccount) -> Result<bool, ConnectorError> {
        // Rotation 1 is the claim, rotation 2 the final swap.
        if self.rotations.fetch_add(1, Ordering::SeqCst) + 1 == 2 {
            let mut other = self.inner.load(&next.id).await?.expect("stored");
            other.lease = Some(connector_accounts::RefreshLease {
                owner: "worker-that-took-over".into(),
                until: OffsetDateTime::now_utc() + Duration::from_secs(3600),
            });
            if self.other_rotates {
                other.refresh_token = Secret::new("rt-theirs");
                other.previous_refresh_token = Some(Secret::new("rt-one"));
                other.lease = None;
            }
            assert!(self.inner.rotate(other.version, &other).await?);
        }
        self.inner.rotate(expected, next).await
    }
    async fn delete(&self, id: &AccountId) -> Result<bool, ConnectorError> {
        self.inner.delete(id).await
    }
    async fn list(&self) -> Result<Vec<AccountSummary>, ConnectorError> {
        self.inner.list().await
    }
    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), ConnectorError> {
        self.inner.put_pending(pending).await
    }
    async fn take_pending(&self, hash: &[u8; 32]) -> Result<Option<PendingSignIn>, ConnectorError> {
        self.inner.take_pending(hash).await
    }
    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, ConnectorError> {
        self.inner.purge_expired(now).await
    }
}

async fn refresh_with_interference(other_rotates: bool) -> StoredAccount {
    let server = MockServer::start().await;
    redeeming("rt-one")
        .respond_with(tokens("at-1", "rt-two"))
        .expect(1)
        .mount(&server)
        .await;
    let inner: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    inner
        .save(&account("acct", &host(&server), "rt-one", None))
        .await
        .unwrap();
    let store = Arc::new(InterferingStore {
        inner: inner.clone(),
        rotations: AtomicUsize::new(0),
        other_rotates,
    });
    let credential = sign_in(&server, store)
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    assert_eq!(
        credential.access_token().await.unwrap().token.secret(),
        "at-1"
    );
    server.verify().await;
    inner.load(&account_id("acct")).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_lost_final_swap_still_stores_the_rotated_token_when_nobody_else_rotated() {
    let stored = refresh_with_interference(false).await;
    // Dropping rt-two here would lose the account on a server that spends rt-one on use.
    assert_eq!(stored.refresh_token.secret(), "rt-two");
    assert_eq!(stored.previous_refresh_token.unwrap().secret(), "rt-one");
    assert_eq!(stored.access_token.unwrap().token.secret(), "at-1");
    assert_eq!(
        stored.lease.map(|l| l.owner).as_deref(),
        Some("worker-that-took-over"),
        "the other worker's lease is left for its own swap to settle"
    );
}

#[tokio::test]
async fn a_lost_final_swap_keeps_another_workers_rotation() {
    let stored = refresh_with_interference(true).await;
    assert_eq!(stored.refresh_token.secret(), "rt-theirs");
    assert_eq!(stored.previous_refresh_token.unwrap().secret(), "rt-one");
}

#[tokio::test]
async fn a_redemption_slower_than_the_lease_allows_is_abandoned_and_the_lease_released() {
    let server = MockServer::start().await;
    // Slower than the whole 1 s lease: past it another worker could redeem rt-one too.
    redeeming("rt-one")
        .respond_with(tokens("at-late", "rt-late").set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    store
        .save(&account("acct", &host(&server), "rt-one", None))
        .await
        .unwrap();
    let credential = sign_in_with_lease(&server, store.clone(), Duration::from_secs(1))
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    let error = credential.access_token().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::RefreshTimedOut { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    let stored = store.load(&account_id("acct")).await.unwrap().unwrap();
    assert!(stored.lease.is_none(), "the lease is released at once");
    assert_eq!(stored.refresh_token.secret(), "rt-one");
    assert_eq!(stored.status, AccountStatus::Active);
}

#[test]
fn the_default_lease_outlasts_a_bounded_refresh() {
    let options = SignInOptions::default();
    // Each token request attempt is capped at half the lease; the default lease must leave
    // room for at least one full default attempt.
    assert!(options.refresh_lease / 2 >= options.credential_options.timeout);
}

#[tokio::test]
async fn a_previous_token_that_worked_without_rotation_becomes_the_current_one() {
    let server = MockServer::start().await;
    redeeming("rt-dead")
        .respond_with(refused())
        .expect(1)
        .mount(&server)
        .await;
    // The server answers without rotating: the same refresh token comes back.
    redeeming("rt-good")
        .respond_with(tokens("at-2", "rt-good"))
        .expect(1)
        .mount(&server)
        .await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    store
        .save(&account("acct", &host(&server), "rt-dead", Some("rt-good")))
        .await
        .unwrap();
    let credential = sign_in(&server, store.clone())
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    assert_eq!(
        credential.access_token().await.unwrap().token.secret(),
        "at-2"
    );
    let stored = store.load(&account_id("acct")).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.secret(), "rt-good");
    assert!(
        stored.previous_refresh_token.is_none(),
        "the refused token is not kept"
    );
    server.verify().await;
}

#[tokio::test]
async fn a_credential_refuses_tokens_of_another_org_after_a_new_sign_in() {
    let server = MockServer::start().await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let mut contoso = account("acct", &host(&server), "rt-one", None);
    contoso.access_token = Some(CachedAccessToken {
        token: Secret::new("at-contoso"),
        expires_on: OffsetDateTime::now_utc() + Duration::from_secs(3600),
    });
    store.save(&contoso).await.unwrap();
    let credential = sign_in(&server, store.clone())
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    assert_eq!(
        credential.access_token().await.unwrap().token.secret(),
        "at-contoso"
    );

    // The same account signs in again, to another org.
    let mut fabrikam = contoso.clone();
    fabrikam.org_url =
        connector_accounts::OrgUrl::parse("https://fabrikam.crm.dynamics.com").unwrap();
    fabrikam.access_token = Some(CachedAccessToken {
        token: Secret::new("at-fabrikam"),
        expires_on: OffsetDateTime::now_utc() + Duration::from_secs(3600),
    });
    fabrikam.sign_in_id = "second-sign-in".into();
    store.save(&fabrikam).await.unwrap();
    let error = credential.access_token().await.unwrap_err();
    match &error {
        ConnectorError::OrgChanged { pinned, stored, .. } => {
            assert_eq!(pinned, "https://contoso.crm4.dynamics.com");
            assert_eq!(stored, "https://fabrikam.crm.dynamics.com");
        }
        other => panic!("expected OrgChanged, got {other:?}"),
    }
    assert!(!format!("{error} {error:?}").contains("at-fabrikam"));
    // A new credential follows the account to its new org.
    let fresh = sign_in(&server, store)
        .client_for(&account_id("acct"))
        .await
        .unwrap();
    assert_eq!(
        fresh.org_url().as_str(),
        "https://fabrikam.crm.dynamics.com"
    );
    assert_eq!(
        fresh.access_token().await.unwrap().token.secret(),
        "at-fabrikam"
    );
}

#[tokio::test]
async fn a_stored_sign_in_host_that_is_not_trusted_is_never_sent_the_token() {
    let trusted = MockServer::start().await;
    // Someone who could write the row pointed it at their own host.
    let attacker = MockServer::start().await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    store
        .save(&account("acct", &host(&attacker), "rt-one", None))
        .await
        .unwrap();
    let error = sign_in(&trusted, store.clone())
        .client_for(&account_id("acct"))
        .await
        .unwrap()
        .access_token()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectorError::UntrustedAuthorityHost { .. }),
        "{error:?}"
    );
    assert!(
        attacker
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing was sent to the untrusted host"
    );
    let stored = store.load(&account_id("acct")).await.unwrap().unwrap();
    assert!(stored.lease.is_none());
    assert_eq!(stored.status, AccountStatus::Active);
}
