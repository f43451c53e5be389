//! Hostile values and queries through the real HTTP server: zone offsets, numbers and page
//! numbers that would overflow, and queries whose evaluation grows exponentially. Each answers
//! 400 and the server keeps serving.

use reqwest::Method;
use serde_json::json;

use crate::shape::batch_parts;
use crate::support::{Env, ODATA_ERROR, assert_still_serving, encode, start};

/// Dataverse's code for validation errors (values out of range).
const VALIDATION: &str = "0x80044331";

#[tokio::test]
async fn zone_offsets_beyond_a_day_answer_400() {
    let env = start().await;
    for offset in [
        "+3000000000000000000:00",
        "-24:00",
        "+01:3000000000000000000",
    ] {
        let filter = format!("createdon gt 2020-01-01T10:00{offset}");
        let answer = env
            .get(&format!(
                "accounts?$select=name&$filter={}",
                encode(&filter)
            ))
            .await;
        assert_eq!(answer.status, 400, "{offset}: {}", answer.text);
        let answer = env
            .post(
                "tasks",
                json!({ "subject": "x", "scheduledstart": format!("2020-01-01T10:00{offset}") }),
            )
            .await;
        assert_eq!(answer.status, 400, "{offset}: {}", answer.text);
    }
    assert_eq!(env.emu.seed().row_count("tasks"), 0);
    // An offset within a day still works.
    let task = env
        .create(
            "tasks",
            json!({ "subject": "t", "scheduledstart": "2020-01-01T10:00+05:30" }),
        )
        .await;
    let stored = env
        .get(&format!("tasks({task})?$select=scheduledstart"))
        .await;
    assert_eq!(
        stored.expect(200)["scheduledstart"],
        "2020-01-01T04:30:00Z",
        "{}",
        stored.text
    );
    assert_still_serving(&env).await;
}

#[tokio::test]
async fn numbers_must_be_finite_and_within_the_documented_ranges() {
    let env = start().await;
    for revenue in [
        json!("NaN"),
        json!("inf"),
        json!("-infinity"),
        json!("1e308"),
        json!(1e308),
        json!(922_337_203_685_478_i64),
        json!(-922_337_203_685_478_i64),
    ] {
        let answer = env
            .post("accounts", json!({ "name": "x", "revenue": revenue }))
            .await;
        assert_eq!(answer.status, 400, "{revenue}: {}", answer.text);
    }
    let beyond = env
        .post(
            "accounts",
            json!({ "name": "x", "revenue": 922_337_203_685_478_i64 }),
        )
        .await;
    assert_eq!(beyond.code(), VALIDATION, "{}", beyond.text);
    assert!(
        beyond.message().contains("922337203685477"),
        "{}",
        beyond.text
    );
    let not_a_number = env
        .post("accounts", json!({ "name": "x", "revenue": "NaN" }))
        .await;
    assert_eq!(not_a_number.code(), ODATA_ERROR, "{}", not_a_number.text);
    for latitude in [json!(100_000_000_001_i64), json!("-1e11000")] {
        let answer = env
            .post(
                "accounts",
                json!({ "name": "x", "address1_latitude": latitude }),
            )
            .await;
        assert_eq!(answer.status, 400, "{latitude}: {}", answer.text);
    }
    assert_eq!(env.emu.seed().row_count("accounts"), 0);
    // The bounds themselves are accepted and read back.
    let account = env
        .create(
            "accounts",
            json!({
                "name": "max",
                "revenue": 922_337_203_685_477_i64,
                "address1_latitude": -100_000_000_000_i64,
            }),
        )
        .await;
    let read = env
        .get(&format!(
            "accounts({account})?$select=revenue,address1_latitude"
        ))
        .await;
    let body = read.expect(200);
    assert_eq!(body["revenue"].as_f64(), Some(922_337_203_685_477.0));
    assert_eq!(body["address1_latitude"].as_f64(), Some(-100_000_000_000.0));
    assert_still_serving(&env).await;
}

/// `$skiptoken` with the given outer page number and a cookie after `last`.
fn skiptoken(page: u64, last: &str) -> String {
    let inner = format!(
        "%253ccookie%2520page%253d%25221%2522%253e%253caccountid%2520last%253d%2522%257b{last}%257d%2522%2520first%253d%2522%257b{last}%257d%2522%2520%252f%253e%253c%252fcookie%253e"
    );
    encode(&format!(
        "<cookie pagenumber=\"{page}\" pagingcookie=\"{inner}\" istracking=\"False\" />"
    ))
}

#[tokio::test]
async fn page_numbers_that_cannot_be_followed_answer_400() {
    let env = start().await;
    for name in ["a", "b", "c"] {
        env.create("accounts", json!({ "name": name })).await;
    }
    let prefer = [("Prefer", "odata.maxpagesize=1")];
    let first = env
        .send(Method::GET, "accounts?$select=name", &prefer, None)
        .await;
    let first_id = first.expect(200)["value"][0]["accountid"]
        .as_str()
        .expect("id")
        .to_uppercase();
    // There are rows after the cookie, so the answer would link a next page.
    for page in [4_294_967_295_u64, 2_147_483_648] {
        let answer = env
            .send(
                Method::GET,
                &format!(
                    "accounts?$select=name&$skiptoken={}",
                    skiptoken(page, &first_id)
                ),
                &prefer,
                None,
            )
            .await;
        assert_eq!(answer.status, 400, "{page}: {}", answer.text);
        assert_eq!(answer.code(), ODATA_ERROR, "{}", answer.text);
    }
    let followed = env
        .send(
            Method::GET,
            &format!(
                "accounts?$select=name&$skiptoken={}",
                skiptoken(2, &first_id)
            ),
            &prefer,
            None,
        )
        .await;
    assert_eq!(
        followed.expect(200)["value"].as_array().map(Vec::len),
        Some(1)
    );

    // FetchXML: `page` with a paging cookie after the first row.
    let cookie = format!(
        "&lt;cookie page=&quot;1&quot;&gt;&lt;accountid last=&quot;{{{first_id}}}&quot; first=&quot;{{{first_id}}}&quot; /&gt;&lt;/cookie&gt;"
    );
    let fetch = |page: u64| {
        format!(
            "<fetch count=\"1\" page=\"{page}\" paging-cookie=\"{cookie}\"><entity name=\"account\"><attribute name=\"name\"/></entity></fetch>"
        )
    };
    let annotations = [(
        "Prefer",
        "odata.include-annotations=\"Microsoft.Dynamics.CRM.fetchxmlpagingcookie\"",
    )];
    for page in [4_294_967_295_u64, 2_147_483_648, 99_999_999_999] {
        let answer = env
            .send(
                Method::GET,
                &format!("accounts?fetchXml={}", encode(&fetch(page))),
                &annotations,
                None,
            )
            .await;
        assert_eq!(answer.status, 400, "{page}: {}", answer.text);
        assert!(answer.message().contains("page"), "{}", answer.text);
    }
    let second = env
        .send(
            Method::GET,
            &format!("accounts?fetchXml={}", encode(&fetch(2))),
            &annotations,
            None,
        )
        .await;
    let body = second.expect(200);
    assert_eq!(
        body["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        second.text
    );
    assert!(
        body["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"]
            .as_str()
            .is_some_and(|c| c.contains("pagenumber=\"3\"")),
        "{}",
        second.text
    );
    assert_still_serving(&env).await;
}

/// Four users and four teams, every user a member of every team.
async fn users_in_teams(env: &Env) -> Vec<String> {
    let mut users = Vec::new();
    for n in 0..4 {
        users.push(
            env.create(
                "systemusers",
                json!({
                    "firstname": "u",
                    "lastname": format!("{n}"),
                    "domainname": format!("u{n}@contoso.onmicrosoft.com"),
                }),
            )
            .await,
        );
    }
    for n in 0..4 {
        let team = env
            .create("teams", json!({ "name": format!("t{n}"), "teamtype": 0 }))
            .await;
        for user in &users {
            env.post(
                &format!("teams({team})/teammembership_association/$ref"),
                json!({ "@odata.id": format!("{}systemusers({user})", env.emu.web_api_url()) }),
            )
            .await
            .expect(204);
        }
    }
    users
}

/// `nav/any(x:nav/any(…body…))`, `levels` deep, from systemusers through teams and back.
fn nested_any(levels: usize, body: &str) -> String {
    let mut text = body.to_owned();
    for level in (0..levels).rev() {
        let prefix = if level == 0 {
            String::new()
        } else {
            format!("x{level}/")
        };
        text = format!(
            "{prefix}teammembership_association/any(x{}:{text})",
            level + 1
        );
    }
    text
}

#[tokio::test]
async fn exponential_queries_answer_400_and_the_server_keeps_serving() {
    let env = start().await;
    let users = users_in_teams(&env).await;
    // Nineteen nested lambdas (4^19 evaluations) are refused as soon as they are read.
    let hostile = env
        .get(&format!(
            "systemusers?$select=fullname&$filter={}",
            encode(&nested_any(19, "x19/name eq 'none'"))
        ))
        .await;
    assert_eq!(hostile.status, 400, "{}", hostile.text);
    assert_eq!(hostile.code(), ODATA_ERROR, "{}", hostile.text);
    assert!(hostile.message().contains("any/all"), "{}", hostile.text);
    // Four levels are allowed and evaluated.
    let four = env
        .get(&format!(
            "systemusers?$select=fullname&$filter={}",
            encode(&nested_any(4, "x4/fullname eq 'u 0'"))
        ))
        .await;
    assert!(
        four.expect(200)["value"]
            .as_array()
            .is_some_and(|v| v.len() >= 4),
        "{}",
        four.text
    );
    // Fifteen nested collection expansions (about 4^15 rows) run out of budget.
    // `selects`: the columns of the outermost level's rows, then of the next level's.
    let expansion = |selects: [&str; 2]| {
        let mut text = String::new();
        for level in (0..15).rev() {
            let select = selects[level % 2];
            text = if text.is_empty() {
                format!("teammembership_association($select={select})")
            } else {
                format!("teammembership_association($select={select};$expand={text})")
            };
        }
        text
    };
    let expand = expansion(["name", "fullname"]);
    let expanded = env
        .get(&format!(
            "systemusers?$select=fullname&$expand={}",
            encode(&expand)
        ))
        .await;
    assert_eq!(expanded.status, 400, "{}", expanded.text);
    assert_eq!(expanded.code(), ODATA_ERROR, "{}", expanded.text);
    assert!(
        expanded.message().contains("too complex"),
        "{}",
        expanded.text
    );
    // Inside a batch: the part that spends the budget answers 400, and so does every later
    // part (the batch holds the rows' lock throughout); earlier parts keep their answers.
    let part = |url: &str| {
        format!(
            "--batch_r\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: \
             binary\r\n\r\nGET {url} HTTP/1.1\r\nAccept: application/json\r\n\r\n\r\n"
        )
    };
    let body = format!(
        "{}{}{}--batch_r--\r\n",
        part("systemusers?$select=fullname"),
        part(&format!(
            "systemusers?$select=fullname&$expand={}",
            encode(&expand)
        )),
        part("accounts?$select=name"),
    );
    let batch = env
        .http
        .post(env.url("$batch"))
        .bearer_auth(&env.token)
        .header("Content-Type", "multipart/mixed; boundary=batch_r")
        .header("OData-Version", "4.0")
        .header("Prefer", "odata.continue-on-error")
        .body(body)
        .send()
        .await
        .expect("sent");
    let batch = crate::support::answer(batch).await;
    assert_eq!(batch.status, 200, "{}", batch.text);
    let parts = batch_parts(&batch.text);
    let statuses: Vec<u16> = parts.iter().map(|p| p.status).collect();
    assert_eq!(statuses, vec![200, 400, 400], "{}", batch.text);
    assert!(batch.text.contains("too complex"), "{}", batch.text);
    // A create whose representation expands too much is undone, not committed behind a 400.
    let teams = env.emu.seed().row_count("teams");
    let members: Vec<String> = users.iter().map(|u| format!("/systemusers({u})")).collect();
    let created = env
        .send(
            Method::POST,
            &format!(
                "teams?$select=name&$expand={}",
                encode(&expansion(["fullname", "name"]))
            ),
            &[("Prefer", "return=representation")],
            Some(json!({
                "name": "t-expanded",
                "teamtype": 0,
                "teammembership_association@odata.bind": members,
            })),
        )
        .await;
    assert_eq!(created.status, 400, "{}", created.text);
    assert!(
        created.message().contains("too complex"),
        "{}",
        created.text
    );
    assert_eq!(env.emu.seed().row_count("teams"), teams);
    // An ordinary expansion of the same rows still works.
    let single = env
        .get(&format!(
            "systemusers?$select=fullname&$top=1&$expand={}",
            encode("teammembership_association($select=name)")
        ))
        .await;
    single.expect(200);
    assert_still_serving(&env).await;
}
