//! The rows each fixture refers to, seeded with the fixture's own IDs and values before it is
//! replayed. Rows shown in an expected answer are seeded from that answer (nested expansions
//! and formatted lookup names included); other rows are named here.

use dynamics_emulator::{AlternateKeySeed, ColumnSeed, ColumnType, Seeder, TableSeed};
use serde_json::{Map, Value, json};

use crate::fixtures::Fixture;
use crate::support::Env;

/// Primary keys of the entity sets the fixtures use.
fn primary_id(set: &str) -> &'static str {
    match set {
        "accounts" => "accountid",
        "contacts" => "contactid",
        "tasks" | "emails" => "activityid",
        "opportunities" => "opportunityid",
        "leads" => "leadid",
        "transactioncurrencies" => "transactioncurrencyid",
        _ => "id",
    }
}

/// Navigation properties in expected answers, and the sets they lead to.
const NAVS: [(&str, &str); 2] = [("primarycontactid", "contacts"), ("Account_Tasks", "tasks")];
/// Lookup columns in expected answers: the set and primary name column of their target.
const LOOKUPS: [(&str, &str, &str); 2] = [
    (
        "_transactioncurrencyid_value",
        "transactioncurrencies",
        "currencyname",
    ),
    ("_primarycontactid_value", "contacts", "fullname"),
];

pub(crate) fn insert(seeder: &Seeder, set: &str, rows: Vec<Value>) -> Result<(), String> {
    seeder
        .insert_rows(set, rows)
        .map(|_| ())
        .map_err(|e| format!("seeding {set}: {e}"))
}

/// Seeds one row shown in an answer (and what it nests or names).
fn seed_row(seeder: &Seeder, set: &str, row: &Map<String, Value>) -> Result<(), String> {
    let mut out = Map::new();
    for (key, value) in row {
        if key.contains('@') {
            continue;
        }
        if let Some((_, target)) = NAVS.iter().find(|(nav, _)| nav == key) {
            if let Value::Object(nested) = value {
                seed_row(seeder, target, nested)?;
                let id = nested[primary_id(target)].as_str().unwrap_or_default();
                out.insert(
                    format!("{key}@odata.bind"),
                    json!(format!("/{target}({id})")),
                );
            }
            continue;
        }
        if let Some((_, target, name)) = LOOKUPS.iter().find(|(lookup, _, _)| lookup == key)
            && let Some(id) = value.as_str()
            && seeder
                .rows(target)
                .iter()
                .all(|r| r[primary_id(target)] != id)
        {
            let label = row
                .get(&format!("{key}@OData.Community.Display.V1.FormattedValue"))
                .and_then(Value::as_str)
                .unwrap_or("Seeded by the conformance test");
            insert(
                seeder,
                target,
                vec![json!({ primary_id(target): id, *name: label })],
            )?;
        }
        out.insert(key.clone(), value.clone());
    }
    insert(seeder, set, vec![Value::Object(out)])
}

/// Seeds the rows an expected answer shows (`value` items or the entity itself).
pub(crate) fn seed_answer(seeder: &Seeder, set: &str, fixture: &Fixture) -> Result<(), String> {
    let body: Value = fixture
        .response
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .ok_or("the expected answer is not JSON")?;
    match body.get("value") {
        Some(Value::Array(items)) => {
            for item in items {
                if let Value::Object(row) = item {
                    seed_row(seeder, set, row)?;
                }
            }
            Ok(())
        }
        _ => match body {
            Value::Object(row) => seed_row(seeder, set, &row),
            _ => Err("the expected answer is not an object".into()),
        },
    }
}

const ACCOUNT_1: &str = "00000000-0000-0000-0000-000000000001";
const ACCOUNT_2: &str = "00000000-0000-0000-0000-000000000002";
const OPPORTUNITY_1: &str = "00000000-0000-0000-0000-000000000001";

fn account(id: &str, name: &str) -> Value {
    json!({ "accountid": id, "name": name })
}

/// Seeds what the fixture needs and adjusts server-assigned values in its request.
pub(crate) async fn setup(env: &Env, fixture: &mut Fixture) -> Result<(), String> {
    let seeder = env.emu.seed();
    let s = &seeder;
    match fixture.name.as_str() {
        "create-basic-204"
        | "create-return-representation-201"
        | "error-upsert-prevent-create-404"
        | "whoami-v92"
        | "import-solution"
        | "batch-content-id-in-body"
        | "batch-content-id-odata-id" => Ok(()),
        "create-bind-and-expand-201" => {
            insert(
                s,
                "contacts",
                vec![
                    json!({"contactid": ACCOUNT_1, "firstname": "Yvonne", "lastname": "McKay (sample)"}),
                ],
            )?;
            insert(
                s,
                "tasks",
                vec![
                    json!({"activityid": "00000000-0000-0000-0000-000000000002", "subject": "Task 1"}),
                    json!({"activityid": "00000000-0000-0000-0000-000000000003", "subject": "Task 2"}),
                ],
            )
        }
        "retrieve-select"
        | "retrieve-expand-single-valued"
        | "update-return-representation-200"
        | "query-select-top"
        | "query-filter-lookup-formatted"
        | "query-expand-collections"
        | "count-true"
        | "count-with-page-size"
        | "paging-maxpagesize-accounts" => {
            seed_answer(s, "accounts", fixture)?;
            let extra = match fixture.name.as_str() {
                "count-true" => 8,
                "count-with-page-size" => 7,
                "paging-maxpagesize-accounts" => 1,
                _ => 0,
            };
            let rows = (0..extra)
                .map(|n| json!({ "name": format!("Extra account {n} (sample)") }))
                .collect();
            insert(s, "accounts", rows)
        }
        "query-filter-orderby" => seed_answer(s, "contacts", fixture),
        "query-filter-navigation-property" => {
            let contact = "a0dbf27c-8efb-e511-80d2-00155db07c77";
            insert(
                s,
                "contacts",
                vec![
                    json!({"contactid": contact, "firstname": "Nancy", "lastname": "Anderson (sample)"}),
                ],
            )?;
            let bind = format!("/contacts({contact})");
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": "3adbf27c-8efb-e511-80d2-00155db07c77", "name": "Adventure Works (sample)", "primarycontactid@odata.bind": bind}),
                    json!({"accountid": "3edbf27c-8efb-e511-80d2-00155db07c77", "name": "Blue Yonder Airlines (sample)", "primarycontactid@odata.bind": bind}),
                    json!({"name": "Unrelated account"}),
                ],
            )
        }
        "paging-first-page" => {
            seed_answer(s, "contacts", fixture)?;
            insert(
                s,
                "contacts",
                vec![json!({"firstname": "Rene", "lastname": "Valdes (sample)"})],
            )
        }
        "count-collection-only" => insert(
            s,
            "accounts",
            (0..10)
                .map(|n| json!({ "name": format!("Account {n}") }))
                .collect(),
        ),
        "retrieve-single-property" => insert(
            s,
            "accounts",
            vec![account(ACCOUNT_1, "Adventure Works (sample)")],
        ),
        "retrieve-collection-refs" => {
            insert(
                s,
                "accounts",
                vec![account(ACCOUNT_1, "Adventure Works (sample)")],
            )?;
            let rows = [
                "6b5941dd-d175-e511-80d4-00155d2a68d1",
                "fcbb60ed-d175-e511-80d4-00155d2a68d1",
            ]
            .iter()
            .map(|id| {
                json!({
                    "activityid": id,
                    "subject": "Related task",
                    "regardingobjectid_account_task@odata.bind": format!("/accounts({ACCOUNT_1})"),
                })
            })
            .collect();
            insert(s, "tasks", rows)
        }
        "update-patch-204"
        | "conditional-upsert-prevent-update-412"
        | "conditional-delete-412"
        | "delete-record-204" => insert(s, "accounts", vec![account(ACCOUNT_1, "Sample Account")]),
        "conditional-get-304" => {
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": ACCOUNT_1, "name": "Sample Account", "accountnumber": "1", "revenue": 10}),
                ],
            )?;
            let etag = env.get(&format!("accounts({ACCOUNT_1})")).await.body["@odata.etag"]
                .as_str()
                .ok_or("no etag")?
                .to_owned();
            fixture.request.set_header("If-None-Match", &etag);
            Ok(())
        }
        "upsert-alternate-key" => s
            .add_table(TableSeed {
                logical_name: "sample_thing".into(),
                primary_name_attribute: "sample_name".into(),
                columns: vec![
                    ColumnSeed::new("sample_key1", ColumnType::WholeNumber),
                    ColumnSeed::new("sample_key2", ColumnType::WholeNumber),
                ],
                alternate_keys: vec![AlternateKeySeed::new(
                    "sample_keys",
                    &["sample_key1", "sample_key2"],
                )],
                ..TableSeed::default()
            })
            .map_err(|e| e.to_string()),
        "associate-collection-ref-post" | "associate-on-update-bind" => {
            insert(s, "accounts", vec![account(ACCOUNT_2, "Fourth Coffee")])?;
            insert(
                s,
                "opportunities",
                vec![json!({"opportunityid": OPPORTUNITY_1, "name": "Opportunity"})],
            )
        }
        "disassociate-collection-ref-delete" => {
            insert(s, "accounts", vec![account(ACCOUNT_2, "Fourth Coffee")])?;
            insert(
                s,
                "opportunities",
                vec![json!({
                    "opportunityid": OPPORTUNITY_1,
                    "name": "Opportunity",
                    "customerid_account@odata.bind": format!("/accounts({ACCOUNT_2})"),
                })],
            )
        }
        "associate-activity-parties-put" => {
            insert(
                s,
                "contacts",
                vec![
                    json!({"contactid": "a30d4045-fc46-e711-8115-e0071b66df51", "lastname": "One"}),
                    json!({"contactid": "1dcdda07-3a39-e711-8145-e0071b6a2001", "lastname": "Two"}),
                ],
            )?;
            insert(
                s,
                "emails",
                vec![
                    json!({"activityid": "2479d20d-3a39-e711-8145-e0071b6a2001", "subject": "Hello"}),
                ],
            )
        }
        "batch-basic" | "batch-changeset" | "batch-continue-on-error" => {
            insert(s, "accounts", vec![account(ACCOUNT_1, "Sample Account")])
        }
        "change-tracking-delta" => change_tracking(env, fixture).await,
        "fetchxml-query" => insert(
            s,
            "accounts",
            vec![
                json!({"accountid": "89390c24-9c72-e511-80d4-00155d2a68d1", "name": "Fourth Coffee (sample)", "accountnumber": "1234"}),
                json!({"accountid": "8b390c24-9c72-e511-80d4-00155d2a68d1", "name": "Litware, Inc. (sample)"}),
                json!({"accountid": "8d390c24-9c72-e511-80d4-00155d2a68d1", "name": "Adventure Works (sample)"}),
                json!({"accountid": "8f390c24-9c72-e511-80d4-00155d2a68d1", "name": "Fabrikam, Inc. (sample)"}),
            ],
        ),
        "fetchxml-paging-first-page" | "fetchxml-paging-last-page" => {
            let parent = "18717e9c-643f-ed11-9db0-002248225e95";
            insert(s, "accounts", vec![account(parent, "Parent (sample)")])?;
            let people = [
                (
                    "20717e9c",
                    "Susanna",
                    "Stubberod",
                    "Senior Purchaser",
                    52000,
                ),
                ("2c717e9c", "Scott", "Konersmann", "Accounts Manager", 38000),
                ("30717e9c", "Robert", "Lyon", "Senior Technician", 78000),
                ("38717e9c", "Rene", "Valdes", "Data Analyst III", 86000),
                ("34717e9c", "Paul", "Cannon", "Ski Instructor", 68500),
                ("24717e9c", "Nancy", "Anderson", "Activities Manager", 55500),
                ("28717e9c", "Maria", "Cambell", "Accounts Manager", 31000),
                (
                    "3c717e9c",
                    "Jim",
                    "Glynn",
                    "Senior International Sales Manager",
                    81400,
                ),
            ];
            let rows = people
                .iter()
                .map(|(prefix, first, last, job, income)| {
                    json!({
                        "contactid": format!("{prefix}-643f-ed11-9db0-002248225e95"),
                        "firstname": first,
                        "lastname": format!("{last} (sample)"),
                        "jobtitle": job,
                        "annualincome": income,
                        "parentcustomerid_account@odata.bind": format!("/accounts({parent})"),
                    })
                })
                .collect();
            insert(s, "contacts", rows)
        }
        other => Err(format!("no setup for fixture {other}")),
    }
}

/// Starts tracking, changes a row and deletes another, and puts the emulator's token into the
/// fixture's request.
async fn change_tracking(env: &Env, fixture: &mut Fixture) -> Result<(), String> {
    let changed = "60c4e274-0d87-e711-80e5-00155db19e6d";
    let deleted = "2e451703-c686-e711-80e5-00155db19e6d";
    insert(
        &env.emu.seed(),
        "accounts",
        vec![
            account(changed, "Monte Orton"),
            account(deleted, "Deleted later"),
        ],
    )?;
    let start = env
        .send(
            reqwest::Method::GET,
            "accounts?$select=name,accountnumber,telephone1,fax",
            &[("Prefer", "odata.track-changes")],
            None,
        )
        .await;
    let link = start.body["@odata.deltaLink"]
        .as_str()
        .ok_or("no deltaLink")?;
    let token = link
        .split("$deltatoken=")
        .nth(1)
        .ok_or("no token")?
        .to_owned();
    env.patch(
        &format!("accounts({changed})"),
        json!({"telephone1": "555000", "fax": "10101"}),
    )
    .await
    .expect(204);
    env.delete(&format!("accounts({deleted})"))
        .await
        .expect(204);
    let url = &mut fixture.request.url;
    let at = url
        .find("$deltatoken=")
        .ok_or("no $deltatoken in the fixture")?;
    url.replace_range(at + "$deltatoken=".len().., &token);
    Ok(())
}
