//! Paging streams: next links followed verbatim with the same Prefer, resume, loops, foreign
//! links, FetchXML cookies.

mod support;

use dataverse_webapi::{DataverseError, FetchXml, Filter, Page, Query};
use futures::{StreamExt, TryStreamExt};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};

fn page(org: &str, ids: std::ops::Range<u32>, next: Option<&str>) -> serde_json::Value {
    let mut body = serde_json::json!({
        "@odata.context": format!("{org}/api/data/v9.2/$metadata#contacts(fullname)"),
        "value": ids.map(|i| serde_json::json!({"fullname": format!("Contact {i}")})).collect::<Vec<_>>(),
    });
    if let Some(next) = next {
        body["@odata.nextLink"] =
            serde_json::Value::String(format!("{org}/api/data/v9.2/contacts?{next}"));
    }
    body
}

#[tokio::test]
async fn pages_follow_next_links_verbatim_with_the_same_prefer() {
    let org = support::org().await;
    let uri = org.server.uri();
    let cookie = "$select=fullname&$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%22%20/%3E";
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/contacts"))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param("$filter", "statecode eq 0"))
        .and(header("prefer", "odata.maxpagesize=2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&uri, 0..2, Some(cookie))))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/contacts"))
        .and(query_param(
            "$skiptoken",
            "<cookie pagenumber=\"2\" pagingcookie=\"%3ccookie%20page%3d%221%22%3e\" />",
        ))
        .and(header("prefer", "odata.maxpagesize=2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&uri, 2..3, None)))
        .expect(1)
        .mount(&org.server)
        .await;
    let query = Query::new("contacts")
        .select(["fullname"])
        .filter(Filter::eq("statecode", 0))
        .max_page_size(2);
    let names: Vec<String> = org
        .client
        .records(&query)
        .map_ok(|r| r.get_str("fullname").unwrap_or_default().to_string())
        .try_collect()
        .await
        .expect("all rows");
    assert_eq!(names, ["Contact 0", "Contact 1", "Contact 2"]);
}

#[tokio::test]
async fn paging_resumes_from_a_saved_link() {
    let org = support::org().await;
    let uri = org.server.uri();
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "page3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&uri, 4..6, None)))
        .expect(1)
        .mount(&org.server)
        .await;
    let saved = format!("{uri}/api/data/v9.2/contacts?$skiptoken=page3");
    let pages: Vec<Page> = org
        .client
        .pages_from_link(&saved, Some(2), None)
        .try_collect()
        .await
        .expect("resumed");
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].value.len(), 2);
}

#[tokio::test]
async fn a_repeated_next_link_stops_paging() {
    let org = support::org().await;
    let uri = org.server.uri();
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            &uri,
            0..1,
            Some("$skiptoken=same"),
        )))
        .mount(&org.server)
        .await;
    let results: Vec<_> = org.client.pages(&Query::new("contacts")).collect().await;
    assert_eq!(results.len(), 3, "two pages, then the loop error");
    assert!(
        results[1].is_ok(),
        "the second page is new data and is kept"
    );
    assert!(
        matches!(results[2], Err(DataverseError::PagingLoop { .. })),
        "{:?}",
        results[2]
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [],
            "@odata.nextLink": "https://evil.example.com/api/data/v9.2/contacts?$skiptoken=x"
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let results: Vec<_> = org.client.pages(&Query::new("contacts")).collect().await;
    assert!(
        matches!(results[0], Err(DataverseError::ForeignLink { .. })),
        "{:?}",
        results[0]
    );
    assert!(
        org.client
            .pages_from_link("https://evil.example.com/x", None, None)
            .next()
            .await
            .expect("item")
            .is_err()
    );
}

#[tokio::test]
async fn documented_paging_and_count_answers_parse() {
    let org = support::org().await;
    for name in [
        "paging-first-page.json",
        "paging-maxpagesize-accounts.json",
        "count-true.json",
        "query-select-top.json",
    ] {
        let f = support::fixture(name, &org.server.uri());
        let page: Page = serde_json::from_value(support::response_json(&f)).expect(name);
        assert!(!page.value.is_empty(), "{name}");
    }
    let first = support::fixture("paging-first-page.json", &org.server.uri());
    let page: Page = serde_json::from_value(support::response_json(&first)).expect("page");
    assert!(page.next_link.expect("next").contains("$skiptoken="));
    let count = support::fixture("count-true.json", &org.server.uri());
    let page: Page = serde_json::from_value(support::response_json(&count)).expect("page");
    assert!(page.count.is_some());
}

#[tokio::test]
async fn fetch_xml_pages_follow_the_paging_cookie() {
    let org = support::org().await;
    let first = support::fixture("fetchxml-paging-first-page.json", &org.server.uri());
    let last = support::fixture("fetchxml-paging-last-page.json", &org.server.uri());
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(wiremock::matchers::query_param_contains(
            "fetchXml",
            "page=\"2\"",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(last["response"]["body"].as_str().expect("body")),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(first["response"]["body"].as_str().expect("body")),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    let query = FetchXml::new(
        "accounts",
        r#"<fetch count="3" page="1"><entity name="account"><attribute name="name"/></entity></fetch>"#,
    )
    .expect("fetch");
    let pages: Vec<Page> = org
        .client
        .fetch_xml_pages(&query)
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 2);
}
