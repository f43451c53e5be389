//! The pipeline against wiremock: auth, 401 refresh, retries by method, host pinning, errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use dynamics_auth::{AccessToken, ManualClock, TokenCredential, TokenRequestOptions};
use dynamics_http::{BearerAuth, HttpError, HttpRequest, Pipeline, PipelineOptions, RetryOptions};
use url::Url;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SCOPE: &str = "https://contoso.crm.dynamics.com/.default";

/// Hands out `token-1`, `token-2`, ... and counts the calls.
#[derive(Debug, Default)]
struct NumberedTokens {
    issued: AtomicUsize,
}

#[async_trait]
impl TokenCredential for NumberedTokens {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(AccessToken::new(
            format!("token-{n}"),
            time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
        ))
    }
}

struct Setup {
    server: MockServer,
    credential: Arc<NumberedTokens>,
    clock: ManualClock,
    pipeline: Pipeline,
}

async fn setup(retry: RetryOptions) -> Setup {
    let server = MockServer::start().await;
    let credential = Arc::new(NumberedTokens::default());
    let clock = ManualClock::starting_now();
    let auth =
        BearerAuth::new(credential.clone(), vec![SCOPE.into()], &base(&server)).expect("auth");
    let pipeline = Pipeline::new(
        Some(auth),
        PipelineOptions {
            retry,
            clock: Arc::new(clock.clone()),
            ..Default::default()
        },
    )
    .expect("pipeline");
    Setup {
        server,
        credential,
        clock,
        pipeline,
    }
}

fn base(server: &MockServer) -> Url {
    Url::parse(&server.uri()).expect("url")
}

fn url(server: &MockServer, p: &str) -> Url {
    base(server).join(p).expect("url")
}

fn no_jitter() -> RetryOptions {
    RetryOptions {
        jitter: false,
        initial_delay: Duration::from_secs(1),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_token_is_sent_and_cached() {
    let s = setup(no_jitter()).await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/WhoAmI"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"UserId": "x"})))
        .expect(3)
        .mount(&s.server)
        .await;
    for _ in 0..3 {
        let r = s
            .pipeline
            .send(HttpRequest::get(url(&s.server, "/api/data/v9.2/WhoAmI")))
            .await
            .expect("ok");
        assert_eq!(r.json::<serde_json::Value>().expect("json")["UserId"], "x");
    }
    assert_eq!(s.credential.issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_401_gets_one_retry_with_a_fresh_token() {
    let s = setup(no_jitter()).await;
    Mock::given(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&s.server)
        .await;
    Mock::given(header("authorization", "Bearer token-2"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s.server)
        .await;
    let r = s
        .pipeline
        .send(HttpRequest::post(url(&s.server, "/x")))
        .await
        .expect("second try works");
    assert_eq!(r.status(), 204);

    // A token that keeps being refused: one retry only, then the 401 with its challenge.
    let s = setup(no_jitter()).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            "Bearer authorization_uri=https://login.microsoftonline.com/t/oauth2/authorize",
        ))
        .expect(2)
        .mount(&s.server)
        .await;
    let err = s
        .pipeline
        .send(HttpRequest::get(url(&s.server, "/y")))
        .await
        .expect_err("401");
    assert!(err.is_unauthorized());
    let challenge = err
        .status_error()
        .and_then(|e| e.www_authenticate.clone())
        .expect("challenge");
    assert!(challenge.contains("authorization_uri"));
}

#[tokio::test]
async fn throttling_is_retried_for_any_method_after_retry_after() {
    let s = setup(no_jitter()).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&s.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s.server)
        .await;
    s.pipeline
        .send(HttpRequest::post(url(&s.server, "/create")))
        .await
        .expect("after waits");
    assert_eq!(s.clock.sleeps(), vec![Duration::from_secs(7); 2]);
}

#[tokio::test]
async fn server_errors_are_retried_only_when_repeating_is_safe() {
    let s = setup(no_jitter()).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&s.server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s.server)
        .await;
    s.pipeline
        .send(HttpRequest::get(url(&s.server, "/r")))
        .await
        .expect("GET retried");
    assert_eq!(
        s.clock.sleeps(),
        vec![Duration::from_secs(1), Duration::from_secs(2)]
    );

    let s = setup(no_jitter()).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .expect(1)
        .mount(&s.server)
        .await;
    let err = s
        .pipeline
        .send(HttpRequest::post(url(&s.server, "/c")))
        .await
        .expect_err("POST not retried");
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    s.server.verify().await;

    let s = setup(no_jitter()).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&s.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&s.server)
        .await;
    s.pipeline
        .send(HttpRequest::post(url(&s.server, "/c")).retry_safe(true))
        .await
        .expect("a POST declared safe is retried");
}

#[tokio::test]
async fn retries_are_bounded() {
    let s = setup(RetryOptions {
        max_retries: 2,
        ..no_jitter()
    })
    .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429))
        .expect(3)
        .mount(&s.server)
        .await;
    let err = s
        .pipeline
        .send(HttpRequest::get(url(&s.server, "/t")))
        .await
        .expect_err("gives up");
    assert!(err.is_throttled());
    assert_eq!(s.clock.sleeps().len(), 2);
}

#[tokio::test]
async fn the_token_never_leaves_its_host() {
    let s = setup(no_jitter()).await;
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&other)
        .await;
    let err = s
        .pipeline
        .send(HttpRequest::get(url(
            &other,
            "/api/data/v9.2/accounts?$skiptoken=x",
        )))
        .await
        .expect_err("foreign host");
    assert!(matches!(err, HttpError::ForeignHost { .. }), "{err:?}");
    assert_eq!(
        s.credential.issued.load(Ordering::SeqCst),
        0,
        "no token was even fetched"
    );

    let err = BearerAuth::new(
        Arc::new(NumberedTokens::default()),
        vec![SCOPE.into()],
        &Url::parse("http://contoso.crm.dynamics.com").expect("url"),
    )
    .expect_err("plain http");
    assert!(err.to_string().contains("loopback"), "{err}");
}

#[tokio::test]
async fn service_errors_carry_code_message_and_request_id_but_not_the_query() {
    let s = setup(no_jitter()).await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-ms-service-request-id", "req-42")
                .set_body_json(serde_json::json!({
                    "error": {"code": "0x80040217", "message": "contact With Id = 1 Does Not Exist"}
                })),
        )
        .mount(&s.server)
        .await;
    let err = s
        .pipeline
        .send(HttpRequest::get(url(
            &s.server,
            "/api/data/v9.2/contacts?$filter=emailaddress1 eq 'jane@example.com'",
        )))
        .await
        .expect_err("404");
    assert!(err.is_not_found());
    assert_eq!(err.service_code(), Some("0x80040217"));
    let shown = err.to_string();
    assert!(
        shown.contains("0x80040217")
            && shown.contains("Does Not Exist")
            && shown.contains("req-42"),
        "{shown}"
    );
    assert!(!shown.contains("jane@example.com"), "{shown}");
    assert!(!format!("{err:?}").contains("jane@example.com"));

    let s = setup(no_jitter()).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string("<html>Bad Request</html>"))
        .mount(&s.server)
        .await;
    let err = s
        .pipeline
        .send(HttpRequest::get(url(&s.server, "/z")))
        .await
        .expect_err("400");
    assert!(err.to_string().contains("Bad Request"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_post() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let clock = ManualClock::starting_now();
    let target = Url::parse(&format!("http://127.0.0.1:{port}/x")).expect("url");
    let pipeline = Pipeline::new(
        None,
        PipelineOptions {
            retry: RetryOptions {
                max_retries: 2,
                ..no_jitter()
            },
            clock: Arc::new(clock.clone()),
            ..Default::default()
        },
    )
    .expect("pipeline");
    let err = pipeline
        .send(HttpRequest::post(target))
        .await
        .expect_err("nobody listens");
    assert!(
        matches!(err, HttpError::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert_eq!(clock.sleeps().len(), 2, "not sent, so safe to retry");
}

/// What happened, in order: a gate pass handed out or given back, or a wait.
type Events = Arc<std::sync::Mutex<Vec<String>>>;

/// A clock that logs each wait to `events` (and waits no real time).
#[derive(Debug)]
struct LoggingClock {
    manual: ManualClock,
    events: Events,
}

impl dynamics_auth::Clock for LoggingClock {
    fn now(&self) -> time::OffsetDateTime {
        self.manual.now()
    }

    fn sleep(&self, duration: Duration) -> dynamics_auth::clock::BoxFuture<'static, ()> {
        self.events
            .lock()
            .expect("events")
            .push(format!("wait {}s", duration.as_secs()));
        self.manual.sleep(duration)
    }
}

/// A gate pass that logs when it is given back.
struct Pass(Events);

impl Drop for Pass {
    fn drop(&mut self) {
        self.0.lock().expect("events").push("leave".into());
    }
}

#[tokio::test]
async fn the_gate_admits_every_attempt_and_is_let_go_before_each_wait() {
    let server = MockServer::start().await;
    let events: Events = Arc::default();
    let pipeline = Pipeline::new(
        None,
        PipelineOptions {
            retry: no_jitter(),
            clock: Arc::new(LoggingClock {
                manual: ManualClock::starting_now(),
                events: events.clone(),
            }),
            ..Default::default()
        },
    )
    .expect("pipeline");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let gate = || {
        let events = events.clone();
        async move {
            events.lock().expect("events").push("enter".into());
            Pass(events)
        }
    };
    let response = pipeline
        .send_any_status_gated(HttpRequest::post(url(&server, "/c")).retry_safe(true), gate)
        .await
        .expect("answered");
    assert_eq!(response.status(), 204);
    assert_eq!(
        *events.lock().expect("events"),
        [
            "enter", "leave", "wait 7s", // throttled: Retry-After, without the pass
            "enter", "leave", "wait 2s", // 503: second retry's back-off, without the pass
            "enter", "leave",
        ]
    );
}

/// Remembers the body size of each attempt it sees.
#[derive(Debug, Default)]
struct Sizes(std::sync::Mutex<Vec<usize>>);

impl dynamics_http::AttemptObserver for Sizes {
    fn on_attempt(&self, outcome: &dynamics_http::AttemptOutcome) {
        self.0.lock().expect("sizes").push(outcome.request_bytes);
    }
}

#[tokio::test]
async fn observers_see_the_size_of_each_request_body() {
    let server = MockServer::start().await;
    let sizes = Arc::new(Sizes::default());
    let pipeline = Pipeline::new(
        None,
        PipelineOptions {
            observer: Some(sizes.clone()),
            ..Default::default()
        },
    )
    .expect("pipeline");
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    pipeline
        .send(HttpRequest::get(url(&server, "/r")))
        .await
        .expect("read");
    pipeline
        .send(HttpRequest::post(url(&server, "/w")).body(b"hello".to_vec(), "text/plain"))
        .await
        .expect("write");
    assert_eq!(*sizes.0.lock().expect("sizes"), [0, 5]);
}
