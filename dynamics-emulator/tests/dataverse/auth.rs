//! Authentication (401 challenge), users applied to the environment becoming `systemuser` rows,
//! application users, WhoAmI, TLS.

use dynamics_emulator::{Emulator, EmulatorConfig};
use reqwest::Method;
use serde_json::Value;

use crate::support::{answer, app_token, http_client, origin, start, start_with, user_token};

#[tokio::test]
async fn missing_or_foreign_tokens_get_the_challenge() {
    let env = start().await;
    let d = env.emu.defaults();
    let expected = format!(
        "Bearer authorization_uri={}{}/oauth2/authorize, resource_id={}/",
        env.emu.base_url(),
        d.tenant_id,
        origin(&env.emu)
    );
    let anonymous = answer(env.http.get(env.url("WhoAmI")).send().await.expect("sent")).await;
    anonymous.expect(401);
    assert_eq!(
        anonymous.header("WWW-Authenticate"),
        Some(expected.as_str())
    );
    assert_eq!(anonymous.code(), "0x80048306");
    assert_eq!(anonymous.message(), "Authentication failed.");
    let other_audience: Value = env
        .http
        .post(format!(
            "{}{}/oauth2/v2.0/token",
            env.emu.base_url(),
            d.tenant_id
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", d.client_id.to_string().as_str()),
            ("client_secret", d.client_secret.as_str()),
            ("scope", "https://contoso.crm.dynamics.com/.default"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("JSON");
    let token = other_audience["access_token"].as_str().expect("token");
    env.send_as(token, Method::GET, "WhoAmI", &[], None)
        .await
        .expect(401);
    env.emu.advance_clock(std::time::Duration::from_secs(7200));
    env.get("WhoAmI").await.expect(401);
}

#[tokio::test]
async fn applied_users_become_systemusers() {
    let env = start().await;
    let d = env.emu.defaults().clone();
    let dave = d.non_admin_user.clone();
    let dave_token = user_token(&env.emu, &env.http, &dave).await;
    let refused = env
        .send_as(&dave_token, Method::GET, "WhoAmI", &[], None)
        .await;
    refused.expect(403);
    let filter = format!(
        "systemusers?$select=fullname,domainname,azureactivedirectoryobjectid&$filter=azureactivedirectoryobjectid eq {}",
        dave.object_id
    );
    assert!(env.get(&filter).await.values().is_empty());
    // ApplyUser through the Online Management API.
    let admin_token = {
        let response: Value = env
            .http
            .post(format!(
                "{}{}/oauth2/v2.0/token",
                env.emu.base_url(),
                d.tenant_id
            ))
            .form(&[
                ("grant_type", "password"),
                ("client_id", d.public_client_id.to_string().as_str()),
                ("username", d.user.upn.as_str()),
                ("password", d.user.password.as_str()),
                ("scope", "https://admin.services.crm.dynamics.com/.default"),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("JSON");
        response["access_token"].as_str().expect("token").to_owned()
    };
    let apply = format!(
        "{}api/v1.2/Instances/{}/Users/{}/ApplyUser",
        env.emu.base_url(),
        d.instance_id,
        dave.object_id
    );
    let started = env
        .http
        .post(&apply)
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("apply");
    assert_eq!(started.status(), 202);
    let location = started.headers()["Operation-Location"]
        .to_str()
        .expect("location")
        .to_owned();
    for _ in 0..3 {
        env.http
            .get(&location)
            .bearer_auth(&admin_token)
            .send()
            .await
            .expect("poll");
    }
    let users = env.get(&filter).await;
    assert_eq!(users.values().len(), 1);
    assert_eq!(users.values()[0]["domainname"], dave.upn.as_str());
    assert_eq!(users.values()[0]["fullname"], "Dave NonAdmin");
    let who = env
        .send_as(&dave_token, Method::GET, "WhoAmI()", &[], None)
        .await;
    let body = who.expect(200);
    assert_eq!(body["UserId"], users.values()[0]["systemuserid"]);
    assert_eq!(
        body["BusinessUnitId"],
        "c0a7e5a0-0000-4000-8000-000000000041"
    );
    assert!(
        env.emu
            .seed()
            .rows("systemusers")
            .iter()
            .any(|u| u["azureactivedirectoryobjectid"] == dave.object_id.to_string().as_str())
    );
}

#[tokio::test]
async fn app_only_callers_get_an_application_user() {
    let env = start().await;
    let token = app_token(&env.emu, &env.http).await;
    let who = env.send_as(&token, Method::GET, "WhoAmI", &[], None).await;
    let user_id = who.expect(200)["UserId"].as_str().expect("id").to_owned();
    let user = env
        .get(&format!(
            "systemusers({user_id})?$select=applicationid,accessmode,fullname"
        ))
        .await;
    let body = user.expect(200);
    assert_eq!(
        body["applicationid"],
        env.emu.defaults().client_id.to_string().as_str()
    );
    assert_eq!(body["accessmode"], 4);
    assert_eq!(body["fullname"], "# Emulator confidential app");
    let again = env.send_as(&token, Method::GET, "WhoAmI", &[], None).await;
    assert_eq!(again.body["UserId"], user_id.as_str(), "created once");
    let created = env
        .send_as(
            &token,
            Method::POST,
            "accounts",
            &[],
            Some(serde_json::json!({"name": "by app"})),
        )
        .await;
    created.expect(204);
    let rows = env
        .get(&format!(
            "accounts?$select=name&$filter=_createdby_value eq {user_id}"
        ))
        .await;
    assert_eq!(rows.values().len(), 1);
}

#[tokio::test]
async fn tls_serves_every_service() {
    let env = start_with(EmulatorConfig {
        tls: true,
        ..EmulatorConfig::default()
    })
    .await;
    assert!(
        env.emu
            .base_url()
            .as_str()
            .starts_with("https://127.0.0.1:")
    );
    assert!(
        env.emu
            .tls_ca_pem()
            .is_some_and(|p| p.contains("BEGIN CERTIFICATE"))
    );
    assert!(env.emu.tls_certificate_pem().is_some());
    let who = env.get("WhoAmI").await;
    who.expect(200);
    assert!(
        who.body["@odata.context"]
            .as_str()
            .is_some_and(|c| c.starts_with("https://"))
    );
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting.get(env.url("WhoAmI")).send().await.is_err(),
        "the CA must be trusted"
    );
    let plain = Emulator::start().await.expect("starts");
    assert!(plain.tls_ca_pem().is_none());
    let _ = http_client(&plain);
}

#[tokio::test]
async fn impersonation_headers_change_the_caller() {
    let env = start().await;
    let d = env.emu.defaults().clone();
    env.emu
        .seed()
        .add_environment_user(d.instance_id, d.non_admin_user.object_id)
        .expect("added");
    let oid = d.non_admin_user.object_id.to_string();
    let who = env
        .send(Method::GET, "WhoAmI", &[("CallerObjectId", &oid)], None)
        .await;
    let dave = who.expect(200)["UserId"].as_str().expect("id").to_owned();
    let me = env.get("WhoAmI").await.body["UserId"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_ne!(dave, me);
    let by_id = env
        .send(Method::GET, "WhoAmI", &[("MSCRMCallerID", &dave)], None)
        .await;
    assert_eq!(by_id.body["UserId"], dave.as_str());
    env.send(
        Method::POST,
        "accounts",
        &[("CallerObjectId", &oid)],
        Some(serde_json::json!({"name": "on behalf"})),
    )
    .await
    .expect(204);
    let rows = env
        .get(&format!(
            "accounts?$select=name&$filter=_createdby_value eq {dave}"
        ))
        .await;
    assert_eq!(rows.values().len(), 1);
    let unknown = env
        .send(
            Method::GET,
            "WhoAmI",
            &[("CallerObjectId", "00000000-0000-0000-0000-0000000000ff")],
            None,
        )
        .await;
    unknown.expect(404);
}
