//! Shared test set-up: a wiremock server per test, a client pointed at it with a static
//! token and a manual clock (so waits do not sleep), and the fixture files.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::{ManualClock, StaticTokenCredential, TokenCredential};
use dynamics_http::{PipelineOptions, RetryOptions};
use online_mgmt_api::{
    ApiVersion, BapEndpoint, BapOptions, ClientOptions, OnlineManagementClient,
    PowerPlatformAdminClient, ServiceEndpoint,
};
use url::Url;
use wiremock::MockServer;

pub(crate) const TOKEN: &str = "test-token-value";
pub(crate) const RESOURCE: &str = "https://admin.services.crm.dynamics.com";

pub(crate) fn credential() -> Arc<dyn TokenCredential> {
    Arc::new(StaticTokenCredential::new(
        TOKEN,
        time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
    ))
}

pub(crate) fn pipeline(clock: &ManualClock) -> PipelineOptions {
    PipelineOptions {
        retry: RetryOptions {
            jitter: false,
            initial_delay: Duration::from_secs(1),
            max_retries: 2,
            ..Default::default()
        },
        clock: Arc::new(clock.clone()),
        ..Default::default()
    }
}

pub(crate) fn endpoint(server: &MockServer) -> ServiceEndpoint {
    ServiceEndpoint::parse(&server.uri()).expect("loopback endpoint")
}

pub(crate) struct Oma {
    pub(crate) server: MockServer,
    pub(crate) clock: ManualClock,
    pub(crate) client: OnlineManagementClient,
}

pub(crate) async fn oma(version: ApiVersion) -> Oma {
    let server = MockServer::start().await;
    let clock = ManualClock::starting_now();
    let client = OnlineManagementClient::with_resource(
        endpoint(&server),
        credential(),
        RESOURCE,
        ClientOptions {
            api_version: version,
            pipeline: pipeline(&clock),
            ..Default::default()
        },
    )
    .expect("client");
    Oma {
        server,
        clock,
        client,
    }
}

pub(crate) struct Bap {
    pub(crate) server: MockServer,
    pub(crate) clock: ManualClock,
    pub(crate) client: PowerPlatformAdminClient,
}

pub(crate) async fn bap() -> Bap {
    let server = MockServer::start().await;
    let clock = ManualClock::starting_now();
    let client = PowerPlatformAdminClient::new(
        BapEndpoint::Custom {
            base_url: Url::parse(&server.uri()).expect("url"),
            scope: "https://service.powerapps.com/.default".into(),
        },
        credential(),
        BapOptions {
            pipeline: pipeline(&clock),
            ..Default::default()
        },
    )
    .expect("client");
    Bap {
        server,
        clock,
        client,
    }
}

pub(crate) fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) fn json(name: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

pub(crate) fn json_status(status: u16, name: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

pub(crate) fn uuid(s: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).expect("uuid")
}

/// The ids used by the fixtures.
pub(crate) const INSTANCE: &str = "e2a9c8b3-2ead-4a83-b8ad-d1587b6415de";
pub(crate) const OPERATION: &str = "7a2e5c1b-0000-4000-8000-000000000001";
pub(crate) const USER: &str = "2a1b3c4d-0000-4000-8000-000000000002";
pub(crate) const TENANT: &str = "0b3a6a4f-0000-4000-8000-000000000001";
pub(crate) const APP: &str = "11111111-2222-3333-4444-555555555555";
pub(crate) const NEW_APP: &str = "66666666-7777-4888-8999-aaaaaaaaaaaa";
pub(crate) const IDENTITY: &str = "5f2c1d3e-0000-4000-8000-000000000001";
