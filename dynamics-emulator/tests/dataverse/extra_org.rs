//! A second organisation on its own host (`Emulator::add_org`): tokens come from the one
//! sign-in service, each org accepts only tokens for itself, and their rows are apart.

use dynamics_emulator::{DataverseConfig, InstanceSeed};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::support::{start, user_token_for};

#[tokio::test]
async fn an_added_org_serves_its_own_rows_to_tokens_for_itself_only() {
    let env = start().await;
    let d = env.emu.defaults().clone();
    let org = env
        .emu
        .add_org(DataverseConfig::default())
        .await
        .expect("extra org");
    assert_ne!(org.port(), env.emu.base_url().port(), "a host of its own");
    let origin = org.as_str().trim_end_matches('/').to_owned();
    let seed = env.emu.seed();
    seed.add_resource(d.tenant_id, &origin).expect("resource");
    seed.grant_consent(d.tenant_id, d.public_client_id, &origin)
        .expect("consent");
    seed.add_instance(
        d.tenant_id,
        InstanceSeed {
            application_url: Some(org.to_string()),
            users: vec![d.user.object_id],
            ..InstanceSeed::new(Uuid::new_v4(), "second")
        },
    )
    .expect("instance");

    let scope = format!("{origin}/user_impersonation");
    let token = user_token_for(&env.emu, &env.http, &d.user, &scope).await;
    let who = env
        .send_as(
            &token,
            Method::GET,
            &format!("{org}api/data/v9.2/WhoAmI"),
            &[],
            None,
        )
        .await;
    assert_eq!(who.status, 200, "{:#}", who.body);
    let main_who = env.get("WhoAmI").await;
    assert_ne!(
        who.body["OrganizationId"], main_who.body["OrganizationId"],
        "each org is an organisation of its own"
    );

    // Each org refuses the other's tokens (the audience is the org URL).
    let main_org = format!("{}api/data/v9.2/WhoAmI", env.emu.base_url());
    let refused = env.send_as(&token, Method::GET, &main_org, &[], None).await;
    assert_eq!(refused.status, 401);
    let refused = env
        .send_as(
            &env.token,
            Method::GET,
            &format!("{org}api/data/v9.2/WhoAmI"),
            &[],
            None,
        )
        .await;
    assert_eq!(refused.status, 401);

    // Rows written in one org are not in the other.
    let created = env
        .send_as(
            &token,
            Method::POST,
            &format!("{org}api/data/v9.2/accounts"),
            &[],
            Some(json!({"name": "Only in the second org"})),
        )
        .await;
    assert_eq!(created.status, 204, "{:#}", created.body);
    let filter = "accounts?$filter=name%20eq%20'Only%20in%20the%20second%20org'";
    let here = env
        .send_as(
            &token,
            Method::GET,
            &format!("{org}api/data/v9.2/{filter}"),
            &[],
            None,
        )
        .await;
    assert_eq!(here.values().len(), 1);
    let there = env.get(filter).await;
    assert!(there.values().is_empty(), "{:#}", there.body);

    // Only the Web API is served on the org's host; sign-in stays on the base URL.
    let sign_in = env
        .http
        .get(format!(
            "{org}{}/v2.0/.well-known/openid-configuration",
            d.tenant_id
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(sign_in.status(), 404);
}
