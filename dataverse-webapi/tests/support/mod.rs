//! Shared test setup: a wiremock org and a client pointed at it with a fixed token.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use dataverse_webapi::{ClientOptions, DataverseClient};
use dynamics_auth::{ManualClock, StaticTokenCredential};
use dynamics_http::{PipelineOptions, RetryOptions};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

pub(crate) struct Org {
    pub(crate) server: MockServer,
    pub(crate) client: DataverseClient,
    pub(crate) clock: ManualClock,
}

pub(crate) async fn org() -> Org {
    let server = MockServer::start().await;
    let clock = ManualClock::starting_now();
    let client = client_with_clock(&server, &clock);
    Org {
        server,
        client,
        clock,
    }
}

/// A client for another mock server.
pub(crate) fn client_for(server: &MockServer) -> DataverseClient {
    client_with_clock(server, &ManualClock::starting_now())
}

fn client_with_clock(server: &MockServer, clock: &ManualClock) -> DataverseClient {
    let credential = StaticTokenCredential::new(
        "test-token",
        time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
    );
    DataverseClient::new(
        &server.uri(),
        Arc::new(credential),
        ClientOptions {
            pipeline: PipelineOptions {
                clock: Arc::new(clock.clone()),
                retry: RetryOptions {
                    jitter: false,
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .expect("client")
}

/// A fixture from `reference/fixtures/dataverse/`, with `[Organization URI]` replaced.
pub(crate) fn fixture(name: &str, org: &str) -> serde_json::Value {
    let path = format!(
        "{}/../reference/fixtures/dataverse/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text
        .replace("https://[Organization URI]", org)
        .replace("https://[Organization Uri]", org)
        .replace("[Organization URI]", org)
        .replace("[Organization Uri]", org);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fixture's response body as JSON. Documentation artefacts (a `... <Truncated for
/// brevity>` line, and the trailing comma it leaves) are removed first, as INDEX.md describes.
pub(crate) fn response_json(fixture: &serde_json::Value) -> serde_json::Value {
    let body = fixture["response"]["body"].as_str().expect("response body");
    let kept: Vec<&str> = body
        .lines()
        .filter(|l| !l.to_ascii_lowercase().contains("truncated for brevity"))
        .collect();
    let mut text = kept.join("\n");
    // A comma left before a closing bracket.
    loop {
        let before = text.clone();
        for close in ["]", "}"] {
            text = text.replace(&format!(",\n{close}"), &format!("\n{close}"));
            for indent in 1..=16 {
                let pad = " ".repeat(indent);
                text = text.replace(&format!(",\n{pad}{close}"), &format!("\n{pad}{close}"));
            }
        }
        if text == before {
            break;
        }
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture body: {e}"))
}

/// Answers each batch with one 204 per operation it contains (`Content-ID` echoed), like the
/// service would for creates.
pub(crate) struct EchoCreates {
    pub(crate) org: String,
}

impl Respond for EchoCreates {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let operations = body.matches(" HTTP/1.1\r\n").count();
        let mut out = String::new();
        for i in 0..operations {
            out.push_str(&format!(
                "--batchresponse_x\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 204 No Content\r\nOData-EntityId: {}/api/data/v9.2/leads(00000000-0000-0000-0000-{i:012})\r\n\r\n\r\n",
                self.org
            ));
        }
        out.push_str("--batchresponse_x--\r\n");
        ResponseTemplate::new(200).set_body_raw(out, "multipart/mixed; boundary=batchresponse_x")
    }
}
