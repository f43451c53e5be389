//! `$filter` (parsing and evaluation over HTTP), `$orderby`, `$top`, `$count`, `$expand`,
//! annotations, and paging with cookies.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Env, start};

async fn people(env: &Env) {
    env.emu
        .seed()
        .insert_rows(
            "contacts",
            vec![
                json!({"firstname": "Ann", "lastname": "O'Bryan", "jobtitle": "Buyer", "annualincome": 50000, "birthdate": "1980-05-01", "emailaddress1": "ann@contoso.com"}),
                json!({"firstname": "Bob", "lastname": "Smith", "jobtitle": "Seller", "annualincome": 70000, "birthdate": "1990-01-15"}),
                json!({"firstname": "Cy", "lastname": "Smithers", "jobtitle": null, "annualincome": 30000}),
                json!({"firstname": "Di", "lastname": "100% Real", "jobtitle": "Buyer"}),
            ],
        )
        .expect("seeded");
}

async fn names(env: &Env, filter: &str) -> Vec<String> {
    let answer = env
        .get(&format!(
            "contacts?$select=fullname&$orderby=fullname&$filter={}",
            urlencode(filter)
        ))
        .await;
    assert_eq!(answer.status, 200, "{filter}: {}", answer.text);
    answer
        .values()
        .iter()
        .map(|v| v["fullname"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'('
            | b')'
            | b','
            | b'/' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn filters_evaluate_like_dataverse() {
    let env = start().await;
    people(&env).await;
    assert_eq!(names(&env, "lastname eq 'O''Bryan'").await, ["Ann O'Bryan"]);
    assert_eq!(
        names(&env, "startswith(lastname,'SMITH')").await,
        ["Bob Smith", "Cy Smithers"]
    );
    assert_eq!(
        names(&env, "endswith(lastname,'ers') or contains(fullname,'ann')").await,
        ["Ann O'Bryan", "Cy Smithers"]
    );
    assert_eq!(
        names(&env, "annualincome gt 40000 and not (jobtitle eq 'Seller')").await,
        ["Ann O'Bryan"]
    );
    assert_eq!(names(&env, "jobtitle eq null").await, ["Cy Smithers"]);
    assert_eq!(
        names(&env, "jobtitle ne null and annualincome le 50000").await,
        ["Ann O'Bryan"]
    );
    assert_eq!(names(&env, "birthdate ge 1985-01-01").await, ["Bob Smith"]);
    assert_eq!(
        names(&env, "contains(lastname,'100%')").await,
        ["Di 100% Real"]
    );
    assert_eq!(
        names(&env, "contains(lastname,'m_th')").await,
        ["Bob Smith", "Cy Smithers"],
        "_ is a wildcard"
    );
    assert_eq!(
        names(
            &env,
            "Microsoft.Dynamics.CRM.In(PropertyName='jobtitle',PropertyValues=['Seller','Nobody'])"
        )
        .await,
        ["Bob Smith"]
    );
    assert_eq!(
        names(&env, "Microsoft.Dynamics.CRM.Between(PropertyName='annualincome',PropertyValues=[\"40000\",\"60000\"])").await,
        ["Ann O'Bryan"]
    );
    assert_eq!(
        names(&env, "_ownerid_value ne null and statecode eq 0")
            .await
            .len(),
        4
    );
}

#[tokio::test]
async fn injection_attempts_are_literals() {
    let env = start().await;
    people(&env).await;
    assert!(
        names(&env, "lastname eq 'x'' or 1 eq 1 or lastname eq ''y'")
            .await
            .is_empty()
    );
    assert!(
        names(&env, "lastname eq 'Smith'' or ''1''=''1'")
            .await
            .is_empty()
    );
    let answer = env
        .get("contacts?$filter=lastname eq 'x'; DROP TABLE contacts")
        .await;
    answer.expect(400);
    let answer = env.get("contacts?$filter=lastname eq 'unterminated").await;
    answer.expect(400);
    assert!(
        answer
            .message()
            .starts_with("There is an unterminated literal at position"),
        "{}",
        answer.message()
    );
    assert_eq!(env.emu.seed().row_count("contacts"), 4);
}

#[tokio::test]
async fn unknown_columns_and_type_mismatches_are_400() {
    let env = start().await;
    let unknown = env.get("accounts?$filter=nosuch eq 1").await;
    unknown.expect(400);
    assert_eq!(unknown.code(), "0x80060888");
    assert_eq!(
        unknown.message(),
        "Could not find a property named 'nosuch' on type 'Microsoft.Dynamics.CRM.account'."
    );
    let select = env.get("accounts?$select=name,bogus").await;
    select.expect(400);
    assert_eq!(select.code(), "0x80060888");
    let mismatch = env.get("accounts?$filter=name eq 5").await;
    mismatch.expect(400);
    assert!(
        mismatch.message().contains("incompatible types"),
        "{}",
        mismatch.message()
    );
    for unsupported in ["$skip=1", "$search=x", "$format=json"] {
        env.get(&format!("accounts?{unsupported}"))
            .await
            .expect(400);
    }
}

#[tokio::test]
async fn lookups_navigation_paths_and_annotations() {
    let env = start().await;
    let contact = env
        .create(
            "contacts",
            json!({"firstname": "Susanna", "lastname": "Stubberod"}),
        )
        .await;
    env.create("accounts", json!({"name": "Litware", "revenue": 1234.5, "primarycontactid@odata.bind": format!("/contacts({contact})")})).await;
    env.create("accounts", json!({"name": "No contact"})).await;
    let by_value = env
        .get(&format!(
            "accounts?$select=name&$filter=_primarycontactid_value eq {contact}"
        ))
        .await;
    assert_eq!(by_value.values().len(), 1);
    let by_path = env
        .get("accounts?$select=name&$filter=primarycontactid/fullname eq 'susanna stubberod'")
        .await;
    assert_eq!(by_path.values().len(), 1);
    let annotated = env
        .send(
            Method::GET,
            "accounts?$select=name,revenue,_primarycontactid_value,createdon&$filter=name eq 'Litware'",
            &[("Prefer", "odata.include-annotations=\"*\"")],
            None,
        )
        .await;
    let row = &annotated.values()[0];
    assert_eq!(
        row["_primarycontactid_value@OData.Community.Display.V1.FormattedValue"],
        "Susanna Stubberod"
    );
    assert_eq!(
        row["_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname"],
        "contact"
    );
    assert_eq!(
        row["_primarycontactid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"],
        "primarycontactid"
    );
    assert_eq!(
        row["revenue@OData.Community.Display.V1.FormattedValue"],
        "$1,234.50"
    );
    assert_eq!(
        row["_transactioncurrencyid_value@OData.Community.Display.V1.FormattedValue"],
        "US Dollar"
    );
    assert!(
        row["createdon@OData.Community.Display.V1.FormattedValue"]
            .as_str()
            .is_some_and(|s| s.ends_with('M'))
    );
    assert_eq!(
        annotated.header("Preference-Applied"),
        Some("odata.include-annotations=\"*\"")
    );
    let any = env
        .get("contacts?$select=fullname&$filter=account_primary_contact/any(a:a/name eq 'Litware')")
        .await;
    assert_eq!(any.values().len(), 1);
}

#[tokio::test]
async fn orderby_top_count_and_expand() {
    let env = start().await;
    let rows: Vec<Value> = (0..12)
        .map(|n| json!({"name": format!("Account {:02}", n % 6), "numberofemployees": n}))
        .collect();
    env.emu
        .seed()
        .insert_rows("accounts", rows)
        .expect("seeded");
    let ordered = env.get("accounts?$select=name,numberofemployees&$orderby=name desc,numberofemployees asc&$top=3").await;
    let values: Vec<(String, i64)> = ordered
        .values()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap_or_default().to_owned(),
                v["numberofemployees"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        values,
        [
            ("Account 05".to_owned(), 5),
            ("Account 05".to_owned(), 11),
            ("Account 04".to_owned(), 4)
        ]
    );
    assert!(
        ordered.body.get("@odata.nextLink").is_none(),
        "$top does not page"
    );
    let counted = env
        .get("accounts?$select=name&$count=true&$filter=numberofemployees ge 6")
        .await;
    assert_eq!(counted.body["@odata.count"], 6);
    let count = env.get("accounts/$count").await;
    assert_eq!(count.text, "12");
    assert!(
        count
            .header("Content-Type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
}

#[tokio::test]
async fn count_is_capped_at_5000() {
    let env = start().await;
    env.emu.seed().insert_generated_leads(5200);
    let answer = env
        .send(
            Method::GET,
            "leads?$select=leadid&$count=true",
            &[("Prefer", "odata.maxpagesize=10,odata.include-annotations=\"Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded\"")],
            None,
        )
        .await;
    assert_eq!(answer.body["@odata.count"], 5000);
    assert_eq!(
        answer.body["@Microsoft.Dynamics.CRM.totalrecordcount"],
        5000
    );
    assert_eq!(
        answer.body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"],
        true
    );
    assert_eq!(env.get("leads/$count").await.text, "5000");
}

async fn page_through(env: &Env, first: &str, prefer: Option<&str>) -> (usize, Vec<usize>) {
    let mut seen = HashSet::new();
    let mut sizes = Vec::new();
    let mut url = first.to_owned();
    loop {
        let headers: Vec<(&str, &str)> = prefer.map(|p| ("Prefer", p)).into_iter().collect();
        let answer = env.send(Method::GET, &url, &headers, None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        if let Some(p) = prefer {
            assert_eq!(answer.header("Preference-Applied"), Some(p));
        }
        sizes.push(answer.values().len());
        for value in answer.values() {
            assert!(
                seen.insert(value["leadid"].as_str().unwrap_or_default().to_owned()),
                "a row came twice"
            );
        }
        match answer.body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(
                    next.contains("$skiptoken=%3Ccookie%20pagenumber="),
                    "{next}"
                );
                url = next.to_owned();
            }
            None => break,
        }
    }
    (seen.len(), sizes)
}

#[tokio::test]
async fn paging_covers_12000_rows_exactly_once() {
    let env = start().await;
    assert_eq!(env.emu.seed().insert_generated_leads(12_000), 12_000);
    let (total, sizes) =
        page_through(&env, "leads?$select=leadid", Some("odata.maxpagesize=2500")).await;
    assert_eq!(total, 12_000);
    assert_eq!(sizes, [2500, 2500, 2500, 2500, 2000]);
    let (total, sizes) = page_through(&env, "leads?$select=leadid", None).await;
    assert_eq!(total, 12_000);
    assert_eq!(sizes, [5000, 5000, 2000], "the default page is 5000");
    let (total, _) = page_through(
        &env,
        "leads?$select=leadid,lastname&$orderby=lastname desc&$filter=statecode eq 0",
        Some("odata.maxpagesize=3000"),
    )
    .await;
    assert_eq!(total, 12_000, "ordered pages follow the cookie too");
    let too_big = env
        .send(
            Method::GET,
            "leads?$select=leadid",
            &[("Prefer", "odata.maxpagesize=9000")],
            None,
        )
        .await;
    assert_eq!(too_big.values().len(), 5000);
}

#[tokio::test]
async fn rows_inserted_while_paging_do_not_shift_pages() {
    let env = start().await;
    env.emu.seed().insert_generated_leads(30);
    let first = env
        .send(
            Method::GET,
            "leads?$select=leadid",
            &[("Prefer", "odata.maxpagesize=10")],
            None,
        )
        .await;
    let next = first.body["@odata.nextLink"]
        .as_str()
        .expect("next")
        .to_owned();
    let last_of_first = first.values()[9]["leadid"].as_str().expect("id").to_owned();
    env.emu.seed().insert_generated_leads(5);
    let second = env
        .send(
            Method::GET,
            &next,
            &[("Prefer", "odata.maxpagesize=10")],
            None,
        )
        .await;
    for value in second.values() {
        assert!(value["leadid"].as_str().expect("id") > last_of_first.as_str());
    }
}

/// A million leads for streaming benchmarks; run with
/// `cargo test --release -p dynamics-emulator --test dataverse -- --ignored million`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow in debug builds; a release-mode benchmark check"]
async fn million_leads_build_and_page() {
    let env = start().await;
    let started = std::time::Instant::now();
    assert_eq!(env.emu.seed().insert_generated_leads(1_000_000), 1_000_000);
    let built = started.elapsed();
    println!("built 1,000,000 leads in {built:?}");
    let started = std::time::Instant::now();
    let mut url = "leads?$select=fullname,emailaddress1".to_owned();
    let mut rows = 0;
    for _ in 0..20 {
        let page = env
            .send(
                Method::GET,
                &url,
                &[("Prefer", "odata.maxpagesize=5000")],
                None,
            )
            .await;
        rows += page.values().len();
        url = page.body["@odata.nextLink"]
            .as_str()
            .expect("next")
            .to_owned();
    }
    println!("read {rows} rows in 20 pages in {:?}", started.elapsed());
    let started = std::time::Instant::now();
    let filtered = env
        .get("leads?$select=fullname&$filter=emailaddress1 eq 'lead999999@example.com'")
        .await;
    assert_eq!(filtered.values().len(), 1);
    println!(
        "full-scan filter over 1,000,000 rows in {:?}",
        started.elapsed()
    );
}

/// A nested `$expand` inside a collection-valued one switches a collection answer to the
/// documented paged form: every expanded collection holds at most `odata.maxpagesize` rows
/// without `@odata.etag` or the parent lookup, and its `@odata.nextLink` carries a
/// `$skiptoken` that the related collection reads back, page after page, until every row came
/// once. Without the nested `$expand`, the plain form (all rows inline) stays.
#[tokio::test]
async fn nested_expand_pages_expanded_collections() {
    let env = start().await;
    let account = env.create("accounts", json!({"name": "Paged"})).await;
    for n in 0..5 {
        env.create(
            "tasks",
            json!({"subject": format!("Task {n}"), "regardingobjectid_account_task@odata.bind": format!("/accounts({account})")}),
        )
        .await;
    }
    env.create(
        "contacts",
        json!({"lastname": "Only", "parentcustomerid_account@odata.bind": format!("/accounts({account})")}),
    )
    .await;
    let prefer = [("Prefer", "odata.maxpagesize=2")];
    let query = format!(
        "accounts?$select=name&$filter=accountid eq {account}&$expand=Account_Tasks($select=subject),contact_customer_accounts($select=fullname;$expand=owninguser($select=fullname))"
    );
    let answer = env.send(Method::GET, &query, &prefer, None).await;
    let body = answer.expect(200);
    let row = &body["value"][0];
    let tasks = row["Account_Tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 2, "{body:#}");
    assert!(
        tasks
            .iter()
            .all(|t| t.get("@odata.etag").is_none() && t.get("_regardingobjectid_value").is_none())
    );
    let contacts = row["contact_customer_accounts"]
        .as_array()
        .expect("contacts");
    assert_eq!(contacts.len(), 1);
    assert!(
        contacts[0]["owninguser"]["systemuserid"].is_string(),
        "{body:#}"
    );
    // One contact: linked, but nothing left to page.
    let contacts_link = row["contact_customer_accounts@odata.nextLink"]
        .as_str()
        .expect("contacts link");
    assert!(!contacts_link.contains("$skiptoken"), "{contacts_link}");

    let mut seen = HashSet::new();
    for task in tasks {
        seen.insert(task["subject"].as_str().expect("subject").to_owned());
    }
    let mut link = row["Account_Tasks@odata.nextLink"]
        .as_str()
        .expect("tasks link")
        .to_owned();
    assert!(link.contains("$skiptoken="), "{link}");
    for _ in 0..5 {
        let page = env.send(Method::GET, &link, &prefer, None).await;
        let page_body = page.expect(200);
        for task in page_body["value"].as_array().expect("value") {
            assert!(seen.insert(task["subject"].as_str().expect("subject").to_owned()));
        }
        match page_body["@odata.nextLink"].as_str() {
            Some(next) => link = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");

    // Without a nested $expand, the plain form: every task inline, with etags.
    let plain = env
        .send(
            Method::GET,
            &format!("accounts?$select=name&$filter=accountid eq {account}&$expand=Account_Tasks($select=subject)"),
            &prefer,
            None,
        )
        .await;
    let plain = plain.expect(200);
    let tasks = plain["value"][0]["Account_Tasks"]
        .as_array()
        .expect("tasks");
    assert_eq!(tasks.len(), 5);
    assert!(tasks.iter().all(|t| t["@odata.etag"].is_string()));
}

/// `$apply` as Microsoft's "Aggregate data using OData" describes it: distinct values with
/// `groupby`, `aggregate` with sum/average/min/max/countdistinct and `$count`, `filter(…)/`
/// first, groups sorted with nulls first and null grouped values left out; unsupported
/// transformations and misuse are Dataverse-style 400s.
#[tokio::test]
async fn apply_groups_and_aggregates() {
    let env = start().await;
    env.emu
        .seed()
        .insert_rows(
            "accounts",
            vec![
                json!({"name": "A", "accountcategorycode": 1, "revenue": 100, "numberofemployees": 10}),
                json!({"name": "B", "accountcategorycode": 1, "revenue": 300, "numberofemployees": 30}),
                json!({"name": "C", "accountcategorycode": 2, "revenue": 50}),
                json!({"name": "D", "numberofemployees": 5}),
                json!({"name": "A", "statecode": 1, "statuscode": 2, "numberofemployees": 7}),
            ],
        )
        .expect("seeded");
    let env = &env;
    let get = |query: &str| {
        let path = format!("accounts?$apply={query}");
        async move { env.get(&path).await }
    };

    let distinct = get("groupby((accountcategorycode))").await;
    let values = distinct.expect(200)["value"]
        .as_array()
        .expect("value")
        .clone();
    assert_eq!(
        values,
        vec![
            json!({}),
            json!({"accountcategorycode": 1}),
            json!({"accountcategorycode": 2})
        ],
        "{}",
        distinct.text
    );

    let totals = get("groupby((accountcategorycode),aggregate(numberofemployees with sum as staff,revenue with max as top,$count as rows))").await;
    let values = totals.expect(200)["value"]
        .as_array()
        .expect("value")
        .clone();
    assert_eq!(values[0], json!({"staff": 12, "top": null, "rows": 2}));
    assert_eq!(
        values[1],
        json!({"accountcategorycode": 1, "staff": 40, "top": 300.0, "rows": 2})
    );
    assert_eq!(values[2]["rows"], 1);

    let all = get("aggregate(numberofemployees with average as mean,numberofemployees with min as least,name with countdistinct as names,$count as rows)").await;
    let values = all.expect(200)["value"].as_array().expect("value").clone();
    assert_eq!(
        values,
        vec![json!({"mean": 13.0, "least": 5, "names": 4, "rows": 5})]
    );

    let filtered = get("filter(statecode eq 0)/aggregate($count as rows)").await;
    assert_eq!(filtered.expect(200)["value"][0]["rows"], 4);
    // $filter applies too.
    let both = env
        .get("accounts?$filter=name eq 'A'&$apply=groupby((statecode),aggregate($count as rows))")
        .await;
    assert_eq!(both.expect(200)["value"].as_array().map(Vec::len), Some(2));

    for (query, needle) in [
        ("compute(revenue mul 2 as double)", "compute"),
        ("groupby((name),topcount(2,revenue))", "topcount"),
        ("aggregate(name with sum as total)", "sum"),
        ("groupby((nosuchcolumn))", "nosuchcolumn"),
        (
            "groupby((primarycontactid/fullname))",
            "primarycontactid/fullname",
        ),
        ("aggregate(revenue with median as m)", "median"),
        ("filter(statecode eq 0)", "filter"),
        ("groupby((name)", "Syntax error"),
    ] {
        let refused = get(query).await;
        assert_eq!(refused.status, 400, "{query}: {}", refused.text);
        assert!(
            refused.message().contains(needle),
            "{query}: {}",
            refused.text
        );
    }
    for path in [
        "accounts?$select=name&$apply=groupby((name))",
        "accounts/$count?$apply=groupby((name))",
        "EntityDefinitions?$apply=groupby((LogicalName))",
    ] {
        let refused = env.get(path).await;
        assert_eq!(refused.status, 400, "{path}: {}", refused.text);
        assert!(
            refused.message().contains("$apply"),
            "{path}: {}",
            refused.text
        );
    }
}
