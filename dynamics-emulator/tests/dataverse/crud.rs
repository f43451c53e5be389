//! Create, retrieve, update, upsert and delete; ETags and conditional requests; alternate keys;
//! single properties; validation errors.

use dynamics_emulator::{AlternateKeySeed, ColumnSeed, ColumnType, TableSeed};
use reqwest::Method;
use serde_json::json;

use crate::support::start;

#[tokio::test]
async fn create_returns_the_entity_id_or_the_representation() {
    let env = start().await;
    let plain = env.post("leads", json!({"subject": "Web lead", "firstname": "Ada", "lastname": "Lovelace", "leadsourcecode": 8})).await;
    plain.expect(204);
    let entity = plain.header("OData-EntityId").expect("OData-EntityId");
    assert!(
        entity.starts_with(&format!("{}leads(", env.emu.web_api_url())),
        "{entity}"
    );
    let created = env
        .send(
            Method::POST,
            "leads?$select=fullname,subject,statecode,statuscode",
            &[("Prefer", "return=representation")],
            Some(json!({"subject": "Second", "firstname": "Grace", "lastname": "Hopper"})),
        )
        .await;
    let body = created.expect(201);
    assert_eq!(
        created.header("Preference-Applied"),
        Some("return=representation")
    );
    assert!(created.header("OData-EntityId").is_none());
    let etag = created.header("ETag").expect("ETag");
    assert_eq!(body["@odata.etag"], etag);
    assert!(etag.starts_with("W/\""));
    assert_eq!(body["fullname"], "Grace Hopper");
    assert_eq!(body["statecode"], 0);
    assert_eq!(body["statuscode"], 1);
}

#[tokio::test]
async fn not_found_and_validation_errors_have_dataverse_codes() {
    let env = start().await;
    let missing = "11111111-2222-3333-4444-555555555555";
    let answer = env.get(&format!("accounts({missing})")).await;
    answer.expect(404);
    assert_eq!(answer.code(), "0x80040217");
    assert_eq!(
        answer.message(),
        format!("account With Id = {missing} Does Not Exist")
    );
    let too_long = env.post("tasks", json!({"subject": "x".repeat(201)})).await;
    too_long.expect(400);
    assert_eq!(too_long.code(), "0x80044331");
    assert!(
        too_long
            .message()
            .contains("exceeded the maximum allowed length of '200'")
    );
    let unknown = env.post("accounts", json!({"nosuchcolumn": 1})).await;
    unknown.expect(400);
    assert!(
        unknown
            .message()
            .contains("The property 'nosuchcolumn' does not exist"),
        "{}",
        unknown.message()
    );
    let bad_choice = env.post("leads", json!({"leadsourcecode": 99})).await;
    bad_choice.expect(400);
    let wrong_type = env
        .post("accounts", json!({"numberofemployees": "many"}))
        .await;
    wrong_type.expect(400);
    let bad_bind = env
        .post(
            "accounts",
            json!({"primarycontactid@odata.bind": format!("/contacts({missing})")}),
        )
        .await;
    bad_bind.expect(404);
    assert_eq!(bad_bind.code(), "0x80040217");
    assert_eq!(env.get("nosuchset").await.status, 404);
    assert_eq!(env.get("nosuchset").await.code(), "0x8006088a");
}

#[tokio::test]
async fn etags_drive_conditional_requests() {
    let env = start().await;
    let id = env.create("accounts", json!({"name": "Etag test"})).await;
    let first = env.get(&format!("accounts({id})?$select=name")).await;
    let etag = first.body["@odata.etag"].as_str().expect("etag").to_owned();
    assert_eq!(first.header("ETag"), Some(etag.as_str()));
    let unchanged = env
        .send(
            Method::GET,
            &format!("accounts({id})?$select=name"),
            &[("If-None-Match", &etag)],
            None,
        )
        .await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.text.is_empty());
    let annotated = env
        .send(
            Method::GET,
            &format!("accounts({id})?$select=name"),
            &[
                ("If-None-Match", &etag),
                ("Prefer", "odata.include-annotations=\"*\""),
            ],
            None,
        )
        .await;
    assert_eq!(annotated.status, 200, "never 304 with annotations");
    env.patch(&format!("accounts({id})"), json!({"name": "Changed"}))
        .await
        .expect(204);
    let changed = env
        .send(
            Method::GET,
            &format!("accounts({id})"),
            &[("If-None-Match", &etag)],
            None,
        )
        .await;
    let new_etag = changed.expect(200)["@odata.etag"]
        .as_str()
        .expect("etag")
        .to_owned();
    assert_ne!(new_etag, etag, "the etag changes with the row");
    let stale = env
        .send(
            Method::PATCH,
            &format!("accounts({id})"),
            &[("If-Match", &etag)],
            Some(json!({"name": "x"})),
        )
        .await;
    stale.expect(412);
    assert_eq!(
        stale.message(),
        "The version of the existing record doesn't match the RowVersion property provided."
    );
    env.send(
        Method::PATCH,
        &format!("accounts({id})"),
        &[("If-Match", &new_etag)],
        Some(json!({"name": "y"})),
    )
    .await
    .expect(204);
    let stale_delete = env
        .send(
            Method::DELETE,
            &format!("accounts({id})"),
            &[("If-Match", &new_etag)],
            None,
        )
        .await;
    stale_delete.expect(412);
    env.send(
        Method::DELETE,
        &format!("accounts({id})"),
        &[("If-Match", "*")],
        None,
    )
    .await
    .expect(204);
    env.delete(&format!("accounts({id})")).await.expect(404);
}

#[tokio::test]
async fn upsert_creates_or_updates() {
    let env = start().await;
    let id = "7eb682f1-ca75-e511-80d4-00155d2a68d1";
    let path = format!("accounts({id})");
    let created = env.patch(&path, json!({"name": "Upserted"})).await;
    created.expect(204);
    assert_eq!(
        created.header("OData-EntityId"),
        Some(format!("{}{path}", env.emu.web_api_url()).as_str())
    );
    let updated = env.patch(&path, json!({"name": "Upserted again"})).await;
    updated.expect(204);
    let representation = env
        .send(
            Method::PATCH,
            &path,
            &[("Prefer", "return=representation")],
            Some(json!({"name": "Third"})),
        )
        .await;
    assert_eq!(representation.expect(200)["name"], "Third");
    let other = "8eb682f1-ca75-e511-80d4-00155d2a68d1";
    let created = env
        .send(
            Method::PATCH,
            &format!("accounts({other})"),
            &[("Prefer", "return=representation")],
            Some(json!({"name": "New"})),
        )
        .await;
    assert_eq!(created.expect(201)["accountid"], other);
    let update_only = env
        .send(
            Method::PATCH,
            "accounts(9eb682f1-ca75-e511-80d4-00155d2a68d1)",
            &[("If-Match", "*")],
            Some(json!({"name": "x"})),
        )
        .await;
    update_only.expect(404);
    let create_only = env
        .send(
            Method::PATCH,
            &path,
            &[("If-None-Match", "*")],
            Some(json!({"name": "x"})),
        )
        .await;
    create_only.expect(412);
    assert_eq!(
        create_only.message(),
        "A record with matching key values already exists."
    );
}

#[tokio::test]
async fn alternate_keys_address_rows() {
    let env = start().await;
    env.emu
        .seed()
        .add_table(TableSeed {
            logical_name: "sample_thing".into(),
            primary_name_attribute: "sample_name".into(),
            columns: vec![
                ColumnSeed::new("sample_code", ColumnType::Text),
                ColumnSeed::new("sample_number", ColumnType::WholeNumber),
            ],
            alternate_keys: vec![AlternateKeySeed::new(
                "sample_keys",
                &["sample_code", "sample_number"],
            )],
            ..TableSeed::default()
        })
        .expect("table added");
    let key = "sample_things(sample_code='A%2FB',sample_number=7)";
    env.patch(key, json!({"sample_name": "first"}))
        .await
        .expect(204);
    let row = env.get(key).await;
    let body = row.expect(200);
    assert_eq!(
        body["sample_code"], "A/B",
        "key values are copied into the created row"
    );
    assert_eq!(body["sample_number"], 7);
    env.patch(
        key,
        json!({"sample_name": "second", "sample_code": "ignored"}),
    )
    .await
    .expect(204);
    let row = env
        .get("sample_things(sample_number=7,sample_code='a/b')")
        .await;
    assert_eq!(
        row.expect(200)["sample_name"],
        "second",
        "keys are case-insensitive and unordered"
    );
    assert_eq!(env.emu.seed().row_count("sample_things"), 1);
    let duplicate = env
        .post(
            "sample_things",
            json!({"sample_code": "A/B", "sample_number": 7}),
        )
        .await;
    duplicate.expect(412);
    let bad_key = env.get("sample_things(sample_code='A')").await;
    bad_key.expect(400);
    env.get("sample_things(sample_code='zzz',sample_number=1)")
        .await
        .expect(404);
    let by_email = env.get("contacts(emailaddress1='x@y.z')").await;
    by_email.expect(400);
}

#[tokio::test]
async fn single_properties_read_write_and_clear() {
    let env = start().await;
    let id = env
        .create("accounts", json!({"name": "Props", "revenue": 10.5}))
        .await;
    let name = env.get(&format!("accounts({id})/name")).await;
    assert_eq!(name.expect(200)["value"], "Props");
    let raw = env.get(&format!("accounts({id})/name/$value")).await;
    assert_eq!(raw.text, "Props");
    env.send(
        Method::PUT,
        &format!("accounts({id})/name"),
        &[],
        Some(json!({"value": "Renamed"})),
    )
    .await
    .expect(204);
    env.send(
        Method::DELETE,
        &format!("accounts({id})/revenue"),
        &[],
        None,
    )
    .await
    .expect(204);
    assert_eq!(
        env.get(&format!("accounts({id})/revenue")).await.status,
        204
    );
    assert_eq!(
        env.get(&format!("accounts({id})/name")).await.body["value"],
        "Renamed"
    );
    let unknown = env.get(&format!("accounts({id})/nosuch")).await;
    unknown.expect(400);
}

#[tokio::test]
async fn deep_insert_and_bind() {
    let env = start().await;
    let answer = env
        .send(
            Method::POST,
            "accounts?$select=name&$expand=primarycontactid($select=fullname),Account_Tasks($select=subject)",
            &[("Prefer", "return=representation")],
            Some(json!({
                "name": "Deep",
                "primarycontactid": {"firstname": "Deep", "lastname": "Contact"},
                "Account_Tasks": [{"subject": "One"}, {"subject": "Two"}],
            })),
        )
        .await;
    let body = answer.expect(201);
    assert_eq!(body["primarycontactid"]["fullname"], "Deep Contact");
    assert_eq!(body["Account_Tasks"].as_array().map(Vec::len), Some(2));
    let id = body["accountid"].as_str().expect("id");
    env.patch(
        &format!("accounts({id})"),
        json!({"primarycontactid@odata.bind": null}),
    )
    .await
    .expect(204);
    let row = env
        .get(&format!("accounts({id})?$select=_primarycontactid_value"))
        .await;
    assert!(row.body["_primarycontactid_value"].is_null());
}

#[tokio::test]
async fn duplicate_detection_refuses_a_lead_with_a_known_email_only_when_asked() {
    let env = start().await;
    let detect = [("MSCRM.SuppressDuplicateDetection", "false")];
    env.post(
        "leads",
        json!({"lastname": "One", "emailaddress1": "someone@contoso.com"}),
    )
    .await
    .expect(204);
    let twin = json!({"lastname": "Two", "emailaddress1": " SOMEONE@contoso.com "});
    let refused = env
        .send(Method::POST, "leads", &detect, Some(twin.clone()))
        .await;
    refused.expect(500);
    assert_eq!(refused.code(), "0x80040333");
    assert!(
        refused
            .message()
            .contains("duplicate of the current record")
    );
    // Suppressed (the default, or `true`): created.
    env.post("leads", twin.clone()).await.expect(204);
    env.send(
        Method::POST,
        "leads",
        &[("MSCRM.SuppressDuplicateDetection", "true")],
        Some(twin),
    )
    .await
    .expect(204);
    // Another email, or a table without the rule: created.
    env.send(
        Method::POST,
        "leads",
        &detect,
        Some(json!({"lastname": "Three", "emailaddress1": "other@contoso.com"})),
    )
    .await
    .expect(204);
    env.send(
        Method::POST,
        "contacts",
        &detect,
        Some(json!({"lastname": "One", "emailaddress1": "someone@contoso.com"})),
    )
    .await
    .expect(204);
}
