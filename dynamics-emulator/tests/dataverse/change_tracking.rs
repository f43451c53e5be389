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

/// Every item of a delta read page by page with `odata.maxpagesize=2`, and the closing delta
/// link; checks that only the last page carries it.
async fn paged_delta(env: &Env, link: &str, count: bool) -> (Vec<Value>, String, Vec<Value>) {
    let prefer = [("Prefer", "odata.track-changes,odata.maxpagesize=2")];
    let first = if count {
        format!("{link}&$count=true")
    } else {
        link.to_owned()
    };
    let pages = pages(env, &first, &prefer).await;
    let (last, earlier) = pages.split_last().expect("a page");
    assert!(earlier.iter().all(|p| p.get("@odata.deltaLink").is_none()));
    let next = last["@odata.deltaLink"]
        .as_str()
        .expect("deltaLink")
        .to_owned();
    let values = pages
        .iter()
        .flat_map(|p| p["value"].as_array().expect("value").clone())
        .collect();
    (values, next, pages)
}

fn ids_of<'a>(values: &'a [Value], key: &str) -> Vec<&'a str> {
    values.iter().filter_map(|v| v[key].as_str()).collect()
}

#[tokio::test]
async fn rows_changed_deleted_or_created_between_pages_come_once_in_the_next_delta() {
    let env = start().await;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(
            env.create("accounts", json!({"name": format!("A{n}")}))
                .await,
        );
    }
    let link = delta_link(&env).await;
    for id in &ids {
        env.patch(&format!("accounts({id})"), json!({"name": "Changed"}))
            .await
            .expect(204);
    }
    let prefer = [("Prefer", "odata.track-changes,odata.maxpagesize=2")];
    let first = env.send(Method::GET, &link, &prefer, None).await;
    let first = first.expect(200).clone();
    assert_eq!(
        ids_of(first["value"].as_array().expect("value"), "accountid"),
        [ids[0].as_str(), ids[1].as_str()]
    );
    // Between the pages: a row not reached yet changes again, a new row comes, a row
    // already read changes again, and a row not reached yet is deleted.
    env.patch(&format!("accounts({})", ids[4]), json!({"name": "Moved"}))
        .await
        .expect(204);
    let late = env.create("accounts", json!({"name": "Late"})).await;
    env.patch(&format!("accounts({})", ids[0]), json!({"name": "Again"}))
        .await
        .expect(204);
    env.delete(&format!("accounts({})", ids[5]))
        .await
        .expect(204);
    let next = first["@odata.nextLink"].as_str().expect("nextLink");
    let rest = pages(&env, next, &prefer).await;
    let rest_values: Vec<Value> = rest
        .iter()
        .flat_map(|p| p["value"].as_array().expect("value").clone())
        .collect();
    // The answer was cut when it started: what changed since waits for the next delta.
    assert_eq!(
        ids_of(&rest_values, "accountid"),
        [ids[2].as_str(), ids[3].as_str()]
    );
    assert!(deleted_ids(&rest_values).is_empty());
    let following = rest.last().expect("pages")["@odata.deltaLink"]
        .as_str()
        .expect("deltaLink")
        .to_owned();
    let (values, _, _) = paged_delta(&env, &following, false).await;
    assert_eq!(
        ids_of(&values, "accountid"),
        [ids[4].as_str(), late.as_str(), ids[0].as_str()]
    );
    let names: Vec<&str> = ids_of(&values, "name");
    assert_eq!(names, ["Moved", "Late", "Again"]);
    assert_eq!(deleted_ids(&values), [ids[5].as_str()]);
}

#[tokio::test]
async fn rows_changed_then_deleted_in_one_window_come_only_as_deleted_across_pages() {
    let env = start().await;
    let mut old = Vec::new();
    for n in 0..5 {
        old.push(
            env.create("accounts", json!({"name": format!("Old {n}")}))
                .await,
        );
    }
    let link = delta_link(&env).await;
    for id in &old {
        env.patch(&format!("accounts({id})"), json!({"name": "Changed"}))
            .await
            .expect(204);
    }
    let brief = env.create("accounts", json!({"name": "Brief"})).await;
    let new = env.create("accounts", json!({"name": "New"})).await;
    for id in [&old[1], &old[3], &brief] {
        env.delete(&format!("accounts({id})")).await.expect(204);
    }
    let (values, _, pages) = paged_delta(&env, &link, true).await;
    // Four changed rows, then three deletions: the second page ends on the last changed
    // row and the third starts the deletions.
    assert_eq!(pages.len(), 4);
    assert!(pages.iter().all(|p| p["@odata.count"] == 7), "{pages:?}");
    assert_eq!(
        ids_of(&values[..4], "accountid"),
        [
            old[0].as_str(),
            old[2].as_str(),
            old[4].as_str(),
            new.as_str()
        ]
    );
    assert_eq!(
        deleted_ids(&values[4..]),
        [old[1].as_str(), old[3].as_str(), brief.as_str()]
    );
    let token = link.split("$deltatoken=").nth(1).expect("token");
    let count = env
        .get(&format!("accounts/$count?$deltatoken={token}"))
        .await;
    assert_eq!(count.text, "7");
}
