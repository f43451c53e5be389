//! Change tracking as Learn's "Use change tracking to synchronize data with external systems"
//! describes it: deletes after changes, paged deltas with the delta link on the last page only,
//! counts, and tokens expired by a change to the table's definition.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Env, start};

const TRACK: [(&str, &str); 1] = [("Prefer", "odata.track-changes")];

/// Starts tracking `accounts` and returns the delta link.
async fn delta_link(env: &Env) -> String {
    let initial = env
        .send(Method::GET, "accounts?$select=name", &TRACK, None)
        .await;
    initial.expect(200)["@odata.deltaLink"]
        .as_str()
        .expect("deltaLink")
        .to_owned()
}

/// Follows `@odata.nextLink` from `url` and returns every page.
async fn pages(env: &Env, url: &str, headers: &[(&str, &str)]) -> Vec<Value> {
    let mut url = url.to_owned();
    let mut pages = Vec::new();
    loop {
        let page = env.send(Method::GET, &url, headers, None).await;
        let body = page.expect(200).clone();
        let next = body["@odata.nextLink"].as_str().map(str::to_owned);
        pages.push(body);
        match next {
            Some(next) => url = next,
            None => return pages,
        }
    }
}

fn deleted_ids(values: &[Value]) -> Vec<&str> {
    values
        .iter()
        .filter(|v| v["reason"] == "deleted")
        .filter_map(|v| v["id"].as_str())
        .collect()
}

#[tokio::test]
async fn created_or_updated_then_deleted_rows_come_once_as_deleted_after_the_changes() {
    let env = start().await;
    let updated_then_deleted = env.create("accounts", json!({"name": "Old"})).await;
    let kept = env.create("accounts", json!({"name": "Kept"})).await;
    let link = delta_link(&env).await;
    let created_then_deleted = env.create("accounts", json!({"name": "Brief"})).await;
    env.patch(
        &format!("accounts({updated_then_deleted})"),
        json!({"name": "Renamed"}),
    )
    .await
    .expect(204);
    env.delete(&format!("accounts({created_then_deleted})"))
        .await
        .expect(204);
    env.delete(&format!("accounts({updated_then_deleted})"))
        .await
        .expect(204);
    env.patch(&format!("accounts({kept})"), json!({"name": "Kept 2"}))
        .await
        .expect(204);
    let delta = env.get(&link).await;
    let values = delta.values();
    assert_eq!(values.len(), 3, "{}", delta.text);
    assert_eq!(values[0]["accountid"], kept.as_str());
    assert_eq!(
        deleted_ids(&values[1..]),
        vec![created_then_deleted.as_str(), updated_then_deleted.as_str()]
    );
    let deleted_context = values[1]["@odata.context"].as_str().expect("context");
    assert!(deleted_context.ends_with("#accounts/$deletedEntity"));
    let token = link.split("$deltatoken=").nth(1).expect("token");
    let count = env
        .get(&format!("accounts/$count?$deltatoken={token}"))
        .await;
    assert_eq!(count.text, "3");
}

#[tokio::test]
async fn delta_pages_carry_the_delta_link_on_the_last_page_only() {
    let env = start().await;
    let mut ids = Vec::new();
    for n in 0..9 {
        ids.push(
            env.create("accounts", json!({"name": format!("A{n}")}))
                .await,
        );
    }
    let link = delta_link(&env).await;
    for id in &ids[..6] {
        env.patch(&format!("accounts({id})"), json!({"name": "Changed"}))
            .await
            .expect(204);
    }
    for id in &ids[6..] {
        env.delete(&format!("accounts({id})")).await.expect(204);
    }
    let prefer = [("Prefer", "odata.track-changes,odata.maxpagesize=4")];
    let mut url = link.clone();
    let mut values = Vec::new();
    let mut page_count = 0;
    let next_delta = loop {
        let page = env.send(Method::GET, &url, &prefer, None).await;
        let body = page.expect(200).clone();
        page_count += 1;
        let items = body["value"].as_array().expect("value").clone();
        assert!(items.len() <= 4);
        values.extend(items);
        if page_count == 1 {
            // A change made while the client pages belongs to the next delta.
            env.patch(&format!("accounts({})", ids[0]), json!({"name": "Again"}))
                .await
                .expect(204);
        }
        match body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(body.get("@odata.deltaLink").is_none(), "{body}");
                url = next.to_owned();
            }
            None => {
                break body["@odata.deltaLink"]
                    .as_str()
                    .expect("deltaLink")
                    .to_owned();
            }
        }
    };
    assert_eq!(page_count, 3);
    assert_eq!(values.len(), 9);
    assert!(values[..6].iter().all(|v| v["name"] == "Changed"));
    assert_eq!(deleted_ids(&values[6..]).len(), 3);
    let next = env.get(&next_delta).await;
    assert_eq!(next.values().len(), 1, "{}", next.text);
    assert_eq!(next.values()[0]["name"], "Again");
}

#[tokio::test]
async fn a_row_changed_during_the_initial_load_comes_in_the_first_delta() {
    let env = start().await;
    let first = env.create("accounts", json!({"name": "First"})).await;
    for n in 0..4 {
        env.create("accounts", json!({"name": format!("B{n}")}))
            .await;
    }
    let prefer = [("Prefer", "odata.track-changes,odata.maxpagesize=2")];
    let first_page = env
        .send(Method::GET, "accounts?$select=name", &prefer, None)
        .await;
    let next = first_page.expect(200)["@odata.nextLink"]
        .as_str()
        .expect("nextLink")
        .to_owned();
    env.patch(&format!("accounts({first})"), json!({"name": "Touched"}))
        .await
        .expect(204);
    let rest = pages(&env, &next, &prefer).await;
    let link = rest.last().expect("pages")["@odata.deltaLink"]
        .as_str()
        .expect("deltaLink")
        .to_owned();
    let delta = env.get(&link).await;
    let names: Vec<&Value> = delta.values().iter().map(|v| &v["name"]).collect();
    assert!(names.contains(&&json!("Touched")), "{}", delta.text);
}

#[tokio::test]
async fn count_true_on_a_delta_counts_the_whole_delta() {
    let env = start().await;
    let a = env.create("accounts", json!({"name": "A"})).await;
    let link = delta_link(&env).await;
    env.create("accounts", json!({"name": "B"})).await;
    env.create("accounts", json!({"name": "C"})).await;
    env.delete(&format!("accounts({a})")).await.expect(204);
    let prefer = [("Prefer", "odata.track-changes,odata.maxpagesize=1")];
    let page = env
        .send(Method::GET, &format!("{link}&$count=true"), &prefer, None)
        .await;
    let body = page.expect(200);
    assert_eq!(body["@odata.count"], 3, "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_definition_change_expires_earlier_tokens_but_not_later_ones() {
    let env = start().await;
    env.create("accounts", json!({"name": "A"})).await;
    let link = delta_link(&env).await;
    assert_eq!(env.get(&link).await.status, 200);
    env.send(
        Method::PUT,
        "EntityDefinitions(LogicalName='account')",
        &[("MSCRM.MergeLabels", "true")],
        Some(json!({
            "Description": {"LocalizedLabels": [{"Label": "Companies we sell to", "LanguageCode": 1033}]}
        })),
    )
    .await
    .expect(204);
    let expired = env.get(&link).await;
    expired.expect(400);
    assert_eq!(expired.code(), "0x80044352");
    assert_eq!(
        expired.message(),
        "Version stamp associated with the client has expired. Please perform a full sync."
    );
    let token = link.split("$deltatoken=").nth(1).expect("token");
    let counted = env
        .get(&format!("accounts/$count?$deltatoken={token}"))
        .await;
    assert_eq!(counted.code(), "0x80044352");
    // A full sync after the change issues a token that works.
    let fresh = delta_link(&env).await;
    assert_eq!(env.get(&fresh).await.status, 200);
    // The documented two-part token (without the emulator's metadata part) is still accepted.
    let documented = link
        .rsplit_once("%21")
        .map(|(head, _)| head.to_owned())
        .expect("three-part token");
    assert_eq!(env.get(&documented).await.status, 200);
}

#[tokio::test]
async fn the_organisation_expiry_setting_decides_how_long_a_token_lives() {
    let env = start().await;
    let link = delta_link(&env).await;
    let orgs = env
        .get("organizations?$select=organizationid,expirechangetrackingindays")
        .await;
    let org = orgs.values()[0].clone();
    assert_eq!(org["expirechangetrackingindays"], 7, "{org}");
    let id = org["organizationid"].as_str().expect("id");
    env.patch(
        &format!("organizations({id})"),
        json!({"expirechangetrackingindays": 30}),
    )
    .await
    .expect(204);
    env.emu
        .advance_clock(std::time::Duration::from_secs(8 * 86_400));
    let user = env.emu.defaults().user.clone();
    let fresh = crate::support::user_token(&env.emu, &env.http, &user).await;
    let still = env.send_as(&fresh, Method::GET, &link, &[], None).await;
    assert_eq!(still.status, 200, "{}", still.text);
    env.emu
        .advance_clock(std::time::Duration::from_secs(23 * 86_400));
    let fresh = crate::support::user_token(&env.emu, &env.http, &user).await;
    let expired = env.send_as(&fresh, Method::GET, &link, &[], None).await;
    expired.expect(400);
    assert_eq!(expired.code(), "0x80044352");
}

#[tokio::test]
async fn a_row_deleted_and_created_again_with_its_id_comes_as_changed_only() {
    let env = start().await;
    let id = "6b0a3c1e-1d2f-4a5b-8c7d-9e0f1a2b3c4d";
    env.post("accounts", json!({"accountid": id, "name": "Before"}))
        .await
        .expect(204);
    let link = delta_link(&env).await;
    env.delete(&format!("accounts({id})")).await.expect(204);
    env.post("accounts", json!({"accountid": id, "name": "Again"}))
        .await
        .expect(204);
    let delta = env.get(&link).await;
    let values = delta.values();
    assert_eq!(values.len(), 1, "{}", delta.text);
    assert_eq!(values[0]["name"], "Again");
    assert!(deleted_ids(values).is_empty());
}
