//! The observer's say over the wait after a fault: asked for 5xx answers and lost answers
//! without `Retry-After`, never for a 429 (a refusal waits its own back-off) or when the
//! service names the wait.

use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::ManualClock;
use dynamics_http::{
    AttemptObserver, AttemptOutcome, HttpRequest, Pipeline, PipelineOptions, RetryOptions,
};
use url::Url;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Advises a quarter of every back-off it is asked about.
#[derive(Debug)]
struct Quarter;

impl AttemptObserver for Quarter {
    fn on_attempt(&self, _outcome: &AttemptOutcome) {}

    fn fault_backoff(&self, backoff: Duration) -> Duration {
        backoff / 4
    }
}

/// The waits of a GET that meets `first` once, then 200.
async fn waits_after(first: ResponseTemplate) -> Vec<Duration> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let pipeline = Pipeline::new(
        None,
        PipelineOptions {
            clock: Arc::new(clock.clone()),
            retry: RetryOptions {
                jitter: false,
                ..Default::default()
            },
            observer: Some(Arc::new(Quarter)),
            ..Default::default()
        },
    )
    .expect("pipeline");
    let url = Url::parse(&server.uri())
        .expect("url")
        .join("/x")
        .expect("url");
    let response = pipeline
        .send(HttpRequest::get(url).retry_safe(true))
        .await
        .expect("answered after one retry");
    assert_eq!(response.status(), 200);
    clock.sleeps()
}

#[tokio::test]
async fn a_fault_waits_what_the_observer_advises() {
    let backoff = RetryOptions::default().initial_delay;
    assert_eq!(
        waits_after(ResponseTemplate::new(503)).await,
        vec![backoff / 4]
    );
}

#[tokio::test]
async fn a_refusal_or_a_named_wait_is_not_the_observers_to_shorten() {
    let backoff = RetryOptions::default().initial_delay;
    assert_eq!(waits_after(ResponseTemplate::new(429)).await, vec![backoff]);
    assert_eq!(
        waits_after(ResponseTemplate::new(503).insert_header("Retry-After", "2")).await,
        vec![Duration::from_secs(2)]
    );
}
