//! The challenge endpoint and authorization of both admin APIs: missing, invalid, expired and
//! wrong-audience tokens (401), missing roles and unregistered apps (403).

use std::time::Duration;

use dynamics_emulator::AdminRole;
use reqwest::Method;

use crate::support::{ADMIN, BAP, BAP_VERSION, start};

#[tokio::test]
async fn challenge_names_the_authority_and_the_admin_resource() {
    let env = start().await;
    let answer = env.call(Method::GET, "api/aad/challenge", None, None).await;
    answer.expect(401);
    let expected = format!(
        "Bearer authorization_uri={}{}/oauth2/authorize, resource_id=https://admin.services.crm.dynamics.com/",
        env.emu.base_url(),
        env.emu.defaults().tenant_id
    );
    assert_eq!(answer.header("www-authenticate"), Some(expected.as_str()));
    // The admin resource of the challenge is registered: a token can be had for it.
    let token = env.admin_token(ADMIN).await;
    assert!(env.emu.validate_access_token(&token, ADMIN).is_ok());
    assert_eq!(env.emu.admin_requests(), 0, "the challenge is not counted");
}

#[tokio::test]
async fn missing_garbage_and_expired_tokens_get_401_with_a_challenge() {
    let env = start().await;
    let none = env
        .call(Method::GET, "api/v1.2/Instances", None, None)
        .await;
    none.expect(401);
    assert_eq!(none.error_code(), "AuthenticationFailed");
    assert!(
        none.header("www-authenticate")
            .is_some_and(|h| h.contains("resource_id=https://admin.services.crm.dynamics.com/"))
    );

    let garbage = env.get("api/v1.2/Instances", "not-a-jwt").await;
    garbage.expect(401);
    assert_eq!(garbage.error_code(), "InvalidAuthenticationToken");

    let token = env.admin_token(ADMIN).await;
    env.get("api/v1.2/Instances", &token).await.expect(200);
    env.emu.advance_clock(Duration::from_secs(3601));
    let expired = env.get("api/v1.2/Instances", &token).await;
    expired.expect(401);
    assert_eq!(expired.error_code(), "ExpiredAuthenticationToken");

    let bap = env
        .call(
            Method::GET,
            &format!("providers/Microsoft.BusinessAppPlatform/adminApplications?{BAP_VERSION}"),
            None,
            None,
        )
        .await;
    bap.expect(401);
    assert!(
        bap.header("www-authenticate")
            .is_some_and(|h| h.contains("resource_id=https://service.powerapps.com/"))
    );
}

#[tokio::test]
async fn tokens_for_another_audience_are_refused() {
    let env = start().await;
    let dataverse = env
        .admin_token(env.emu.defaults().dataverse_url.as_str())
        .await;
    let answer = env.get("api/v1.2/Instances", &dataverse).await;
    answer.expect(401);
    assert_eq!(answer.error_code(), "InvalidAuthenticationTokenAudience");

    let oma = env.admin_token(ADMIN).await;
    let environment = format!(
        "providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/{}?{BAP_VERSION}",
        env.emu.defaults().instance_id
    );
    env.get(&environment, &oma).await.expect(401);
    let bap = env.admin_token(BAP).await;
    env.get(&environment, &bap).await.expect(200);
    env.get("api/v1.2/Instances", &bap).await.expect(401);
}

#[tokio::test]
async fn users_need_an_admin_role() {
    let env = start().await;
    let dave = env.emu.defaults().non_admin_user.clone();
    let token = env.user_token(&dave, ADMIN).await;
    let answer = env.get("api/v1.2/Instances", &token).await;
    answer.expect(403);
    assert_eq!(answer.error_code(), "AuthorizationFailed");
    assert!(
        answer
            .error_message()
            .contains("needs the Global or Service administrator role"),
        "{}",
        answer.error_message()
    );

    // A Power Platform administrator may use BAP but not the Online Management API.
    env.emu
        .seed()
        .set_user_admin_roles(dave.object_id, &[AdminRole::PowerPlatformAdministrator])
        .expect("roles");
    env.get("api/v1.2/Instances", &token).await.expect(403);
    let bap = env.user_token(&dave, BAP).await;
    let environment = format!(
        "providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/{}?{BAP_VERSION}",
        env.emu.defaults().instance_id
    );
    env.get(&environment, &bap).await.expect(200);

    env.emu
        .seed()
        .set_user_admin_roles(dave.object_id, &[AdminRole::ServiceAdministrator])
        .expect("roles");
    env.get("api/v1.2/Instances", &token).await.expect(200);
}

#[tokio::test]
async fn unregistered_apps_are_told_to_register() {
    let env = start().await;
    let oma = env.app_token(ADMIN).await;
    let answer = env.get("api/v1/Instances", &oma).await;
    answer.expect(403);
    assert!(
        answer
            .error_message()
            .contains("TenantApplicationIdentities"),
        "{}",
        answer.error_message()
    );

    let bap = env.app_token(BAP).await;
    let answer = env
        .get(
            &format!("providers/Microsoft.BusinessAppPlatform/adminApplications?{BAP_VERSION}"),
            &bap,
        )
        .await;
    answer.expect(403);
    assert!(
        answer
            .error_message()
            .contains("registered as an admin management application"),
        "{}",
        answer.error_message()
    );
}
