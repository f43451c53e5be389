//! Resource discovery through `/api/aad/challenge`, and its fallbacks.

mod common;

use dynamics_auth::ManualClock;
use online_mgmt_api::{ClientOptions, OnlineManagementClient, ServiceEndpoint};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{credential, endpoint, pipeline};

const CHALLENGE: &str = "Bearer authorization_uri=https://login.microsoftonline.com/0b3a6a4f-0000-4000-8000-000000000001/oauth2/authorize, resource_id=https://admin.services.crm.dynamics.com/";

fn options(clock: &ManualClock) -> ClientOptions {
    ClientOptions {
        pipeline: pipeline(clock),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_challenge_names_authority_tenant_and_resource() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/aad/challenge"))
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", CHALLENGE))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let d = OnlineManagementClient::discover(&endpoint(&server), &options(&clock))
        .await
        .expect("discovered");
    assert_eq!(
        d.resource.as_deref(),
        Some("https://admin.services.crm.dynamics.com/")
    );
    assert_eq!(
        d.tenant_id.as_deref(),
        Some("0b3a6a4f-0000-4000-8000-000000000001")
    );
    assert_eq!(
        d.authority.expect("authority").host().as_str(),
        "https://login.microsoftonline.com/"
    );

    // connect uses it, and sends tokens only where it should.
    let client = OnlineManagementClient::connect(endpoint(&server), credential(), options(&clock))
        .await
        .expect("connects");
    assert_eq!(client.resource(), "https://admin.services.crm.dynamics.com");
}

#[tokio::test]
async fn the_service_url_is_the_fallback_when_the_challenge_names_no_resource() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/aad/challenge"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            "Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let client = OnlineManagementClient::connect(endpoint(&server), credential(), options(&clock))
        .await
        .expect("falls back");
    assert_eq!(client.resource(), server.uri());
}

#[tokio::test]
async fn an_answer_other_than_401_means_no_challenge() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/aad/challenge"))
        .respond_with(ResponseTemplate::new(200).set_body_string("hello"))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let d = OnlineManagementClient::discover(&endpoint(&server), &options(&clock))
        .await
        .expect("an empty discovery");
    assert_eq!(d, Default::default());
    let client = OnlineManagementClient::connect(endpoint(&server), credential(), options(&clock))
        .await
        .expect("falls back");
    assert_eq!(client.resource(), server.uri());
}

#[tokio::test]
async fn an_unreachable_challenge_falls_back_too() {
    // A loopback port nobody listens on.
    let uri = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let clock = ManualClock::starting_now();
    let options = ClientOptions {
        pipeline: dynamics_http::PipelineOptions {
            retry: dynamics_http::RetryOptions::none(),
            ..pipeline(&clock)
        },
        ..Default::default()
    };
    let endpoint = ServiceEndpoint::parse(&uri).expect("endpoint");
    assert!(
        OnlineManagementClient::discover(&endpoint, &options)
            .await
            .is_err()
    );
    let client = OnlineManagementClient::connect(endpoint, credential(), options)
        .await
        .expect("falls back");
    assert_eq!(client.resource(), uri);
}

#[tokio::test]
async fn a_configured_resource_skips_discovery() {
    let server = MockServer::start().await;
    Mock::given(path("/api/aad/challenge"))
        .respond_with(ResponseTemplate::new(401))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Instances"))
        .and(header("authorization", format!("Bearer {}", common::TOKEN)))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let client = OnlineManagementClient::connect(
        endpoint(&server),
        credential(),
        ClientOptions {
            resource: Some("https://admin.services.crm4.dynamics.com/.default".into()),
            ..options(&clock)
        },
    )
    .await
    .expect("client");
    assert_eq!(
        client.resource(),
        "https://admin.services.crm4.dynamics.com"
    );
    assert!(client.list_instances().await.expect("listed").is_empty());
}

/// Counts token requests, so a test can prove nothing was signed in for.
#[derive(Debug, Default)]
struct CountingCredential(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl dynamics_auth::TokenCredential for CountingCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<dynamics_auth::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<dynamics_auth::AccessToken> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(dynamics_auth::AccessToken::new(
            common::TOKEN,
            time::OffsetDateTime::now_utc() + std::time::Duration::from_secs(3600),
        ))
    }
}

#[tokio::test]
async fn a_challenge_naming_a_foreign_resource_is_refused_and_no_token_is_requested() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/aad/challenge"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            "Bearer authorization_uri=https://login.microsoftonline.com/0b3a6a4f-0000-4000-8000-000000000001/oauth2/authorize, resource_id=https://graph.microsoft.com/",
        ))
        .mount(&server)
        .await;
    // Nothing may be sent with a token.
    Mock::given(wiremock::matchers::header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let err = OnlineManagementClient::discover(&endpoint(&server), &options(&clock))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            &err,
            online_mgmt_api::AdminError::UntrustedChallenge { what: "resource_id", value, .. }
                if value == "https://graph.microsoft.com/"
        ),
        "{err:?}"
    );
    let credential = std::sync::Arc::new(CountingCredential::default());
    let err =
        OnlineManagementClient::connect(endpoint(&server), credential.clone(), options(&clock))
            .await
            .expect_err("refused, not a fallback");
    assert!(err.to_string().contains("graph.microsoft.com"), "{err}");
    assert!(err.hint().is_some());
    assert_eq!(credential.0.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_challenge_naming_a_foreign_sign_in_host_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/aad/challenge"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            "Bearer authorization_uri=https://login.evil.example/0b3a6a4f-0000-4000-8000-000000000001/oauth2/authorize, resource_id=https://admin.services.crm.dynamics.com/",
        ))
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let err = OnlineManagementClient::discover(&endpoint(&server), &options(&clock))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            online_mgmt_api::AdminError::UntrustedChallenge {
                what: "authorization_uri",
                ..
            }
        ),
        "{err:?}"
    );
    // A configured authority host is used instead, with the challenge's tenant.
    let d = OnlineManagementClient::discover(
        &endpoint(&server),
        &ClientOptions {
            authority_host: Some(server.uri()),
            ..options(&clock)
        },
    )
    .await
    .expect("configured host");
    assert_eq!(
        d.authority.expect("authority").host().as_str(),
        format!("{}/", server.uri())
    );
}

#[tokio::test]
async fn the_emulator_signs_in_at_its_own_loopback_origin() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/aad/challenge"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!(
                "Bearer authorization_uri={}/0b3a6a4f-0000-4000-8000-000000000001/oauth2/authorize, resource_id=https://admin.services.crm.dynamics.com/",
                server.uri()
            ),
        ))
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let d = OnlineManagementClient::discover(&endpoint(&server), &options(&clock))
        .await
        .expect("own loopback origin");
    assert_eq!(
        d.resource.as_deref(),
        Some("https://admin.services.crm.dynamics.com/")
    );
}
