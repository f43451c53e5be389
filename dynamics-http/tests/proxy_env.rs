//! `HTTP_PROXY` / `ALL_PROXY` in the environment must never receive plain-HTTP loopback
//! traffic: neither the service request with its bearer token (the pipeline) nor the token
//! request with its client secret (the token client).
//!
//! Environment variables are process-wide, so the requests run in a child process (this same
//! test binary, running the ignored `child_*` test) started with the proxy variables set; the
//! parent owns the fake proxy and checks that nothing reached it.

use std::io::Read as _;
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::{Authority, ClientSecretCredential, CredentialOptions};
use dynamics_http::{BearerAuth, HttpRequest, Pipeline, PipelineOptions, RetryOptions, Timeouts};
use url::Url;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CHILD_MARKER: &str = "DYNAMICS_HTTP_PROXY_ENV_CHILD";
const TENANT: &str = "0b3a6a4f-0000-4000-8000-000000000001";
const CLIENT_ID: dynamics_auth::Uuid =
    dynamics_auth::Uuid::from_u128(0x11111111_2222_4333_8444_555555555555);
const SECRET: &str = "client-secret-7777";
const TOKEN: &str = "bearer-token-8888";

#[test]
fn proxy_variables_never_receive_loopback_http_traffic() {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("bind");
    proxy.set_nonblocking(true).expect("nonblocking");
    let proxy_url = format!("http://{}", proxy.local_addr().expect("addr"));
    let exe = std::env::current_exe().expect("test binary");
    let output = Command::new(exe)
        .args([
            "child_requests_through_the_environment",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_MARKER, "1")
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env("all_proxy", &proxy_url)
        .env("HTTPS_PROXY", &proxy_url)
        .env("https_proxy", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("child runs");
    let mut received = Vec::new();
    while let Ok((mut stream, _)) = proxy.accept() {
        stream.set_nonblocking(false).expect("blocking");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        received.push(String::from_utf8_lossy(&buf).into_owned());
    }
    let all = received.join("\n");
    assert!(!all.contains(TOKEN), "the proxy received the bearer token");
    assert!(
        !all.contains(SECRET),
        "the proxy received the client secret"
    );
    assert!(received.is_empty(), "the proxy was used: {received:?}");
    assert!(
        output.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child test did not run: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Runs only in the child process started above.
#[tokio::test]
#[ignore = "run by proxy_variables_never_receive_loopback_http_traffic in a child process"]
async fn child_requests_through_the_environment() {
    assert!(
        std::env::var_os(CHILD_MARKER).is_some(),
        "run through proxy_variables_never_receive_loopback_http_traffic"
    );
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": TOKEN,
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/WhoAmI"))
        .and(header("authorization", format!("Bearer {TOKEN}")))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).expect("url");
    let authority = Authority::with_host(&server.uri(), TENANT).expect("authority");
    let credential = ClientSecretCredential::new(
        authority,
        CLIENT_ID,
        SECRET,
        CredentialOptions {
            timeout: Duration::from_secs(5),
            max_retries: 0,
            ..Default::default()
        },
    )
    .expect("credential");
    let auth = BearerAuth::new(
        Arc::new(credential),
        vec![format!("{}/.default", server.uri())],
        &base,
    )
    .expect("auth");
    let pipeline = Pipeline::new(
        Some(auth),
        PipelineOptions {
            retry: RetryOptions::none(),
            timeouts: Timeouts {
                per_attempt: Duration::from_secs(5),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .expect("pipeline");
    let response = pipeline
        .send(HttpRequest::get(
            base.join("api/data/v9.2/WhoAmI").expect("url"),
        ))
        .await
        .expect("answered by the loopback server, not the proxy");
    assert_eq!(response.status(), 200);
}
