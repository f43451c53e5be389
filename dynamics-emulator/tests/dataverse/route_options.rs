//! Each route reads only some query options; any other is refused with the 400 Dataverse gives
//! an unknown parameter (`0x0`, "The query parameter X is not supported"), never a 200 that
//! silently ignored it. The options clients do send (Microsoft's Python client among them)
//! still work.

use reqwest::Method;
use serde_json::json;

use crate::support::{Answer, Env, start};

fn assert_refused(answer: &Answer, option: &str) {
    assert_eq!(answer.status, 400, "{option}: {}", answer.text);
    assert_eq!(answer.code(), "0x0", "{option}: {}", answer.text);
    assert_eq!(
        answer.message(),
        format!("The query parameter {option} is not supported"),
        "{}",
        answer.text
    );
}

async fn account(env: &Env) -> String {
    env.create("accounts", json!({ "name": "Contoso" })).await
}

#[tokio::test]
async fn a_single_record_refuses_collection_options() {
    let env = start().await;
    let id = account(&env).await;
    let answer = env
        .get(&format!("accounts({id})?$filter=name eq 'nope'"))
        .await;
    assert_refused(&answer, "$filter");
    for (query, option) in [
        ("$top=1", "$top"),
        ("$orderby=name", "$orderby"),
        ("$count=true", "$count"),
        ("$skiptoken=1", "$skiptoken"),
        ("fetchXml=%3Cfetch%2F%3E", "fetchXml"),
        ("$id=accounts(1)", "$id"),
    ] {
        let answer = env
            .get(&format!("accounts({id})?$select=name&{query}"))
            .await;
        assert_refused(&answer, option);
    }
    // `$select` and `$expand` are read.
    let answer = env
        .get(&format!(
            "accounts({id})?$select=name&$expand=primarycontactid($select=fullname)"
        ))
        .await;
    assert_eq!(answer.expect(200)["name"], "Contoso");
}

#[tokio::test]
async fn writes_refuse_options_they_do_not_read() {
    let env = start().await;
    let id = account(&env).await;
    // DELETE reads none: the row stays.
    let answer = env
        .delete(&format!("accounts({id})?$filter=name eq 'x'"))
        .await;
    assert_refused(&answer, "$filter");
    env.get(&format!("accounts({id})?$select=name"))
        .await
        .expect(200);
    // PATCH reads `$select` only (its answer has no expansions).
    let answer = env
        .patch(
            &format!("accounts({id})?$expand=primarycontactid"),
            json!({ "name": "Fabrikam" }),
        )
        .await;
    assert_refused(&answer, "$expand");
    let answer = env
        .send(
            Method::PATCH,
            &format!("accounts({id})?$select=name"),
            &[("Prefer", "return=representation")],
            Some(json!({ "name": "Fabrikam" })),
        )
        .await;
    assert_eq!(answer.expect(200)["name"], "Fabrikam");
    // POST reads `$select` and `$expand` (with return=representation), nothing else.
    let answer = env
        .post("accounts?$top=1", json!({ "name": "Northwind" }))
        .await;
    assert_refused(&answer, "$top");
    let answer = env
        .send(
            Method::POST,
            "accounts?$select=name&$expand=primarycontactid($select=fullname)",
            &[("Prefer", "return=representation")],
            Some(json!({ "name": "Northwind" })),
        )
        .await;
    assert_eq!(answer.expect(201)["name"], "Northwind");
}

#[tokio::test]
async fn fetchxml_queries_refuse_odata_query_options() {
    let env = start().await;
    account(&env).await;
    let fetch = "%3Cfetch%3E%3Centity%20name%3D%27account%27%3E%3Cattribute%20name%3D%27name%27%2F%3E%3C%2Fentity%3E%3C%2Ffetch%3E";
    env.get(&format!("accounts?fetchXml={fetch}"))
        .await
        .expect(200);
    for (query, option) in [
        ("$select=name", "$select"),
        ("$filter=name eq 'x'", "$filter"),
        ("$orderby=name", "$orderby"),
        ("$expand=primarycontactid", "$expand"),
        ("$top=1", "$top"),
        ("$skiptoken=1", "$skiptoken"),
    ] {
        let answer = env.get(&format!("accounts?fetchXml={fetch}&{query}")).await;
        assert_refused(&answer, option);
    }
}

#[tokio::test]
async fn collections_counts_and_metadata_refuse_what_they_do_not_read() {
    let env = start().await;
    let id = account(&env).await;
    assert_refused(&env.get("accounts?$id=accounts(1)").await, "$id");
    assert_refused(&env.get("accounts/$count?$select=name").await, "$select");
    assert_eq!(
        env.get("accounts/$count?$filter=name eq 'Contoso'")
            .await
            .text,
        "1"
    );
    assert_refused(&env.get("EntityDefinitions?$top=1").await, "$top");
    assert_refused(
        &env.get("RelationshipDefinitions?$orderby=SchemaName").await,
        "$orderby",
    );
    env.get("EntityDefinitions?$select=LogicalName&$filter=LogicalName eq 'account'")
        .await
        .expect(200);
    // One metadata item has nothing to filter; its collections still do.
    assert_refused(
        &env.get("EntityDefinitions(LogicalName='account')?$filter=IsPrivate eq true")
            .await,
        "$filter",
    );
    assert_refused(
        &env.get(
            "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')?$filter=IsValidForRead eq false",
        )
        .await,
        "$filter",
    );
    assert_refused(
        &env.get("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='statecode')/Microsoft.Dynamics.CRM.StateAttributeMetadata?$filter=IsValidForRead eq false")
            .await,
        "$filter",
    );
    env.get("EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$filter=LogicalName eq 'industrycode'")
        .await
        .expect(200);
    env.get("EntityDefinitions(LogicalName='account')?$select=LogicalName")
        .await
        .expect(200);
    assert_refused(&env.get("WhoAmI?$select=UserId").await, "$select");
    assert_refused(
        &env.get(&format!("accounts({id})/name?$top=1")).await,
        "$top",
    );
    assert_refused(
        &env.get(&format!("accounts({id})/Account_Tasks/$ref?$top=1"))
            .await,
        "$top",
    );
    // A collection-valued navigation property is a collection.
    env.get(&format!(
        "accounts({id})/Account_Tasks?$select=subject&$filter=subject ne null&$top=1&$count=true"
    ))
    .await
    .expect(200);
}

/// Paging by `Prefer: odata.maxpagesize` follows `@odata.nextLink`, whose `$skiptoken` is read.
#[tokio::test]
async fn next_links_with_skiptoken_are_followed() {
    let env = start().await;
    for name in ["a", "b", "c"] {
        env.create("accounts", json!({ "name": name })).await;
    }
    let first = env
        .send(
            Method::GET,
            "accounts?$select=name&$orderby=name",
            &[("Prefer", "odata.maxpagesize=2")],
            None,
        )
        .await;
    first.expect(200);
    let next = first.body["@odata.nextLink"]
        .as_str()
        .expect("a next link")
        .to_owned();
    assert!(next.contains("$skiptoken"), "{next}");
    let second = env
        .send(
            Method::GET,
            &next,
            &[("Prefer", "odata.maxpagesize=2")],
            None,
        )
        .await;
    assert_eq!(second.expect(200)["value"][0]["name"], "c");
}
