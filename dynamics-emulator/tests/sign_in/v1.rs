//! The v1 token endpoint (`/oauth2/token` with `resource=`).

use crate::support::{DATAVERSE, claims, start};

#[tokio::test]
async fn v1_client_credentials_has_string_expiry_and_resource() {
    let env = start().await;
    let d = env.emu.defaults();
    let answer = env
        .post(
            &env.url(&format!("{}/oauth2/token", d.tenant_id)),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &d.client_id.to_string()),
                ("client_secret", &d.client_secret),
                ("resource", "https://contoso.crm.dynamics.com/"),
            ],
        )
        .await;
    let body = answer.ok();
    assert_eq!(body["expires_in"], "3600");
    assert!(
        body["expires_on"]
            .as_str()
            .expect("expires_on")
            .parse::<i64>()
            .is_ok()
    );
    assert!(
        body["not_before"]
            .as_str()
            .expect("not_before")
            .parse::<i64>()
            .is_ok()
    );
    assert_eq!(body["resource"], DATAVERSE);
    assert_eq!(body["token_type"], "Bearer");
    let c = claims(answer.access_token());
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["iss"], env.url(&format!("{}/", d.tenant_id)));
    assert_eq!(c["aud"], DATAVERSE);
}

#[tokio::test]
async fn v1_password_and_refresh() {
    let env = start().await;
    let d = env.emu.defaults();
    let url = env.url(&format!("{}/oauth2/token", d.tenant_domain));
    let client_id = d.public_client_id.to_string();
    let answer = env
        .post(
            &url,
            &[
                ("grant_type", "password"),
                ("client_id", &client_id),
                ("username", &d.user.upn),
                ("password", &d.user.password),
                ("resource", DATAVERSE),
            ],
        )
        .await;
    let rt = answer.ok()["refresh_token"]
        .as_str()
        .expect("v1 always returns a refresh token");
    assert_eq!(answer.ok()["scope"], "user_impersonation");
    let refreshed = env
        .post(
            &url,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("refresh_token", rt),
                ("resource", "https://admin.services.crm.dynamics.com"),
            ],
        )
        .await;
    assert_eq!(
        refreshed.ok()["resource"],
        "https://admin.services.crm.dynamics.com"
    );
    env.post(
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
        ],
    )
    .await
    .assert_error(401, "invalid_client", 7000218);
    env.post(
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &d.client_id.to_string()),
            ("client_secret", &d.client_secret),
        ],
    )
    .await
    .assert_error(400, "invalid_request", 900144);
}
