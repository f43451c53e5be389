//! The intake service through its router (`tower::ServiceExt::oneshot`, no network): what is
//! answered and what ends up in the spool.

use std::path::PathBuf;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use lead_writer::service::{SecretIn, ServiceOptions, ServiceState, UrlSecret, router};
use lead_writer::spool::ManualClock;
use lead_writer::{Spool, SpoolOptions};
use time::OffsetDateTime;
use tower::ServiceExt;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../reference/fixtures/marketplace"
    ))
    .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Setup {
    app: Router,
    spool: Spool,
    dir: TempDir,
}

/// A directory removed on drop (no tempfile crate in the workspace).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn setup(name: &str, options: impl FnOnce(ServiceOptions) -> ServiceOptions) -> Setup {
    let dir = std::env::temp_dir().join(format!("lead-service-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let spool = Spool::open_sqlite(&dir.join("spool.db"), SpoolOptions::default())
        .await
        .unwrap();
    let clock = ManualClock::new(OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap());
    let base = ServiceOptions::new(UrlSecret::new(SECRET).unwrap()).clock(clock);
    let state = ServiceState::new(spool.clone(), options(base));
    Setup {
        app: router(state),
        spool,
        dir: TempDir(dir),
    }
}

async fn call(app: &Router, method: &str, uri: &str, body: Vec<u8>) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    send(app, request).await
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn lead_uri() -> String {
    format!("/leads/{SECRET}")
}

#[tokio::test]
async fn fixture_leads_are_stored_and_a_replay_is_acknowledged_once_stored() {
    let s = setup("fixtures", |o| o).await;
    for name in ["https-endpoint-lead-example.json", "test-lead-example.json"] {
        let (status, text) = call(&s.app, "POST", &lead_uri(), fixture(name)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {text}");
    }
    assert_eq!(s.spool.status().await.unwrap().pending, 2);
    let (status, text) = call(
        &s.app,
        "POST",
        &lead_uri(),
        fixture("test-lead-example.json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("already"), "{text}");
    assert_eq!(s.spool.status().await.unwrap().pending, 2);
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_a_plain_404_and_stores_nothing() {
    let s = setup("secret", |o| o).await;
    let body = fixture("test-lead-example.json");
    for uri in [
        "/leads/0123456789abcdef0123456789abcdeX".to_owned(),
        "/leads".to_owned(),
        format!("/leads?token={SECRET}"),
    ] {
        let (status, text) = call(&s.app, "POST", &uri, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(text.is_empty());
    }
    // The method is only looked at after the secret, so a GET does not reveal the route.
    let (status, _) = call(&s.app, "GET", "/leads/wrong", Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&s.app, "GET", &lead_uri(), Vec::new()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(s.spool.status().await.unwrap().pending, 0);
}

#[tokio::test]
async fn the_secret_may_go_in_the_query() {
    let s = setup("query", |o| o.secret_in(SecretIn::Query)).await;
    let body = fixture("test-lead-example.json");
    let (status, _) = call(&s.app, "POST", &lead_uri(), body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&s.app, "POST", "/leads?token=nope", body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&s.app, "POST", &format!("/leads?token={SECRET}"), body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.spool.status().await.unwrap().pending, 1);
}

#[tokio::test]
async fn an_oversized_body_is_413_and_nothing_is_stored() {
    let s = setup("large", |o| o.max_body_bytes(1024)).await;
    let mut body = br#"{"Description":""#.to_vec();
    body.extend(std::iter::repeat_n(b'x', 2000));
    body.extend(br#""}"#);
    let (status, text) = call(&s.app, "POST", &lead_uri(), body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("1024-byte limit"), "{text}");
    let status = s.spool.status().await.unwrap();
    assert_eq!((status.pending, status.dead_letters), (0, 0));
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_unread() {
    let s = setup("declared", |o| o.max_body_bytes(1024)).await;
    let request = Request::builder()
        .method("POST")
        .uri(lead_uri())
        .header("content-length", "5000000")
        .body(Body::from(fixture("test-lead-example.json")))
        .unwrap();
    let (status, _) = send(&s.app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s.spool.status().await.unwrap().pending, 0);
}

#[tokio::test]
async fn a_spool_failure_is_503_so_the_sender_retries() {
    let s = setup("broken", |o| o).await;
    // Break the store under the running spool: every statement on it now fails.
    let db = rusqlite::Connection::open(s.dir.0.join("spool.db")).unwrap();
    db.execute_batch("DROP TABLE spool_items; DROP TABLE spool_dead_letters;")
        .unwrap();
    let (status, text) = call(
        &s.app,
        "POST",
        &lead_uri(),
        fixture("test-lead-example.json"),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    let (status, _) = call(&s.app, "POST", &lead_uri(), b"not json".to_vec()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _) = call(&s.app, "GET", "/healthz", Vec::new()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, text) = call(&s.app, "GET", "/metrics", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("lead_intake_spool_failures_total 2\n"),
        "{text}"
    );
    assert!(text.contains("lead_spool_up 0\n"), "{text}");
}

#[tokio::test]
async fn a_body_that_is_not_a_lead_is_400_and_kept_as_a_dead_letter() {
    let s = setup("bad", |o| o).await;
    let published = fixture("test-lead-as-published.malformed.txt");
    let (status, text) = call(&s.app, "POST", &lead_uri(), published.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("not JSON"), "{text}");
    let (status, text) = call(
        &s.app,
        "POST",
        &lead_uri(),
        br#"{"UserDetails":{"Email":["secret@contoso.com"]}}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!text.contains("secret@contoso.com"), "{text}");
    let letters = s.spool.dead_letters(10).await.unwrap();
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[1].raw_body, published);
    assert_eq!(letters[1].rejection.code, "not_json");
    assert_eq!(s.spool.status().await.unwrap().pending, 0);
}

#[tokio::test]
async fn metrics_count_what_happened_and_health_answers() {
    let s = setup("metrics", |o| o).await;
    let lead = fixture("test-lead-example.json");
    call(&s.app, "POST", &lead_uri(), lead.clone()).await;
    call(&s.app, "POST", &lead_uri(), lead).await;
    call(&s.app, "POST", &lead_uri(), b"not json".to_vec()).await;
    let (status, text) = call(&s.app, "GET", "/metrics", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "lead_intake_received_total 3",
        "lead_intake_stored_total 1",
        "lead_intake_duplicates_total 1",
        "lead_intake_rejected_total 1",
        "lead_spool_up 1",
        "lead_spool_queue_depth 1",
        "lead_spool_dead_letters 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    let (status, text) = call(&s.app, "GET", "/healthz", Vec::new()).await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "ok\n"));
}

/// The writer's counters on `/metrics` when a writer runs in the same process (the emulator
/// stands in for Dataverse).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_the_writer_counters_when_a_writer_runs() {
    use std::sync::Arc;

    use dataverse_webapi::{ClientOptions, DataverseClient};
    use dynamics_auth::{Authority, ClientSecretCredential, CredentialOptions};
    use lead_writer::{Mapping, Writer, WriterOptions};

    let emulator = dynamics_emulator::Emulator::start().await.unwrap();
    let seed = emulator.defaults();
    let authority =
        Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string()).unwrap();
    let credential = ClientSecretCredential::new(
        authority,
        seed.client_id,
        seed.client_secret.clone(),
        CredentialOptions::default(),
    )
    .unwrap();
    let client = DataverseClient::new(
        seed.dataverse_url.as_str(),
        Arc::new(credential),
        ClientOptions::default(),
    )
    .unwrap();

    let s = setup("writer", |o| o).await;
    let writer = Writer::start(
        client,
        s.spool.clone(),
        WriterOptions::new("service-test", Mapping::default()),
    )
    .await
    .unwrap();
    let options = ServiceOptions::new(UrlSecret::new(SECRET).unwrap());
    let app = router(ServiceState::with_writer(
        s.spool.clone(),
        options,
        writer.clone(),
    ));
    for name in ["https-endpoint-lead-example.json", "test-lead-example.json"] {
        let (status, _) = call(&app, "POST", &lead_uri(), fixture(name)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let report = writer.run_once().await.unwrap();
    assert_eq!(report.claimed, 2);
    let (_, text) = call(&app, "GET", "/metrics", Vec::new()).await;
    for line in [
        "lead_writer_written_total 2",
        "lead_writer_duplicates_total 0",
        "lead_writer_parked_total 0",
        "lead_writer_retried_total 0",
        "lead_writer_write_seconds_count 1",
        "lead_spool_queue_depth 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
}

/// Requests arriving together share commits (group commit); each still gets its own answer,
/// and a lead sent twice in the same burst is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_leads_are_each_stored_once() {
    for max_batch in [1, 100] {
        let s = setup(&format!("burst{max_batch}"), |o| o.max_batch(max_batch)).await;
        let requests = (0..60).map(|i| {
            let app = s.app.clone();
            // Leads 0..50 are distinct; 50..60 repeat leads 0..10.
            let body = format!(
                r#"{{"UserDetails":{{"Email":"lead{}@contoso.com"}}}}"#,
                i % 50
            );
            async move { call(&app, "POST", &lead_uri(), body.into_bytes()).await }
        });
        let answers = futures::future::join_all(requests).await;
        assert!(answers.iter().all(|(status, _)| *status == StatusCode::OK));
        let repeats = answers
            .iter()
            .filter(|(_, t)| t.contains("already"))
            .count();
        assert_eq!(repeats, 10, "max_batch {max_batch}");
        assert_eq!(s.spool.status().await.unwrap().pending, 50);
    }
}
