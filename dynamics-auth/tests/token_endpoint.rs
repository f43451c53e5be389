//! What the credentials send to the token endpoint and how they read odd answers, against
//! wiremock.

use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::{
    AuthError, Authority, ClientSecretCredential, Clock, CredentialOptions, EndpointVersion,
    ManualClock, RefreshTokenCredential, TokenCredential, UsernamePasswordCredential,
};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use uuid::Uuid;

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT_ID: Uuid = Uuid::from_u128(0x11111111_2222_3333_4444_555555555555);
const SCOPE: &str = "https://contoso.crm.dynamics.com/.default";

fn options(clock: &ManualClock) -> CredentialOptions {
    CredentialOptions {
        clock: Arc::new(clock.clone()),
        ..Default::default()
    }
}

fn secret_credential(server: &MockServer, options: CredentialOptions) -> ClientSecretCredential {
    ClientSecretCredential::new(
        Authority::with_host(&server.uri(), TENANT).expect("authority"),
        CLIENT_ID,
        "s3cr3t-value",
        options,
    )
    .expect("credential")
}

fn auth_error(e: &azure_core::Error) -> &AuthError {
    AuthError::from_azure(e).unwrap_or_else(|| panic!("not an AuthError: {e:?}"))
}

#[tokio::test]
async fn client_credentials_form_is_what_entra_documents() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contoso.onmicrosoft.com/oauth2/v2.0/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains(format!("client_id={CLIENT_ID}")))
        .and(body_string_contains("client_secret=s3cr3t-value"))
        .and(body_string_contains(
            "scope=https%3A%2F%2Fcontoso.crm.dynamics.com%2F.default",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer", "expires_in": 3599, "access_token": "abc"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let token = secret_credential(&server, options(&clock))
        .get_token(&[SCOPE], None)
        .await
        .expect("token");
    assert_eq!(token.token.secret(), "abc");
    assert_eq!(token.expires_on, clock.now() + Duration::from_secs(3599));
}

#[tokio::test]
async fn throttling_is_retried_after_the_time_the_server_asks_for() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7").set_body_json(
            serde_json::json!({"error": "temporarily_unavailable", "error_description": "busy"}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer", "expires_in": 3599, "access_token": "after-retry"
        })))
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let token = secret_credential(&server, options(&clock))
        .get_token(&[SCOPE], None)
        .await
        .expect("token");
    assert_eq!(token.token.secret(), "after-retry");
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .expect(3)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let err = secret_credential(&server, options(&clock))
        .get_token(&[SCOPE], None)
        .await
        .expect_err("keeps failing");
    match auth_error(&err) {
        AuthError::UnexpectedResponse { status, body, .. } => {
            assert_eq!(*status, 502);
            assert!(body.contains("Bad Gateway"), "{body}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_millis(500), Duration::from_millis(1000)]
    );
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_request",
            "error_description": "AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2026-01-01 00:00:00Z",
            "error_codes": [90002],
            "trace_id": "t",
            "correlation_id": "c"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = secret_credential(&server, options(&ManualClock::starting_now()))
        .get_token(&[SCOPE], None)
        .await
        .expect_err("tenant not found");
    let e = auth_error(&err);
    assert_eq!(e.aadsts(), Some(90002));
    assert!(e.hint().expect("hint").contains("tenant"));
}

#[tokio::test]
async fn a_garbled_success_body_is_an_error_that_does_not_echo_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"access_token":"leaky-token","expires_in":"#),
        )
        .mount(&server)
        .await;
    let err = secret_credential(&server, options(&ManualClock::starting_now()))
        .get_token(&[SCOPE], None)
        .await
        .expect_err("garbled");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("not a token response"), "{shown}");
    assert!(!shown.contains("leaky-token"), "{shown}");
}

#[tokio::test]
async fn the_v1_endpoint_sends_resource_and_reads_string_lifetimes() {
    // A v1 answer states its expiry in epoch seconds (as a string), relative to "now".
    let clock =
        ManualClock::new(time::OffsetDateTime::from_unix_timestamp(1_899_996_400).expect("time"));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contoso.onmicrosoft.com/oauth2/token"))
        .and(body_string_contains(
            "resource=https%3A%2F%2Fcontoso.crm.dynamics.com",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer",
            "expires_in": "3599",
            "expires_on": "1900000000",
            "not_before": "1899996400",
            "resource": "https://contoso.crm.dynamics.com/",
            "access_token": "v1-token"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let credential = UsernamePasswordCredential::new(
        Authority::with_host(&server.uri(), TENANT).expect("authority"),
        CLIENT_ID,
        "admin@contoso.onmicrosoft.com",
        "pa55word",
        CredentialOptions {
            endpoint_version: EndpointVersion::V1,
            ..options(&clock)
        },
    )
    .expect("credential");
    let token = credential.get_token(&[SCOPE], None).await.expect("token");
    assert_eq!(token.expires_on.unix_timestamp(), 1_900_000_000);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_retryable_transport_error() {
    // Bind a port, then free it, so nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let credential = ClientSecretCredential::new(
        Authority::with_host(&format!("http://127.0.0.1:{port}"), TENANT).expect("authority"),
        CLIENT_ID,
        "s3cr3t-value",
        CredentialOptions {
            max_retries: 1,
            clock: Arc::new(ManualClock::starting_now()),
            ..Default::default()
        },
    )
    .expect("credential");
    let err = credential
        .get_token(&[SCOPE], None)
        .await
        .expect_err("nobody listens");
    let e = auth_error(&err);
    assert!(matches!(e, AuthError::Transport { .. }), "{e:?}");
    assert!(e.is_retryable());
    assert!(!format!("{e} {e:?}").contains("s3cr3t-value"));
}

/// A confidential app's user sign-ins carry the client secret besides the grant; the secret
/// is named by a method, so it cannot be swapped with the password or refresh token.
#[tokio::test]
async fn confidential_user_sign_ins_send_the_client_secret_with_the_grant() {
    let server = MockServer::start().await;
    for (grant, field) in [
        ("grant_type=password", "password=user-pa55"),
        ("grant_type=refresh_token", "refresh_token=rt-value"),
    ] {
        Mock::given(method("POST"))
            .and(path("/contoso.onmicrosoft.com/oauth2/v2.0/token"))
            .and(body_string_contains(grant))
            .and(body_string_contains(field))
            .and(body_string_contains("client_secret=app-s3cr3t"))
            .and(body_string_contains(format!("client_id={CLIENT_ID}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "token_type": "Bearer", "expires_in": 3599, "access_token": "abc",
                "refresh_token": "rt-next"
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let authority = Authority::with_host(&server.uri(), TENANT).expect("authority");
    let password = UsernamePasswordCredential::new(
        authority.clone(),
        CLIENT_ID,
        "alice@contoso.onmicrosoft.com",
        "user-pa55",
        CredentialOptions::default(),
    )
    .expect("credential")
    .with_client_secret("app-s3cr3t");
    password.get_token(&[SCOPE], None).await.expect("token");
    let refresh = RefreshTokenCredential::new(
        authority,
        CLIENT_ID,
        "rt-value",
        CredentialOptions::default(),
    )
    .expect("credential")
    .with_client_secret("app-s3cr3t");
    refresh.get_token(&[SCOPE], None).await.expect("token");
    for debug in [format!("{password:?}"), format!("{refresh:?}")] {
        assert!(
            !debug.contains("app-s3cr3t") && !debug.contains("user-pa55"),
            "{debug}"
        );
    }
}
