//! `$batch`: change-set atomicity, stop-on-error and continue-on-error, Content-ID references,
//! the 1000-operation limit, GET in a change set.

use serde_json::Value;

use crate::shape::batch_parts;
use crate::support::{Answer, Env, answer, start};

async fn send_batch(env: &Env, body: &str, prefer: Option<&str>) -> Answer {
    let mut request = env
        .http
        .post(env.url("$batch"))
        .bearer_auth(&env.token)
        .header("Content-Type", "multipart/mixed; boundary=\"batch_test\"")
        .header("OData-Version", "4.0");
    if let Some(prefer) = prefer {
        request = request.header("Prefer", prefer);
    }
    answer(request.body(body.to_owned()).send().await.expect("sent")).await
}

fn part(method: &str, url: &str, content_id: Option<&str>, body: Option<&str>) -> String {
    let mut text =
        String::from("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
    if let Some(id) = content_id {
        text.push_str(&format!("Content-ID: {id}\r\n"));
    }
    text.push_str(&format!("\r\n{method} {url} HTTP/1.1\r\n"));
    if body.is_some() {
        text.push_str("Content-Type: application/json; type=entry\r\n");
    }
    text.push_str("\r\n");
    if let Some(body) = body {
        text.push_str(body);
        text.push_str("\r\n");
    }
    text
}

fn batch(items: &[String]) -> String {
    let mut text = String::new();
    for item in items {
        text.push_str("--batch_test\r\n");
        text.push_str(item);
    }
    text.push_str("--batch_test--\r\n");
    text
}

fn change_set(parts: &[String]) -> String {
    let mut text = String::from("Content-Type: multipart/mixed; boundary=changeset_test\r\n\r\n");
    for part in parts {
        text.push_str("--changeset_test\r\n");
        text.push_str(part);
    }
    text.push_str("--changeset_test--\r\n");
    text
}

#[tokio::test]
async fn change_sets_are_atomic() {
    let env = start().await;
    let body = batch(&[change_set(&[
        part(
            "POST",
            "/api/data/v9.2/accounts",
            Some("1"),
            Some(r#"{"name":"Kept only if all succeed"}"#),
        ),
        part(
            "POST",
            "/api/data/v9.2/tasks",
            Some("2"),
            Some(&format!(r#"{{"subject":"{}"}}"#, "x".repeat(300))),
        ),
    ])]);
    let answer = send_batch(&env, &body, None).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(
        answer
            .header("Content-Type")
            .is_some_and(|c| c.starts_with("multipart/mixed; boundary=batchresponse_"))
    );
    let parts = batch_parts(&answer.text);
    assert_eq!(
        parts.len(),
        1,
        "only the failing part is reported: {}",
        answer.text
    );
    assert_eq!(parts[0].status, 400);
    assert_eq!(
        env.emu.seed().row_count("accounts"),
        0,
        "the first create was rolled back"
    );
}

#[tokio::test]
async fn stop_at_first_failure_or_continue() {
    let env = start().await;
    let items = [
        part(
            "POST",
            "/api/data/v9.2/accounts",
            None,
            Some(r#"{"name":"one"}"#),
        ),
        part(
            "POST",
            "/api/data/v9.2/accounts",
            None,
            Some(r#"{"nosuch":1}"#),
        ),
        part(
            "POST",
            "/api/data/v9.2/accounts",
            None,
            Some(r#"{"name":"three"}"#),
        ),
    ];
    let stopped = send_batch(&env, &batch(&items), None).await;
    assert_eq!(stopped.status, 400);
    let statuses: Vec<u16> = batch_parts(&stopped.text)
        .iter()
        .map(|p| p.status)
        .collect();
    assert_eq!(statuses, [204, 400]);
    assert_eq!(env.emu.seed().row_count("accounts"), 1);
    let continued = send_batch(&env, &batch(&items), Some("odata.continue-on-error")).await;
    assert_eq!(continued.status, 200);
    let parts = batch_parts(&continued.text);
    let statuses: Vec<u16> = parts.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [204, 400, 204]);
    assert!(parts[0].headers.iter().any(|(n, _)| n == "OData-EntityId"));
    assert!(parts[0].headers.iter().any(|(n, _)| n == "Location"));
    assert_eq!(env.emu.seed().row_count("accounts"), 3);
}

#[tokio::test]
async fn content_id_references_in_urls_and_bodies() {
    let env = start().await;
    let body = batch(&[
        change_set(&[
            part(
                "POST",
                "/api/data/v9.2/contacts",
                Some("1"),
                Some(r#"{"firstname":"Ref","lastname":"Contact"}"#),
            ),
            part(
                "POST",
                "accounts",
                Some("2"),
                Some(r#"{"name":"Ref account","primarycontactid@odata.bind":"$1"}"#),
            ),
            part("PATCH", "$2", Some("3"), Some(r#"{"telephone1":"555"}"#)),
            part(
                "PUT",
                "$1/parentcustomerid_account/$ref",
                Some("4"),
                Some(r#"{"@odata.id":"$2"}"#),
            ),
        ]),
        part(
            "GET",
            "/api/data/v9.2/accounts?$select=name,telephone1&$expand=primarycontactid($select=fullname)",
            None,
            None,
        ),
    ]);
    let answer = send_batch(&env, &body, None).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let parts = batch_parts(&answer.text);
    assert_eq!(parts.len(), 5);
    assert!(
        parts[..4]
            .iter()
            .all(|p| p.in_change_set && p.status == 204)
    );
    assert_eq!(parts[0].content_id.as_deref(), Some("1"));
    let listing: Value = serde_json::from_str(&parts[4].body).expect("JSON");
    assert_eq!(listing["value"][0]["telephone1"], "555");
    assert_eq!(
        listing["value"][0]["primarycontactid"]["fullname"],
        "Ref Contact"
    );
    let contacts = env.emu.seed().rows("contacts");
    assert!(contacts[0]["_parentcustomerid_value"].is_string());
}

#[tokio::test]
async fn unknown_content_id_is_refused() {
    let env = start().await;
    let body = batch(&[change_set(&[
        part(
            "POST",
            "/api/data/v9.2/accounts",
            Some("1"),
            Some(r#"{"name":"a"}"#),
        ),
        part(
            "POST",
            "/api/data/v9.2/accounts",
            Some("2"),
            Some(r#"{"name":"b","parentaccountid@odata.bind":"$7"}"#),
        ),
    ])]);
    let answer = send_batch(&env, &body, None).await;
    assert_eq!(answer.status, 400);
    let parts = batch_parts(&answer.text);
    let error: Value = serde_json::from_str(&parts[0].body).expect("JSON");
    assert_eq!(
        error["error"]["message"],
        "Content-ID Reference: '$7' does not exist in the batch context."
    );
    assert_eq!(env.emu.seed().row_count("accounts"), 0);
}

#[tokio::test]
async fn limits_and_malformed_batches() {
    let env = start().await;
    let thousand: Vec<String> = (0..1000)
        .map(|n| {
            part(
                "POST",
                "/api/data/v9.2/tasks",
                None,
                Some(&format!(r#"{{"subject":"t{n}"}}"#)),
            )
        })
        .collect();
    let ok = send_batch(&env, &batch(&thousand), None).await;
    assert_eq!(ok.status, 200);
    assert_eq!(env.emu.seed().row_count("tasks"), 1000);
    let mut too_many = thousand.clone();
    too_many.push(part("GET", "/api/data/v9.2/tasks", None, None));
    let refused = send_batch(&env, &batch(&too_many), None).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.message().contains("maximum number of '1000'"),
        "{}",
        refused.text
    );
    assert_eq!(env.emu.seed().row_count("tasks"), 1000, "nothing ran");
    let get_in_change_set = batch(&[change_set(&[part(
        "GET",
        "/api/data/v9.2/tasks",
        None,
        None,
    )])]);
    assert_eq!(send_batch(&env, &get_in_change_set, None).await.status, 400);
    let unterminated = "--batch_test\r\nContent-Type: application/http\r\n\r\nGET /api/data/v9.2/tasks HTTP/1.1\r\n\r\n";
    assert_eq!(send_batch(&env, unterminated, None).await.status, 400);
    let nested = batch(&[part("POST", "/api/data/v9.2/$batch", None, Some("{}"))]);
    let nested = send_batch(&env, &nested, Some("odata.continue-on-error")).await;
    assert_eq!(batch_parts(&nested.text)[0].status, 400);
}
