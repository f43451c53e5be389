//! The admin-consent endpoint.

use dynamics_emulator::AppSeed;
use url::Url;
use uuid::Uuid;

use crate::support::{DATAVERSE, start};

#[tokio::test]
async fn admin_consent_redirects_and_grants_consent() {
    let env = start().await;
    let d = env.emu.defaults();
    let client_id = Uuid::new_v4();
    let app = AppSeed {
        public_client: true,
        redirect_uris: vec!["https://app.example/consented".to_owned()],
        ..AppSeed::new(client_id, "Admin-consented")
    };
    env.emu.seed().add_app(d.tenant_id, app).expect("app added");
    let client = client_id.to_string();
    let password_grant = [
        ("grant_type", "password"),
        ("client_id", client.as_str()),
        ("username", d.user.upn.as_str()),
        ("password", d.user.password.as_str()),
        ("scope", "https://contoso.crm.dynamics.com/.default"),
    ];
    env.token(&password_grant)
        .await
        .assert_error(400, "invalid_grant", 65001);

    let response = env
        .http
        .get(env.url(&format!("{}/adminconsent", d.tenant_domain)))
        .query(&[
            ("client_id", client_id.to_string()),
            ("redirect_uri", "https://app.example/consented".to_owned()),
            ("state", "st-1".to_owned()),
        ])
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 302);
    let location =
        Url::parse(response.headers()["location"].to_str().expect("ascii")).expect("url");
    assert_eq!(
        location.as_str(),
        format!(
            "https://app.example/consented?tenant={}&state=st-1&admin_consent=True",
            d.tenant_id
        )
    );
    let answer = env.token(&password_grant).await;
    assert_eq!(
        crate::support::claims(answer.access_token())["aud"],
        DATAVERSE
    );
}

#[tokio::test]
async fn admin_consent_rejects_unregistered_redirects_and_unknown_tenants() {
    let env = start().await;
    let d = env.emu.defaults();
    let response = env
        .http
        .get(env.url(&format!("{}/adminconsent", d.tenant_id)))
        .query(&[
            ("client_id", d.client_id.to_string()),
            ("redirect_uri", "https://evil.example".to_owned()),
        ])
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let response = env
        .http
        .get(env.url("unknown.example/adminconsent"))
        .query(&[("client_id", d.client_id.to_string())])
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 400);
    assert!(response.text().await.expect("page").contains("AADSTS90002"));
}
