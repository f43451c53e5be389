//! Hostile input through the real HTTP server: queries nested deep enough to exhaust a thread
//! stack answer 400 (and the server keeps serving), unknown query parameters are refused, and
//! `$batch` request lines keep URLs with spaces whole.

use std::io::{Read, Write};

use serde_json::{Value, json};

use crate::shape::batch_parts;
use crate::support::{Answer, Env, ODATA_ERROR, answer, assert_still_serving, encode, start};

fn assert_too_deep(answer: &Answer) {
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.code(), ODATA_ERROR, "{}", answer.text);
    assert!(
        answer.message().contains("recursion limit") || answer.message().contains("nested"),
        "{}",
        answer.text
    );
}

/// Sends `GET {path_and_query}` over a plain socket, for a query string longer than the
/// HTTP client's URL encoding allows (hyper accepts URIs up to 65,534 bytes). Returns the
/// status and body.
async fn raw_get(env: &Env, path_and_query: String) -> (u16, String) {
    let url = env.emu.base_url().clone();
    let token = env.token.clone();
    tokio::task::spawn_blocking(move || {
        let host = url.host_str().expect("host").to_owned();
        let port = url.port().expect("port");
        let mut stream = std::net::TcpStream::connect((host.as_str(), port)).expect("connects");
        let request = format!(
            "GET {path_and_query} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer \
             {token}\r\nAccept: application/json\r\nOData-Version: 4.0\r\nConnection: \
             close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).expect("sent");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("answer read");
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    })
    .await
    .expect("raw client finished")
}

fn nested_fetch(levels: usize) -> String {
    format!(
        "<fetch><entity name='account'><attribute name='name'/>{}<condition attribute='name' \
         operator='eq' value='a'/>{}</entity></fetch>",
        "<filter>".repeat(levels),
        "</filter>".repeat(levels)
    )
}

#[tokio::test]
async fn two_thousand_nested_parentheses_answer_400() {
    let env = start().await;
    let filter = format!("{}name eq 'a'{}", "(".repeat(2000), ")".repeat(2000));
    let answer = env
        .get(&format!("accounts?$filter={}", encode(&filter)))
        .await;
    assert_too_deep(&answer);
    assert_still_serving(&env).await;
}

#[tokio::test]
async fn ten_thousand_nots_answer_400() {
    let env = start().await;
    let filter = format!("{}name eq 'a'", "not ".repeat(10_000));
    let answer = env
        .get(&format!("accounts?$filter={}", encode(&filter)))
        .await;
    assert_too_deep(&answer);
    assert_still_serving(&env).await;
}

#[tokio::test]
async fn filters_within_the_limits_still_work() {
    let env = start().await;
    env.create("accounts", json!({ "name": "a" })).await;
    env.create("accounts", json!({ "name": "b" })).await;
    // 190 nested groups: deep, but within the limits.
    let nested = format!(
        "{}name eq 'a'{}",
        "(name eq 'zz' or ".repeat(190),
        ")".repeat(190)
    );
    let answer = env
        .get(&format!(
            "accounts?$select=name&$filter={}",
            encode(&nested)
        ))
        .await;
    answer.expect(200);
    assert_eq!(answer.values().len(), 1, "{}", answer.text);
    // An even number of `not`s cancels out.
    let nots = format!("{}name eq 'b'", "not ".repeat(700));
    let answer = env
        .get(&format!("accounts?$select=name&$filter={}", encode(&nots)))
        .await;
    answer.expect(200);
    assert_eq!(answer.values()[0]["name"], "b", "{}", answer.text);
    // A long `or` chain is not a deep one.
    let chain = (0..1500)
        .map(|i| format!("name eq 'x{i}'"))
        .chain(std::iter::once("name eq 'b'".to_owned()))
        .collect::<Vec<_>>()
        .join(" or ");
    let answer = env
        .get(&format!("accounts?$select=name&$filter={}", encode(&chain)))
        .await;
    answer.expect(200);
    assert_eq!(answer.values().len(), 1, "{}", answer.text);
}

/// FetchXML for a URL with as little encoding as HTTP allows (`<`, `>` and spaces).
fn lightly_encoded(xml: &str) -> String {
    xml.replace('<', "%3C")
        .replace('>', "%3E")
        .replace(' ', "%20")
}

#[tokio::test]
async fn thousands_of_nested_fetchxml_filters_answer_400() {
    let env = start().await;
    // 2,500 levels is as deep as fits in the 65,534-byte request target hyper accepts.
    let xml = lightly_encoded(&nested_fetch(2500));
    let (status, body) = raw_get(&env, format!("/api/data/v9.2/accounts?fetchXml={xml}")).await;
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(body["error"]["code"], ODATA_ERROR, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nested more than 100 levels")),
        "{body}"
    );
    // 3,000 levels do not fit in a URL: the HTTP layer refuses the request line itself (414),
    // and the server keeps serving. Inside a `$batch` they reach the parser (see below).
    let xml = lightly_encoded(&nested_fetch(3000));
    let (status, _) = raw_get(&env, format!("/api/data/v9.2/accounts?fetchXml={xml}")).await;
    assert_eq!(status, 414);
    assert_still_serving(&env).await;
}

#[tokio::test]
async fn nested_fetchxml_filters_within_the_limit_work() {
    let env = start().await;
    env.create("accounts", json!({ "name": "a" })).await;
    let answer = env
        .get(&format!("accounts?fetchXml={}", encode(&nested_fetch(100))))
        .await;
    answer.expect(200);
    assert_eq!(answer.values().len(), 1, "{}", answer.text);
    let answer = env
        .get(&format!("accounts?fetchXml={}", encode(&nested_fetch(101))))
        .await;
    assert_too_deep(&answer);
}

async fn send_batch(env: &Env, body: String) -> Answer {
    let request = env
        .http
        .post(env.url("$batch"))
        .bearer_auth(&env.token)
        .header("Content-Type", "multipart/mixed; boundary=batch_r")
        .header("OData-Version", "4.0")
        .header("Prefer", "odata.continue-on-error");
    answer(request.body(body).send().await.expect("sent")).await
}

fn get_part(url: &str) -> String {
    format!(
        "--batch_r\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: \
         binary\r\n\r\nGET {url} HTTP/1.1\r\nAccept: application/json\r\n\r\n\r\n"
    )
}

#[tokio::test]
async fn deep_queries_inside_a_batch_answer_400_per_part() {
    let env = start().await;
    // As deep as fits in a part's request line (64 KiB, like a direct request's URL).
    let fetch = lightly_encoded(&nested_fetch(2500));
    let parens = encode(&format!(
        "{}name eq 'a'{}",
        "(".repeat(2000),
        ")".repeat(2000)
    ));
    let nots = encode(&format!("{}name eq 'a'", "not ".repeat(10_000)));
    let body = format!(
        "{}{}{}{}--batch_r--\r\n",
        get_part(&format!("/api/data/v9.2/accounts?fetchXml={fetch}")),
        get_part(&format!("accounts?$filter={parens}")),
        get_part(&format!("accounts?$filter={nots}")),
        get_part("accounts?$select=name"),
    );
    let answer = send_batch(&env, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let statuses: Vec<u16> = batch_parts(&answer.text).iter().map(|p| p.status).collect();
    assert_eq!(statuses, vec![400, 400, 400, 200], "{}", answer.text);
    assert_still_serving(&env).await;
}

#[tokio::test]
async fn batch_request_lines_keep_urls_with_spaces() {
    let env = start().await;
    env.create("accounts", json!({ "name": "a b" })).await;
    env.create("accounts", json!({ "name": "a" })).await;
    let body = format!(
        "{}--batch_r--\r\n",
        get_part("accounts?$select=name&$filter=name eq 'a b'")
    );
    let answer = send_batch(&env, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let parts = batch_parts(&answer.text);
    assert_eq!(parts.len(), 1, "{}", answer.text);
    assert_eq!(parts[0].status, 200, "{}", answer.text);
    let rows: Value = serde_json::from_str(&parts[0].body).expect("JSON part body");
    let names: Vec<&str> = rows["value"]
        .as_array()
        .expect("value")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, vec!["a b"]);

    // A request line without an HTTP version is malformed.
    let body = format!(
        "--batch_r\r\nContent-Type: application/http\r\n\r\nGET accounts\r\n\r\n\r\n{}",
        "--batch_r--\r\n"
    );
    let answer = send_batch(&env, body).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
}

/// A part's URL can be as long as the 64 MB body allows, far past the 64 KiB hyper lets a
/// direct request have: such a request line is refused (400 for the whole batch) before any
/// of it is tokenized, and the server keeps serving.
#[tokio::test]
async fn a_megabyte_part_url_is_refused_and_the_server_keeps_serving() {
    let env = start().await;
    let url = format!("accounts?$filter={}name eq 'a'", "(".repeat(1024 * 1024));
    let body = format!("{}{}--batch_r--\r\n", get_part(&url), get_part("accounts"));
    let answer = send_batch(&env, body).await;
    assert_eq!(
        answer.status,
        400,
        "{}",
        &answer.text[..answer.text.len().min(500)]
    );
    assert!(
        answer.message().contains("request line"),
        "{}",
        answer.message()
    );
    assert!(
        answer.text.len() < 4096,
        "the over-long line is not echoed: {} bytes",
        answer.text.len()
    );
    assert_still_serving(&env).await;

    // Just under the limit the part is read and answered per part.
    let filter = format!("{}name eq 'a'{}", "(".repeat(20), ")".repeat(20));
    let body = format!(
        "{}--batch_r--\r\n",
        get_part(&format!("accounts?$filter={filter}"))
    );
    let answer = send_batch(&env, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

/// A parameter alias used thousands of times would be re-read at every use: a request whose
/// alias uses add up to more than a megabyte of text is refused with 400, on a direct request
/// and inside a `$batch`.
#[tokio::test]
async fn alias_uses_expanding_past_the_budget_answer_400() {
    let env = start().await;
    let value = format!("'{}'", "x".repeat(30_000));
    let uses = vec!["name eq @p"; 40].join(" or ");
    let query = format!("accounts?$filter={}&@p={}", encode(&uses), encode(&value));
    let answer = env.get(&query).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(answer.message().contains("aliases"), "{}", answer.text);

    let body = format!("{}--batch_r--\r\n", get_part(&query));
    let answer = send_batch(&env, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let statuses: Vec<u16> = batch_parts(&answer.text).iter().map(|p| p.status).collect();
    assert_eq!(statuses, vec![400], "{}", answer.text);

    // A few uses of a short alias are fine.
    let query = format!(
        "accounts?$filter={}&@p={}",
        encode("name eq @p or name eq @p"),
        encode("'a'")
    );
    env.get(&query).await.expect(200);
    assert_still_serving(&env).await;
}

#[tokio::test]
async fn deeply_nested_json_bodies_answer_400() {
    let env = start().await;
    let depth = 10_000;
    let nested = format!(
        "{{\"name\":\"x\",\"description\":{}1{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let response = env
        .http
        .post(env.url("accounts"))
        .bearer_auth(&env.token)
        .header("Content-Type", "application/json")
        .header("OData-Version", "4.0")
        .body(nested)
        .send()
        .await
        .expect("sent");
    let answer = answer(response).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(env.emu.seed().row_count("accounts"), 0);
    assert_still_serving(&env).await;
}

#[tokio::test]
async fn expand_is_limited_to_fifteen_options() {
    let env = start().await;
    let nested = |levels: usize| {
        let mut text = String::from("primarycontactid($select=fullname)");
        for level in 1..levels {
            text = if level % 2 == 1 {
                format!("account_primary_contact($select=name;$expand={text})")
            } else {
                format!("primarycontactid($select=fullname;$expand={text})")
            };
        }
        text
    };
    // An odd number of levels starts from accounts, an even one from contacts.
    let ok = env
        .get(&format!("accounts?$select=name&$expand={}", nested(15)))
        .await;
    ok.expect(200);
    // Fifteen levels of expansion, the deepest filter tree allowed on the first collection
    // level, over rows that relate in a cycle, so every level is rendered and filtered.
    let account = env.create("accounts", json!({ "name": "a" })).await;
    let contact = env
        .create(
            "contacts",
            json!({ "lastname": "c", "parentcustomerid_account@odata.bind": format!("/accounts({account})") }),
        )
        .await;
    env.patch(
        &format!("accounts({account})"),
        json!({ "primarycontactid@odata.bind": format!("/contacts({contact})") }),
    )
    .await
    .expect(204);
    let mut deep_filter = "name eq 'a'".to_owned();
    for _ in 0..66 {
        deep_filter = format!("({deep_filter}{})", " or name eq 'zz'".repeat(4));
    }
    let filtered = nested(15).replacen(
        "account_primary_contact($select=name;",
        &format!("account_primary_contact($select=name;$filter={deep_filter};"),
        1,
    );
    let answer = env
        .get(&format!(
            "accounts({account})?$select=name&$expand={}",
            encode(&filtered)
        ))
        .await;
    answer.expect(200);
    let deep = env
        .get(&format!("contacts?$select=fullname&$expand={}", nested(16)))
        .await;
    assert_eq!(deep.status, 400, "{}", deep.text);
    assert_eq!(deep.code(), ODATA_ERROR);
    assert!(deep.message().contains("15"), "{}", deep.text);
    let cyclic = env
        .get(&format!(
            "contacts?$select=fullname&$expand={}",
            nested(400)
        ))
        .await;
    assert_eq!(cyclic.status, 400, "{}", cyclic.text);
    assert_still_serving(&env).await;
}

#[tokio::test]
async fn unknown_query_parameters_answer_400() {
    let env = start().await;
    for (query, name) in [
        ("sql=select%20*%20from%20account", "sql"),
        ("$foo=1", "$foo"),
        ("$fitler=name%20eq%20'a'", "$fitler"),
        ("$select=name&utm_source=x", "utm_source"),
    ] {
        let answer = env.get(&format!("accounts?{query}")).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.text);
        assert_eq!(answer.code(), "0x0", "{query}: {}", answer.text);
        assert_eq!(
            answer.message(),
            format!("The query parameter {name} is not supported"),
            "{query}"
        );
    }
    let saved = env
        .get("accounts?savedQuery=00000000-0000-0000-00aa-000000666000")
        .await;
    assert_eq!(saved.status, 400, "{}", saved.text);
    assert!(saved.message().contains("savedQuery"), "{}", saved.text);
    let repeated = env.get("accounts?fetchXml=a&fetchXml=b").await;
    assert_eq!(repeated.status, 400, "{}", repeated.text);

    // Parameter aliases and the documented options still work.
    env.create("accounts", json!({ "name": "a" })).await;
    let aliased = env
        .get("accounts?$select=name&$filter=name%20eq%20@p1&@p1='a'")
        .await;
    aliased.expect(200);
    assert_eq!(aliased.values().len(), 1, "{}", aliased.text);
    let single = env.get("WhoAmI?sql=1").await;
    assert_eq!(single.status, 400, "{}", single.text);
}

#[tokio::test]
async fn deep_inserts_nested_to_the_json_limit_do_not_crash() {
    let env = start().await;
    // 120 nested objects: as deep as a body can be under serde_json's nesting limit of 128.
    let mut body = json!({ "name": "leaf" });
    for level in 0..120 {
        body = if level % 2 == 0 {
            json!({ "lastname": format!("c{level}"), "parentcustomerid_account": body })
        } else {
            json!({ "name": format!("a{level}"), "primarycontactid": body })
        };
    }
    // Level 119 is odd, so the outermost object is an account.
    let answer = env.post("accounts", body).await;
    answer.expect(204);
    assert_eq!(env.emu.seed().row_count("accounts"), 61);
    assert_eq!(env.emu.seed().row_count("contacts"), 60);
    assert_still_serving(&env).await;
}

/// Generated hostile input through the real server: every answer is a 200 or a 400 with a
/// Dataverse error body, never a 5xx or a dropped connection.
#[test]
fn generated_hostile_queries_through_http_are_200_or_400() {
    use proptest::prelude::*;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let env = runtime.block_on(start());
    let check = |answer: &Answer| -> Result<(), TestCaseError> {
        prop_assert!(
            answer.status == 200 || answer.status == 400,
            "{}: {}",
            answer.status,
            answer.text
        );
        if answer.status == 400 {
            prop_assert!(answer.body["error"]["code"].is_string(), "{}", answer.text);
        }
        Ok(())
    };
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    proptest!(config.clone(), |(filter in "[a-z0-9 ()'@/,:=.-]{0,60}|(\\(|not ){0,1500}name eq 'a'\\){0,1500}")| {
        let answer = runtime.block_on(env.get(&format!("accounts?$select=name&$filter={}", encode(&filter))));
        check(&answer)?;
    });
    proptest!(config.clone(), |(levels in 0usize..1500, junk in "[<>/a-z '=]{0,30}")| {
        let xml = format!("{}{junk}", nested_fetch(levels));
        let answer = runtime.block_on(env.get(&format!("accounts?fetchXml={}", lightly_encoded(&xml))));
        check(&answer)?;
    });
    proptest!(config, |(line in "[ -~]{0,60}", parts in 0usize..4)| {
        let mut body = String::new();
        for _ in 0..parts {
            body.push_str(&format!(
                "--batch_r\r\nContent-Type: application/http\r\n\r\n{line}\r\n\r\n\r\n"
            ));
        }
        body.push_str("--batch_r--\r\n");
        let answer = runtime.block_on(send_batch(&env, body));
        check(&answer)?;
    });
    runtime.block_on(assert_still_serving(&env));
}

/// The deepest trees the parser lets through are bound and evaluated without exhausting the
/// stack; one level more is refused as too deep.
#[tokio::test]
async fn the_deepest_accepted_filter_tree_is_evaluated() {
    let env = start().await;
    env.create("accounts", json!({ "name": "a" })).await;
    // Each group is the first of a chain of five, which the balanced tree puts three levels
    // down: 66 groups make 199 levels (the limit is 200), 67 make 202.
    let nested = |levels: usize| {
        let mut text = "name eq 'a'".to_owned();
        for _ in 0..levels {
            text = format!("({text}{})", " or name eq 'zz'".repeat(4));
        }
        text
    };
    let deep = env
        .get(&format!(
            "accounts?$select=name&$filter={}",
            encode(&nested(66))
        ))
        .await;
    deep.expect(200);
    assert_eq!(deep.values().len(), 1, "{}", deep.text);
    let deeper = env
        .get(&format!(
            "accounts?$select=name&$filter={}",
            encode(&nested(67))
        ))
        .await;
    assert_too_deep(&deeper);
    assert_still_serving(&env).await;
}

/// Lambdas nested to the nesting limit (four) over rows that relate to each other in a cycle:
/// bound and evaluated all the way down; one more, up to far beyond the tree limit, is
/// refused.
#[tokio::test]
async fn nested_lambdas_to_the_limit_are_evaluated() {
    let env = start().await;
    let account = env.create("accounts", json!({ "name": "a" })).await;
    let contact = env
        .create(
            "contacts",
            json!({
                "lastname": "c",
                "parentcustomerid_account@odata.bind": format!("/accounts({account})"),
            }),
        )
        .await;
    env.patch(
        &format!("accounts({account})"),
        json!({ "primarycontactid@odata.bind": format!("/contacts({contact})") }),
    )
    .await
    .expect(204);
    // account → its contacts → the accounts they are primary contact of → …; at most four
    // lambdas nest (each also costs ten of the 200 tree levels, so 20 would not fit anyway).
    let nested = |levels: usize| {
        let mut text = if levels % 2 == 1 {
            "x/lastname eq 'c'".to_owned()
        } else {
            "x/name eq 'a'".to_owned()
        };
        for level in (0..levels).rev() {
            let nav = if level % 2 == 0 {
                "contact_customer_accounts"
            } else {
                "account_primary_contact"
            };
            let prefix = if level == 0 { "" } else { "x/" };
            text = format!("{prefix}{nav}/any(x:{text})");
        }
        text
    };
    let answer = env
        .get(&format!(
            "accounts?$select=name&$filter={}",
            encode(&nested(4))
        ))
        .await;
    answer.expect(200);
    assert_eq!(answer.values().len(), 1, "{}", answer.text);
    // The nesting limit is reached long before the tree limit.
    for levels in [5, 19, 20, 199, 1000] {
        let answer = env
            .get(&format!(
                "accounts?$select=name&$filter={}",
                encode(&nested(levels))
            ))
            .await;
        assert_eq!(answer.status, 400, "{levels}: {}", answer.text);
        assert_eq!(answer.code(), ODATA_ERROR, "{}", answer.text);
        assert!(answer.message().contains("any/all"), "{}", answer.text);
    }
    assert_still_serving(&env).await;
}
