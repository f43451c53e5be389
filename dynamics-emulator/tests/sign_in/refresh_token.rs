//! Refresh tokens: rotation, inactivity expiry and revocation.

use std::time::Duration;

use dynamics_emulator::EmulatorConfig;

use crate::support::{Env, claims, start, start_with};

async fn refresh(env: &Env, refresh_token: &str, scope: Option<&str>) -> crate::support::Answer {
    let client_id = env.emu.defaults().public_client_id.to_string();
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("client_id", client_id.as_str()),
        ("refresh_token", refresh_token),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    env.token(&form).await
}

#[tokio::test]
async fn each_use_rotates_and_the_old_token_dies() {
    let env = start().await;
    let first = env.alice().await;
    let rt1 = first.ok()["refresh_token"].as_str().expect("rt").to_owned();
    let second = refresh(&env, &rt1, None).await;
    let rt2 = second.ok()["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(
        claims(second.access_token())["oid"],
        env.emu.defaults().user.object_id.to_string()
    );
    refresh(&env, &rt1, None)
        .await
        .assert_error(400, "invalid_grant", 70008);
    refresh(&env, &rt2, None).await.ok();
    refresh(&env, "garbage", None)
        .await
        .assert_error(400, "invalid_grant", 9002313);
}

#[tokio::test]
async fn refresh_can_switch_to_another_consented_resource() {
    let env = start().await;
    let rt = env.alice().await.ok()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    let answer = refresh(
        &env,
        &rt,
        Some("https://service.powerapps.com//.default offline_access"),
    )
    .await;
    assert_eq!(
        claims(answer.access_token())["aud"],
        "https://service.powerapps.com"
    );
}

#[tokio::test]
async fn inactive_refresh_token_is_700082() {
    let env = start_with(EmulatorConfig {
        refresh_token_lifetime: Duration::from_secs(24 * 3600),
        ..EmulatorConfig::default()
    })
    .await;
    let rt = env.alice().await.ok()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    env.emu.advance_clock(Duration::from_secs(20 * 3600));
    let rt = refresh(&env, &rt, None).await.ok()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    env.emu.advance_clock(Duration::from_secs(25 * 3600));
    refresh(&env, &rt, None)
        .await
        .assert_error(400, "invalid_grant", 700082);
}

#[tokio::test]
async fn revoked_refresh_tokens_are_70008() {
    let env = start().await;
    let rt = env.alice().await.ok()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    let revoked = env
        .emu
        .seed()
        .revoke_refresh_tokens(env.emu.defaults().user.object_id)
        .expect("known user");
    assert_eq!(revoked, 1);
    assert!(
        env.emu
            .seed()
            .revoke_refresh_tokens(uuid::Uuid::new_v4())
            .is_err()
    );
    refresh(&env, &rt, None)
        .await
        .assert_error(400, "invalid_grant", 70008);
}

#[tokio::test]
async fn refresh_token_is_bound_to_its_client() {
    let env = start().await;
    let d = env.emu.defaults();
    let rt = env.alice().await.ok()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    let answer = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &d.client_id.to_string()),
            ("client_secret", &d.client_secret),
            ("refresh_token", &rt),
        ])
        .await;
    answer.assert_error(400, "invalid_grant", 70000);
    // The token survives a request that was rejected for another reason.
    refresh(&env, &rt, None).await.ok();
}
