//! `client_credentials` with secrets, and the errors around client authentication and scopes.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use dynamics_emulator::{AppSeed, SecretSeed};
use serde_json::json;
use uuid::Uuid;

use crate::support::{DATAVERSE, claims, start};

#[tokio::test]
async fn secret_in_form_gives_an_app_only_token() {
    let env = start().await;
    let d = env.emu.defaults();
    let answer = env
        .client_credentials(&format!("{DATAVERSE}/.default"))
        .await;
    let body = answer.ok();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["ext_expires_in"].is_number());
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    let c = claims(answer.access_token());
    assert_eq!(c["aud"], DATAVERSE);
    assert_eq!(c["iss"], env.url(&format!("{}/v2.0", d.tenant_id)));
    assert_eq!(c["tid"], d.tenant_id.to_string());
    assert_eq!(c["appid"], d.client_id.to_string());
    assert_eq!(c["azp"], d.client_id.to_string());
    assert_eq!(c["roles"], json!([]));
    assert_eq!(c["ver"], "2.0");
    assert!(c.get("scp").is_none());
    assert_ne!(
        c["oid"],
        d.client_id.to_string(),
        "oid is the service principal"
    );
    assert_eq!(
        c["exp"].as_i64().expect("exp") - c["iat"].as_i64().expect("iat"),
        3600
    );
}

#[tokio::test]
async fn secret_in_basic_header_and_tenant_domain_and_trailing_slash() {
    let env = start().await;
    let d = env.emu.defaults();
    let basic = STANDARD.encode(format!("{}:{}", d.client_id, d.client_secret));
    let answer = env
        .send(
            env.http
                .post(env.url("contoso.onmicrosoft.com/oauth2/v2.0/token"))
                .header("authorization", format!("Basic {basic}"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("scope", "https://CONTOSO.crm.dynamics.com//.default"),
                ]),
        )
        .await;
    assert_eq!(claims(answer.access_token())["aud"], DATAVERSE);
    // The emulator's own origin is a registered resource too.
    let own = env
        .client_credentials(&format!("{}.default", env.emu.base_url()))
        .await;
    assert_eq!(
        claims(own.access_token())["aud"],
        env.emu.base_url().as_str().trim_end_matches('/')
    );
}

#[tokio::test]
async fn client_authentication_errors() {
    let env = start().await;
    let d = env.emu.defaults();
    let client_id = d.client_id.to_string();
    let scope = format!("{DATAVERSE}/.default");
    let bad_secret = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", "wrong"),
            ("scope", &scope),
        ])
        .await;
    bad_secret.assert_error(401, "invalid_client", 7000215);
    let no_secret = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("scope", &scope),
        ])
        .await;
    no_secret.assert_error(401, "invalid_client", 7000218);
    let unknown_app = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &Uuid::new_v4().to_string()),
            ("client_secret", "x"),
            ("scope", &scope),
        ])
        .await;
    unknown_app.assert_error(400, "unauthorized_client", 700016);
    let public_with_secret = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &d.public_client_id.to_string()),
            ("client_secret", "x"),
            ("scope", &scope),
        ])
        .await;
    public_with_secret.assert_error(401, "invalid_client", 700025);
}

#[tokio::test]
async fn expired_secret_follows_the_emulator_clock() {
    let env = start().await;
    let tenant = env.emu.defaults().tenant_id;
    let client_id = Uuid::new_v4();
    let expires = env.emu.now() + time::Duration::hours(1);
    let app = AppSeed {
        secrets: vec![SecretSeed {
            value: "short-lived".to_owned(),
            expires: Some(expires),
        }],
        ..AppSeed::new(client_id, "Short-lived secret")
    };
    env.emu.seed().add_app(tenant, app).expect("app added");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", &client_id.to_string()),
        ("client_secret", "short-lived"),
        ("scope", &format!("{DATAVERSE}/.default")),
    ];
    env.token(&form).await.ok();
    env.emu.advance_clock(Duration::from_secs(2 * 3600));
    env.token(&form)
        .await
        .assert_error(401, "invalid_client", 7000222);
}

#[tokio::test]
async fn scope_and_resource_errors() {
    let env = start().await;
    env.client_credentials("https://unknown.crm.dynamics.com/.default")
        .await
        .assert_error(400, "invalid_resource", 500011);
    env.client_credentials(&format!("{DATAVERSE}/user_impersonation"))
        .await
        .assert_error(400, "invalid_scope", 1002012);
    env.client_credentials(&format!(
        "{DATAVERSE}/.default https://service.powerapps.com/.default"
    ))
    .await
    .assert_error(400, "invalid_scope", 28000);
    env.client_credentials("User.Read")
        .await
        .assert_error(400, "invalid_scope", 70011);
}

#[tokio::test]
async fn grant_type_and_tenant_errors() {
    let env = start().await;
    let d = env.emu.defaults();
    env.token(&[
        ("grant_type", "urn:example:magic"),
        ("client_id", &d.client_id.to_string()),
    ])
    .await
    .assert_error(400, "unsupported_grant_type", 70003);
    env.token(&[("client_id", &d.client_id.to_string())])
        .await
        .assert_error(400, "invalid_request", 900144);
    for segment in ["common", "organizations"] {
        let answer = env
            .post(
                &env.url(&format!("{segment}/oauth2/v2.0/token")),
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &d.client_id.to_string()),
                    ("client_secret", &d.client_secret),
                    ("scope", &format!("{DATAVERSE}/.default")),
                ],
            )
            .await;
        answer.assert_error(400, "invalid_request", 9001023);
    }
}

#[tokio::test]
async fn token_requests_are_counted_server_side() {
    let env = start().await;
    assert_eq!(env.emu.token_requests(), 0);
    env.client_credentials(&format!("{DATAVERSE}/.default"))
        .await
        .ok();
    env.client_credentials("https://unknown/.default").await;
    // v1 endpoint counts too; the device-code and discovery endpoints do not.
    env.post(
        &env.url("contoso.onmicrosoft.com/oauth2/token"),
        &[("grant_type", "password")],
    )
    .await;
    env.send(env.http.get(env.url("common/discovery/v2.0/keys")))
        .await;
    assert_eq!(env.emu.token_requests(), 3);
}

#[tokio::test]
async fn app_roles_appear_in_app_only_tokens() {
    let env = start().await;
    let tenant = env.emu.defaults().tenant_id;
    let client_id = Uuid::new_v4();
    let app = AppSeed {
        secrets: vec![SecretSeed::new("s3cret")],
        app_roles: [(format!("{DATAVERSE}/"), vec!["Data.ReadWrite".to_owned()])].into(),
        ..AppSeed::new(client_id, "Role holder")
    };
    env.emu.seed().add_app(tenant, app).expect("app added");
    let answer = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id.to_string()),
            ("client_secret", "s3cret"),
            ("scope", &format!("{DATAVERSE}/.default")),
        ])
        .await;
    assert_eq!(
        claims(answer.access_token())["roles"],
        json!(["Data.ReadWrite"])
    );
}
