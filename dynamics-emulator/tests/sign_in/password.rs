//! The password grant (ROPC) and its user, MFA and consent errors.

use dynamics_emulator::AppSeed;
use serde_json::json;
use uuid::Uuid;

use crate::support::{DATAVERSE, claims, start};

#[tokio::test]
async fn password_grant_issues_user_tokens() {
    let env = start().await;
    let d = env.emu.defaults();
    let answer = env.alice().await;
    let body = answer.ok();
    assert!(body["refresh_token"].is_string());
    assert!(body["id_token"].is_string());
    assert_eq!(
        body["scope"],
        format!("{DATAVERSE}/user_impersonation openid profile offline_access")
    );
    let c = claims(answer.access_token());
    assert_eq!(c["aud"], DATAVERSE);
    assert_eq!(c["scp"], "user_impersonation");
    assert_eq!(c["oid"], d.user.object_id.to_string());
    assert_eq!(c["upn"], d.user.upn);
    assert_eq!(c["preferred_username"], d.user.upn);
    assert_eq!(c["name"], "Alice Example");
    assert_eq!(c["appid"], d.public_client_id.to_string());
    assert_eq!(c["appidacr"], "0");
    assert!(c.get("roles").is_none());
    let id = claims(body["id_token"].as_str().expect("id_token"));
    assert_eq!(id["aud"], d.public_client_id.to_string());
    assert_eq!(id["preferred_username"], d.user.upn);
}

#[tokio::test]
async fn no_refresh_token_without_offline_access_and_default_scope_works() {
    let env = start().await;
    let user = &env.emu.defaults().user;
    let answer = env
        .password(
            &user.upn,
            &user.password,
            "https://contoso.crm.dynamics.com//.default",
        )
        .await;
    assert!(answer.ok().get("refresh_token").is_none());
    assert!(answer.ok().get("id_token").is_none());
    assert_eq!(claims(answer.access_token())["scp"], "user_impersonation");
}

#[tokio::test]
async fn credential_and_mfa_errors() {
    let env = start().await;
    let d = env.emu.defaults();
    let scope = format!("{DATAVERSE}//user_impersonation");
    env.password(&d.user.upn, "wrong", &scope)
        .await
        .assert_error(400, "invalid_grant", 50126);
    env.password("nobody@contoso.onmicrosoft.com", "x", &scope)
        .await
        .assert_error(400, "invalid_grant", 50034);
    env.password(&d.mfa_user.upn, &d.mfa_user.password, &scope)
        .await
        .assert_error(400, "invalid_grant", 50076);
    env.password(
        &d.mfa_enrollment_user.upn,
        &d.mfa_enrollment_user.password,
        &scope,
    )
    .await
    .assert_error(400, "invalid_grant", 50079);
    env.password(
        &d.user.upn,
        &d.user.password,
        "https://nope.crm.dynamics.com/user_impersonation",
    )
    .await
    .assert_error(400, "invalid_resource", 500011);
}

#[tokio::test]
async fn missing_consent_is_65001() {
    let env = start().await;
    let d = env.emu.defaults();
    let client_id = Uuid::new_v4();
    let app = AppSeed {
        public_client: true,
        ..AppSeed::new(client_id, "Unconsented")
    };
    env.emu.seed().add_app(d.tenant_id, app).expect("app added");
    let answer = env
        .token(&[
            ("grant_type", "password"),
            ("client_id", &client_id.to_string()),
            ("username", &d.user.upn),
            ("password", &d.user.password),
            ("scope", &format!("{DATAVERSE}/user_impersonation")),
        ])
        .await;
    answer.assert_error(400, "invalid_grant", 65001);
    env.emu
        .seed()
        .grant_consent(d.tenant_id, client_id, DATAVERSE)
        .expect("consent");
    let retry = env
        .token(&[
            ("grant_type", "password"),
            ("client_id", &client_id.to_string()),
            ("username", &d.user.upn),
            ("password", &d.user.password),
            ("scope", &format!("{DATAVERSE}/user_impersonation")),
        ])
        .await;
    retry.ok();
}

#[tokio::test]
async fn confidential_app_must_authenticate_on_user_flows() {
    let env = start().await;
    let d = env.emu.defaults();
    let client_id = d.client_id.to_string();
    let mut form = vec![
        ("grant_type", "password"),
        ("client_id", client_id.as_str()),
        ("username", d.user.upn.as_str()),
        ("password", d.user.password.as_str()),
        ("scope", "https://contoso.crm.dynamics.com/.default"),
    ];
    env.token(&form)
        .await
        .assert_error(401, "invalid_client", 7000218);
    form.push(("client_secret", &d.client_secret));
    let answer = env.token(&form).await;
    assert_eq!(claims(answer.access_token())["appidacr"], "1");
}

#[tokio::test]
async fn organizations_authority_works_for_user_flows() {
    let env = start().await;
    let d = env.emu.defaults();
    let answer = env
        .post(
            &env.url("organizations/oauth2/v2.0/token"),
            &[
                ("grant_type", "password"),
                ("client_id", &d.public_client_id.to_string()),
                ("username", &d.user.upn),
                ("password", &d.user.password),
                ("scope", &format!("{DATAVERSE}/.default")),
            ],
        )
        .await;
    assert_eq!(
        claims(answer.access_token())["tid"],
        json!(d.tenant_id.to_string())
    );
}
