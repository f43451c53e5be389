//! `d365 users sync` end to end: the real binary, an emulator started in this test process
//! for sign-in, the admin API (ApplyUser) and the org, and wiremock standing in for
//! Microsoft Graph (registered with the emulator as a resource, so the CLI gets a token for
//! it). Dry run, apply, then a second run with nothing to do.

use dynamics_emulator::UserSeed;
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{header_exists, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod org_support;
use org_support::Fixture;

const RULES: &str = r#"
default = "skip"

[[placement]]
name = "sales"
when = { attribute = "department", op = "equals", value = "Sales" }
business_unit = "Sales"
roles = ["Delegate"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_sync_plans_applies_and_then_has_nothing_to_do() {
    let fx = Fixture::start().await;
    let d = fx.emulator.defaults().clone();
    let graph = MockServer::start().await;
    let seed = fx.emulator.seed();
    seed.add_resource(d.tenant_id, graph.uri())
        .expect("graph resource");
    seed.grant_consent(d.tenant_id, d.public_client_id, graph.uri())
        .expect("consent");
    let user = Uuid::from_u128(0xdead_0000_0000_4000_8000_0000_0000_0001);
    seed.add_user(
        d.tenant_id,
        UserSeed {
            object_id: user,
            user_principal_name: "sam@contoso.onmicrosoft.com".into(),
            password: "unused-Passw0rd".into(),
            display_name: "Sam Seller".into(),
            ..UserSeed::default()
        },
    )
    .expect("directory user");

    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param_is_missing("$deltatoken"))
        .and(header_exists("Authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.deltaLink": format!("{}/v1.0/users/delta?$deltatoken=d1", graph.uri()),
            "value": [{
                "id": user, "userPrincipalName": "sam@contoso.onmicrosoft.com",
                "displayName": "Sam Seller", "mail": null, "department": "Sales",
                "city": "Paris", "country": "France", "jobTitle": null, "usageLocation": "FR",
                "accountEnabled": true, "assignedLicenses": [{"skuId": "sku-1", "disabledPlans": []}]
            }]
        })))
        .expect(2)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "d1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.deltaLink": format!("{}/v1.0/users/delta?$deltatoken=d2", graph.uri()),
            "value": []
        })))
        .expect(1)
        .mount(&graph)
        .await;

    let dir = std::env::temp_dir().join(format!("d365-users-sync-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, RULES).expect("rules");
    let state = dir.join("state.sqlite");
    let graph_url = format!("{}/v1.0/", graph.uri());
    let args = |extra: &[&'static str]| {
        let mut all = vec![
            "users".to_owned(),
            "sync".to_owned(),
            "--rules".to_owned(),
            rules.display().to_string(),
            "--state".to_owned(),
            state.display().to_string(),
            "--graph-url".to_owned(),
            graph_url.clone(),
            "--poll-interval-ms".to_owned(),
            "50".to_owned(),
            "--json".to_owned(),
        ];
        all.extend(extra.iter().map(|s| (*s).to_owned()));
        all
    };
    let plan = run(&fx, args(&["--dry-run"])).await.ok_json();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["plan"]["counts"]["force_sync"], 1, "{plan}");
    assert_eq!(
        plan["plan"]["actions"][0]["label"],
        "sam@contoso.onmicrosoft.com"
    );

    let applied = run(&fx, args(&[])).await.ok_json();
    assert_eq!(applied["dry_run"], false);
    // The force sync, the move into Sales and the role.
    assert_eq!(applied["applied"], 3, "{applied}");

    let quiet = run(&fx, args(&[])).await;
    let quiet_json = quiet.ok_json();
    assert_eq!(quiet_json["plan"]["actions"], json!([]), "{quiet:#?}");
    assert!(
        quiet.stderr.contains("read page 1"),
        "progress on stderr: {quiet:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn run(fx: &Fixture, args: Vec<String>) -> org_support::Run {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    fx.run(&refs).await
}
