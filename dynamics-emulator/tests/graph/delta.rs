//! `GET /users/delta`: the initial round, changes after updates, disables and deletions,
//! `$select` tracking, expiry and reset (410), "sync from now".

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use crate::support::{Answer, Env, start};

/// Follows a delta round from `url` to its delta link; returns the items and the delta link.
async fn round(env: &Env, url: &str) -> (Vec<Value>, String) {
    let mut answer = env.get_url(url, &env.token, &[]).await;
    let mut items = Vec::new();
    loop {
        items.extend(answer.values().iter().cloned());
        if let Some(delta) = answer.body["@odata.deltaLink"].as_str() {
            assert!(
                answer.next_link().is_none(),
                "both links: {:#}",
                answer.body
            );
            return (items, delta.to_owned());
        }
        let next = answer.next_link().expect("a next or delta link");
        answer = env.get_url(&next, &env.token, &[]).await;
    }
}

fn by_id(items: &[Value]) -> HashMap<String, Value> {
    items
        .iter()
        .map(|item| (item["id"].as_str().unwrap().to_owned(), item.clone()))
        .collect()
}

fn delta_url(env: &Env, query: &str) -> String {
    format!("{}users/delta{query}", env.emu.graph_url())
}

#[tokio::test]
async fn initial_round_lists_everyone_then_changes_show_updates_disables_and_deletions() {
    let env = start(250).await;
    let tenant = env.tenant();
    let (initial, delta) = round(&env, &delta_url(&env, "")).await;
    assert_eq!(initial.len(), 255);
    assert!(delta.contains("$deltatoken="), "{delta}");

    let (nothing, delta) = round(&env, &delta).await;
    assert!(nothing.is_empty(), "{nothing:?}");

    let seeder = env.emu.seed();
    let ids: Vec<Uuid> = initial
        .iter()
        .filter(|u| u["userPrincipalName"].as_str().unwrap().starts_with("user"))
        .map(|u| u["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let (moved, disabled, soft_deleted, purged) = (ids[0], ids[1], ids[2], ids[3]);
    seeder
        .update_user(tenant, moved, |u| u.department = Some("Legal".into()))
        .unwrap();
    seeder.set_account_enabled(tenant, disabled, false).unwrap();
    seeder.delete_user(tenant, soft_deleted).unwrap();
    seeder.purge_user(tenant, purged).unwrap();
    let newcomer = dynamics_emulator::UserSeed {
        object_id: Uuid::new_v4(),
        user_principal_name: "newcomer@contoso.onmicrosoft.com".into(),
        password: "Newcomer-Passw0rd!".into(),
        department: Some("Sales".into()),
        ..Default::default()
    };
    seeder.add_user(tenant, newcomer.clone()).unwrap();
    // A replace with identical values is not a change.
    let same = seeder.user(tenant, ids[4]).unwrap();
    seeder.add_user(tenant, same).unwrap();

    let (changes, delta) = round(&env, &delta).await;
    let changes = by_id(&changes);
    assert_eq!(changes.len(), 5, "{changes:#?}");
    assert_eq!(changes[&disabled.to_string()]["id"], disabled.to_string());
    assert!(changes.contains_key(&moved.to_string()));
    assert!(changes.contains_key(&newcomer.object_id.to_string()));
    assert_eq!(
        changes[&soft_deleted.to_string()]["@removed"]["reason"],
        "changed"
    );
    assert_eq!(
        changes[&purged.to_string()]["@removed"]["reason"],
        "deleted"
    );

    let (after, _) = round(&env, &delta).await;
    assert!(after.is_empty(), "{after:?}");
}

#[tokio::test]
async fn selected_properties_are_returned_and_only_their_changes_are_tracked() {
    let env = start(5).await;
    let (initial, delta) =
        round(&env, &delta_url(&env, "?$select=department,accountEnabled")).await;
    let mut keys: Vec<&String> = initial[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["accountEnabled", "department", "id"]);
    assert!(
        !delta.contains("select"),
        "the token carries $select: {delta}"
    );

    let tenant = env.tenant();
    let ids: Vec<Uuid> = initial
        .iter()
        .map(|u| u["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let seeder = env.emu.seed();
    seeder
        .update_user(tenant, ids[0], |u| u.job_title = Some("Untracked".into()))
        .unwrap();
    seeder.set_account_enabled(tenant, ids[1], false).unwrap();
    let (changes, _) = round(&env, &delta).await;
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["id"], ids[1].to_string());
    assert_eq!(changes[0]["accountEnabled"], false);
}

#[tokio::test]
async fn pages_of_a_changes_round_follow_prefer_max_page_size() {
    let env = start(30).await;
    let (initial, delta) = round(&env, &delta_url(&env, "")).await;
    let tenant = env.tenant();
    for user in initial.iter().take(25) {
        let id: Uuid = user["id"].as_str().unwrap().parse().unwrap();
        env.emu
            .seed()
            .update_user(tenant, id, |u| u.city = Some("Oslo".into()))
            .unwrap();
    }
    let first = env
        .get_url(&delta, &env.token, &[("Prefer", "odata.maxpagesize=10")])
        .await;
    assert_eq!(first.values().len(), 10);
    let (rest, _) = round(&env, &first.next_link().expect("more pages")).await;
    assert_eq!(rest.len(), 15);
}

async fn expect_gone(answer: &Answer, code: &str) {
    answer.assert_error(410, code);
    let location = answer.headers["location"].to_str().unwrap();
    assert!(location.contains("users/delta?"), "{location}");
    assert!(
        location.contains("%24deltatoken=") || location.contains("$deltatoken="),
        "{location}"
    );
}

#[tokio::test]
async fn tokens_expire_after_seven_days_with_410_sync_state_not_found() {
    let mut env = start(2).await;
    let (_, delta) = round(&env, &delta_url(&env, "")).await;
    env.emu.advance_clock(Duration::from_secs(6 * 24 * 3600));
    let (client_id, secret) = (
        env.emu.defaults().client_id,
        env.emu.defaults().client_secret.clone(),
    );
    env.token = env.app_token(client_id, &secret).await;
    let (_, fresh) = round(&env, &delta).await;
    env.emu.advance_clock(Duration::from_secs(24 * 3600 + 60));
    env.token = env.app_token(client_id, &secret).await;
    let answer = env.get_url(&delta, &env.token, &[]).await;
    expect_gone(&answer, "syncStateNotFound").await;
    // The link issued a day later is still valid.
    let still = env.get_url(&fresh, &env.token, &[]).await;
    assert_eq!(still.status, 200, "{:#}", still.body);
    // Following Location starts a full round again.
    let location = answer.headers["location"].to_str().unwrap().to_owned();
    let (again, _) = round(&env, &location).await;
    assert_eq!(again.len(), 7);
}

#[tokio::test]
async fn a_reset_invalidates_tokens_with_410_resync_required() {
    let env = start(2).await;
    let (_, delta) = round(&env, &delta_url(&env, "")).await;
    env.emu.seed().reset_graph_delta(env.tenant());
    let answer = env.get_url(&delta, &env.token, &[]).await;
    expect_gone(&answer, "resyncRequired").await;
    env.get_url(&delta_url(&env, "?$deltatoken=bogus"), &env.token, &[])
        .await
        .assert_error(400, "Request_BadRequest");
}

#[tokio::test]
async fn latest_token_syncs_from_now() {
    let env = start(3).await;
    let answer = env
        .get_url(&delta_url(&env, "?$deltatoken=latest"), &env.token, &[])
        .await;
    assert!(answer.values().is_empty());
    let delta = answer.body["@odata.deltaLink"].as_str().unwrap().to_owned();
    let alice = env.emu.defaults().user.object_id;
    env.emu
        .seed()
        .update_user(env.tenant(), alice, |u| u.country = Some("Norway".into()))
        .unwrap();
    let (changes, _) = round(&env, &delta).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["id"], alice.to_string());
}

#[tokio::test]
async fn a_forged_changes_window_is_a_bad_request_not_a_dropped_connection() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let env = start(2).await;
    let (_, delta) = round(&env, &delta_url(&env, "")).await;
    let token = delta.split("deltatoken=").nth(1).expect("token");
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).expect("base64")).expect("utf-8");
    let (head, _) = text.rsplit_once('|').expect("phase");
    // A window whose start lies past its end, as no emulator ever issues.
    let forged = URL_SAFE_NO_PAD.encode(format!("{head}|C,0,9,1"));
    env.get_url(
        &delta_url(&env, &format!("?$deltatoken={forged}")),
        &env.token,
        &[],
    )
    .await
    .assert_error(400, "Request_BadRequest");
    // A finished round "since" far beyond anything issued lists nothing, and answers.
    let future = URL_SAFE_NO_PAD.encode(format!("{head}|D,{}", u64::MAX));
    let answer = env
        .get_url(
            &delta_url(&env, &format!("?$deltatoken={future}")),
            &env.token,
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert!(answer.values().is_empty());
}
