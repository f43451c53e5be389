//! The Graph client against wiremock, with the wire format of Microsoft's docs ("List users",
//! "user: delta", "Use delta query", "List group members"): paging, `@removed`, partial
//! updates, `410 Gone`, `syncStateNotFound`, throttling, a repeated link, and a token that
//! never leaves the Graph host.

use std::sync::Arc;

use dynamics_auth::StaticTokenCredential;
use dynamics_http::{PipelineOptions, RetryOptions};
use serde_json::json;
use user_sync::graph::{DeltaItem, RemovedReason};
use user_sync::{GraphClient, GraphOptions, SyncError};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A fixture from `tests/fixtures/graph/`, with `{base}` standing for the mock server.
fn fixture(name: &str, server: &MockServer) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/graph/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text.replace("{base}", &server.uri())).expect("fixture is JSON")
}

fn client(server: &MockServer) -> GraphClient {
    let credential = StaticTokenCredential::new(
        "graph-token",
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    );
    let pipeline = PipelineOptions {
        retry: RetryOptions {
            max_retries: 2,
            ..RetryOptions::default()
        },
        ..PipelineOptions::default()
    };
    GraphClient::new(
        &format!("{}/v1.0/", server.uri()),
        Arc::new(credential),
        GraphOptions {
            pipeline,
            page_size: Some(2),
        },
    )
    .expect("client")
}

const U1: &str = "11111111-0000-4000-8000-000000000001";
const U2: &str = "11111111-0000-4000-8000-000000000002";

#[tokio::test]
async fn a_delta_round_follows_next_links_to_the_delta_link_and_reads_removals() {
    let server = MockServer::start().await;
    let next = format!("{}/v1.0/users/delta?$skiptoken=page2", server.uri());
    let delta = format!("{}/v1.0/users/delta?$deltatoken=d1", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param(
            "$select",
            "id,userPrincipalName,displayName,mail,department,city,country,jobTitle,usageLocation,accountEnabled,assignedLicenses",
        ))
        .and(header("Authorization", "Bearer graph-token"))
        .and(header("Prefer", "odata.maxpagesize=2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users_delta_first_page.json", &server)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("users_delta_last_page.json", &server)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let graph = client(&server);
    let first = graph.delta_page(None).await.expect("first page");
    assert_eq!(first.next_link.as_deref(), Some(next.as_str()));
    let DeltaItem::Changed { user, complete } = &first.items[0] else {
        panic!("a user expected")
    };
    assert!(complete);
    assert!(user.is_licensed());
    assert_eq!(user.attribute("country").as_deref(), Some("Germany"));
    let second = graph.delta_page(Some(&next)).await.expect("second page");
    assert_eq!(second.delta_link.as_deref(), Some(delta.as_str()));
    assert_eq!(
        second.items[0],
        DeltaItem::Removed {
            id: U2.into(),
            reason: RemovedReason::Changed
        }
    );
    assert!(matches!(
        second.items[1],
        DeltaItem::Changed {
            complete: false,
            ..
        }
    ));
}

#[tokio::test]
async fn an_expired_delta_link_asks_for_a_full_round() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("$deltatoken", "gone"))
        .respond_with(
            ResponseTemplate::new(410)
                .insert_header(
                    "Location",
                    format!("{}/v1.0/users/delta?$deltatoken=", server.uri()),
                )
                .set_body_json(fixture("delta_gone_410.json", &server)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("$deltatoken", "old"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(fixture("delta_expired_400.json", &server)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let graph = client(&server);
    for token in ["gone", "old"] {
        let link = format!("{}/v1.0/users/delta?$deltatoken={token}", server.uri());
        let err = graph.delta_page(Some(&link)).await.expect_err("expired");
        assert!(err.is_delta_expired(), "{err}");
        assert!(
            !err.to_string().contains(token),
            "no token in messages: {err}"
        );
    }
}

#[tokio::test]
async fn throttling_is_retried_after_the_time_graph_asks_for() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_json(fixture("throttled_429.json", &server)),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$top", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": U1}]})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .list_users_page(None)
        .await
        .expect("after a retry");
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn the_token_never_goes_to_another_host() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let link = format!("{}/v1.0/users/delta?$skiptoken=x", elsewhere.uri());
    let err = client(&server)
        .delta_page(Some(&link))
        .await
        .expect_err("foreign host");
    assert!(matches!(err, SyncError::Graph(_)), "{err}");
    assert!(
        err.to_string().contains("refused to send a bearer token"),
        "{err}"
    );
}

#[tokio::test]
async fn groups_resolve_by_name_and_members_are_paged_without_loops() {
    let server = MockServer::start().await;
    let group = "22222222-0000-4000-8000-000000000001";
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .and(query_param("$filter", "displayName eq 'Support Engineers'"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"value": [{"id": group, "displayName": "Support Engineers"}]}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .and(query_param("$filter", "displayName eq 'Nobody'"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    let page2 = format!("{}/v1.0/groups/{group}/members?$skiptoken=2", server.uri());
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/groups/{group}/members")))
        .and(query_param("$top", "999"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.nextLink": page2,
            "value": [{"@odata.type": "#microsoft.graph.user", "id": U1}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/groups/{group}/members")))
        .and(query_param("$skiptoken", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"@odata.type": "#microsoft.graph.user", "id": U2.to_uppercase()}]
        })))
        .mount(&server)
        .await;
    let graph = client(&server);
    let id = graph
        .resolve_group("Support Engineers")
        .await
        .expect("resolved");
    assert_eq!(id, group);
    let members = graph.group_member_ids(&id).await.expect("members");
    assert!(members.contains(U1) && members.contains(U2), "{members:?}");
    let missing = graph.resolve_group("Nobody").await.expect_err("no group");
    assert!(missing.to_string().contains("object id"), "{missing}");

    // A service that hands out the same next link again is stopped, not followed forever.
    let looping = "33333333-0000-4000-8000-000000000001";
    let again = format!(
        "{}/v1.0/groups/{looping}/members?$skiptoken=same",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/groups/{looping}/members")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.nextLink": again, "value": []
        })))
        .expect(2)
        .mount(&server)
        .await;
    let err = graph.group_member_ids(looping).await.expect_err("loop");
    assert!(matches!(err, SyncError::RepeatedLink { .. }), "{err}");
}
