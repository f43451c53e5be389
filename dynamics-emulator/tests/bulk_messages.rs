//! Bulk operation messages over HTTP: `CreateMultiple`, `UpdateMultiple`, `UpsertMultiple` and
//! `DeleteMultiple` bound to an entity set, on standard tables (one transaction) and elastic
//! tables (per-target outcomes), with the rows they write checked like single writes, the
//! access checks, and how they count toward the service protection limits.

#[allow(dead_code)]
#[path = "dataverse/support.rs"]
mod support;

#[allow(dead_code)]
#[path = "dataverse/security_support.rs"]
mod security_support;

use std::time::Duration;

use dynamics_emulator::{
    AlternateKeySeed, ColumnSeed, ColumnType, DataverseLimits, LatencyModel, TableSeed,
};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Answer, Env, start};

const ACCOUNT: &str = "Microsoft.Dynamics.CRM.account";
const CREATE: &str = "accounts/Microsoft.Dynamics.CRM.CreateMultiple";
const UPDATE: &str = "accounts/Microsoft.Dynamics.CRM.UpdateMultiple";

/// An account target of `name`.
fn account(name: &str) -> Value {
    json!({ "@odata.type": ACCOUNT, "name": name })
}

/// The accounts named `name`.
async fn accounts_named(env: &Env, name: &str) -> usize {
    env.get(&format!("accounts?$select=name&$filter=name eq '{name}'"))
        .await
        .values()
        .len()
}

/// The `Ids` of a `CreateMultipleResponse`.
fn ids(answer: &Answer) -> Vec<String> {
    answer.expect(200)["Ids"]
        .as_array()
        .expect("Ids")
        .iter()
        .map(|id| id.as_str().expect("a GUID").to_owned())
        .collect()
}

/// A custom table with an alternate key; `elastic` as asked.
fn sample_table(logical_name: &str, elastic: bool) -> TableSeed {
    TableSeed {
        logical_name: logical_name.into(),
        primary_name_attribute: "sample_name".into(),
        columns: vec![ColumnSeed::new("sample_key", ColumnType::Text)],
        alternate_keys: vec![AlternateKeySeed::new("sample_keys", &["sample_key"])],
        elastic,
        ..TableSeed::default()
    }
}

#[tokio::test]
async fn create_multiple_answers_the_ids_and_writes_rows_as_single_creates_do() {
    let env = start().await;
    let answer = env
        .post(
            CREATE,
            json!({"Targets": [account("Bulk a"), account("Bulk b"), account("Bulk c")]}),
        )
        .await;
    let created = ids(&answer);
    assert_eq!(created.len(), 3);
    assert!(
        answer.body["@odata.context"]
            .as_str()
            .expect("context")
            .ends_with("/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse"),
        "{}",
        answer.text
    );
    let single = env.create("accounts", json!({"name": "Single"})).await;
    let columns = "$select=name,statecode,statuscode,_ownerid_value,createdon";
    let reference = env.get(&format!("accounts({single})?{columns}")).await;
    let reference = reference.expect(200);
    for (id, name) in created.iter().zip(["Bulk a", "Bulk b", "Bulk c"]) {
        let answer = env.get(&format!("accounts({id})?{columns}")).await;
        assert!(answer.header("ETag").is_some_and(|e| e.starts_with("W/")));
        let row = answer.expect(200);
        assert_eq!(row["name"], name);
        for column in ["statecode", "statuscode", "_ownerid_value"] {
            assert_eq!(row[column], reference[column], "{column}");
        }
        assert!(row["createdon"].is_string(), "{row}");
    }
    // The documented example's `tag` parameter is accepted.
    let tagged = env
        .post(
            &format!("{CREATE}?tag=CreateUpdateMultiple"),
            json!({"Targets": [account("Tagged")]}),
        )
        .await;
    assert_eq!(ids(&tagged).len(), 1);
}

#[tokio::test]
async fn targets_need_the_bound_type_and_a_non_empty_list() {
    let env = start().await;
    let untyped = env
        .post(
            CREATE,
            json!({"Targets": [account("Typed"), {"name": "Untyped"}]}),
        )
        .await;
    untyped.expect(400);
    assert!(
        untyped
            .message()
            .contains("Targets[1] has no \"@odata.type\""),
        "{}",
        untyped.text
    );
    let contact = env
        .post(
            CREATE,
            json!({"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.contact", "lastname": "x"}]}),
        )
        .await;
    contact.expect(400);
    assert!(
        contact.message().contains("bound to accounts"),
        "{}",
        contact.text
    );
    env.post(CREATE, json!({"Targets": []})).await.expect(400);
    env.post(CREATE, json!({})).await.expect(400);
    assert_eq!(
        accounts_named(&env, "Typed").await,
        0,
        "nothing was written"
    );
    let get = env.get(CREATE).await;
    get.expect(405);
    env.post("accounts/Microsoft.Dynamics.CRM.NoSuchMultiple", json!({}))
        .await
        .expect(404);
}

#[tokio::test]
async fn a_failing_target_rolls_back_the_whole_request_and_is_named() {
    let env = start().await;
    let existing = env.create("accounts", json!({"name": "Taken"})).await;
    let fresh = uuid::Uuid::new_v4().to_string();
    let duplicate = env
        .post(
            CREATE,
            json!({"Targets": [
                {"@odata.type": ACCOUNT, "name": "Rolled back", "accountid": fresh},
                {"@odata.type": ACCOUNT, "name": "Rolled back", "accountid": existing},
            ]}),
        )
        .await;
    duplicate.expect(412);
    assert_eq!(duplicate.code(), "0x80040237");
    assert!(
        duplicate
            .message()
            .starts_with("A record with matching key values already exists.")
            && duplicate
                .message()
                .contains(&format!("Targets[1], accountid {existing}")),
        "{}",
        duplicate.text
    );
    env.get(&format!("accounts({fresh})")).await.expect(404);
    let too_long = env
        .post(
            CREATE,
            json!({"Targets": [account("Rolled back"), account("Rolled back"), account(&"x".repeat(200))]}),
        )
        .await;
    too_long.expect(400);
    assert_eq!(too_long.code(), "0x80044331");
    assert!(
        too_long.message().contains("Targets[2]"),
        "{}",
        too_long.text
    );
    assert_eq!(accounts_named(&env, "Rolled back").await, 0);
    // Client-chosen IDs are kept.
    let chosen = env
        .post(
            CREATE,
            json!({"Targets": [{"@odata.type": ACCOUNT, "name": "Chosen", "accountid": fresh}]}),
        )
        .await;
    assert_eq!(ids(&chosen), [fresh]);
}

#[tokio::test]
async fn update_multiple_changes_existing_rows_only() {
    let env = start().await;
    let first = env.create("accounts", json!({"name": "One"})).await;
    let second = env.create("accounts", json!({"name": "Two"})).await;
    let version = |answer: &Answer| answer.header("ETag").expect("ETag").to_owned();
    let before = version(&env.get(&format!("accounts({first})")).await);
    env.post(
        UPDATE,
        json!({"Targets": [
            {"@odata.type": ACCOUNT, "accountid": first, "telephone1": "555-0101"},
            {"@odata.type": ACCOUNT, "accountid": second, "telephone1": "555-0102"},
        ]}),
    )
    .await
    .expect(204);
    let answer = env.get(&format!("accounts({first})")).await;
    assert_ne!(version(&answer), before, "a new row version");
    let row = answer.expect(200);
    assert_eq!(
        (row["name"].as_str(), row["telephone1"].as_str()),
        (Some("One"), Some("555-0101"))
    );
    let missing = uuid::Uuid::new_v4();
    let answer = env
        .post(
            UPDATE,
            json!({"Targets": [
                {"@odata.type": ACCOUNT, "accountid": first, "telephone1": "changed"},
                {"@odata.type": ACCOUNT, "accountid": missing, "telephone1": "changed"},
            ]}),
        )
        .await;
    answer.expect(404);
    assert_eq!(answer.code(), "0x80040217");
    assert!(answer.message().contains("Targets[1]"), "{}", answer.text);
    let row = env
        .get(&format!("accounts({first})?$select=telephone1"))
        .await;
    assert_eq!(row.expect(200)["telephone1"], "555-0101", "rolled back");
    let unnamed = env
        .post(UPDATE, json!({"Targets": [account("No key")]}))
        .await;
    unnamed.expect(400);
    assert!(
        unnamed.message().contains("set 'accountid'"),
        "{}",
        unnamed.text
    );
}

#[tokio::test]
async fn upsert_multiple_updates_or_creates_by_alternate_or_primary_key() {
    let env = start().await;
    env.emu
        .seed()
        .add_table(sample_table("sample_example", false))
        .expect("table added");
    let kind = "Microsoft.Dynamics.CRM.sample_example";
    let existing = env
        .create(
            "sample_examples",
            json!({"sample_name": "old", "sample_key": "0000001"}),
        )
        .await;
    let new_id = uuid::Uuid::new_v4();
    env.post(
        "sample_examples/Microsoft.Dynamics.CRM.UpsertMultiple",
        json!({"Targets": [
            {"@odata.type": kind, "sample_name": "updated", "@odata.id": "sample_examples(sample_key='0000001')"},
            {"@odata.type": kind, "sample_name": "created", "@odata.id": "sample_examples(sample_key='0000002')"},
            {"@odata.type": kind, "sample_name": "by id", "sample_key": "0000003", "@odata.id": format!("sample_examples({new_id})")},
        ]}),
    )
    .await
    .expect(204);
    let updated = env.get(&format!("sample_examples({existing})")).await;
    assert_eq!(updated.expect(200)["sample_name"], "updated");
    let created = env.get("sample_examples(sample_key='0000002')").await;
    assert_eq!(created.expect(200)["sample_name"], "created");
    let by_id = env.get(&format!("sample_examples({new_id})")).await;
    assert_eq!(by_id.expect(200)["sample_key"], "0000003");
    assert_eq!(env.emu.seed().row_count("sample_examples"), 3);
}

#[tokio::test]
async fn delete_multiple_is_for_elastic_tables() {
    let env = start().await;
    let seed = env.emu.seed();
    seed.add_table(sample_table("sample_standard", false))
        .expect("table added");
    seed.add_table(sample_table("sample_sensor", true))
        .expect("table added");
    let row = env
        .create("sample_standards", json!({"sample_name": "kept"}))
        .await;
    let standard = env
        .post(
            "sample_standards/Microsoft.Dynamics.CRM.DeleteMultiple",
            json!({"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.sample_standard", "sample_standardid": row}]}),
        )
        .await;
    standard.expect(400);
    assert!(
        standard
            .message()
            .starts_with("DeleteMultiple has not yet been implemented."),
        "{}",
        standard.text
    );
    env.get(&format!("sample_standards({row})"))
        .await
        .expect(200);
    let kind = "Microsoft.Dynamics.CRM.sample_sensor";
    let created = env
        .post(
            "sample_sensors/Microsoft.Dynamics.CRM.CreateMultiple",
            json!({"Targets": [
                {"@odata.type": kind, "sample_name": "a", "sample_key": "a"},
                {"@odata.type": kind, "sample_name": "b", "sample_key": "b"},
            ]}),
        )
        .await;
    let created = ids(&created);
    env.post(
        "sample_sensors/Microsoft.Dynamics.CRM.DeleteMultiple",
        json!({"Targets": [
            {"@odata.type": kind, "sample_sensorid": created[0], "partitionid": "p1"},
            {"@odata.type": kind, "@odata.id": "sample_sensors(sample_key='b')"},
        ]}),
    )
    .await
    .expect(204);
    assert_eq!(env.emu.seed().row_count("sample_sensors"), 0);
}

#[tokio::test]
async fn elastic_tables_keep_the_targets_that_succeed_and_report_each_one() {
    let env = start().await;
    env.emu
        .seed()
        .add_table(sample_table("sample_sensor", true))
        .expect("table added");
    let kind = "Microsoft.Dynamics.CRM.sample_sensor";
    let path = "sample_sensors/Microsoft.Dynamics.CRM.CreateMultiple";
    let body = |names: [&str; 3]| json!({"Targets": names.iter().map(|n| json!({"@odata.type": kind, "sample_name": n, "sample_key": n})).collect::<Vec<_>>()});
    ids(&env.post(path, body(["a", "b", "c"])).await);
    // "b" is taken: "d" and "e" are still written.
    let partial = env
        .send(
            Method::POST,
            path,
            &[(
                "Prefer",
                "odata.include-annotations=\"Microsoft.PowerApps.CDS.ErrorDetails.*\"",
            )],
            Some(body(["d", "b", "e"])),
        )
        .await;
    partial.expect(412);
    assert!(partial.message().contains("Targets[1]"), "{}", partial.text);
    assert_eq!(env.emu.seed().row_count("sample_sensors"), 5);
    let details =
        partial.body["error"]["@Microsoft.PowerApps.CDS.ErrorDetails.Plugin.BulkApiErrorDetails"]
            .as_str()
            .expect("error details");
    let details: Vec<Value> = serde_json::from_str(details).expect("JSON text");
    let statuses: Vec<(u64, u64)> = details
        .iter()
        .map(|d| {
            (
                d["RequestIndex"].as_u64().expect("index"),
                d["StatusCode"].as_u64().expect("status"),
            )
        })
        .collect();
    assert_eq!(statuses, [(0, 204), (1, 412), (2, 204)]);
    assert!(details[0]["Id"].is_string());
    // Without the preference the details are left out.
    let plain = env.post(path, body(["f", "a", "g"])).await;
    plain.expect(412);
    assert!(
        plain.body["error"].as_object().expect("error").len() == 2,
        "{}",
        plain.text
    );
    assert_eq!(env.emu.seed().row_count("sample_sensors"), 7);
}

#[tokio::test]
async fn targets_get_the_callers_access_checks() {
    use security_support::{
        BASIC, GLOBAL, assign_role, default_app_user, seed_account, seed_role, units,
    };
    let env = start().await;
    let unit = units(&env).await;
    let (user, token) = default_app_user(&env, &unit.root).await;
    let role = seed_role(
        &env,
        "Bulk creator",
        &unit.root,
        &[("prvCreateAccount", BASIC), ("prvReadAccount", GLOBAL)],
    );
    assign_role(&env, &user, &role).await;
    let created = env
        .send_as(
            &token,
            Method::POST,
            CREATE,
            &[],
            Some(json!({"Targets": [account("Mine")]})),
        )
        .await;
    let created = ids(&created);
    let row = env
        .get(&format!("accounts({})?$select=_ownerid_value", created[0]))
        .await;
    assert_eq!(row.expect(200)["_ownerid_value"], user.as_str());
    let admin = env.get("WhoAmI").await.expect(200)["UserId"]
        .as_str()
        .expect("admin id")
        .to_owned();
    let others = seed_account(&env, "Not mine", &admin);
    let denied = env
        .send_as(
            &token,
            Method::POST,
            UPDATE,
            &[],
            Some(json!({"Targets": [{"@odata.type": ACCOUNT, "accountid": others, "name": "Mine now"}]})),
        )
        .await;
    assert!(
        denied.status == 403 || denied.status == 401,
        "{}",
        denied.text
    );
    assert!(denied.message().contains("Targets[0]"), "{}", denied.text);
    assert_eq!(accounts_named(&env, "Mine now").await, 0);
}

#[tokio::test]
async fn a_bulk_message_counts_one_request_toward_the_limit() {
    let env = start().await;
    env.emu.seed().set_dataverse_limits(DataverseLimits {
        enabled: true,
        window: Duration::from_secs(60),
        max_requests: 3,
        ..DataverseLimits::default()
    });
    let targets: Vec<Value> = (0..10).map(|i| account(&format!("Counted {i}"))).collect();
    let answer = env.post(CREATE, json!({ "Targets": targets })).await;
    assert_eq!(ids(&answer).len(), 10);
    assert_eq!(
        answer.header("x-ms-ratelimit-burst-remaining-xrm-requests"),
        Some("2"),
        "ten rows, one request"
    );
    let config = env.emu.seed().dataverse_config();
    let latency = LatencyModel {
        per_request: Duration::from_millis(50),
        per_operation: Duration::from_millis(10),
    };
    let bulk = config.limits.bulk_ceiling(&latency, 10, 1);
    let batch = config.limits.ceiling(&latency, 10, 1);
    assert!(bulk.by_requests > batch.by_requests);
}
