//! Change tracking against wiremock: the first request's headers, paging with the delta link
//! on the last page only, `$deletedEntity` rows, the expired-token error, `$count` of changes,
//! the org's expiry and delete reconciliation after a full resync.

mod support;

use dataverse_webapi::DataverseError;
use dataverse_webapi::changes::{Change, ChangePage, DeleteReason};
use futures::TryStreamExt;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{header, headers, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};

/// `Prefer: odata.track-changes,odata.maxpagesize=2` (wiremock splits header values at commas).
const TRACK_2: [&str; 2] = ["odata.track-changes", "odata.maxpagesize=2"];

fn account(n: u128) -> Value {
    json!({"@odata.etag": "W/\"1\"", "name": format!("Account {n}"), "accountid": Uuid::from_u128(n).to_string()})
}

fn initial_page(org: &str, rows: &[u128], next: Option<&str>, delta: Option<&str>) -> Value {
    let mut body = json!({
        "@odata.context": format!("{org}/api/data/v9.2/$metadata#accounts(name)"),
        "value": rows.iter().map(|n| account(*n)).collect::<Vec<_>>(),
    });
    if let Some(next) = next {
        body["@odata.nextLink"] = json!(format!("{org}/api/data/v9.2/accounts?{next}"));
    }
    if let Some(delta) = delta {
        body["@odata.deltaLink"] = json!(format!("{org}/api/data/v9.2/accounts?{delta}"));
    }
    body
}

/// Mounts a two-page full sync of rows 1, 2 and 3 with `Prefer: TRACK_2`.
async fn mount_full_sync(org: &support::Org) {
    let uri = org.server.uri();
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$select", "name"))
        .and(query_param_is_missing("$skiptoken"))
        .and(headers("prefer", TRACK_2.to_vec()))
        .respond_with(ResponseTemplate::new(200).set_body_json(initial_page(
            &uri,
            &[1, 2],
            Some("$select=name&$skiptoken=page2"),
            None,
        )))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$skiptoken", "page2"))
        .and(headers("prefer", TRACK_2.to_vec()))
        .respond_with(ResponseTemplate::new(200).set_body_json(initial_page(
            &uri,
            &[3],
            None,
            Some("$select=name&$deltatoken=100%2101%2f02%2f2026%2010%3a00%3a00"),
        )))
        .expect(1)
        .mount(&org.server)
        .await;
}

#[tokio::test]
async fn full_sync_asks_for_tracking_and_pages_until_the_delta_link() {
    let org = support::org().await;
    mount_full_sync(&org).await;
    let pages: Vec<ChangePage> = org
        .client
        .table("accounts")
        .changes()
        .select(["name"])
        .max_page_size(2)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 2);
    assert!(
        pages[0]
            .next_link
            .as_deref()
            .is_some_and(|l| l.ends_with("$skiptoken=page2"))
    );
    assert!(pages[0].delta_link.is_none() && !pages[0].is_last());
    assert!(pages[1].is_last() && !pages[1].is_delta);
    assert!(
        pages[1]
            .delta_link
            .as_deref()
            .is_some_and(|l| l.contains("$deltatoken=100"))
    );
    let ids: Vec<Uuid> = pages.iter().flat_map(|p| p.ids("accountid")).collect();
    assert_eq!(ids, [1, 2, 3].map(Uuid::from_u128));
}

#[tokio::test]
async fn a_delta_reads_changed_rows_and_deleted_entities() {
    let org = support::org().await;
    let uri = org.server.uri();
    let fixture = support::fixture("change-tracking-delta.json", &uri);
    let link = fixture["request"]["url"].as_str().expect("url").to_owned();
    Mock::given(method("GET"))
        .and(path("/api/data/v9.0/accounts"))
        .and(query_param("$deltatoken", "919042!08/22/2017 08:10:44"))
        .and(header("prefer", "odata.track-changes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(support::response_json(&fixture)))
        .expect(1)
        .mount(&org.server)
        .await;
    let changes: Vec<Change> = org
        .client
        .table("accounts")
        .changes()
        .from_link(link)
        .stream()
        .try_collect()
        .await
        .expect("changes");
    assert_eq!(changes.len(), 2);
    assert!(matches!(&changes[0], Change::Changed(r) if r.get_str("name") == Some("Monte Orton")));
    assert_eq!(
        changes[1],
        Change::Deleted {
            id: "2e451703-c686-e711-80e5-00155db19e6d"
                .parse()
                .expect("uuid"),
            reason: DeleteReason::Deleted,
        }
    );
}

#[tokio::test]
async fn a_delta_with_an_empty_answer_keeps_the_link_it_started_from() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$deltatoken", "7"))
        .respond_with(ResponseTemplate::new(200).set_body_string(""))
        .expect(1)
        .mount(&org.server)
        .await;
    let link = format!("{}/api/data/v9.2/accounts?$deltatoken=7", org.server.uri());
    let pages: Vec<ChangePage> = org
        .client
        .table("accounts")
        .changes()
        .from_link(link.clone())
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 1);
    assert!(pages[0].changes.is_empty());
    assert_eq!(pages[0].delta_link.as_deref(), Some(link.as_str()));
}

async fn expired_answer(status: u16, body: Value) -> DataverseError {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(1)
        .mount(&org.server)
        .await;
    let link = format!("{}/api/data/v9.2/accounts?$deltatoken=1", org.server.uri());
    org.client
        .table("accounts")
        .changes()
        .from_link(link)
        .pages()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("expired")
}

#[tokio::test]
async fn an_expired_token_is_a_typed_error_sent_once() {
    let error = expired_answer(
        400,
        json!({"error": {"code": "0x80044352", "message": "Version stamp associated with the client has expired. Please perform a full sync."}}),
    )
    .await;
    assert!(error.is_change_token_expired(), "{error:?}");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("full sync"), "{error}");
    let gone = expired_answer(410, json!({})).await;
    assert!(gone.is_change_token_expired(), "{gone:?}");
    let other = expired_answer(
        403,
        json!({"error": {"code": "0x80040220", "message": "no"}}),
    )
    .await;
    assert!(!other.is_change_token_expired());
}

#[tokio::test]
async fn a_repeated_next_link_stops_the_stream() {
    let org = support::org().await;
    let uri = org.server.uri();
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(initial_page(
            &uri,
            &[1],
            Some("$skiptoken=same"),
            None,
        )))
        .expect(2)
        .mount(&org.server)
        .await;
    let result: Result<Vec<ChangePage>, _> = org
        .client
        .table("accounts")
        .changes()
        .pages()
        .try_collect()
        .await;
    assert!(
        matches!(result, Err(DataverseError::PagingLoop { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn count_reads_the_changes_behind_a_delta_link() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts/$count"))
        .and(query_param("$deltatoken", "919042!08/22/2017 08:10:44"))
        .respond_with(ResponseTemplate::new(200).set_body_string("3"))
        .expect(1)
        .mount(&org.server)
        .await;
    let link = format!(
        "{}/api/data/v9.2/accounts?$select=name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44",
        org.server.uri()
    );
    let count = org
        .client
        .table("accounts")
        .changes()
        .from_link(link)
        .count()
        .await;
    assert_eq!(count.expect("count"), 3);
    let without = org.client.table("accounts").changes().count().await;
    assert!(matches!(without, Err(DataverseError::InvalidInput { .. })));
}

#[tokio::test]
async fn expiry_is_read_from_the_organization_row() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/organizations"))
        .and(query_param("$select", "expirechangetrackingindays"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"organizationid": Uuid::nil(), "expirechangetrackingindays": 30}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    assert_eq!(
        org.client.change_tracking_expiry().await.expect("expiry"),
        Some(30)
    );
}

#[tokio::test]
async fn a_full_resync_reports_known_rows_it_no_longer_returns() {
    let org = support::org().await;
    mount_full_sync(&org).await;
    // The caller knows 1..=5; the service now has 1, 2 and 3.
    let known = (1..=5).map(Uuid::from_u128);
    let pages: Vec<ChangePage> = org
        .client
        .table("accounts")
        .changes()
        .select(["name"])
        .max_page_size(2)
        .full_resync_with_deletes("accountid", known)
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 3);
    // The delta link is held back to the last page, after the reconciled deletions.
    assert!(pages[..2].iter().all(|p| p.delta_link.is_none()));
    let last = &pages[2];
    assert!(
        last.delta_link
            .as_deref()
            .is_some_and(|l| l.contains("$deltatoken=100"))
    );
    assert_eq!(
        last.changes,
        [4, 5]
            .map(|n| Change::Deleted {
                id: Uuid::from_u128(n),
                reason: DeleteReason::Reconciled
            })
            .to_vec()
    );
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused() {
    let org = support::org().await;
    let mut body = initial_page(&org.server.uri(), &[1], None, None);
    body["@odata.nextLink"] =
        json!("https://elsewhere.example/api/data/v9.2/accounts?$skiptoken=x");
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&org.server)
        .await;
    let result: Result<Vec<ChangePage>, _> = org
        .client
        .table("accounts")
        .changes()
        .pages()
        .try_collect()
        .await;
    assert!(
        matches!(result, Err(DataverseError::ForeignLink { .. })),
        "{result:?}"
    );
}

/// Waits (bounded) until the server has received `n` requests; returns how many it has.
async fn requests_reach(org: &support::Org, n: usize) -> usize {
    for _ in 0..500 {
        let received = org
            .server
            .received_requests()
            .await
            .unwrap_or_default()
            .len();
        if received >= n {
            return received;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    org.server
        .received_requests()
        .await
        .unwrap_or_default()
        .len()
}

#[tokio::test]
async fn the_next_page_is_requested_before_the_caller_asks_for_it() {
    let org = support::org().await;
    mount_full_sync(&org).await;
    let mut pages = std::pin::pin!(
        org.client
            .table("accounts")
            .changes()
            .select(["name"])
            .max_page_size(2)
            .pages()
    );
    let first = pages.try_next().await.expect("page 1").expect("a page");
    assert!(first.next_link.is_some());
    // The caller still holds page 1; page 2 is under way (one page ahead), and is not asked
    // for again when the caller gets to it (`expect(1)` on each page's mock).
    assert_eq!(requests_reach(&org, 2).await, 2);
    let last = pages.try_next().await.expect("page 2").expect("a page");
    assert!(last.delta_link.is_some());
    assert_eq!(last.changes.len(), 1);
    assert!(pages.try_next().await.expect("end").is_none());
}

#[tokio::test]
async fn an_error_on_a_page_fetched_ahead_comes_after_the_pages_before_it() {
    let org = support::org().await;
    let uri = org.server.uri();
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(initial_page(
            &uri,
            &[1, 2],
            Some("$skiptoken=page2"),
            None,
        )))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"code": "0x80044352", "message": "Version stamp associated with the client has expired. Please perform a full sync."}})))
        .expect(1)
        .mount(&org.server)
        .await;
    let mut pages = std::pin::pin!(org.client.table("accounts").changes().pages());
    let first = pages
        .try_next()
        .await
        .expect("page 1 is fine")
        .expect("a page");
    assert_eq!(first.changes.len(), 2);
    let error = pages.try_next().await.expect_err("page 2 failed");
    assert!(error.is_change_token_expired(), "{error:?}");
}

#[tokio::test]
async fn dropping_the_stream_fetches_no_further_than_one_page_ahead() {
    let org = support::org().await;
    let uri = org.server.uri();
    for (skiptoken, next) in [
        (None, Some("$skiptoken=p2")),
        (Some("p2"), Some("$skiptoken=p3")),
    ] {
        let mock = Mock::given(method("GET")).and(path("/api/data/v9.2/accounts"));
        let mock = match skiptoken {
            Some(token) => mock.and(query_param("$skiptoken", token)),
            None => mock.and(query_param_is_missing("$skiptoken")),
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(initial_page(
            &uri,
            &[1],
            next,
            None,
        )))
        .expect(1)
        .mount(&org.server)
        .await;
    }
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "p3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(initial_page(
            &uri,
            &[3],
            None,
            Some("$deltatoken=9"),
        )))
        .expect(0)
        .mount(&org.server)
        .await;
    {
        let mut pages = std::pin::pin!(org.client.table("accounts").changes().pages());
        pages.try_next().await.expect("page 1").expect("a page");
        assert_eq!(requests_reach(&org, 2).await, 2);
    }
    // Page 2 was fetched ahead and dropped unread; page 3 was never asked for.
    tokio::task::yield_now().await;
    assert_eq!(
        org.server
            .received_requests()
            .await
            .unwrap_or_default()
            .len(),
        2
    );
}
