//! Hostile and malformed input through the whole pipeline: absurd `Retry-After` values, huge
//! error messages, headers that cannot be sent, URLs with user info, and an explicit proxy
//! that must never see loopback traffic.

use std::io::Read as _;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dynamics_auth::{ManualClock, StaticTokenCredential};
use dynamics_http::{
    AttemptObserver, AttemptOutcome, BearerAuth, HttpError, HttpRequest, MAX_RETRY_AFTER, Pipeline,
    PipelineOptions, RetryOptions,
};
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "secret-token-4242";

#[derive(Debug, Default)]
struct Seen(Mutex<Vec<Option<Duration>>>);

impl AttemptObserver for Seen {
    fn on_attempt(&self, outcome: &AttemptOutcome) {
        self.0.lock().expect("lock").push(outcome.retry_after);
    }
}

fn pipeline(server: &MockServer, clock: &ManualClock, options: PipelineOptions) -> Pipeline {
    let base = Url::parse(&server.uri()).expect("url");
    let credential = Arc::new(StaticTokenCredential::new(
        TOKEN,
        time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
    ));
    let auth = BearerAuth::new(credential, vec!["https://x/.default".into()], &base).expect("auth");
    Pipeline::new(
        Some(auth),
        PipelineOptions {
            clock: Arc::new(clock.clone()),
            ..options
        },
    )
    .expect("pipeline")
}

fn url(server: &MockServer, p: &str) -> Url {
    Url::parse(&server.uri())
        .expect("url")
        .join(p)
        .expect("url")
}

#[tokio::test]
async fn absurd_retry_after_values_are_clamped_on_every_path() {
    for value in ["1e20", "inf", "99999999999999999999999", "-1e300", "NaN"] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/busy"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", value))
            .expect(2)
            .mount(&server)
            .await;
        let clock = ManualClock::starting_now();
        let seen = Arc::new(Seen::default());
        let p = pipeline(
            &server,
            &clock,
            PipelineOptions {
                retry: RetryOptions {
                    max_retries: 1,
                    jitter: false,
                    ..Default::default()
                },
                observer: Some(seen.clone()),
                ..Default::default()
            },
        );
        // Before the fix, `Duration::from_secs_f64(1e20)` panicked here.
        let err = p
            .send(HttpRequest::get(url(&server, "/busy")))
            .await
            .expect_err("throttled");
        let expected = if value == "-1e300" || value == "NaN" {
            None
        } else {
            Some(MAX_RETRY_AFTER)
        };
        assert_eq!(err.retry_after(), expected, "{value}");
        assert_eq!(*seen.0.lock().expect("lock"), vec![expected; 2], "{value}");
        // The wait is capped by the retry policy's max_delay.
        for slept in clock.sleeps() {
            assert!(
                slept <= RetryOptions::default().max_delay,
                "{value}: {slept:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_huge_service_message_is_capped_in_display() {
    let server = MockServer::start().await;
    let message = "x".repeat(100_000);
    let code = "C".repeat(10_000);
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"error": {"code": code, "message": message}}))
                .insert_header("x-ms-service-request-id", "r".repeat(10_000)),
        )
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let p = pipeline(&server, &clock, PipelineOptions::default());
    let err = p
        .send(HttpRequest::get(url(&server, "/bad")))
        .await
        .expect_err("400");
    let text = err.to_string();
    assert!(
        text.chars().count() < 1_200,
        "{} chars",
        text.chars().count()
    );
    assert!(text.contains('…'), "{text}");
    // The full-size data stays available, bounded.
    let status = err.status_error().expect("status");
    assert!(status.message.as_deref().expect("message").len() <= 4096);
}

#[tokio::test]
async fn a_message_with_line_breaks_cannot_forge_log_lines() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"error": {"code": "E", "message": "bad\r\nINFO forged line\u{1b}[31m"}}),
        ))
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let p = pipeline(&server, &clock, PipelineOptions::default());
    let text = p
        .send(HttpRequest::get(url(&server, "/bad")))
        .await
        .expect_err("400")
        .to_string();
    assert!(
        !text.contains('\n') && !text.contains('\r') && !text.contains('\u{1b}'),
        "{text:?}"
    );
}

#[tokio::test]
async fn a_header_value_with_a_line_break_is_a_usage_error_and_nothing_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let p = pipeline(
        &server,
        &clock,
        PipelineOptions {
            retry: RetryOptions {
                jitter: false,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    for (name, value) in [
        ("X-Note", "a\r\nInjected: yes"),
        ("X-Note", "bell\u{7}"),
        ("X-Note", "caf\u{e9}"),
        ("Bad Name", "v"),
        ("", "v"),
        ("X:Y", "v"),
    ] {
        let err = p
            .send(HttpRequest::get(url(&server, "/x")).header(name, value))
            .await
            .expect_err("refused");
        assert!(
            matches!(err, HttpError::InvalidHeader { .. }),
            "{name:?}: {err:?}"
        );
        assert!(!err.is_retryable(), "{err}");
        assert!(!err.to_string().contains("Injected"), "{err}");
    }
    assert!(clock.sleeps().is_empty(), "a usage error was retried");
}

#[tokio::test]
async fn a_user_agent_with_a_newline_is_a_usage_error() {
    let err = Pipeline::new(
        None,
        PipelineOptions {
            user_agent: "app/1.0\r\nX-Evil: 1".into(),
            ..Default::default()
        },
    )
    .expect_err("refused");
    assert!(
        matches!(&err, HttpError::InvalidHeader { name, .. } if name == "User-Agent"),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_url_with_user_info_is_refused_without_echoing_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let p = pipeline(&server, &clock, PipelineOptions::default());
    // A nextLink-style absolute URL on the service's own origin, with user info.
    let mut next = url(&server, "/next?$skiptoken=1");
    next.set_username("alice").expect("user");
    next.set_password(Some("hunter2")).expect("password");
    let err = p.send(HttpRequest::get(next)).await.expect_err("refused");
    assert!(matches!(err, HttpError::InvalidUrl { .. }), "{err:?}");
    assert!(!err.is_retryable());
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("alice"),
        "{text}"
    );

    // BearerAuth refuses such a service URL too, without echoing it.
    let credential = Arc::new(StaticTokenCredential::new(
        TOKEN,
        time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
    ));
    let with_info = Url::parse("https://alice:hunter2@contoso.crm.dynamics.com/").expect("url");
    let err = BearerAuth::new(credential, vec!["s".into()], &with_info).expect_err("refused");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("alice"),
        "{text}"
    );
}

#[tokio::test]
async fn an_explicit_proxy_never_receives_loopback_requests_or_the_token() {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("bind");
    proxy.set_nonblocking(true).expect("nonblocking");
    let proxy_url =
        Url::parse(&format!("http://{}", proxy.local_addr().expect("addr"))).expect("url");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/x"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let p = pipeline(
        &server,
        &clock,
        PipelineOptions {
            retry: RetryOptions::none(),
            timeouts: dynamics_http::Timeouts {
                per_attempt: Duration::from_secs(5),
                ..Default::default()
            },
            proxy: Some(proxy_url),
            ..Default::default()
        },
    );
    let response = p
        .send(HttpRequest::get(url(&server, "/x")))
        .await
        .expect("answered directly");
    assert_eq!(response.status(), 204);
    let mut leaked = Vec::new();
    while let Ok((mut stream, _)) = proxy.accept() {
        let mut buf = Vec::new();
        stream.set_nonblocking(false).expect("blocking");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let _ = stream.read_to_end(&mut buf);
        leaked.push(String::from_utf8_lossy(&buf).into_owned());
    }
    assert!(leaked.is_empty(), "the proxy received {leaked:?}");
}

#[tokio::test]
async fn an_answer_longer_than_the_limit_is_refused_not_held() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/small"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(1024)))
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let p = pipeline(
        &server,
        &clock,
        PipelineOptions {
            max_response_bytes: 1024,
            ..PipelineOptions::default()
        },
    );
    let err = p
        .send(HttpRequest::get(url(&server, "/big")))
        .await
        .expect_err("too long");
    assert!(
        matches!(err, HttpError::Decode { .. }) && !err.is_retryable(),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_response_bytes"), "{err}");
    let ok = p
        .send(HttpRequest::get(url(&server, "/small")))
        .await
        .expect("at the limit");
    assert_eq!(ok.body().len(), 1024);
}

/// A server that answers with a chunked body (no `Content-Length`) of `len` bytes.
fn chunked_server(len: usize) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        use std::io::Write as _;
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            );
            for _ in 0..len / 512 {
                let _ = stream.write_all(format!("200\r\n{}\r\n", "y".repeat(512)).as_bytes());
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        }
    });
    Url::parse(&format!("http://{address}/chunked")).expect("url")
}

#[tokio::test]
async fn a_chunked_answer_is_cut_off_at_the_limit() {
    let pipeline = Pipeline::new(
        None,
        PipelineOptions {
            max_response_bytes: 2048,
            ..PipelineOptions::default()
        },
    )
    .expect("pipeline");
    let err = pipeline
        .send(HttpRequest::get(chunked_server(64 * 1024)))
        .await
        .expect_err("too long");
    assert!(matches!(err, HttpError::Decode { .. }), "{err:?}");
}
