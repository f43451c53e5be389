//! Token and device-code answers with absurd lifetimes, as a broken or hostile server might
//! send them, against wiremock: every one gives a token with a clamped lifetime, never a panic.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dynamics_auth::{
    Authority, ClientSecretCredential, Clock, CredentialOptions, DeviceCodeCredential,
    DeviceCodeInfo, ManualClock, TokenCredential,
};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "contoso.onmicrosoft.com";
use uuid::Uuid;

const CLIENT_ID: Uuid = Uuid::from_u128(0x11111111_2222_3333_4444_555555555555);
const SCOPE: &str = "https://contoso.crm.dynamics.com/.default";
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn options(clock: &ManualClock) -> CredentialOptions {
    CredentialOptions {
        clock: Arc::new(clock.clone()),
        max_retries: 0,
        ..Default::default()
    }
}

/// Answers one token request with `lifetime_fields` spliced into a token body.
async fn lifetime_after(lifetime_fields: &str) -> Duration {
    let server = MockServer::start().await;
    let body = format!(r#"{{"token_type":"Bearer","access_token":"tok",{lifetime_fields}}}"#);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let credential = ClientSecretCredential::new(
        Authority::with_host(&server.uri(), TENANT).expect("authority"),
        CLIENT_ID,
        "s3cr3t",
        options(&clock),
    )
    .expect("credential");
    let token = credential
        .get_token(&[SCOPE], None)
        .await
        .unwrap_or_else(|e| panic!("{lifetime_fields}: {e}"));
    (token.expires_on - clock.now())
        .try_into()
        .unwrap_or_else(|_| panic!("{lifetime_fields}: expiry before now"))
}

#[tokio::test]
async fn absurd_expires_in_is_capped_at_a_day() {
    for fields in [
        r#""expires_in":1000000000000"#,
        r#""expires_in":"1000000000000""#,
        r#""expires_in":9223372036854775807"#,
        r#""expires_in":18446744073709551615"#,
        r#""expires_in":"18446744073709551615""#,
        r#""expires_in":1e300"#,
    ] {
        assert_eq!(lifetime_after(fields).await, DAY, "{fields}");
    }
    assert_eq!(
        lifetime_after(r#""expires_in":3599,"ext_expires_in":1e300"#).await,
        Duration::from_secs(3599),
        "ext_expires_in is not used"
    );
}

#[tokio::test]
async fn negative_or_fractional_expires_in_gives_an_already_expired_token() {
    for fields in [
        r#""expires_in":-1"#,
        r#""expires_in":"-3600""#,
        r#""expires_in":-9223372036854775808"#,
        r#""expires_in":0.25"#,
    ] {
        assert_eq!(lifetime_after(fields).await, Duration::ZERO, "{fields}");
    }
    assert_eq!(
        lifetime_after(r#""expires_in":3599.75"#).await,
        Duration::from_secs(3599)
    );
}

#[tokio::test]
async fn absurd_expires_on_is_clamped() {
    for (fields, expected) in [
        (r#""expires_on":"9999-12-31T23:59:59Z""#, DAY),
        (r#""expires_on":253402300799"#, DAY),
        (r#""expires_on":-377705116800"#, Duration::ZERO),
        (r#""expires_on":"-9223372036854775808""#, Duration::ZERO),
        (r#""expires_on":1e308"#, DAY),
        // A date this crate cannot read is ignored and `expires_in` is used.
        (
            r#""expires_on":"+9999-12-31T23:59:59Z","expires_in":600"#,
            Duration::from_secs(600),
        ),
    ] {
        assert_eq!(lifetime_after(fields).await, expected, "{fields}");
    }
}

#[tokio::test]
async fn a_device_code_with_absurd_timings_is_clamped_and_still_signs_in() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"device_code":"dc","user_code":"ABCD","verification_uri":"https://microsoft.com/devicelogin",
                "expires_in":1000000000000,"interval":18446744073709551615,"message":"go"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("device_code=dc"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "slow_down"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("device_code=dc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer", "expires_in": 3599, "access_token": "device-token"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let shown: Arc<Mutex<Vec<DeviceCodeInfo>>> = Arc::default();
    let seen = Arc::clone(&shown);
    let credential = DeviceCodeCredential::new(
        Authority::with_host(&server.uri(), TENANT).expect("authority"),
        CLIENT_ID,
        move |info| seen.lock().expect("lock").push(info.clone()),
        options(&clock),
    )
    .expect("credential");
    let token = credential
        .get_token(
            &["https://contoso.crm.dynamics.com/user_impersonation"],
            None,
        )
        .await
        .expect("token");
    assert_eq!(token.token.secret(), "device-token");
    let shown = shown.lock().expect("lock");
    assert_eq!(
        shown[0].expires_in,
        Duration::from_secs(3600),
        "capped at an hour"
    );
    // The interval is capped at a minute, and `slow_down` does not push it past that.
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(60), Duration::from_secs(60)]
    );
}

#[tokio::test]
async fn a_device_code_with_a_negative_lifetime_expires_instead_of_polling_forever() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"device_code":"dc","user_code":"ABCD","verification_uri":"https://microsoft.com/devicelogin",
                "expires_in":-5,"interval":-5}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contoso.onmicrosoft.com/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer", "expires_in": 3599, "access_token": "never"
        })))
        .expect(0)
        .mount(&server)
        .await;
    let clock = ManualClock::starting_now();
    let credential = DeviceCodeCredential::new(
        Authority::with_host(&server.uri(), TENANT).expect("authority"),
        CLIENT_ID,
        |_| {},
        options(&clock),
    )
    .expect("credential");
    let err = credential
        .get_token(
            &["https://contoso.crm.dynamics.com/user_impersonation"],
            None,
        )
        .await
        .expect_err("already expired");
    assert!(
        matches!(
            dynamics_auth::AuthError::from_azure(&err),
            Some(dynamics_auth::AuthError::DeviceCodeExpired)
        ),
        "{err:?}"
    );
}
