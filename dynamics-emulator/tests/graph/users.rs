//! `GET /users`: paging, `$select`, `$filter`, `$count`, `$top` bounds, one user.

use serde_json::Value;

use crate::support::start;

/// The default seed's five users plus the generated ones.
const SEEDED: usize = 5;

#[tokio::test]
async fn paging_through_255_users_with_top_100_takes_three_pages_without_repeats() {
    let env = start(250).await;
    let (users, last, pages) = env.all_pages("users?$top=100").await;
    assert_eq!(pages, 3);
    assert_eq!(users.len(), 250 + SEEDED);
    let mut ids: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 250 + SEEDED);
    assert!(last.next_link().is_none());
    let first = env.get("users?$top=100").await;
    let next = first.next_link().expect("next link");
    assert!(next.starts_with(env.emu.graph_url().as_str()), "{next}");
    assert!(next.contains("$skiptoken="), "{next}");
}

#[tokio::test]
async fn select_returns_id_and_the_selected_properties_only() {
    let env = start(3).await;
    let answer = env
        .get("users?$select=department,accountEnabled,usageLocation")
        .await;
    for user in answer.values() {
        let mut keys: Vec<&String> = user.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["accountEnabled", "department", "id", "usageLocation"]
        );
    }
    let plain = env.get("users").await;
    let user = &plain.values()[0];
    assert!(user.get("userPrincipalName").is_some());
    assert!(user.get("businessPhones").is_some());
    assert!(
        user.get("department").is_none(),
        "not in the default set: {user}"
    );
    env.get("users?$select=skills")
        .await
        .assert_error(400, "Request_BadRequest");
}

async fn count(env: &crate::support::Env, filter: &str) -> usize {
    let (users, _, _) = env
        .all_pages(&format!("users?$top=999&$filter={filter}"))
        .await;
    users.len()
}

#[tokio::test]
async fn filters_select_the_documented_matches() {
    let env = start(250).await;
    assert_eq!(count(&env, "department eq 'Sales'").await, 84);
    assert_eq!(
        count(&env, "department eq 'sales'").await,
        84,
        "case-insensitive"
    );
    assert_eq!(
        count(&env, "startsWith(userPrincipalName,'user0000')").await,
        9
    );
    assert_eq!(
        count(&env, "country in ('France') and department eq 'Sales'").await,
        42
    );
    assert_eq!(
        count(&env, "department eq 'Sales' or department eq 'Finance'").await,
        84 + 83
    );
    assert_eq!(count(&env, "accountEnabled eq true").await, 250 + SEEDED);
    let alice = &env.emu.defaults().user.upn;
    assert_eq!(
        count(&env, &format!("userPrincipalName eq '{alice}'")).await,
        1
    );
}

#[tokio::test]
async fn unsupported_filters_are_refused_with_graph_codes() {
    let env = start(3).await;
    env.get("users?$filter=startsWith(jobTitle,'Ag')")
        .await
        .assert_error(400, "Request_UnsupportedQuery");
    env.get("users?$filter=department ne 'Sales'")
        .await
        .assert_error(400, "Request_UnsupportedQuery");
    env.get("users?$filter=skills eq 'x'")
        .await
        .assert_error(400, "Request_UnsupportedQuery");
    env.get("users?$filter=department eq")
        .await
        .assert_error(400, "BadRequest");
    env.get("users?$top=1000")
        .await
        .assert_error(400, "Request_UnsupportedQuery");
    env.get("users?$skiptoken=garbage")
        .await
        .assert_error(400, "Request_BadRequest");
}

#[tokio::test]
async fn advanced_queries_need_consistency_level_and_count() {
    let env = start(9).await;
    let url = format!(
        "{}users?$filter=department ne 'Sales'&$count=true",
        env.emu.graph_url()
    );
    let answer = env
        .get_url(&url, &env.token, &[("ConsistencyLevel", "eventual")])
        .await;
    assert_eq!(answer.ok()["@odata.count"], 6 + SEEDED);
    // `$count=true` without the header is ignored, as Graph does.
    let plain = env.get("users?$count=true").await;
    assert!(plain.ok().get("@odata.count").is_none());
    env.get("users/$count")
        .await
        .assert_error(400, "Request_BadRequest");
    let counted = env
        .get_url(
            &format!("{}users/$count", env.emu.graph_url()),
            &env.token,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    assert_eq!(counted.status, 200);
}

#[tokio::test]
async fn one_user_by_id_or_upn_and_404_otherwise() {
    let env = start(1).await;
    let alice = env.emu.defaults().user.clone();
    let by_upn = env
        .get(&format!("users/{}", alice.upn.to_uppercase()))
        .await;
    assert_eq!(
        by_upn.ok()["id"],
        Value::String(alice.object_id.to_string())
    );
    let by_id = env
        .get(&format!("users/{}?$select=displayName", alice.object_id))
        .await;
    assert_eq!(by_id.ok()["displayName"], "Alice Example");
    env.get("users/nobody@contoso.onmicrosoft.com")
        .await
        .assert_error(404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn generated_users_show_their_licence_in_assigned_licenses() {
    let env = start(2).await;
    let users = env
        .get("users?$select=userPrincipalName,assignedLicenses&$filter=startsWith(userPrincipalName,'user0')")
        .await;
    let values = users.values();
    assert_eq!(values.len(), 2, "{:#}", users.body);
    for user in values {
        assert_eq!(
            user["assignedLicenses"],
            serde_json::json!([{
                "disabledPlans": [],
                "skuId": dynamics_emulator::DYNAMICS_365_SKU_ID.to_string(),
            }]),
            "{user:#}"
        );
    }
}
