//! The device-code flow: scripted polling, approval, decline, expiry.

use std::time::Duration;

use dynamics_emulator::DeviceCodeBehaviour;
use serde_json::Value;

use crate::support::{Answer, DATAVERSE, Env, claims, start};

/// Starts a device-code sign-in for the public client; returns the devicecode response.
async fn begin(env: &Env) -> Value {
    let d = env.emu.defaults();
    let answer = env
        .post(
            &env.url(&format!("{}/oauth2/v2.0/devicecode", d.tenant_id)),
            &[
                ("client_id", &d.public_client_id.to_string()),
                (
                    "scope",
                    &format!("{DATAVERSE}//user_impersonation offline_access"),
                ),
            ],
        )
        .await;
    answer.ok().clone()
}

async fn poll(env: &Env, device_code: &str) -> Answer {
    env.token(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        (
            "client_id",
            &env.emu.defaults().public_client_id.to_string(),
        ),
        ("device_code", device_code),
    ])
    .await
}

fn device_code(start: &Value) -> &str {
    start["device_code"].as_str().expect("device_code")
}

#[tokio::test]
async fn devicecode_response_and_default_script() {
    let env = start().await;
    let start = begin(&env).await;
    let user_code = start["user_code"].as_str().expect("user_code");
    assert_eq!(user_code.len(), 8);
    assert!(user_code.chars().all(|c| c.is_ascii_uppercase()));
    assert_eq!(start["verification_uri"], env.url("devicelogin"));
    assert_eq!(start["expires_in"], 900);
    assert_eq!(start["interval"], 5);
    assert!(
        start["message"]
            .as_str()
            .expect("message")
            .contains(user_code)
    );

    poll(&env, device_code(&start))
        .await
        .assert_error(400, "authorization_pending", 70016);
    let answer = poll(&env, device_code(&start)).await;
    assert!(answer.ok()["refresh_token"].is_string());
    assert_eq!(
        claims(answer.access_token())["oid"],
        env.emu.defaults().user.object_id.to_string()
    );
    // A redeemed code is spent.
    poll(&env, device_code(&start))
        .await
        .assert_error(400, "invalid_grant", 70008);
}

#[tokio::test]
async fn pending_then_slow_down_then_approved() {
    let env = start().await;
    env.emu
        .seed()
        .set_device_code_behaviour(DeviceCodeBehaviour {
            auto_approve_after_polls: Some(3),
            slow_down_on_poll: Some(2),
            ..DeviceCodeBehaviour::default()
        });
    let start = begin(&env).await;
    let code = device_code(&start);
    poll(&env, code)
        .await
        .assert_error(400, "authorization_pending", 70016);
    let slow = poll(&env, code).await;
    assert_eq!(slow.status, 400);
    assert_eq!(slow.body["error"], "slow_down");
    poll(&env, code).await.ok();
}

#[tokio::test]
async fn explicit_approval_signs_in_the_named_user_with_mfa() {
    let env = start().await;
    env.emu
        .seed()
        .set_device_code_behaviour(DeviceCodeBehaviour {
            auto_approve_after_polls: None,
            ..DeviceCodeBehaviour::default()
        });
    let start = begin(&env).await;
    let code = device_code(&start);
    for _ in 0..3 {
        poll(&env, code)
            .await
            .assert_error(400, "authorization_pending", 70016);
    }
    let mfa_user = &env.emu.defaults().mfa_user;
    env.emu
        .seed()
        .approve_device_code(
            start["user_code"].as_str().expect("user_code"),
            &mfa_user.upn,
        )
        .expect("approved");
    let answer = poll(&env, code).await;
    let c = claims(answer.access_token());
    assert_eq!(c["upn"], mfa_user.upn);
    assert_eq!(c["amr"], serde_json::json!(["pwd", "mfa"]));
}

#[tokio::test]
async fn declined_expired_and_unknown_codes() {
    let env = start().await;
    env.emu
        .seed()
        .set_device_code_behaviour(DeviceCodeBehaviour {
            auto_approve_after_polls: None,
            ..DeviceCodeBehaviour::default()
        });
    let declined = begin(&env).await;
    env.emu
        .seed()
        .decline_device_code(declined["user_code"].as_str().expect("user_code"))
        .expect("declined");
    poll(&env, device_code(&declined))
        .await
        .assert_error(400, "authorization_declined", 65004);

    let expiring = begin(&env).await;
    // A clock handle can be moved into callbacks; it drives the same clock.
    let clock = env.emu.clock_handle();
    std::thread::spawn(move || clock.advance(Duration::from_secs(901)))
        .join()
        .expect("advanced");
    poll(&env, device_code(&expiring))
        .await
        .assert_error(400, "expired_token", 70019);

    poll(&env, "no-such-code")
        .await
        .assert_error(400, "bad_verification_code", 70018);
    assert!(
        env.emu
            .seed()
            .approve_device_code("ZZZZZZZZ", "alice@contoso.onmicrosoft.com")
            .is_err()
    );
}

#[tokio::test]
async fn device_login_page_approves_with_a_password() {
    let env = start().await;
    env.emu
        .seed()
        .set_device_code_behaviour(DeviceCodeBehaviour {
            auto_approve_after_polls: None,
            ..DeviceCodeBehaviour::default()
        });
    let start = begin(&env).await;
    let user = &env.emu.defaults().user;
    let page = env
        .http
        .get(env.url("devicelogin"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let form = |password: &str| {
        vec![
            (
                "user_code",
                start["user_code"].as_str().unwrap_or_default().to_owned(),
            ),
            ("username", user.upn.clone()),
            ("password", password.to_owned()),
            ("decision", "approve".to_owned()),
        ]
    };
    let wrong = env
        .http
        .post(env.url("devicelogin"))
        .form(&form("nope"))
        .send()
        .await;
    assert_eq!(wrong.expect("response").status(), 400);
    let right = env
        .http
        .post(env.url("devicelogin"))
        .form(&form(&user.password))
        .send()
        .await;
    assert_eq!(right.expect("response").status(), 200);
    poll(&env, device_code(&start)).await.ok();
}
