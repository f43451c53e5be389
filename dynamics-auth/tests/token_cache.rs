//! The token cache against a wiremock token endpoint, with an injected clock.

use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::{
    Authority, ClientSecretCredential, CredentialOptions, ManualClock, TokenCache,
    TokenCacheOptions, TokenCredential,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
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
