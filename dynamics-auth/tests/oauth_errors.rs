//! Errors as an independent OAuth 2.0 server (not Entra) sends them, on the token endpoint
//! and on the authorization redirect, against wiremock: each gets a kind and a hint from the
//! standard `error` field, service text is capped, secrets echoed back are scrubbed, and a
//! single-use authorization code is never sent twice.

use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::{
    AuthError, Authority, AuthorizationCodeFlow, AuthorizeOptions, ClientSecretCredential,
    CredentialOptions, EntraErrorKind, ManualClock, TokenCredential,
};
use url::Url;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "contoso.onmicrosoft.com";
use uuid::Uuid;

const CLIENT_ID: Uuid = Uuid::from_u128(0x11111111_2222_3333_4444_555555555555);
const SCOPE: &str = "https://contoso.crm.dynamics.com/.default";
const USER_SCOPE: &str = "https://contoso.crm.dynamics.com/user_impersonation";
const CLIENT_SECRET: &str = "CLIENT-SECRET-b7c8d9";
const REDIRECT_URI: &str = "http://localhost:8400/callback";

fn options() -> CredentialOptions {
    CredentialOptions {
        clock: Arc::new(ManualClock::starting_now()),
        ..Default::default()
    }
}

async fn token_error(response: ResponseTemplate) -> AuthError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .mount(&server)
        .await;
    let credential = ClientSecretCredential::new(
        Authority::with_host(&server.uri(), TENANT).expect("authority"),
        CLIENT_ID,
        CLIENT_SECRET,
        options(),
    )
    .expect("credential");
    let err = credential
        .get_token(&[SCOPE], None)
        .await
        .expect_err("the server refuses");
    AuthError::from_azure(&err)
        .unwrap_or_else(|| panic!("not an AuthError: {err:?}"))
        .clone()
}

#[tokio::test]
async fn standard_oauth_errors_without_aadsts_codes_get_a_kind_and_a_hint() {
    let cases = [
        ("invalid_request", EntraErrorKind::InvalidRequest),
        ("invalid_client", EntraErrorKind::InvalidClient),
        ("invalid_grant", EntraErrorKind::InvalidGrant),
        ("unauthorized_client", EntraErrorKind::UnauthorizedClient),
        (
            "unsupported_grant_type",
            EntraErrorKind::UnsupportedGrantType,
        ),
        ("invalid_scope", EntraErrorKind::InvalidScope),
        ("access_denied", EntraErrorKind::AccessDenied),
        ("consent_required", EntraErrorKind::ConsentRequired),
        ("interaction_required", EntraErrorKind::InteractionRequired),
        (
            "authorization_pending",
            EntraErrorKind::AuthorizationPending,
        ),
        ("slow_down", EntraErrorKind::SlowDown),
        ("expired_token", EntraErrorKind::ExpiredToken),
    ];
    for (code, kind) in cases {
        for body in [
            serde_json::json!({ "error": code }),
            serde_json::json!({ "error": code, "error_description": "the server says no" }),
        ] {
            let e = token_error(ResponseTemplate::new(400).set_body_json(&body)).await;
            assert_eq!(e.kind(), Some(kind), "{body}");
            let hint = e.hint().unwrap_or_else(|| panic!("no hint for {body}"));
            assert!(e.to_string().contains(&hint), "{e}");
            assert!(!e.is_retryable(), "{body}");
            if code == "consent_required" {
                assert!(hint.contains("adminconsent?client_id="), "{hint}");
            }
        }
    }
}

#[tokio::test]
async fn server_side_oauth_errors_are_retryable_and_say_so() {
    for (code, kind) in [
        (
            "temporarily_unavailable",
            EntraErrorKind::TemporarilyUnavailable,
        ),
        ("server_error", EntraErrorKind::ServerError),
    ] {
        let e = token_error(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({ "error": code })),
        )
        .await;
        assert_eq!(e.kind(), Some(kind));
        assert!(e.is_retryable(), "{e}");
        assert!(e.hint().expect("hint").contains("try again later"));
    }
}

#[tokio::test]
async fn form_encoded_errors_are_read_too() {
    let e = token_error(ResponseTemplate::new(400).set_body_raw(
        "error=invalid_grant&error_description=code+was+already+redeemed",
        "application/x-www-form-urlencoded",
    ))
    .await;
    assert_eq!(e.kind(), Some(EntraErrorKind::InvalidGrant));
    assert!(e.to_string().contains("code was already redeemed"), "{e}");
}

#[tokio::test]
async fn odd_field_types_do_not_lose_the_error() {
    let e = token_error(ResponseTemplate::new(401).set_body_json(serde_json::json!({
        "error": "invalid_client",
        "error_description": 42,
        "error_codes": ["x", -1, 7000215, 1e30],
        "trace_id": {"nested": true}
    })))
    .await;
    assert_eq!(e.kind(), Some(EntraErrorKind::InvalidClientSecret));
    assert_eq!(e.aadsts(), Some(7000215));
}

#[tokio::test]
async fn non_json_and_html_bodies_keep_the_status_and_the_text() {
    let e = token_error(ResponseTemplate::new(400).set_body_string("bad request, sorry")).await;
    match &e {
        AuthError::UnexpectedResponse { status, body, .. } => {
            assert_eq!(*status, 400);
            assert!(body.contains("bad request, sorry"));
        }
        other => panic!("{other:?}"),
    }
    let html = format!(
        "<html><body><h1>403 Forbidden</h1>{}</body></html>",
        "x".repeat(10_000)
    );
    let e = token_error(ResponseTemplate::new(403).set_body_raw(html, "text/html")).await;
    assert!(
        matches!(e, AuthError::UnexpectedResponse { status: 403, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("403 Forbidden"));
    assert!(e.to_string().len() < 2_000, "{}", e.to_string().len());
    assert_eq!(e.kind(), None);
}

#[tokio::test]
async fn huge_bodies_and_descriptions_are_capped_in_display() {
    let description = format!("AADSTS7000215: {}", "long text ".repeat(100_000));
    let e = token_error(ResponseTemplate::new(401).set_body_json(serde_json::json!({
        "error": "invalid_client",
        "error_description": description,
    })))
    .await;
    let shown = e.to_string();
    assert!(shown.len() < 3_000, "{}", shown.len());
    assert!(shown.contains("more characters]"), "{shown}");
    assert_eq!(e.kind(), Some(EntraErrorKind::InvalidClientSecret));

    // Larger than any token answer: refused without reading it all, and not echoed.
    let e =
        token_error(ResponseTemplate::new(500).set_body_string("y".repeat(3 * 1024 * 1024))).await;
    assert!(
        matches!(e, AuthError::UnexpectedResponse { status: 500, .. }),
        "{e:?}"
    );
    assert!(e.to_string().len() < 2_000);
}

#[tokio::test]
async fn secrets_a_server_echoes_back_are_scrubbed_from_errors() {
    let e = token_error(ResponseTemplate::new(400).set_body_json(serde_json::json!({
        "error": "invalid_request",
        "error_description": format!("could not parse client_secret={CLIENT_SECRET}&scope=x"),
    })))
    .await;
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    assert!(shown.contains("client_secret=<redacted>"), "{shown}");

    let e = token_error(
        ResponseTemplate::new(502).set_body_string(format!("proxy saw {CLIENT_SECRET}")),
    )
    .await;
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
}

fn flow(server_uri: &str, options: CredentialOptions) -> AuthorizationCodeFlow {
    AuthorizationCodeFlow::new(
        Authority::with_host(server_uri, TENANT).expect("authority"),
        CLIENT_ID,
        REDIRECT_URI,
        options,
    )
    .expect("flow")
}

fn redirect_with(state: &str, pairs: &[(&str, &str)]) -> Url {
    let mut url = Url::parse(REDIRECT_URI).expect("url");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        q.append_pair("state", state);
    }
    url
}

const AADSTS65001: &str = "AADSTS65001: The user or administrator has not consented to use the application with ID '11111111-2222-3333-4444-555555555555'.";

#[tokio::test]
async fn a_consent_error_on_the_redirect_matches_the_token_endpoint_one() {
    // What the token endpoint says for AADSTS65001.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant",
            "error_description": AADSTS65001,
            "error_codes": [65001]
        })))
        .mount(&server)
        .await;
    let flow = flow(&server.uri(), options());
    let request = flow.authorize_url(&[USER_SCOPE], &AuthorizeOptions::default());
    let from_token_endpoint = flow
        .exchange_code(&request, "a-code", request.state())
        .await
        .expect_err("consent missing");
    let expected_url = from_token_endpoint
        .entra()
        .and_then(|e| e.admin_consent_url.clone())
        .expect("token endpoint error has the admin-consent URL");

    for pairs in [
        vec![("error", "consent_required")],
        vec![
            ("error", "consent_required"),
            ("error_description", AADSTS65001),
        ],
        vec![
            ("error", "access_denied"),
            ("error_description", AADSTS65001),
        ],
        vec![
            ("error", "invalid_client"),
            ("error_description", AADSTS65001),
        ],
    ] {
        let request = flow.authorize_url(&[USER_SCOPE], &AuthorizeOptions::default());
        let err = flow
            .complete(&request, &redirect_with(request.state(), &pairs))
            .await
            .expect_err("consent missing");
        let entra = err.entra().unwrap_or_else(|| panic!("{pairs:?}: {err:?}"));
        assert_eq!(entra.kind(), EntraErrorKind::ConsentRequired, "{pairs:?}");
        assert_eq!(err.kind(), from_token_endpoint.kind(), "{pairs:?}");
        assert_eq!(
            entra.admin_consent_url.as_deref(),
            Some(expected_url.as_str())
        );
        assert_eq!(err.hint(), from_token_endpoint.hint(), "{pairs:?}");
        assert!(err.to_string().contains(&expected_url), "{err}");
    }
    // Only the token endpoint request above was made.
    assert_eq!(server.received_requests().await.expect("recorded").len(), 1);
}

#[tokio::test]
async fn other_redirect_errors_get_a_kind_and_a_hint_too() {
    let flow = flow("https://login.example.test", options());
    let request = flow.authorize_url(&[USER_SCOPE], &AuthorizeOptions::default());
    let long = "z".repeat(50_000);
    let err = flow
        .complete(
            &request,
            &redirect_with(
                request.state(),
                &[
                    ("error", "interaction_required"),
                    ("error_description", &long),
                ],
            ),
        )
        .await
        .expect_err("denied");
    assert!(
        matches!(err, AuthError::AuthorizationDenied { .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), Some(EntraErrorKind::InteractionRequired));
    assert!(err.hint().expect("hint").contains("interactive"));
    assert!(err.to_string().len() < 2_000, "capped");

    // A forged redirect is refused before its error is believed.
    let err = flow
        .complete(
            &request,
            &redirect_with("forged", &[("error", "consent_required")]),
        )
        .await
        .expect_err("forged");
    assert!(matches!(err, AuthError::StateMismatch), "{err:?}");
}

async fn redeem_once(response: ResponseTemplate, options: CredentialOptions) -> AuthError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    let flow = flow(&server.uri(), options);
    let request = flow.authorize_url(&[USER_SCOPE], &AuthorizeOptions::default());
    let err = flow
        .exchange_code(&request, "single-use-code", request.state())
        .await
        .expect_err("fails");
    server.verify().await;
    err
}

#[tokio::test]
async fn an_authorization_code_is_not_resent_after_a_server_error() {
    for status in [500, 502, 503, 504] {
        let err = redeem_once(
            ResponseTemplate::new(status).set_body_string("upstream failed"),
            options(),
        )
        .await;
        assert!(
            matches!(err, AuthError::SignInMustRestart { .. }),
            "{status}: {err:?}"
        );
        assert!(!err.is_retryable());
        assert!(err.hint().expect("hint").contains("new authorization URL"));
        assert!(err.to_string().contains("start the sign-in again"), "{err}");
    }
    let err = redeem_once(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "1")
            .set_body_json(serde_json::json!({"error": "temporarily_unavailable"})),
        options(),
    )
    .await;
    assert!(
        matches!(err, AuthError::SignInMustRestart { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_authorization_code_is_not_resent_after_a_timeout() {
    let err = redeem_once(
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"access_token": "late", "expires_in": 3600}))
            .set_delay(Duration::from_millis(1500)),
        CredentialOptions {
            timeout: Duration::from_millis(500),
            ..options()
        },
    )
    .await;
    match &err {
        AuthError::SignInMustRestart { source } => {
            assert!(
                matches!(
                    **source,
                    AuthError::Transport {
                        timed_out: true,
                        ..
                    }
                ),
                "{source:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_authorization_code_that_never_left_may_be_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let flow = flow(&format!("http://127.0.0.1:{port}"), options());
    let request = flow.authorize_url(&[USER_SCOPE], &AuthorizeOptions::default());
    let err = flow
        .exchange_code(&request, "single-use-code", request.state())
        .await
        .expect_err("nobody listens");
    // A connect error proves the code was never sent: a plain, retryable transport error.
    assert!(matches!(err, AuthError::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_rejected_authorization_code_is_reported_as_is() {
    let err = redeem_once(
        ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant",
            "error_description": "code already redeemed"
        })),
        options(),
    )
    .await;
    assert_eq!(err.kind(), Some(EntraErrorKind::InvalidGrant));
    assert!(err.entra().is_some(), "{err:?}");
}
