//! The token cache against a wiremock token endpoint, with an injected clock.

use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::{
    Authority, ClientSecretCredential, Clock, CredentialOptions, ManualClock, TokenCache,
    TokenCacheOptions, TokenCredential,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "contoso.onmicrosoft.com";
use uuid::Uuid;

const CLIENT_ID: Uuid = Uuid::from_u128(0x11111111_2222_3333_4444_555555555555);
const SCOPE: &str = "https://contoso.crm.dynamics.com/.default";
const TOKEN_PATH: &str = "/contoso.onmicrosoft.com/oauth2/v2.0/token";

fn token_body(token: &str, expires_in: u64) -> serde_json::Value {
    serde_json::json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": token,
    })
}

fn credential(server: &MockServer, clock: &ManualClock) -> Arc<dyn TokenCredential> {
    let options = CredentialOptions {
        clock: Arc::new(clock.clone()),
        max_retries: 0,
        ..Default::default()
    };
    Arc::new(
        ClientSecretCredential::new(
            Authority::with_host(&server.uri(), TENANT).expect("authority"),
            CLIENT_ID,
            "the-secret",
            options,
        )
        .expect("credential"),
    )
}

fn cache(server: &MockServer, clock: &ManualClock) -> TokenCache {
    TokenCache::with_options(
        credential(server, clock),
        TokenCacheOptions {
            clock: Arc::new(clock.clone()),
            ..Default::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_on_a_cold_cache_make_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("tok-1", 3600))
                // Long enough that every caller arrives while the request is in flight.
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let cache = cache(&server, &ManualClock::starting_now());

    let calls = (0..1000).map(|_| {
        let cache = cache.clone();
        tokio::spawn(async move { cache.token(&[SCOPE]).await })
    });
    let results = futures::future::join_all(calls).await;

    for result in results {
        let token = result.expect("task").expect("token");
        assert_eq!(token.token.secret(), "tok-1");
    }
    // `.expect(1)` is checked when the server drops; check it now for a clear failure.
    server.verify().await;
}

#[tokio::test]
async fn a_fresh_token_is_served_from_the_cache_per_scope_set() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("tok", 3600)))
        .expect(2)
        .mount(&server)
        .await;
    let cache = cache(&server, &ManualClock::starting_now());
    let other = "https://other.crm.dynamics.com/.default";

    cache.token(&[SCOPE, "openid"]).await.expect("first");
    cache
        .token(&["openid", SCOPE, SCOPE])
        .await
        .expect("same set, other order");
    cache.token(&[other]).await.expect("another set");
    cache.token(&[other]).await.expect("cached");
}

#[tokio::test]
async fn the_token_is_refreshed_five_minutes_before_it_expires() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("first", 3600)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("second", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let cache = cache(&server, &clock);

    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "first"
    );
    clock.advance(Duration::from_secs(3600 - 301));
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "first",
        "outside the window"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "second",
        "inside the window"
    );
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "second",
        "now cached"
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_serving_the_still_valid_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("good", 3600)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("service unavailable"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("recovered", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let cache = cache(&server, &clock);

    cache.token(&[SCOPE]).await.expect("first");
    clock.advance(Duration::from_secs(3400));
    // The refresh fails (503); the cached token is still valid for 200 s, so it is returned.
    assert_eq!(
        cache
            .token(&[SCOPE])
            .await
            .expect("fallback")
            .token
            .secret(),
        "good"
    );
    // Within the back-off, no new request is made.
    assert_eq!(
        cache
            .token(&[SCOPE])
            .await
            .expect("fallback")
            .token
            .secret(),
        "good"
    );
    clock.advance(Duration::from_secs(31));
    // After the back-off it tries again, fails again, and still serves the valid token.
    assert_eq!(
        cache
            .token(&[SCOPE])
            .await
            .expect("fallback")
            .token
            .secret(),
        "good"
    );
    clock.advance(Duration::from_secs(31));
    assert_eq!(
        cache
            .token(&[SCOPE])
            .await
            .expect("recovered")
            .token
            .secret(),
        "recovered"
    );
}

#[tokio::test]
async fn with_no_valid_token_a_failure_reaches_the_caller() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("short", 600)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("down"))
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let cache = cache(&server, &clock);

    cache.token(&[SCOPE]).await.expect("first");
    clock.advance(Duration::from_secs(601));
    let err = cache
        .token(&[SCOPE])
        .await
        .expect_err("expired and refresh failed");
    let auth = dynamics_auth::AuthError::from_azure(&err).expect("typed error");
    assert!(auth.is_retryable(), "{auth}");
    assert!(auth.to_string().contains("503"), "{auth}");
}

#[tokio::test]
async fn invalidation_forces_a_new_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("rejected", 3600)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("replacement", 3600)))
        .mount(&server)
        .await;
    let cache = cache(&server, &ManualClock::starting_now());

    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "rejected"
    );
    cache.invalidate(&[SCOPE]);
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "replacement"
    );
    assert_eq!(server.received_requests().await.expect("recorded").len(), 2);
}

/// A credential whose answers are scripted per call: a token lifetime in seconds, an error,
/// or a panic. Counts its calls.
#[derive(Debug)]
struct Scripted {
    script: std::sync::Mutex<std::collections::VecDeque<Step>>,
    calls: std::sync::atomic::AtomicUsize,
    clock: ManualClock,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Token(i64),
    At(time::OffsetDateTime),
    Fail,
    Panic,
}

impl Scripted {
    fn new(clock: &ManualClock, steps: &[Step]) -> Arc<Self> {
        Arc::new(Scripted {
            script: std::sync::Mutex::new(steps.iter().copied().collect()),
            calls: Default::default(),
            clock: clock.clone(),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl TokenCredential for Scripted {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<dynamics_auth::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<dynamics_auth::AccessToken> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let step = self.script.lock().expect("lock").pop_front();
        match step.expect("no more scripted answers") {
            Step::Token(seconds) => Ok(dynamics_auth::AccessToken::new(
                format!("tok-{n}"),
                self.clock.now() + time::Duration::seconds(seconds),
            )),
            Step::At(expires_on) => Ok(dynamics_auth::AccessToken::new(
                format!("tok-{n}"),
                expires_on,
            )),
            Step::Fail => Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "endpoint down",
            )),
            Step::Panic => panic!("credential bug (scripted)"),
        }
    }
}

fn scripted_cache(credential: &Arc<Scripted>, clock: &ManualClock) -> TokenCache {
    TokenCache::with_options(
        Arc::clone(credential) as Arc<dyn TokenCredential>,
        TokenCacheOptions {
            clock: Arc::new(clock.clone()),
            ..Default::default()
        },
    )
}

fn aborted(e: &azure_core::Error) -> bool {
    matches!(
        dynamics_auth::AuthError::from_azure(e),
        Some(dynamics_auth::AuthError::RefreshAborted { panicked: true })
    )
}

#[tokio::test]
async fn a_panicking_credential_does_not_wedge_the_cache() {
    let clock = ManualClock::starting_now();
    let credential = Scripted::new(&clock, &[Step::Panic, Step::Token(3600)]);
    let cache = scripted_cache(&credential, &clock);

    let err = cache
        .token(&[SCOPE])
        .await
        .expect_err("the credential panicked");
    assert!(aborted(&err), "{err:?}");
    let token = cache
        .token(&[SCOPE])
        .await
        .expect("the credential recovered");
    assert_eq!(token.token.secret(), "tok-2");
    assert_eq!(credential.calls(), 2);
    cache.token(&[SCOPE]).await.expect("cached");
    assert_eq!(credential.calls(), 2);
}

#[tokio::test]
async fn every_waiter_of_a_panicked_refresh_gets_a_typed_error() {
    let clock = ManualClock::starting_now();
    let credential = Scripted::new(&clock, &[Step::Panic, Step::Token(3600)]);
    let cache = scripted_cache(&credential, &clock);

    // All eight join the one refresh before its task runs.
    let results = futures::future::join_all((0..8).map(|_| cache.token(&[SCOPE]))).await;
    for result in results {
        assert!(aborted(&result.expect_err("panicked")));
    }
    assert_eq!(credential.calls(), 1);
    cache.token(&[SCOPE]).await.expect("recovered");
    assert_eq!(credential.calls(), 2);
}

#[tokio::test]
async fn a_panic_during_a_refresh_keeps_serving_the_still_valid_token() {
    let clock = ManualClock::starting_now();
    let credential = Scripted::new(
        &clock,
        &[
            Step::Token(3600),
            Step::Panic,
            Step::Fail,
            Step::Token(3600),
        ],
    );
    let cache = scripted_cache(&credential, &clock);

    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "tok-1"
    );
    clock.advance(Duration::from_secs(3400));
    assert_eq!(
        cache
            .token(&[SCOPE])
            .await
            .expect("panic: fallback")
            .token
            .secret(),
        "tok-1"
    );
    assert_eq!(
        cache
            .token(&[SCOPE])
            .await
            .expect("backing off")
            .token
            .secret(),
        "tok-1"
    );
    assert_eq!(credential.calls(), 2);
    clock.advance(Duration::from_secs(31));
    assert_eq!(
        cache
            .token(&[SCOPE])
            .await
            .expect("error: fallback")
            .token
            .secret(),
        "tok-1"
    );
    clock.advance(Duration::from_secs(31));
    assert_eq!(
        cache
            .token(&[SCOPE])
            .await
            .expect("recovered")
            .token
            .secret(),
        "tok-4"
    );
}

#[tokio::test]
async fn already_expired_tokens_do_not_cause_a_request_per_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("zero", 0)))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let cache = cache(&server, &clock);

    for _ in 0..10 {
        cache.token(&[SCOPE]).await.expect("serial");
    }
    let concurrent = futures::future::join_all((0..10).map(|_| cache.token(&[SCOPE]))).await;
    assert!(concurrent.iter().all(Result::is_ok));
    clock.advance(Duration::from_secs(29));
    cache
        .token(&[SCOPE])
        .await
        .expect("still within the reuse window");
    assert_eq!(server.received_requests().await.expect("recorded").len(), 1);

    // After the reuse window, one more request for however many calls.
    clock.advance(Duration::from_secs(2));
    for _ in 0..10 {
        cache.token(&[SCOPE]).await.expect("serial");
    }
    server.verify().await;
}

#[tokio::test]
async fn tokens_shorter_lived_than_the_refresh_margin_are_refreshed_half_way() {
    let clock = ManualClock::starting_now();
    let credential = Scripted::new(&clock, &[Step::Token(120), Step::Token(120)]);
    let cache = scripted_cache(&credential, &clock);

    for _ in 0..10 {
        assert_eq!(
            cache.token(&[SCOPE]).await.expect("t").token.secret(),
            "tok-1"
        );
    }
    clock.advance(Duration::from_secs(59));
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "tok-1"
    );
    assert_eq!(credential.calls(), 1);
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("t").token.secret(),
        "tok-2"
    );
    assert_eq!(credential.calls(), 2);
}

#[tokio::test]
async fn tokens_at_the_ends_of_time_do_not_overflow_the_cache() {
    let clock = ManualClock::new(time::OffsetDateTime::from_unix_timestamp(0).expect("epoch"));
    let credential = Scripted::new(
        &clock,
        &[
            Step::At(time::macros::datetime!(-9999-01-01 00:00 UTC)),
            Step::At(time::macros::datetime!(+9999-12-31 23:59:59 UTC)),
        ],
    );
    let cache = TokenCache::with_options(
        Arc::clone(&credential) as Arc<dyn TokenCredential>,
        TokenCacheOptions {
            clock: Arc::new(clock.clone()),
            refresh_before: Duration::MAX,
            retry_failed_refresh_after: Duration::MAX,
            min_reuse: Duration::MAX,
        },
    );
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("served").token.secret(),
        "tok-1"
    );
    // `min_reuse` of forever keeps the first token, however long ago it expired.
    clock.advance(Duration::from_secs(1_000_000));
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("served").token.secret(),
        "tok-1"
    );
    cache.invalidate(&[SCOPE]);
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("served").token.secret(),
        "tok-2"
    );
    assert_eq!(credential.calls(), 2);
}

#[tokio::test]
async fn a_refresh_started_before_invalidate_all_does_not_overwrite_the_next_one() {
    let clock = ManualClock::starting_now();
    let credential = Scripted::new(&clock, &[Step::Token(3600), Step::Token(3600)]);
    let cache = scripted_cache(&credential, &clock);

    // Start a refresh, forget everything while it is in flight, then ask again.
    let first = cache.token(&[SCOPE]);
    let (first, second) = futures::future::join(first, async {
        cache.invalidate_all();
        cache.token(&[SCOPE]).await
    })
    .await;
    assert_eq!(first.expect("first").token.secret(), "tok-1");
    assert_eq!(second.expect("second").token.secret(), "tok-2");
    // The token stored is the one fetched after the invalidation.
    assert_eq!(
        cache.token(&[SCOPE]).await.expect("cached").token.secret(),
        "tok-2"
    );
    assert_eq!(credential.calls(), 2);
}
