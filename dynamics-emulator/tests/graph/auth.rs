//! Authentication (401) and permissions (403) of the emulator's Graph.

use crate::support::start;

#[tokio::test]
async fn missing_or_foreign_tokens_get_401_invalid_authentication_token() {
    let env = start(1).await;
    let url = format!("{}users", env.emu.graph_url());
    let answer = env.get_url(&url, "", &[]).await;
    answer.assert_error(401, "InvalidAuthenticationToken");
    assert!(answer.headers.contains_key("www-authenticate"));

    // A token for the Dataverse organisation is not a Graph token.
    let dataverse = {
        let url = format!("{}{}/oauth2/v2.0/token", env.emu.base_url(), env.tenant());
        let scope = format!("{}.default", env.emu.base_url());
        let answer: serde_json::Value = env
            .http
            .post(url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &env.emu.defaults().client_id.to_string()),
                ("client_secret", &env.emu.defaults().client_secret),
                ("scope", &scope),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["access_token"].as_str().unwrap().to_owned()
    };
    env.get_url(&url, &dataverse, &[])
        .await
        .assert_error(401, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn apps_without_the_permission_get_403_authorization_request_denied() {
    let env = start(1).await;
    let none = env.token_with_roles(&[]).await;
    let users = format!("{}users", env.emu.graph_url());
    env.get_url(&users, &none, &[])
        .await
        .assert_error(403, "Authorization_RequestDenied");
    env.get_url(&format!("{}users/delta", env.emu.graph_url()), &none, &[])
        .await
        .assert_error(403, "Authorization_RequestDenied");

    let users_only = env.token_with_roles(&["User.Read.All"]).await;
    assert_eq!(env.get_url(&users, &users_only, &[]).await.status, 200);
    env.get_url(&format!("{}groups", env.emu.graph_url()), &users_only, &[])
        .await
        .assert_error(403, "Authorization_RequestDenied");

    let directory = env.token_with_roles(&["Directory.Read.All"]).await;
    assert_eq!(env.get_url(&users, &directory, &[]).await.status, 200);
    let groups = format!("{}groups", env.emu.graph_url());
    assert_eq!(env.get_url(&groups, &directory, &[]).await.status, 200);
}

#[tokio::test]
async fn client_request_id_is_echoed() {
    let env = start(1).await;
    let id = "6d2c0f8e-6f57-4a0e-9a53-9a3f0b1c2d3e";
    let url = format!("{}users?$top=1", env.emu.graph_url());
    let answer = env
        .get_url(&url, &env.token, &[("client-request-id", id)])
        .await;
    assert_eq!(answer.headers["client-request-id"], id);
    assert!(answer.headers.contains_key("request-id"));
}

#[tokio::test]
async fn delegated_tokens_for_graph_default_scope_may_read_users() {
    let env = start(1).await;
    let d = env.emu.defaults();
    let url = format!("{}{}/oauth2/v2.0/token", env.emu.base_url(), d.tenant_id);
    let scope = format!("{}/.default", env.emu.graph_resource());
    let answer: serde_json::Value = env
        .http
        .post(url)
        .form(&[
            ("grant_type", "password"),
            ("client_id", &d.public_client_id.to_string()),
            ("username", &d.user.upn),
            ("password", &d.user.password),
            ("scope", &scope),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer:#}"));
    let users = format!("{}users?$top=1", env.emu.graph_url());
    assert_eq!(env.get_url(&users, token, &[]).await.status, 200);
}

#[tokio::test]
async fn tenants_added_at_run_time_can_get_graph_tokens() {
    let env = start(0).await;
    let tenant = uuid::Uuid::new_v4();
    let seeder = env.emu.seed();
    seeder
        .add_tenant(dynamics_emulator::TenantSeed {
            id: tenant,
            domain: "fabrikam.onmicrosoft.com".into(),
        })
        .unwrap();
    let client_id = uuid::Uuid::new_v4();
    seeder
        .add_app(
            tenant,
            dynamics_emulator::AppSeed {
                secrets: vec![dynamics_emulator::SecretSeed::new("s3cret")],
                app_roles: [(env.emu.graph_resource(), vec!["User.Read.All".to_owned()])].into(),
                ..dynamics_emulator::AppSeed::new(client_id, "Fabrikam sync")
            },
        )
        .unwrap();
    let url = format!("{}{tenant}/oauth2/v2.0/token", env.emu.base_url());
    let scope = format!("{}/.default", env.emu.graph_resource());
    let answer: serde_json::Value = env
        .http
        .post(url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id.to_string()),
            ("client_secret", "s3cret"),
            ("scope", &scope),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer:#}"));
    // The Fabrikam tenant has no users yet: an empty list, not the default tenant's users.
    let users = env
        .get_url(&format!("{}users", env.emu.graph_url()), token, &[])
        .await;
    assert!(users.values().is_empty());
}

/// A delegated Graph token of the default user with exactly these permissions.
async fn delegated_token(env: &crate::support::Env, permissions: &[&str]) -> String {
    let d = env.emu.defaults();
    let url = format!("{}{}/oauth2/v2.0/token", env.emu.base_url(), d.tenant_id);
    let scope = permissions
        .iter()
        .map(|p| format!("{}/{p}", env.emu.graph_resource()))
        .collect::<Vec<_>>()
        .join(" ");
    let answer: serde_json::Value = env
        .http
        .post(url)
        .form(&[
            ("grant_type", "password"),
            ("client_id", &d.public_client_id.to_string()),
            ("username", &d.user.upn),
            ("password", &d.user.password),
            ("scope", &scope),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer:#}"))
        .to_owned()
}

/// The basic profile (permissions reference, `User.ReadBasic.All`).
const BASIC: [&str; 6] = [
    "displayName",
    "givenName",
    "id",
    "mail",
    "surname",
    "userPrincipalName",
];

#[tokio::test]
async fn user_read_basic_all_reads_only_the_basic_profile_and_no_delta() {
    let env = start(2).await;
    let delegated = delegated_token(&env, &["User.ReadBasic.All"]).await;
    let app = env.token_with_roles(&["User.ReadBasic.All"]).await;
    let graph = env.emu.graph_url();
    for token in [&delegated, &app] {
        let users = env
            .get_url(&format!("{graph}users?$top=5"), token, &[])
            .await;
        for user in users.values() {
            let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
            assert!(keys.iter().all(|k| BASIC.contains(&k.as_str())), "{keys:?}");
        }
        let basic = env
            .get_url(&format!("{graph}users?$select=id,mail"), token, &[])
            .await;
        assert!(!basic.values().is_empty());
        for beyond in [
            "users?$select=id,department",
            "users?$filter=department eq 'Sales'",
            "users/delta",
        ] {
            env.get_url(&format!("{graph}{beyond}"), token, &[])
                .await
                .assert_error(403, "Authorization_RequestDenied");
        }
    }
    // User.Read.All reads the full profile and tracks changes.
    let full = delegated_token(&env, &["User.Read.All"]).await;
    let users = env
        .get_url(&format!("{graph}users?$select=id,department"), &full, &[])
        .await;
    assert!(!users.values().is_empty());
    let delta = env
        .get_url(&format!("{graph}users/delta"), &full, &[])
        .await;
    assert_eq!(delta.status, 200, "{:#}", delta.body);
}

#[tokio::test]
async fn forged_delta_tokens_from_the_future_or_far_past_get_400() {
    use base64::Engine;
    let env = start(1).await;
    let tenant = env.tenant();
    for issued in [i64::MIN.to_string(), "99999999999".to_owned()] {
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("d1|{tenant}|0|{issued}||D,0"));
        env.get(&format!("users/delta?$deltatoken={forged}"))
            .await
            .assert_error(400, "Request_BadRequest");
    }
}
